"""The interactions figure (render.interactions_figure): every panel is the gray level (or
colour) of the expansion's values on its documented scale, the rows and the partner pixel
are the expected ones, the texts say r1, r2, r3 (n/a for NaN), the size follows the rows
and the zoom, and the bytes are reproducible. The data come from interactions.interactions."""

import hashlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pixel_influence import interactions, network
from pixel_influence.errors import InputError
from pixel_influence.render import canvas, shading
from pixel_influence.render import interactions_figure as fig

ENDS = ("insertion", "occlusion")
KINDS = ("order1", "order2", "pair_strength", "partner")
LAYERS = ["z1", "z2", "a3", "z3"]
HIDDEN = {"z1": [3, 0], "z2": [5]}  # interactions sorts them: z1 0, z1 3
CHANGED = [(5, 7, 0.9), (6, 7, 0.5), (10, 12, 1.0), (11, 13, 0.3), (20, 14, 0.7), (21, 3, 0.2)]

# sha256 of mode, size and pixel bytes of the figure of ``made_up()``, drawn by the code
# before the figures were drawn on a numpy canvas (commit 9a31b13, ImageDraw); key
# (colormap, overlay, scale, zoom)
PICTURES = {
    ("gray", False, "layer", 2): "bee9931598e3178b43d8d5b292521ca58e08ecf69627fc7267951f930c7585b4",
    (
        "diverging",
        True,
        "node",
        1,
    ): "7e4d312a42e25cd32f3998d14ba2beda79459cec1d29110fad66c7768d296f96",
    ("gray", True, "shared", 4): "08e023fbf6915a8efad7fd75a25736d8ca071982f7c6ac291033d97178089e80",
    (
        "diverging",
        False,
        "layer",
        3,
    ): "49ac8917c9a3f126363922fb42b03f79f3734f84c8ffd7f9d1bba5f858246a29",
}


def figure_data(result, image, probabilities, title="t"):
    """The figure's input as the HDF5 reader gives it, from interactions.interactions."""
    ends = {
        end: {
            layer: {
                "order1": e["order1"][layer].reshape(-1, 28, 28),
                "order2": e["order2"][layer].reshape(-1, 28, 28),
                "pair_strength": e["pair_strength"][layer].reshape(-1, 28, 28),
                "residuals": e["residuals"][layer],
            }
            for layer in e["order1"]
        }
        for end, e in result["ends"].items()
    }
    return {
        "title": title,
        "image": image,
        "probabilities": probabilities,
        "changed": result["changed"],
        "nodes": result["nodes"],
        "ends": ends,
        "pairs": {end: e["pairs"] for end, e in result["ends"].items()},
    }


def image_of(pixels):
    image = np.zeros((28, 28))
    for row, col, value in pixels:
        image[row, col] = value
    return image


def data_of(params, pixels, layers=LAYERS, nodes=HIDDEN, order=3, **kwargs):
    image = image_of(pixels)
    result = interactions.interactions(
        params, image, np.zeros((28, 28)), layers, nodes=nodes, order=order, **kwargs
    )
    probabilities = network.forward(params, image.reshape(-1))["z3"]
    return figure_data(result, image, probabilities), result


@pytest.fixture(scope="module")
def small(random_params):
    return data_of(random_params, CHANGED)


def gray(values, scale):
    """The documented gray level (shading.to_gray): 128 + 127.5 v/scale, floored, v/scale
    clipped to [-1, 1]; a zero scale is uniform gray."""
    values = np.asarray(values, dtype=np.float64)
    if scale == 0:
        return np.full(values.shape, 128, dtype=np.uint8)
    return np.floor(128 + 127.5 * np.clip(values / scale, -1, 1)).astype(np.uint8)


def strongest(strength, pairs, changed):
    """Index into ``changed`` of the pixel with the largest pair strength (the node's map,
    784 values), the first on a tie, None if all are 0. The strength is the sum of |m_ij|
    over the row of the pair matrix (to rounding: m_ij and m_ji may differ in the last bit)."""
    if len(changed) == 0:
        return None
    values = strength.reshape(-1)[changed]
    np.testing.assert_allclose(values, np.abs(pairs).sum(axis=1), rtol=1e-12, atol=1e-15)
    k = int(np.argmax(values))
    return k if values[k] > 0 else None


def expected_panels(result, rows, scale="layer"):
    """{(end, kind): [(values (28, 28), scale, partner pixel or None)] per row}, computed
    from interactions' result without the figure module."""
    changed = result["changed"]
    out = {}
    for end in ENDS:
        e = result["ends"][end]
        values = {kind: [] for kind in KINDS}
        pixels = []
        for layer, node in rows:
            for kind in KINDS[:3]:
                values[kind].append(e[kind][layer][node].reshape(28, 28))
            pairs = e["pairs"][layer][result["nodes"][layer].index(node)]
            k = strongest(e["pair_strength"][layer][node], pairs, changed)
            partner = np.zeros(784)
            if k is not None:
                partner[changed] = pairs[k]
            values["partner"].append(partner.reshape(28, 28))
            pixels.append(None if k is None else int(changed[k]))
        for kind in KINDS:
            own = [float(np.abs(v).max()) for v in values[kind]]
            if scale != "node":
                per_layer = {}
                for (layer, _), s in zip(rows, own, strict=True):
                    per_layer[layer] = max(per_layer.get(layer, 0.0), s)
                own = [per_layer[layer] for layer, _ in rows]
            out[end, kind] = list(zip(values[kind], own, pixels, strict=True))
    return out


def checker(pixel, zoom):
    """The partner pixel's own square (panel coordinates): black where the 2 x 2 checker,
    split at zoom // 2, is black (top left, bottom right), white elsewhere in the square."""
    row, col = divmod(pixel, 28)
    black = np.zeros((28 * zoom, 28 * zoom), dtype=bool)
    white = black.copy()
    h = zoom // 2
    for y in range(zoom):
        for x in range(zoom):
            target = black if (y >= h) == (x >= h) else white
            target[row * zoom + y, col * zoom + x] = True
    return black, white


def assert_marked(img, column, y, pixel, zoom):
    """The partner panel's checker, and its ticks: 3 px above the panel over the pixel's
    column and 3 px right of it beside its row, black (0 in every channel)."""
    panel = 28 * zoom
    a = np.asarray(img)
    got = a[y : y + panel, column.panel_x : column.panel_x + panel]
    black, white = checker(pixel, zoom)
    assert (got[black] == 0).all() and (got[white] == 255).all()
    row, col = divmod(pixel, 28)
    x0 = column.panel_x + col * zoom
    assert (a[y - 3 : y, x0 : x0 + zoom] == 0).all()
    right = column.panel_x + panel
    assert (a[y + row * zoom : y + row * zoom + zoom, right + 1 : right + 4] == 0).all()
    return ~(black | white)


def panel_at(img, column, y, panel):
    return np.asarray(img)[y : y + panel, column.panel_x : column.panel_x + panel]


def expected_rows(result):
    out = [("a3", n) for n in range(10)] + [("z3", n) for n in range(10)]
    return out + [("z1", 0), ("z1", 3), ("z2", 5)]


@pytest.mark.parametrize("scale", ["layer", "node", "shared"])
@pytest.mark.parametrize("zoom", [1, 2])
def test_every_panel_is_the_gray_level_of_its_values(small, zoom, scale):
    """Each of the 23 rows x 8 panels equals the documented gray levels of the values from
    interactions' result on its scale; the partner panel is the pair-matrix row of the pixel
    with the largest pair strength, marked by a checker and two ticks."""
    data, result = small
    img = fig.interactions_figure(data, zoom=zoom, scale=scale)
    p = fig.plan(data, zoom, scale=scale)
    rows = expected_rows(result)
    assert img.mode == "L" and img.size == (p.layout.width, p.layout.height)
    assert list(p.rows) == rows
    panel = 28 * zoom
    expected = expected_panels(result, rows, scale)
    for column in p.layout.columns:
        for r, (values, s, pixel) in enumerate(expected[column.end, column.kind]):
            want = gray(values, s).repeat(zoom, axis=0).repeat(zoom, axis=1)
            got = panel_at(img, column, p.layout.row_y[r], panel)
            if column.kind == "partner" and pixel is not None:
                rest = assert_marked(img, column, p.layout.row_y[r], pixel, zoom)
                assert values.reshape(-1)[pixel] == 0  # the marked square hides nothing
                got, want = got[rest], want[rest]
            np.testing.assert_array_equal(got, want, err_msg=f"{column} row {r}")


def test_the_partner_pixel_is_the_strongest_and_its_row_is_drawn(small):
    data, result = small
    changed = result["changed"]
    p = fig.plan(data)
    for end in ENDS:
        for r, (layer, node) in enumerate(p.rows):
            pairs = result["ends"][end]["pairs"][layer][result["nodes"][layer].index(node)]
            k = strongest(result["ends"][end]["pair_strength"][layer][node], pairs, changed)
            assert p.partners[end][r][1] == int(changed[k])
            row, col = divmod(int(changed[k]), 28)
            assert p.texts.below[end][r][3] == [f"({row}, {col})"]
            np.testing.assert_array_equal(p.partners[end][r][0].reshape(-1)[changed], pairs[k])
            assert not p.partners[end][r][0].reshape(-1)[np.setdiff1d(range(784), changed)].any()


def test_strongest_pixel_takes_the_first_largest_and_none_without_pairs():
    changed = np.array([3, 40, 500])
    strength = np.zeros(784)
    strength[[3, 40, 500, 7]] = [0.5, 2.0, 2.0, 99.0]  # pixel 7 is not changed
    assert fig.strongest_pixel(strength, changed) == 1
    assert fig.strongest_pixel(np.zeros(784), changed) is None
    assert fig.strongest_pixel(strength, np.array([], dtype=int)) is None


def test_rows_are_output_layers_first_then_hidden_layers_in_network_order():
    nodes = {"z2": [4, 1], "z3": [0, 1], "z1": [2], "a3": [9]}
    assert fig.rows_of(nodes) == [("a3", 9), ("z3", 0), ("z3", 1), ("z1", 2), ("z2", 4), ("z2", 1)]
    with pytest.raises(InputError, match="'q9'"):
        fig.rows_of({"q9": [0]})


def test_rows_are_drawn_top_to_bottom_under_their_layer_headings(small):
    data, _ = small
    p = fig.plan(data)
    layout = p.layout
    assert list(layout.layer_y) == ["a3", "z3", "z1", "z2"]
    starts = {
        layer: layout.row_y[[la for la, _ in p.rows].index(layer)] for layer in layout.layer_y
    }
    for layer, y in layout.layer_y.items():
        assert y < starts[layer]
    assert all(a < b for a, b in zip(layout.row_y, layout.row_y[1:]))
    assert p.texts.names[:2] == ("digit 0", "digit 1") and p.texts.names[-1] == "z2 #5"
    best = int(np.argmax(data["probabilities"]))
    z3_rows = [r for r, (layer, _) in enumerate(p.rows) if layer == "z3"]
    assert [p.texts.probabilities[r] for r in z3_rows] == [
        (f"p={data['probabilities'][n]:.3f}", n == best) for n in range(10)
    ]
    assert all(p.texts.probabilities[r] is None for r in range(len(p.rows)) if r not in z3_rows)


def test_the_size_follows_the_rows_and_the_zoom(random_params):
    """A row more adds one row pitch: the panel, a text line (two with per-panel scales)
    and 6 px; at zoom 8 every column is a panel wide, 2 px apart, the ends a block apart."""
    for zoom in (1, 2, 3):
        for scale, lines in (("layer", 1), ("node", 2)):
            sizes = []
            for hidden in ([0, 1, 2, 3], [0, 1, 2, 3, 4]):
                data, _ = data_of(random_params, CHANGED, ["z1", "z3"], {"z1": hidden}, order=2)
                sizes.append(fig.interactions_figure(data, zoom=zoom, scale=scale).size)
            assert sizes[1][1] - sizes[0][1] == 28 * zoom + 1 + lines * (11 + zoom) + 6
    data, _ = data_of(random_params, CHANGED, ["z1", "z3"], {"z1": [0]}, order=2)
    p = fig.plan(data, 8)
    columns = p.layout.columns
    assert [c.width for c in columns] == [224] * 8
    assert all(c.panel_x == c.x for c in columns)
    gaps = [b.x - (a.x + a.width) for a, b in zip(columns, columns[1:])]
    assert gaps == [2, 2, 2, 18 + 16, 2, 2, 2]
    img = fig.interactions_figure(data, 8)
    assert img.size == (p.layout.width, p.layout.height)
    assert img.size[0] >= columns[-1].x + 224 + 12


def test_nan_r3_and_missing_orders_are_written_n_a(random_params):
    """max_triples=0 skips order 3 (r3 NaN); order 1 has no r2 and r3: n/a, drawn as text."""
    data, result = data_of(random_params, CHANGED, ["z1", "a3"], {"z1": [2]}, max_triples=0)
    assert np.isnan(result["ends"]["insertion"]["residuals"]["a3"][:, 2]).all()
    p = fig.plan(data)
    r1 = result["ends"]["occlusion"]["residuals"]["a3"][4, 0]
    assert p.texts.below["occlusion"][4][:3] == [
        [f"r1={fig.short(r1)}"],
        [f"r2={fig.short(result['ends']['occlusion']['residuals']['a3'][4, 1])}"],
        ["r3=n/a"],
    ]
    img = fig.interactions_figure(data)
    assert_text_drawn(img, p, "occlusion", "pair_strength", 4, "r3=n/a")
    data1, _ = data_of(random_params, CHANGED, ["z1", "a3"], {"z1": [2]}, order=1)
    p1 = fig.plan(data1)
    assert [t[0] for t in p1.texts.below["insertion"][0][:3]][1:] == ["r2=n/a", "r3=n/a"]
    assert p1.texts.below["insertion"][0][3] == ["no pairs"]  # order 1: no pair terms
    fig.interactions_figure(data1)


def assert_text_drawn(img, p, end, kind, r, text):
    """The figure holds ``text`` under row r's panel of (end, kind) exactly as the font draws
    it on white paper."""
    style, layout = p.style, p.layout
    column = next(c for c in layout.columns if (c.end, c.kind) == (end, kind))
    xy = (column.x + column.width / 2, layout.row_y[r] + style.panel + 1)
    reference = Image.new("L", img.size, 255)
    box = ImageDraw.Draw(reference).textbbox(xy, text, font=style.small, anchor="ma")
    ImageDraw.Draw(reference).text(xy, text, fill=0, font=style.small, anchor="ma")
    crop = (box[0], box[1], box[2], box[3])
    np.testing.assert_array_equal(np.asarray(img.crop(crop)), np.asarray(reference.crop(crop)))
    assert (np.asarray(reference.crop(crop)) < 128).any()


def test_short_numbers_keep_three_significant_digits():
    assert [fig.short(v) for v in (0.12345, -4.5678e-5, 2432.0, -150000.0, 0.0)] == [
        "0.123",
        "-4.57e-5",
        "2.43e3",
        "-1.5e5",
        "0",
    ]


def test_diverging_panels_and_legend_are_the_luts_colours(small):
    data, result = small
    img = fig.interactions_figure(data, colormap="diverging")
    p = fig.plan(data, colormap="diverging")
    assert img.mode == "RGB"
    lut = shading.LUTS["diverging"]
    rows = expected_rows(result)
    expected = expected_panels(result, rows)
    rgb = np.asarray(img)
    for column in p.layout.columns:
        for r in (0, 14, 21):
            values, s, pixel = expected[column.end, column.kind][r]
            want = lut[gray(values, s).repeat(2, axis=0).repeat(2, axis=1)]
            got = rgb[p.layout.row_y[r] : p.layout.row_y[r] + 56, column.panel_x :][:, :56]
            if column.kind == "partner" and pixel is not None:
                rest = assert_marked(img, column, p.layout.row_y[r], pixel, 2)
                got, want = got[rest], want[rest]
            np.testing.assert_array_equal(got, want)
    # the one-sided legend bar (pair strength): levels 128..255 in the table's colours
    style, layout = p.style, p.layout
    lines = len(fig._wrap(style, fig.LEGEND_TEXTS[1], layout.legend_width))
    bar_y = layout.legend_y[1] + lines * style.small_line + 2
    bar = rgb[bar_y + 1, layout.legend_x + 1 : layout.legend_x + layout.legend_width - 1]
    ramp = shading.legend_ramp(layout.legend_width, one_sided=True)[1:-1]
    np.testing.assert_array_equal(bar, lut[ramp])


def test_overlay_tints_the_outline_and_leaves_the_rest_gray(small):
    data, result = small
    plain = np.asarray(fig.interactions_figure(data))
    over = np.asarray(fig.interactions_figure(data, overlay=True))
    p = fig.plan(data, overlay=True)
    assert over.ndim == 3
    outline = shading.stroke_outline(data["image"], 2)
    assert outline.any()
    column, y = p.layout.columns[5], p.layout.row_y[3]  # occlusion order 2, a3 digit 3
    levels = plain[y : y + 56, column.panel_x : column.panel_x + 56]
    got = over[y : y + 56, column.panel_x : column.panel_x + 56].astype(int)
    np.testing.assert_array_equal(got[~outline], np.stack([levels] * 3, axis=-1)[~outline])
    mixed = (2 * levels[outline][:, None].astype(int) + 3 * np.array(shading.OUTLINE) + 2) // 5
    np.testing.assert_array_equal(got[outline], mixed)


def test_bytes_are_reproducible_and_the_metadata_says_what_is_drawn(small, tmp_path):
    data, result = small
    digests = []
    for k in range(2):
        path = tmp_path / f"{k}.png"
        img = fig.interactions_figure(data, colormap="diverging", overlay=True)
        canvas.save_png(img, path, fig.metadata(data, "diverging", True))
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    text = Image.open(tmp_path / "0.png").text
    assert text["Title"] == "t: pixel interactions"
    assert text["layer"] == "a3, z3, z1, z2"
    a3 = np.abs(result["ends"]["insertion"]["order1"]["a3"]).max()
    assert f"insertion order1: a3 {a3:.3g}," in text["scale"]
    assert text["colormap"].startswith("diverging") and text["overlay"].startswith("true")


@pytest.mark.parametrize("m", [0, 1, 2])
def test_a_few_changed_pixels(random_params, m):
    """0 changed pixels: every panel uniform gray; 1: no pairs; 2: the partner pixel is the
    one of larger pair strength (|m_12| both, to rounding), its partner map holds m_12 at
    the other."""
    data, result = data_of(random_params, CHANGED[:m], ["z1", "a3"], {"z1": [0, 1]})
    img = np.asarray(fig.interactions_figure(data))
    p = fig.plan(data)
    assert result["changed"].size == m
    partner_columns = [c for c in p.layout.columns if c.kind == "partner"]
    for r in range(len(p.rows)):
        for column in p.layout.columns:
            got = panel_at(img, column, p.layout.row_y[r], 56)
            if m == 0:
                assert (got == 128).all()
        if m < 2:
            assert [p.texts.below[end][r][3] for end in ENDS] == [["no pairs"]] * 2
    if m == 2:
        changed = result["changed"]
        for column in partner_columns:
            e = result["ends"][column.end]
            pairs = e["pairs"]["a3"]  # (10, 2, 2): digit n's pair matrix
            scale = np.abs(pairs).max()  # the a3 rows share a scale
            for r in range(10):
                k = strongest(e["pair_strength"]["a3"][r], pairs[r], changed)
                assert p.partners[column.end][r][1] == changed[k]
                row, col = divmod(int(changed[1 - k]), 28)
                got = panel_at(img, column, p.layout.row_y[r], 56)
                assert got[row * 2, col * 2] == gray(pairs[r][k, 1 - k], scale)
                assert got[row * 2 + 1, col * 2 + 1] == gray(pairs[r][k, 1 - k], scale)


def made_up():
    """The figure's input made up from random numbers (no expansion computed): five changed
    pixels, rows z3 0..9, z1 0 and 3 (z1 3 without pairs), NaN for every third r3."""
    rng = np.random.default_rng(21)
    image = np.zeros((28, 28))
    changed = np.array([5 * 28 + 7, 6 * 28 + 7, 10 * 28 + 12, 11 * 28 + 13, 20 * 28 + 14])
    image.reshape(-1)[changed] = [0.9, 0.5, 1.0, 0.3, 0.7]
    nodes = {"z3": list(range(10)), "z1": [0, 3]}
    ends, pairs = {}, {}
    for e, end in enumerate(ENDS):
        ends[end], pairs[end] = {}, {}
        for layer, n in {"z3": 10, "z1": 50}.items():
            residuals = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-7, 0, size=(n, 3))
            residuals[::3, 2] = np.nan
            ends[end][layer] = {
                "order1": rng.normal(size=(n, 28, 28)) * 10.0 ** (e - 2),
                "order2": rng.normal(size=(n, 28, 28)),
                "pair_strength": np.abs(rng.normal(size=(n, 28, 28))),
                "residuals": residuals,
            }
            pairs[end][layer] = rng.normal(size=(len(nodes[layer]), 5, 5))
        ends[end]["z1"]["pair_strength"][3] = 0.0
    return {
        "title": "made up",
        "image": image,
        "probabilities": np.linspace(0.19, 0.01, 10),
        "changed": changed,
        "nodes": nodes,
        "ends": ends,
        "pairs": pairs,
    }


@pytest.mark.parametrize(("colormap", "overlay", "scale", "zoom"), sorted(PICTURES))
def test_pictures_are_byte_identical_to_before(colormap, overlay, scale, zoom):
    img = fig.interactions_figure(made_up(), zoom, colormap, overlay, scale)
    got = hashlib.sha256(img.mode.encode() + str(img.size).encode() + img.tobytes()).hexdigest()
    assert got == PICTURES[colormap, overlay, scale, zoom]


def test_bad_input_is_refused_with_the_offending_value(small):
    data, _ = small
    with pytest.raises(InputError, match="'wide'"):
        fig.interactions_figure(data, scale="wide")
    with pytest.raises(InputError, match="'rainbow'"):
        fig.interactions_figure(data, colormap="rainbow")
    with pytest.raises(InputError, match="got 0"):
        fig.interactions_figure(data, zoom=0)
    bad = {**data, "nodes": {**data["nodes"], "z2": [5, 100]}}
    with pytest.raises(InputError, match="not 100"):
        fig.interactions_figure(bad)
    bad = {**data, "pairs": {**data["pairs"], "occlusion": {**data["pairs"]["occlusion"]}}}
    bad["pairs"]["occlusion"]["z1"] = bad["pairs"]["occlusion"]["z1"][:1]
    with pytest.raises(InputError, match=r"occlusion pair matrices of z1 have shape \(1, 6, 6\)"):
        fig.interactions_figure(bad)
    with pytest.raises(InputError, match="no expansion from the occlusion end"):
        fig.interactions_figure({**data, "ends": {"insertion": data["ends"]["insertion"]}})


def test_the_real_seven(real_params, real_test_split):
    """Test image 0 (a 7) with the book's weights: the a3 and z3 rows of digit 7 hold the
    pair-matrix rows of their strongest pixels, the z3 row of 7 the largest probability."""
    images = real_test_split[0]
    pixels = [(i // 28, i % 28, v) for i, v in enumerate(np.asarray(images[0], float).reshape(-1))]
    pixels = [p for p in pixels if p[2] != 0]
    with np.errstate(over="ignore"):
        data, result = data_of(real_params, pixels, order=2)
    p = fig.plan(data)
    img = np.asarray(fig.interactions_figure(data))
    assert p.texts.probabilities[17] == (f"p={data['probabilities'][7]:.3f}", True)
    expected = expected_panels(result, expected_rows(result))
    for r in (7, 17):
        for column in p.layout.columns:
            values, s, pixel = expected[column.end, column.kind][r]
            want = gray(values, s).repeat(2, axis=0).repeat(2, axis=1)
            got = panel_at(img, column, p.layout.row_y[r], 56)
            if column.kind == "partner":
                rest = assert_marked(img, column, p.layout.row_y[r], pixel, 2)
                got, want = got[rest], want[rest]
            np.testing.assert_array_equal(got, want)


def test_flat_maps_and_float32_pair_matrices_are_read_alike(small):
    """The maps as (nodes, 784) draw the same bytes as (nodes, 28, 28); pair matrices
    stored as float32 give partner maps of exactly their float32 values."""
    data, result = small
    flat = {
        end: {
            layer: {k: (v.reshape(len(v), -1) if k != "residuals" else v) for k, v in per.items()}
            for layer, per in e.items()
        }
        for end, e in data["ends"].items()
    }
    same = fig.interactions_figure({**data, "ends": flat})
    assert same.tobytes() == fig.interactions_figure(data).tobytes()
    single = {
        end: {layer: v.astype(np.float32) for layer, v in per.items()}
        for end, per in data["pairs"].items()
    }
    p = fig.plan({**data, "pairs": single})
    changed = result["changed"]
    for end in ENDS:
        for r, (layer, node) in enumerate(p.rows):
            k = list(changed).index(p.partners[end][r][1])
            row = single[end][layer][result["nodes"][layer].index(node), k]
            partner = p.partners[end][r][0].reshape(-1)[changed]
            np.testing.assert_array_equal(partner, row.astype(np.float64))
