"""The explorer's numeric kernels (pixel_influence/web/kernels.js) in a real headless Chromium,
held to the Python they mirror name for name: every method and layer to pixel_influence.methods,
forward to network.forward, mnist_style to samples.mnist_style and resize_lanczos to Pillow.
One page with the script inlined is shared by the file's tests; maps come back as base64 of
float64, bit for bit."""

import base64
import itertools
import math

import numpy as np
import pytest
from browser import console_errors, open_file
from PIL import Image
from test_methods import _digit as digit

from pixel_influence import explorer, methods, network, samples

TOLERANCE = 1e-9  # of the layer's largest |value|: float64 in the page and in numpy
LAYERS = list(network.LAYERS)
LIVE = ["insertion", "occlusion", "gradient_input", "integrated_gradients", "deeplift"]

# helpers of the test page (not part of kernels.js): typed arrays to base64 and back
HELPERS = """
function b64(a) {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}
function b64_maps(maps) {
  const out = {};
  for (const [layer, map] of Object.entries(maps)) out[layer] = b64(Float64Array.from(map));
  return out;
}
function f64(list) { return Float64Array.from(list); }
// maps on the changed pixels only (node major), and how many values elsewhere are not 0:
// a quarter of the bytes to carry back for a typical digit
function b64_changed(maps, x, b) {
  const changed = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== b[i]) changed.push(i);
  const out = {}, stray = {};
  for (const [layer, map] of Object.entries(maps)) {
    const nodes = map.length / x.length, kept = new Float64Array(nodes * changed.length);
    let count = 0;
    for (let n = 0; n < nodes; n++) {
      for (let q = 0; q < changed.length; q++) {
        kept[n * changed.length + q] = map[n * x.length + changed[q]];
      }
      for (let i = 0; i < x.length; i++) if (x[i] === b[i] && map[n * x.length + i] !== 0) count++;
    }
    out[layer] = b64(kept);
    stray[layer] = count;
  }
  return [out, stray];
}
"""


def kernels_js():
    """The text of kernels.js as the page builder inlines it."""
    return explorer._web("kernels.js")


def decode(text, dtype="<f8"):
    return np.frombuffer(base64.b64decode(text), dtype)


def run(driver, script, *args):
    """Run ``script`` (a function body that returns) in the page."""
    return driver.execute_script(script, *args)


def floats(driver, expression, *args):
    """A typed array that the expression evaluates to (``arguments`` as given), as float64."""
    return decode(run(driver, f"return b64(Float64Array.from({expression}));", *args))


def call_method(driver, method, x, baseline_image, layers, *parameters):
    """kernels.<method>(P, x, baseline_image, layers, ...parameters) as {layer: (nodes, 784)};
    the page sends back the changed pixels' values and says that all others are exactly 0."""
    text, stray = run(
        driver,
        "const x = f64(arguments[0]), b = f64(arguments[1]);"
        f"return b64_changed(kernels.{method}(P, x, b, arguments[2], ...arguments[3]), x, b);",
        list(x),
        list(baseline_image),
        list(layers),
        list(parameters),
    )
    changed = np.flatnonzero(x != baseline_image)
    out = {}
    for layer in layers:
        assert stray[layer] == 0, f"{method} {layer}: pixels at the baseline not exactly 0"
        full = np.zeros((network.LAYER_SIZES[layer], x.size))
        full[:, changed] = decode(text[layer]).reshape(full.shape[0], changed.size)
        out[layer] = full
    return out


def set_params(driver, name, params, dtype=np.float64):
    """window[name] = kernels.make_params(params as Float64Array or Float32Array)."""
    array = "Float32Array" if dtype == np.float32 else "Float64Array"
    run(
        driver,
        f"const p = arguments[0]; window[{name!r}] = kernels.make_params({{"
        + ", ".join(f"{k}: {array}.from(p.{k})" for k in network.PARAM_SHAPES)
        + "});",
        {k: np.asarray(v, dtype).ravel().tolist() for k, v in params.items()},
    )


@pytest.fixture(scope="module")
def page(chromium, tmp_path_factory, random_params):
    """Chromium with a page that inlines kernels.js, the random weights as ``P``."""
    html = tmp_path_factory.mktemp("kernels") / "kernels.html"
    html.write_text(
        "<!doctype html>\n<meta charset='utf-8'>\n<title>kernels</title>\n"
        f"<script id='kernels'>\n{kernels_js()}\n</script>\n<script>\n{HELPERS}\n</script>\n",
        encoding="utf-8",
    )
    open_file(chromium, html, ready="return typeof kernels !== 'undefined'")
    set_params(chromium, "P", random_params)
    console_errors(chromium)  # drain what came before
    return chromium


def baselines(x, rng):
    """The zero baseline, and a nonzero one equal to x at half the pixels, 0.3 elsewhere."""
    return {"zeros": np.zeros(784), "mixed": np.where(rng.random(784) < 0.5, 0.3, x)}


def assert_maps_equal(got, expected, x, baseline_image, what):
    """Every layer within TOLERANCE of its largest |value|; pixels at the baseline exactly 0."""
    same = x == baseline_image
    for layer, want in expected.items():
        scale = max(np.abs(want).max(), 1e-300)
        error = np.abs(got[layer] - want).max()
        assert error <= TOLERANCE * scale, f"{what} {layer}: {error:.3g} of {scale:.3g}"
        assert np.all(got[layer][:, same] == 0.0), f"{what} {layer}: unchanged pixels not 0"


# ---- the network ---------------------------------------------------------------------------


def test_forward_matches_network(page, random_params):
    """forward, forward_from_a1, sigmoid and softmax give network's node values."""
    rng = np.random.default_rng(1)
    for x in (digit(rng), np.ones(784), np.zeros(784), rng.random(784)):
        expected = network.forward(random_params, x)
        got = run(
            page,
            "const v = kernels.forward(P, f64(arguments[0])); const out = {};"
            "for (const k of kernels.LAYERS) out[k] = b64(v[k]); return out;",
            list(x),
        )
        for layer in LAYERS:
            np.testing.assert_allclose(decode(got[layer]), expected[layer], rtol=1e-12, atol=1e-13)
        from_a1 = floats(
            page, "kernels.forward_from_a1(P, f64(arguments[0])).z3", list(expected["a1"])
        )
        np.testing.assert_allclose(from_a1, expected["z3"], rtol=1e-12, atol=1e-15)
    a = np.linspace(-40, 40, 81)
    np.testing.assert_allclose(
        floats(page, "kernels.sigmoid(f64(arguments[0]))", list(a)), network.sigmoid(a), rtol=1e-15
    )
    logits = rng.normal(0, 5, 10)
    np.testing.assert_allclose(
        floats(page, "kernels.softmax(f64(arguments[0]))", list(logits)),
        network.softmax(logits),
        rtol=1e-14,
    )
    assert run(page, "return kernels.LAYERS;") == LAYERS
    assert not console_errors(page)


def test_make_params_converts_float32_exactly_and_reads_the_widths(page):
    """float32 weights become float64 exactly (numpy's astype), and the layer widths come from
    the biases: a 16-3-4-2 network gives network.forward's values too."""
    rng = np.random.default_rng(2)
    shapes = {"W1": (16, 3), "b1": (3,), "W2": (3, 4), "b2": (4,), "W3": (4, 2), "b3": (2,)}
    small = {k: rng.normal(0, 1, s).astype(np.float32) for k, s in shapes.items()}
    set_params(page, "SMALL", small, np.float32)
    assert run(page, "return SMALL.sizes;") == [16, 3, 4, 2]
    # three sigmoid layers: the book's shape, which takes the specialised passes
    described = run(page, "return [SMALL.depth, SMALL.activation, SMALL.layers, SMALL.book];")
    assert described == [3, "sigmoid", LAYERS, True]
    for key, value in small.items():
        got = floats(page, f"SMALL.{key}")
        np.testing.assert_array_equal(got, value.astype(np.float64).ravel())
    assert run(page, "return SMALL.W1 instanceof Float64Array;")
    x = rng.random(16)
    expected = network.forward({k: v.astype(np.float64) for k, v in small.items()}, x)
    for layer in LAYERS:
        got = floats(page, f"kernels.forward(SMALL, f64(arguments[0])).{layer}", list(x))
        np.testing.assert_allclose(got, expected[layer], rtol=1e-13, atol=1e-15)
    maps = run(
        page,
        "return b64_maps(kernels.deeplift(SMALL, f64(arguments[0]), new Float64Array(16), "
        "['z3']));",
        list(x),
    )
    want = methods.deeplift(
        {k: v.astype(np.float64) for k, v in small.items()}, x, np.zeros(16), ["z3"]
    )["z3"]
    np.testing.assert_allclose(decode(maps["z3"]).reshape(2, 16), want, rtol=0, atol=1e-13)
    assert "inconsistent" in run(
        page,
        "try { kernels.make_params({W1: new Float32Array(10), b1: new Float32Array(3), "
        "W2: new Float32Array(12), b2: new Float32Array(4), W3: new Float32Array(8), "
        "b3: new Float32Array(2)}); return 'no error'; } catch (e) { return e.message; }",
    )
    assert not console_errors(page)


def test_methods_registry_mirrors_python(page):
    """METHODS has methods.METHODS' names, complete flags and default parameters."""
    got = run(page, "return kernels.METHODS;")
    # the order too (the page lists them so): WebDriver returns objects with sorted keys
    assert run(page, "return Object.keys(kernels.METHODS);") == list(methods.METHODS)
    for name, method in methods.METHODS.items():
        assert got[name] == {"complete": method.complete, "parameters": method.parameters}
        assert run(page, f"return typeof kernels.{name};") == "function"
    assert not console_errors(page)


# ---- the methods ---------------------------------------------------------------------------

CASES = [
    ("insertion", ()),
    ("occlusion", ()),
    ("gradient_input", ()),
    ("integrated_gradients", (64,)),
    ("integrated_gradients", (16,)),
    ("deeplift", ()),
]


@pytest.mark.parametrize(
    "method, parameters", CASES, ids=[f"{m}{p[0] if p else ''}" for m, p in CASES]
)
def test_method_matches_python_at_every_layer(page, random_params, method, parameters):
    """Each live method equals pixel_influence.methods to 1e-9 of the layer's largest value, at
    all six layers, for a digit and the all-white image, with the zero baseline and a nonzero
    one; pixels equal to the baseline get exactly 0."""
    rng = np.random.default_rng(3)
    for name, x in (("digit", digit(rng)), ("white", np.ones(784))):
        for kind, baseline_image in baselines(x, rng).items():
            got = call_method(page, method, x, baseline_image, LAYERS, *parameters)
            expected = getattr(methods, method)(
                random_params, x, baseline_image, LAYERS, *parameters
            )
            assert_maps_equal(got, expected, x, baseline_image, f"{method} {name} {kind}")
    assert not console_errors(page)


def test_a_subset_of_layers_gives_the_same_maps(page, random_params):
    """Asking for some layers only (as the page does) changes nothing in them."""
    rng = np.random.default_rng(4)
    x, zeros = digit(rng), np.zeros(784)
    for method in LIVE:
        for layers in (["z3"], ["a2", "z1"], ["z2", "a3"]):
            got = call_method(page, method, x, zeros, layers)
            expected = getattr(methods, method)(random_params, x, zeros, layers)
            assert sorted(got) == sorted(layers)
            assert_maps_equal(got, expected, x, zeros, f"{method} {layers}")
    assert not console_errors(page)


def test_complete_methods_sum_to_the_change_and_residual_mirrors_python(page, random_params):
    """deeplift's and integrated gradients' maps sum to f(x) - f(baseline) to 1e-9 in the page
    (kernels.residual of kernels.forward's values), insertion's residual is Python's, and
    residual itself equals methods.residual."""
    rng = np.random.default_rng(5)
    x = digit(rng)
    for baseline_image in baselines(x, rng).values():
        got = run(
            page,
            "const x = f64(arguments[0]), b = f64(arguments[1]);"
            "const value = kernels.forward(P, x), baseline = kernels.forward(P, b), out = {};"
            "for (const method of ['deeplift', 'integrated_gradients', 'insertion']) {"
            "  const maps = kernels[method](P, x, b, kernels.LAYERS); out[method] = {};"
            "  for (const layer of kernels.LAYERS) out[method][layer] = b64(kernels.residual("
            "    value[layer], baseline[layer], maps[layer], value[layer].length));"
            "} return out;",
            list(x),
            list(baseline_image),
        )
        value = network.forward(random_params, x)
        baseline = network.forward(random_params, baseline_image)
        for method, residuals in got.items():
            maps = getattr(methods, method)(random_params, x, baseline_image, LAYERS)
            for layer in LAYERS:
                residual = decode(residuals[layer])
                change = np.abs(value[layer] - baseline[layer]).max()
                if method == "insertion":  # not complete: its residual is Python's
                    expected = methods.residual(value[layer], baseline[layer], maps[layer])
                    scale = np.abs(expected).max()
                    assert np.abs(residual - expected).max() <= 1e-9 * max(scale, change), layer
                    if layer != "a1":  # a1 is linear in the pixels: exact there
                        assert scale > 1e-6 * change  # ... and not 0 elsewhere
                else:
                    assert np.abs(residual).max() <= 1e-9 * change, (method, layer)
    influence = rng.normal(0, 1, (10, 784))
    value, baseline = rng.normal(0, 1, 10), rng.normal(0, 1, 10)
    residual = floats(
        page,
        "kernels.residual(f64(arguments[0]), f64(arguments[1]), f64(arguments[2]), 10)",
        list(value),
        list(baseline),
        list(influence.ravel()),
    )
    expected = methods.residual(value, baseline, influence)
    np.testing.assert_allclose(residual, expected, rtol=0, atol=1e-12)
    assert not console_errors(page)


def test_shapley_sampling_is_exactly_efficient_and_agrees_with_python(page, random_params):
    """Shapley values sum to f(x) - f(baseline) to rounding (every order ends at x itself), are
    deterministic per seed, report progress, and agree with methods.shapley_sampling within
    six standard errors (the two use different random streams)."""
    rng = np.random.default_rng(6)
    x = np.zeros(784)
    x[rng.choice(784, 30, replace=False)] = rng.random(30) * 0.8 + 0.2
    baseline_image = np.zeros(784)
    permutations = 1024
    text, calls = run(
        page,
        "const calls = []; const maps = kernels.shapley_sampling(P, f64(arguments[0]), "
        "f64(arguments[1]), kernels.LAYERS, arguments[2], 7, (done, total) => "
        "calls.push([done, total])); return [b64_maps(maps), calls];",
        list(x),
        list(baseline_image),
        permutations,
    )
    got = {layer: decode(text[layer]).reshape(network.LAYER_SIZES[layer], -1) for layer in LAYERS}
    assert calls[-1] == [permutations, permutations]
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    assert len(calls) == permutations // 16
    expected, stderr = methods.shapley_sampling(
        random_params, x, baseline_image, LAYERS, permutations=permutations, with_stderr=True
    )
    value = network.forward(random_params, x)
    baseline = network.forward(random_params, baseline_image)
    for layer in LAYERS:
        scale = np.abs(expected[layer]).max()
        efficiency = value[layer] - baseline[layer] - got[layer].sum(axis=1)
        assert np.abs(efficiency).max() <= 1e-12 * max(scale, 1.0), layer
        assert np.all(got[layer][:, x == 0] == 0.0)
        # the same number of permutations on both sides: the difference's standard error is
        # sqrt(2) times one side's
        bound = 6 * math.sqrt(2) * stderr[layer] + 1e-12 * scale
        assert np.all(np.abs(got[layer] - expected[layer]) <= bound), layer
    # a1 is linear in the pixels: every order credits each pixel with the same change
    np.testing.assert_allclose(got["a1"], expected["a1"], rtol=0, atol=1e-12)
    again = run(
        page,
        "return b64_maps(kernels.shapley_sampling(P, f64(arguments[0]), f64(arguments[1]), "
        "['z3'], 64, 7));",
        list(x),
        list(baseline_image),
    )
    other = run(
        page,
        "return b64_maps(kernels.shapley_sampling(P, f64(arguments[0]), f64(arguments[1]), "
        "['z3'], 64, 8));",
        list(x),
        list(baseline_image),
    )
    first = run(
        page,
        "return b64_maps(kernels.shapley_sampling(P, f64(arguments[0]), f64(arguments[1]), "
        "['z3'], 64, 7));",
        list(x),
        list(baseline_image),
    )
    assert again["z3"] == first["z3"] and other["z3"] != first["z3"]
    message = run(
        page,
        "try { kernels.shapley_sampling(P, f64(arguments[0]), f64(arguments[1]), ['z3'], 3); "
        "return 'no error'; } catch (e) { return e.message; }",
        list(x),
        list(baseline_image),
    )
    assert message == "shapley_sampling: permutations must be even and >= 2, got 3"
    assert not console_errors(page)


WORKER = """
const done = arguments[arguments.length - 1];
// as the page does: a worker from the script's text through a Blob URL
const text = document.getElementById("kernels").textContent + `
self.onmessage = (event) => {
  const { params, x, b, layers, permutations, seed } = event.data;
  const maps = kernels.shapley_sampling(kernels.make_params(params), x, b, layers,
    permutations, seed, (finished, total) => self.postMessage({ progress: [finished, total] }));
  self.postMessage({ maps });
};`;
const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
const worker = new Worker(url);
const x = f64(arguments[0]), b = new Float64Array(784), progress = [];
worker.onerror = (event) => done({ error: String(event.message) });
worker.onmessage = (event) => {
  if (event.data.progress) { progress.push(event.data.progress); return; }
  worker.terminate();
  URL.revokeObjectURL(url);
  const here = kernels.shapley_sampling(P, x, b, ["z1", "z3"], 32, 3);
  const same = ["z1", "z3"].every((layer) =>
    here[layer].every((v, i) => Object.is(v, event.data.maps[layer][i])));
  done({ same, progress, nonzero: event.data.maps.z3.some((v) => v !== 0) });
};
worker.postMessage({ params: P, x, b, layers: ["z1", "z3"], permutations: 32, seed: 3 });
"""


def test_kernels_run_in_a_web_worker(page):
    """The classic script also runs in a Web Worker built from its text (as the page runs
    Shapley sampling): the same values, bit for bit, as in the page, with progress messages."""
    x = digit(np.random.default_rng(10))
    got = page.execute_async_script(WORKER, list(x))
    assert got == {"same": True, "progress": [[16, 32], [32, 32]], "nonzero": True}
    assert not console_errors(page)


# ---- quadrature and secants ----------------------------------------------------------------


def test_gauss_legendre_matches_numpy(page):
    """The Newton-computed rule equals numpy's leggauss mapped to [0, 1] to 1e-14."""
    for points in (1, 2, 3, 4, 5, 7, 16, 32, 64, 100, 128, 256):
        t, w = methods.gauss_legendre(points)
        got = run(
            page,
            "const r = kernels.gauss_legendre(arguments[0]); return [b64(r.t), b64(r.w)];",
            points,
        )
        np.testing.assert_allclose(decode(got[0]), t, rtol=0, atol=1e-14, err_msg=str(points))
        np.testing.assert_allclose(decode(got[1]), w, rtol=0, atol=1e-14, err_msg=str(points))
    assert not console_errors(page)


def test_secants_match_python(page):
    """sigmoid_secant (equal, near, far and overflowing arguments) and softmax_secant (mild
    and extreme logits, which need more points) equal methods'."""
    rng = np.random.default_rng(8)
    a = np.concatenate([rng.normal(0, 5, 50), [0.0, 3.0, 1e-9, 800.0, -900.0, 30.0]])
    b = np.concatenate([rng.normal(0, 5, 50), [0.0, 3.0, -1e-9, -800.0, 900.0, 30.0 + 1e-12]])
    b[:5] = a[:5]  # a == b: the derivative
    got = floats(
        page, "kernels.sigmoid_secant(f64(arguments[0]), f64(arguments[1]))", list(a), list(b)
    )
    expected = methods.sigmoid_secant(a, b)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300)
    assert got[-3] == 0.0 and got[-2] == 0.0  # not finite: 0, as in Python
    for spread in (1.0, 5.0, 40.0):
        logits, reference = rng.normal(0, spread, 10), rng.normal(0, spread, 10)
        got = floats(
            page,
            "kernels.softmax_secant(f64(arguments[0]), f64(arguments[1]))",
            list(logits),
            list(reference),
        )
        expected = methods.softmax_secant(logits, reference)
        np.testing.assert_allclose(got.reshape(10, 10), expected, rtol=0, atol=1e-13)
        change = network.softmax(logits) - network.softmax(reference)
        assert np.abs(got.reshape(10, 10) @ (logits - reference) - change).max() <= 1e-13
    assert not console_errors(page)


# ---- drawings as MNIST made its digits -----------------------------------------------------


def resize_in_page(page, data, size):
    """kernels.resize_lanczos of a float32 (h, w) array to ``size`` (rows, columns)."""
    text = run(
        page,
        "return b64(kernels.resize_lanczos(Float32Array.from(arguments[0]), arguments[1], "
        "arguments[2], arguments[3], arguments[4]));",
        data.ravel().astype(np.float64).tolist(),
        *data.shape,
        *size,
    )
    return decode(text, "<f4").reshape(size)


def test_resize_lanczos_matches_pillow(page):
    """resize_lanczos reproduces Pillow's LANCZOS resize of a float32 ("F") image: shrinking,
    enlarging, one axis only, to one pixel."""
    rng = np.random.default_rng(9)
    for shape, size in [
        ((280, 280), (20, 20)),
        ((40, 30), (20, 15)),
        ((12, 9), (20, 15)),
        ((100, 60), (20, 12)),
        ((40, 300), (3, 20)),
        ((20, 50), (20, 8)),
        ((50, 20), (8, 20)),
        ((7, 1), (20, 1)),
        ((3, 3), (1, 1)),
    ]:
        data = rng.random(shape).astype(np.float32)
        data[rng.random(shape) < 0.5] = 0.0
        expected = np.asarray(Image.fromarray(data).resize(size[::-1], Image.Resampling.LANCZOS))
        got = resize_in_page(page, data, size)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6, err_msg=f"{shape}->{size}")
    assert not console_errors(page)


def drawing(height, width, strokes, radius, light_on_dark=True, noise=0.0, seed=0):
    """A gray image (0..1) of thick anti-aliased strokes: polylines in coordinates relative to
    the frame, ``radius`` in pixels, light ink on a dark page or dark on light, with noise."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    ink = np.zeros((height, width))
    for line in strokes:
        points = [(y * (height - 1), x * (width - 1)) for y, x in line]
        for (y0, x0), (y1, x1) in itertools.pairwise(points):
            dy, dx = y1 - y0, x1 - x0
            length = max(dy * dy + dx * dx, 1e-12)
            t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / length, 0, 1)
            distance = np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))
            ink = np.maximum(ink, np.clip(radius + 0.5 - distance, 0, 1))
    page_, pen = (0.08, 0.92) if light_on_dark else (0.9, 0.15)
    gray = page_ + (pen - page_) * ink
    if noise:
        gray = gray + np.random.default_rng(seed).normal(0, noise, gray.shape)
    return np.clip(gray, 0, 1)


def speck(gray):
    """A speck of dirt far from the digit, of the ink's colour: left out of the bounding box."""
    gray = gray.copy()
    gray[4, 4] = gray.max() if np.median(gray) < 0.5 else gray.min()
    return gray


SEVEN = [[(0.1, 0.15), (0.1, 0.85), (0.9, 0.4)], [(0.5, 0.35), (0.5, 0.7)]]
TWO = [[(0.25, 0.2), (0.1, 0.5), (0.3, 0.8), (0.9, 0.15), (0.9, 0.85)]]
ONE = [[(0.1, 0.5), (0.9, 0.5)], [(0.25, 0.3), (0.1, 0.5)]]

DRAWINGS = {
    "7 in 280x280, light on dark": drawing(280, 280, SEVEN, 12),
    "2 in 280x280, dark on light": drawing(280, 280, TWO, 14, light_on_dark=False),
    "1 in a 100x60 frame": drawing(100, 60, ONE, 4),
    "2 in a 40x300 frame, dark on light": drawing(40, 300, TWO, 3, light_on_dark=False),
    "7 of 12x9 in a 16x13 frame (enlarged)": np.pad(drawing(12, 9, SEVEN, 0.7), 2),
    "2 on a noisy page with a speck": speck(drawing(200, 160, TWO, 9, False, noise=0.03)),
    "7 off-centre in a wide page": np.pad(drawing(90, 70, SEVEN, 5), ((5, 60), (3, 150))),
}


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_mnist_style_matches_python(page, name):
    """mnist_style gives samples.mnist_style's 28x28 image to 1e-6 for drawings of several
    sizes, frames and both polarities."""
    gray = DRAWINGS[name]
    expected = samples.mnist_style(gray)
    got = floats(
        page,
        "kernels.mnist_style(f64(arguments[0]), arguments[1], arguments[2])",
        gray.ravel().tolist(),
        *gray.shape,
    )
    np.testing.assert_allclose(got.reshape(28, 28), expected, rtol=0, atol=1e-6)
    assert got.max() > 0.5  # a digit was found and stretched
    assert not console_errors(page)


@pytest.mark.parametrize(
    "gray, message",
    [
        (
            np.full((30, 20), 0.4),
            "no digit found: the image is uniform (every pixel 0.4 on a 0 to 1 scale)",
        ),
        (
            np.array([[0.5, 0.51], [0.5, 0.5]]),
            "no digit found: the image is uniform (pixel values 0.5 to 0.51",
        ),
        (
            np.random.default_rng(0).random((50, 50)),
            "no digit found: the image is uniform apart from noise",
        ),
    ],
    ids=["uniform", "faint", "noise"],
)
def test_mnist_style_says_when_there_is_no_digit(page, gray, message):
    """An image without a digit throws an Error saying so, as samples.mnist_style's InputError
    does."""
    with pytest.raises(Exception, match="no digit found"):
        samples.mnist_style(gray)
    got = run(
        page,
        "try { kernels.mnist_style(f64(arguments[0]), arguments[1], arguments[2]); "
        "return 'no error'; } catch (e) { return (e instanceof Error) + ' ' + e.message; }",
        gray.ravel().tolist(),
        *gray.shape,
    )
    assert got.startswith("true image: " + message), got
    assert not console_errors(page)
