"""The colour maps and the input's outline in every map picture (config ``colormap`` and
``overlay``): the tables, the panels, the legend bars, the outline, the PNG metadata and the
default pictures' bytes."""

import hashlib
import json
import runpy
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixel_influence import h5io, methods, network
from pixel_influence.errors import InputError
from pixel_influence.render import canvas, methods_figure, montage, shading

ROOT = Path(__file__).resolve().parents[1]
LAYER_SIZES = {"z1": 50, "a3": 10, "z3": 10}
COLUMNS = [("z1", 3), ("z3", 0), ("a3", 4)]
# sha256 of the former explorer page's diverging table (web/explorer.js, RGB bytes of gray
# levels 0..255), computed by Chromium from its RdBu control points before the page took
# its colours from render/shading.py
PAGE_DIVERGING_SHA256 = "e3332b11e4bf2f1a2dff9adb4c4edca75a8fd75ca41412a662a5e789ecb9c0ec"
# sha256 of mode, size and pixel bytes of the default (gray, no overlay) pictures of
# ``fixed()``, drawn by the code before colour maps existed (commit f6813f8)
DEFAULT_PICTURES = {
    ("layer", 1): (
        "aa61676b59e1b8d8592de646d1fae0eec718a2b210d49a83742dd368caaa528c",
        "0e3a2c0f0659da07f876f5dd10bd52e645cbf74606542d690e49bc8cdfcf3a53",
    ),
    ("layer", 2): (
        "f6e28b5a83cb8ee71eedebb664774429dcedbcfb9cecbeaabc7984d4841d60a4",
        "03f7fc93638c46022633f6fd193737606312a97a8e1b9543c295a1b9357f39b5",
    ),
    ("node", 1): (
        "1ad7be4bffa3c964ec71e2a704596149cc8999340f00964c43139494cf4be656",
        "8e6f1768c9d35f980ced4c45eff7a5d3af4995fc0c363a3f1769c275f9c8ff02",
    ),
    ("node", 2): (
        "6666d123b05e127ce716d2010a9d5a1b26eab407afe323679a84be6a804d473a",
        "e8b6fc44bac4d77a6fd806962f9d916eb007feeecbfaa4157c74f99a83c64085",
    ),
}

# the same of the coloured pictures (and a one-sided montage), drawn by the code before the
# figures were drawn on a numpy canvas (commit 9a31b13, ImageDraw); key (colormap, overlay,
# scale, zoom), value (montage, methods figure, one-sided montage)
COLOUR_PICTURES = {
    ("diverging", True, "layer", 1): (
        "e4679355943a53546434d15905fe1a320aeb5712576c11575056cedeafd1e33f",
        "be31bfef603e61cf68013b8a5921f050fbc89e78878182871a14971184b5f94c",
        "732ecc149910dad6b1ed776bce2d74fd5cd46492be752edb40515ad87f5bff9c",
    ),
    ("diverging", False, "node", 2): (
        "581f15bb7f3e64f1343df2a11a00942077e501de6c14c69faa4ae85617f609cc",
        "6a8064241b4631753642fa4f9c7161a94ac3103761aac2a5856b87f7d85a7905",
        "40a122fe573fd7f23a5393d893a5bb13e8fa2dd3a688fc71a7486a238f86e9c3",
    ),
    ("gray", True, "node", 4): (
        "6fb394987165b8d68d92cdf15bbfc98cb26852cb632594c847d4b7861dce38e9",
        "34e9c642fa8e8da89f30805430a11b0c8edc0ae851344e1edcb90c6a7ee45e95",
        "6acfa115e2c07803fd5c39bf673bd6ab1748fcfc7a8851762ed29b2ed4dd72a8",
    ),
}


def fixed():
    """A 7-like image with a faint rim, random maps of two methods, residuals, softmax."""
    rng = np.random.default_rng(14)
    image = np.zeros((28, 28))
    image[6:22, 12:16] = 1.0
    image[6:9, 9:19] = 0.6
    image[20, 10:18] = 0.3  # below 0.5: not a stroke
    maps = {
        m: {k: rng.normal(size=(n, 28, 28)) for k, n in LAYER_SIZES.items()}
        for m in ("insertion", "deeplift")
    }
    residuals = {m: {k: rng.normal(size=n) * 1e-3 for k, n in LAYER_SIZES.items()} for m in maps}
    return image, maps, residuals, np.linspace(0.01, 0.19, 10)


def scales_of(maps, mode):
    return {m: {k: shading.scale_of(v, mode) for k, v in per.items()} for m, per in maps.items()}


def digest(img):
    return hashlib.sha256(img.mode.encode() + str(img.size).encode() + img.tobytes()).hexdigest()


def rgb_of(img):
    return np.asarray(img.convert("RGB"))


def hex_colour(h):
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)]


def boundary(image, zoom):
    """The outline's pixels computed one by one: outside the strokes (input >= 0.5) at the
    zoom, with one of the 8 neighbours inside."""
    n = 28 * zoom
    stroke = [[image[r // zoom][c // zoom] >= 0.5 for c in range(n)] for r in range(n)]
    out = np.zeros((n, n), dtype=bool)
    for r in range(n):
        for c in range(n):
            if stroke[r][c]:
                continue
            out[r, c] = any(
                stroke[r + dr][c + dc]
                for dr in (-1, 0, 1)
                for dc in (-1, 0, 1)
                if 0 <= r + dr < n and 0 <= c + dc < n
            )
    return out


def tinted(rgb):
    """60 % of the outline colour over ``rgb``, rounded (no ties: fifths of integers)."""
    return np.rint((2 * rgb.astype(np.float64) + 3 * np.array(shading.OUTLINE)) / 5)


# ---- the tables --------------------------------------------------------------------------------


def test_diverging_table_ends_and_middle_are_rdbu():
    table = shading.LUTS["diverging"]
    assert table.shape == (256, 3) and table.dtype == np.uint8
    assert table[0].tolist() == hex_colour("053061")  # -scale: dark blue
    assert table[128].tolist() == hex_colour("f7f7f7")  # 0: white
    assert table[255].tolist() == hex_colour("67001f")  # +scale: dark red
    levels = shading.to_gray(np.array([-3.0, -2.0, 0.0, 2.0, 3.0]), 2.0)
    assert shading.colourize(levels, "diverging").tolist() == [
        hex_colour(h) for h in ("053061", "053061", "f7f7f7", "67001f", "67001f")
    ]
    np.testing.assert_array_equal(shading.LUTS["gray"], np.arange(256)[:, None].repeat(3, 1))
    with pytest.raises(ValueError):
        table[0, 0] = 1  # the one definition cannot be changed by accident


def test_diverging_table_is_the_pages_former_table_and_exact_interpolation():
    table = shading.LUTS["diverging"]
    assert hashlib.sha256(table.tobytes()).hexdigest() == PAGE_DIVERGING_SHA256
    # the same ramp in exact rational arithmetic: linear between the 11 RdBu colours, gray
    # level 0 at the first, 128 at the sixth (white), 255 at the last, rounded half up
    points = [hex_colour(h) for h in shading.RDBU]
    for g in range(256):
        p = (Fraction(g - 128, 128 if g < 128 else 127) + 1) * 5
        i = min(int(p), 9)
        f = p - i
        expected = [
            int(points[i][j] + f * (points[i + 1][j] - points[i][j]) + Fraction(1, 2))
            for j in range(3)
        ]
        assert table[g].tolist() == expected, g
    # blue below white, red above: symmetric in the sense of the hue, darker at the ends
    assert (table[:128, 2] >= table[:128, 0]).all() and (table[129:, 0] >= table[129:, 2]).all()


def test_the_outline_colour_is_in_no_colour_map_and_every_text_is_plain():
    for table in shading.LUTS.values():
        assert not np.all(table == shading.OUTLINE, axis=1).any()
    assert shading.shading_text("gray") == "gray = 0, brighter = positive, darker = negative"
    assert shading.shading_text("diverging") == "white = 0, red = positive, blue = negative"
    assert "0 to +scale" in shading.shading_text("diverging", one_sided=True)
    assert shading.colour_metadata("diverging", True) == {
        "colormap": "diverging: ColorBrewer RdBu (11 classes), white = 0, red = positive, "
        "blue = negative",
        "overlay": "true: green outline = the input's strokes (pixels >= 0.5)",
    }
    assert shading.colour_metadata("gray", False) == {
        "colormap": "gray: gray = 0, brighter = positive, darker = negative",
        "overlay": "false: no outline",
    }
    for bad in (lambda: shading.lut("viridis"), lambda: shading.colour_metadata("jet", False)):
        with pytest.raises(InputError, match="unknown colormap '(viridis|jet)'.*gray"):
            bad()
    image, maps, residuals, probs = fixed()
    with pytest.raises(InputError, match="unknown colormap 'viridis'"):
        montage.montage(
            image, maps, scales_of(maps, "layer"), probs, "t", "layer", colormap="viridis"
        )


# ---- the default pictures are those of before ------------------------------------------------


@pytest.mark.parametrize(("mode", "zoom"), sorted(DEFAULT_PICTURES))
def test_default_pictures_are_byte_identical_to_before(mode, zoom):
    image, maps, residuals, probs = fixed()
    scales = scales_of(maps, mode)
    drawn = montage.montage(
        image, maps, scales, probs, "golden", mode, residuals=residuals, zoom=zoom
    )
    figure = methods_figure.methods_figure(
        image, COLUMNS, maps, scales, residuals, probs, "golden", mode, zoom=zoom
    )
    assert drawn.mode == figure.mode == "L"
    assert (digest(drawn), digest(figure)) == DEFAULT_PICTURES[mode, zoom]
    explicit = montage.montage(
        image, maps, scales, probs, "golden", mode, residuals, zoom, "gray", False, False
    )
    assert explicit.tobytes() == drawn.tobytes()


@pytest.mark.parametrize(("colormap", "overlay", "mode", "zoom"), sorted(COLOUR_PICTURES))
def test_coloured_pictures_are_byte_identical_to_before(colormap, overlay, mode, zoom):
    image, maps, residuals, probs = fixed()
    scales = scales_of(maps, mode)
    colours = {"colormap": colormap, "overlay": overlay}
    drawn = montage.montage(
        image, maps, scales, probs, "golden", mode, residuals=residuals, zoom=zoom, **colours
    )
    figure = methods_figure.methods_figure(
        image, COLUMNS, maps, scales, residuals, probs, "golden", mode, zoom=zoom, **colours
    )
    spread = {m: {k: np.abs(v) for k, v in per.items()} for m, per in maps.items()}
    note = "one scale per layer, shared by the ten classes"
    one_sided = montage.montage(
        image,
        spread,
        scales_of(spread, mode),
        None,
        "spread",
        mode,
        zoom=zoom,
        **colours,
        one_sided=True,
        scale_note=note,
    )
    assert drawn.mode == figure.mode == one_sided.mode == "RGB"
    digests = (digest(drawn), digest(figure), digest(one_sided))
    assert digests == COLOUR_PICTURES[colormap, overlay, mode, zoom]


# ---- panels, legend bars and the outline in the montage ----------------------------------------


def montage_parts(image, maps, scales, probs, zoom, colormap, overlay, one_sided=False):
    style = canvas.MapStyle(zoom)
    layout = montage.montage_layout(
        style, maps, scales, "t", "layer", True, colormap, overlay, one_sided
    )
    drawn = montage.montage(
        image, maps, scales, probs, "t", "layer", None, zoom, colormap, overlay, one_sided
    )
    assert drawn.size == (layout.width, layout.height)
    return style, layout, drawn


def panel_at(pixels, block, j, style):
    x, y = block.panel_xy(j)
    return pixels[y : y + style.panel, x : x + style.panel]


def expected_panel(layer_maps, scale, j, zoom, colormap):
    levels = shading.to_gray(layer_maps[j], scale).repeat(zoom, 0).repeat(zoom, 1)
    return shading.LUTS[colormap][levels]


def bar_of(pixels, style, x, y, width):
    """The legend bar inside its black frame: one row (every row is the same)."""
    bar = pixels[y + 1 : y + style.legend - 1, x + 1 : x + width - 1]
    assert (bar == bar[:1]).all()
    assert (pixels[y, x : x + width] == 0).all() and (pixels[y + style.legend - 1, x] == 0).all()
    return bar[0]


@pytest.mark.parametrize("zoom", [1, 2])
@pytest.mark.parametrize("colormap", ["gray", "diverging"])
def test_montage_panels_and_legends_take_the_colour_maps_table(colormap, zoom):
    image, maps, _, probs = fixed()
    scales = scales_of(maps, "layer")
    style, layout, drawn = montage_parts(image, maps, scales, probs, zoom, colormap, False)
    assert drawn.mode == ("L" if colormap == "gray" else "RGB")
    pixels = rgb_of(drawn)
    table = shading.LUTS[colormap]
    for section in layout.sections:
        for block in section.blocks:
            layer_maps, scale = (
                maps[section.method][block.layer],
                scales[section.method][block.layer],
            )
            for j in range(block.nodes):
                got = panel_at(pixels, block, j, style)
                np.testing.assert_array_equal(
                    got, expected_panel(layer_maps, scale, j, zoom, colormap)
                )
            bar = bar_of(pixels, style, block.grid_x, block.legend_y, block.legend_width)
            ramp = shading.legend_ramp(block.legend_width)
            np.testing.assert_array_equal(bar, table[ramp[1:-1]])
            assert ramp[0] == 0 and ramp[-1] == 255  # from -scale to +scale
    assert layout.subtitle.startswith(shading.shading_text(colormap) + "; ")
    # the input image stays gray, the paper white
    top, left = layout.input_y + style.line, style.margin
    size = 56 * zoom
    big = np.rint(image * 255).astype(np.uint8).repeat(2 * zoom, 0).repeat(2 * zoom, 1)
    np.testing.assert_array_equal(
        pixels[top : top + size, left : left + size], big[..., None].repeat(3, 2)
    )
    assert (pixels[-1] == 255).all()


@pytest.mark.parametrize("zoom", [1, 2])
@pytest.mark.parametrize("colormap", ["gray", "diverging"])
def test_overlay_outlines_exactly_the_stroke_boundary_in_every_panel(colormap, zoom):
    image, maps, _, probs = fixed()
    scales = scales_of(maps, "layer")
    style, layout, plain = montage_parts(image, maps, scales, probs, zoom, colormap, False)
    _, with_layout, outlined = montage_parts(image, maps, scales, probs, zoom, colormap, True)
    assert outlined.mode == "RGB"
    assert with_layout.subtitle.endswith("green outline = the input's strokes (pixels >= 0.5)")
    where = boundary(image, zoom)
    # the 0.6 bar is a stroke (outlined just above it), the 0.3 rim is not (no outline two
    # pixels right of the stem)
    assert where[6 * zoom - 1, 9 * zoom] and not where[6 * zoom, 9 * zoom]
    assert not where[20 * zoom, 17 * zoom] and where[20 * zoom, 16 * zoom]
    plain, outlined = rgb_of(plain), rgb_of(outlined)
    panels = 0
    for (section, block), (_, with_block) in zip(
        [(s, b) for s in layout.sections for b in s.blocks],
        [(s, b) for s in with_layout.sections for b in s.blocks],
        strict=True,
    ):
        for j in range(block.nodes):
            before = panel_at(plain, block, j, style)
            after = panel_at(outlined, with_block, j, style)
            layer_maps, scale = (
                maps[section.method][block.layer],
                scales[section.method][block.layer],
            )
            # without the overlay, the panel is the map alone
            np.testing.assert_array_equal(
                before, expected_panel(layer_maps, scale, j, zoom, colormap)
            )
            changed = np.any(after != before, axis=-1)
            np.testing.assert_array_equal(changed, where)  # on the boundary, nowhere else
            np.testing.assert_array_equal(after[where], tinted(before[where]))
            panels += 1
    assert panels == 2 * sum(LAYER_SIZES.values())


def test_overlay_on_a_real_digit_with_real_maps(real_params, real_test_split):
    images, labels = real_test_split
    image = images[0] / 255.0  # uint8 in the IDX file
    assert labels[0] == 7
    maps = methods.gradient_input(real_params, image.reshape(-1), np.zeros(784), ["z3"])
    maps = {"gradient_input": {"z3": maps["z3"].reshape(10, 28, 28)}}
    probs = network.forward(real_params, image.reshape(-1))["z3"]
    scales = scales_of(maps, "layer")
    style, layout, drawn = montage_parts(image, maps, scales, probs, 2, "diverging", True)
    where = boundary(image, 2)
    stroke = (image >= 0.5).repeat(2, 0).repeat(2, 1)
    assert where.sum() == 180 and not (where & stroke).any()  # the 7's outline, 180 px
    block = layout.sections[0].blocks[0]
    pixels = rgb_of(drawn)
    for j in range(10):
        expected = expected_panel(
            maps["gradient_input"]["z3"], scales["gradient_input"]["z3"], j, 2, "diverging"
        )
        expected[where] = tinted(expected[where])
        np.testing.assert_array_equal(panel_at(pixels, block, j, style), expected)
    # gradient x input is 0 where the image is 0: there the outline lies on white (f7f7f7),
    # tinted to (99, 189, 141); 71 of its 180 pixels, the others on the digit's faint rim
    # (0 < x < 0.5), whose pixels do move the node
    on_white = np.all(
        expected_panel(
            maps["gradient_input"]["z3"], scales["gradient_input"]["z3"], 7, 2, "diverging"
        )
        == 247,
        -1,
    )
    tint = tinted(np.array([[247, 247, 247]]))[0]
    assert tint.tolist() == [99, 189, 141]
    panel = panel_at(pixels, block, 7, style)
    assert (panel[where & on_white] == tint).all() and (where & on_white).sum() == 71


def test_one_sided_maps_show_the_upper_half_of_the_ramp():
    image, maps, _, probs = fixed()
    spread = {m: {k: np.abs(v) for k, v in per.items()} for m, per in maps.items()}
    scales = scales_of(spread, "layer")
    style, layout, drawn = montage_parts(image, spread, scales, probs, 2, "diverging", False, True)
    assert "non-negative values: 0 to +scale" in layout.subtitle
    pixels = rgb_of(drawn)
    table = shading.LUTS["diverging"]
    block = layout.sections[0].blocks[0]
    bar = bar_of(pixels, style, block.grid_x, block.legend_y, block.legend_width)
    ramp = shading.legend_ramp(block.legend_width, one_sided=True)
    assert ramp[0] == 128 and ramp[-1] == 255 and (np.diff(ramp.astype(int)) >= 0).all()
    np.testing.assert_array_equal(bar, table[ramp[1:-1]])
    assert bar[0].tolist() == [247, 247, 247]  # starts at white: 0
    panel = panel_at(pixels, block, 0, style)
    np.testing.assert_array_equal(
        panel,
        expected_panel(spread["insertion"]["z1"], scales["insertion"]["z1"], 0, 2, "diverging"),
    )
    scale = scales["insertion"]["z1"]
    assert montage._legend_ends(block, scale, True) == ("0", f"+{shading.format_value(scale)}")
    assert montage._legend_ends(block, scale, False)[0].startswith("-")
    # the legend's middle "0" is gone: the two-sided picture differs below the bar's middle
    two = rgb_of(montage_parts(image, spread, scales, probs, 2, "diverging", False)[2])
    mid = block.grid_x + block.legend_width // 2
    below = slice(
        block.legend_y + style.legend + 1, block.legend_y + style.legend + style.small_line
    )
    assert (pixels[below, mid - 4 : mid + 4] == 255).all()
    assert (two[below, mid - 4 : mid + 4] < 255).any()


# ---- the methods figure ------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", [False, True])
@pytest.mark.parametrize("colormap", ["gray", "diverging"])
def test_methods_figure_panels_legend_and_outline(colormap, overlay):
    image, maps, residuals, probs = fixed()
    scales = scales_of(maps, "node")
    drawn = methods_figure.methods_figure(
        image, COLUMNS, maps, scales, residuals, probs, "t", "node", 2, colormap, overlay
    )
    style = canvas.MapStyle(2)
    texts = methods_figure.labels(COLUMNS, scales, residuals, probs)
    layout = methods_figure.methods_layout(style, texts, True, "t", "node", colormap, overlay)
    assert drawn.size == (layout.width, layout.height)
    assert drawn.mode == ("L" if (colormap, overlay) == ("gray", False) else "RGB")
    assert layout.subtitle.startswith(shading.shading_text(colormap))
    assert ("green outline" in layout.subtitle) == overlay
    pixels = rgb_of(drawn)
    where = boundary(image, 2)
    for method, y in zip(maps, layout.row_y, strict=True):
        for column in layout.columns:
            x = column.x + (column.width - style.panel) // 2
            got = pixels[y : y + style.panel, x : x + style.panel]
            scale = scales[method][column.layer][column.node]
            expected = expected_panel(maps[method][column.layer], scale, column.node, 2, colormap)
            if overlay:
                expected[where] = tinted(expected[where])
            np.testing.assert_array_equal(got, expected)
    bar = bar_of(pixels, style, layout.grid_x, layout.legend_y, layout.legend_width)
    np.testing.assert_array_equal(
        bar, shading.LUTS[colormap][shading.legend_ramp(layout.legend_width)[1:-1]]
    )


# ---- the workflow's scripts: every picture, its metadata, reproducible bytes ------------------


class Named(list):
    """A list with named items, as Snakemake gives a script its input, output and params."""

    def __init__(self, items=(), **named):
        super().__init__(items)
        self.__dict__.update(named)


def run_script(name, **smk):
    runpy.run_path(
        str(ROOT / "workflow" / "scripts" / f"{name}.py"), init_globals={"snakemake": Named(**smk)}
    )


@pytest.fixture(scope="module")
def influence_file(tmp_path_factory, random_params):
    image, *_ = fixed()
    result = methods.compute(
        random_params, image, np.zeros((28, 28)), ["z1", "z3"], ["insertion", "gradient_input"]
    )
    provenance = {
        "sample": "seven",
        "source": json.dumps({"png": "seven.png"}),
        "title": "seven: a test image",
        "label": 7,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": "{}",
    }
    path = tmp_path_factory.mktemp("influence") / "seven.h5"
    h5io.write_influence(path, result, image, np.zeros((28, 28)), provenance)
    return path, result


def draw_all(path, out, colormap, overlay):
    names = ["insertion", "gradient_input"]
    layers = ["z1", "z3"]
    params = dict(
        methods=names,
        layers=layers,
        expected={"seven": None},
        scale="layer",
        zoom=2,
        samples=["seven"],
        shared_scale_sources=None,
        colormap=colormap,
        overlay=overlay,
        class_names=None,
    )
    pictures = [out / m / f"{layer}.png" for m in names for layer in layers]
    for p in pictures:
        p.parent.mkdir(parents=True, exist_ok=True)
    run_script(
        "montage",
        input=Named(influence=str(path)),
        output=Named(montage=str(out / "montage.png"), layers=[str(p) for p in pictures]),
        params=Named(**params),
        log=[str(out / "montage.log")],
    )
    figure = out / "methods.png"
    run_script(
        "methods_figure",
        input=Named(influence=str(path)),
        output=Named([str(figure)]),
        params=Named(nodes={"z1": [3, 7]}, **params),
        log=[str(out / "methods.log")],
    )
    return [out / "montage.png", *pictures, figure]


@pytest.mark.parametrize(
    ("colormap", "overlay"), [("gray", False), ("diverging", True), ("gray", True)]
)
def test_every_picture_of_the_scripts_obeys_the_keys_and_is_reproducible(
    influence_file, tmp_path, colormap, overlay
):
    path, result = influence_file
    first = draw_all(path, tmp_path / "a", colormap, overlay)
    second = draw_all(path, tmp_path / "b", colormap, overlay)
    assert len(first) == 6
    image = np.asarray(h5io.read_influence(path, ["insertion"], ["z1"])["image"])
    where = boundary(image, 2)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a  # same inputs, same bytes
        with Image.open(a) as png:
            assert png.text["colormap"] == shading.colour_metadata(colormap, overlay)["colormap"]
            assert png.text["overlay"] == shading.colour_metadata(colormap, overlay)["overlay"]
            assert png.mode == ("L" if (colormap, overlay) == ("gray", False) else "RGB")
            pixels = rgb_of(png)
        if a.parent.name == "insertion" and a.name == "z3.png":  # one method and layer
            style = canvas.MapStyle(2)
            maps = {"insertion": {"z3": result["maps"]["insertion"]["z3"]}}
            scales = scales_of(maps, "layer")
            layout = montage.montage_layout(
                style, maps, scales, "seven: a test image", "layer", True, colormap, overlay
            )
            block = layout.sections[0].blocks[0]
            for j in range(10):
                expected = expected_panel(
                    maps["insertion"]["z3"], scales["insertion"]["z3"], j, 2, colormap
                )
                if overlay:
                    expected[where] = tinted(expected[where])
                np.testing.assert_array_equal(panel_at(pixels, block, j, style), expected)
