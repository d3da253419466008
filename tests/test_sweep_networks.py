"""The sweep of any network and any number of classes: random networks of several depths,
widths and activations, three or four named classes (or the ten digits), their exact
per-class sums against a brute-force reduction of ``methods.compute`` per image, the same
bits in any sharding, the class names in classes.h5, labels beyond the classes refused."""

import functools
import runpy
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import rewritten_h5
from PIL import Image

from pixel_influence import h5io, methods, network, resources, sweep
from pixel_influence.errors import InputError
from pixel_influence.render import canvas, montage

ROOT = Path(__file__).resolve().parents[1]

METHODS = ["insertion", "gradient_input", "deeplift", "occlusion"]
IMAGES = 620  # two blocks of 500, the last one short
SHARDED = 1050  # three blocks: 1 shard or 3
CASES = {
    # name: (widths, activation, class names (None: the ten digits), layers mapped)
    "relu-2": ((20, 3), "relu", ("cat", "dog", "bird"), ["z1", "a2", "z2"]),
    "tanh-4": ((16, 12, 8, 3), "tanh", ("T-shirt/top", "Trouser", "Pullover"), ["z1", "z3", "z4"]),
    "sigmoid-5": ((12, 9, 7, 5, 3), "sigmoid", ("o", "ki", "su"), ["a3", "a5", "z5"]),
    "identity-3": ((10, 6, 4), "identity", ("a", "b", "c", "d"), ["z2", "a3"]),
    "relu-digits": ((15, 10), "relu", None, ["z1", "z2"]),
}


def random_network(widths, activation, seed):
    """A dense network 784-widths of random weights (float64) with ``activation``."""
    rng = np.random.default_rng(seed)
    sizes = [784, *widths]
    params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        params[f"W{k}"] = rng.normal(0, 1.5 / np.sqrt(n_in), (n_in, n_out))
        params[f"b{k}"] = rng.normal(0, 0.2, n_out)
    params["activation"] = activation
    return network.check_network(params)


def digits(classes, seed, count=IMAGES):
    """``count`` sparse random 'digits' and labels of every class."""
    rng = np.random.default_rng(seed)
    shape = (count, 28, 28)
    images = ((rng.random(shape) < 0.15) * rng.integers(1, 256, shape)).astype(np.uint8)
    return images, rng.integers(0, classes, count)


@functools.cache
def make_case(name, count=IMAGES, with_results=True):
    """A case's network, ``count`` images, labels and (``with_results``) the per-image
    results of ``methods.compute``."""
    widths, activation, names, layers = CASES[name]
    seed = list(CASES).index(name)
    params = random_network(widths, activation, seed)
    images, labels = digits(sweep.class_count(names), seed + 100, count)
    zero = np.zeros((28, 28))
    results = None
    if with_results:
        results = [methods.compute(params, x / 255.0, zero, layers, METHODS) for x in images]
    return {
        "params": params,
        "names": names,
        "layers": layers,
        "images": images,
        "labels": labels,
        "results": results,
    }


@pytest.fixture(params=list(CASES))
def case(request):
    return make_case(request.param)


_sums = {}


def shard_sums(case, start, stop):
    """The sums of images [start, stop) of a case (computed once per case and range)."""
    key = (id(case), start, stop)
    if key not in _sums:
        _sums[key] = sweep.shard_sums(
            case["params"],
            case["images"][start:stop],
            case["labels"][start:stop],
            np.zeros((28, 28)),
            case["layers"],
            METHODS,
            first=start,
            class_names=case["names"],
        )
    return _sums[key]


def per_image(case, key, result, x):
    """One image's contribution to statistic ``key`` in numpy: the maps as (pixel, node)
    with the layers' nodes side by side, the node values of every layer in order."""
    layers = case["layers"]
    if key == "image":
        return x.reshape(-1)
    if key == "value":
        return np.concatenate(
            [result["value"][layer] for layer in network.layer_names(case["params"])]
        )
    method, what = key.split("/")
    if what == "maps":
        maps = result["maps"][method]
        return np.concatenate([maps[layer].reshape(len(maps[layer]), -1) for layer in layers]).T
    return np.concatenate([result["residuals"][method][layer] for layer in layers])


def brute_force_sums(case, key, square=False):
    """Exact per-class sums of ``key``, brute force: the float64 sum over each block's images
    of a class in image order, rounded to the 2**-62 grid, the blocks added as Python
    integers and the total correctly rounded to float64 (the sweep's definition)."""
    classes, count = sweep.class_count(case["names"]), len(case["images"])
    total = None
    for b0 in range(0, count, sweep.BLOCK):
        block = None
        for i in range(b0, min(b0 + sweep.BLOCK, count)):
            v = per_image(case, key, case["results"][i], case["images"][i] / 255.0)
            if block is None:
                block = np.zeros((classes,) + v.shape)
            block[case["labels"][i]] += v * v if square else v
        units = [int(u) for u in np.rint(block * 2.0**62).ravel()]
        total = units if total is None else [a + b for a, b in zip(total, units, strict=True)]
    return np.array([u / 2**62 for u in total]).reshape(block.shape)


def test_the_exact_sums_are_the_brute_force_reduction(case):
    """Every statistic's exact per-class sum (and the squares' of the maps of one method)
    is bit for bit the brute-force reduction; the counts and the confusion matrix are the
    labels' and the network's own predictions."""
    sums = shard_sums(case, 0, IMAGES)
    params, labels = case["params"], case["labels"]
    classes = sweep.class_count(case["names"])
    sizes = network.layer_sizes(params)
    assert sums.sizes == sizes and list(sums.sizes) == list(network.layer_names(params))
    assert sums.activation == network.activation_of(params)
    assert sums.count.tolist() == np.bincount(labels, minlength=classes).tolist()
    output = network.output_layers(params)[1]
    predicted = [int(np.argmax(r["value"][output])) for r in case["results"]]
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    np.testing.assert_array_equal(sums.confusion, confusion)
    nodes = sum(sizes[layer] for layer in case["layers"])
    assert sums.shapes["insertion/maps"] == (784, nodes)
    assert sums.shapes["value"] == (sum(sizes.values()),)
    for key in sums.shapes:
        want = brute_force_sums(case, key)
        assert want.shape == (classes,) + sums.shapes[key]
        np.testing.assert_array_equal(sums.sum[key].value(), want, err_msg=key)
    np.testing.assert_array_equal(
        sums.sumsq["deeplift/maps"].value(), brute_force_sums(case, "deeplift/maps", True)
    )


def test_the_class_statistics_in_classes_h5(case, tmp_path):
    """classes.h5 (float64) holds the brute-force sums over the counts as its means, laid
    out by the network's layers; the class names as a root attribute only when given."""
    sums = shard_sums(case, 0, IMAGES)
    params, layers, names = case["params"], case["layers"], case["names"]
    path = tmp_path / "classes.h5"
    h5io.write_classes(path, sums, layers, METHODS, provenance(), "float64", class_names=names)
    count = np.bincount(case["labels"], minlength=sweep.class_count(names))
    with h5py.File(path) as f:
        assert h5io.class_names_of(f) == names
        assert ("class_names" in f.attrs) == (names is not None)
        assert h5io.class_layers_of(f) == list(network.layer_names(params))
        value = brute_force_sums(case, "value")
        start = 0
        for layer, n in network.layer_sizes(params).items():
            want = value[:, start : start + n] / count[:, None]
            np.testing.assert_array_equal(h5io.class_values_of(f, layer)[()], want, err_msg=layer)
            start += n
        maps = brute_force_sums(case, "insertion/maps")  # (class, pixel, node)
        start = 0
        for layer in layers:
            n = network.layer_sizes(params)[layer]
            want = maps[:, :, start : start + n].transpose(0, 2, 1).reshape(-1, n, 28, 28)
            got = h5io.class_maps_of(f, "insertion", layer)[()]
            np.testing.assert_array_equal(got, want / count[:, None, None, None], err_msg=layer)
            start += n
        output = network.output_layers(params)[1]
        assert f["confusion"].attrs["meaning"].endswith(f"argmax of {output})")
        for layer in network.layer_names(params):
            assert f["value"][f"{layer}_mean"].attrs["meaning"] == (
                f"mean over the class of: f(x); {network.layer_meaning(layer, params)}"
            )
    picture = h5io.read_class(path, 1, METHODS, layers)
    assert picture["class_names"] == names
    assert picture["output_layers"] == network.output_layers(params)
    np.testing.assert_array_equal(picture["probabilities"], value[1, -len(count) :] / count[1])


def provenance(images=IMAGES):
    return {
        "split": "test",
        "images": images,
        "weights_sha256": "0" * 64,
        "baseline": "all-zero image",
        "config": "{}",
    }


@pytest.mark.parametrize("name", ["tanh-4", "identity-3"])  # each costs a pass of the images
def test_one_shard_or_three_give_the_same_bits(name, tmp_path):
    """Shards of 500, 500 and 50 images, merged through their files in any order, give
    the bytes of one shard of all 1,050."""
    case = make_case(name, SHARDED, with_results=False)
    written = []
    for cuts in ([(0, SHARDED)], [(500, 1000), (0, 500), (1000, SHARDED)]):
        paths = []
        for start, stop in cuts:
            paths.append(tmp_path / f"{len(cuts)}-{start}.h5")
            attrs = {
                **provenance(SHARDED),
                "first": start,
                "stop": stop,
                "layers": case["layers"],
                "methods": METHODS,
            }
            h5io.write_sweep_shard(paths[-1], shard_sums(case, start, stop), attrs)
        out = tmp_path / f"classes-{len(cuts)}.h5"
        with h5io.merged_sweep_shards(paths) as merged:
            assert merged.sizes == network.layer_sizes(case["params"])
            h5io.write_classes(
                out, merged, case["layers"], METHODS, provenance(SHARDED), class_names=case["names"]
            )
        written.append(out.read_bytes())
    assert written[0] == written[1]
    merged = shard_sums(case, 0, 500)
    for start, stop in ((500, 1000), (1000, SHARDED)):
        part = shard_sums(case, start, stop)
        merged = sweep.Sums(merged.shapes, len(merged.count), merged.sizes).merge(merged)
        merged.merge(part)
    whole = shard_sums(case, 0, SHARDED)
    for key in whole.shapes:
        np.testing.assert_array_equal(merged.sum[key].value(), whole.sum[key].value())


def test_class_names_round_trip_and_must_match_the_classes(tmp_path):
    widths, activation, names, layers = CASES["relu-2"]
    params = random_network(widths, activation, 0)
    images, labels = digits(3, 7)
    sums = sweep.shard_sums(
        params,
        images[:20],
        labels[:20],
        np.zeros((28, 28)),
        layers,
        METHODS[:1],
        class_names=names,
    )
    for given in (names, list(names), None):
        path = tmp_path / "classes.h5"
        h5io.write_classes(path, sums, layers, METHODS[:1], provenance(), class_names=given)
        with h5io.open_checked(path) as f:
            got = h5io.class_names_of(f)
        assert got == (None if given is None else tuple(names))
        assert got is None or all(type(name) is str for name in got)
    with pytest.raises(InputError, match="2 class names for the 3 classes"):
        h5io.write_classes(path, sums, layers, METHODS[:1], provenance(), class_names=names[:2])
    with pytest.raises(InputError, match="no class 3: it has classes 0 to 2"):
        h5io.read_class(path, 3, METHODS[:1], layers)


def test_a_label_beyond_the_classes_is_refused_with_its_image():
    widths, activation, names, layers = CASES["relu-2"]
    params = random_network(widths, activation, 0)
    images, labels = digits(3, 7)
    labels = labels.copy()
    labels[7] = 3
    with pytest.raises(InputError, match=r"image 507 has label 3, but the dataset has 3 classes"):
        sweep.shard_sums(
            params,
            images[:500],
            labels[:500],
            np.zeros((28, 28)),
            layers,
            METHODS[:1],
            first=500,
            class_names=names,
        )
    labels[7] = -1
    with pytest.raises(InputError, match=r"image 7 has label -1, .* \(labels 0 to 2\)"):
        sweep.shard_sums(
            params,
            images[:10],
            labels[:10],
            np.zeros((28, 28)),
            layers,
            METHODS[:1],
            class_names=names,
        )
    # the ten digits by default: label 3 is fine, label 10 is not
    digits_params = random_network((15, 10), "relu", 1)
    labels[7] = 10
    with pytest.raises(InputError, match="image 7 has label 10, but the dataset has 10 classes"):
        sweep.shard_sums(
            digits_params, images[:10], labels[:10], np.zeros((28, 28)), ["z2"], ["insertion"]
        )


def test_the_output_layer_must_have_a_node_per_class():
    params = random_network((20, 3), "relu", 0)
    images, labels = digits(3, 7)
    with pytest.raises(InputError, match="output layer z2 has 3 nodes, but the dataset has 10"):
        sweep.shard_sums(params, images[:5], labels[:5], np.zeros((28, 28)), ["z2"], ["insertion"])
    with pytest.raises(InputError, match="layer 'z3' is not a layer of the network"):
        sweep.shard_sums(
            params,
            images[:5],
            labels[:5],
            np.zeros((28, 28)),
            ["z3"],
            ["insertion"],
            class_names=("a", "b", "c"),
        )


class Named(list):
    """A list with named items, as Snakemake gives a script its input, output and params."""

    def __init__(self, items=(), **named):
        super().__init__(items)
        self.__dict__.update(named)


def run_script(name, **smk):
    runpy.run_path(
        str(ROOT / "workflow" / "scripts" / f"{name}.py"), init_globals={"snakemake": Named(**smk)}
    )


@pytest.mark.parametrize("scale", ["layer", "shared"])
def test_the_scripts_name_the_classes(tmp_path, scale):
    """sweep_classes writes the config's class names into classes.h5; sweep_image titles
    each class by its name and label and labels the output layer's panels with the names;
    a classes.h5 of other names is refused, naming both."""
    case = make_case("relu-2")
    names, layers = case["names"], case["layers"]
    shard = tmp_path / "0.h5"
    attrs = {**provenance(), "first": 0, "stop": IMAGES, "layers": layers, "methods": METHODS}
    attrs["config"] = sweep.provenance({"split": "test", **attrs}, {}, IMAGES)
    h5io.write_sweep_shard(shard, shard_sums(case, 0, IMAGES), attrs)
    classes = tmp_path / "classes.h5"
    log = [str(tmp_path / "log")]
    params = Named(dtype="float32", expected=None, class_names=list(names))
    run_script(
        "sweep_classes", input=Named([str(shard)]), output=[str(classes)], params=params, log=log
    )
    with h5io.open_checked(classes) as f:
        assert h5io.class_names_of(f) == names
        counts = h5io.class_counts(f)[()]
        right = np.diag(h5io.confusion_of(f)[()])
    pictures = [str(tmp_path / f"class{label}.png") for label in range(3)]
    draw = dict(layers=layers, methods=METHODS[:2], scale=scale, zoom=1, colormap="gray")
    draw |= dict(overlay=False, expected=None)
    run_script(
        "sweep_image",
        input=Named([str(classes)]),
        output=Named(pictures),
        params=Named(**draw, class_names=list(names)),
        wildcards=Named(picture="mean"),
        log=log,
    )
    for label, path in enumerate(pictures):
        with Image.open(path) as img:
            share = right[label] / counts[label]
            assert img.text["Title"] == (
                f"test split, class {names[label]} (label {label}): mean over {counts[label]:,} "
                f"images ({share:.1%} predicted {names[label]}); input = the class's mean image"
            )
            assert img.text["sample"].startswith(
                f"test split, class {names[label]} (label {label}), "
            )
            width = img.size[0]
    # the names label the output layer z2's panels: wider than the digits' labels would be
    data = h5io.read_class(classes, 0, METHODS[:2], layers)
    style = canvas.MapStyle(1)
    maps = {m: {layer: data["maps"][m][layer] for layer in layers} for m in METHODS[:2]}
    scales = {m: dict.fromkeys(layers, 1.0) for m in METHODS[:2]}
    title = img.text["Title"]
    note = "one scale per layer, shared by the 3 classes" if scale == "shared" else None
    layout = montage.montage_layout(
        style,
        maps,
        scales,
        title,
        scale,
        True,
        scale_note=note,
        output_layers=("a2", "z2"),
        class_names=names,
    )
    assert width == layout.width
    (block,) = [b for b in layout.sections[0].blocks if b.layer == "z2"]
    assert block.labels == names
    with pytest.raises(SystemExit):
        run_script(
            "sweep_image",
            input=Named([str(classes)]),
            output=Named(pictures),
            params=Named(**draw, class_names=["x", "y", "z"]),
            wildcards=Named(picture="mean"),
            log=log,
        )
    assert (
        "its class names ('cat', 'dog', 'bird') are not the dataset's ('x', 'y', 'z')"
        in (tmp_path / "log").read_text()
    )


def test_a_shard_that_does_not_say_its_network_is_refused(tmp_path):
    """A shard whose /value lacks the network's layers (an older version's) is refused with
    the attribute and the command that re-creates it."""
    case = make_case("relu-2")
    shard = tmp_path / "0.h5"
    attrs = {**provenance(), "first": 0, "stop": IMAGES, "layers": case["layers"]}
    h5io.write_sweep_shard(shard, shard_sums(case, 0, IMAGES), {**attrs, "methods": METHODS})
    with h5py.File(shard) as f:
        network_attrs = f["value"].attrs
        assert sorted(network_attrs) == ["activation", "layers", "nodes"]
        assert [str(layer) for layer in network_attrs["layers"]] == ["a1", "z1", "a2", "z2"]
        assert network_attrs["nodes"].tolist() == [20, 20, 3, 3]
        assert network_attrs["activation"] == "relu"
    with rewritten_h5(shard) as f:
        del f["value"].attrs["nodes"]
    with pytest.raises(InputError, match=r"0.h5: its /value does not say the network's nodes"):
        with h5io.merged_sweep_shards([shard]):
            pass


def test_the_sweep_jobs_declare_resources_for_any_network():
    """The book's sizes, given or left out, give the measured declarations; a network's own
    layers (z4 of a five-layer one) are counted by its sizes, a wider one asks for more, and
    more classes mean more sums to hold."""
    book, deep, wide = dict(network.LAYER_SIZES), resources.DEEP, resources.WIDE
    layers, deep_layers = ["z1", "z2", "a3", "z3"], ["z1", "z4", "a5", "z5"]
    methods_ = ["insertion", "occlusion", "gradient_input", "deeplift"]

    def memory(layers, sizes=book, classes=10):
        return resources.sweep_memory_mb(layers, methods_, {}, "test", None, 4, sizes, classes)

    assert memory(layers) == resources.sweep_memory_mb(layers, methods_, {}, "test", None, 4)
    runtime = resources.sweep_runtime_min("test", None, methods_, 4, {})
    assert resources.sweep_runtime_min("test", None, methods_, 4, {}, book) == runtime
    assert resources.sweep_classes_mem_mb(layers, 4, book, 10) == (
        resources.sweep_classes_mem_mb(layers, 4)
    )
    assert resources.sweep_image_mem_mb(2, layers, 4, False, book) == (
        resources.sweep_image_mem_mb(2, layers, 4)
    )
    with pytest.raises(InputError, match="layer 'z4' is not a layer of the network"):
        memory(deep_layers)
    assert memory(deep_layers, deep) < memory(deep_layers, deep, classes=40)
    assert memory(layers) < memory(layers, wide)
    assert runtime < resources.sweep_runtime_min("test", None, methods_, 4, {}, wide)
    assert resources.sweep_classes_mem_mb(layers, 4) < resources.sweep_classes_mem_mb(
        layers, 4, wide
    )
    assert resources.sweep_image_mem_mb(2, layers, 4) < resources.sweep_image_mem_mb(
        2, layers, 4, False, wide
    )
