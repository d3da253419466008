"""The sweep through Snakemake: exact and independent of the sharding, and turned on by the
config's sweep section with its defaults."""

import h5py
import numpy as np
import pytest
from conftest import job_counts, mirror, needs_data, snakemake, workdir_with_config

from pixel_influence import methods, network

SWEEP_TARGETS = ["results/sweep/test/classes.h5"] + [
    f"results/sweep/test/images/class{c}.png" for c in range(10)
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
    for c in range(10):
        picture = runs[1] / f"results/sweep/test/images/class{c}.png"
        assert picture.read_bytes() == (runs[0] / picture.relative_to(runs[1])).read_bytes()

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


@pytest.mark.parametrize("sweep, shards", [(None, 0), ({}, 4), ({"shards": 3}, 3)])
def test_the_sweep_section_turns_the_sweep_on_with_its_defaults(tmp_path, sweep, shards):
    """No section: no sweep jobs; an empty one: the schema's defaults (test split, 4 shards)."""

    def edit(cfg):
        cfg.pop("sweep")
        if sweep is not None:
            cfg["sweep"] = sweep

    workdir = workdir_with_config(tmp_path, edit)
    out = snakemake(workdir, "-n", "--config", mirror())
    counts = job_counts(out.stdout)
    assert counts.get("sweep_shard", 0) == shards
    assert counts.get("sweep_image", 0) == (10 if shards else 0)
    assert ("results/sweep/test/classes.h5" in out.stdout) == bool(shards)
