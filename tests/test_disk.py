"""A full disk, a read-only folder or a file size limit: one clear message that says what to
do, and nothing half-written left behind, for every kind of output and in a real job.

The full and read-only disks are real: a small tmpfs mounted for the test (which needs root,
as CI has; elsewhere those tests skip and the size-limit tests, which need nothing, remain).
"""

import csv
import errno
import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from pixel_influence import files, h5io, methods
from pixel_influence.errors import InputError
from pixel_influence.render import canvas


@contextmanager
def small_disk(path, size="256k"):
    """A tmpfs of ``size`` mounted at ``path`` for the block."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small disk needs root")


def _influence(params):
    x = np.zeros((28, 28))
    x[4:24, 10:18] = np.linspace(0.1, 1.0, 160).reshape(20, 8)
    result = methods.compute(params, x, np.zeros((28, 28)), ["z1", "z2", "z3"], ["insertion"])
    attrs = {"sample": "s", "source": "{}", "title": "t", "label": -1}
    attrs |= {"baseline": "all-zero image", "weights_sha256": "0" * 64}
    return result, x, attrs


def _writers(params):
    """Every kind of output the workflow writes, each big enough to fill a small disk."""
    result, x, attrs = _influence(params)
    noise = np.random.default_rng(0).integers(0, 256, (1200, 1200), dtype=np.uint8)

    def table(path):
        with files.atomic_write(path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            for i in range(40000):
                writer.writerow([i, "insertion", "z2", i % 100, 0.123456789])

    return {
        "influence.h5": lambda p: h5io.write_influence(
            p, result, x, np.zeros((28, 28)), attrs, "float64"
        ),
        "picture.png": lambda p: canvas.save_png(Image.fromarray(noise), p, {"Title": "t"}),
        "table.csv": table,
    }


def _problem(write, path):
    with pytest.raises(InputError) as info:
        write(path)
    return str(info.value)


@needs_root
@pytest.mark.parametrize("kind", ["influence.h5", "picture.png", "table.csv"])
def test_a_full_disk_is_named_and_leaves_nothing(tmp_path, random_params, kind):
    with small_disk(tmp_path / "disk") as disk:
        message = _problem(_writers(random_params)[kind], disk / kind)
        assert message.startswith(f"{disk / kind}: cannot be written: the disk is full ("), message
        assert "nothing was left half-written; free some space; " in message
        assert message.endswith(" MB free there, then run again")
        assert list(disk.iterdir()) == []


@needs_root
@pytest.mark.parametrize("kind", ["influence.h5", "picture.png", "table.csv"])
def test_a_read_only_folder_is_named_and_leaves_nothing(tmp_path, random_params, kind):
    with small_disk(tmp_path / "disk", "4m") as disk:
        (disk / "old.txt").write_text("kept")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        message = _problem(_writers(random_params)[kind], disk / kind)
        assert message == (
            f"{disk / kind}: cannot be written: the folder is on a read-only file system "
            "(Read-only file system); nothing was left half-written; run in a writable folder"
        )
        assert [p.name for p in disk.iterdir()] == ["old.txt"]


def test_a_file_size_limit_is_named_and_leaves_nothing(tmp_path):
    """RLIMIT_FSIZE (ulimit -f) makes writes fail with EFBIG: needs no privileges."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        import numpy as np
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from test_disk import _writers
        from pixel_influence.errors import InputError
        from pixel_influence.network import PARAM_SHAPES
        rng = np.random.default_rng(0)
        params = {{k: rng.normal(0, 0.3, s) for k, s in PARAM_SHAPES.items()}}
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        for kind, write in _writers(params).items():
            try:
                write({str(tmp_path)!r} + "/" + kind)
                print("WROTE", kind)
            except InputError as e:
                print(e)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3, proc.stdout
    for kind, line in zip(["influence.h5", "picture.png", "table.csv"], lines, strict=True):
        assert line == (
            f"{tmp_path / kind}: cannot be written: the file would exceed the size limit for "
            "files (File too large); nothing was left half-written; raise the limit "
            "(ulimit -f), then run again"
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "code, problem",
    [
        (
            errno.EACCES,
            "no permission to write there (Permission denied); nothing was left "
            "half-written; make {folder} writable for you, or run elsewhere",
        ),
        (errno.EDQUOT, "the disk is full (Disk quota exceeded)"),
    ],
)
def test_a_forbidden_folder_or_a_quota(tmp_path, monkeypatch, code, problem):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(InputError) as info:
        with files.atomic_write(tmp_path / "x.csv"):
            pass
    assert str(info.value).startswith(
        f"{tmp_path / 'x.csv'}: cannot be written: " + problem.format(folder=tmp_path)
    )


def test_other_errors_inside_the_block_are_not_taken_for_the_disk(tmp_path):
    """A source that cannot be read inside the block (a download's mirror) keeps its error."""
    with pytest.raises(PermissionError):
        with files.atomic_write(tmp_path / "x.gz"):
            raise PermissionError(errno.EACCES, "Permission denied", "/mirror/x.gz")
    assert list(tmp_path.iterdir()) == []
