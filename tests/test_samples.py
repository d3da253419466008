import numpy as np
import pytest
from PIL import Image

from pixel_influence import samples
from pixel_influence.errors import InputError


def test_png_sample_is_pixels_over_255(tmp_path):
    pixels = np.arange(784, dtype=np.uint16).reshape(28, 28) % 256
    Image.fromarray(pixels.astype(np.uint8), mode="L").save(tmp_path / "d.png")
    np.testing.assert_array_equal(samples.png_image(tmp_path / "d.png"), pixels / 255.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: Image.new("L", (28, 20)).save(p), "image is 28x20, expected 28x28"),
        (
            lambda p: Image.new("RGB", (28, 28)).save(p),
            "image mode 'RGB', expected 8-bit grayscale",
        ),
        (lambda p: p.write_bytes(b"not a png at all"), "not a readable image"),
    ],
)
def test_bad_png_is_a_clear_error(tmp_path, make, message):
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(InputError, match=message) as info:
        samples.png_image(path)
    assert "bad.png" in str(info.value)


def test_fill_and_mnist_images():
    assert np.all(samples.fill_image(0.25) == 0.25)
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[1, 3, 4] = 255
    x = samples.mnist_image(images, 1)
    assert x[3, 4] == 1.0 and x.sum() == 1.0


def test_kinds_and_checks():
    assert samples.kind({"fill": 1.0}) == "fill"
    assert samples.kind({"png": "a.png"}) == "png"
    assert samples.kind({"split": "test", "index": 0}) == "mnist"
    assert samples.check("ok", {"split": "train", "index": 59999}) == []
    assert samples.check("bad/name", {"fill": 1.0}) == [
        "config.samples.bad/name: the sample name becomes a file name; use letters, digits, "
        "'_', '-' and '.', starting with a letter or digit"
    ]
