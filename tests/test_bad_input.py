"""One test per kind of bad input not already covered by test_mnist/test_samples/test_network:
each must be an InputError whose message names the file (or config key) and the problem."""

import os
import pickle

import numpy as np
import pytest
from conftest import idx_bytes, write_gz
from PIL import Image

from pixel_influence import mnist, network, samples
from pixel_influence.errors import InputError

# ---------------------------------------------------------------- PNG samples


def _png_error(path):
    with pytest.raises(InputError) as info:
        samples.png_image(path)
    return str(info.value)


@pytest.mark.parametrize(
    "mode, make",
    [
        ("RGBA", lambda: Image.new("RGBA", (28, 28), (255, 255, 255, 255))),
        ("I;16", lambda: Image.fromarray(np.full((28, 28), 40000, dtype=np.uint16))),
        ("P", lambda: Image.new("L", (28, 28)).convert("P")),
        ("1", lambda: Image.new("1", (28, 28))),
        ("L", lambda: Image.new("L", (640, 480), 255)),
    ],
    ids=["rgba", "gray16", "palette", "1bit", "white-page"],
)
def test_png_without_a_digit_is_refused(tmp_path, mode, make):
    path = tmp_path / "digit.png"
    image = make()
    image.save(path)
    with Image.open(path) as img:
        assert img.mode == mode  # what Pillow reads back, so the test tests that mode
    assert _png_error(path).startswith(f"{path}: no digit found: the image is uniform (every ")


def test_png_over_50_megapixels_is_refused(tmp_path):
    path = tmp_path / "digit.png"
    Image.new("1", (10_000, 5_001)).save(path)
    assert _png_error(path) == (
        f"{path}: image is 10000x5001 pixels, too large: at most 50 megapixels; scale it down"
    )


def test_png_that_is_a_jpeg_is_refused(tmp_path):
    path = tmp_path / "digit.png"
    Image.new("L", (28, 28)).save(path, "JPEG")
    assert _png_error(path).startswith(
        f"{path}: not a readable image: not a PNG file (it starts with b'\\xff\\xd8"
    )


def test_empty_png_file(tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(b"")
    assert _png_error(path) == f"{path}: file is empty, expected a PNG image"


def test_directory_as_png(tmp_path):
    assert _png_error(tmp_path) == f"{tmp_path}: is a folder, expected a PNG file"


def test_named_pipe_as_png_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    assert _png_error(fifo) == (
        f"{fifo}: is not a regular file (a pipe, socket or device), expected a PNG file"
    )


# ---------------------------------------------------------------- IDX files


def test_labels_file_given_as_images(tmp_path):
    labels = write_gz(tmp_path / "labels.gz", idx_bytes(np.zeros(20), mnist.LABEL_MAGIC))
    images = write_gz(tmp_path / "images.gz", idx_bytes(np.zeros((20, 28, 28)), mnist.IMAGE_MAGIC))
    with pytest.raises(InputError) as info:
        mnist.read_split(labels, images)  # the two paths swapped
    assert str(info.value) == (
        f"{labels}: magic number 0x00000801, expected 0x00000803 for IDX images "
        "(this is an IDX labels file)"
    )


def test_empty_idx_file(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        mnist.read_idx(path, "images")
    assert str(info.value) == f"{path}: file is empty, expected a gzip-compressed IDX file"


def test_directory_as_idx_file(tmp_path):
    with pytest.raises(InputError) as info:
        mnist.read_idx(tmp_path, "labels")
    assert str(info.value) == f"{tmp_path}: is a directory, expected a gzip-compressed IDX file"


def test_label_outside_0_to_9_names_its_position(tmp_path):
    path = write_gz(tmp_path / "labels.gz", idx_bytes([3, 1, 4, 1, 5, 92, 6], mnist.LABEL_MAGIC))
    with pytest.raises(InputError) as info:
        mnist.read_idx(path, "labels")
    assert str(info.value) == f"{path}: label 92 is outside 0..9 (item 5)"


# ---------------------------------------------------------------- weights pickle


@pytest.fixture
def params(random_params):
    return {k: np.asarray(v, dtype=np.float32) for k, v in random_params.items()}


def _pickle_error(obj, protocol=4):
    with pytest.raises(InputError) as info:
        network.load_pickle(pickle.dumps(obj, protocol=protocol), source="w.pkl")
    return str(info.value)


def test_pickle_of_a_list_instead_of_a_dict(params):
    assert _pickle_error(list(params.values())) == "w.pkl: expected a dict of arrays, got list"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_pickle_with_non_finite_weights(params, bad):
    params["W2"][7, 3] = bad
    params["W2"][9, 0] = bad
    assert _pickle_error(params) == (
        "w.pkl: W2 holds 2 non-finite values (NaN or infinity), the first at index (7, 3)"
    )


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.uint8], ids=lambda d: np.dtype(d).name)
def test_pickle_with_arrays_neither_float32_nor_float64(params, dtype):
    params["b2"] = params["b2"].astype(dtype)
    assert _pickle_error(params) == (
        f"w.pkl: b2 has dtype {np.dtype(dtype)}, expected float32 or float64"
    )


def test_pickle_of_float64_weights_loads(params):
    params = {k: v.astype(np.float64) for k, v in params.items()}
    loaded = network.load_pickle(pickle.dumps(params, protocol=2))
    assert all(loaded[k].dtype == np.float64 for k in network.PARAM_SHAPES)
    np.testing.assert_array_equal(loaded["W3"], params["W3"])


_executed = []


class _Marker:
    """Unpickling this would call a function of this module: must never happen."""

    def __reduce__(self):
        return (_executed.append, ("ran",))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize(
    "content", [[0.5, 1.0], [_Marker(), 1.0]], ids=["numbers", "objects-with-reduce"]
)
def test_pickle_with_object_arrays_is_refused_without_running_anything(params, protocol, content):
    params["b3"] = np.array(content * 5, dtype=object)
    assert _pickle_error(params, protocol) == (
        "w.pkl: refusing to unpickle numpy dtype 'O8': the weights pickle may only hold plain "
        "numeric numpy arrays"
    )
    assert _executed == []


def test_empty_pickle():
    with pytest.raises(InputError) as info:
        network.load_pickle(b"", source="w.pkl")
    assert str(info.value) == "w.pkl: is empty, expected the pickled dict of weight arrays"


# ---------------------------------------------------------------- samples.check


@pytest.mark.parametrize(
    "value, problem",
    [
        (float("nan"), "nan is not a number, expected a value in [0, 1]"),
        (-0.25, "-0.25 is outside [0, 1]"),
        (float("inf"), "inf is outside [0, 1]"),
        (float("-inf"), "-inf is outside [0, 1]"),
    ],
    ids=["nan", "negative", "inf", "-inf"],
)
def test_fill_value_out_of_range(value, problem):
    assert samples.check("flat", {"fill": value}) == [f"config.samples.flat.fill: {problem}"]


def test_fill_value_that_is_not_a_number():
    assert samples.check("flat", {"fill": "0.5"}) == [
        "config.samples.flat.fill: '0.5' is not a number, expected a value in [0, 1]"
    ]


def test_mnist_index_with_a_decimal_point():
    # the JSON schema's "integer" accepts 3.0, which cannot index an array
    assert samples.check("d", {"split": "test", "index": 3.0}) == [
        (
            "config.samples.d.index: 3.0 is not a whole number, expected an integer 0..9999 "
            "written without a decimal point"
        )
    ]


@pytest.mark.parametrize(
    "name", ["..", ".hidden", "my digit", "a/../b", "digit\n", "-dash"], ids=repr
)
def test_sample_name_that_is_not_a_plain_file_name(name):
    assert samples.check(name, {"fill": 0.5}) == [
        f"config.samples: sample name {name!r} is not allowed: {samples.NAME_RULE}"
    ]


@pytest.mark.parametrize("name", ["d7", "seven.v2", "a..b", "X_1-b"])
def test_plain_sample_names_are_accepted(name):
    assert samples.check(name, {"fill": 0.5}) == []
