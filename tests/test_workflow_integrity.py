"""No silent wrong result, end to end: a download changed after its check, a PNG replaced by
another with an older modification time, a result file that is not what its name says, and
results left behind by narrowed rerun triggers are each noticed, through Snakemake."""

import hashlib
import os
import shutil

import h5py
import numpy as np
import pytest
import yaml
from conftest import mirror, needs_data, snakemake, workdir_with_config
from PIL import Image

from pixel_influence import samples

pytestmark = needs_data


def _digit_png(path, columns):
    """A dark stroke on a light page, in the given columns: a '1' or, wider, a bar."""
    pixels = np.full((90, 60), 255, dtype=np.uint8)
    pixels[10:80, columns] = 0
    Image.fromarray(pixels).save(path)
    return path


def _small(cfg):
    cfg["samples"] = {"digit7": {"split": "test", "index": 0}, "mine": {"png": "mine.png"}}
    cfg["layers"] = ["z3"]
    cfg["methods"] = ["insertion"]
    cfg["methods_figure"] = {"nodes": {}}
    cfg.pop("sweep")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One complete run of a small config: an MNIST digit and a PNG, one layer, one method."""
    workdir = workdir_with_config(tmp_path_factory.mktemp("integrity"), _small)
    _digit_png(workdir / "mine.png", slice(27, 34))
    snakemake(workdir, "--cores", "2", "--config", mirror())
    return workdir


@pytest.fixture
def workdir(finished, tmp_path):
    """A copy of the finished run (modification times kept) for one test to change."""
    return shutil.copytree(finished, tmp_path / "run", symlinks=True)


def _run(workdir, *args, check=True):
    out = snakemake(workdir, "--cores", "2", *args, "--config", mirror(), check=check)
    return out, out.stdout + out.stderr


def _errors(workdir, rule):
    """The ERROR lines of a rule's logs."""
    lines = []
    for log in sorted((workdir / "logs" / rule).rglob("*.log")):
        lines += [
            line.split(" ERROR ", 1)[1]
            for line in log.read_text().splitlines()
            if " ERROR " in line
        ]
    return lines


def test_a_download_changed_after_its_check_is_refused_and_fetched_again(workdir):
    pickle = workdir / "resources/dlfs/sample_weight.pkl"
    good = pickle.read_bytes()
    damaged = bytearray(good)
    damaged[5000] ^= 0x01  # one flipped bit in a weight
    pickle.write_bytes(bytes(damaged))
    accuracy = "results/network/accuracy.txt"
    out, said = _run(workdir, accuracy, check=False)
    assert out.returncode != 0
    digest = hashlib.sha256(damaged).hexdigest()
    assert _errors(workdir, "weights") == [
        f"resources/dlfs/sample_weight.pkl: changed since it was downloaded and verified (sha256 "
        f"{digest}, the verified file has sha256 {hashlib.sha256(good).hexdigest()}); fetch it "
        "again: snakemake --cores 8 --forcerun resources/dlfs/sample_weight.pkl"
    ]
    assert "Traceback" not in said
    # the advice works: fetched again, verified, and the run completes
    _run(workdir, accuracy, "--forcerun", "resources/dlfs/sample_weight.pkl")
    assert pickle.read_bytes() == good
    assert (workdir / "results/network/accuracy.txt").read_text() == "Accuracy:0.9352\n"


def test_a_png_replaced_by_an_older_file_is_computed_again(workdir, tmp_path):
    """cp -p, tar x and rsync -t keep an older modification time: the content decides."""
    for lose_records, columns in ((False, slice(15, 45)), (True, slice(20, 24))):
        other = _digit_png(tmp_path / f"other{columns.start}.png", columns)
        os.utime(other, (1e9, 1e9))  # 2001: older than every result
        shutil.copy2(other, workdir / "mine.png")
        if lose_records:  # without Snakemake's records of earlier runs too
            shutil.rmtree(workdir / ".snakemake/metadata")
        dry = _run(workdir, "-n")[1]
        assert "rule influence:" in dry and "output: results/influence/mine.h5" in dry
        assert "reason: Updated input files: results/samples/mine.json" in dry
        _run(workdir)
        with h5py.File(workdir / "results/influence/mine.h5") as f:
            np.testing.assert_array_equal(f["image"][()], samples.png_image(other))
            assert f.attrs["png_sha256"] == hashlib.sha256(other.read_bytes()).hexdigest()
    assert "Nothing to be done" in _run(workdir)[1]


def test_a_result_copied_over_another_is_refused_by_its_readers(workdir):
    shutil.copyfile(workdir / "results/influence/digit7.h5", workdir / "results/influence/mine.h5")
    out, said = _run(workdir, check=False)
    assert out.returncode != 0
    readers = ("montage", "methods_figure", "explorer")  # whichever ran before the run stopped
    (error,) = set(sum((_errors(workdir, rule) for rule in readers), []))
    assert error.startswith(
        "results/influence/mine.h5: not what the config asks for: it holds sample 'digit7', "
        "not 'mine'; it was made with config.sample.index = 0, not null;"
    ), error
    assert error.endswith(
        "re-create it with: snakemake --cores 8 --forcerun results/influence/mine.h5"
    )
    assert "Traceback" not in said
    _run(workdir, "--forcerun", "results/influence/mine.h5")
    with h5py.File(workdir / "results/influence/mine.h5") as f:
        assert f.attrs["sample"] == "mine"


def test_results_left_by_narrowed_rerun_triggers_are_refused(workdir):
    """Adding a method with --rerun-triggers mtime does not re-run the influence jobs; the
    pictures then ask for maps the files do not hold, and say which rerun fixes it."""
    path = workdir / "config/config.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["methods"] = ["insertion", "deeplift"]
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out, said = _run(workdir, "--rerun-triggers", "mtime", check=False)
    assert out.returncode != 0
    errors = set(_errors(workdir, "montage") + _errors(workdir, "methods_figure"))
    assert errors and all(
        e.startswith(f"results/influence/{s}.h5: not what the config asks for: it was made with ")
        and 'config.methods = ["insertion"], not ["insertion", "deeplift"]' in e
        and e.endswith(f"--forcerun results/influence/{s}.h5")
        for e in errors
        for s in [e.split("/")[2].split(".h5")[0]]
    ), errors
    assert "Traceback" not in said
    _run(workdir, "--forcerun", "influence")
    assert (workdir / "results/images/mine/deeplift/z3.png").is_file()
