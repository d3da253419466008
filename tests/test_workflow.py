"""The Snakemake workflow end to end: real data through the local-mirror setting."""

import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import ROOT, SHARED_DATA, needs_data

DEFAULT_SAMPLES = ["white"] + [f"digit{d}" for d in range(10)]


def snakemake(workdir, *args, check=True):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def workdir_with_config(tmp_path, edit=None):
    (tmp_path / "config").mkdir(parents=True)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    if edit:
        edit(cfg)
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return tmp_path


def job_counts(output):
    """The "Job stats" table of a snakemake run as {rule: count}."""
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    rows = (line.split() for line in table.splitlines()[3:])
    return {row[0]: int(row[1]) for row in rows if len(row) == 2}


def mirror():
    return f"local_mirror={SHARED_DATA}"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One complete run of the default config (the article's samples) on the real data."""
    if not (SHARED_DATA / "SHA256SUMS").is_file():
        pytest.skip(f"real MNIST and weights not found at {SHARED_DATA}")
    workdir = workdir_with_config(tmp_path_factory.mktemp("run"))
    snakemake(workdir, "--cores", "2", "--config", mirror())
    return workdir


def test_accuracy_file_is_the_books(run):
    assert (run / "results/network/accuracy.txt").read_text() == "Accuracy:0.9352\n"


def test_second_run_has_nothing_to_do(run):
    out = snakemake(run, "--cores", "2", "--config", mirror())
    assert "Nothing to be done" in out.stdout + out.stderr


def test_influence_files_hold_what_the_issue_lists(run, real_params):
    from pixel_influence import network

    for sample in DEFAULT_SAMPLES:
        with h5py.File(run / f"results/influence/{sample}.h5") as f:
            assert f.attrs["format_version"] == 1 and f.attrs["sample"] == sample
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
        for layer in ("z1", "z2", "a3", "z3"):
            with Image.open(run / f"results/images/{sample}/insertion/{layer}.png") as img:
                assert img.mode == "L"


def test_adding_a_sample_runs_only_its_jobs(run, tmp_path):
    png = tmp_path / "mine.png"
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[4:24, 13:15] = 255  # a "1"
    Image.fromarray(pixels, mode="L").save(png)
    cfg = yaml.safe_load((run / "config/config.yaml").read_text())
    cfg["samples"]["mine"] = {"png": str(png)}
    (run / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    try:
        dry = snakemake(run, "-n", "--cores", "2", "--config", mirror()).stdout
        assert job_counts(dry) == {"all": 1, "influence": 1, "montage": 1, "total": 3}, dry
        assert "results/influence/mine.h5" in dry
        snakemake(run, "--cores", "2", "--config", mirror())
        with h5py.File(run / "results/influence/mine.h5") as f:
            np.testing.assert_array_equal(f["image"][()], pixels / 255.0)
    finally:
        cfg["samples"].pop("mine")
        (run / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


@needs_data
@pytest.mark.parametrize("scale", ["node", "shared"])
def test_scale_options(tmp_path, scale):
    def edit(cfg):
        cfg["samples"] = {"white": {"fill": 1.0}, "digit7": {"split": "test", "index": 0}}
        cfg["layers"] = ["z3"]
        cfg["scale"] = scale

    workdir = workdir_with_config(tmp_path, edit)
    snakemake(workdir, "results/images/digit7.png", "--cores", "2", "--config", mirror())
    assert (workdir / "results/images/digit7.png").is_file()
    if scale == "shared":
        with (
            h5py.File(workdir / "results/images/shared_scale.h5") as f,
            h5py.File(workdir / "results/influence/white.h5") as w,
        ):
            # the white image moves z3 most, so it sets the shared scale
            assert f["insertion/z3"][()] == pytest.approx(np.abs(w["insertion/z3"][()]).max())


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.update(layers=["z1", "z9"]), "config.layers[1]: 'z9' is not one of"),
        (
            lambda c: c["samples"].update(digit8={"split": "test", "index": 10061}),
            "config.samples.digit8.index: 10061 is greater than the maximum of 9999",
        ),
        (
            lambda c: c["samples"].update(mine={"png": "no/such.png"}),
            "config.samples.mine.png: file 'no/such.png' does not exist",
        ),
    ],
)
def test_bad_config_is_rejected_before_any_job(tmp_path, edit, message):
    workdir = workdir_with_config(tmp_path, edit)
    out = snakemake(workdir, "--cores", "1", "--config", mirror(), check=False)
    assert out.returncode != 0
    assert message in out.stderr
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
    workdir = workdir_with_config(tmp_path)
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
        "mnist",
        "weights",
        "accuracy",
        "baseline",
        "influence",
        "montage",
    }
    assert out.count('label = "influence') == out.count('label = "montage') == 11


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
        (mirror_dir / name).symlink_to(SHARED_DATA / name)
    labels = SHARED_DATA / "mnist/t10k-labels-idx1-ubyte.gz"
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
