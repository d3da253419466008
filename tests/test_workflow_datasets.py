"""Datasets through the whole workflow, their downloads served by a local HTTP server: a
user's own four IDX files given by URL and sha256 (synthetic bars of three classes) with a
network the pipeline trains on them; MNIST fetched over HTTP from its mirror setting as a
user without a local mirror gets it; and Fashion-MNIST from a mirror serving other files,
refused by its published checksum before anything is written."""

import hashlib

import h5py
import numpy as np
import pytest
from conftest import (
    DATA,
    http_server,
    needs_data,
    snakemake,
    workdir_with_config,
    write_idx_set,
)

from pixel_influence import datasets, h5io, methods, network

CLASSES = ["horizontal", "vertical", "diagonal"]


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _weights(workdir):
    """The trained network's parameters, read as the jobs read them."""
    path = workdir / "results/network/weights.h5"
    with h5py.File(path) as f:
        recipe = str(f.attrs["source_sha256"])
    return h5io.read_weights(path, recipe)[0]


@pytest.fixture(scope="module")
def bars_run(tmp_path_factory):
    """The bars dataset by URL, a 784-16-3 network trained on it, two samples, a sweep."""
    served = tmp_path_factory.mktemp("served")
    paths, arrays = write_idx_set(served, train=600, test=150, classes=3)
    workdir = tmp_path_factory.mktemp("bars")
    with http_server(served) as (base, asked):

        def edit(cfg):
            cfg["dataset"] = {
                "name": "bars",
                "classes": CLASSES,
                **{role: base + path.name for role, path in paths.items()},
                "sha256": {role: _sha256(path) for role, path in paths.items()},
            }
            cfg["network"] = {"train": {"hidden": [16], "epochs": 3, "learning_rate": 0.5}}
            cfg["samples"] = {"first": {"split": "test", "index": 0}, "half": {"fill": 0.5}}
            cfg["sample_selection"] = [{"split": "test", "label": 2, "first": 1}]
            cfg["methods"] = ["insertion", "deeplift"]
            cfg.pop("layers")  # the network's own: z1, a2, z2
            cfg["methods_figure"] = {"nodes": {"z1": [0, 1]}}
            cfg["sweep"] = {"split": "test", "images": None, "shards": 1, "methods": ["insertion"]}

        workdir_with_config(workdir, edit)
        result = snakemake(workdir, "--cores", "2")
        fetched = list(asked)
    return workdir, paths, arrays, fetched, result.stdout + result.stderr


def test_a_users_dataset_by_url_is_fetched_once_and_verified(bars_run):
    workdir, paths, arrays, fetched, _ = bars_run
    assert sorted(fetched) == sorted(f"/{p.name}" for p in paths.values())
    for path in paths.values():
        assert (workdir / "resources" / "bars" / path.name).read_bytes() == path.read_bytes()
    dataset_file = workdir / "results/bars/bars.h5"
    with h5py.File(dataset_file) as f:
        assert [str(n) for n in f.attrs["class_names"]] == CLASSES
        assert sorted(f.attrs["source_sha256"]) == sorted(
            f"{role} {_sha256(path)}" for role, path in paths.items()
        )
        for split, (images, labels) in arrays.items():
            np.testing.assert_array_equal(f[f"{split}/images"][()], images)
            np.testing.assert_array_equal(f[f"{split}/labels"][()], labels)


def test_the_network_is_trained_on_the_dataset_with_one_output_per_class(bars_run):
    workdir, _, arrays, _, log = bars_run
    history, _ = h5io.read_training(workdir / "results/network/weights.h5")
    params = _weights(workdir)
    assert network.layer_sizes(params)["z2"] == 3
    images, labels = arrays["test"]
    x = images.reshape(-1, 784).astype(np.float32) / np.float32(255)
    predicted = network.forward(params, x)["z2"].argmax(axis=1)
    accuracy = float(np.mean(predicted == labels))
    assert accuracy > 0.9  # bars are easy; three epochs learn them
    assert float(history["test_accuracy"][-1]) == pytest.approx(accuracy, abs=1e-12)
    text = (workdir / "results/network/accuracy.txt").read_text()
    assert text == f"Accuracy:{accuracy}\n"
    assert "784-16-3 relu" in log and "on bars" in (workdir / "logs/train/train.log").read_text()


def test_the_samples_are_the_datasets_images_named_by_class(bars_run):
    workdir, _, arrays, _, log = bars_run
    images, labels = arrays["test"]
    params = _weights(workdir)
    chosen = int(np.flatnonzero(labels == 2)[0])  # sample_selection: the first diagonal
    assert f"test-{chosen:05d}" in log
    for name, index in (("first", 0), (f"test-{chosen:05d}", chosen)):
        with h5py.File(workdir / f"results/influence/{name}.h5") as f:
            image = images[index].astype(np.float64) / 255
            np.testing.assert_array_equal(f["image"][()], image)
            label = CLASSES[labels[index]]
            assert f"label {labels[index]} {label}; predicted" in f.attrs["title"]
            expected = methods.compute(params, image, np.zeros((28, 28)), ["z2"], ["insertion"])
            np.testing.assert_array_equal(
                f["insertion/z2"][()], expected["maps"]["insertion"]["z2"].astype(np.float32)
            )
    for name in ("first", "half"):
        assert (workdir / f"results/images/{name}.png").stat().st_size > 1000
        assert (workdir / f"results/images/{name}/methods.png").is_file()


def test_the_sweep_has_a_class_per_name(bars_run):
    workdir, _, arrays, _, _ = bars_run
    classes = workdir / "results/sweep/test/classes.h5"
    with h5py.File(classes) as f:
        assert [str(n) for n in f.attrs["class_names"]] == CLASSES
    counts = np.bincount(arrays["test"][1], minlength=3)
    with h5py.File(classes) as f:
        np.testing.assert_array_equal(h5io.class_counts(f)[()], counts)
    for label in range(3):
        assert (workdir / f"results/sweep/test/images/mean/class{label}.png").is_file()
    assert not (workdir / "results/sweep/test/images/mean/class3.png").exists()


@needs_data
def test_mnist_is_downloaded_over_http_from_its_mirror_setting(tmp_path):
    """No local mirror: the download jobs fetch MNIST from config.mirrors (a local HTTP
    server of the real files) and the dataset file holds exactly their images."""
    with http_server(DATA / "mnist") as (base, asked):
        workdir = workdir_with_config(tmp_path, lambda cfg: cfg["mirrors"].update(mnist=[base]))
        snakemake(workdir, "--cores", "2", "results/mnist/mnist.h5")
    assert sorted(asked) == sorted("/" + n for n in datasets.FILE_NAMES.values())
    for name in datasets.FILE_NAMES.values():
        log = (workdir / f"logs/download/mnist/{name}.log").read_text()
        assert f"from {base}{name}" in log
    images, labels = h5io.read_mnist_split(workdir / "results/mnist/mnist.h5", "test")
    with h5py.File(workdir / "results/mnist/mnist.h5") as f:
        assert list(f.attrs["source_sha256"]) == h5io.mnist_sources()
    assert images.shape == (10000, 28, 28) and int(labels[0]) == 7


def test_a_known_dataset_from_a_mirror_with_other_files_is_refused(tmp_path):
    served = tmp_path / "served"
    paths, _ = write_idx_set(served, train=20, test=5)
    for role, path in paths.items():  # synthetic files under Fashion-MNIST's names
        path.rename(served / datasets.FILE_NAMES[role])
    with http_server(served) as (base, _):
        workdir = workdir_with_config(
            tmp_path / "run",
            lambda cfg: cfg.update(dataset="fashion-mnist", mirrors={"fashion-mnist": [base]}),
        )
        target = "results/fashion-mnist/fashion-mnist.h5"
        result = snakemake(workdir, "--cores", "1", "--keep-going", target, check=False)
    assert result.returncode != 0
    logs = "".join(p.read_text() for p in (workdir / "logs/download").rglob("*.log"))
    size = (served / "t10k-labels-idx1-ubyte.gz").stat().st_size
    assert f"t10k-labels-idx1-ubyte.gz (attempt 1): got {size} bytes, expected 5148" in logs
    assert "laid out as fashion-mnist/<file>.gz" in logs
    assert not list((workdir / "resources").rglob("*.gz"))  # nothing unverified kept
