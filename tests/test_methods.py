import numpy as np
import pytest

from conftest import needs_data
from pixel_influence import methods, network


def _digit(rng):
    """A digit-like image: mostly zeros, some strokes at 1.0 and some gray pixels."""
    x = np.zeros(784)
    on = rng.choice(784, 150, replace=False)
    x[on[:90]] = 1.0
    x[on[90:]] = rng.random(60)
    return x


def _direct_insertion(params, x, baseline, layer):
    """Independent reference: one forward pass per pixel, in a plain loop."""
    reference = network.forward(params, baseline)[layer]
    out = np.empty((reference.size, x.size))
    for i in range(x.size):
        image = baseline.copy()
        image[i] = x[i]
        out[:, i] = network.forward(params, image)[layer] - reference
    return out


@pytest.mark.parametrize("baseline_value", [0.0, 0.3])
def test_insertion_equals_784_one_pixel_passes(random_params, baseline_value):
    rng = np.random.default_rng(2)
    x, b = _digit(rng), np.full(784, baseline_value)
    got = methods.insertion(random_params, x, b, network.LAYERS)
    for layer in network.LAYERS:
        expected = _direct_insertion(random_params, x, b, layer)
        assert got[layer].shape == (network.LAYER_SIZES[layer], 784)
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-12)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _closed_form_z1(params, x):
    """sigmoid(x_i W1[i,j] + b1[j]) - sigmoid(b1[j]), as (nodes, pixels)."""
    W1, b1 = params["W1"], params["b1"]
    return (_sigmoid(x[:, None] * W1 + b1[None, :]) - _sigmoid(b1)[None, :]).T


def test_z1_closed_form(random_params):
    x = _digit(np.random.default_rng(3))
    got = methods.insertion(random_params, x, np.zeros(784), ["z1"])["z1"]
    np.testing.assert_allclose(got, _closed_form_z1(random_params, x), rtol=1e-12, atol=1e-15)


def test_residual_vanishes_where_the_layer_is_linear_in_x(random_params):
    """a1 is affine in x, so single-pixel insertion is exact there; z1 is not."""
    x = _digit(np.random.default_rng(4))
    result = methods.compute(random_params, x, np.zeros(784), ["a1", "z1"], ["insertion"])
    assert np.abs(result["residuals"]["insertion"]["a1"]).max() < 1e-12
    assert np.abs(result["residuals"]["insertion"]["z1"]).max() > 1e-3


def test_pixels_at_zero_have_no_influence(random_params):
    x = _digit(np.random.default_rng(5))
    got = methods.insertion(random_params, x, np.zeros(784), network.LAYERS)
    for layer in network.LAYERS:
        assert np.all(got[layer][:, x == 0] == 0)


DEFAULT_DIGITS = (3, 2, 1, 18, 4, 8, 11, 0, 61, 7)  # first test image of each digit 0..9


@needs_data
def test_real_z1_closed_form_and_cut_out_identity(real_params, real_test_split):
    images, labels = real_test_split
    white = methods.insertion(real_params, np.ones(784), np.zeros(784), network.LAYERS)
    checked = 0
    for index in DEFAULT_DIGITS:
        x = images[index].reshape(-1) / 255.0
        got = methods.insertion(real_params, x, np.zeros(784), network.LAYERS)
        np.testing.assert_allclose(
            got["z1"], _closed_form_z1(real_params, x), rtol=1e-12, atol=1e-15
        )
        full = x == 1.0
        assert full.any()
        checked += int(full.sum())
        # the article's "cut-out": where the digit is fully white it equals the white image
        for layer in network.LAYERS:
            np.testing.assert_allclose(
                got[layer][:, full], white[layer][:, full], rtol=0, atol=1e-15
            )
            assert np.all(got[layer][:, x == 0] == 0)
    assert checked == 15


@needs_data
def test_real_insertion_matches_direct_loop_for_one_digit(real_params, real_test_split):
    images, _ = real_test_split
    x = images[0].reshape(-1) / 255.0
    got = methods.insertion(real_params, x, np.zeros(784), ["z2", "z3"])
    for layer in ("z2", "z3"):
        expected = _direct_insertion(real_params, x, np.zeros(784), layer)
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-13)


@needs_data
def test_white_image_scales_match_the_calibration(real_params):
    """max |influence| per layer for the white image, computed independently in the notes."""
    white = methods.insertion(real_params, np.ones(784), np.zeros(784), ["z1", "z2", "a3", "z3"])
    maxima = {layer: float(np.abs(v).max()) for layer, v in white.items()}
    expected = {"z1": 0.113, "z2": 0.096, "a3": 1.25, "z3": 0.283}  # 3 significant digits
    assert maxima == pytest.approx(expected, rel=5e-3)
