"""The explorer for networks other than the book's: kernels.js in a real headless Chromium on
random dense networks of depth 1 to 4, each hidden activation (sigmoid, tanh, relu, identity)
and widths that are not the book's, held to methods.compute (depth 3 with the sigmoid takes
the book's specialised passes, every other network the generic ones); and the page of a
2-layer ReLU network with named classes, opened from file:// and drawn on."""

import math
import time

import numpy as np
import pytest
from browser import console_errors, open_file
from browser import floats as page_floats
from conftest import random_network, sparse_digit
from test_explorer_kernels import HELPERS, decode, floats, kernels_js, run
from test_explorer_page import TWO, ink_of, settle, stroke

from pixel_influence import datasets, explorer, methods, network, samples
from pixel_influence.render.montage import grid_rows

TOLERANCE = 1e-9  # of the layer's largest |value|: float64 in the page and in numpy
ARCHITECTURES = {  # widths of the layers after the 784 inputs
    "L1": (7,),
    "L2": (23, 6),
    "L3": (31, 13, 8),  # with the sigmoid the book's shape: the specialised passes
    "L4": (17, 9, 11, 5),
}
NETWORKS = [(a, act) for a in ARCHITECTURES for act in network.ACTIVATIONS]
IDS = [f"{a}-{act}" for a, act in NETWORKS]
LIVE = list(explorer.LIVE_METHODS)
POINTS = 16  # integrated gradients' quadrature points
FASHION = list(datasets.known("fashion-mnist").class_names)
E = "window.explorer."


def set_network(driver, name, params):
    """window[name] = kernels.make_params(the network's arrays and activation)."""
    keys = network.weight_keys(params)
    run(
        driver,
        "const p = arguments[0]; const raw = {activation: p.activation};"
        "for (const k of arguments[1]) raw[k] = Float64Array.from(p[k]);"
        f"window[{name!r}] = kernels.make_params(raw);",
        {
            **{k: np.asarray(params[k]).ravel().tolist() for k in keys},
            "activation": network.activation_of(params),
        },
        list(keys),
    )


@pytest.fixture(scope="module")
def page(chromium, tmp_path_factory):
    """Chromium with a page that inlines kernels.js and the test helpers."""
    html = tmp_path_factory.mktemp("kernels-networks") / "kernels.html"
    html.write_text(
        "<!doctype html>\n<meta charset='utf-8'>\n<title>kernels</title>\n"
        f"<script id='kernels'>\n{kernels_js()}\n</script>\n<script>\n{HELPERS}\n</script>\n",
        encoding="utf-8",
    )
    open_file(chromium, html, ready="return typeof kernels !== 'undefined'")
    console_errors(chromium)
    return chromium


def page_maps(driver, params, method, x, baseline_image, layers, *parameters):
    """kernels.<method>(N, ...) as {layer: (nodes, 784)}; every pixel at the baseline is 0."""
    text, stray = run(
        driver,
        "const x = f64(arguments[0]), b = f64(arguments[1]);"
        f"return b64_changed(kernels.{method}(N, x, b, arguments[2], ...arguments[3]), x, b);",
        list(x),
        list(baseline_image),
        list(layers),
        list(parameters),
    )
    changed = np.flatnonzero(x != baseline_image)
    sizes = network.layer_sizes(params)
    out = {}
    for layer in layers:
        assert stray[layer] == 0, f"{method} {layer}: pixels at the baseline not exactly 0"
        full = np.zeros((sizes[layer], x.size))
        full[:, changed] = decode(text[layer]).reshape(sizes[layer], changed.size)
        out[layer] = full
    return out


@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_forward_and_the_network_description(page, name, activation):
    """make_params reads the depth, widths and activation; forward gives network.forward's
    values at every layer; the book's shape alone takes the specialised passes."""
    params = random_network(ARCHITECTURES[name], activation)
    set_network(page, "N", params)
    described = run(page, "return [N.depth, N.activation, N.layers, N.sizes, N.book];")
    layers = list(network.layer_names(params))
    assert described == [
        len(ARCHITECTURES[name]),
        activation,
        layers,
        [784, *ARCHITECTURES[name]],
        len(layers) == 6 and activation == "sigmoid",  # any widths: the book's passes
    ]
    assert run(page, "return kernels.layer_names(N);") == layers
    rng = np.random.default_rng(1)
    for x in (sparse_digit(rng), np.ones(784), np.zeros(784)):
        expected = network.forward(params, x)
        got = run(
            page,
            "const v = kernels.forward(N, f64(arguments[0])); const out = {};"
            "for (const k of N.layers) out[k] = b64(v[k]); return out;",
            list(x),
        )
        assert sorted(got) == sorted(layers)
        for layer in layers:
            np.testing.assert_allclose(decode(got[layer]), expected[layer], rtol=1e-12, atol=1e-13)
    assert not console_errors(page)


@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_live_methods_equal_methods_compute(page, name, activation):
    """Every live method at every layer equals methods.compute to 1e-9 of the layer's largest
    |value|, for a digit and the white image, with the zero baseline and a nonzero one; the
    residuals (kernels.residual of kernels.forward) equal compute's."""
    params = random_network(ARCHITECTURES[name], activation)
    set_network(page, "N", params)
    layers = list(network.layer_names(params))
    rng = np.random.default_rng(3)
    for what, x in (("digit", sparse_digit(rng)), ("white", np.ones(784))):
        for kind, baseline_image in (("zeros", np.zeros(784)), ("0.1", np.full(784, 0.1))):
            expected = methods.compute(
                params,
                x,
                baseline_image,
                layers,
                LIVE,
                {"integrated_gradients": {"points": POINTS}},
            )
            for method in LIVE:
                extra = (POINTS,) if method == "integrated_gradients" else ()
                got = page_maps(page, params, method, x, baseline_image, layers, *extra)
                for layer in layers:
                    want = expected["maps"][method][layer].reshape(-1, 784)
                    scale = max(np.abs(want).max(), 1e-300)
                    error = np.abs(got[layer] - want).max()
                    assert error <= TOLERANCE * scale, (
                        f"{method} {layer} {what} {kind}: {error:.3g} of {scale:.3g}"
                    )
            residuals = run(
                page,
                "const x = f64(arguments[0]), b = f64(arguments[1]), out = {};"
                "const value = kernels.forward(N, x), base = kernels.forward(N, b);"
                "for (const m of arguments[2]) {"
                "  const extra = m === 'integrated_gradients' ? [arguments[3]] : [];"
                "  const maps = kernels[m](N, x, b, N.layers, ...extra); out[m] = {};"
                "  for (const l of N.layers) {"
                "    const n = value[l].length;"
                "    out[m][l] = b64(kernels.residual(value[l], base[l], maps[l], n));"
                "  }"
                "} return out;",
                list(x),
                list(baseline_image),
                LIVE,
                POINTS,
            )
            for method in LIVE:
                for layer in layers:
                    want = expected["residuals"][method][layer]
                    change = np.abs(expected["value"][layer] - expected["baseline"][layer]).max()
                    scale = max(np.abs(want).max(), change, 1e-300)
                    assert (
                        np.abs(decode(residuals[method][layer]) - want).max() <= TOLERANCE * scale
                    )
    assert not console_errors(page)


@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_shapley_sampling_is_efficient_and_agrees_with_python(page, name, activation):
    """The page's Shapley values: of two changed pixels (one antithetic pair is every order)
    exactly methods.shapley_sampling's, to rounding; of 25 they sum to f(x) - f(baseline) to
    rounding at every layer, a1's (linear in the pixels) are exact, and they agree with
    Python's (other random streams) as an estimate of the same values: every value within
    six of its standard errors (of 512 permutations, from Python's 16384) of Python's
    16384-permutation reference; for ReLU, whose values are heavy-tailed (a unit that
    switches in few orders gives a standard error of 0 in one sample, values 100 standard
    errors off in another), the page's 512 permutations are on average no farther from the
    reference than Python's own 512 are, within a factor 1.5."""
    params = random_network(ARCHITECTURES[name], activation)
    set_network(page, "N", params)
    layers = list(network.layer_names(params))
    rng = np.random.default_rng(6)
    baseline_image = np.full(784, 0.1)
    x = baseline_image.copy()
    x[[200, 430]] = [1.0, 0.7]
    got = page_maps(page, params, "shapley_sampling", x, baseline_image, layers, 8, 5)
    expected = methods.shapley_sampling(params, x, baseline_image, layers, permutations=8)
    for layer in layers:
        scale = max(np.abs(expected[layer]).max(), 1e-300)
        assert np.abs(got[layer] - expected[layer]).max() <= 1e-12 * scale, layer

    x = np.zeros(784)
    x[rng.choice(784, 25, replace=False)] = rng.random(25) * 0.8 + 0.2
    baseline_image = np.zeros(784)
    permutations, many = 512, 16384
    got = page_maps(page, params, "shapley_sampling", x, baseline_image, layers, permutations, 7)
    expected = methods.shapley_sampling(
        params, x, baseline_image, layers, permutations=permutations
    )
    reference, stderr = methods.shapley_sampling(
        params, x, baseline_image, layers, permutations=many, seed=1, with_stderr=True
    )
    value, baseline = network.forward(params, x), network.forward(params, baseline_image)
    changed = x != baseline_image
    for layer in layers:
        scale = np.abs(reference[layer]).max()
        efficiency = value[layer] - baseline[layer] - got[layer].sum(axis=1)
        assert np.abs(efficiency).max() <= 1e-12 * max(scale, 1.0), layer
        if activation == "relu":
            page_error = np.abs(got[layer] - reference[layer])[:, changed].mean()
            python_error = np.abs(expected[layer] - reference[layer])[:, changed].mean()
            assert page_error <= 1.5 * python_error + 1e-12 * scale, (
                layer,
                page_error,
                python_error,
            )
        else:  # the difference's standard error: the page's and the reference's together
            spread = stderr[layer] * math.sqrt(many / permutations + 1)
            bound = 6 * spread + 1e-12 * max(scale, 1e-300)
            assert np.all(np.abs(got[layer] - reference[layer]) <= bound), layer
    np.testing.assert_allclose(got["a1"], expected["a1"], rtol=0, atol=1e-12)
    assert not console_errors(page)


def test_activations_and_secants_equal_network(page):
    """activate, activation_slope and activation_secant (equal, near, far and huge arguments)
    equal network's for every activation."""
    rng = np.random.default_rng(8)
    a = np.concatenate([rng.normal(0, 5, 50), [0.0, 3.0, 1e-9, 800.0, -900.0, 30.0, -2.0]])
    b = np.concatenate([rng.normal(0, 5, 50), [0.0, 3.0, -1e-9, -800.0, 900.0, 30.0 + 1e-12, 1.0]])
    b[:5] = a[:5]  # a == b: the derivative
    for activation in network.ACTIVATIONS:
        for function, args in (
            ("activate", (a,)),
            ("activation_slope", (a,)),
            ("activation_secant", (a, b)),
        ):
            got = floats(
                page,
                f"kernels.{function}(arguments[0], ...arguments[1].map(f64))",
                activation,
                [list(v) for v in args],
            )
            expected = getattr(network, function)(activation, *args)
            # tanh's slope 1 - tanh(a)^2 is exact to 1 ulp of tanh (Math.tanh and numpy's
            # round differently), absolutely: 2.2e-16
            atol = 1e-15 if function == "activation_slope" else 1e-300
            np.testing.assert_allclose(
                got, expected, rtol=1e-13, atol=atol, err_msg=f"{function} {activation}"
            )
    message = run(
        page,
        "try { kernels.make_params({W1: new Float64Array(784 * 3), b1: new Float64Array(3), "
        "activation: 'softplus'}); return 'no error'; } catch (e) { return e.message; }",
    )
    assert message == (
        'make_params: activation "softplus" is not one of sigmoid, tanh, relu, identity'
    )
    message = run(
        page,
        "try { kernels.forward(kernels.make_params({W1: new Float64Array(784 * 3), "
        "b1: new Float64Array(3), W2: new Float64Array(6), b2: new Float64Array(2)}), "
        "new Float64Array(784)); return kernels.insertion(kernels.make_params({W1: "
        "new Float64Array(784 * 3), b1: new Float64Array(3)}), new Float64Array(784), "
        "new Float64Array(784), ['z2']); } catch (e) { return e.message; }",
    )
    assert message == 'unknown layer "z2", expected one of a1, z1'
    assert not console_errors(page)


# ---- the page of a 2-layer ReLU network with named classes -----------------------------------


@pytest.fixture(scope="module")
def relu_params():
    return random_network((24, 10), "relu", seed=4)


def ring():
    yy, xx = np.mgrid[0:28, 0:28]
    image = np.exp(-(((np.hypot(yy - 14, xx - 14) - 7.0) / 1.6) ** 2))
    return np.where(image < 0.05, 0.0, image)


@pytest.fixture(scope="module")
def relu_page(chromium, relu_params, tmp_path_factory):
    """The explorer page of the 784-24-10 ReLU network, classes named as Fashion-MNIST's,
    with a small sweep's class means (insertion of z2)."""
    zero = np.zeros(784)
    images = np.stack([ring() * (0.5 + k / 20) for k in range(10)]).reshape(10, 784)
    images = images.astype(np.float32).astype(np.float64)  # as classes.h5 holds them
    every = network.layer_names(relu_params)
    values = {layer: network.forward(relu_params, images)[layer] for layer in every}
    maps = np.stack([methods.insertion(relu_params, x, zero, ["z2"])["z2"] for x in images])
    base = network.forward(relu_params, zero)["z2"]
    residuals = np.stack([methods.residual(values["z2"][k], base, maps[k]) for k in range(10)])
    classes = explorer.classes_data(
        "test",
        np.arange(10) * 10 + 3,
        images,
        values,
        {"insertion": {"z2": maps.reshape(10, 10, 28, 28)}},
        {"insertion": {"z2": residuals}},
    )
    data = explorer.build(
        explorer.network_data(relu_params, "0" * 64),
        zero,
        "all-zero image",
        [explorer.sample_data("ring", "ring: a synthetic bag", "synthetic", 8, ring())],
        ["z1", "a2", "z2"],
        {"integrated_gradients": {"points": POINTS}},
        classes,
        class_names=FASHION,
    )
    path = tmp_path_factory.mktemp("explorer-relu") / "index.html"
    path.write_text(explorer.page(data, title="ReLU explorer"), encoding="utf-8")
    open_file(chromium, path)
    console_errors(chromium)
    return chromium


def js(driver, script, *args):
    return driver.execute_script("return " + script, *args)


def test_the_data_block_describes_the_network_and_its_classes(relu_params):
    data = explorer.build(
        explorer.network_data(relu_params, "0" * 64),
        np.zeros(784),
        "",
        [],
        ["z2"],
        {},
        class_names=FASHION,
    )
    described = data["network"]
    assert described["layers"] == ["a1", "z1", "a2", "z2"]
    assert described["sizes"] == {"a1": 24, "z1": 24, "a2": 10, "z2": 10}
    assert described["activation"] == "relu"
    assert described["meaning"]["z1"] == "hidden layer 1 output: z1 = relu(a1)"
    assert described["meaning"]["z2"] == (
        "output probabilities: z2 = softmax(a2) (node j is class j)"
    )
    assert sorted(described["params"]) == ["W1", "W2", "b1", "b2"]
    assert data["class_names"] == FASHION
    assert data["method_meaning"]["deeplift"] == methods.method_meaning("deeplift", "relu")
    with pytest.raises(Exception, match=r"3 class names \['a', 'b', 'c'\] for a network of 10"):
        explorer.build(described, np.zeros(784), "", [], ["z2"], {}, class_names=["a", "b", "c"])
    with pytest.raises(Exception, match="unknown layer 'z3', expected one of"):
        explorer.build(described, np.zeros(784), "", [], ["z3"], {})


def cells(driver):
    """(node, left, top, caption) of every cell of the shown grid."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#grid .cell')].map((c) => "
        "[Number(c.dataset.node), c.offsetLeft, c.offsetTop, "
        "c.querySelector('figcaption').textContent]);"
    )


def test_the_page_of_a_relu_network_draws_its_layers_and_classes(relu_page, relu_params):
    """Its panels have the network's layers and node counts laid out by grid_rows, its values
    and maps are network's and methods', its output panels and probabilities carry the class
    names, and drawing a stroke updates all of it."""
    page = relu_page
    layers = ["a1", "z1", "a2", "z2"]
    labels = [e.text for e in page.find_elements("css selector", "#layers label")]
    assert labels == ["a1 · 24", "z1 · 24", "a2 · 10", "z2 · 10"]
    for layer in layers:
        js(page, E + "set(arguments[0])", {"layer": layer, "method": "deeplift"})
        shown = cells(page)
        nodes = network.layer_sizes(relu_params)[layer]
        assert [c[0] for c in shown] == list(range(nodes))
        columns = grid_rows(nodes)  # the montage's rows are the page's columns
        lefts = sorted({c[1] for c in shown})
        tops = sorted({c[2] for c in shown})
        assert len(lefts) == columns and len(tops) == -(-nodes // columns)
        for node, left, top, _ in shown:
            assert (lefts.index(left), tops.index(top)) == (node % columns, node // columns)
    # the output panels: each labelled with its class and probability
    x = ring().ravel()
    probabilities = network.forward(relu_params, x)["z2"]
    captions = [c[3] for c in cells(page)]
    assert captions[3].startswith("Dress · ") and captions[9].startswith("Ankle boot · ")
    assert [c.split(" · ")[0] for c in captions] == FASHION
    bars = [e.text for e in page.find_elements("css selector", "#probs .digit")]
    assert bars == FASHION
    assert page.find_element("id", "probs-caption").text == "softmax probabilities (z2)"
    assert page.find_element("id", "lede-draw").text == (
        "Draw an image (T-shirt/top, Trouser, Pullover, …)"
    )
    top = int(np.argmax(probabilities))
    assert page.find_element("id", "probs").get_attribute("aria-label") == (
        f"prediction {FASHION[top]} with probability {probabilities[top]:.3f}"
    )
    js(page, E + "openNode(3, 'z2')")
    assert page.find_element("id", "node-title").text == "z2 node 3 (class 3 (Dress))"
    js(page, E + "closeNode()")
    page.save_screenshot("/tmp/explorer-relu-z2.png")

    # the values and maps of the picked sample are network's and methods'
    values = js(page, E + "values()")
    assert sorted(values) == sorted(layers)
    for layer in layers:
        np.testing.assert_allclose(
            values[layer], network.forward(relu_params, x)[layer], rtol=1e-12, atol=1e-13
        )

    # a stroke: a new image, new values, new maps, each still network's and methods'
    js(page, E + "set({grid: false, method: 'integrated_gradients', layer: 'z1'})")
    before = page_floats(page, E + "maps('integrated_gradients', 'z1')")
    page.find_element("id", "clear").click()
    stroke(page, TWO)
    settle(page)
    drawn = page_floats(page, E + "image()")
    np.testing.assert_allclose(drawn, samples.mnist_style(ink_of(page)).ravel(), rtol=0, atol=1e-6)
    values = js(page, E + "values()")
    expected_values = network.forward(relu_params, drawn)
    np.testing.assert_allclose(values["z2"], expected_values["z2"], rtol=1e-12, atol=1e-13)
    after = page_floats(page, E + "maps('integrated_gradients', 'z1')").reshape(24, 784)
    assert not np.array_equal(after, before.reshape(24, 784))
    expected = methods.compute(
        relu_params,
        drawn,
        np.zeros(784),
        layers,
        LIVE,
        {"integrated_gradients": {"points": POINTS}},
    )
    for method in LIVE:
        for layer in layers:
            got = page_floats(page, E + f"maps({method!r}, {layer!r})").reshape(-1, 784)
            want = expected["maps"][method][layer].reshape(-1, 784)
            assert np.abs(got - want).max() <= TOLERANCE * np.abs(want).max(), (method, layer)
    js(page, E + "set({layer: 'z2', method: 'insertion'})")
    captions = [c[3] for c in cells(page)]
    probabilities = expected_values["z2"]
    for c, caption in enumerate(captions):
        p = probabilities[c]
        assert caption == f"{FASHION[c]} · " + ("<.001" if p < 0.001 else f"{p:.3f}".lstrip("0"))
    page.save_screenshot("/tmp/explorer-relu-drawn.png")
    assert console_errors(page) == [] and js(page, E + "errors") == []


def test_live_shapley_of_the_relu_network_runs_in_the_worker(relu_page, relu_params):
    """The worker gets the network (its depth and activation) and its values are efficient."""
    page = relu_page
    js(page, E + "pick('sample:ring')")
    js(page, E + "set({method: 'shapley_sampling', layer: 'z2'})")
    js(page, E + "runShapley()")
    deadline = time.monotonic() + 60
    while not js(page, E + "shapley().ready") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert js(page, E + "shapley().ready")
    x = ring().ravel()
    value, baseline = network.forward(relu_params, x), network.forward(relu_params, np.zeros(784))
    for layer in ("a1", "z1", "a2", "z2"):
        maps = page_floats(page, E + f"maps('shapley_sampling', {layer!r})").reshape(-1, 784)
        change = value[layer] - baseline[layer]
        assert np.abs(change - maps.sum(axis=1)).max() <= 1e-12 * max(np.abs(maps).max(), 1.0)
    assert console_errors(page) == [] and js(page, E + "errors") == []


def test_the_class_means_are_named_by_their_classes(relu_page):
    """The sweep's class means are picked by their names, and the sweep's maps say whose."""
    page = relu_page
    options = {
        o.get_attribute("value"): o.text for o in page.find_elements("css selector", "#pick option")
    }
    assert options["class:3"] == "class 3, Dress, mean (33 images)"
    assert options["class:9"] == "class 9, Ankle boot, mean (93 images)"
    js(page, E + "pick('class:3')")
    js(page, E + "set({method: 'insertion', layer: 'z2', sweep: true})")
    settle(page)
    assert js(page, E + "shown().sweep") is True
    assert "mean maps over the 33 test images of class 3 (Dress)" in (
        page.find_element("id", "scale-text").text
    )
    js(page, E + "set({sweep: false})")
    assert console_errors(page) == [] and js(page, E + "errors") == []
