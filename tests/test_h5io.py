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

from pixel_influence import h5io, hdf5, methods, provenance
from pixel_influence.download import FILES
from pixel_influence.errors import InputError
from pixel_influence.network import LAYER_SIZES

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
