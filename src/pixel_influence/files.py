"""Atomic file writing: a file appears at its final path whole or not at all.

``crash_point`` is a fault-injection hook for the crash-safety tests: with the environment
variable ``PIXEL_INFLUENCE_CRASH=<file name>:<stage>`` set, the process group (the running
workflow and its jobs) is killed with SIGKILL when the named file reaches that stage of
being written, as a power cut would. It does nothing otherwise.
"""

import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

CRASH_VARIABLE = "PIXEL_INFLUENCE_CRASH"


def crash_point(path, stage):
    """SIGKILL the process group if ``PIXEL_INFLUENCE_CRASH`` names this file and stage."""
    if os.environ.get(CRASH_VARIABLE) == f"{Path(path).name}:{stage}":
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_prefix(path):
    return f".{path.name}."


def remove_stale_temporaries(path):
    """Delete temporary files a killed writer of ``path`` left beside it.

    Each output has a single writer (its Snakemake job), so any earlier temporary of the
    same output is garbage from an interrupted run.
    """
    path = Path(path)
    if path.parent.is_dir():
        for stale in path.parent.glob(f"{_temporary_prefix(path)}*.tmp"):
            stale.unlink(missing_ok=True)


@contextmanager
def atomic_write(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary file is in the same folder (so the rename is atomic) and is removed if the
    block raises; temporaries left by a killed earlier writer are removed first. The final
    file gets the usual permissions (0666 less the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temporary_prefix(path), suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        crash_point(path, "written")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
