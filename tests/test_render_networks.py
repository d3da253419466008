"""The pictures of any network (render.montage, render.methods_figure,
render.interactions_figure): layers a1, z1, ..., aL, zL of any width, the output layers
(aL, zL) passed in, the output nodes labelled with class names; the book's pictures stay
those of the defaults, byte for byte."""

import math
import string

import numpy as np
import pytest

from pixel_influence import datasets
from pixel_influence.errors import InputError
from pixel_influence.network import LAYERS, OUTPUT_LAYERS
from pixel_influence.render import canvas, methods_figure, montage, shading
from pixel_influence.render import interactions_figure as fig

FASHION = datasets.known("fashion-mnist").class_names
DIGITS = tuple(str(j) for j in range(10))
BOOK = {"a1": 50, "z1": 50, "a2": 100, "z2": 100, "a3": 10, "z3": 10}
WIDE = {"a1": 300, "z1": 300, "a2": 7, "z2": 7}  # 784-300-7
DEEP = {f"{kind}{k}": (3 if k == 4 else 20) for k in range(1, 5) for kind in "az"}  # 784-20-20-20-3
# zoom 2 (canvas.MapStyle): panel 56, gap 2, row labels 22, line 16, small line 13, block
# gap 22, margin 12, legend bar 8, input column 112, heading 36
PANEL, GAP, ROW_LABEL, LINE, SMALL, BLOCK_GAP, MARGIN, LEGEND = 56, 2, 22, 16, 13, 22, 12, 8
INPUT_X = MARGIN + 112 + BLOCK_GAP  # the first block's left edge
SOFTMAX = 56  # the probabilities' column right of an output panel column


def image():
    out = np.zeros((28, 28))
    out[6:22, 12:16] = 1.0
    return out


def node_maps(sizes, methods=("m",)):
    """Maps whose node j is the constant j + 1 (on a per-node scale every panel is white),
    the same for every method."""
    return {
        m: {
            k: np.arange(1.0, n + 1)[:, None, None] * np.ones((n, 28, 28)) for k, n in sizes.items()
        }
        for m in methods
    }


def random_maps(sizes, methods=("m",), seed=0):
    rng = np.random.default_rng(seed)
    return {m: {k: rng.normal(size=(n, 28, 28)) for k, n in sizes.items()} for m in methods}


def scales_of(maps, mode="layer"):
    return {m: {k: shading.scale_of(v, mode) for k, v in per.items()} for m, per in maps.items()}


def probabilities(n, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(n))


def outputs_of(sizes):
    """(aL, zL) of a sizes dict in the order a1, z1, ..., aL, zL."""
    return tuple(sizes)[-2:]


# ---- the grid of a layer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodes", "rows", "columns"),
    [
        (1, 1, 1),
        (2, 2, 1),
        (3, 3, 1),
        (7, 7, 1),
        (10, 10, 1),
        (20, 10, 2),
        (26, 10, 3),
        (50, 10, 5),
        (99, 10, 10),
        (100, 10, 10),
        (101, 20, 6),
        (300, 20, 15),
        (400, 20, 20),
        (401, 30, 14),
        (784, 30, 27),
        (1000, 40, 25),
        (2500, 50, 50),
    ],
)
def test_grid_rows_of_the_documented_widths(nodes, rows, columns):
    assert montage.grid_rows(nodes) == rows
    assert math.ceil(nodes / rows) == columns


def test_grid_rows_for_every_width_up_to_3000():
    """Every node has a place, no column is empty, tens of rows from 10 nodes on, 10 rows up
    to 100 nodes (the article's grid), never more columns than rows, about square."""
    for n in range(1, 3001):
        rows = montage.grid_rows(n)
        columns = math.ceil(n / rows)
        assert rows * columns >= n > rows * (columns - 1), n
        if n >= 10:
            assert rows % 10 == 0 and columns <= rows, n
        if n <= 100:
            assert rows == min(n, 10), n
        else:
            assert (rows - 10) ** 2 < n <= rows**2, n  # the smallest such multiple of 10
    assert montage.grid_rows(0) == 0


# ---- the montage's layout ------------------------------------------------------------------


def expected_block(nodes, output, beside, drawn, label_width=ROW_LABEL):
    """(rows, columns, width, height, pitch, legend width) of a block at zoom 2 with one scale
    per layer, worked out from the documented rules."""
    rows = montage.grid_rows(nodes)
    columns = math.ceil(nodes / rows)

    def width(reserve):
        column = PANEL + GAP + (SOFTMAX if reserve else 0)
        between = label_width if output else 0
        grid = label_width + columns * column + (columns - 1) * between - GAP
        return max(grid, 130 + label_width - ROW_LABEL)

    pitch = PANEL + GAP + ((SOFTMAX if beside else 0) + label_width if output else 0)
    height = 3 * LINE + SMALL + rows * (PANEL + GAP) + 2 + LEGEND + SMALL + 2
    return rows, columns, width(beside), height, pitch, width(drawn) - label_width


def layout_of(sizes, names=None, with_probabilities=True, zoom=2):
    maps = node_maps(sizes)
    style = canvas.MapStyle(zoom)
    return montage.montage_layout(
        style,
        maps,
        scales_of(maps),
        "t",
        "layer",
        with_probabilities,
        output_layers=outputs_of(sizes),
        class_names=names,
    )


@pytest.mark.parametrize(
    ("sizes", "names", "size"),
    [
        (BOOK, None, (2352, 764)),
        (WIDE, FASHION[:7], (2362, 1344)),
        (DEEP, None, (1392, 764)),
        ({"z1": 784, "a2": 26, "z2": 26}, tuple(string.ascii_uppercase), (2432, 1924)),
        ({"a1": 1, "z1": 1, "a2": 2, "z2": 2}, ("yes", "no"), (758, 300)),
    ],
)
def test_montage_layout_numbers_for_several_widths(sizes, names, size):
    """Rows, columns, widths, heights and pitches of every block and the picture's size,
    from the documented rules; the drawn picture has that size."""
    layout = layout_of(sizes, names)
    assert (layout.width, layout.height) == size
    (section,) = layout.sections
    x = INPUT_X
    for block, (layer, nodes) in zip(section.blocks, sizes.items(), strict=True):
        output = layer in outputs_of(sizes)
        beside = layer == outputs_of(sizes)[-1]
        label_width = ROW_LABEL
        if output and names is not None:
            widest = max(canvas.text_length(canvas.MapStyle(2).font, n) for n in names)
            label_width = max(ROW_LABEL, math.ceil(widest) + 6)
        assert block.label_width == label_width
        expected = expected_block(nodes, output, beside, beside, label_width)
        got = (block.rows, block.columns, block.width, block.height, block.pitch)
        assert got + (block.legend_width,) == expected, layer
        assert (block.x, block.grid_x, block.output, block.probabilities) == (
            x,
            x + label_width,
            output,
            beside,
        )
        x += block.width + BLOCK_GAP
    heading = 2 * MARGIN + canvas.MapStyle(2).heading_width("t", layout.subtitle)
    assert layout.width == max(x - BLOCK_GAP + MARGIN, heading)
    assert layout.height == MARGIN + 36 + LINE + max(b.height for b in section.blocks) + 22 + 12
    maps = random_maps(sizes)
    probs = probabilities(list(sizes.values())[-1])
    drawn = montage.montage(
        image(),
        maps,
        scales_of(maps),
        probs,
        "t",
        "layer",
        output_layers=outputs_of(sizes),
        class_names=names,
    )
    assert drawn.size == size


def test_without_probabilities_the_room_stays_and_the_legend_shrinks():
    """A sweep's spread picture has no probabilities: the last output layer keeps the
    softmax column's room (the pictures of a sweep line up) but draws no probabilities, and
    its legend spans its panels only."""
    names = tuple(string.ascii_uppercase)
    with_p = layout_of({"z1": 300, "a2": 26, "z2": 26}, names).sections[0].blocks[2]
    without = layout_of({"z1": 300, "a2": 26, "z2": 26}, names, False).sections[0].blocks[2]
    assert with_p.probabilities and not without.probabilities
    assert (without.width, without.pitch) == (with_p.width, with_p.pitch) == (406, 136)
    assert (with_p.legend_width, without.legend_width) == (384, 216)
    assert expected_block(26, True, True, False)[2:] == (406, 666, 136, 216)


def test_node_j_is_at_row_j_mod_rows_and_column_j_div_rows():
    layout = layout_of({"z1": 300, "a2": 26, "z2": 26}, tuple(string.ascii_uppercase))
    wide, out_a, out_z = layout.sections[0].blocks
    assert (wide.rows, wide.columns) == (20, 15)
    assert wide.panel_xy(299) == (wide.grid_x + 14 * 58, wide.grid_y + 19 * 58)
    assert wide.panel_xy(20) == (wide.grid_x + 58, wide.grid_y)
    assert (out_z.rows, out_z.columns) == (10, 3)
    # an output column is its panel, the softmax column and the next column's labels wide
    assert out_z.pitch == PANEL + GAP + SOFTMAX + out_z.label_width
    assert out_a.pitch == PANEL + GAP + out_a.label_width  # no probabilities beside a2
    assert out_z.panel_xy(25) == (out_z.grid_x + 2 * out_z.pitch, out_z.grid_y + 5 * 58)


@pytest.mark.parametrize(("sizes", "zoom"), [(WIDE, 1), (DEEP, 2)])
def test_every_node_is_drawn_at_its_place_on_its_scale(sizes, zoom):
    """Node j's panel (per-node scales: all white) turns black with the sign flipped, at
    ``panel_xy(j)``, and nothing else changes: every node of every layer has its panel."""
    maps = node_maps(sizes)
    scales = scales_of(maps, "node")
    args = (image(), maps, scales, probabilities(list(sizes.values())[-1]), "t", "node")
    keywords = {"zoom": zoom, "output_layers": outputs_of(sizes)}
    bright = np.asarray(montage.montage(*args, **keywords))
    flipped = {"m": {k: -v for k, v in maps["m"].items()}}
    dark = np.asarray(montage.montage(args[0], flipped, *args[2:], **keywords))
    panel = 28 * zoom
    changed = bright != dark
    assert changed.sum() == sum(sizes.values()) * panel**2
    style = canvas.MapStyle(zoom)
    layout = montage.montage_layout(
        style, maps, scales, "t", "node", output_layers=outputs_of(sizes)
    )
    for block in layout.sections[0].blocks:
        for j in range(block.nodes):
            x, y = block.panel_xy(j)
            assert (bright[y : y + panel, x : x + panel] == 255).all(), (block.layer, j)
            assert (dark[y : y + panel, x : x + panel] == 0).all(), (block.layer, j)


# ---- class names ---------------------------------------------------------------------------


def label_pixels(pixels, style, block, j):
    """The room left of output node j's panel, where its label is written."""
    x, y = block.panel_xy(j)
    return pixels[y : y + style.panel, x - block.label_width + 2 : x]


def expected_label(style, block, j, text, mode="L"):
    """The same room on a blank canvas with only ``text`` drawn as the montage draws it."""
    x, y = block.panel_xy(j)
    blank = canvas.Canvas(x + 1, y + style.panel, mode)
    blank.text((x - 4, y + style.panel / 2), text, style.font, anchor="rm")
    return blank.pixels[y : y + style.panel, x - block.label_width + 2 : x]


@pytest.mark.parametrize("zoom", [1, 2])
def test_output_nodes_are_labelled_with_the_class_names(zoom):
    """Each output panel (one column of 10, and three columns of 26) has its class's name
    written left of it, and nothing else there; the hidden layers keep their row numbers."""
    for sizes, names in (
        ({"z1": 50, "a2": 10, "z2": 10}, FASHION),
        ({"a1": 45, "z2": 26}, tuple(f"letter {c}" for c in string.ascii_uppercase)),
    ):
        maps = random_maps(sizes)
        scales = scales_of(maps)
        keywords = {"zoom": zoom, "output_layers": ("a2", "z2"), "class_names": names}
        probs = probabilities(len(names))
        drawn = np.asarray(montage.montage(image(), maps, scales, probs, "t", "layer", **keywords))
        style = canvas.MapStyle(zoom)
        layout = montage.montage_layout(
            style, maps, scales, "t", "layer", output_layers=("a2", "z2"), class_names=names
        )
        hidden, *outputs = layout.sections[0].blocks
        assert hidden.labels == DIGITS and not hidden.output
        for block in outputs:
            assert block.output and block.labels == names
            for j, name in enumerate(names):
                expected = expected_label(style, block, j, name)
                np.testing.assert_array_equal(label_pixels(drawn, style, block, j), expected)


def test_digit_class_names_draw_the_books_montage_byte_for_byte():
    """The default labels are the digits: naming them draws the same bytes, and so do the
    book's output layers passed explicitly."""
    maps = random_maps(BOOK, ("insertion", "deeplift"))
    scales = scales_of(maps)
    args = (image(), maps, scales, probabilities(10), "t", "layer")
    book = montage.montage(*args).tobytes()
    assert montage.montage(*args, class_names=DIGITS).tobytes() == book
    assert montage.montage(*args, output_layers=OUTPUT_LAYERS).tobytes() == book
    assert montage.montage(*args, class_names=FASHION).tobytes() != book


def test_the_output_layers_are_the_ones_passed():
    """In 784-20-20-20-3 the layer z3 is hidden (row numbers, column numbers, no
    probabilities) and z4 the output with the probabilities beside it."""
    layout = layout_of(DEEP)
    blocks = {block.layer: block for block in layout.sections[0].blocks}
    assert not blocks["z3"].output and blocks["z3"].labels == DIGITS
    assert blocks["a4"].output and not blocks["a4"].probabilities
    assert blocks["z4"].output and blocks["z4"].probabilities
    assert blocks["z4"].labels == ("0", "1", "2")
    maps = random_maps(DEEP)
    drawn = montage.montage(
        image(), maps, scales_of(maps), probabilities(3), "t", "layer", output_layers=("a4", "z4")
    )
    assert drawn.size == (layout.width, layout.height)


def test_methods_figure_heads_output_columns_with_the_class_names():
    sizes = {"z1": 300, "a2": 7, "z2": 7}
    maps = random_maps(sizes, ("a", "b"))
    scales = scales_of(maps)
    residuals = {m: {k: np.zeros(n) for k, n in sizes.items()} for m in maps}
    columns = [("z1", 299)] + [("z2", j) for j in range(7)] + [("a2", 6)]
    probs = probabilities(7)
    texts = methods_figure.labels(columns, scales, residuals, probs, ("a2", "z2"), FASHION[:7])
    assert texts.headers == ("z1 #299", *FASHION[:7], FASHION[6])
    best = int(np.argmax(probs))
    assert texts.probabilities == (
        None,
        *((f"p={probs[j]:.3f}", j == best) for j in range(7)),
        None,
    )
    default = methods_figure.labels(columns, scales, residuals, probs, ("a2", "z2"))
    assert default.headers == ("z1 #299", *(f"digit {j}" for j in range(7)), "digit 6")
    img = methods_figure.methods_figure(
        image(),
        columns,
        maps,
        scales,
        residuals,
        probs,
        "t",
        "layer",
        output_layers=("a2", "z2"),
        class_names=FASHION[:7],
    )
    layout = methods_figure.methods_layout(canvas.MapStyle(2), texts, False, "t", "layer")
    assert img.size == (layout.width, layout.height)


def test_methods_figure_with_digit_names_is_the_books():
    maps = random_maps(BOOK, ("insertion", "occlusion"))
    scales = scales_of(maps, "node")
    residuals = {m: {k: np.full(n, 1e-4) for k, n in BOOK.items()} for m in maps}
    columns = [("z1", 3), ("z3", 0), ("z3", 7), ("a3", 4)]
    args = (image(), columns, maps, scales, residuals, probabilities(10), "t", "node")
    book = methods_figure.methods_figure(*args).tobytes()
    names = tuple(f"digit {j}" for j in range(10))
    assert methods_figure.methods_figure(*args, class_names=names).tobytes() == book
    assert methods_figure.methods_figure(*args, output_layers=("a3", "z3")).tobytes() == book


def interactions_data(sizes, nodes, seed=3):
    """An interactions figure's input made up from random numbers: three changed pixels,
    every node of each layer in ``nodes``' keys."""
    rng = np.random.default_rng(seed)
    changed = np.array([5 * 28 + 7, 10 * 28 + 12, 20 * 28 + 14])
    img = np.zeros((28, 28))
    img.reshape(-1)[changed] = [0.9, 1.0, 0.7]
    ends, pairs = {}, {}
    for end in fig.ENDS:
        ends[end], pairs[end] = {}, {}
        for layer in nodes:
            n = sizes[layer]
            ends[end][layer] = {
                "order1": rng.normal(size=(n, 28, 28)),
                "order2": rng.normal(size=(n, 28, 28)),
                "pair_strength": np.abs(rng.normal(size=(n, 28, 28))),
                "residuals": rng.normal(size=(n, 3)) * 1e-3,
            }
            pairs[end][layer] = rng.normal(size=(len(nodes[layer]), 3, 3))
    out_nodes = list(nodes)[-1]
    return {
        "title": "made up",
        "image": img,
        "probabilities": probabilities(sizes[out_nodes]),
        "changed": changed,
        "nodes": nodes,
        "ends": ends,
        "pairs": pairs,
    }


def test_interactions_figure_of_a_two_layer_network_names_its_output_rows():
    """784-300-7: the rows of z2 (the output, first) are labelled with the class names and
    show the probabilities, then z1's; the layers are a1, z1, a2, z2."""
    layers = ("a1", "z1", "a2", "z2")
    data = interactions_data(WIDE, {"z1": [299, 4], "z2": list(range(7))})
    assert fig.rows_of(data["nodes"], layers) == [("z2", j) for j in range(7)] + [
        ("z1", 299),
        ("z1", 4),
    ]
    p = fig.plan(data, layers=layers, class_names=FASHION[:7])
    assert p.texts.names == (*FASHION[:7], "z1 #299", "z1 #4")
    best = int(np.argmax(data["probabilities"]))
    assert p.texts.probabilities[:7] == tuple(
        (f"p={data['probabilities'][j]:.3f}", j == best) for j in range(7)
    )
    assert p.texts.probabilities[7:] == (None, None)
    img = fig.interactions_figure(data, layers=layers, class_names=FASHION[:7])
    assert img.size == (p.layout.width, p.layout.height)
    default = fig.plan(data, layers=layers)
    assert default.texts.names[:7] == tuple(f"digit {j}" for j in range(7))
    text = fig.metadata(data, layers=layers)
    assert text["node"] == ", ".join(f"z2:{j}" for j in range(7)) + ", z1:299, z1:4"
    with pytest.raises(InputError, match=r"unknown layers \['z2'\]"):
        fig.rows_of(data["nodes"], ("a1", "z1"))


def test_interactions_figure_with_digit_names_is_the_books():
    data = interactions_data(BOOK, {"z1": [3], "z3": list(range(10))})
    book = fig.interactions_figure(data).tobytes()
    names = tuple(f"digit {j}" for j in range(10))
    assert fig.interactions_figure(data, layers=LAYERS, class_names=names).tobytes() == book


# ---- bad input -----------------------------------------------------------------------------


def test_class_names_that_do_not_fit_are_refused_naming_them():
    maps = random_maps({"z1": 20, "a2": 7, "z2": 7})
    scales = scales_of(maps)
    keywords = {"output_layers": ("a2", "z2")}
    args = (image(), maps, scales, probabilities(7), "t", "layer")
    with pytest.raises(InputError, match=r"montage: 3 class names \('a', 'b', 'c'\) for the 7"):
        montage.montage(*args, class_names=("a", "b", "c"), **keywords)
    with pytest.raises(InputError, match="class names must be non-empty texts, got 5"):
        montage.montage(*args, class_names=(*FASHION[:6], 5), **keywords)
    with pytest.raises(InputError, match="class_names must be a sequence of texts"):
        montage.montage(*args, class_names="abcdefg", **keywords)
    with pytest.raises(InputError, match="montage: 10 probabilities for the 7 nodes of z2"):
        montage.montage(*args[:3], probabilities(10), *args[4:], **keywords)
    residuals = {"m": {k: np.zeros(len(v)) for k, v in maps["m"].items()}}
    columns = [("z2", j) for j in range(7)]
    with pytest.raises(InputError, match="methods figure: 3 class names"):
        methods_figure.methods_figure(
            image(), columns, maps, scales, residuals, probabilities(7), "t", "layer",
            class_names=("a", "b", "c"), **keywords,
        )  # fmt: skip
    with pytest.raises(InputError, match=r"column \('z2', 5\) has no probability: 5 given"):
        methods_figure.methods_figure(
            image(), columns, maps, scales, residuals, probabilities(5), "t", "layer", **keywords
        )
    data = interactions_data(WIDE, {"z1": [0], "z2": list(range(7))})
    with pytest.raises(InputError, match="interactions figure: 2 class names"):
        fig.interactions_figure(data, layers=tuple(WIDE), class_names=("a", "b"))
    data["probabilities"] = probabilities(10)
    with pytest.raises(InputError, match="10 probabilities for the 7 nodes of z2"):
        fig.interactions_figure(data, layers=tuple(WIDE))
