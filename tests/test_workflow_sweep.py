"""The sweep through Snakemake: exact and independent of the sharding, and turned on by the
config's sweep section with its defaults."""

import re

import h5py
import numpy as np
import pytest
from conftest import job_counts, mirror, needs_data, snakemake, workdir_with_config
from PIL import Image

from pixel_influence import methods, network
from pixel_influence.network import LAYER_SIZES
from pixel_influence.render import canvas, montage

PICTURES = ["mean", "std", "contrast"]
SWEEP_TARGETS = ["results/sweep/test/classes.h5"] + [
    f"results/sweep/test/images/{picture}/class{c}.png" for picture in PICTURES for c in range(10)
]


@needs_data
def test_workflow_sweep_is_exact_and_shard_independent(tmp_path, real_params, real_test_split):
    """The first 1,000 test images through Snakemake with 1 and 2 shards: the same bytes,
    the book's predictions, and the per-class means of the direct computation."""
    runs = []
    for shards in (1, 2):

        def edit(cfg, shards=shards):
            cfg["sweep"] = {
                "split": "test",
                "images": 1000,
                "methods": ["insertion"],
                "shards": shards,
            }

        workdir = workdir_with_config(tmp_path / f"shards{shards}", edit)
        snakemake(workdir, *SWEEP_TARGETS, "--cores", "2", "--config", mirror())
        runs.append(workdir)
        assert not (workdir / "results/sweep/test/shards").exists() or not any(
            (workdir / "results/sweep/test/shards").iterdir()
        )  # the shard sums are temporary
    one, two = (w / "results/sweep/test/classes.h5" for w in runs)
    assert one.read_bytes() == two.read_bytes()
    for target in SWEEP_TARGETS[1:]:
        assert (runs[1] / target).read_bytes() == (runs[0] / target).read_bytes(), target

    images, labels = real_test_split
    images, labels = images[:1000], labels[:1000]
    with h5py.File(two) as f:
        assert f["count"][()].tolist() == np.bincount(labels, minlength=10).tolist()
        predicted = np.argmax(
            network.forward(real_params, images.reshape(1000, -1) / 255.0)["z3"], 1
        )
        assert np.trace(f["confusion"][()]) == int((predicted == labels).sum())
        assert f.attrs["images"] == 1000 and f.attrs["split"] == "test"
        assert "shards" not in f.attrs["config"]  # the bytes do not depend on them
        sevens = images[labels == 7] / 255.0
        direct = np.mean(
            [methods.insertion(real_params, x, np.zeros(784), ["z2"])["z2"] for x in sevens],
            axis=0,
        ).reshape(100, 28, 28)
        np.testing.assert_allclose(f["insertion/z2_mean"][7], direct, rtol=1e-5, atol=1e-8)
        assert f["insertion/z2_mean"].dtype == np.float32
        others = images[labels != 7] / 255.0
        direct_others = np.mean(
            [methods.insertion(real_params, x, np.zeros(784), ["z2"])["z2"] for x in others],
            axis=0,
        ).reshape(100, 28, 28)
        np.testing.assert_allclose(
            f["insertion/z2_contrast"][7], direct - direct_others, rtol=1e-5, atol=1e-8
        )
        std = f["insertion/z3_std"][3].astype(np.float64)
        layers = [str(layer) for layer in f.attrs["layers"]]
    check_std_panels(runs[1] / "results/sweep/test/images/std/class3.png", std, layers)
    with Image.open(runs[1] / "results/sweep/test/images/contrast/class7.png") as img:
        assert img.text["picture"] == "contrast"
        assert img.text["Title"] == (
            "test split, label 7: what sets it apart: mean map minus the mean over the "
            f"{1000 - len(sevens)} images of the other classes; input = the class's mean image"
        )
        assert "softmax" not in img.text["Title"]


def check_std_panels(path, std, layers):
    """The std picture's z3 panels (its one method, zoom 2, a scale per layer) are the
    standard deviations on a one-sided scale: 0 is the middle gray (128), the largest value
    of the layer white (255), nothing darker than the middle."""
    levels = np.floor(128 + 127.5 * std / std.max()).astype(np.uint8)  # (node, row, col)
    assert levels.min() >= 128 and levels.max() == 255
    with Image.open(path) as img:
        assert img.mode == "L" and img.text["picture"] == "std"
        assert img.text["Title"].startswith("test split, label 3: spread of the maps: ")
        pixels, title = np.asarray(img), img.text["Title"]
    maps = {"insertion": {layer: np.zeros((LAYER_SIZES[layer], 28, 28)) for layer in layers}}
    scales = {"insertion": dict.fromkeys(layers, 1.0)}
    style = canvas.MapStyle(2)
    layout = montage.montage_layout(style, maps, scales, title, "layer", False, one_sided=True)
    (block,) = [b for b in layout.sections[0].blocks if b.layer == "z3"]
    for j in range(10):
        x, y = block.panel_xy(j)
        panel = pixels[y : y + style.panel, x : x + style.panel]
        np.testing.assert_array_equal(panel, levels[j].repeat(2, 0).repeat(2, 1), err_msg=j)


@pytest.mark.parametrize("sweep, shards", [(None, 0), ({}, 4), ({"shards": 3}, 3)])
def test_the_sweep_section_turns_the_sweep_on_with_its_defaults(tmp_path, sweep, shards):
    """No section: no sweep jobs; an empty one: the schema's defaults (test split, 4 shards,
    the three pictures of each class)."""

    def edit(cfg):
        cfg.pop("sweep")
        if sweep is not None:
            cfg["sweep"] = sweep

    workdir = workdir_with_config(tmp_path, edit)
    out = snakemake(workdir, "-n", "--config", mirror())
    counts = job_counts(out.stdout)
    assert counts.get("sweep_shard", 0) == shards
    assert counts.get("sweep_image", 0) == (3 if shards else 0)  # a job per picture kind
    assert ("results/sweep/test/classes.h5" in out.stdout) == bool(shards)
    for picture in PICTURES:
        for c in range(10):
            target = f"results/sweep/test/images/{picture}/class{c}.png"
            assert (target in out.stdout) == bool(shards)


@pytest.mark.parametrize("pictures", [["std"], ["contrast", "mean"]])
def test_the_pictures_of_each_class_are_chosen_by_sweep_pictures(tmp_path, pictures):
    """sweep.pictures: only the chosen pictures are targets, ten of each, a job per kind."""

    def edit(cfg):
        cfg["sweep"]["pictures"] = pictures

    out = snakemake(workdir_with_config(tmp_path, edit), "-n", "--config", mirror()).stdout
    assert job_counts(out)["sweep_image"] == len(pictures)
    drawn = set(re.findall(r"results/sweep/test/images/(\w+)/class(\d)\.png", out))
    assert drawn == {(picture, str(c)) for picture in pictures for c in range(10)}
