"""Crash safety: a workflow killed with SIGKILL anywhere resumes to the same bytes.

The kill is injected with ``PIXEL_INFLUENCE_CRASH=<file>:<stage>`` (see
``pixel_influence.files``), which SIGKILLs the whole process group (Snakemake and its jobs)
when that file is being written, or from outside at a moment the test picks. Each crashed run
is then resumed as docs/clusters.md says (``--unlock``, then ``--rerun-incomplete``), and every
output must equal, byte for byte, that of an uninterrupted run in another folder.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import (
    DATA,
    ROOT,
    mirror,
    needs_data,
    output_files,
    snakemake,
    workdir_with_config,
)
from PIL import Image
from test_disk import needs_root, small_disk

pytestmark = needs_data


SWEEP = {"split": "test", "images": 1000, "methods": ["insertion"], "layers": ["z3"], "shards": 2}


def _config(cfg, sweep=False):
    cfg.pop("sweep", None)
    if sweep:  # two shards of 500 images, merged
        cfg["sweep"] = SWEEP
    cfg["samples"] = {"white": {"fill": 1.0}, "digit7": {"split": "test", "index": 0}}
    cfg["layers"] = ["z2", "z3"]
    cfg["methods"] = ["insertion", "deeplift", "shapley_sampling"]
    cfg["method_parameters"] = {"shapley_sampling": {"permutations": 8, "seed": 0}}
    cfg["methods_figure"] = {"nodes": {"z2": [0, 1]}}
    cfg["local_mirror"] = str(DATA)
    return cfg


def _workdir(path, sweep=False):
    (path / "config").mkdir(parents=True)
    cfg = _config(yaml.safe_load((ROOT / "config/config.yaml").read_text()), sweep)
    (path / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _start(workdir, *args, env=None):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    return subprocess.Popen(
        cmd + ["--cores", "2", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the kill spares pytest
    )


def _run(workdir, *args):
    proc = _start(workdir, *args)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return out


def _temporaries(workdir):
    return [p for top in ("results", "resources") for p in (workdir / top).rglob(".*.tmp")]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    workdir = _workdir(tmp_path_factory.mktemp("reference"))
    _run(workdir)
    return output_files(workdir)


def _resume(workdir):
    _run(workdir, "--unlock")
    _run(workdir, "--rerun-incomplete")


@pytest.mark.parametrize(
    "crash, final, partial",
    [
        # in the middle of copying a download (the first 1 MiB of 1.6 MB written)
        ("t10k-images-idx3-ubyte.gz:partial", "resources/mnist/t10k-images-idx3-ubyte.gz", True),
        # in the middle of writing an HDF5 file: some datasets on disk, not all
        ("digit7.h5:writing", "results/influence/digit7.h5", True),
        ("weights.h5:writing", "results/network/weights.h5", True),
        # a complete temporary not yet renamed into place
        ("digit7.png:written", "results/images/digit7.png", True),
        ("faithfulness.csv:written", "results/faithfulness.csv", True),
    ],
)
def test_killed_while_writing_resumes_to_the_same_bytes(tmp_path, reference, crash, final, partial):
    workdir = _workdir(tmp_path)
    proc = _start(workdir, env={"PIXEL_INFLUENCE_CRASH": crash})
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, out  # Snakemake itself was killed
    assert not (workdir / final).exists()  # nothing half-written at the final path
    if partial:
        leftovers = [p.name for p in _temporaries(workdir)]
        assert any(name.startswith(f".{Path(final).name}.") for name in leftovers), leftovers
    _resume(workdir)
    assert _temporaries(workdir) == []
    got = output_files(workdir)
    assert sorted(got) == sorted(reference)
    different = [name for name in reference if got[name] != reference[name]]
    assert different == []


@pytest.fixture(scope="module")
def sweep_reference(tmp_path_factory):
    workdir = _workdir(tmp_path_factory.mktemp("sweep_reference"), sweep=True)
    _run(workdir)
    return output_files(workdir)


@pytest.mark.parametrize(
    "crash, final",
    [
        ("1.h5:writing", "results/sweep/test/shards/1.h5"),  # a shard's exact sums
        ("classes.h5:writing", "results/sweep/test/classes.h5"),  # the merge
    ],
)
def test_killed_in_a_sweep_resumes_to_the_same_bytes(tmp_path, sweep_reference, crash, final):
    workdir = _workdir(tmp_path, sweep=True)
    proc = _start(workdir, env={"PIXEL_INFLUENCE_CRASH": crash})
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, out
    assert not (workdir / final).exists()
    leftovers = [p.name for p in _temporaries(workdir)]
    assert any(name.startswith(f".{Path(final).name}.") for name in leftovers), leftovers
    _resume(workdir)
    assert _temporaries(workdir) == []
    assert not any((workdir / "results/sweep/test/shards").glob("*.h5"))  # merged, removed
    got = output_files(workdir)
    assert sorted(got) == sorted(sweep_reference)
    assert [name for name in sweep_reference if got[name] != sweep_reference[name]] == []


@pytest.mark.parametrize("when", ["influence", "montage"])
def test_killed_from_outside_resumes_to_the_same_bytes(tmp_path, reference, when):
    """SIGKILL at the moment the first output of a step appears, as a power cut would."""
    workdir = _workdir(tmp_path)
    proc = _start(workdir)
    folder = workdir / ("results/influence" if when == "influence" else "results/images")
    deadline = time.monotonic() + 300
    while not (folder.is_dir() and any(folder.iterdir())) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    _resume(workdir)
    assert _temporaries(workdir) == []
    got = output_files(workdir)
    assert sorted(got) == sorted(reference)
    assert [name for name in reference if got[name] != reference[name]] == []


@needs_data
@needs_root
def test_a_job_on_a_full_disk_and_a_run_on_a_read_only_one(tmp_path):
    """Through Snakemake: the montage job on a full picture folder ends with its one line;
    a read-only picture folder stops the workflow before any job, naming the folder (else
    Snakemake, deleting the old outputs first, would fail with a traceback)."""

    def edit(cfg):
        cfg["samples"] = {"digit7": {"split": "test", "index": 0}}
        cfg["layers"] = ["z3"]
        cfg["methods"] = ["insertion"]
        cfg["methods_figure"] = {"nodes": {}}
        cfg.pop("sweep")

    workdir = workdir_with_config(tmp_path, edit)
    snakemake(workdir, "--cores", "2", "--config", mirror())
    pictures = workdir / "results/images"
    target = "results/images/digit7.png"
    with small_disk(pictures, "8k"):
        (pictures / "digit7/insertion").mkdir(parents=True)
        out = snakemake(
            workdir,
            target,
            "--cores",
            "1",
            "--forcerun",
            "montage",
            "--config",
            mirror(),
            check=False,
        )
        assert out.returncode != 0
        log = (workdir / "logs/montage/digit7.log").read_text()
        (line,) = [line for line in log.splitlines() if " ERROR " in line]
        assert line.split(" ERROR ", 1)[1].startswith(
            "results/images/digit7.png: cannot be written: the disk is full (No space left on "
            "device); nothing was left half-written; free some space; "
        ), line
        assert "Traceback" not in log
        assert [p.name for p in pictures.rglob("*") if p.is_file()] == []
    with small_disk(pictures, "4m"):
        subprocess.run(["mount", "-o", "remount,ro", str(pictures)], check=True)
        for args in ((target, "--cores", "1", "--forcerun", "montage"), ("-n",)):
            out = snakemake(workdir, *args, "--config", mirror(), check=False)
            assert out.returncode != 0
            said = out.stdout + out.stderr
            assert (
                "cannot write the outputs: results/images: read-only file system; make them "
                "writable, or run in another folder (snakemake -d DIR)"
            ) in said
            assert "Traceback" not in said and "OSError" not in said
    # the pictures come back whole once there is room
    snakemake(workdir, "--cores", "1", "--config", mirror())
    with Image.open(pictures / "digit7.png") as img:
        img.load()
