"""The read/write pair of each file kind of the workflow: weights, MNIST, baseline, a
sample's influence (with its faithfulness curves), the shared scale, sweep shards and
classes. Every file is written and opened through ``hdf5`` (self-describing, sealed); the
numbers are computed elsewhere (``methods``, ``faithfulness``, ``sweep``): these functions
only lay them out and read them back, checking that a file holds what it is asked for.
"""

import zlib
from collections.abc import Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import h5py
import numpy as np

from . import datasets
from .datasets import MNIST
from .download import FILES, WEIGHTS
from .errors import InputError
from .faithfulness import CURVES, RANDOM
from .hdf5 import atomic_h5, describe_layers, describe_scales, open_checked, put, set_attrs
from .interactions import END_MEANING, ENDS
from .methods import METHOD_MEANING, method_meaning
from .network import (
    ACTIVATION,
    LAYER_MEANING,
    PARAM_MEANING,
    activation_of,
    check_network,
    check_params,
    depth,
    layer_meaning,
    layer_names,
    weight_keys,
)
from .samples import SPLIT_SIZES
from .sweep import SHARD_RERUN, Exact, check_shards, class_image, class_maps, class_values

__all__ = [
    "CLASS_PICTURES",
    "HISTORY_MEANING",
    "MergedShards",
    "TRAINING",
    "architecture",
    "area_of",
    "baseline_values_of",
    "changed_pixels_of",
    "class_contrast_of",
    "class_counts",
    "class_images_of",
    "class_layers_of",
    "class_maps_of",
    "class_names_of",
    "class_residuals_of",
    "class_std_of",
    "class_values_of",
    "confusion_of",
    "curve_of",
    "describe_weights",
    "expansion_of",
    "forward_text",
    "image_of",
    "influence_contents",
    "interactions_of",
    "layer_meanings",
    "map_index",
    "maps_of",
    "merged_sweep_shards",
    "dataset_sources",
    "mnist_sources",
    "network_layers_of",
    "open_interactions",
    "pair_node_layers",
    "pair_nodes_of",
    "param_dims",
    "param_meaning",
    "read_baseline",
    "read_class",
    "read_contents",
    "read_faithfulness",
    "read_influence",
    "read_interaction_residuals",
    "read_interactions",
    "read_mnist_image",
    "read_mnist_images",
    "read_mnist_range",
    "read_mnist_split",
    "read_shared_scale",
    "read_training",
    "read_weights",
    "residuals_of",
    "values_of",
    "write_baseline",
    "write_classes",
    "write_influence",
    "write_mnist",
    "write_shared_scale",
    "write_sweep_shard",
    "write_values",
    "write_weights",
]

MNIST_SOURCES = [name for name in FILES if name.startswith("mnist/")]


# ---- where each quantity lies -----------------------------------------------------------
# The paths of a sample's influence file and of a sweep's classes.h5 are named here once,
# for the readers below and for ``inspection``. Each accessor takes an open file (as
# ``hdf5.open_checked`` yields it) and returns the dataset, unread: a reader takes
# ``[()]`` or one class's ``[label]``; a path that is not there is a KeyError naming it.

IMAGE, VALUES, BASELINE, FAITHFULNESS = "image", "value", "baseline", "faithfulness"
INTERACTIONS, SHAPLEY_INTERACTION = "interactions", "shapley_interaction"
PAIR_NODE = "pair_node_"  # /interactions/pair_node_<layer>: the nodes with pair matrices
EXPANSION_MAPS = ("order1", "order2", "pair_strength")
COUNT, CONFUSION = "count", "confusion"
SAMPLE_MAPS, CLASS_MAPS = "sample", "classes"  # the two kinds of files with maps


def _mean(name):
    """The dataset of the class means of ``name`` in a classes.h5 (``_put_moments``)."""
    return f"{name}_mean"


def _residual(layer):
    return f"{layer}_residual"


def _curve(layer, kind):
    return f"{layer}_{kind}"


def _area(layer, kind):
    return f"{_curve(layer, kind)}_auc"


def _at(f, path):
    """``f[path]``, opened directly: h5py's lookup makes a File object to find the mode,
    which cost more than reading a small dataset."""
    try:
        oid = h5py.h5o.open(f.id, path.encode("utf-8"))
    except KeyError:
        raise KeyError(f"no /{path}") from None
    if isinstance(oid, h5py.h5d.DatasetID):
        return h5py.Dataset(oid)
    if isinstance(oid, h5py.h5g.GroupID):
        return h5py.Group(oid)
    return f[path]


def influence_contents(f):
    """{"methods": [...], "layers": [...]}: the maps a sample's influence file or a sweep's
    classes.h5 holds, as its root attributes say."""
    return {key: [str(v) for v in f.attrs[key]] for key in ("methods", "layers")}


def read_contents(path):
    """``influence_contents`` of the file at ``path``: the methods and layers it has maps of."""
    with open_checked(path) as f:
        return influence_contents(f)


def describe_weights(path):
    """A network in a few words from its weights file: "784-50-100-10, sigmoid"."""
    with open_checked(path) as f:
        return f"{f.attrs['architecture']}, {f.attrs.get(ACTIVATION, 'sigmoid')}"


def network_layers_of(f):
    """The network's layers a1, z1, ..., aL, zL in order, as a sample's influence file
    names its node values (/value/<layer>, written in the network's order)."""
    return [str(layer) for layer in _at(f, VALUES)]


def image_of(f):
    """/image (row, col): the input image of a sample, or the baseline image."""
    return _at(f, IMAGE)


def values_of(f, layer):
    """/value/<layer> (node): f(x)."""
    return _at(f, f"{VALUES}/{layer}")


def baseline_values_of(f, layer):
    """/baseline/<layer> (node): f(baseline)."""
    return _at(f, f"{BASELINE}/{layer}")


def maps_of(f, method, layer):
    """/<method>/<layer> (node, row, col): a sample's influence maps."""
    return _at(f, f"{method}/{layer}")


def residuals_of(f, method, layer):
    """/<method>/<layer>_residual (node)."""
    return _at(f, f"{method}/{_residual(layer)}")


def curve_of(f, method, layer, kind):
    """/faithfulness/<method>/<layer>_<kind> (node, step); ``kind`` one of ``CURVES``."""
    return _at(f, f"{FAITHFULNESS}/{method}/{_curve(layer, kind)}")


def area_of(f, method, layer, kind):
    """/faithfulness/<method>/<layer>_<kind>_auc (node): the area under that curve."""
    return _at(f, f"{FAITHFULNESS}/{method}/{_area(layer, kind)}")


def class_counts(f):
    """/count (class): images per class (label), in a classes.h5 or a sweep shard."""
    return _at(f, COUNT)


def confusion_of(f):
    """/confusion (label, predicted class): images per pair."""
    return _at(f, CONFUSION)


def class_images_of(f):
    """/image_mean (class, row, col)."""
    return _at(f, _mean(IMAGE))


def class_values_of(f, layer):
    """/value/<layer>_mean (class, node): the class means of f(x)."""
    return _at(f, f"{VALUES}/{_mean(layer)}")


def class_layers_of(f):
    """The network's layers a1, z1, ..., aL, zL in order, as a classes.h5 names the class
    means of its node values (/value/<layer>_mean, written in the network's order)."""
    suffix = _mean("")
    means = [str(name) for name in _at(f, VALUES)]
    return [name.removesuffix(suffix) for name in means if name.endswith(suffix)]


def class_maps_of(f, method, layer):
    """/<method>/<layer>_mean (class, node, row, col): the class mean maps."""
    return _at(f, f"{method}/{_mean(layer)}")


def class_std_of(f, method, layer):
    """/<method>/<layer>_std (class, node, row, col): the maps' standard deviation (ddof=1)
    over each class's images."""
    return _at(f, f"{method}/{layer}_std")


def class_contrast_of(f, method, layer):
    """/<method>/<layer>_contrast (class, node, row, col): each class's mean map minus the
    mean map over the images of every other class."""
    return _at(f, f"{method}/{layer}_contrast")


# the sweep's pictures (config ``sweep.pictures``): the datasets each one draws
CLASS_PICTURES = {"mean": class_maps_of, "std": class_std_of, "contrast": class_contrast_of}


def class_residuals_of(f, method, layer):
    """/<method>/<layer>_residual_mean (class, node)."""
    return _at(f, f"{method}/{_mean(_residual(layer))}")


CLASS_NAMES = "class_names"  # root attribute of a classes.h5, only when the classes are named


def class_names_of(f):
    """The root attribute ``class_names`` of a classes.h5 as a tuple of str (one name per
    class, in label order), or None when absent: the classes are the digits 0..9."""
    names = f.attrs.get(CLASS_NAMES)
    return None if names is None else tuple(str(name) for name in names)


def interactions_of(f):
    """/interactions: a sample's pixel interactions; its attributes hold the settings."""
    return _at(f, INTERACTIONS)


def changed_pixels_of(f):
    """/interactions/changed (changed): flat indices of the changed pixels, the axes of
    every pair matrix."""
    return _at(f, f"{INTERACTIONS}/changed")


def pair_nodes_of(f, layer):
    """/interactions/pair_node_<layer>: the nodes of ``layer`` with pair matrices."""
    return _at(f, f"{INTERACTIONS}/{PAIR_NODE}{layer}")


def pair_node_layers(f):
    """The layers of a sample's file that have pair matrices, in the file's order."""
    return [name[len(PAIR_NODE) :] for name in interactions_of(f) if name.startswith(PAIR_NODE)]


def expansion_of(f, end, layer, kind):
    """/interactions/<end>/<layer>_<kind>: ``kind`` order1, order2, pair_strength (node, row,
    col), residuals (node, order) or pairs (pair_node_<layer>, changed, partner)."""
    return _at(f, f"{INTERACTIONS}/{end}/{layer}_{kind}")


def map_index(f, text=str):
    """Where the influence maps of an open file lie, found from the file itself: ("sample"
    | "classes" | None, {method: {layer: path of the dataset}}), methods and layers in the
    order of the file. Maps are the numeric datasets with a ``layer`` attribute in the root
    groups but /faithfulness: /<method>/<layer> (node, row, col) in a sample's file,
    /<method>/<layer>_mean (class, node, row, col) in a classes.h5. ``text`` turns the
    ``layer`` attribute into a name."""
    found = {SAMPLE_MAPS: {}, CLASS_MAPS: {}}
    for name, group in f.items():
        if not isinstance(group, h5py.Group) or name == FAITHFULNESS:
            continue
        for key, ds in group.items():
            if not isinstance(ds, h5py.Dataset) or "layer" not in ds.attrs:
                continue
            layer = text(ds.attrs["layer"])
            if ds.dtype.kind not in "iuf":
                continue
            if key == layer and ds.ndim == 3:
                found[SAMPLE_MAPS].setdefault(name, {})[layer] = ds.name
            elif key == _mean(layer) and ds.ndim == 4:
                found[CLASS_MAPS].setdefault(name, {})[layer] = ds.name
    for kind in (SAMPLE_MAPS, CLASS_MAPS):
        if found[kind]:
            return kind, found[kind]
    return None, {}


def param_dims(count):
    """The dimensions of the weights of a ``count``-layer network, named as the axes of the
    other files: W1's rows are the pixels of x, its columns the nodes of a1 (a1 = x @ W1 +
    b1), W2's rows the nodes of z1..."""
    dims = {}
    for k in range(1, count + 1):
        dims[f"W{k}"] = ("pixel" if k == 1 else f"node_z{k - 1}", f"node_a{k}")
        dims[f"b{k}"] = (f"node_a{k}",)
    return dims


PARAM_DIMS = param_dims(3)  # the book's


def param_meaning(count):
    """(meaning, axes) of each weight array of a ``count``-layer network."""
    meaning = {}
    for k in range(1, count + 1):
        last = k == count
        nodes = "output node (class)" if last else f"layer-{k} node"
        rows = "input pixel (row-major 28x28)" if k == 1 else f"layer-{k - 1} node"
        source = "x" if k == 1 else f"z{k - 1}"
        meaning[f"W{k}"] = (
            f"weights of layer {k} (a{k} = {source} @ W{k} + b{k})",
            f"{rows}, {nodes}",
        )
        meaning[f"b{k}"] = (f"biases of layer {k}", nodes)
    return meaning


def architecture(params):
    """ "784-50-100-10": the widths of a network's input and layers."""
    count = depth(params)
    return "-".join(["784"] + [str(params[f"b{k}"].shape[0]) for k in range(1, count + 1)])


def forward_text(params):
    """The forward pass of a network, as the weights file states it."""
    count, activation = depth(params), activation_of(params)
    steps = []
    for k in range(1, count + 1):
        steps.append(f"a{k} = {'x' if k == 1 else f'z{k - 1}'}@W{k}+b{k}")
        steps.append(f"z{k} = {'softmax' if k == count else activation}(a{k})")
    return "; ".join(steps) + "; x = pixels/255 flattened row-major"


TRAINING = "training"  # the group of a trained network's history, in its weights file
HISTORY_MEANING = {
    "loss": "mean cross-entropy of the epoch's mini-batches (plus the L2 term with weight decay)",
    "train_accuracy": "fraction of the training images classified right after the epoch",
    "test_accuracy": "fraction of the test images classified right after the epoch",
}


def write_weights(path, params, source_sha256, source=None, history=None, recipe=None):
    """The network's weights and biases (as stored) with the layer structure.

    ``source``: where a network of the user's came from, in words (its file's name and
    kind); None for the book's, whose file keeps the attributes it always had. A network
    trained by the pipeline adds its ``history`` ({"loss", "train_accuracy",
    "test_accuracy"}: one value per epoch) under /training, with the training ``recipe``
    (``config.training_recipe``) as an attribute; the epochs' wall times are not stored, so
    that the same recipe gives the same bytes."""
    if source is None:
        with atomic_h5(
            path,
            meaning="weights of the 784-50-100-10 MLP of 'Deep Learning from Scratch' ch03",
            architecture="784-50-100-10",
            forward=(
                "a1 = x@W1+b1; z1 = sigmoid(a1); a2 = z1@W2+b2; z2 = sigmoid(a2); "
                "a3 = z2@W3+b3; z3 = softmax(a3); x = pixels/255 flattened row-major"
            ),
            source="sample_weight.pkl (oreilly-japan/deep-learning-from-scratch, ch03)",
            source_sha256=source_sha256,
        ) as f:
            for key, (meaning, axes) in PARAM_MEANING.items():
                put(f, key, params[key], meaning, axes, dims=PARAM_DIMS[key])
        return
    count, activation = depth(params), activation_of(params)
    with atomic_h5(
        path,
        meaning=(
            f"weights of a {architecture(params)} dense network: {activation} hidden layers, "
            "softmax output"
        ),
        architecture=architecture(params),
        forward=forward_text(params),
        activation=activation,
        layers=count,
        source=source,
        source_sha256=source_sha256,
    ) as f:
        describe_layers(f, layer_meanings(layer_names(count), activation))
        dims = param_dims(count)
        for key, (meaning, axes) in param_meaning(count).items():
            put(f, key, params[key], meaning, axes, dims=dims[key])
        if history is not None:
            g = f.create_group(TRAINING, track_order=True)
            set_attrs(g, {"meaning": "the training history, per epoch", "recipe": recipe})
            for key, meaning in HISTORY_MEANING.items():
                put(g, key, np.asarray(history[key], dtype=np.float64), meaning, "epoch")


def read_training(path):
    """A trained network's history ({"loss", "train_accuracy", "test_accuracy"}: float64
    per epoch) and its recipe, from its weights file."""
    with open_checked(path) as f:
        g = _at(f, TRAINING)
        return {key: g[key][()] for key in HISTORY_MEANING}, str(g.attrs["recipe"])


def read_weights(path, source_sha256=None):
    """Weights as float64 arrays (with the hidden layers' ``"activation"`` when it is not
    the book's sigmoid), plus the sha256 of the file they came from, which must be
    ``source_sha256``: by default the book's verified download."""
    expected = {"source_sha256": source_sha256 or FILES[WEIGHTS][1]}
    with open_checked(path, expected) as f:
        count = 0
        while f"W{count + 1}" in f:
            count += 1
        arrays = {k: f[k][()] for k in weight_keys(count) if k in f}
        if ACTIVATION not in f.attrs:  # the book's file
            params = check_params(arrays, str(path))
        else:
            arrays[ACTIVATION] = str(f.attrs[ACTIVATION])
            params = check_network(arrays, str(path))
        return params, str(f.attrs["source_sha256"])


def write_mnist(path, splits, checksums, dataset=None):
    """``splits``: {split: (images uint8 (n, 28, 28), labels uint8 (n,))} of the
    ``dataset`` (``datasets.Dataset``; MNIST unless given), ``checksums`` {file name:
    sha256} of the files they were read from."""
    attrs = {}
    if dataset is not None and dataset.name != "mnist":
        attrs = {"dataset": dataset.name, "class_names": list(dataset.class_names)}
    with atomic_h5(
        path,
        meaning=MNIST.meaning if dataset is None else dataset.meaning,
        source_sha256=[f"{name} {digest}" for name, digest in sorted(checksums.items())],
        **attrs,
    ) as f:
        for split, (images, labels) in splits.items():
            g = f.create_group(split, track_order=True)
            if not attrs:
                images_meaning = f"MNIST {split} images, white digit on black"
                labels_meaning = f"MNIST {split} labels (the digit shown)"
            else:
                images_meaning = f"{dataset.name} {split} images, as stored in its IDX file"
                labels_meaning = (
                    f"{dataset.name} {split} labels (the class shown: its name is "
                    "class_names[label] in the file's attributes)"
                )
            put(
                g,
                "images",
                images,
                images_meaning,
                "image, row, col",
                compress=True,
                units="gray level 0..255 (the network sees value / 255)",
            )
            put(g, "labels", labels, labels_meaning, "image")


def mnist_sources():
    """The ``source_sha256`` attribute of an mnist.h5 made from the verified downloads."""
    return [
        f"{Path(name).name} {FILES[name][1]}"
        for name in sorted(MNIST_SOURCES, key=lambda n: Path(n).name)
    ]


def dataset_sources(dataset=None):
    """The ``source_sha256`` attribute of the HDF5 file of ``dataset`` (MNIST's unless
    given) made from its verified files."""
    return mnist_sources() if dataset is None else datasets.sources(dataset)


@contextmanager
def _mnist_split(path, split, dataset=None):
    """The images and labels datasets of a split of the HDF5 file of ``dataset`` (MNIST
    unless given) made from its verified files, after checking their shapes."""
    with open_checked(path, {"source_sha256": dataset_sources(dataset)}) as f:
        images, labels = f[split]["images"], f[split]["labels"]
        size = SPLIT_SIZES[split] if dataset is None else dataset.sizes[split]
        if images.shape != (size, 28, 28) or labels.shape != (size,):
            raise KeyError(
                f"/{split} holds images {images.shape} and labels {labels.shape}, expected "
                f"{(size, 28, 28)} and {(size,)}"
            )
        yield images, labels


def read_mnist_image(path, split, index, dataset=None):
    """One image (uint8 28x28) and its label."""
    with _mnist_split(path, split, dataset) as (images, labels):
        return _images_at(images, [index])[0], int(labels[index])


def read_mnist_images(path, split, indices, dataset=None):
    """Images ``indices`` of a split (uint8 (n, 28, 28), in the order given) and their
    labels: the file checked and opened once for all of them (its seal is the sha256 of
    12 MB, 10 ms)."""
    with _mnist_split(path, split, dataset) as (images, labels):
        return _images_at(images, indices), labels[()][np.asarray(indices, dtype=np.intp)]


_SHUFFLE_DEFLATE = {h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE}


def _images_at(images, indices):
    """``images[i]`` for each of ``indices``, from the chunks of an uint8 (n, rows, cols)
    dataset stored deflated (byte shuffling does nothing to bytes): each chunk holding an
    image is inflated only up to that image, not whole (a test image's 28 chunks hold 1,250
    images each: h5py inflated 1 MB for one image). Anything else is read by h5py."""
    dsid, n = images.id, images.shape[0]
    plist = dsid.get_create_plist()
    filters = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
    plain = [isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in indices]
    if (
        images.dtype != np.uint8
        or images.ndim != 3
        or images.chunks is None
        or h5py.h5z.FILTER_DEFLATE not in filters
        or not filters <= _SHUFFLE_DEFLATE
        or not all(plain)
        or not all(-n <= i < n for i in indices)
    ):
        return np.stack([images[i] for i in indices]) if len(indices) else images[:0]
    rows, cols = images.shape[1:]
    c0, c1, c2 = images.chunks
    out = np.empty((len(indices), rows, cols), np.uint8)
    wanted = {}  # first image of a chunk row -> ([place in out], [offset in the chunk])
    for place, i in enumerate(indices):
        i = int(i) % n
        places, offsets = wanted.setdefault(i - i % c0, ([], []))
        places.append(place)
        offsets.append(i % c0)
    for first, (places, offsets) in wanted.items():
        count = max(offsets) + 1  # images of the chunk to inflate
        for y in range(0, rows, c1):
            for x in range(0, cols, c2):
                mask, raw = dsid.read_direct_chunk((first, y, x))
                if mask:  # a filter was skipped for this chunk: h5py knows what to do
                    out[places] = [images[first + offset] for offset in offsets]
                    continue
                data = zlib.decompressobj().decompress(raw, count * c1 * c2)
                part = np.frombuffer(data, np.uint8).reshape(count, c1, c2)
                out[places, y : y + c1, x : x + c2] = part[offsets, : rows - y, : cols - x]
    return out


def read_mnist_range(path, split, first, stop, dataset=None):
    """Images [first, stop) of a split (uint8 (n, 28, 28)) and their labels."""
    with _mnist_split(path, split, dataset) as (images, labels):
        return images[first:stop], labels[first:stop]


def read_mnist_split(path, split, dataset=None):
    """Every image of a split (uint8 (n, 28, 28)) and its label."""
    with _mnist_split(path, split, dataset) as (images, labels):
        return images[()], labels[()]


def layer_meanings(values, activation="sigmoid"):
    """{layer: what it holds, in words} for the layers of a network's node values (every
    layer, in order: the book's give ``LAYER_MEANING``)."""
    count = len(values) // 2
    return {layer: layer_meaning(layer, count, activation) for layer in values}


def write_values(group, values, layers, meaning, activation="sigmoid"):
    """Node values per layer as datasets ``<group>/<layer>`` (nodes,)."""
    meanings = layer_meanings(values, activation)
    for layer in layers:
        put(group, layer, values[layer], f"{meaning}; {meanings[layer]}", "node")


def write_baseline(path, image, values, description, weights_sha256, activation="sigmoid"):
    with atomic_h5(
        path,
        meaning="node values of the network for the baseline image",
        baseline=description,
        weights_sha256=weights_sha256,
    ) as f:
        describe_layers(f, layer_meanings(values, activation))
        put(
            f,
            IMAGE,
            image,
            f"the baseline image: {description}",
            "row, col",
            units="pixel value / 255",
        )
        write_values(
            f.create_group(BASELINE, track_order=True),
            values,
            list(values),
            "f(baseline): node values for the baseline image",
            activation,
        )


def read_baseline(path, weights_sha256=None):
    """The baseline image, its node values and its description; with ``weights_sha256``,
    the file must have been computed with those weights."""
    expected = {"weights_sha256": weights_sha256} if weights_sha256 else None
    with open_checked(path, expected) as f:
        return (
            image_of(f)[()],
            {layer: baseline_values_of(f, layer)[()] for layer in _at(f, BASELINE)},
            str(f.attrs["baseline"]),
        )


def read_influence(path, methods, layers, expected=None):
    """What the pictures need from a sample's influence file; ``expected``: the root
    attributes the file must have (see ``provenance.influence_expected``)."""
    with open_checked(path, expected) as f:
        attrs = f.attrs
        network_layers = network_layers_of(f)
        return {
            "sample": str(attrs["sample"]),
            "title": str(attrs["title"]),
            "image": image_of(f)[()],
            "probabilities": values_of(f, network_layers[-1])[()],
            "output_layers": tuple(network_layers[-2:]),
            "maps": {m: {layer: maps_of(f, m, layer)[()] for layer in layers} for m in methods},
            "residuals": {
                m: {layer: residuals_of(f, m, layer)[()] for layer in layers} for m in methods
            },
        }


FAITHFULNESS_MEANING = (
    "deletion and insertion curves: the changed pixels (x != baseline) of each node ranked by "
    "decreasing influence on the node oriented by the sign of its change f(x) - f(baseline); "
    "deletion sets them back to the baseline one at a time starting from x, insertion copies "
    "them from x into the baseline one at a time"
)
AREA_MEANING = (
    "area under the normalised {kind} curve (f(state) - f(baseline)) / (f(x) - f(baseline)) "
    "over the fraction of changed pixels moved (trapezoidal rule on [0, 1]); {better}; NaN "
    "where |f(x) - f(baseline)| < min_change"
)
BETTER = {"deletion": "lower = more faithful", "insertion": "higher = more faithful"}
RANDOM_MEANING = "a random ranking of the pixels (independent uniform scores): the chance level"


def _write_method(
    f, method, result, layers, baseline, dtype, meanings=LAYER_MEANING, activation="sigmoid"
):
    what = method_meaning(method, activation)
    g = f.create_group(method, track_order=True)
    set_attrs(g, {"meaning": what}, fresh=True)
    set_attrs(g, result["parameters"][method])
    for layer in layers:
        common = {"units": f"change of {layer}", "method": method, "layer": layer}
        put(
            g,
            layer,
            result["maps"][method][layer],
            f"{what}; node: {meanings[layer]}",
            "node, row, col (pixel of the input image)",
            dtype=dtype,
            compress="maps",
            **common,
            baseline=baseline,
            computed_in="float64",
        )
        put(
            g,
            _residual(layer),
            result["residuals"][method][layer],
            "f(x) - f(baseline) - sum over pixels of the map: what the per-pixel values leave "
            "unexplained (0 for a complete method; pixel interactions for insertion)",
            "node",
            **common,
        )
        if method in result["stderr"]:
            put(
                g,
                f"{layer}_stderr",
                result["stderr"][method][layer],
                "standard error of each sampled value: standard deviation of the antithetic "
                "pair means / sqrt(number of pairs)",
                "node, row, col (pixel of the input image)",
                dtype=dtype,
                compress="maps",
                **common,
            )


def _write_faithfulness(
    f, faithfulness, layers, settings, dtype, meanings=LAYER_MEANING, activation="sigmoid"
):
    g = f.create_group(FAITHFULNESS, track_order=True)
    changed = len(faithfulness["fraction"]) - 1
    set_attrs(g, {"meaning": FAITHFULNESS_MEANING, "changed_pixels": changed}, fresh=True)
    set_attrs(g, settings)
    put(
        g,
        "fraction",
        faithfulness["fraction"],
        "fraction of the changed pixels moved at each step of the curves",
        "step",
    )
    for method, per_layer in faithfulness["curves"].items():
        h = g.create_group(method, track_order=True)
        meaning = RANDOM_MEANING if method == RANDOM else method_meaning(method, activation)
        set_attrs(h, {"meaning": meaning}, fresh=True)
        for layer in layers:
            for kind in CURVES:
                put(
                    h,
                    _curve(layer, kind),
                    per_layer[layer][kind],
                    f"{kind} curve: node value after each step ({FAITHFULNESS_MEANING}); "
                    f"node: {meanings[layer]}",
                    "node, step",
                    dtype=dtype,
                    compress=True,
                    units=f"value of {layer}",
                    method=method,
                    layer=layer,
                )
                put(
                    h,
                    _area(layer, kind),
                    faithfulness["areas"][method][layer][kind],
                    AREA_MEANING.format(kind=kind, better=BETTER[kind]),
                    "node",
                    units="fraction of f(x) - f(baseline)",
                    method=method,
                    layer=layer,
                )


EXPANSION_MEANING = {
    "order1": "order-1 terms m_i: the change of the node by pixel i alone (the {end} map)",
    "order2": "order-2 map m_i + 1/2 sum over partners j of m_ij: each pixel's own term and "
    "half of each of its pair terms; it sums to f(x) - f(baseline) - r_2",
    "pair_strength": "pair strength sum over partners j of |m_ij|: how strongly the pixel "
    "interacts with the others",
}


def _write_interactions(f, interactions, settings, dtype, meanings=LAYER_MEANING):
    """/interactions: both ends' expansions and the Shapley interaction index. The pair
    matrices and the index are stored uncompressed (float noise: gzip saved 11 % of a
    digit's, at the cost of seconds) and each is dropped from ``interactions`` once written,
    so that a large image's matrices are not held twice (hundreds of MB for 784 pixels)."""
    g = f.create_group(INTERACTIONS, track_order=True)
    g.attrs["meaning"] = (
        "pixel interactions: the Moebius (Harsanyi) expansion v(C) = sum over pixel sets T "
        "of m_T of each node's change from both ends, truncated at order; v(S) = f(x on S, "
        "baseline elsewhere) - f(baseline), C the changed pixels"
    )
    for key, value in settings.items():
        if key not in ("nodes", "shapley_interaction"):
            g.attrs[key] = value if not isinstance(value, list) else [str(v) for v in value]
    order = settings["order"]
    first = interactions["ends"][ENDS[0]]
    g.attrs["changed_pixels"] = len(interactions["changed"])
    g.attrs["triples"] = first["triples"]
    g.attrs["order3"] = bool(first["order3"]) if order >= 3 else False
    if order >= 3 and not first["order3"]:
        g.attrs["order3_skipped"] = (
            f"{first['triples']} triples of changed pixels > max_triples "
            f"{settings['max_triples']}: r_3 is NaN"
        )
    flat = "flat index of a changed pixel (x != baseline): row * 28 + col"
    changed = np.asarray(interactions["changed"], dtype=np.int64)
    for name in ("changed", "partner"):
        put(g, name, changed, flat, name).make_scale(name)
    orders = put(g, "order", np.arange(1, order + 1), "order k of the residual r_k", "order")
    orders.make_scale("order")
    for layer, nodes in interactions["nodes"].items():
        name = f"{PAIR_NODE}{layer}"
        meaning = f"nodes of {layer} with pair matrices"
        put(g, name, np.asarray(nodes, dtype=np.int64), meaning, name).make_scale(name)
    for end in ENDS:
        e = interactions["ends"][end]
        h = g.create_group(end, track_order=True)
        h.attrs["meaning"] = END_MEANING[end]
        for layer in e["order1"]:
            common = {"units": f"change of {layer}", "layer": layer, "end": end}
            for kind in EXPANSION_MAPS:
                put(
                    h,
                    f"{layer}_{kind}",
                    e[kind][layer].reshape(-1, 28, 28),
                    f"{EXPANSION_MEANING[kind].format(end=end)}; node: {meanings[layer]}",
                    "node, row, col (pixel of the input image)",
                    dtype=dtype,
                    compress="maps",
                    **common,
                )
            put(
                h,
                f"{layer}_residuals",
                e["residuals"][layer],
                "r_k = f(x) - f(baseline) - sum of the terms of order <= k: what the expansion "
                "truncated at order k leaves unexplained (NaN: not computed)",
                "node, order",
                dims=["node", "order"],
                **common,
            )
            if layer in e["pairs"]:
                put(
                    h,
                    f"{layer}_pairs",
                    e["pairs"].pop(layer),
                    "pair terms m_ij (symmetric, zero diagonal) of the changed pixels"
                    + (
                        ": v(ij) - v(i) - v(j)"
                        if end == "insertion"
                        else ": -(f(x) - f(x-i) - f(x-j) + f(x-ij))"
                    ),
                    f"{PAIR_NODE}{layer}, changed, partner",
                    dims=[f"{PAIR_NODE}{layer}", "changed", "partner"],
                    dtype=dtype,
                    **common,
                )
    if interactions["skipped"]:
        g.attrs["shapley_interaction_skipped"] = interactions["skipped"]
    if interactions["shapley_interaction"]:
        h = g.create_group(SHAPLEY_INTERACTION, track_order=True)
        h.attrs["meaning"] = (
            "pairwise Shapley interaction index (Grabisch and Roubens 1999): the expected "
            "interaction v(S+ij) - v(S+i) - v(S+j) + v(S) over the pixels S before the pair in "
            "a random order, estimated from antithetic random permutations"
        )
        for key, value in interactions["parameters"].items():
            h.attrs[key] = value
        index, stderr = interactions["shapley_interaction"], interactions["stderr"]
        for layer in list(index):
            common = {"units": f"change of {layer}", "layer": layer}
            axes = "node, changed, partner"
            dims = ["node", "changed", "partner"]
            put(
                h,
                layer,
                index.pop(layer),
                "Shapley interaction index of each pair of changed pixels (symmetric, zero "
                "diagonal)",
                axes,
                dims=dims,
                dtype=dtype,
                **common,
            )
            put(
                h,
                f"{layer}_stderr",
                stderr.pop(layer),
                "standard error of each estimate: standard deviation of the means over the "
                "antithetic pairs of orders / sqrt(number of pairs of orders)",
                axes,
                dims=dims,
                dtype=dtype,
                **common,
            )


def read_interaction_residuals(path, expected=None):
    """{"sample", "layers", "residuals": {end: {layer: (nodes, order)}}} of a sample's
    influence file: what the interactions summary needs, without the maps and matrices."""
    with open_checked(path, expected) as f:
        layers = [str(v) for v in interactions_of(f).attrs["layers"]]
        return {
            "sample": str(f.attrs["sample"]),
            "layers": layers,
            "residuals": {
                end: {layer: expansion_of(f, end, layer, "residuals")[()] for layer in layers}
                for end in ENDS
            },
        }


def _interactions_data(f, lazy):
    """The dict of ``read_interactions`` from an open file; with ``lazy`` the pair matrices
    are the datasets themselves, unread (a reader takes the rows it needs)."""
    g = interactions_of(f)
    nodes = {layer: [int(n) for n in pair_nodes_of(f, layer)[()]] for layer in pair_node_layers(f)}
    layers = [str(v) for v in g.attrs["layers"]]
    out = {
        "sample": str(f.attrs["sample"]),
        "title": str(f.attrs["title"]),
        "image": image_of(f)[()],
        "probabilities": values_of(f, network_layers_of(f)[-1])[()],
        "changed": changed_pixels_of(f)[()],
        "layers": layers,
        "network_layers": network_layers_of(f),
        "order": int(g.attrs["order"]),
        "order3": bool(g.attrs["order3"]),
        "nodes": {layer: nodes[layer] for layer in layers if layer in nodes},
        "ends": {},
        "pairs": {},
    }
    for end in ENDS:
        out["ends"][end] = {
            layer: {
                kind: expansion_of(f, end, layer, kind)[()]
                for kind in (*EXPANSION_MAPS, "residuals")
            }
            for layer in layers
        }
        out["pairs"][end] = {layer: expansion_of(f, end, layer, "pairs") for layer in out["nodes"]}
        if not lazy:
            out["pairs"][end] = {layer: ds[()] for layer, ds in out["pairs"][end].items()}
    return out


def read_interactions(path, expected=None):
    """What the interactions figure and summary need from a sample's influence file: the
    maps, residuals and pair matrices of both ends (see ``_interactions_data``)."""
    with open_checked(path, expected) as f:
        return _interactions_data(f, lazy=False)


@contextmanager
def open_interactions(path, expected=None):
    """``read_interactions`` with the pair matrices left in the open file (h5py datasets):
    a picture reads one row per node instead of every matrix (hundreds of MB for 784
    changed pixels)."""
    with open_checked(path, expected) as f:
        yield _interactions_data(f, lazy=True)


def write_influence(
    path,
    result,
    image,
    baseline_image,
    provenance,
    dtype="float32",
    faithfulness=None,
    interactions=None,
    interaction_settings=None,
    activation="sigmoid",
    **settings,
):
    """A sample's influence file; ``result`` as returned by ``methods.compute``; its node
    values (``result["value"]``) name every layer of the network, whose hidden layers use
    ``activation``.

    ``provenance`` holds the root attributes: sample, title, source, label, baseline,
    weights_sha256 (every value a str, int or float). ``faithfulness`` as returned by
    ``faithfulness.evaluate``, written under /faithfulness with ``settings`` as attributes;
    ``interactions`` as ``interactions.interactions`` returns it, under /interactions with
    the config's ``interaction_settings`` (its matrices are dropped from it as they are
    written).
    """
    methods = list(result["maps"])
    layers = list(next(iter(result["maps"].values())))
    with atomic_h5(
        path,
        meaning="influence of every pixel of one image on every node of the network",
        methods=methods,
        layers=layers,
        **provenance,
    ) as f:
        put(f, IMAGE, image, "the input image x", "row, col", units="pixel value / 255")
        put(
            f,
            "baseline_image",
            baseline_image,
            f"the baseline image: {provenance['baseline']}",
            "row, col",
            units="pixel value / 255",
        )
        every = list(result["value"])
        meanings = layer_meanings(result["value"], activation)
        describe_layers(f, meanings)
        write_values(
            f.create_group(VALUES, track_order=True),
            result["value"],
            every,
            "f(x): node values for x",
            activation,
        )
        write_values(
            f.create_group(BASELINE, track_order=True),
            result["baseline"],
            every,
            "f(baseline): node values for the baseline image",
            activation,
        )
        for method in methods:
            _write_method(
                f, method, result, layers, provenance["baseline"], dtype, meanings, activation
            )
        if faithfulness is not None:
            _write_faithfulness(f, faithfulness, layers, settings, dtype, meanings, activation)
        if interactions is not None:
            _write_interactions(f, interactions, interaction_settings, dtype, meanings)


def read_faithfulness(path, expected=None):
    """A sample's faithfulness results: sample name, layers, methods (random last),
    f(x), f(baseline), residuals, the fraction axis, curves and areas; ``expected`` as
    for ``read_influence``."""
    with open_checked(path, expected) as f:
        contents = influence_contents(f)
        layers, names = contents["layers"], contents["methods"] + [RANDOM]
        g = _at(f, FAITHFULNESS)
        return {
            "sample": str(f.attrs["sample"]),
            "layers": layers,
            "methods": names,
            "value": {layer: values_of(f, layer)[()] for layer in layers},
            "baseline": {layer: baseline_values_of(f, layer)[()] for layer in layers},
            "residuals": {
                m: {layer: residuals_of(f, m, layer)[()] for layer in layers}
                for m in names
                if m != RANDOM
            },
            "fraction": g["fraction"][()],
            "min_change": float(g.attrs["min_change"]),
            # the softmax output, whose areas are also taken in logit space
            "logit_layers": (network_layers_of(f)[-1],),
            "curves": {
                m: {layer: {k: curve_of(f, m, layer, k)[()] for k in CURVES} for layer in layers}
                for m in names
            },
            "areas": {
                m: {layer: {k: area_of(f, m, layer, k)[()] for k in CURVES} for layer in layers}
                for m in names
            },
        }


def write_shared_scale(path, scales, sources):
    """``scales``: {(method, layer): largest |value| over all samples}."""
    with atomic_h5(
        path,
        meaning="gray scale shared by all samples: the largest |influence| per method and layer",
        samples=sources,
    ) as f:
        for (method, layer), value in scales.items():
            g = f.require_group(method)
            put(
                g,
                layer,
                value,
                f"largest |{method} influence| on {layer} over all samples",
                "scalar",
                units=f"change of {layer}",
            )


def read_shared_scale(path, methods, layers, sources=None):
    """{(method, layer): scale} for the given methods and layers; with ``sources``, the
    scale must have been taken over exactly those influence files."""
    expected = {"samples": list(sources)} if sources is not None else None
    with open_checked(path, expected) as f:
        return {(m, layer): float(f[m][layer][()]) for m in methods for layer in layers}


LIMBS_MEANING = (
    "exact sum on a fixed-point grid: value = hi * 2**-11 + lo * 2**-62 "
    "(see pixel_influence.sweep.Exact)"
)
SHARD_PIXEL = "pixel (row-major: row * width + col)"
SHARD_NODE = "node (the nodes of {} in that order)"  # no comma: one axis


def _shard_axes(key, shape, layers, network_layers):
    """The ``axes`` attribute of the sums of ``key`` (``sweep.statistics``) in a shard:
    class, then pixel and/or node, the nodes of several layers concatenated (the node
    values: of every layer of the network, ``network_layers``)."""
    if key == IMAGE:
        names = [SHARD_PIXEL]
    else:
        node = SHARD_NODE.format(
            " + ".join(network_layers if key == VALUES else layers) or "the layers of the shard"
        )
        names = [SHARD_PIXEL, node] if len(shape) == 2 else [node]
    return ", ".join(["class", *names])


# a shard's /value group states the network its node values are laid out by
SHARD_NETWORK = ("layers", "nodes", ACTIVATION)


def write_sweep_shard(path, sums, provenance):
    """One shard's exact per-class sums (``sweep.Sums``), merged later by ``sweep_classes``;
    the attributes of its /value group (``SHARD_NETWORK``) say the network's layers, their
    nodes and its activation."""
    with atomic_h5(path, meaning="exact per-class sums of one shard of a sweep", **provenance) as f:
        put(f, COUNT, sums.count, "images per class in this shard", "class")
        put(
            f,
            CONFUSION,
            sums.confusion,
            "images per (label, predicted class)",
            "label, predicted",
        )
        layers = [str(layer) for layer in provenance.get("layers", ())]
        network_layers = list(sums.sizes)
        for key, shape in sums.shapes.items():
            g = f.require_group(key)
            if key == VALUES:
                nodes = [int(n) for n in sums.sizes.values()]
                set_attrs(g, dict(zip(SHARD_NETWORK, (network_layers, nodes, sums.activation))))
            axes = _shard_axes(key, shape, layers, network_layers)
            for stat, exact in (("sum", sums.sum[key]), ("sumsq", sums.sumsq[key])):
                for limb in ("hi", "lo"):
                    put(g, f"{stat}_{limb}", getattr(exact, limb), LIMBS_MEANING, axes)


class _MergedStat(Mapping):
    """{key: Exact} merged over open shard files on access, one key in memory at a time."""

    def __init__(self, files, stat, keys):
        self.files, self.stat, self.keys_ = files, stat, keys

    def __getitem__(self, key):
        total = None
        for f in self.files:
            g = f[key]
            part = Exact.of(g[f"{self.stat}_hi"][()], g[f"{self.stat}_lo"][()])
            total = part if total is None else total.merge(part)
        return total

    def __iter__(self):
        return iter(self.keys_)

    def __len__(self):
        return len(self.keys_)


class MergedShards:
    """The exact sums of several shard files, read lazily key by key (bounded memory).

    Behaves like ``sweep.Sums`` for ``sweep.moments``, after ``sweep.check_shards`` has
    found that the shards were made with the same settings and tile the split.
    """

    def __init__(self, files, names=None):
        self.files = files
        names = names or [f.filename for f in files]
        attrs = [dict(f.attrs) for f in files]
        check_shards(names, attrs)
        self.attrs = attrs[0]
        self.shapes = {}

        def collect(name, obj):  # returns None: visititems stops at any other value
            if name.endswith("/sum_hi"):
                self.shapes[name.rsplit("/", 1)[0]] = obj.shape[1:]

        files[0].visititems(collect)
        network = files[0][VALUES].attrs
        missing = [key for key in SHARD_NETWORK if key not in network]
        if missing:
            raise InputError(
                f"{names[0]}: its /{VALUES} does not say the network's {missing[0]} (a shard "
                f"of an older version); {SHARD_RERUN}"
            )
        layers, nodes = network["layers"], network["nodes"]
        self.sizes = {str(layer): int(n) for layer, n in zip(layers, nodes, strict=True)}
        self.activation = str(network[ACTIVATION])
        self.count = sum(class_counts(f)[()] for f in files)
        self.confusion = sum(confusion_of(f)[()] for f in files)
        self.sum = _MergedStat(files, "sum", list(self.shapes))
        self.sumsq = _MergedStat(files, "sumsq", list(self.shapes))


@contextmanager
def merged_sweep_shards(paths, expected=None):
    """Open the shard files of a sweep and yield their ``MergedShards``; ``expected``: the
    root attributes every shard must have (the sweep's ``config``, ``weights_sha256``)."""
    with ExitStack() as stack:
        files = [stack.enter_context(open_checked(p, expected)) for p in paths]
        yield MergedShards(files, [str(p) for p in paths])


def _put_moments(g, name, mean, std, meaning, axes, dtype, compress=False, **attrs):
    """Datasets ``<name>_mean`` and ``<name>_std`` of a per-class statistic."""
    put(
        g,
        _mean(name),
        mean,
        f"mean over the class of: {meaning}",
        axes,
        dtype,
        compress,
        **attrs,
    )
    put(
        g,
        f"{name}_std",
        std,
        f"standard deviation (ddof=1) over the class of: {meaning}",
        axes,
        dtype,
        compress,
        **attrs,
    )


def write_classes(
    path,
    sums,
    layers,
    methods,
    provenance,
    dtype="float32",
    parameters=None,
    shape=(28, 28),
    class_names=None,
):
    """Per-class statistics of a sweep (``sweep.class_image``, ``class_values``,
    ``class_maps`` of its merged exact ``sums``, whose ``sizes`` and ``activation`` name
    the network's layers); ``parameters`` {method: {name: value}} become attributes of
    ``/<method>``, as in a sample's file. ``class_names`` (one per class, in label order)
    become the root attribute ``class_names``; None: the classes are the ten digits and the
    file has no such attribute."""
    classes = len(sums.count)
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if len(class_names) != classes:
            raise InputError(
                f"{path}: {len(class_names)} class names for the {classes} classes of the "
                "sweep's sums"
            )
    named = {} if class_names is None else {CLASS_NAMES: class_names}
    over = "(digit label) over a whole MNIST split"
    if class_names is not None:
        over = "(label; its name in class_names) over a whole split of the dataset"
    with atomic_h5(
        path,
        meaning=f"influence of every pixel on every node, averaged per class {over}",
        methods=list(methods),
        layers=list(layers),
        **provenance,
        **named,
    ) as f:
        meanings = layer_meanings(sums.sizes, sums.activation)
        describe_layers(f, meanings)
        output = list(sums.sizes)[-1]
        if class_names is not None or output != "z3" or classes != 10:
            # the class axes of another dataset or network than MNIST's digits and z3
            kind = "its name is class_names[i]" if class_names is not None else "its label"
            describe_scales(
                f,
                {
                    "class": f"class: the label ({kind})",
                    "label": f"the true class: the label of the images ({kind})",
                    "predicted": f"the predicted class: argmax of {output}",
                },
            )
        put(f, COUNT, sums.count, "images per class (label)", "class")
        put(
            f,
            CONFUSION,
            sums.confusion,
            f"images per (label, predicted class = argmax of {list(sums.sizes)[-1]})",
            "label, predicted",
        )
        mean, std = class_image(sums, shape)
        _put_moments(
            f,
            IMAGE,
            mean,
            std,
            "the input image x",
            "class, row, col",
            dtype,
            units="pixel value / 255",
        )
        mean, std = class_values(sums)
        g = f.create_group(VALUES, track_order=True)
        for layer in sums.sizes:
            _put_moments(
                g,
                layer,
                mean[layer],
                std[layer],
                f"f(x); {meanings[layer]}",
                "class, node",
                dtype,
                units=f"value of {layer}",
            )
        for method in methods:
            stats = class_maps(sums, method, layers, shape)
            _write_class_method(
                f, method, stats, (parameters or {}).get(method, {}), dtype, meanings
            )


def _write_class_method(f, method, stats, parameters, dtype, meanings):
    g = f.create_group(method, track_order=True)
    g.attrs["meaning"] = METHOD_MEANING[method]
    for key, value in parameters.items():
        g.attrs[key] = value
    (maps_mean, maps_std), (res_mean, res_std) = stats["maps"], stats["residual"]
    for layer in maps_mean:
        common = {"units": f"change of {layer}", "method": method, "layer": layer}
        meaning = f"{METHOD_MEANING[method]}; node: {meanings[layer]}"
        axes = "class, node, row, col (pixel of the input image)"
        _put_moments(
            g, layer, maps_mean[layer], maps_std[layer], meaning, axes, dtype, "maps", **common
        )
        put(
            g,
            f"{layer}_contrast",
            stats["contrast"][layer],
            "what sets the class apart: mean over the class minus mean over the images of "
            f"every other class (image-weighted) of: {meaning}",
            axes,
            dtype,
            "maps",
            **common,
        )
        _put_moments(
            g,
            _residual(layer),
            res_mean[layer],
            res_std[layer],
            "f(x) - f(baseline) - sum over pixels of the map",
            "class, node",
            dtype,
            **common,
        )


def read_class(path, label, methods, layers, shared_scale=False, expected=None, picture="mean"):
    """What the picture of one class needs from a sweep's classes.h5: its ``maps`` are those
    of ``picture`` (a key of ``CLASS_PICTURES``: the class's mean maps, their standard
    deviation or its contrast); the image, probabilities and residuals are the class means.
    With ``shared_scale``, also {(method, layer): largest |value| of that picture's maps
    over all classes}; ``expected``: the root attributes the file must have (the sweep's
    ``config``, ``weights_sha256``)."""
    if picture not in CLASS_PICTURES:
        raise ValueError(f"picture {picture!r} is not one of {', '.join(CLASS_PICTURES)}")
    maps_of = CLASS_PICTURES[picture]
    with open_checked(path, expected) as f:
        counts = class_counts(f)[()]
        if not 0 <= label < len(counts):
            raise InputError(f"{path}: no class {label}: it has classes 0 to {len(counts) - 1}")
        network_layers = class_layers_of(f)
        out = {
            "split": str(f.attrs["split"]),
            "count": int(counts[label]),
            "others": int(counts.sum() - counts[label]),
            "predicted_right": int(confusion_of(f)[label, label]),
            "image": class_images_of(f)[label],
            "probabilities": class_values_of(f, network_layers[-1])[label],
            "output_layers": tuple(network_layers[-2:]),
            "class_names": class_names_of(f),
            "maps": {m: {layer: maps_of(f, m, layer)[label] for layer in layers} for m in methods},
            "residuals": {
                m: {layer: class_residuals_of(f, m, layer)[label] for layer in layers}
                for m in methods
            },
            "shared_scale": None,
        }
        if shared_scale:
            out["shared_scale"] = {
                (m, layer): float(np.nanmax(np.abs(maps_of(f, m, layer)[()]), initial=0.0))
                for m in methods
                for layer in layers
            }
        return out
