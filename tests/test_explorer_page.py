"""The explorer page in a real headless Chromium, as a person uses it: built here from random
weights and synthetic samples (no real data), opened from file://. Every pick, every control,
drawing with pointer events (free and in the 28x28 grid), the eraser and clear, hovering,
the node view, live Shapley values in a Web Worker and the sweep's class means; the numbers
the page shows are checked against pixel_influence (methods, network, samples, shading)."""

import base64
import re
import time
from pathlib import Path

import numpy as np
import pytest
from browser import console_errors, floats, open_file

from pixel_influence import explorer, methods, network, samples
from pixel_influence.render.shading import COLORMAPS, LUTS, scale_of, to_gray

LAYERS = list(network.LAYERS)
SHAPLEY_LAYERS = ["z1", "z2", "a3", "z3"]
SWEEP_METHODS, SWEEP_LAYERS = ["insertion", "deeplift"], ["z1", "z3"]
POINTS = 16  # integrated gradients' quadrature points, as configured: the page must use them
PAD = 336  # the drawing pad's pixels a side
TOLERANCE = 1e-9  # of the layer's largest |value|: float64 in the page and in numpy
E = "window.explorer."


def page_maps(driver, method, layer):
    got = floats(driver, f"{E}maps({method!r}, {layer!r})")
    return None if got is None else got.reshape(-1, 784)


def js(driver, script, *args):
    return driver.execute_script("return " + script, *args)


def settle(driver):
    """Wait until no drawn frame or decoding is pending."""
    deadline = time.monotonic() + 10
    while js(driver, E + "busy()"):
        assert time.monotonic() < deadline, "the page stayed busy"
        time.sleep(0.02)


# ---- synthetic data: random weights, two digit-like samples and a small sweep ---------------


def ring(cy=14, cx=14, radius=7.0, width=1.6):
    yy, xx = np.mgrid[0:28, 0:28]
    r = np.hypot(yy - cy, xx - cx)
    image = np.exp(-(((r - radius) / width) ** 2))
    return np.where(image < 0.05, 0.0, image)


def bar():
    image = np.zeros((28, 28))
    image[5:23, 13:15] = 1.0
    image[5:23, 12] = image[5:23, 15] = 0.4
    return image


@pytest.fixture(scope="module")
def synthetic(random_params):
    zero = np.zeros(784)
    shapley = methods.shapley_sampling(
        random_params, bar().ravel(), zero, SHAPLEY_LAYERS, permutations=8
    )
    # float32, as the sample files hold them by default
    shapley = {layer: m.astype(np.float32) for layer, m in shapley.items()}
    sample_list = [
        explorer.sample_data("ring", "ring: a synthetic 0", "synthetic", 0, ring()),
        explorer.sample_data(
            "bar",
            "bar: a synthetic 1 <with Shapley maps>",
            "synthetic",
            1,
            bar(),
            {layer: m.reshape(-1, 28, 28) for layer, m in shapley.items()},
        ),
    ]
    count = np.arange(10) * 111 + 5
    images = np.stack([ring(14, 14, 4 + k / 2) for k in range(10)]).reshape(10, 784)
    images = images.astype(np.float32)  # as classes.h5 holds them
    values = {
        layer: np.stack([network.forward(random_params, x)[layer] for x in images])
        for layer in LAYERS
    }
    maps, residuals = {}, {}
    for m in SWEEP_METHODS:
        per = [
            methods.METHODS[m].function(random_params, x.astype(np.float64), zero, SWEEP_LAYERS)
            for x in images
        ]
        maps[m] = {
            layer: np.stack([p[layer] for p in per]).reshape(10, -1, 28, 28)
            for layer in SWEEP_LAYERS
        }
        residuals[m] = {
            layer: np.stack(
                [
                    methods.residual(
                        values[layer][k], network.forward(random_params, zero)[layer], per[k][layer]
                    )
                    for k in range(10)
                ]
            )
            for layer in SWEEP_LAYERS
        }
    classes = explorer.classes_data("test", count, images, values, maps, residuals)
    data = explorer.build(
        explorer.network_data(random_params, "0" * 64),
        zero,
        "all-zero image",
        sample_list,
        SHAPLEY_LAYERS,
        {"integrated_gradients": {"points": POINTS}},
        classes,
    )
    return {
        "data": data,
        "shapley": shapley,
        "images": {"sample:ring": ring().ravel(), "sample:bar": bar().ravel()},
        "class_images": images.astype(np.float64),
        "class_maps": maps,
        "class_count": count,
    }


@pytest.fixture(scope="module")
def built(synthetic, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explorer")
    path = folder / "index.html"
    path.write_text(explorer.page(synthetic["data"], title="Test explorer"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(built, chromium):
    open_file(chromium, built)
    console_errors(chromium)
    return chromium


@pytest.fixture(autouse=True)
def no_errors(request):
    """Every test that uses the page leaves it without console errors or caught errors."""
    yield
    if "page" in request.fixturenames:
        driver = request.getfixturevalue("page")
        assert console_errors(driver) == []
        assert js(driver, E + "errors") == []


# ---- what the person sees: picks, controls, numbers --------------------------------------


def expected_image(key, synthetic):
    if key == "white":
        return np.ones(784)
    if key == "empty":
        return np.zeros(784)
    if key.startswith("class:"):
        return synthetic["class_images"][int(key[6:])]
    return synthetic["images"][key]


def test_every_pick_loads_its_image(page, synthetic):
    assert js(page, E + "samples()") == ["ring", "bar"]
    picks = js(page, E + "picks()")
    assert picks == ["sample:ring", "sample:bar", "white", "empty"] + [
        f"class:{k}" for k in range(10)
    ]
    titles = js(page, "Array.from(document.querySelectorAll('#pick option'), o => o.text)")
    assert "bar: a synthetic 1 <with Shapley maps>" in titles  # as given, escaped by the page
    assert "class 3 mean (338 images)" in titles
    assert "class 9 mean (1,004 images)" in titles
    for key in picks:
        js(page, E + "pick(arguments[0])", key)
        state = js(page, E + "state()")
        assert state["pick"] == key and state["sweep"] is False
        np.testing.assert_array_equal(floats(page, E + "image()"), expected_image(key, synthetic))
        assert js(page, "document.getElementById('pick').value") == key
        assert ("every map is 0" in state["note"]) == (key == "empty")
        note = js(page, "document.getElementById('note').textContent")
        assert note == ("empty: every map is 0" if key == "empty" else "")


COMBINATIONS = """[["gray", false], ["gray", true], ["diverging", false], ["diverging", true]].map(
  ([colour, overlay]) => {
    window.explorer.set({scale: arguments[0], colour, overlay});
    return [window.explorer.state(), document.querySelectorAll("#grid .cell canvas").length];
  })"""


def shading_of(maps, mode):
    return to_gray(maps, scale_of(maps, mode))


def test_every_control_combination_renders_as_the_pngs(page):
    js(page, E + "pick('sample:bar')")
    for method in [*explorer.LIVE_METHODS, "shapley_sampling"]:
        for layer in LAYERS:
            js(page, E + "set(arguments[0])", {"method": method, "layer": layer})
            maps = page_maps(page, method, layer)
            nodes = network.LAYER_SIZES[layer]
            if maps is None:  # Shapley of a1, a2: not embedded in the sample
                assert method == "shapley_sampling" and layer not in SHAPLEY_LAYERS
                assert "No Shapley maps" in js(
                    page, "document.getElementById('maps-note').textContent"
                )
            else:
                assert maps.shape == (nodes, 784) and np.isfinite(maps).all()
            for scale in ("layer", "node"):
                # every colour and overlay, each set and drawn as a person would, in one call
                states = js(page, COMBINATIONS, scale)
                for state, cells in states:
                    assert state["scale"] == scale and cells == nodes
                assert {(s["colour"], s["overlay"]) for s, _ in states} == {
                    (c, o) for c in ("gray", "diverging") for o in (False, True)
                }
                shown = js(
                    page, f"(({{method, layer, scale}}) => ({{method, layer, scale}}))({E}shown())"
                )
                assert (shown["method"], shown["layer"]) == (method, layer)
                gray = floats(page, E + "shown().gray")
                if maps is None:
                    assert gray is None and shown["scale"] is None
                    continue
                expected = shading_of(maps, scale)
                np.testing.assert_array_equal(gray.reshape(nodes, 784), expected)
                np.testing.assert_array_equal(shown["scale"], scale_of(maps, scale))
    # gray mode draws the gray levels themselves into each map's canvas
    js(
        page,
        E + "set(arguments[0])",
        {"method": "deeplift", "layer": "z3", "colour": "gray", "scale": "layer"},
    )
    drawn = js(
        page,
        "Array.from(document.querySelectorAll('#grid canvas'), c => "
        "Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data)"
        ".filter((_, i) => i % 4 == 0))",
    )
    np.testing.assert_array_equal(np.array(drawn), js(page, E + "shown().gray"))
    text = js(page, "document.getElementById('scale-text').textContent")
    assert re.match(r"scale ±[0-9.e+-]+ per layer", text)
    # the diverging colours: the pictures' table (render/shading.py), white at 0, red for
    # +scale, in every map and in the legend bar
    js(page, E + "set({colour: 'diverging'})")
    rgb = js(
        page,
        "Array.from(document.querySelectorAll('#grid canvas'), c => "
        "Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data))",
    )
    rgb = np.array(rgb, dtype=np.uint8).reshape(10, 784, 4)
    gray = np.array(js(page, E + "shown().gray"))
    np.testing.assert_array_equal(rgb[..., :3], LUTS["diverging"][gray])
    assert (rgb[..., 3] == 255).all()
    assert (rgb[gray == 128][:, :3] == [247, 247, 247]).all() and (gray == 128).any()
    for colour in ("diverging", "gray"):
        js(page, E + "set({colour: arguments[0]})", colour)
        bar = js(
            page,
            "Array.from(document.getElementById('legend-bar').getContext('2d')"
            ".getImageData(0, 0, 256, 1).data)",
        )
        np.testing.assert_array_equal(np.array(bar).reshape(256, 4)[:, :3], LUTS[colour])
    with pytest.raises(Exception, match="must be one of"):
        js(page, E + "set({layer: 'z9'})")


def test_the_page_draws_with_the_pictures_colour_tables(page, synthetic):
    """One definition of the colour maps: the page's tables are render/shading.py's LUTS,
    byte for byte, read from the page's data (web/explorer.js has none of its own)."""
    for name in COLORMAPS:
        np.testing.assert_array_equal(
            np.array(js(page, E + "colours(arguments[0])", name)), LUTS[name]
        )
        np.testing.assert_array_equal(
            explorer.decode(synthetic["data"]["colormaps"][name]), LUTS[name]
        )
    source = (Path(explorer.__file__).parent / "web" / "explorer.js").read_text()
    assert "f7f7f7" not in source.lower() and "053061" not in source


def test_live_maps_equal_the_python_methods(page, random_params, synthetic):
    zero = np.zeros(784)
    baseline = network.forward(random_params, zero)
    for key in ("sample:ring", "sample:bar", "white", "class:4"):
        js(page, E + "pick(arguments[0])", key)
        x = floats(page, E + "image()")
        value = network.forward(random_params, x)
        got_values = js(page, E + "values()")
        for layer in LAYERS:
            np.testing.assert_allclose(got_values[layer], value[layer], rtol=0, atol=1e-12)
        assert abs(sum(got_values["z3"]) - 1) < 1e-12
        for method in explorer.LIVE_METHODS:
            extra = {"points": POINTS} if method == "integrated_gradients" else {}
            expected = methods.METHODS[method].function(random_params, x, zero, LAYERS, **extra)
            for layer in LAYERS:
                got = page_maps(page, method, layer)
                bound = TOLERANCE * max(np.abs(expected[layer]).max(), 1e-300)
                assert np.abs(got - expected[layer]).max() <= bound, (key, method, layer)
                residual = methods.residual(value[layer], baseline[layer], expected[layer])
                got_residual = js(page, E + "residuals(arguments[0], arguments[1])", method, layer)
                np.testing.assert_allclose(got_residual, residual, rtol=0, atol=1e-9)


def test_shapley_maps_are_the_embedded_ones(page, synthetic):
    js(page, E + "pick('sample:bar')")
    for layer in LAYERS:
        got = page_maps(page, "shapley_sampling", layer)
        if layer in SHAPLEY_LAYERS:
            stored = synthetic["shapley"][layer].astype(np.float64)
            np.testing.assert_array_equal(got, stored)
        else:
            assert got is None
    js(page, E + "pick('sample:ring')")
    assert page_maps(page, "shapley_sampling", "z1") is None


# ---- drawing -------------------------------------------------------------------------------


def stroke(driver, points):
    """A pen stroke through ``points`` (offsets in CSS px from the pad's centre), as a mouse."""
    from selenium.webdriver.common.action_chains import ActionChains

    pad = driver.find_element("id", "pad")
    chain = ActionChains(driver, duration=10)
    chain.move_to_element_with_offset(pad, *points[0]).click_and_hold()
    for p in points[1:]:
        chain.move_to_element_with_offset(pad, *p)
    chain.release().perform()
    settle(driver)


TWO = [
    (-60, -100),
    (-20, -125),
    (30, -115),
    (50, -70),
    (20, -20),
    (-30, 40),
    (-55, 100),
    (0, 100),
    (60, 95),
]

INK = """
const g = window.explorer.ink();
const bytes = Uint8Array.from(g.gray, (v) => Math.round(v * 255));
let text = "";
for (let i = 0; i < bytes.length; i += 8192) {
  text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
}
return [g.height, g.width, btoa(text)];
"""


def ink_of(driver):
    height, width, text = driver.execute_script(INK)
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(height, width) / 255.0


def test_drawing_a_stroke_updates_image_prediction_and_maps(page, random_params):
    js(page, E + "set({grid: false, method: 'insertion', layer: 'z1'})")
    js(page, E + "pick('sample:ring')")
    before_values = js(page, E + "values()")["z3"]
    before_maps = page_maps(page, "insertion", "z1")
    page.find_element("id", "clear").click()
    state = js(page, E + "state()")
    assert state["pick"] == "drawing" and state["note"] == "empty: every map is 0"
    stroke(page, TWO)
    x = floats(page, E + "image()")
    assert js(page, E + "state().note") == ""
    gray = ink_of(page)
    assert gray.shape == (PAD, PAD) and gray.max() == 1.0 and 0 < gray.mean() < 0.3
    assert len(np.unique(gray)) > 10  # a soft edge: more than ink and paper
    np.testing.assert_allclose(x, samples.mnist_style(gray).ravel(), rtol=0, atol=1e-6)
    assert not np.allclose(js(page, E + "values()")["z3"], before_values)
    after = page_maps(page, "insertion", "z1")
    assert not np.allclose(after, before_maps)
    expected = methods.insertion(random_params, x, np.zeros(784), ["z1"])["z1"]
    assert np.abs(after - expected).max() <= TOLERANCE * np.abs(expected).max()
    shown = js(page, E + "shown()")
    np.testing.assert_array_equal(shown["gray"], shading_of(after, "layer"))
    assert re.search(
        r"last update [0-9.]+ ms", js(page, "document.getElementById('timing').textContent")
    )

    # the eraser takes ink away, where it passes
    page.find_element("css selector", "label[for=tool-eraser]").click()
    stroke(page, [(-80, 0), (80, 0)])
    erased = ink_of(page)
    assert erased.sum() < gray.sum() and (erased <= gray + 1e-12).all()
    x2 = floats(page, E + "image()")
    np.testing.assert_allclose(x2, samples.mnist_style(erased).ravel(), rtol=0, atol=1e-6)
    page.find_element("css selector", "label[for=tool-pen]").click()

    # clear: the all-zero image, every map 0, a note, no NaN
    page.find_element("id", "clear").click()
    assert floats(page, E + "image()").max() == 0
    assert js(page, E + "state().note") == "empty: every map is 0"
    assert js(page, "document.getElementById('note').textContent") == "empty: every map is 0"
    for method in explorer.LIVE_METHODS:
        maps = page_maps(page, method, "z2")
        assert np.isfinite(maps).all() and not maps.any()
    values = js(page, E + "values()")
    assert all(np.isfinite(v).all() for v in values.values())
    assert set(np.array(js(page, E + "shown().gray")).ravel()) == {128}


TOUCH = """
const pad = document.getElementById("pad"), r = pad.getBoundingClientRect();
const at = (type, x, y) => pad.dispatchEvent(new PointerEvent(type, {
  pointerId: 7, pointerType: arguments[0], isPrimary: true, bubbles: true, cancelable: true,
  button: 0, buttons: type === "pointerup" ? 0 : 1,
  clientX: r.left + x * r.width, clientY: r.top + y * r.height}));
at("pointerdown", 0.3, 0.2);
for (let t = 0; t <= 1; t += 0.05) at("pointermove", 0.3 + 0.4 * t, 0.2 + 0.6 * t);
at("pointerup", 0.7, 0.8);
return getComputedStyle(pad).touchAction;
"""


def test_touch_and_pen_draw_too(page):
    js(page, E + "set({grid: false})")
    for kind in ("touch", "pen"):
        page.find_element("id", "clear").click()
        assert page.execute_script(TOUCH, kind) == "none"  # no scrolling while drawing
        settle(page)
        x = floats(page, E + "image()")
        assert x.max() > 0.9 and js(page, E + "state().pick") == "drawing"
        np.testing.assert_allclose(x, samples.mnist_style(ink_of(page)).ravel(), rtol=0, atol=1e-6)


def test_drawing_into_the_grid_edits_the_image_itself(page):
    js(page, E + "pick('sample:ring')")
    js(page, E + "set({grid: true})")
    assert js(page, E + "state().grid") is True
    ring_image = floats(page, E + "image()").reshape(28, 28)
    stroke(page, [(110, -100), (110, 0), (110, 100)])  # a vertical line at column 23
    x = floats(page, E + "image()").reshape(28, 28)
    assert js(page, E + "state().pick") == "drawing"
    assert 0 <= x.min() and x.max() <= 1
    changed = np.argwhere(np.abs(x - ring_image) > 1e-12)
    assert changed.size and set(changed[:, 1]) <= {21, 22, 23, 24, 25}  # no recentring
    assert x[6:20, 23].min() > 0.5
    np.testing.assert_array_equal(x[:, :20], ring_image[:, :20])  # the ring kept
    page.find_element("css selector", "label[for=tool-eraser]").click()
    stroke(page, [(110, -100), (110, 100)])
    erased = floats(page, E + "image()").reshape(28, 28)
    assert erased[6:20, 23].max() < x[6:20, 23].min()
    page.find_element("css selector", "label[for=tool-pen]").click()
    js(page, E + "set({grid: false})")


# ---- inspecting --------------------------------------------------------------------------------


def number_after(text, label):
    match = re.search(re.escape(label) + r" ([−+]?[0-9.]+(?:e[−+-]?[0-9]+)?)", text)
    assert match, (label, text)
    return float(match.group(1).replace("−", "-"))


def test_hover_tells_the_numbers_of_a_map_and_a_pixel(page, random_params):
    from selenium.webdriver.common.action_chains import ActionChains

    js(page, E + "pick('sample:ring')")
    js(page, E + "set({method: 'insertion', layer: 'z1', scale: 'layer'})")
    node = 7
    canvas = page.find_element("css selector", f"#grid .cell:nth-child({node + 1}) canvas")
    size = canvas.size["width"]
    # the pixel at row 7, col 14 (on the ring): offsets from the canvas centre
    row, col = 7, 14
    ActionChains(page).move_to_element_with_offset(
        canvas, int((col + 0.5) * size / 28 - size / 2), int((row + 0.5) * size / 28 - size / 2)
    ).perform()
    tip = page.find_element("id", "tip")
    assert tip.is_displayed()
    text = tip.text
    value = js(page, E + "values().z1")[node]
    baseline = network.forward(random_params, np.zeros(784))["z1"][node]
    maps = page_maps(page, "insertion", "z1")
    residual = js(page, E + "residuals('insertion', 'z1')")[node]
    assert f"z1 node {node}" in text and "insertion" in text
    assert number_after(text, "f(x)") == pytest.approx(value, rel=5e-3)
    assert number_after(text, "f(0)") == pytest.approx(baseline, rel=5e-3)
    assert number_after(text, "f(x) − f(0)") == pytest.approx(value - baseline, rel=5e-3, abs=1e-3)
    assert number_after(text, "sum of the map") == pytest.approx(maps[node].sum(), rel=5e-3)
    assert number_after(text, "residual") == pytest.approx(residual, rel=5e-3, abs=1e-3)
    assert f"pixel (row {row}, col {col}):" in text
    pixel = number_after(text, f"pixel (row {row}, col {col}):")
    assert pixel == pytest.approx(maps[node, row * 28 + col], rel=5e-3, abs=1e-12)
    ActionChains(page).move_to_element(page.find_element("id", "title")).perform()
    assert not tip.is_displayed()


def test_clicking_a_node_opens_every_method_for_it(page):
    from selenium.webdriver.common.keys import Keys

    js(page, E + "pick('sample:bar')")
    js(page, E + "set({layer: 'z3', method: 'occlusion'})")
    page.find_element("css selector", "#grid .cell:nth-child(4)").click()
    view = page.find_element("id", "node-view")
    assert view.is_displayed()
    view_state = js(page, E + "node()")
    assert (view_state["layer"], view_state["node"]) == ("z3", 3)
    assert view_state["methods"] == [*explorer.LIVE_METHODS, "shapley_sampling"]
    # one scale for all methods by default: the largest |value| of this node's maps
    scales = view_state["scales"]
    top = max(np.abs(page_maps(page, m, "z3")[3]).max() for m in view_state["methods"])
    assert set(scales.values()) == {top}
    assert "z3 node 3 (digit 3)" in page.find_element("id", "node-title").text
    captions = [e.text for e in page.find_elements("css selector", "#node-panels figcaption")]
    assert len(captions) == 6
    for caption in captions:
        assert "sum" in caption and "residual" in caption
    page.save_screenshot("/tmp/explorer-node.png")
    # live: a change of the image redraws the open view
    js(page, E + "pick('sample:ring')")
    assert js(page, E + "node().node") == 3
    assert "residual" in page.find_elements("css selector", "#node-panels figcaption")[0].text
    page.find_element("id", "node-next").click()
    assert js(page, E + "node().node") == 4
    page.find_element("tag name", "body").send_keys(Keys.ESCAPE)
    assert not view.is_displayed() and js(page, E + "node()") is None
    # by keyboard: Enter on a focused map opens it, a click outside closes it
    page.find_element("css selector", "#grid .cell:nth-child(2)").send_keys(Keys.ENTER)
    assert js(page, E + "node().node") == 1
    page.execute_script("document.getElementById('node-view').click()")
    assert js(page, E + "node()") is None


# ---- live Shapley values ---------------------------------------------------------------------


def test_live_shapley_runs_in_a_worker_with_progress_and_is_efficient(page, random_params):
    js(page, E + "pick('sample:ring')")
    js(page, E + "set({method: 'shapley_sampling', layer: 'a2'})")
    assert js(page, E + "shown().gray") is None
    button = page.find_element("id", "shapley-run")
    assert button.is_enabled()
    page.execute_script(
        "window.__seen = []; window.__watch = setInterval(() => "
        "window.__seen.push(window.explorer.shapley().done), 2)"
    )
    button.click()
    deadline = time.monotonic() + 60
    while not js(page, E + "shapley().ready"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    seen = js(page, "clearInterval(window.__watch) || window.__seen")
    total = js(page, E + "shapley().total")
    assert total == 256 and any(0 < s < total for s in seen), seen
    assert "computed here" in page.find_element("id", "shapley-text").text
    x = floats(page, E + "image()")
    value = network.forward(random_params, x)
    baseline = network.forward(random_params, np.zeros(784))
    for layer in LAYERS:
        maps = page_maps(page, "shapley_sampling", layer)
        np.testing.assert_allclose(
            maps.sum(axis=1), value[layer] - baseline[layer], rtol=0, atol=1e-9
        )
    assert js(page, E + "shown().gray") is not None


def test_a_stroke_cancels_a_running_shapley_and_is_not_blocked(page):
    js(page, E + "pick('white')")  # 784 changed pixels: seconds of work for the worker
    js(page, E + "set({method: 'insertion', layer: 'z1', grid: false})")
    js(page, E + "runShapley()")
    assert js(page, E + "shapley().running") is True
    began = time.monotonic()
    stroke(page, [(0, -80), (0, 80)])
    assert time.monotonic() - began < 5
    assert js(page, E + "state().pick") == "drawing"
    state = js(page, E + "shapley()")
    assert state["running"] is False and state["ready"] is False
    assert not page.find_element("id", "shapley-progress").is_displayed()


# ---- the sweep's class means -----------------------------------------------------------------


def test_class_mean_shows_the_sweeps_maps_within_half_a_level(page, synthetic):
    for k in (0, 7):
        js(page, E + "pick(arguments[0])", f"class:{k}")
        assert page.find_element("id", "sweep-row").is_displayed()
        js(page, E + "set({sweep: true})")
        for method in SWEEP_METHODS:
            for layer in SWEEP_LAYERS:
                js(page, E + "set(arguments[0])", {"method": method, "layer": layer})
                stored = synthetic["class_maps"][method][layer][k].reshape(-1, 784)
                got = page_maps(page, method, layer)
                half = np.abs(stored).max() / 254
                assert np.abs(got - stored).max() <= half * (1 + 1e-6)
                shown = js(page, E + "shown()")
                assert shown["sweep"] is True
                np.testing.assert_array_equal(shown["gray"], shading_of(got, "layer"))
                text = js(page, "document.getElementById('scale-text').textContent")
                assert f"mean maps over the {synthetic['class_count'][k]:,} test images" in text
        js(page, E + "set({method: 'occlusion'})")  # the sweep has no occlusion maps
        assert page_maps(page, "occlusion", "z1") is None
        assert "no mean maps of occlusion" in js(
            page, "document.getElementById('maps-note').textContent"
        )
        js(page, E + "set({sweep: false})")
        live = page_maps(page, "occlusion", "z1")
        assert live is not None and js(page, E + "shown().sweep") is False
    js(page, E + "set({sweep: true})")
    page.find_element("id", "clear").click()  # a drawing is no class mean: live maps again
    state = js(page, E + "state()")
    assert (state["pick"], state["sweep"]) == ("drawing", False)
    assert not page.find_element("id", "sweep-row").is_displayed()


# ---- the page as a whole -----------------------------------------------------------------------


def test_screenshots_and_a_narrow_window(page):
    from selenium.webdriver.common.action_chains import ActionChains

    js(page, E + "pick('sample:ring')")
    js(
        page,
        E
        + "set({method: 'insertion', layer: 'z1', colour: 'gray', overlay: false, scale: 'layer'})",
    )
    page.save_screenshot("/tmp/explorer-default.png")
    js(page, E + "set({colour: 'diverging', overlay: true, layer: 'z2'})")
    cell = page.find_element("css selector", "#grid .cell:nth-child(12) canvas")
    ActionChains(page).move_to_element(cell).perform()
    page.save_screenshot("/tmp/explorer-diverging.png")
    size = page.get_window_size()
    try:
        page.set_window_size(820, 1000)
        assert js(page, "document.documentElement.scrollWidth <= window.innerWidth")
        page.save_screenshot("/tmp/explorer-narrow.png")
    finally:
        page.set_window_size(size["width"], size["height"])
    js(page, E + "set({colour: 'gray', overlay: false, layer: 'z1'})")


def test_benchmark(page):
    for key in ("sample:ring", "white"):
        js(page, E + "pick(arguments[0])", key)
        result = js(page, E + "benchmark(5)")
        print(f"\nexplorer benchmark ({key}): {result}")
        # the targets are 16 ms and 100 ms; loosely here, on a shared machine
        assert result["insertion_ms"] < 5 * 16 and result["all_ms"] < 5 * 100
        assert result["redraw_ms"] < result["insertion_ms"] + 1


def test_another_format_version_is_refused_with_a_message(synthetic, chromium, built, tmp_path):
    data = dict(synthetic["data"], format_version=2)
    path = tmp_path / "future.html"
    path.write_text(explorer.page(data), encoding="utf-8")
    try:
        open_file(chromium, path, ready="return !document.getElementById('failure').hidden")
        text = chromium.find_element("id", "failure").text
        assert "format version 2" in text and "reads version 1" in text
        assert js(chromium, E + "ready") is False
        assert not chromium.find_element("id", "app").is_displayed()
        assert console_errors(chromium) == []
    finally:
        open_file(chromium, built)  # the module's page again, for any test after this one
        console_errors(chromium)
