"""Every kind of HDF5 file the pipeline writes opens in xarray (``open_datatree`` with the
h5netcdf engine) without a warning, with named dimensions (never phony_dim_<n>) and
coordinates from the files' dimension scales, and with h5py's values."""

import warnings

import h5py
import numpy as np
import pytest
from test_inspect import LAYERS as SAMPLE_LAYERS  # test_inspect's sample file: z1, z3
from test_inspect import METHODS as SAMPLE_METHODS
from test_inspect import a_digit, write_sample

from pixel_influence import faithfulness, h5io, network, sweep
from pixel_influence.download import FILES, WEIGHTS
from pixel_influence.network import LAYER_SIZES, LAYERS

xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")

SWEEP_METHODS = ["insertion", "deeplift"]
CLASS_AXES = ("label", "predicted")


def open_tree(path):
    """The file as xarray opens it, any warning an error; loaded, then closed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            return tree.load()


def all_variables(tree):
    """{path: DataArray} of every variable (data and coordinates) in the tree."""
    out = {}
    for node in tree.subtree:
        for name, var in node.to_dataset(inherit=False).variables.items():
            out[f"{node.path.rstrip('/')}/{name}"] = var
    return out


def check_tree(path):
    """Open ``path`` with xarray and h5py: no phony dimensions, every dimension a
    coordinate 0..n-1 (or the curves' fractions), the values of every dataset equal."""
    tree = open_tree(path)
    variables = all_variables(tree)
    with h5py.File(path) as f:
        datasets = {}
        f.visititems(
            lambda name, obj: (
                datasets.__setitem__(f"/{name}", obj[()]) if isinstance(obj, h5py.Dataset) else None
            )
        )
        assert sorted(variables) == sorted(datasets)
        for name, var in variables.items():
            np.testing.assert_array_equal(var.values, datasets[name], err_msg=name)
    for node in tree.subtree:
        for dim in node.dataset.dims:
            assert not dim.startswith("phony_dim"), (node.path, dim)
            assert dim in node.coords, (node.path, dim)
            if dim != "fraction":
                np.testing.assert_array_equal(node.coords[dim].values, np.arange(node.sizes[dim]))
    return tree


def coordinates(da):
    return {dim: da.coords[dim].values.tolist() for dim in da.dims}


@pytest.fixture(scope="module")
def params(random_params):
    return {k: np.asarray(v, dtype=np.float32) for k, v in random_params.items()}


@pytest.fixture(scope="module")
def influence(tmp_path_factory, random_params):
    path = tmp_path_factory.mktemp("xarray") / "s.h5"
    write_sample(path, random_params)
    return path


@pytest.fixture(scope="module")
def sweep_files(tmp_path_factory, random_params):
    """Two shards of 40 sparse random images (four per class) and their classes.h5."""
    rng = np.random.default_rng(3)
    images = ((rng.random((40, 28, 28)) < 0.2) * rng.integers(1, 256, (40, 28, 28))).astype(
        np.uint8
    )
    labels = np.arange(40) % 10
    folder = tmp_path_factory.mktemp("xarray")
    common = {
        "split": "test",
        "images": 40,
        "weights_sha256": "0" * 64,
        "baseline": "all-zero image",
        "config": "{}",
    }
    shards = []
    for k, (first, stop) in enumerate([(0, 40)]):
        sums = sweep.shard_sums(
            random_params,
            images[first:stop],
            labels[first:stop],
            np.zeros((28, 28)),
            SAMPLE_LAYERS,
            SWEEP_METHODS,
            first=first,
        )
        shards.append(folder / f"shard{k}.h5")
        attrs = {
            **common,
            "first": first,
            "stop": stop,
            "shard": k,
            "shards": 1,
            "layers": SAMPLE_LAYERS,
            "methods": SWEEP_METHODS,
        }
        h5io.write_sweep_shard(shards[-1], sums, attrs)
    classes = folder / "classes.h5"
    with h5io.merged_sweep_shards(shards) as merged:
        h5io.write_classes(classes, merged, SAMPLE_LAYERS, SWEEP_METHODS, common)
    return shards, classes


def test_weights(tmp_path, params):
    path = tmp_path / "weights.h5"
    h5io.write_weights(path, params, FILES[WEIGHTS][1])
    tree = check_tree(path)
    assert tree["W1"].dims == ("pixel", "node_a1")
    assert tree["W2"].dims == ("node_z1", "node_a2")
    assert tree["W3"].dims == ("node_z2", "node_a3")
    assert [tree[b].dims for b in ("b1", "b2", "b3")] == [("node_a1",), ("node_a2",), ("node_a3",)]
    assert tree["pixel"].values.tolist() == list(range(784))
    # a1 = x @ W1 + b1, in named axes: the pixel axis is summed away
    x = xr.DataArray(a_digit().reshape(-1), dims="pixel")
    a1 = x.dot(tree["W1"].astype(np.float64)) + tree["b1"]
    np.testing.assert_allclose(a1.values, network.forward(params, a_digit().reshape(-1))["a1"])
    # and h5io still reads it
    np.testing.assert_array_equal(h5io.read_weights(path)[0]["W1"], params["W1"])


def test_mnist(tmp_path):
    rng = np.random.default_rng(1)
    splits = {
        split: (rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n))
        for split, n in (("train", 12), ("test", 7))
    }
    path = tmp_path / "mnist.h5"
    h5io.write_mnist(path, splits, dict(s.split() for s in h5io.mnist_sources()))
    tree = check_tree(path)
    for split, (images, labels) in splits.items():
        node = tree[split]
        assert node["images"].dims == ("image", "row", "col")
        assert node["labels"].dims == ("image",)
        assert coordinates(node["images"]) == {
            "image": list(range(len(labels))),
            "row": list(range(28)),
            "col": list(range(28)),
        }
        np.testing.assert_array_equal(node["images"].sel(image=3).values, images[3])


def test_baseline(tmp_path, random_params):
    zero = np.zeros((28, 28))
    values = network.forward(random_params, zero.reshape(-1))
    path = tmp_path / "baseline.h5"
    h5io.write_baseline(path, zero, values, "all-zero image", "0" * 64)
    tree = check_tree(path)
    assert tree["image"].dims == ("row", "col")
    for layer in LAYERS:
        assert tree["baseline"][layer].dims == (f"node_{layer}",)
        assert tree["baseline"][layer].sizes == {f"node_{layer}": LAYER_SIZES[layer]}


def test_influence(influence):
    tree = check_tree(influence)
    assert tree["image"].dims == ("row", "col")
    assert tree["baseline_image"].dims == ("row", "col")
    for layer in LAYERS:
        assert tree["value"][layer].dims == (f"node_{layer}",)
        assert tree["baseline"][layer].dims == (f"node_{layer}",)
    for method in SAMPLE_METHODS:
        for layer in SAMPLE_LAYERS:
            maps = tree[method][layer]
            assert maps.dims == (f"node_{layer}", "row", "col")
            assert coordinates(maps) == {
                f"node_{layer}": list(range(LAYER_SIZES[layer])),
                "row": list(range(28)),
                "col": list(range(28)),
            }
            assert tree[method][f"{layer}_residual"].dims == (f"node_{layer}",)
    assert tree["shapley_sampling"]["z3_stderr"].dims == ("node_z3", "row", "col")
    # what the maps promise: node 7 of z3 at pixel (row 9, col 15)
    with h5py.File(influence) as f:
        assert (
            tree["deeplift"]["z3"].sel(node_z3=7, row=9, col=15).item()
            == (f["deeplift/z3"][7, 9, 15])
        )


def test_influence_faithfulness(influence):
    tree = check_tree(influence)
    g = tree["faithfulness"]
    steps = int(g.attrs["changed_pixels"]) + 1
    assert g["fraction"].dims == ("fraction",)
    assert g["fraction"].values[0] == 0 and g["fraction"].values[-1] == 1
    for method in SAMPLE_METHODS + [faithfulness.RANDOM]:
        for layer in SAMPLE_LAYERS:
            for kind in faithfulness.CURVES:
                curve = g[method][f"{layer}_{kind}"]
                assert curve.dims == (f"node_{layer}", "fraction")
                assert curve.sizes["fraction"] == steps
                np.testing.assert_array_equal(curve.fraction.values, g["fraction"].values)
                assert g[method][f"{layer}_{kind}_auc"].dims == (f"node_{layer}",)


def test_sweep_shard(sweep_files):
    shards, _ = sweep_files
    tree = check_tree(shards[0])
    assert tree["count"].dims == ("class",)
    assert tree["confusion"].dims == CLASS_AXES
    assert tree["image"]["sum_hi"].dims == ("class", "pixel")
    assert tree["value"]["sum_lo"].dims == ("class", "node")
    assert tree["value"].sizes["node"] == sum(LAYER_SIZES.values())
    nodes = sum(LAYER_SIZES[layer] for layer in SAMPLE_LAYERS)
    for method in SWEEP_METHODS:
        assert tree[method]["maps"]["sumsq_hi"].dims == ("class", "pixel", "node")
        assert tree[method]["maps"]["sum_hi"].sizes == {"class": 10, "pixel": 784, "node": nodes}
        assert tree[method]["residual"]["sum_hi"].dims == ("class", "node")
    # and the shards still merge
    with h5io.merged_sweep_shards(shards) as merged:
        assert merged.confusion.sum() == 40


def test_classes(sweep_files):
    _, classes = sweep_files
    tree = check_tree(classes)
    confusion = tree["confusion"]
    assert confusion.dims == CLASS_AXES
    assert coordinates(confusion) == {"label": list(range(10)), "predicted": list(range(10))}
    assert "predicted class" in confusion.coords["predicted"].attrs["meaning"]
    assert "label" in confusion.coords["label"].attrs["meaning"]
    assert int(confusion.sum("predicted").sel(label=4)) == int(tree["count"].sel({"class": 4}))
    assert tree["count"].dims == ("class",)
    assert tree["image_mean"].dims == ("class", "row", "col")
    for layer in LAYERS:
        assert tree["value"][f"{layer}_mean"].dims == ("class", f"node_{layer}")
        assert tree["value"][f"{layer}_std"].dims == ("class", f"node_{layer}")
    for method in SWEEP_METHODS:
        for layer in SAMPLE_LAYERS:
            assert tree[method][f"{layer}_mean"].dims == ("class", f"node_{layer}", "row", "col")
            assert tree[method][f"{layer}_std"].dims == ("class", f"node_{layer}", "row", "col")
            contrast = tree[method][f"{layer}_contrast"]
            assert contrast.dims == ("class", f"node_{layer}", "row", "col")
            assert coordinates(contrast) == {
                "class": list(range(10)),
                f"node_{layer}": list(range(LAYER_SIZES[layer])),
                "row": list(range(28)),
                "col": list(range(28)),
            }
            assert contrast.attrs["units"] == f"change of {layer}"
            assert tree[method][f"{layer}_residual_mean"].dims == ("class", f"node_{layer}")
    # the contrast in named axes: class 4's mean map minus the mean over the 36 other images
    mean = tree["deeplift"]["z3_mean"].astype(np.float64)
    others = (mean * tree["count"]).drop_sel({"class": 4}).sum("class") / 36
    np.testing.assert_allclose(
        tree["deeplift"]["z3_contrast"].sel({"class": 4}),
        mean.sel({"class": 4}) - others,
        rtol=1e-5,
        atol=1e-7,
    )
    # the readers are unchanged: the right predictions of a class are the diagonal
    picture = h5io.read_class(classes, 4, SWEEP_METHODS, SAMPLE_LAYERS)
    assert picture["predicted_right"] == int(confusion.sel(label=4, predicted=4))


def test_shared_scale(tmp_path):
    path = tmp_path / "shared_scale.h5"
    scales = {("deeplift", "z3"): 0.5, ("insertion", "z3"): 0.25, ("deeplift", "z1"): 2.0}
    h5io.write_shared_scale(path, scales, ["results/influence/a.h5"])
    tree = check_tree(path)
    assert tree["deeplift"]["z3"].dims == ()
    assert tree["deeplift"]["z3"].item() == 0.5
