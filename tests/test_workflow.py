"""The Snakemake workflow end to end: real data through the local-mirror setting."""

import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import yaml
from conftest import (
    DATA,
    ROOT,
    job_counts,
    mirror,
    needs_data,
    output_files,
    snakemake,
    workdir_with_config,
)
from PIL import Image

from pixel_influence import samples
from pixel_influence.render import shading

DEFAULT_SAMPLES = ["white"] + [f"digit{d}" for d in range(10)]
METHODS = [
    "insertion",
    "occlusion",
    "gradient_input",
    "integrated_gradients",
    "deeplift",
    "shapley_sampling",
]
LAYERS = ["z1", "z2", "a3", "z3"]


@pytest.fixture
def run(default_run):
    """One complete run of the default config on the real data (conftest.default_run, one
    run for the whole session)."""
    return default_run


def test_accuracy_file_is_the_books(run):
    assert (run / "results/network/accuracy.txt").read_text() == "Accuracy:0.9352\n"


def test_a_second_folder_gives_the_same_bytes(run, cluster_run):
    """Byte reproducibility: no timestamps, paths or host names inside any output. The
    second folder is the run through the local-cluster profile (tests/test_workflow_cluster.py)."""
    other, _ = cluster_run
    first, second = output_files(run), output_files(other)
    assert sorted(first) == sorted(second)
    assert sum(name.endswith((".h5", ".png")) for name in first) > 100
    assert "results/sweep/test/classes.h5" in first
    assert [name for name in first if first[name] != second[name]] == []
    for name, data in second.items():
        assert str(other).encode() not in data and str(other.parent).encode() not in data, name
    with h5py.File(other / "results/influence/digit3.h5") as f:
        provenance = yaml.safe_load(f.attrs["config"])
    assert provenance["sample"] == {"split": "test", "index": 18}
    assert provenance["method_parameters"]["shapley_sampling"] == {"permutations": 256, "seed": 0}


def test_second_run_has_nothing_to_do(run):
    out = snakemake(run, "--cores", "2", "--config", mirror())
    assert "Nothing to be done" in out.stdout + out.stderr


def test_influence_files_hold_what_the_issue_lists(run, real_params):
    from pixel_influence import network

    for sample in DEFAULT_SAMPLES:
        with h5py.File(run / f"results/influence/{sample}.h5") as f:
            assert f.attrs["format_version"] == 3 and f.attrs["sample"] == sample
            assert f.attrs["software"].startswith("pixel_influence ")
            x = f["image"][()].reshape(-1)
            value = network.forward(real_params, x)
            zero = network.forward(real_params, np.zeros(784))
            for layer in ("z1", "z2", "a3", "z3"):
                maps = f["insertion"][layer]
                assert maps.shape == (network.LAYER_SIZES[layer], 28, 28)
                assert maps.dtype == np.float32
                assert {"meaning", "axes", "units", "baseline"} <= set(maps.attrs)
                np.testing.assert_allclose(f["value"][layer][()], value[layer], rtol=1e-12)
                np.testing.assert_allclose(f["baseline"][layer][()], zero[layer], rtol=1e-12)
                residual = f["insertion"][f"{layer}_residual"][()]
                total = maps[()].astype(np.float64).reshape(len(residual), -1).sum(axis=1)
                np.testing.assert_allclose(
                    residual, value[layer] - zero[layer] - total, rtol=0, atol=1e-5
                )
    with h5py.File(run / "results/network/baseline.h5") as f:
        # f(baseline) has one name in every file: /baseline/<layer> (format_version 3)
        assert "value" not in f and f.attrs["format_version"] == 3
        for layer in network.LAYERS:
            np.testing.assert_allclose(f["baseline"][layer][()], zero[layer], rtol=1e-12)
    with h5py.File(run / "results/influence/digit7.h5") as f:
        assert f.attrs["label"] == 7
        assert int(np.argmax(f["value"]["z3"][()])) == 7
    with h5py.File(run / "results/influence/white.h5") as f:
        assert np.all(f["image"][()] == 1.0)
        # the white image's z1 maps are the closed form sigmoid(W1 + b1) - sigmoid(b1)
        W1, b1 = real_params["W1"], real_params["b1"]
        sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
        expected = (sig(W1 + b1) - sig(b1)).T.reshape(50, 28, 28)
        np.testing.assert_allclose(f["insertion"]["z1"][()], expected, rtol=1e-6, atol=1e-9)


def test_every_method_is_stored_with_residual_parameters_and_stderr(run):
    with h5py.File(run / "results/influence/digit3.h5") as f:
        assert list(f.attrs["methods"]) == METHODS
        assert f["integrated_gradients"].attrs["points"] == 64
        assert f["shapley_sampling"].attrs["permutations"] == 256
        assert f["shapley_sampling"].attrs["seed"] == 0
        x = f["image"][()]
        for method in METHODS:
            for layer in LAYERS:
                maps = f[method][layer][()]
                assert maps.shape[1:] == (28, 28) and np.all(maps[:, x == 0] == 0)
                residual = np.abs(f[method][f"{layer}_residual"][()])
                if method in ("integrated_gradients", "deeplift", "shapley_sampling"):
                    assert residual.max() < 1e-12, (method, layer)
                else:
                    assert residual.max() > 1e-3, (method, layer)
        stderr = f["shapley_sampling/z3_stderr"][()]
        assert stderr.shape == (10, 28, 28) and np.all(stderr[:, x == 0] == 0)
        assert 0 < np.median(stderr[:, x > 0]) < np.abs(f["shapley_sampling/z3"][()]).max()
        assert "integrated_gradients/z3_stderr" not in f


def test_faithfulness_curves_run_from_f_x_to_f_baseline(run):
    for sample in ("white", "digit0", "digit8"):
        with h5py.File(run / f"results/influence/{sample}.h5") as f:
            g = f["faithfulness"]
            x = f["image"][()]
            m = int(np.sum(x != f["baseline_image"][()]))
            assert g.attrs["changed_pixels"] == m and g["fraction"].shape == (m + 1,)
            assert list(g) == ["fraction", *METHODS, "random"]
            for method in [*METHODS, "random"]:
                for layer in LAYERS:
                    value, base = f["value"][layer][()], f["baseline"][layer][()]
                    deletion = g[method][f"{layer}_deletion"][()]
                    insertion = g[method][f"{layer}_insertion"][()]
                    assert deletion.shape == insertion.shape == (value.size, m + 1)
                    for got, first, last in ((deletion, value, base), (insertion, base, value)):
                        np.testing.assert_allclose(got[:, 0], first, rtol=1e-6, atol=1e-6)
                        np.testing.assert_allclose(got[:, -1], last, rtol=1e-6, atol=1e-6)
                    assert g[method][f"{layer}_deletion_auc"].shape == (value.size,)


def test_faithfulness_table_matches_the_sample_files(run):
    import csv

    with open(run / "results/faithfulness.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "sample",
        "method",
        "layer",
        "node",
        "residual",
        "deletion_auc",
        "insertion_auc",
        "change",
        "deletion_auc_units",
        "insertion_auc_units",
        "deletion_auc_logit",
        "insertion_auc_logit",
    ]
    assert len(rows) == len(DEFAULT_SAMPLES) * (len(METHODS) + 1) * 170
    # the area in the node's own units is the normalised area times |change| (float32
    # curves: 3e-4 relative at worst); the logit area exists for the softmax layer only
    for r in rows:
        for kind in ("deletion", "insertion"):
            if r[f"{kind}_auc"] not in ("", "nan"):
                change = abs(float(r["change"]))  # the normalised area is written to 1e-6
                assert float(r[f"{kind}_auc_units"]) == pytest.approx(
                    float(r[f"{kind}_auc"]) * change, rel=1e-3, abs=1e-6 * (1 + change)
                )
            assert (r[f"{kind}_auc_logit"] != "") == (r["layer"] == "z3")
    picked = [r for r in rows if r["sample"] == "digit5" and r["layer"] == "z2"]
    with h5py.File(run / "results/influence/digit5.h5") as f:
        for r in picked[::37]:
            node, method = int(r["node"]), r["method"]
            area = f["faithfulness"][method]["z2_deletion_auc"][node]
            assert float(r["deletion_auc"]) == pytest.approx(area, abs=1e-6)
            if method != "random":
                expected = f[method]["z2_residual"][node]
                assert float(r["residual"]) == pytest.approx(expected, rel=1e-6, abs=1e-300)
    # a map ranks pixels better than chance: median deletion area below the random one
    for layer in LAYERS:
        median = {
            m: np.nanmedian(
                [float(r["deletion_auc"]) for r in rows if r["method"] == m and r["layer"] == layer]
            )
            for m in [*METHODS, "random"]
        }
        assert max(median[m] for m in METHODS) < median["random"] - 0.5, (layer, median)


def test_faithfulness_summary(run):
    import csv

    with open(run / "results/faithfulness_summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["layer"], r["method"]) for r in rows] == [
        (layer, method) for layer in LAYERS for method in [*METHODS, "random"]
    ]
    for layer in LAYERS:
        ranked = [r for r in rows if r["layer"] == layer and r["method"] != "random"]
        for kind in ("deletion", "insertion"):
            shares = [float(r[f"best_{kind}_share"]) for r in ranked]
            assert sum(shares) == pytest.approx(1.0, abs=3.1e-3)  # rounded to 3 decimals
    # at z1 every deterministic method ranks the pixels of a node alike (each map is a
    # monotone function of x_i W1[i, j]), so their areas are identical
    z1 = [r for r in rows if r["layer"] == "z1" and r["method"] in METHODS[:5]]
    assert len({(r["median_deletion_auc"], r["best_deletion_share"]) for r in z1}) == 1
    for r in rows:
        if r["method"] in ("integrated_gradients", "deeplift", "shapley_sampling"):
            assert float(r["median_abs_residual"]) < 1e-12


def test_default_digits_are_the_first_test_image_of_each_label(run):
    with h5py.File(run / "results/mnist/mnist.h5") as f:
        labels = f["test/labels"][()]
    for d in range(10):
        with h5py.File(run / f"results/influence/digit{d}.h5") as f:
            assert f.attrs["label"] == d
            assert yaml.safe_load(f.attrs["source"])["index"] == int(np.argmax(labels == d))


def test_pictures_exist_for_every_sample_and_layer(run):
    for sample in DEFAULT_SAMPLES:
        with Image.open(run / f"results/images/{sample}.png") as img:
            assert img.mode == "L" and img.size[0] > 1000
        for method in METHODS:
            for layer in LAYERS:
                with Image.open(run / f"results/images/{sample}/{method}/{layer}.png") as img:
                    assert img.mode == "L"
        with Image.open(run / f"results/images/{sample}/methods.png") as img:
            assert img.mode == "L" and img.size[1] > 6 * 56
    with Image.open(run / "results/faithfulness.png") as img:
        assert img.mode == "RGB" and img.size[1] > 4 * 150
        assert img.text["method"].split(", ")[:2] == METHODS[:2]


def test_pictures_say_what_they_show_in_their_metadata(run):
    """PNG text chunks: sample, method, layer and the scale with its numbers."""
    with h5py.File(run / "results/influence/digit3.h5") as f:
        largest = float(np.abs(f["deeplift/z2"][()]).max())
    with Image.open(run / "results/images/digit3/deeplift/z2.png") as img:
        text = img.text
    assert text["sample"] == "digit3" and text["method"] == "deeplift" and text["layer"] == "z2"
    assert text["scale"] == f"layer: deeplift z2 +-{shading.format_value(largest)}"
    assert text["Software"].startswith("pixel_influence ")
    assert text["Title"].startswith("digit3: test image #18, label 3")
    with Image.open(run / "results/images/digit3.png") as img:
        assert img.text["method"] == ", ".join(METHODS) and img.text["layer"] == ", ".join(LAYERS)
    with Image.open(run / "results/sweep/test/images/mean/class3.png") as img:
        assert img.text["sample"].startswith("test split, label 3, mean over ")
    with Image.open(run / "results/sweep/test/images/std/class3.png") as img:
        assert img.text["sample"].startswith("test split, label 3, spread of the maps: ")
        assert img.text["scale"].startswith("layer, one-sided from 0: insertion z1 +")
    with Image.open(run / "results/sweep/test/images/contrast/class3.png") as img:
        assert img.text["sample"].startswith("test split, label 3, what sets it apart: ")


def test_adding_a_sample_runs_only_its_jobs(run, tmp_path):
    png = tmp_path / "mine.png"
    pixels = np.full((90, 60), 255, dtype=np.uint8)
    pixels[10:80, 27:34] = 0  # a "1", dark on a light page of any size
    Image.fromarray(pixels).save(png)
    cfg = yaml.safe_load((run / "config/config.yaml").read_text())
    cfg["samples"]["mine"] = {"png": str(png)}
    (run / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    try:
        dry = snakemake(run, "-n", "--cores", "2", "--config", mirror()).stdout
        assert job_counts(dry) == {
            "all": 1,
            "explorer": 1,
            "faithfulness": 1,
            "influence": 1,
            "interactions_figure": 1,
            "interactions_summary": 1,  # a table over every sample, as faithfulness
            "methods_figure": 1,
            "montage": 1,
            "total": 8,
        }, dry
        assert "results/influence/mine.h5" in dry
        snakemake(run, "--cores", "2", "--config", mirror())
        with h5py.File(run / "results/influence/mine.h5") as f:
            # stored as preprocessed: MNIST's 28x28, white on black, 20 pixels high
            np.testing.assert_array_equal(f["image"][()], samples.png_image(png))
            assert f["image"].shape == (28, 28) and f["image"][14, 14] > 0.99
    finally:
        cfg["samples"].pop("mine")
        (run / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


@needs_data
@pytest.mark.parametrize("scale", ["node", "shared"])
def test_scale_options(tmp_path, scale):
    def edit(cfg):
        cfg["samples"] = {"white": {"fill": 1.0}, "digit7": {"split": "test", "index": 0}}
        cfg["layers"] = ["z3"]
        cfg["methods_figure"] = {"nodes": {}}
        cfg["scale"] = scale

    workdir = workdir_with_config(tmp_path, edit)
    targets = ["results/images/digit7.png", "results/images/digit7/methods.png"]
    snakemake(workdir, *targets, "--cores", "2", "--config", mirror())
    assert all((workdir / target).is_file() for target in targets)
    if scale == "shared":
        with (
            h5py.File(workdir / "results/images/shared_scale.h5") as f,
            h5py.File(workdir / "results/influence/white.h5") as w,
        ):
            # the white image moves z3 most, so it sets the shared scale
            for method in METHODS:
                largest = np.abs(w[f"{method}/z3"][()]).max()
                assert f[f"{method}/z3"][()] == pytest.approx(largest)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: c.update(layers=["z1", "z9"]),
            "config.layers[1]: 'z9' is not a layer of the network, whose layers are a1, z1,",
        ),
        (
            lambda c: c["samples"].update(digit8={"split": "test", "index": 10061}),
            "config.samples.digit8.index: 10061 is greater than the maximum of 9999",
        ),
        (
            lambda c: c["samples"].update(mine={"png": "no/such.png"}),
            "config.samples.mine.png: 'no/such.png' does not exist",
        ),
    ],
)
def test_bad_config_is_rejected_before_any_job(tmp_path, edit, message):
    workdir = workdir_with_config(tmp_path, edit)
    out = snakemake(workdir, "--cores", "1", "--config", mirror(), check=False)
    assert out.returncode != 0
    assert message in out.stderr
    assert not (workdir / "results").exists() and not (workdir / "resources").exists()


def test_a_sample_given_twice_is_rejected_before_any_job(tmp_path):
    workdir = workdir_with_config(tmp_path)
    path = workdir / "config/config.yaml"
    text = path.read_text().replace("samples:\n", "samples:\n  digit7: {fill: 0.5}\n", 1)
    path.write_text(text)
    out = snakemake(workdir, "--cores", "1", "--config", mirror(), check=False)
    assert out.returncode != 0
    assert "config.samples.digit7 is given twice (first at line 2)" in out.stderr
    assert not (workdir / "results").exists() and not (workdir / "resources").exists()


def test_lint_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "-s", str(ROOT / "Snakefile")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Congratulations" in out.stdout + out.stderr


def test_snakefmt_check_is_clean():
    snakefmt = shutil.which("snakefmt", path=str(sys.executable).rsplit("/", 1)[0])
    if snakefmt is None:
        pytest.skip("snakefmt is not installed")
    out = subprocess.run(
        [snakefmt, "--check", "Snakefile", "workflow/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_dag_shows_every_rule(tmp_path):
    workdir = workdir_with_config(tmp_path, interactions=True)
    out = snakemake(workdir, "--dag", "--config", mirror()).stdout
    assert out.startswith("digraph")
    labels = {
        line.split('label = "')[1].split('"')[0].split("\\n")[0]
        for line in out.splitlines()
        if 'label = "' in line
    }
    assert labels == {
        "all",
        "download",
        "explorer",
        "mnist",
        "weights",
        "accuracy",
        "baseline",
        "influence",
        "montage",
        "methods_figure",
        "faithfulness",
        "interactions_figure",
        "interactions_summary",
        "sweep_shard",
        "sweep_classes",
        "sweep_image",
    }
    assert out.count('label = "influence') == out.count('label = "montage') == 11
    assert out.count('label = "methods_figure') == out.count('label = "interactions_figure') == 11
    # a sweep_image job draws one picture kind for the ten classes
    assert out.count('label = "sweep_shard') == 2 and out.count('label = "sweep_image') == 3


@needs_data
def test_corrupted_mirror_file_and_wrong_accuracy_fail_clearly(tmp_path):
    mirror_dir = tmp_path / "mirror"
    for name in (
        "mnist/t10k-images-idx3-ubyte.gz",
        "mnist/train-images-idx3-ubyte.gz",
        "mnist/train-labels-idx1-ubyte.gz",
        "dlfs/sample_weight.pkl",
    ):
        (mirror_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (mirror_dir / name).symlink_to(DATA / name)
    labels = DATA / "mnist/t10k-labels-idx1-ubyte.gz"
    corrupted = bytearray(labels.read_bytes())
    corrupted[100] ^= 0xFF
    (mirror_dir / "mnist/t10k-labels-idx1-ubyte.gz").write_bytes(bytes(corrupted))
    workdir = workdir_with_config(tmp_path / "w")
    target = "results/network/accuracy.txt"
    out = snakemake(
        workdir, target, "--cores", "1", "--config", f"local_mirror={mirror_dir}", check=False
    )
    assert out.returncode != 0
    assert "t10k-labels-idx1-ubyte.gz (attempt 1): sha256" in out.stdout + out.stderr
    assert "differs from the expected f7ae60f9" in out.stdout + out.stderr
    assert not (workdir / "resources/mnist/t10k-labels-idx1-ubyte.gz").exists()
    assert not list((workdir / "resources/mnist").glob(".*"))  # no temporary left

    (mirror_dir / "mnist/t10k-labels-idx1-ubyte.gz").unlink()
    (mirror_dir / "mnist/t10k-labels-idx1-ubyte.gz").symlink_to(labels)
    out = snakemake(
        workdir,
        target,
        "--cores",
        "1",
        "--config",
        f"local_mirror={mirror_dir}",
        "expected_accuracy=0.99",
        check=False,
    )
    assert out.returncode != 0
    assert "accuracy 0.9352 on the test set differs from expected_accuracy 0.99" in out.stderr
    assert not (workdir / target).exists()


def rule_blocks():
    """{rule: its text} for every rule of workflow/rules/*.smk."""
    blocks = {}
    for path in sorted((ROOT / "workflow/rules").glob("*.smk")):
        for block in path.read_text().split("\nrule ")[1:]:
            name, body = block.split(":", 1)
            blocks[name.strip()] = body.split("\n\n\n")[0]
    return blocks


def test_every_rule_follows_the_catalog_conventions():
    """A log under logs/, a benchmark file, resources and the conda environment per rule;
    outputs under results/ (downloads under resources/)."""
    blocks = rule_blocks()
    assert len(blocks) >= 13
    for rule, body in blocks.items():
        for directive in ("log:", "benchmark:", "resources:", "conda:", "output:"):
            assert f"    {directive}" in body, (rule, directive)
        log = body.split("    log:\n", 1)[1].split("\n")[0].strip()
        assert log.startswith('"logs/'), (rule, log)
        bench = body.split("    benchmark:\n", 1)[1].split("\n")[0].strip()
        assert bench.startswith('"results/benchmarks/'), (rule, bench)
        section = re.split(r"\n    \w+:", body.split("    output:", 1)[1])[0]
        paths = [p for p in re.findall(r'"([^"]+/[^"]*)"', section) if not p.startswith("../")]
        if "DATASET_FILE" in section:  # the dataset's file, named in common.smk
            common = (ROOT / "workflow/rules/common.smk").read_text()
            paths.append(re.search(r'DATASET_FILE = f"([^"]+)"', common).group(1))
        assert paths, rule
        for path in paths:  # captions (../report/...) aside
            assert path.startswith(("results/", "resources/")), (rule, path)
