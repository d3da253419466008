"""The sweep of a network of the user's through Snakemake: a four-layer ReLU network from an
.npz, its classes.h5 laid out by its own layers with the per-class means a direct numpy
computation gives, and every class's pictures."""

import h5py
import numpy as np
from conftest import mirror, needs_data, snakemake, workdir_with_config
from PIL import Image

from pixel_influence import methods, network

pytestmark = needs_data

WIDTHS = (24, 16, 12, 10)  # 784-24-16-12-10: the node values a1 ... z4, z4 the classes
METHODS = ["insertion", "gradient_input"]
LAYERS = ["z1", "z2"]
PICTURES = ["mean", "std", "contrast"]
TARGETS = ["results/sweep/test/classes.h5"] + [
    f"results/sweep/test/images/{picture}/class{c}.png" for picture in PICTURES for c in range(10)
]


def relu_network():
    rng = np.random.default_rng(23)
    sizes = [784, *WIDTHS]
    arrays = {}
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        arrays[f"W{k}"] = rng.normal(0, 1.5 / np.sqrt(n_in), (n_in, n_out))
        arrays[f"b{k}"] = rng.normal(0, 0.1, n_out)
    return arrays


def test_the_sweep_of_a_relu_network(tmp_path, real_test_split):
    arrays = relu_network()

    def edit(cfg):
        cfg["network"] = {"npz": "net.npz", "activation": "relu"}
        cfg["samples"] = {"half": {"fill": 0.5}}  # not drawn: the targets are the sweep's
        cfg["methods"] = METHODS
        cfg["layers"] = LAYERS
        cfg["sweep"] = {
            "images": 1000,
            "shards": 2,
            "methods": METHODS,
            "layers": LAYERS,
            "pictures": PICTURES,
        }

    workdir = workdir_with_config(tmp_path, edit)
    np.savez(workdir / "net.npz", **arrays)
    snakemake(workdir, *TARGETS, "--cores", "2", "--config", mirror())

    params = network.check_network({**arrays, "activation": "relu"})
    images, labels = (a[:1000] for a in real_test_split)
    with h5py.File(workdir / TARGETS[0]) as f:
        assert list(f["value"]) == [
            f"{layer}_{stat}" for layer in network.layer_names(params) for stat in ("mean", "std")
        ]
        assert f["count"][()].tolist() == np.bincount(labels, minlength=10).tolist()
        predicted = network.forward(params, images.reshape(1000, -1) / 255.0)["z4"].argmax(1)
        assert np.trace(f["confusion"][()]) == int((predicted == labels).sum())
        assert f["confusion"].attrs["meaning"].endswith("argmax of z4)")
        assert "class_names" not in f.attrs  # the digits: no names
        for c in (2, 7):
            maps = [
                methods.compute(params, x / 255.0, np.zeros((28, 28)), LAYERS, METHODS)["maps"]
                for x in images[labels == c]
            ]
            for method in METHODS:
                for layer in LAYERS:
                    direct = np.mean([m[method][layer] for m in maps], axis=0)
                    got = f[f"{method}/{layer}_mean"][c]
                    assert got.shape == (WIDTHS[int(layer[1]) - 1], 28, 28)
                    np.testing.assert_allclose(got, direct, rtol=1e-5, atol=1e-9)
    for target in TARGETS[1:]:
        with Image.open(workdir / target) as img:
            label = int(target.rsplit("class", 1)[1].removesuffix(".png"))
            assert img.text["Title"].startswith(f"test split, label {label}: ")
            assert img.text["layer"] == "z1, z2" and img.text["method"] == ", ".join(METHODS)
