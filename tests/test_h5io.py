import h5py
import numpy as np
import pytest

from pixel_influence import h5io, methods
from pixel_influence.errors import InputError


def _influence_file(path, random_params):
    x = np.zeros((28, 28))
    x[10:18, 12:15] = 1.0
    result = methods.compute(random_params, x, np.zeros((28, 28)), ["z3"], ["deeplift"])
    provenance = {
        "sample": "s",
        "source": "{}",
        "title": "t",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
    }
    h5io.write_influence(path, result, x, np.zeros((28, 28)), provenance)
    return result


def _readers(path):
    return {
        "read_weights": lambda: h5io.read_weights(path),
        "read_mnist_split": lambda: h5io.read_mnist_split(path, "test"),
        "read_baseline": lambda: h5io.read_baseline(path),
        "read_influence": lambda: h5io.read_influence(path, ["deeplift"], ["z3"]),
        "read_faithfulness": lambda: h5io.read_faithfulness(path),
        "read_shared_scale": lambda: h5io.read_shared_scale(path),
    }


def test_influence_file_round_trip(tmp_path, random_params):
    path = tmp_path / "s.h5"
    result = _influence_file(path, random_params)
    got = h5io.read_influence(path, ["deeplift"], ["z3"])
    np.testing.assert_array_equal(
        got["maps"]["deeplift"]["z3"], result["maps"]["deeplift"]["z3"].astype(np.float32)
    )
    with h5py.File(path) as f:
        assert f.attrs["format_version"] == h5io.FORMAT_VERSION
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_every_reader_refuses_another_format_version(tmp_path, random_params, version):
    path = tmp_path / "old.h5"
    _influence_file(path, random_params)
    with h5py.File(path, "a") as f:
        if version is None:
            del f.attrs["format_version"]
        else:
            f.attrs["format_version"] = version
    for name, read in _readers(path).items():
        with pytest.raises(InputError) as info:
            read()
        message = str(info.value)
        found = (
            "has no format_version attribute" if version is None else f"format_version {version!r},"
        )
        assert f"{path}: {found}" in message, name
        assert f"reads version {h5io.FORMAT_VERSION}; re-run the workflow" in message, name


@pytest.mark.parametrize("content", [b"", b"not an HDF5 file at all" * 10])
def test_a_file_that_is_not_hdf5_is_a_clear_error(tmp_path, content):
    path = tmp_path / "junk.h5"
    path.write_bytes(content)
    for read in _readers(path).values():
        with pytest.raises(InputError, match="not a readable HDF5 file .*delete it and re-run"):
            read()


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
