"""The HDF5 layer: round trips, the seal (sha256 in the user block) that every reader checks,
the expectations readers hold a file to, and the one-line messages for every kind of file
that is not what it should be."""

import hashlib
import json
import os
import threading

import h5py
import numpy as np
import pytest
from conftest import rewritten_h5

from pixel_influence import faithfulness, h5io, hdf5, interactions, methods, provenance, sweep
from pixel_influence.download import FILES
from pixel_influence.errors import InputError
from pixel_influence.network import LAYER_MEANING, LAYER_SIZES, LAYERS

SETTINGS = {"sample": {"fill": 0.5}, "layers": ["z3"], "methods": ["deeplift"]}


def _influence_file(path, random_params, sample="s", settings=SETTINGS, **extra):
    x = np.zeros((28, 28))
    x[10:18, 12:15] = 1.0
    result = methods.compute(random_params, x, np.zeros((28, 28)), ["z3"], ["deeplift"])
    attrs = {
        "sample": sample,
        "source": "{}",
        "title": "t",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": json.dumps(settings, sort_keys=True),
        **extra,
    }
    h5io.write_influence(path, result, x, np.zeros((28, 28)), attrs)
    return result


def _readers(path):
    return {
        "read_weights": lambda: h5io.read_weights(path),
        "read_mnist_split": lambda: h5io.read_mnist_split(path, "test"),
        "read_baseline": lambda: h5io.read_baseline(path),
        "read_influence": lambda: h5io.read_influence(path, ["deeplift"], ["z3"]),
        "read_faithfulness": lambda: h5io.read_faithfulness(path),
        "read_shared_scale": lambda: h5io.read_shared_scale(path, ["deeplift"], ["z3"]),
        "read_class": lambda: h5io.read_class(path, 3, ["deeplift"], ["z3"]),
        "merged_sweep_shards": lambda: h5io.merged_sweep_shards([path]).__enter__(),
    }


def _error(read):
    with pytest.raises(InputError) as info:
        read()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_influence_file_round_trip(tmp_path, random_params):
    path = tmp_path / "s.h5"
    result = _influence_file(path, random_params)
    got = h5io.read_influence(path, ["deeplift"], ["z3"])
    np.testing.assert_array_equal(
        got["maps"]["deeplift"]["z3"], result["maps"]["deeplift"]["z3"].astype(np.float32)
    )
    with h5py.File(path) as f:
        assert f.attrs["format_version"] == hdf5.FORMAT_VERSION == 3
        assert f.userblock_size == 512
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_seal_is_the_sha256_of_the_bytes_after_the_user_block(tmp_path, random_params):
    """What ``tail -c +513 FILE | sha256sum`` computes is what the first line records."""
    path = tmp_path / "s.h5"
    _influence_file(path, random_params)
    data = path.read_bytes()
    first_line = data[:512].split(b"\n")[0].decode()
    assert first_line == (
        "pixel_influence: sha256 of the bytes after this 512-byte HDF5 user block: "
        + hashlib.sha256(data[512:]).hexdigest()
    )
    assert b"check it with: tail -c +513 FILE | sha256sum\n" in data[:512]
    assert data[512:520] == b"\x89HDF\r\n\x1a\n"


def test_the_same_content_gives_the_same_bytes(tmp_path, random_params):
    _influence_file(tmp_path / "a.h5", random_params)
    _influence_file(tmp_path / "b.h5", random_params)
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()


@pytest.mark.parametrize("version", [0, 1, 2, 4, "3", None])
def test_every_reader_refuses_another_format_version(tmp_path, random_params, version):
    path = tmp_path / "old.h5"
    _influence_file(path, random_params)
    with rewritten_h5(path) as f:
        if version is None:
            del f.attrs["format_version"]
        else:
            f.attrs["format_version"] = version
    for name, read in _readers(path).items():
        message = _error(read)
        found = "no format_version attribute" if version is None else f"format_version {version!r},"
        assert message.startswith(f"{path}: {found}"), (name, message)
        assert message.endswith(
            f"reads version {hdf5.FORMAT_VERSION}; re-create it with: snakemake --cores 8 "
            f"--forcerun {path}"
        ), (name, message)


def test_a_file_of_the_first_format_without_a_seal(tmp_path):
    """Files of format 1 had no user block: their version is named, not a damage."""
    path = tmp_path / "v1.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format_version"] = 1
        f.create_dataset("image", data=np.zeros((28, 28)))
    for read in _readers(path).values():
        assert _error(read) == (
            f"{path}: format_version 1, this software (pixel_influence 0.1.0) reads version 3; "
            f"re-create it with: snakemake --cores 8 --forcerun {path}"
        )


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "the file is empty, expected an HDF5 file"),
        (b"not an HDF5 file at all" * 40, "not an HDF5 file (it starts with b'not an HDF5 file')"),
        (b"\x89PNG\r\n\x1a\n" + bytes(600), "not an HDF5 file (it starts with b'\\x89PNG"),
    ],
    ids=["empty", "text", "png"],
)
def test_a_file_that_is_not_hdf5_is_a_clear_error(tmp_path, content, problem):
    path = tmp_path / "junk.h5"
    path.write_bytes(content)
    for read in _readers(path).values():
        message = _error(read)
        assert message.startswith(f"{path}: {problem}"), message
        assert message.endswith(f"; re-create it with: snakemake --cores 8 --forcerun {path}")


def test_an_hdf5_file_of_someone_else(tmp_path):
    path = tmp_path / "theirs.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.arange(3))
    assert _error(lambda: h5io.read_influence(path, ["deeplift"], ["z3"])).startswith(
        f"{path}: not a file of this workflow: it has no format_version attribute; re-create"
    )


@pytest.mark.parametrize("where", [512, 600, 5000, -100, -1])
def test_one_flipped_bit_anywhere_after_the_user_block_is_refused(tmp_path, random_params, where):
    path = tmp_path / "s.h5"
    _influence_file(path, random_params)
    data = bytearray(path.read_bytes())
    data[where] ^= 0x10
    path.write_bytes(bytes(data))
    for name, read in _readers(path).items():
        message = _error(read)
        assert message.startswith(
            f"{path}: damaged: its bytes are not those the workflow wrote (their sha256 is "
        ), (name, message)
        assert message.endswith(f"re-create it with: snakemake --cores 8 --forcerun {path}")


def test_a_truncated_file_or_an_edit_without_the_seal_is_refused(tmp_path, random_params):
    path = tmp_path / "s.h5"
    _influence_file(path, random_params)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert ": damaged: " in _error(lambda: h5io.read_influence(path, ["deeplift"], ["z3"]))
    path.write_bytes(data)
    with h5py.File(path, "a") as f:  # a hand that does not know the seal
        f["deeplift/z3"][0, 14, 14] = 123.0
    assert ": damaged: " in _error(lambda: h5io.read_influence(path, ["deeplift"], ["z3"]))


def test_a_file_holding_another_sample_or_other_settings_is_refused(tmp_path, random_params):
    path = tmp_path / "digit3.h5"
    _influence_file(path, random_params, sample="digit7", png_sha256="ab" * 32)
    expected = {
        "sample": "digit3",
        "config": {**SETTINGS, "layers": ["z2", "z3"]},
        "png_sha256": "cd" * 32,
    }
    message = _error(lambda: h5io.read_influence(path, ["deeplift"], ["z3"], expected))
    assert message == (
        f"{path}: not what the config asks for: it holds sample 'digit7', not 'digit3'; it was "
        'made with config.layers = ["z3"], not ["z2", "z3"]; it was made from other data '
        "(png_sha256 abababababab…, not cdcdcdcdcdcd…); re-create it with: snakemake --cores 8 "
        f"--forcerun {path}"
    )
    good = {"sample": "digit7", "config": SETTINGS, "png_sha256": "ab" * 32}
    assert h5io.read_influence(path, ["deeplift"], ["z3"], good)["sample"] == "digit7"
    assert provenance.differences({"sample": "digit7"}, {"config": SETTINGS}) == [
        "has no readable config attribute"
    ]


def test_a_file_without_what_the_reader_needs(tmp_path, random_params):
    """A sealed file of the right version that lacks a dataset: named, with the rerun."""
    path = tmp_path / "s.h5"
    _influence_file(path, random_params)
    with rewritten_h5(path) as f:
        del f["deeplift/z3_residual"]
    message = _error(lambda: h5io.read_influence(path, ["deeplift"], ["z3"]))
    assert message.startswith(f"{path}: does not hold what this workflow writes (")
    assert "z3_residual" in message
    assert message.endswith(f"re-create it with: snakemake --cores 8 --forcerun {path}")
    with pytest.raises(InputError, match="does not hold what this workflow writes"):
        h5io.read_influence(path, ["insertion"], ["z3"])


def test_weights_and_mnist_must_come_from_the_verified_downloads(tmp_path, random_params):
    weights = tmp_path / "weights.h5"
    params = {k: v.astype(np.float32) for k, v in random_params.items()}
    h5io.write_weights(weights, params, "0" * 64)
    assert _error(lambda: h5io.read_weights(weights)) == (
        f"{weights}: not what the config asks for: it was made from other data (source_sha256 "
        f"000000000000…, not {FILES['dlfs/sample_weight.pkl'][1][:12]}…); re-create it with: "
        f"snakemake --cores 8 --forcerun {weights}"
    )
    h5io.write_weights(weights, params, FILES["dlfs/sample_weight.pkl"][1])
    read, sha = h5io.read_weights(weights)
    np.testing.assert_array_equal(read["W2"], params["W2"].astype(np.float64))

    mnist = tmp_path / "mnist.h5"
    small = (np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.uint8))
    sources = dict(s.split() for s in h5io.mnist_sources())
    h5io.write_mnist(mnist, {"test": small, "train": small}, sources)
    assert "/test holds images (5, 28, 28) and labels (5,), expected (10000, 28, 28)" in _error(
        lambda: h5io.read_mnist_image(mnist, "test", 0)
    )
    h5io.write_mnist(mnist, {"test": small, "train": small}, {**sources, "extra.gz": "0" * 64})
    assert "it has source_sha256 extra.gz 000000000000…; re-create it" in _error(
        lambda: h5io.read_mnist_image(mnist, "test", 0)
    )


def test_the_baseline_must_come_from_the_same_weights(tmp_path):
    path = tmp_path / "baseline.h5"
    values = {layer: np.zeros(n) for layer, n in LAYER_SIZES.items()}
    h5io.write_baseline(path, np.zeros((28, 28)), values, "all-zero image", "1" * 64)
    assert h5io.read_baseline(path, "1" * 64)[2] == "all-zero image"
    assert "it was made from other data (weights_sha256 111111111111…, not 222222222222…)" in (
        _error(lambda: h5io.read_baseline(path, "2" * 64))
    )


def test_a_named_pipe_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "results.h5"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(
        target=lambda: outcome.append(_error(lambda: h5io.read_influence(fifo, [], []))),
        daemon=True,
    )
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a named pipe hangs")
    assert outcome == [f"{fifo}: is not a regular file (a pipe, socket or device)"]
    assert _error(lambda: h5io.read_influence(tmp_path, [], [])) == (
        f"{tmp_path}: is a folder, expected an HDF5 file"
    )


def test_no_dataset_lacks_its_description(tmp_path, random_params):
    path = tmp_path / "s.h5"
    _influence_file(path, random_params)
    missing = []
    with h5py.File(path) as f:
        f.visititems(
            lambda name, obj: (
                missing.append(name)
                if isinstance(obj, h5py.Dataset) and not {"meaning", "axes"} <= set(obj.attrs)
                else None
            )
        )
    assert missing == []


def test_maps_carry_labelled_dimensions_and_scales(tmp_path, random_params):
    """Generic HDF5 tools see named, numbered axes: labels from the axes attribute and
    attached dimension scales (node indices per layer, rows, columns, curve fractions)."""
    path = tmp_path / "s.h5"
    _influence_file(path, random_params)
    with h5py.File(path) as f:
        maps = f["deeplift/z3"]
        assert [d.label for d in maps.dims] == ["node", "row", "col"]
        assert [d[0].name for d in maps.dims] == ["/node_z3", "/row", "/col"]
        np.testing.assert_array_equal(maps.dims[1][0][()], np.arange(28))
        np.testing.assert_array_equal(maps.dims[0][0][()], np.arange(10))
        assert [d[0].name for d in f["value/z1"].dims] == ["/node_z1"]
        assert [d[0].name for d in f["deeplift/z3_residual"].dims] == ["/node_z3"]
        assert [d.label for d in f["image"].dims] == ["row", "col"]
        assert h5py.h5ds.is_scale(f["row"].id) and f["row"].attrs["meaning"].startswith("row")
        unlabelled = []

        def check(name, obj):
            if isinstance(obj, h5py.Dataset) and not h5py.h5ds.is_scale(obj.id) and obj.ndim:
                if not all(d.label for d in obj.dims) or not all(len(d) for d in obj.dims):
                    unlabelled.append(name)

        f.visititems(check)
        assert unlabelled == []


# ---- hdf5 writes the bytes of h5py's high-level calls ------------------------------------
# hdf5 makes the HDF5 calls itself (writing a sample's file through h5py's objects took
# 200 ms); the files must stay byte for byte what they were. The reference: h5py's high-level
# code that hdf5.put and hdf5.dimension_scales ran before (commit 9a31b13), kept here.


def _reference_put(
    group, name, data, meaning, axes, dtype=None, compress=False, dims=None, **attrs
):
    data = np.asarray(data, dtype=dtype)
    options = {}
    if compress:
        options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        if compress == "maps":
            options["chunks"] = hdf5.map_chunks(data.shape)
    ds = group.create_dataset(name, data=data, track_times=False, **options)
    ds.attrs["meaning"] = meaning
    ds.attrs["axes"] = axes
    for key, value in attrs.items():
        ds.attrs[key] = value
    for dim, label in zip(ds.dims, dims or (), strict=bool(dims)):
        dim.label = label
    return ds


def _reference_set_attrs(obj, values, fresh=False):
    for key, value in values.items():
        obj.attrs[key] = value


def _reference_axis_names(ds):
    labels = [dim.label for dim in ds.dims]
    if ds.ndim and all(labels):
        return labels
    axes = ds.attrs.get("axes")
    if not isinstance(axes, str) or ds.ndim == 0:
        return None
    names = [part.split("(")[0].strip() for part in axes.split(",")]
    if len(names) != ds.ndim or not all(n.isidentifier() for n in names):
        return None
    return names


def _reference_axis_detail(ds, i):
    parts = str(ds.attrs.get("axes", "")).split(",")
    if len(parts) == ds.ndim and "(" in parts[i]:
        return parts[i].split("(", 1)[1].rstrip(") ").strip() or None
    return None


def _reference_layer_of(ds):
    layer = ds.attrs.get("layer")
    if layer is None:
        layer = ds.name.rsplit("/", 1)[-1].split("_", 1)[0]
    return str(layer) if str(layer) in LAYERS else None


def _reference_own_scale(ds, name, size):
    group = ds.parent
    while True:
        found = group.get(name)
        if (
            isinstance(found, h5py.Dataset)
            and found.shape == (size,)
            and h5py.h5ds.is_scale(found.id)
        ):
            return found
        if group.name == "/":
            return None
        group = group.parent


def _reference_dimension_scales(f):
    datasets = []
    f.visititems(lambda _, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
    made = set()

    def scale(group, name, meaning, size):
        for key in (name, f"{name}_{size}"):
            path = f"{group.name.rstrip('/')}/{key}"
            if path in made and group[key].shape == (size,):
                return group[key]
            if key not in group:
                options = {}
                if size >= hdf5.BIG_SCALE:
                    options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
                ds = group.create_dataset(key, data=np.arange(size), track_times=False, **options)
                ds.attrs["meaning"] = meaning
                ds.attrs["axes"] = key
                ds.make_scale(key)
                made.add(path)
                return ds
        raise ValueError(f"{group.name}: no free name for a dimension scale {name!r}")

    fraction = f.get("faithfulness/fraction")
    if fraction is not None and not h5py.h5ds.is_scale(fraction.id):
        fraction.make_scale("fraction")
    for ds in datasets:
        names = _reference_axis_names(ds)
        if names is None:
            continue
        for i, name in enumerate(names):
            ds.dims[i].label = name
        if h5py.h5ds.is_scale(ds.id):
            continue
        for i, name in enumerate(names):
            size = ds.shape[i]
            if name in hdf5.DIMENSION_SCALES and hdf5.DIMENSION_SCALES[name][1] == size:
                found = scale(f, name, hdf5.DIMENSION_SCALES[name][0], size)
            elif (layer := hdf5._node_layer(name)) is not None or (
                name == "node" and (layer := _reference_layer_of(ds)) is not None
            ):
                found = scale(f, f"node_{layer}", f"node of {layer}: {LAYER_MEANING[layer]}", size)
            elif name == "step" and fraction is not None and fraction.shape == (size,):
                found = fraction
            elif (own := _reference_own_scale(ds, name, size)) is not None:
                found = own
            else:
                detail = _reference_axis_detail(ds, i)
                meaning = f"index of the {name} axis" + (f" ({detail})" if detail else "")
                found = scale(ds.parent, name, meaning, size)
            ds.dims[i].attach_scale(found)


INTERACTIONS = {
    "layers": ["z2", "z3"],
    "nodes": {"z2": [0, 1]},
    "order": 3,
    "max_triples": 100,  # fewer than the 286 triples of the digit below: r_3 is NaN
    "shapley_interaction": {"permutations": 2, "seed": 0, "max_pairs": 50000},
}


def _every_file_kind(folder, params, dtype):
    """Each kind of file the workflow writes, from ``params`` and a small digit: a sample's
    influence file with all its parts (three methods, faithfulness, interactions), the
    weights, MNIST (enough images for a compressed index scale), the baseline, the shared
    scale, a sweep shard and its classes.h5; returns their paths."""
    folder.mkdir()
    zero = np.zeros((28, 28))
    x = zero.copy()
    x[10:14, 12:15] = [[0.2, 0.9, 0.4]] * 4
    x[20, 5] = 1.0
    # four layers: with two, the file is too small for the order of HDF5's string heaps to
    # matter, and a writer that skipped one of the h5py reads it must repeat would pass
    layers = ["z1", "z2", "a3", "z3"]
    names = ["insertion", "deeplift", "shapley_sampling"]
    parameters = {"shapley_sampling": {"permutations": 4, "seed": 0}}
    result = methods.compute(params, x, zero, layers, names, parameters)
    curves = faithfulness.evaluate(
        params, x, zero, result["maps"], result["value"], result["baseline"], layers
    )
    found = interactions.interactions(
        params,
        x,
        zero,
        INTERACTIONS["layers"],
        INTERACTIONS["nodes"],
        INTERACTIONS["order"],
        INTERACTIONS["max_triples"],
        INTERACTIONS["shapley_interaction"],
        dtype=dtype,
    )
    attrs = {
        "sample": "s",
        "source": "{}",
        "title": "t",
        "label": 3,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": "{}",
        "png_sha256": "ab" * 32,
    }
    h5io.write_influence(
        folder / "influence.h5",
        result,
        x,
        zero,
        attrs,
        dtype,
        faithfulness=curves,
        interactions=found,
        interaction_settings=INTERACTIONS,
        min_change=1e-3,
        seed=0,
    )
    h5io.write_weights(
        folder / "weights.h5", {k: v.astype(np.float32) for k, v in params.items()}, "1" * 64
    )
    images = (np.arange(1100 * 784).reshape(1100, 28, 28) % 253).astype(np.uint8)
    labels = (np.arange(1100) % 10).astype(np.uint8)
    splits = {"test": (images, labels), "train": (images[:30], labels[:30])}
    h5io.write_mnist(folder / "mnist.h5", splits, {"a.gz": "2" * 64, "b.gz": "3" * 64})
    h5io.write_baseline(
        folder / "baseline.h5", zero, result["baseline"], "all-zero image", "1" * 64
    )
    h5io.write_shared_scale(
        folder / "scale.h5", {("insertion", "z3"): 0.5, ("deeplift", "z2"): 2.0}, ["a.h5"]
    )
    shard = folder / "shard.h5"
    sums = sweep.shard_sums(params, images[:4], labels[:4], zero, ["z3"], names[:1])
    provenance = {"split": "test", "images": 4, "config": "{}", "weights_sha256": "1" * 64}
    settings = {"layers": ["z3"], "methods": names[:1], "first": 0, "stop": 4, "shards": 1}
    h5io.write_sweep_shard(shard, sums, {**provenance, **settings, "shard": 0, "baseline": "b"})
    with h5io.merged_sweep_shards([shard]) as merged:
        h5io.write_classes(folder / "classes.h5", merged, ["z3"], names[:1], provenance, dtype)
    return sorted(folder.iterdir())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_files_have_the_bytes_of_h5py_high_level_calls(tmp_path, random_params, monkeypatch, dtype):
    fast = _every_file_kind(tmp_path / "fast", random_params, dtype)
    monkeypatch.setattr(h5io, "put", _reference_put)
    monkeypatch.setattr(h5io, "set_attrs", _reference_set_attrs)
    monkeypatch.setattr(hdf5, "set_attrs", _reference_set_attrs)
    monkeypatch.setattr(hdf5, "dimension_scales", _reference_dimension_scales)
    reference = _every_file_kind(tmp_path / "reference", random_params, dtype)
    assert [p.name for p in fast] == [
        "baseline.h5",
        "classes.h5",
        "influence.h5",
        "mnist.h5",
        "scale.h5",
        "shard.h5",
        "weights.h5",
    ]
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours.read_bytes() == theirs.read_bytes(), ours.name
    with h5py.File(fast[2]) as f:  # the parts whose scales take each way through the code
        assert f["interactions"].attrs["order3_skipped"].startswith("286 triples")
        assert [d[0].name for d in f["interactions/insertion/z2_pairs"].dims] == [
            "/interactions/pair_node_z2",
            "/interactions/changed",
            "/interactions/partner",
        ]
        assert [d[0].name for d in f["faithfulness/insertion/z2_deletion"].dims] == [
            "/node_z2",
            "/faithfulness/fraction",
        ]
    with h5py.File(fast[3]) as f:
        assert f["test/image"].compression == "gzip"  # an index scale of 1,100 images
    with h5py.File(fast[5]) as f:
        assert [d[0].name for d in f["insertion/maps/sum_hi"].dims] == [
            "/class",
            "/pixel",
            "/insertion/maps/node",
        ]


def _mnist_file(path):
    """An mnist.h5 whose test split holds 10,000 distinct made-up images (chunked as the
    real one: 1,250 images by 4 rows by 7 columns)."""
    n = np.arange(10000)[:, None, None]
    images = ((n * 7 + np.arange(28)[:, None] * 3 + np.arange(28) * 5) % 256).astype(np.uint8)
    labels = (np.arange(10000) % 10).astype(np.uint8)
    sources = dict(s.split() for s in h5io.mnist_sources())
    h5io.write_mnist(path, {"test": (images, labels)}, sources)
    return images, labels


def test_mnist_images_are_read_as_h5py_reads_them(tmp_path):
    """``read_mnist_image`` inflates each chunk only as far as the image lies; the first and
    last image of a chunk, negative indices and repeats read as h5py reads them."""
    path = tmp_path / "mnist.h5"
    images, labels = _mnist_file(path)
    with h5py.File(path) as f:
        assert f["test/images"].chunks == (1250, 4, 7)
    indices = [0, 1, 18, 1249, 1250, 2501, 9999, -1, -10000, 18]
    for i in indices:
        image, label = h5io.read_mnist_image(path, "test", i)
        assert image.dtype == np.uint8 and image.shape == (28, 28)
        np.testing.assert_array_equal(image, images[i])
        assert label == labels[i] and type(label) is int
    got, got_labels = h5io.read_mnist_images(path, "test", indices)
    np.testing.assert_array_equal(got, images[indices])
    np.testing.assert_array_equal(got_labels, labels[indices])
    assert got.shape == (10, 28, 28) and got_labels.dtype == np.uint8
    assert h5io.read_mnist_images(path, "test", [])[0].shape == (0, 28, 28)
    assert "out of range" in _error(lambda: h5io.read_mnist_image(path, "test", 10000))


def test_a_chunk_stored_without_compression_is_read_by_h5py(tmp_path):
    """A chunk whose deflate was skipped (filter mask) is left to h5py, which knows it."""
    path = tmp_path / "mnist.h5"
    images, _ = _mnist_file(path)
    with rewritten_h5(path) as f:
        ds = f["test/images"]
        raw = np.ascontiguousarray(images[1250:2500, 4:8, 7:14]).tobytes()
        ds.id.write_direct_chunk((1250, 4, 7), raw, filter_mask=0b10)  # deflate: filter 1
        assert ds.id.get_chunk_info_by_coord((1250, 4, 7)).filter_mask == 0b10
    for i in (1250, 1300, 2499):
        np.testing.assert_array_equal(h5io.read_mnist_image(path, "test", i)[0], images[i])
    np.testing.assert_array_equal(
        h5io.read_mnist_images(path, "test", [5, 1300])[0], images[[5, 1300]]
    )


def _relu_network(rng, widths=(30, 20, 4)):
    params, rows = {"activation": "relu"}, 784
    for k, nodes in enumerate(widths, 1):
        params[f"W{k}"] = rng.normal(0, 0.1, (rows, nodes)).astype(np.float32)
        params[f"b{k}"] = rng.normal(0, 0.1, nodes).astype(np.float32)
        rows = nodes
    return params


def test_a_users_network_round_trips_with_its_structure(tmp_path):
    params = _relu_network(np.random.default_rng(0))
    path = tmp_path / "weights.h5"
    sha = "ab" * 32
    h5io.write_weights(path, params, sha, source="net.onnx (ONNX file, ended in logits)")
    with pytest.raises(InputError, match="made from other data"):
        h5io.read_weights(path)  # by default, only the book's download
    read, got_sha = h5io.read_weights(path, sha)
    assert got_sha == sha
    assert read["activation"] == "relu"
    assert sorted(read) == sorted(params)
    for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
        assert read[key].dtype == np.float64
        np.testing.assert_array_equal(read[key], params[key].astype(np.float64))
    with h5py.File(path, "r") as f:
        assert f.attrs["architecture"] == "784-30-20-4"
        assert f.attrs["layers"] == 3
        assert f.attrs["activation"] == "relu"
        assert f.attrs["meaning"] == (
            "weights of a 784-30-20-4 dense network: relu hidden layers, softmax output"
        )
        assert f.attrs["forward"] == (
            "a1 = x@W1+b1; z1 = relu(a1); a2 = z1@W2+b2; z2 = relu(a2); a3 = z2@W3+b3; "
            "z3 = softmax(a3); x = pixels/255 flattened row-major"
        )
        assert f.attrs["source"] == "net.onnx (ONNX file, ended in logits)"
        assert f["W3"].attrs["meaning"] == "weights of layer 3 (a3 = z2 @ W3 + b3)"
        assert f["W3"].attrs["axes"] == "layer-2 node, output node (class)"
        assert f["b1"].attrs["axes"] == "layer-1 node"
        assert [d.label for d in f["W2"].dims] == ["node_z1", "node_a2"]


def test_the_books_weights_file_keeps_its_attributes(tmp_path, random_params):
    """The default network's file is what it always was: no activation attribute, the
    book's architecture and forward text, one generic layout that reduces to the book's."""
    path = tmp_path / "weights.h5"
    params = {k: v.astype(np.float32) for k, v in random_params.items()}
    h5io.write_weights(path, params, FILES["dlfs/sample_weight.pkl"][1])
    with h5py.File(path, "r") as f:
        assert "activation" not in f.attrs and "layers" not in f.attrs
        assert f.attrs["architecture"] == "784-50-100-10"
    assert h5io.param_dims(3) == h5io.PARAM_DIMS
    assert h5io.forward_text(random_params) == (
        "a1 = x@W1+b1; z1 = sigmoid(a1); a2 = z1@W2+b2; z2 = sigmoid(a2); a3 = z2@W3+b3; "
        "z3 = softmax(a3); x = pixels/255 flattened row-major"
    )
    assert h5io.architecture(random_params) == "784-50-100-10"


def test_a_deep_networks_file_names_its_own_layers_and_scales(tmp_path):
    """A 784-9-6-5-4 tanh network: its node values, output layers and node scales are its
    own (a4, z4), and the scales say tanh, not the book's sigmoid."""
    from pixel_influence import network

    rng = np.random.default_rng(4)
    params, rows = {"activation": "tanh"}, 784
    for k, nodes in enumerate((9, 6, 5, 4), 1):
        params[f"W{k}"] = rng.normal(0, 0.2, (rows, nodes))
        params[f"b{k}"] = rng.normal(0, 0.2, nodes)
        rows = nodes
    params = network.check_network(params)
    x = np.zeros((28, 28))
    x[10:14, 10:14] = 0.7
    layers = ["z3", "a4", "z4"]
    result = methods.compute(params, x, np.zeros((28, 28)), layers, ["deeplift"])
    path = tmp_path / "deep.h5"
    attrs = {
        "sample": "deep",
        "source": "{}",
        "title": "t",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": "{}",
    }
    h5io.write_influence(path, result, x, np.zeros((28, 28)), attrs, activation="tanh")
    got = h5io.read_influence(path, ["deeplift"], layers)
    assert got["output_layers"] == ("a4", "z4")
    np.testing.assert_array_equal(got["probabilities"], result["value"]["z4"])
    with h5py.File(path) as f:
        assert h5io.network_layers_of(f) == ["a1", "z1", "a2", "z2", "a3", "z3", "a4", "z4"]
        assert f["node_z3"].attrs["meaning"] == "node of z3: hidden layer 3 output: z3 = tanh(a3)"
        assert f["value/z1"].attrs["meaning"] == (
            "f(x): node values for x; hidden layer 1 output: z1 = tanh(a1)"
        )
        assert "node" not in f["value"]  # no index scale among the layers
