"""The pixel interactions end to end: the default run's /interactions groups against the
network recomputed from its own weights, its pictures, its summary table against the
residuals read back by hand, and a config without the section."""

import csv
import math

import h5py
import numpy as np
import pytest
import yaml
from conftest import TEST_INTERACTIONS, job_counts, mirror, snakemake, workdir_with_config
from PIL import Image

from pixel_influence import network

DEFAULT_SAMPLES = ["white"] + [f"digit{d}" for d in range(10)]
LAYERS = ["z1", "z2", "a3", "z3"]
ENDS = ["insertion", "occlusion"]


@pytest.fixture
def run(default_run):
    return default_run


def _v(params, image, pixels, layer):
    """f(x on ``pixels``, 0 elsewhere) - f(0), by one plain pass of the whole image."""
    inserted = np.zeros(784)
    inserted[pixels] = image[pixels]
    return network.forward(params, inserted)[layer] - network.forward(params, np.zeros(784))[layer]


def test_order_one_is_the_insertion_and_occlusion_maps(run):
    for sample in DEFAULT_SAMPLES:
        with h5py.File(run / f"results/influence/{sample}.h5") as f:
            for layer in LAYERS:
                for end in ENDS:
                    stored = f[f"interactions/{end}/{layer}_order1"][()]
                    assert np.array_equal(stored, f[f"{end}/{layer}"][()]), (sample, end, layer)
                r1 = f[f"interactions/insertion/{layer}_residuals"][:, 0]
                np.testing.assert_allclose(r1, f[f"insertion/{layer}_residual"][()], atol=1e-12)


def test_pair_terms_are_four_forward_passes_of_the_real_network(run, real_params):
    with h5py.File(run / "results/influence/digit7.h5") as f:
        image = f["image"][()].reshape(-1)
        g = f["interactions"]
        changed = g["changed"][()]
        assert np.array_equal(changed, np.flatnonzero(image))
        rng = np.random.default_rng(0)
        for a, b in rng.choice(len(changed), size=(12, 2), replace=False):
            i, j = changed[a], changed[b]
            for layer in ("z3", "a3", "z2"):
                want = (
                    _v(real_params, image, [i, j], layer)
                    - _v(real_params, image, [i], layer)
                    - _v(real_params, image, [j], layer)
                )
                nodes = g[f"pair_node_{layer}"][()]
                got = g[f"insertion/{layer}_pairs"][:, a, b]
                np.testing.assert_allclose(got, want[nodes], rtol=1e-5, atol=1e-7)
                assert np.array_equal(got, g[f"insertion/{layer}_pairs"][:, b, a])


def test_what_was_summed_and_what_was_skipped(run):
    with h5py.File(run / "results/influence/white.h5") as f:
        g = f["interactions"]
        assert g.attrs["changed_pixels"] == 784 and g.attrs["triples"] == 80_007_984
        assert not g.attrs["order3"]
        assert "80007984 triples" in g.attrs["order3_skipped"]
        assert (
            "306936 pairs of changed pixels > max_pairs 50000"
            == (g.attrs["shapley_interaction_skipped"])
        )
        assert "shapley_interaction" not in g
        assert np.isnan(g["occlusion/z2_residuals"][:, 2]).all()
    with h5py.File(run / "results/influence/digit7.h5") as f:
        g = f["interactions"]
        assert g.attrs["triples"] == math.comb(116, 3) <= TEST_INTERACTIONS["max_triples"]
        assert g.attrs["order3"]
        r = g["occlusion/z3_residuals"][()]
        assert r.shape == (10, 3) and np.isfinite(r).all()
        index, stderr = g["shapley_interaction/z3"][()], g["shapley_interaction/z3_stderr"][()]
        assert index.shape == stderr.shape == (10, 116, 116)
        off = ~np.eye(116, dtype=bool)
        assert (stderr[:, off] > 0).all() and np.isfinite(index).all()
        assert np.array_equal(index, index.transpose(0, 2, 1))
    with open(run / "logs/influence/white.log") as log:
        text = log.read()
    assert "raise interactions.max_triples" in text
    assert "raise interactions.shapley_interaction.max_pairs" in text


def test_the_summary_table_is_the_residuals_of_the_files(run):
    # other tests add samples to the shared run and take them out again: the table is
    # brought up to date with the config's samples first (nothing to do on its own)
    snakemake(run, "--cores", "2", "results/interactions_summary.csv", "--config", mirror())
    samples = yaml.safe_load((run / "config/config.yaml").read_text())["samples"]
    assert set(samples) >= set(DEFAULT_SAMPLES)
    files = [run / f"results/influence/{sample}.h5" for sample in samples]
    with open(run / "results/interactions_summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["layer"], r["end"]) for r in rows] == [(la, e) for la in LAYERS for e in ENDS]
    for row in rows:
        layer, end = row["layer"], row["end"]
        r = []
        for path in files:
            with h5py.File(path) as f:
                r.append(np.abs(f[f"interactions/{end}/{layer}_residuals"][()]))
        stack = np.concatenate(r)
        assert int(row["samples"]) == len(files) and int(row["nodes"]) == len(stack)
        for k in (1, 2):
            assert float(row[f"median_abs_r{k}"]) == pytest.approx(
                np.median(stack[:, k - 1]), rel=1e-5
            )
        assert float(row["pairs_explain"]) == pytest.approx(
            1 - stack[:, 1].sum() / stack[:, 0].sum(), rel=1e-5
        )
        with3 = [part for part in r if np.isfinite(part[:, 2]).all()]
        assert len(with3) >= 3  # digits 1, 4 and 7 are within max_triples, white is not
        assert int(row["samples_with_r3"]) == len(with3)
        with3 = np.concatenate(with3)
        assert float(row["triples_explain"]) == pytest.approx(
            1 - with3[:, 2].sum() / with3[:, 0].sum(), rel=1e-5
        )
    page = (run / "results/interactions_summary.html").read_text()
    assert rows[0]["median_abs_r1"] in page and "<table>" in page


def test_every_sample_has_its_picture(run):
    sizes = set()
    for sample in DEFAULT_SAMPLES:
        with Image.open(run / f"results/images/{sample}/interactions.png") as img:
            assert img.mode == "L"  # the default colours: gray, no overlay
            assert img.text["sample"] == sample
            assert "pixel interactions" in img.text["Title"]
            sizes.add(img.height)  # the width follows the longest text
    assert len(sizes) == 1  # the same rows for every sample: 20 output + 10 hidden nodes


def test_without_the_section_there_are_no_interaction_jobs(tmp_path):
    def edit(cfg):
        cfg["interactions"] = None

    workdir = workdir_with_config(tmp_path, edit, interactions=True)
    out = snakemake(workdir, "-n", "--config", mirror())
    counts = job_counts(out.stdout)
    assert "interactions_figure" not in counts and "interactions_summary" not in counts
    counts = job_counts(
        snakemake(
            workdir_with_config(tmp_path / "on", interactions=True), "-n", "--config", mirror()
        ).stdout
    )
    assert counts["interactions_figure"] == 11 and counts["interactions_summary"] == 1


def test_a_null_index_is_none_not_the_default(tmp_path):
    """interactions.shapley_interaction: null computes no index (Snakemake's validate would
    fill the section's defaults into null and fail; the config takes it out and back)."""

    def edit(cfg):
        cfg["samples"] = {"digit1": {"split": "test", "index": 2}}
        cfg["interactions"]["shapley_interaction"] = None
        cfg.pop("sweep")

    workdir = workdir_with_config(tmp_path, edit, interactions=True)
    snakemake(workdir, "--cores", "2", "results/influence/digit1.h5", "--config", mirror())
    with h5py.File(workdir / "results/influence/digit1.h5") as f:
        assert "shapley_interaction" not in f["interactions"]
        assert f["interactions"].attrs["shapley_interaction_skipped"] == "not asked for"
        assert f["interactions"].attrs["order3"]  # 41,664 triples
