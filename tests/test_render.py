import numpy as np
import pytest
from PIL import Image, ImageDraw

from pixel_influence.render import canvas, methods_figure, montage, shading


def test_to_gray_is_symmetric_around_mid_gray():
    maps = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    assert shading.to_gray(maps, 1.0).tolist() == [0, 0, 64, 128, 191, 255, 255]
    # a zero scale (nothing moves) draws uniform gray instead of dividing by zero
    assert shading.to_gray(np.zeros(3), 0.0).tolist() == [128, 128, 128]


def test_to_gray_per_node_scale():
    maps = np.array([[1.0, -1.0], [0.1, -0.1]])
    assert shading.to_gray(maps, np.array([1.0, 0.1])).tolist() == [[255, 0], [255, 0]]


def test_to_gray_is_the_formula_for_every_value_and_scale():
    """floor(128 + 127.5 clip(v / scale, -1, 1)); no scale (0, negative, NaN) is mid-gray
    whatever the value, a NaN value on a scale is whatever NumPy casts NaN to."""
    rng = np.random.default_rng(3)
    maps = rng.normal(size=(6, 28, 28)) * 10.0 ** rng.integers(-8, 4, size=(6, 1, 1))
    maps[0, 0, :4] = [np.inf, -np.inf, 0.0, -0.0]
    scales = np.array([1.0, 0.0, -2.0, np.nan, 3e-9, np.abs(maps[5]).max()])
    expected = np.empty(maps.shape, np.uint8)
    for j, (m, s) in enumerate(zip(maps, scales, strict=True)):
        expected[j] = np.floor(128 + 127.5 * np.clip(m / s, -1, 1)) if s > 0 else 128
    np.testing.assert_array_equal(shading.to_gray(maps, scales), expected)
    np.testing.assert_array_equal(shading.to_gray(maps[4], scales[4]), expected[4])
    assert shading.to_gray(maps.astype(np.float32), 1.0).dtype == np.uint8
    assert shading.to_gray(np.array([-1.0, -0.999, 0.999, 1.0]), 1.0).tolist() == [
        0,
        0,
        255,
        255,
    ]


def test_scale_of_layer_and_node():
    maps = np.zeros((3, 28, 28))
    maps[0, 0, 0], maps[1, 5, 5], maps[2, 1, 1] = 0.5, -2.0, 1.0
    assert shading.scale_of(maps, "layer") == 2.0
    assert shading.scale_of(maps, "node").tolist() == [0.5, 2.0, 1.0]


@pytest.mark.parametrize("zoom", [1, 2])
def test_montage_draws_every_node_panel_on_the_scale(zoom):
    """Flipping the sign of every map changes exactly the panel pixels: 170 panels."""
    sizes = {"z1": 50, "z2": 100, "a3": 10, "z3": 10}
    image = np.zeros((28, 28))
    probs = np.full(10, 0.1)

    def draw(sign):
        maps = {"insertion": {k: np.full((n, 28, 28), sign) for k, n in sizes.items()}}
        scales = {"insertion": {k: 1.0 for k in sizes}}
        return np.asarray(montage.montage(image, maps, scales, probs, "t", "layer", zoom=zoom))

    bright, dark = draw(1.0), draw(-1.0)
    assert bright.shape == dark.shape
    changed = bright != dark
    assert changed.sum() == 170 * (28 * zoom) ** 2
    assert set(np.unique(bright[changed])) == {255} and set(np.unique(dark[changed])) == {0}


def test_montage_is_deterministic_and_grows_with_methods():
    maps = {"m1": {"z3": np.random.default_rng(0).normal(size=(10, 28, 28))}}
    scales = {"m1": {"z3": shading.scale_of(maps["m1"]["z3"], "node")}}
    args = (np.ones((28, 28)), maps, scales, np.full(10, 0.1), "title", "node")
    a, b = montage.montage(*args), montage.montage(*args)
    assert a.tobytes() == b.tobytes()
    two = montage.montage(
        np.ones((28, 28)),
        {**maps, "m2": maps["m1"]},
        {**scales, "m2": scales["m1"]},
        np.full(10, 0.1),
        "title",
        "node",
    )
    assert two.size[1] > a.size[1]


METHOD_COLUMNS = [("z1", 3), ("z2", 17), ("z3", 0), ("z3", 9), ("a3", 4)]
SIZES = {"z1": 50, "z2": 100, "a3": 10, "z3": 10}


def _methods_args(methods=("insertion", "occlusion"), sign=1.0, mode="layer", columns=None):
    rng = np.random.default_rng(0)
    maps = {m: {k: np.full((n, 28, 28), sign) for k, n in SIZES.items()} for m in methods}
    scale = (lambda n: np.ones(n)) if mode == "node" else (lambda n: 1.0)
    scales = {m: {k: scale(n) for k, n in SIZES.items()} for m in methods}
    residuals = {m: {k: rng.normal(size=n) * 1e-3 for k, n in SIZES.items()} for m in methods}
    probs = np.linspace(0.01, 0.19, 10)
    cols = METHOD_COLUMNS if columns is None else columns
    return np.zeros((28, 28)), cols, maps, scales, residuals, probs, "t", mode


@pytest.mark.parametrize("zoom", [1, 2])
@pytest.mark.parametrize("mode", ["layer", "node", "shared"])
def test_methods_figure_draws_one_panel_per_method_and_column(zoom, mode):
    """Flipping the sign of every map changes exactly the 2 x 5 panels, to white / black."""
    bright = np.asarray(
        methods_figure.methods_figure(*_methods_args(sign=1.0, mode=mode), zoom=zoom)
    )
    dark = np.asarray(
        methods_figure.methods_figure(*_methods_args(sign=-1.0, mode=mode), zoom=zoom)
    )
    assert bright.shape == dark.shape
    changed = bright != dark
    assert changed.sum() == 2 * len(METHOD_COLUMNS) * (28 * zoom) ** 2
    assert set(np.unique(bright[changed])) == {255} and set(np.unique(dark[changed])) == {0}


def test_methods_figure_draws_the_chosen_node_with_its_own_scale():
    """Only node 17 of z2 differs; with per-node scales node j (values j + 1) is at full range."""
    args = list(_methods_args(methods=("m",), mode="node", columns=[("z2", 17), ("z2", 3)]))
    maps, scales = args[2], args[3]
    maps["m"]["z2"] = np.arange(1.0, 101.0)[:, None, None] * np.ones((100, 28, 28))
    scales["m"]["z2"] = np.arange(1.0, 101.0)
    a = np.asarray(methods_figure.methods_figure(*args))
    maps["m"]["z2"] = maps["m"]["z2"].copy()
    maps["m"]["z2"][17] *= -1
    b = np.asarray(methods_figure.methods_figure(*args))
    changed = a != b
    assert changed.sum() == 56**2  # one panel, drawn at zoom 2
    assert set(np.unique(a[changed])) == {255} and set(np.unique(b[changed])) == {0}


def test_methods_figure_residual_label_is_over_the_shown_nodes():
    args = _methods_args()
    base = methods_figure.methods_figure(*args)
    residuals = args[4]
    residuals["insertion"]["z2"][50] = 123.0  # node 50 is not shown: nothing changes
    assert methods_figure.methods_figure(*args).tobytes() == base.tobytes()
    residuals["insertion"]["z2"][17] = 123.0  # node 17 is shown: its row label and panel change
    assert methods_figure.methods_figure(*args).tobytes() != base.tobytes()


def test_methods_figure_is_deterministic_and_grows_with_rows_and_columns():
    one = methods_figure.methods_figure(*_methods_args(methods=("insertion",)))
    again = methods_figure.methods_figure(*_methods_args(methods=("insertion",)))
    assert one.mode == "L" and one.tobytes() == again.tobytes()
    three = methods_figure.methods_figure(*_methods_args(methods=("a", "b", "c")))
    assert three.size[1] > one.size[1]
    wide = methods_figure.methods_figure(
        *_methods_args(methods=("insertion",), columns=METHOD_COLUMNS + [("z1", 4), ("z1", 5)])
    )
    assert wide.size[0] > one.size[0]


def test_methods_figure_draws_the_input_image():
    args = list(_methods_args())
    dark = np.asarray(methods_figure.methods_figure(*args))
    args[0] = np.ones((28, 28))
    light = np.asarray(methods_figure.methods_figure(*args))
    assert (dark != light).sum() == (56 * 2) ** 2  # drawn at twice the zoom, like montage


def test_layouts_give_the_drawn_size_and_place_the_panels_inside():
    sizes = {"z2": 100, "z3": 10}
    maps = {"m": {k: np.zeros((n, 28, 28)) for k, n in sizes.items()}}
    scales = {"m": {"z2": 1.0, "z3": np.ones(10)}}
    probs = np.full(10, 0.1)
    style = canvas.MapStyle(2)
    layout = montage.montage_layout(style, maps, scales, "t", "layer")
    drawn = montage.montage(np.zeros((28, 28)), maps, scales, probs, "t", "layer")
    assert drawn.size == (layout.width, layout.height)
    blocks = layout.sections[0].blocks
    assert [b.layer for b in blocks] == ["z2", "z3"] and blocks[1].probabilities
    x, y = blocks[0].panel_xy(99)  # row 9, column 9
    assert (x, y) == (blocks[0].grid_x + 9 * blocks[0].pitch, blocks[0].grid_y + 9 * 58)
    assert blocks[0].x + blocks[0].width < blocks[1].x < layout.width

    args = _methods_args(mode="node")
    texts = methods_figure.labels(args[1], args[3], args[4], args[5])
    layout = methods_figure.methods_layout(style, texts, True, "t", "node")
    assert methods_figure.methods_figure(*args).size == (layout.width, layout.height)
    assert [(c.layer, c.node) for c in layout.columns] == METHOD_COLUMNS
    assert [g.layer for g in layout.groups] == ["z1", "z2", "z3", "a3"]
    assert all(a.x + a.width < b.x for a, b in zip(layout.columns, layout.columns[1:]))


def test_render_modules_declare_their_names_and_the_package_re_exports_none():
    import importlib
    import pkgutil

    import pixel_influence.render as package

    modules = [m.name for m in pkgutil.iter_modules(package.__path__)]
    assert {"canvas", "methods_figure", "montage", "shading", "table"} <= set(modules)
    for name in modules:
        module = importlib.import_module(f"pixel_influence.render.{name}")
        assert module.__doc__ and module.__all__, name
        assert all(hasattr(module, n) for n in module.__all__), name
    assert not [n for n in vars(package) if not n.startswith("_") and n not in modules]


def test_html_table_holds_the_rows_exactly_and_escapes_text():
    """render.table: every cell is the CSV's text, escaped; numbers right-aligned; a new
    value of the group column starts a separated block."""
    import html
    import re

    from pixel_influence.render.table import html_table

    rows = [
        {"layer": "z1", "method": "insertion", "value": "-0.886"},
        {"layer": "z1", "method": "<b>x</b>", "value": "nan"},
        {"layer": "z3", "method": "random", "value": "1.5e-07"},
    ]
    page = html_table(["layer", "method", "value"], rows, "T & t", "why", group="layer")
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]
    assert cells == [v for row in rows for v in row.values()]
    assert "<b>x</b>" not in page and "<title>T &amp; t</title>" in page
    assert page.count('<td class="number">') == 3
    assert page.count('<tr class="group">') == 1


def test_a_scale_note_replaces_the_scale_words_of_the_subtitle():
    """The sweep's class pictures share a scale over the classes, not the samples."""
    assert montage.subtitle_of("shared") == (
        "gray = 0, brighter = positive, darker = negative; one scale per layer, shared by all "
        "samples"
    )
    note = "one scale per layer, shared by the ten classes"
    assert montage.subtitle_of("shared", "diverging", scale_note=note) == (
        f"white = 0, red = positive, blue = negative; {note}"
    )


# ---- the canvas draws as Pillow's ImageDraw does, to the byte -----------------------------------


def _noise(mode, size=(70, 50)):
    """A picture of random pixels: a blend shows wherever it is not plain white."""
    shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
    return np.random.default_rng(5).integers(0, 256, shape, dtype=np.uint8)


def _pair(mode):
    pixels = _noise(mode)
    reference = Image.fromarray(pixels)
    drawn = canvas.Canvas(70, 50, mode)
    drawn.pixels[...] = pixels
    return reference, ImageDraw.Draw(reference), drawn


TEXTS = ["0", "\u00b1-1.23e-4", "digit 7  (10 nodes)", "max |residual| 0.0123", "", "a\nbc"]


@pytest.mark.parametrize("mode", ["L", "RGB"])
@pytest.mark.parametrize("anchor", [None, "ma", "ra", "rm", "lm"])
def test_canvas_text_is_imagedraw_text(mode, anchor):
    """The same pixels as ImageDraw.text for every font size the figures use, whole and
    fractional positions, texts cut off at every edge, over any background, over itself."""
    reference, draw, drawn = _pair(mode)
    k = 0
    for size in range(9, 18):
        text_font = canvas.font(size)
        for text in TEXTS:
            if "\n" in text and anchor in ("rm", "lm"):
                continue  # Pillow refuses a middle anchor for several lines
            for xy in [(3, 4), (20.5, 9.25), (-6.5, 40.75), (66, -3), (35.5, 47)]:
                xy = (xy[0] + k % 3, xy[1])
                k += 1
                draw.text(xy, text, fill=0, font=text_font, anchor=anchor)
                drawn.text(xy, text, text_font, anchor=anchor)
                np.testing.assert_array_equal(drawn.pixels, np.asarray(reference), err_msg=text)
    assert drawn.image().tobytes() == reference.tobytes()


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_canvas_rectangles_lines_and_pastes_are_imagedraws(mode):
    reference, draw, drawn = _pair(mode)

    def ink(level):
        return level if mode == "L" else (level,) * 3

    for box, outline, fill in [
        ([5, 6, 30, 20], 128, None),
        ([-3, 40, 8, 60], 0, None),
        ([60, -2, 75, 4], None, 0),
        ([10, 30, 10, 30], None, 255),
        ([20, 25, 40, 45], 0, 200),
    ]:
        draw.rectangle(
            box,
            fill=None if fill is None else ink(fill),
            outline=None if outline is None else ink(outline),
        )
        drawn.rectangle(box, outline=outline, fill=fill)
    for start, end in [
        ((2, 48), (60, 48)),
        ((65, 3), (65, 45)),
        ((50, 10), (40, 10)),
        ((-5, 0), (80, 0)),
    ]:
        draw.line([start, end], fill=ink(0))
        drawn.line(start, end)
    gray = np.arange(12 * 9, dtype=np.uint8).reshape(9, 12)
    for xy in [(3, 3), (-4, 44), (62, -5), (80, 10)]:
        reference.paste(Image.fromarray(gray), xy)
        drawn.paste(gray, xy)
    if mode == "RGB":
        rgb = np.stack([gray, 255 - gray, gray // 2], axis=-1)
        reference.paste(Image.fromarray(rgb), (40, 30))
        drawn.paste(rgb, (40, 30))
    np.testing.assert_array_equal(drawn.pixels, np.asarray(reference))
    with pytest.raises(ValueError, match="only horizontal and vertical"):
        drawn.line((0, 0), (3, 4))


@pytest.mark.parametrize("zoom", range(1, 10))
def test_enlarge_makes_each_pixel_a_square(zoom):
    levels = np.random.default_rng(zoom).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    expected = levels.repeat(zoom, axis=1).repeat(zoom, axis=2)
    np.testing.assert_array_equal(canvas.enlarge(levels, zoom), expected)
    np.testing.assert_array_equal(canvas.enlarge(levels[1], zoom), expected[1])
