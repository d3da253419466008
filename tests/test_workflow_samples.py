"""Samples from a sample sheet and a folder of PNG files, through Snakemake: each becomes a
sample with the image its source names, tracked by content like a sample of the mapping,
and a PNG added to the folder is a new sample on the next run, the others left as they are."""

import hashlib
import json
import os
import shutil

import h5py
import numpy as np
import pytest
from conftest import job_counts, mirror, needs_data, snakemake, workdir_with_config
from PIL import Image

from pixel_influence import samples

pytestmark = needs_data

# the sheet as a spreadsheet might save it: a byte order mark, CRLF line ends, a comment
SHEET = (
    "\ufeff# samples of the test\r\n"
    "sample\tsplit\tindex\tfill\tpng\r\n"
    "d7\ttest\t0\t\t\r\n"
    "half\t\t\t0.5\t\r\n"
    "twice\t\t\t\tpngs/two.PNG\r\n"
)
# the folder's files (and the MNIST test image each holds, or None for the drawn stroke)
FOLDER = {"seven.png": 0, "two.PNG": 1, "stroke.png": None, ".hidden.png": 2, "notes.txt": 3}
SAMPLES = ["d7", "half", "twice", "seven", "stroke", "two"]  # the sheet's rows, then the files


def stroke(shape=(120, 80), start=(20, 70), end=(110, 25), width=5.0):
    """A dark straight stroke on a light page: the distance of every pixel to the segment."""
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    (r0, c0), (r1, c1) = start, end
    t = ((rows - r0) * (r1 - r0) + (cols - c0) * (c1 - c0)) / ((r1 - r0) ** 2 + (c1 - c0) ** 2)
    t = np.clip(t, 0.0, 1.0)
    distance = np.hypot(rows - (r0 + t * (r1 - r0)), cols - (c0 + t * (c1 - c0)))
    return np.where(distance < width, 20, 235).astype(np.uint8)


def _edit(cfg):
    cfg.pop("samples")  # every sample from the sheet and the folder
    cfg["sample_sheet"] = "samples.tsv"
    cfg["sample_folder"] = "pngs"
    cfg["layers"] = ["z3"]
    cfg["methods"] = ["insertion"]
    cfg["methods_figure"] = {"nodes": {}}
    cfg.pop("sweep")


def _targets(names):
    return [f"results/influence/{name}.h5" for name in names]


@pytest.fixture(scope="module")
def finished(tmp_path_factory, real_test_split):
    """The influence files of every sample of a sheet and a folder, computed."""
    images = real_test_split[0]
    workdir = workdir_with_config(tmp_path_factory.mktemp("samples"), _edit)
    (workdir / "samples.tsv").write_bytes(SHEET.encode("utf-8"))
    (workdir / "pngs").mkdir()
    for name, index in FOLDER.items():
        if name.endswith(".txt"):
            (workdir / "pngs" / name).write_text("not a sample")
        else:  # an MNIST digit saved losslessly, or the drawn stroke
            pixels = stroke() if index is None else images[index]
            Image.fromarray(pixels).save(workdir / "pngs" / name, "PNG")
    snakemake(workdir, "--cores", "2", *_targets(SAMPLES), "--config", mirror())
    return workdir


def _influence(workdir, name):
    with h5py.File(workdir / f"results/influence/{name}.h5") as f:
        return f["image"][()], dict(f.attrs)


def test_every_sample_of_the_sheet_and_the_folder_has_its_image(finished, real_test_split):
    images = real_test_split[0]
    written = sorted(p.name for p in (finished / "results/influence").glob("*.h5"))
    assert written == sorted(f"{name}.h5" for name in SAMPLES)  # no hidden file, no .txt
    image, attrs = _influence(finished, "d7")
    np.testing.assert_array_equal(image, samples.mnist_image(images, 0))
    assert attrs["sample"] == "d7" and "png_sha256" not in attrs
    image, _ = _influence(finished, "half")
    assert image.shape == (28, 28) and np.all(image == 0.5)
    for name, path, index in (
        ("seven", "pngs/seven.png", 0),
        ("two", "pngs/two.PNG", 1),
        ("twice", "pngs/two.PNG", 1),  # the sheet's PNG row: the folder's file, another name
        ("stroke", "pngs/stroke.png", None),
    ):
        image, attrs = _influence(finished, name)
        # a PNG is preprocessed as MNIST made its digits: the same image as in-process
        np.testing.assert_array_equal(image, samples.png_image(finished / path), err_msg=name)
        if index is not None:  # an MNIST digit saved as PNG comes back within 1/255
            assert np.abs(image - samples.mnist_image(images, index)).max() <= 1 / 255 + 1e-12
        digest = hashlib.sha256((finished / path).read_bytes()).hexdigest()
        assert attrs["sample"] == name and attrs["png_sha256"] == digest
        stamp = json.loads((finished / f"results/samples/{name}.json").read_text())
        assert (stamp["source"], stamp["png_sha256"]) == ({"png": path}, digest)
    # the stroke: dark on light, drawn at an angle, comes back light on dark in MNIST's form
    image, _ = _influence(finished, "stroke")
    assert image.max() == 1.0 and image[0].max() == 0.0 and image[:, 0].max() == 0.0


def test_a_png_added_to_the_folder_is_a_new_sample(finished, tmp_path, real_test_split):
    """Only the new sample's job runs, and the stroke, replaced by a digit with an older
    modification time, is computed again (its content decides, as for the mapping)."""
    workdir = shutil.copytree(finished, tmp_path / "run", symlinks=True)
    images = real_test_split[0]
    Image.fromarray(images[2]).save(workdir / "pngs" / "one.png", "PNG")
    Image.fromarray(images[3]).save(workdir / "pngs" / "stroke.png", "PNG")
    os.utime(workdir / "pngs" / "stroke.png", (1e9, 1e9))  # 2001: older than every result
    targets = _targets(SAMPLES + ["one"])
    dry = snakemake(workdir, "-n", "--cores", "1", *targets, "--config", mirror())
    said = dry.stdout + dry.stderr
    assert job_counts(said)["influence"] == 2, said
    assert "output: results/influence/one.h5" in said
    assert "output: results/influence/stroke.h5" in said
    assert "reason: Updated input files: results/samples/stroke.json" in said
