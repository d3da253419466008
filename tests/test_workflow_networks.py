"""A network of the user's through the whole workflow: an ONNX file exported as PyTorch
writes one (Flatten, Gemm with transB=1, Relu, Gemm, Softmax) and the same weights as an
.npz give the same maps, equal to the methods computed here from the arrays themselves;
the weights file states the network, the accuracy is the one numpy gives, the layers are
the network's own, and what cannot be read is refused before any job runs."""

import json

import h5py
import numpy as np
import pytest
import yaml
from conftest import DATA, mirror, needs_data, snakemake, workdir_with_config
from onnx import TensorProto, helper, numpy_helper

from pixel_influence import methods, mnist, network

pytestmark = needs_data

METHODS = ["insertion", "deeplift", "gradient_input"]
SAMPLES = {"digit7": {"split": "test", "index": 0}, "half": {"fill": 0.5}}


def _layers():
    rng = np.random.default_rng(17)
    w1 = rng.normal(0, 1 / 28, (784, 30)).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(30), (30, 10)).astype(np.float32)
    return w1, rng.normal(0, 0.1, 30).astype(np.float32), w2, np.zeros(10, np.float32)


def _onnx_bytes(w1, b1, w2, b2):
    """The file torch.onnx.export writes for Flatten -> Linear -> ReLU -> Linear -> Softmax:
    Linear's weight stored (out, in), read through transB=1."""
    inits = [
        numpy_helper.from_array(w1.T.copy(), "fc1.weight"),
        numpy_helper.from_array(b1, "fc1.bias"),
        numpy_helper.from_array(w2.T.copy(), "fc2.weight"),
        numpy_helper.from_array(b2, "fc2.bias"),
    ]
    nodes = [
        helper.make_node("Flatten", ["input"], ["flat"], name="/Flatten"),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h"], "/fc1/Gemm", transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="/Relu"),
        helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"], ["o"], "/fc2/Gemm", transB=1),
        helper.make_node("Softmax", ["o"], ["output"], name="/Softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(
        graph, producer_name="pytorch", opset_imports=[helper.make_opsetid("", 17)]
    )
    return model.SerializeToString()


def _edit(network_entry):
    def edit(cfg):
        cfg["network"] = network_entry
        cfg["samples"] = SAMPLES
        cfg["methods"] = METHODS
        cfg.pop("layers")  # the network's own default: z1, a2, z2
        cfg["methods_figure"] = {"nodes": {"z1": [0, 1, 2, 3, 4]}}  # z2 is its output
        cfg.pop("sweep")

    return edit


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    w1, b1, w2, b2 = _layers()
    out = {}
    for kind in ("onnx", "npz"):
        workdir = tmp_path_factory.mktemp(kind)
        if kind == "onnx":
            (workdir / "net.onnx").write_bytes(_onnx_bytes(w1, b1, w2, b2))
            entry = {"onnx": "net.onnx"}
        else:
            np.savez(workdir / "net.npz", W1=w1, b1=b1, W2=w2, b2=b2)
            entry = {"npz": "net.npz", "activation": "relu"}
        edit = _edit(entry)
        if kind == "onnx":  # and its pixel interactions, of the network's own layers

            def edit(cfg, edit=edit):
                edit(cfg)
                cfg["interactions"] = {"order": 2}

        workdir_with_config(workdir, edit)
        result = snakemake(workdir, "--cores", "2", "--config", mirror())
        out[kind] = workdir, result.stdout + result.stderr
    return out


def test_the_weights_file_states_the_users_network(runs):
    workdir, log = runs["onnx"]
    with h5py.File(workdir / "results/network/weights.h5") as f:
        assert f.attrs["architecture"] == "784-30-10"
        assert f.attrs["activation"] == "relu"
        assert f.attrs["layers"] == 2
        assert f.attrs["source"] == (
            "net.onnx (onnx file, 784-30-10, relu hidden layers, pytorch, ai.onnx 17)"
        )
        w1, b1, w2, b2 = _layers()
        np.testing.assert_array_equal(f["W1"][()], w1.astype(np.float64))
        np.testing.assert_array_equal(f["W2"][()], w2.astype(np.float64))
    page = (workdir / "results/explorer/index.html").read_text()  # the page of any network
    assert '"layers":["a1","z1","a2","z2"],"sizes":{"a1":30,"z1":30,"a2":10,"z2":10}' in page
    assert '"activation":"relu"' in page


def test_the_accuracy_is_what_numpy_gives(runs):
    w1, b1, w2, b2 = (a.astype(np.float64) for a in _layers())
    images, labels = mnist.read_split(
        DATA / "mnist/t10k-images-idx3-ubyte.gz", DATA / "mnist/t10k-labels-idx1-ubyte.gz"
    )
    x = images.reshape(-1, 784).astype(np.float32) / np.float32(255)
    logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    expected = float(np.mean(logits.argmax(axis=1) == labels))
    for workdir, _ in runs.values():
        text = (workdir / "results/network/accuracy.txt").read_text()
        assert text == f"Accuracy:{expected}\n"
        assert 0.05 < expected < 0.5  # a random network: no check against the book's 0.9352


def test_the_maps_are_the_networks_own_and_the_same_from_either_file(runs):
    w1, b1, w2, b2 = _layers()
    params = network.check_network({"W1": w1, "b1": b1, "W2": w2, "b2": b2, "activation": "relu"})
    digit = mnist.read_split(
        DATA / "mnist/t10k-images-idx3-ubyte.gz", DATA / "mnist/t10k-labels-idx1-ubyte.gz"
    )[0][0]
    images = {"digit7": digit.astype(np.float64) / 255, "half": np.full((28, 28), 0.5)}
    for sample, image in images.items():
        expected = methods.compute(params, image, np.zeros((28, 28)), ["z1", "a2", "z2"], METHODS)
        files = [h5py.File(w / f"results/influence/{sample}.h5") for w, _ in runs.values()]
        try:
            for f in files:
                assert [str(v) for v in f.attrs["layers"]] == ["z1", "a2", "z2"]
                assert list(f["value"]) == ["a1", "z1", "a2", "z2"]
                for method in METHODS:
                    for layer in ("z1", "a2", "z2"):
                        got = f[f"{method}/{layer}"][()]
                        want = expected["maps"][method][layer].astype(np.float32)
                        np.testing.assert_array_equal(got, want)
                assert "relu" in f["deeplift"].attrs["meaning"]
            for method in METHODS:
                np.testing.assert_array_equal(
                    files[0][f"{method}/z2"][()], files[1][f"{method}/z2"][()]
                )
        finally:
            for f in files:
                f.close()


def test_every_picture_and_table_is_drawn(runs):
    workdir, _ = runs["onnx"]
    for sample in SAMPLES:
        assert (workdir / f"results/images/{sample}.png").stat().st_size > 1000
        assert (workdir / f"results/images/{sample}/methods.png").is_file()
        for method in METHODS:
            for layer in ("z1", "a2", "z2"):
                assert (workdir / f"results/images/{sample}/{method}/{layer}.png").is_file()
    table = (workdir / "results/faithfulness.csv").read_text().splitlines()
    header = table[0].split(",")
    layers = {row.split(",")[header.index("layer")] for row in table[1:]}
    assert layers == {"z1", "a2", "z2"}
    rows = sum(1 for row in table[1:] if row.startswith("digit7,insertion,"))
    assert rows == 30 + 10 + 10  # every node of z1, a2 and z2
    assert (workdir / "results/images/digit7/interactions.png").is_file()
    summary = (workdir / "results/interactions_summary.csv").read_text().splitlines()
    assert {row.split(",")[0] for row in summary[1:]} == {"z1", "a2", "z2"}
    with h5py.File(workdir / "results/influence/digit7.h5") as f:
        assert [str(v) for v in f["interactions"].attrs["layers"]] == ["z1", "a2", "z2"]
        assert list(f["interactions"]) and "pair_node_z1" in f["interactions"]


def test_an_unsupported_onnx_network_is_refused_before_any_job(tmp_path):
    w1, b1, w2, b2 = _layers()
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
            helper.make_node("LeakyRelu", ["h"], ["y"], name="leaky"),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 784])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 30])],
        [numpy_helper.from_array(w1, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "net.onnx").write_bytes(model.SerializeToString())
    workdir = workdir_with_config(tmp_path, _edit({"onnx": "net.onnx"}))
    cfg = yaml.safe_load((workdir / "config/config.yaml").read_text())
    cfg["layers"] = ["z1", "z3"]
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(cfg))
    result = snakemake(workdir, "-n", "--config", mirror(), check=False)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "config.network.onnx: net.onnx: node 1 'leaky' is a LeakyRelu" in out
    assert not (workdir / "results").exists()


TRAIN = {"hidden": [20], "activation": "tanh", "optimizer": "adam", "epochs": 2, "seed": 3}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("train")

    def edit(cfg):
        _edit({"train": TRAIN})(cfg)
        cfg["methods"] = ["insertion"]
        cfg["samples"] = {"digit7": {"split": "test", "index": 0}}

    workdir_with_config(workdir, edit)
    snakemake(workdir, "--cores", "2", "--config", mirror())
    return workdir


def test_a_network_trained_by_the_pipeline(trained):
    weights = trained / "results/network/weights.h5"
    with h5py.File(weights) as f:
        assert f.attrs["architecture"] == "784-20-10"
        assert f.attrs["activation"] == "tanh"
        assert f.attrs["source"] == (
            "trained by the pipeline: 784-20-10 tanh, he init, adam lr 0.001, batch 100, "
            "2 epochs, seed 3"
        )
        loss = f["training/loss"][()]
        test_accuracy = f["training/test_accuracy"][()]
        assert loss.shape == (2,) and loss[1] < loss[0]
        assert json.loads(f["training"].attrs["recipe"])["train"]["hidden"] == [20]
    # the accuracy job finds what the training measured after its last epoch
    text = (trained / "results/network/accuracy.txt").read_text()
    assert text == f"Accuracy:{test_accuracy[-1]}\n"
    assert test_accuracy[-1] > 0.85
    picture = trained / "results/network/training.png"
    assert picture.stat().st_size > 10_000
    with h5py.File(trained / "results/influence/digit7.h5") as f:
        assert [str(v) for v in f.attrs["layers"]] == ["z1", "a2", "z2"]
    # trained again from scratch: the same bytes
    before = weights.read_bytes(), picture.read_bytes()
    snakemake(trained, "--cores", "2", "--config", mirror(), "--forcerun", "train")
    assert (weights.read_bytes(), picture.read_bytes()) == before
