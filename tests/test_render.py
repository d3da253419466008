import numpy as np
import pytest

from pixel_influence import render


def test_to_gray_is_symmetric_around_mid_gray():
    maps = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    assert render.to_gray(maps, 1.0).tolist() == [0, 0, 64, 128, 191, 255, 255]
    # a zero scale (nothing moves) draws uniform gray instead of dividing by zero
    assert render.to_gray(np.zeros(3), 0.0).tolist() == [128, 128, 128]


def test_to_gray_per_node_scale():
    maps = np.array([[1.0, -1.0], [0.1, -0.1]])
    assert render.to_gray(maps, np.array([1.0, 0.1])).tolist() == [[255, 0], [255, 0]]


def test_scale_of_layer_and_node():
    maps = np.zeros((3, 28, 28))
    maps[0, 0, 0], maps[1, 5, 5], maps[2, 1, 1] = 0.5, -2.0, 1.0
    assert render.scale_of(maps, "layer") == 2.0
    assert render.scale_of(maps, "node").tolist() == [0.5, 2.0, 1.0]


@pytest.mark.parametrize("zoom", [1, 2])
def test_montage_draws_every_node_panel_on_the_scale(zoom):
    """Flipping the sign of every map changes exactly the panel pixels: 170 panels."""
    sizes = {"z1": 50, "z2": 100, "a3": 10, "z3": 10}
    image = np.zeros((28, 28))
    probs = np.full(10, 0.1)

    def draw(sign):
        maps = {"insertion": {k: np.full((n, 28, 28), sign) for k, n in sizes.items()}}
        scales = {"insertion": {k: 1.0 for k in sizes}}
        return np.asarray(render.montage(image, maps, scales, probs, "t", "layer", zoom=zoom))

    bright, dark = draw(1.0), draw(-1.0)
    assert bright.shape == dark.shape
    changed = bright != dark
    assert changed.sum() == 170 * (28 * zoom) ** 2
    assert set(np.unique(bright[changed])) == {255} and set(np.unique(dark[changed])) == {0}


def test_montage_is_deterministic_and_grows_with_methods():
    maps = {"m1": {"z3": np.random.default_rng(0).normal(size=(10, 28, 28))}}
    scales = {"m1": {"z3": render.scale_of(maps["m1"]["z3"], "node")}}
    args = (np.ones((28, 28)), maps, scales, np.full(10, 0.1), "title", "node")
    a, b = render.montage(*args), render.montage(*args)
    assert a.tobytes() == b.tobytes()
    two = render.montage(
        np.ones((28, 28)),
        {**maps, "m2": maps["m1"]},
        {**scales, "m2": scales["m1"]},
        np.full(10, 0.1),
        "title",
        "node",
    )
    assert two.size[1] > a.size[1]
