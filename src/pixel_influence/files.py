"""Atomic file writing: a file appears at its final path whole or not at all.

``crash_point`` is a fault-injection hook for the crash-safety tests: with the environment
variable ``PIXEL_INFLUENCE_CRASH=<file name>:<stage>`` set, the process group (the running
workflow and its jobs) is killed with SIGKILL when the named file reaches that stage of
being written, as a power cut would. It does nothing otherwise.
"""

import errno
import hashlib
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError

__all__ = [
    "CHUNK",
    "CRASH_VARIABLE",
    "atomic_write",
    "crash_point",
    "remove_stale_temporaries",
    "sha256_of",
    "unwritable_folders",
    "write_error",
    "write_problem",
    "write_text_if_changed",
]

CRASH_VARIABLE = "PIXEL_INFLUENCE_CRASH"
CHUNK = 1 << 20


def crash_point(path, stage):
    """SIGKILL the process group if ``PIXEL_INFLUENCE_CRASH`` names this file and stage."""
    if os.environ.get(CRASH_VARIABLE) == f"{Path(path).name}:{stage}":
        os.killpg(os.getpgrp(), signal.SIGKILL)


def sha256_of(path_or_file):
    """The sha256 (hex) of a file's bytes, read in chunks; an open binary file is read from
    where it stands to its end."""
    digest = hashlib.sha256()
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    else:
        while chunk := path_or_file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_prefix(path):
    return f".{path.name}."


# per folder, the temporaries it held when this process first wrote there: a job that
# writes a thousand pictures into one folder lists it once, not once per picture
_temporaries = {}


def remove_stale_temporaries(path):
    """Delete temporary files a killed writer of ``path`` left beside it.

    Each output has a single writer (its Snakemake job), so any earlier temporary of the
    same output is garbage from an interrupted run. The folder is listed once per process:
    a temporary that appears later is another output's, being written by another job.
    """
    path = Path(path)
    folder = str(path.parent)
    if folder not in _temporaries:
        try:
            with os.scandir(folder) as entries:
                _temporaries[folder] = {e.name for e in entries if e.name.endswith(".tmp")}
        except FileNotFoundError:
            return
    prefix = _temporary_prefix(path)
    found = _temporaries[folder]
    for name in [name for name in found if name.startswith(prefix)]:
        Path(folder, name).unlink(missing_ok=True)
        found.discard(name)


# what the errors of writing a file say, by errno and by the words HDF5 wraps them in
_WRITE_PROBLEMS = (
    ((errno.ENOSPC, errno.EDQUOT), ("No space left", "Disk quota"), "the disk is full"),
    ((errno.EROFS,), ("Read-only file system",), "the folder is on a read-only file system"),
    ((errno.EACCES, errno.EPERM), ("Permission denied",), "no permission to write there"),
    ((errno.EFBIG,), ("File too large",), "the file would exceed the size limit for files"),
)


def write_problem(error):
    """What keeps a file from being written, from an OSError of writing it (HDF5 puts the
    system's words in its message), or None for any other error."""
    text = str(error)
    for numbers, words, problem in _WRITE_PROBLEMS:
        if getattr(error, "errno", None) in numbers or any(w in text for w in words):
            return problem
    return None


def _free_text(folder):
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    return f"; {free / 1e6:.1f} MB free there"


def write_error(path, error):
    """An InputError for an OSError of writing ``path`` that the user must fix (full disk,
    read-only or forbidden folder, size limit), or None for any other error."""
    problem = write_problem(error)
    if problem is None:
        return None
    folder = Path(path).parent
    advice = {
        "the disk is full": f"free some space{_free_text(folder)}, then run again",
        "the folder is on a read-only file system": "run in a writable folder",
        "no permission to write there": f"make {folder} writable for you, or run elsewhere",
    }.get(problem, "raise the limit (ulimit -f), then run again")
    return InputError(
        f"{path}: cannot be written: {problem} ({getattr(error, 'strerror', None) or error}); "
        f"nothing was left half-written; {advice}"
    )


@contextmanager
def atomic_write(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary file is in the same folder (so the rename is atomic) and is removed if the
    block raises; temporaries left by a killed earlier writer are removed first. The final
    file gets the usual permissions (0666 less the umask). A full disk, a read-only or
    forbidden folder or a file size limit becomes an InputError that says so.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temporary_prefix(path), suffix=".tmp")
        os.close(fd)
    except OSError as e:
        raise (write_error(path, e) or e) from None
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        crash_point(path, "written")
        os.replace(tmp, path)
    except OSError as e:
        # an error about another file (a source read inside the block) is not ours to explain
        problem = write_error(path, e) if e.filename in (None, tmp, str(path)) else None
        if problem is None:
            raise
        raise problem from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def unwritable_folders(roots):
    """The folders under ``roots`` (those that exist) that this process cannot write in, as
    (folder, reason): a read-only file system or a missing permission."""
    found = []
    for root in roots:
        for folder, _, _ in os.walk(root):
            if not os.access(folder, os.W_OK | os.X_OK):
                try:
                    read_only = os.statvfs(folder).f_flag & os.ST_RDONLY
                except OSError:
                    read_only = False
                found.append((folder, "read-only file system" if read_only else "no permission"))
    return found


def write_text_if_changed(path, text):
    """Write ``text`` to ``path`` atomically unless the file holds it already, so that its
    modification time changes only when its content does. Returns whether it wrote."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    with atomic_write(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    return True
