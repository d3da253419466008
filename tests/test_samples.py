import inspect
import subprocess
import sys

import numpy as np
import pytest
from conftest import needs_data
from PIL import Image, ImageDraw

from pixel_influence import config as config_checks
from pixel_influence import keypaths, mnist, network, samples
from pixel_influence.errors import InputError

TARGET = np.array(samples.MNIST_CENTRE)


def centre_of_mass(image):
    mass = image.sum()
    return np.array([image.sum(axis=1) @ np.arange(28), image.sum(axis=0) @ np.arange(28)]) / mass


def ink_box(image, threshold=0.0):
    """(height, width) of the bounding box of the pixels above ``threshold``."""
    ink = image > threshold
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def check_mnist_form(image):
    assert image.shape == (28, 28) and image.dtype == np.float64
    assert image.min() >= 0.0 and 0.0 < image.max() <= 1.0
    assert np.all(np.abs(centre_of_mass(image) - TARGET) <= 0.5)
    assert max(ink_box(image)) == samples.MNIST_BOX


def digit(size=(300, 200), box=(40, 60, 160, 250), width=18):
    """A "2"-like stroke, white (255) on black (0), as uint8 of shape ``size`` (rows, cols);
    ``box`` is (left, top, right, bottom)."""
    img = Image.new("L", size[::-1], 0)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = box
    mid = (top + bottom) // 2
    draw.arc((left, top, right, mid + (mid - top) // 3), 180, 20, fill=255, width=width)
    draw.line((right - width // 2, mid - (mid - top) // 4, left, bottom), fill=255, width=width)
    draw.line((left, bottom - width // 2, right, bottom - width // 2), fill=255, width=width)
    return np.asarray(img)


def save(path, image):
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(path)
    with Image.open(path) as back:
        return back.mode  # what Pillow reads back, so a test tests that mode


# ---------------------------------------------------------------- MNIST's preprocessing


def test_an_image_already_in_mnist_form_is_unchanged(tmp_path):
    shape = np.zeros((28, 28), dtype=np.uint8)
    shape[0:20, 5:7] = 255  # a "7": a stem 20 rows high ...
    shape[0:2, 0:7] = 200  # ... and its bar, so the centre of mass is off the box's middle
    shift = np.floor(TARGET - centre_of_mass(shape.astype(float)) + 0.5).astype(int)
    pixels = np.roll(shape, shift, axis=(0, 1))
    assert np.all(np.abs(centre_of_mass(pixels.astype(float)) - TARGET) <= 0.5)
    save(tmp_path / "d.png", pixels)
    np.testing.assert_array_equal(samples.png_image(tmp_path / "d.png"), pixels / 255.0)


def test_dark_on_light_gives_the_same_as_light_on_dark(tmp_path):
    light = digit()
    dark = 255 - light
    gray = (160 - 0.5 * light).astype(np.uint8)  # dark ink on a mid-gray page
    faint = (40 + 0.3 * light).astype(np.uint8)  # light ink on a dark gray page
    expected = samples.mnist_style(light)
    check_mnist_form(expected)
    for name, image, tolerance in [("dark", dark, 0), ("gray", gray, 0.02), ("faint", faint, 0.02)]:
        path = tmp_path / f"{name}.png"
        save(path, image)
        np.testing.assert_allclose(samples.png_image(path), expected, atol=tolerance, err_msg=name)


def test_a_noisy_gray_background_is_removed():
    rng = np.random.default_rng(0)
    page = 0.7 - 0.5 * digit() / 255.0 + rng.normal(0, 0.03, (300, 200))
    page[5, 5] = 0.0  # a speck of dirt far from the digit
    out = samples.mnist_style(np.clip(page, 0, 1))
    check_mnist_form(out)
    # the noise removed with the faintest ink: the edges of the strokes are a little thinner
    assert np.abs(out - samples.mnist_style(digit())).mean() < 0.05


@pytest.mark.parametrize(
    "image",
    [
        digit(),
        digit(box=(5, 5, 60, 90), width=6),  # off-centre, in the top left corner
        digit(size=(400, 100), box=(20, 30, 80, 370), width=10),  # tall and thin
        digit(size=(120, 500), box=(30, 40, 470, 90), width=8),  # wide and flat
        digit(size=(12, 9), box=(2, 2, 7, 10), width=1),  # tiny: enlarged to 20 rows
        digit(size=(3000, 2000), box=(300, 400, 1700, 2600), width=150),  # huge: shrunk
    ],
    ids=["plain", "off-centre", "tall", "wide", "tiny", "huge"],
)
def test_digit_is_fitted_into_20_and_centred_by_mass(image):
    out = samples.mnist_style(image)
    check_mnist_form(out)
    # the digit elsewhere on a larger page: the same result
    np.testing.assert_allclose(samples.mnist_style(np.pad(image, ((3, 0), (0, 2)))), out)


@pytest.mark.parametrize("shape, box", [((40, 10), (20, 5)), ((10, 40), (5, 20))])
def test_aspect_ratio_is_kept(shape, box):
    image = np.zeros((100, 100), dtype=np.uint8)
    image[30 : 30 + shape[0], 40 : 40 + shape[1]] = 255
    out = samples.mnist_style(image)
    assert ink_box(out, threshold=0.01) == box
    np.testing.assert_allclose(out[out > 0.01], 1.0, atol=1e-6)  # a solid bar stays solid
    assert np.all(np.abs(centre_of_mass(out) - TARGET) <= 0.5)


def test_input_types_agree():
    image = digit()
    expected = samples.mnist_style(image)
    np.testing.assert_allclose(samples.mnist_style(image / 255.0), expected, atol=1e-6)
    np.testing.assert_allclose(samples.mnist_style(image.astype(np.uint16) * 257), expected)
    np.testing.assert_allclose(samples.mnist_style(image > 127), samples.mnist_style(image > 127))
    check_mnist_form(samples.mnist_style(image > 127))


BLANK = "no digit found: the image is uniform"


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((28, 28)), BLANK + r" \(every pixel 0 on a 0 to 1 scale\); expected a digit"),
        (np.full((5, 7), 200, np.uint8), BLANK + r" \(every pixel 0.784 on a 0 to 1 scale\)"),
        (np.array([[0.5, 0.51], [0.5, 0.5]]), BLANK + r" \(pixel values 0.5 to 0.51 on a 0 to 1"),
        (np.random.default_rng(0).random((50, 50)), BLANK + " apart from noise"),
        (np.zeros((0, 5)), r"expected a 2-D image with pixels, got shape \(0, 5\)"),
        (np.zeros((3, 3, 3)), r"expected a 2-D image with pixels, got shape \(3, 3, 3\)"),
        (np.full((3, 3), np.nan), "the image holds non-finite values"),
    ],
    ids=["black", "gray", "faint", "noise", "empty", "3-D", "nan"],
)
def test_an_image_without_a_digit_is_an_error(image, message):
    with pytest.raises(InputError, match="^mine.png: " + message):
        samples.mnist_style(image, source="mine.png")


# ---------------------------------------------------------------- PNG files of any mode


def two_colours(shape, ink, page, mode="RGB"):
    """The digit() shape in colour ``ink`` on ``page`` (tuples of the image mode)."""
    mask = Image.fromarray(shape)
    img = Image.new(mode, mask.size, page)
    img.paste(Image.new(mode, mask.size, ink), mask=mask.point(lambda v: 255 * (v > 127)))
    return img


@pytest.mark.parametrize(
    "make, mode",
    [
        (lambda s: two_colours(s, (200, 30, 30), (255, 255, 255)), "RGB"),  # red on white
        (lambda s: two_colours(s, (250, 240, 60), (20, 20, 120)), "RGB"),  # yellow on blue
        (lambda s: two_colours(s, (0, 0, 0, 255), (255, 255, 255, 0), "RGBA"), "RGBA"),
        (lambda s: two_colours(s, (255, 255, 255, 255), (0, 0, 0, 0), "RGBA"), "RGBA"),
        (lambda s: two_colours(s, (30, 30, 30, 255), (0, 0, 0, 0), "RGBA"), "RGBA"),
        (lambda s: two_colours(s, (0, 255), (0, 0), "LA"), "LA"),
        (lambda s: two_colours(s, (10, 80, 10), (230, 230, 200)).quantize(4), "P"),
        (lambda s: Image.fromarray(255 * (s < 128).astype(np.uint8)).convert("1"), "1"),
        (lambda s: Image.fromarray((s > 127) * np.uint16(50000) + 3000), "I;16"),
        (lambda s: Image.fromarray(65535 - (s > 127) * np.uint16(65535)), "I;16"),
    ],
    ids=[
        "red-on-white",
        "yellow-on-blue",
        "black-on-transparent",
        "white-on-transparent",
        "black-on-transparent-black",
        "gray-alpha",
        "palette",
        "1bit",
        "gray16",
        "gray16-dark-on-light",
    ],
)
def test_png_of_any_mode(tmp_path, make, mode):
    shape = digit()
    expected = samples.mnist_style(shape > 127)
    path = tmp_path / "digit.png"
    assert save(path, make(shape)) == mode
    np.testing.assert_allclose(samples.png_image(path), expected, atol=1e-6)


def test_palette_with_a_transparent_page(tmp_path):
    shape = digit()
    img = two_colours(shape, (0, 0, 0), (255, 0, 0)).quantize(2)
    red = img.getpixel((0, 0))
    path = tmp_path / "digit.png"
    img.save(path, transparency=red)
    with Image.open(path) as back:
        assert back.mode == "P" and back.info["transparency"] == red
    np.testing.assert_allclose(samples.png_image(path), samples.mnist_style(shape > 127), atol=1e-6)


@pytest.mark.parametrize(
    "make, mode",
    [
        (lambda: Image.new("L", (28, 28), 255), "L"),
        (lambda: Image.new("RGB", (640, 480), (90, 120, 200)), "RGB"),
        (lambda: Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "RGBA"),  # fully transparent
        (lambda: Image.new("L", (1, 1)), "L"),
    ],
    ids=["white", "blue", "transparent", "one-pixel"],
)
def test_blank_png_is_a_clear_error(tmp_path, make, mode):
    path = tmp_path / "blank.png"
    assert save(path, make()) == mode
    with pytest.raises(InputError) as info:
        samples.png_image(path)
    assert str(info.value).startswith(f"{path}: {BLANK} (")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b"not a png at all"), "not a readable image"),
        (lambda p: Image.new("L", (28, 20)).save(p), BLANK),  # any size, but blank
    ],
)
def test_bad_png_is_a_clear_error(tmp_path, make, message):
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(InputError, match=message) as info:
        samples.png_image(path)
    assert "bad.png" in str(info.value)


# ---------------------------------------------------------------- the real MNIST images


@needs_data
def test_real_mnist_images_come_back_as_they_were(tmp_path, real_test_split, real_params):
    """The first 100 test images, saved as PNG and preprocessed again, differ by at most
    2/255: the stretch maps a brightest pixel of 254 (a tenth of the images) to 1, and the
    1% ink threshold may trim a pixel of 1 or 2 from the box's edge (the box keeps its
    longer side of 20, so nothing is resized). The network's predictions stay the same."""
    images, _ = real_test_split
    n = 100
    back = np.empty((n, 28, 28))
    for i in range(n):
        save(tmp_path / f"{i}.png", images[i])
        back[i] = samples.png_image(tmp_path / f"{i}.png")
    original = images[:n] / 255.0
    assert np.abs(back - original).max() <= 2 / 255 + 1e-12
    before, after = (
        network.forward(real_params, x.reshape(n, 784))["a3"].argmax(axis=1)
        for x in (original, back)
    )
    assert np.mean(before == after) >= 0.98  # measured: all 100 the same


@needs_data
def test_mnist_centre_of_mass_is_the_target(real_test_split):
    """The real images' mean centre of mass is MNIST_CENTRE, spread as whole-pixel shifts."""
    images = real_test_split[0].astype(np.float64)
    mass = images.sum(axis=(1, 2))
    com = np.stack([images.sum(axis=2) @ np.arange(28), images.sum(axis=1) @ np.arange(28)], 1)
    com /= mass[:, None]
    np.testing.assert_allclose(com.mean(axis=0), TARGET, atol=0.02)
    np.testing.assert_allclose(com.std(axis=0), 1 / np.sqrt(12), atol=0.01)


# ---------------------------------------------------------------- config entries


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
        f"config.samples: sample name 'bad/name' is not allowed: {samples.NAME_RULE}"
    ]


def test_split_sizes_are_the_mnist_file_counts():
    """One definition: the number of images each split's files must hold."""
    assert samples.SPLIT_SIZES == {split: n for split, (_, _, n) in mnist.SPLITS.items()}
    assert samples.SPLIT_SIZES == {"train": 60000, "test": 10000}
    assert samples.check("d", {"split": "test", "index": 10000}) == [
        "config.samples.d.index: 10000 is out of range for the test split (0..9999)"
    ]


def test_samples_names_keys_without_the_config_checks():
    """samples takes ``where`` and ``shown`` from keypaths at import, not from config (which
    imports samples): importing it loads no config module, and no function imports one."""
    code = (
        "import sys, pixel_influence.samples as s\n"
        "assert 'pixel_influence.config' not in sys.modules, 'config imported'\n"
        "print(s.check('a b', {'png': 'x'}, lambda p: 'does not exist'))\n"
        "assert 'pixel_influence.config' not in sys.modules, 'config imported late'\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "config.samples['a b'].png: 'x' does not exist" in out
    assert keypaths.__all__ == ["SHOWN", "shown", "where"]
    for module in (samples, config_checks):
        assert "from ." not in "".join(
            line for line in inspect.getsource(module).splitlines(True) if line.startswith(" ")
        ), module.__name__
