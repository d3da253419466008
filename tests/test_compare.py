"""`python -m pixel_influence compare`: one sample's montages from several runs side by
side, each exactly as the montage alone draws it, under a heading naming its run and its
network."""

import json

import numpy as np
import pytest
from PIL import Image

from pixel_influence import __main__ as cli
from pixel_influence import h5io, methods, network
from pixel_influence.render import compare, montage, shading


def _network(widths, activation=None, seed=0):
    rng = np.random.default_rng(seed)
    params, rows = {}, 784
    for k, nodes in enumerate(widths, 1):
        params[f"W{k}"] = rng.normal(0, 0.3, (rows, nodes))
        params[f"b{k}"] = rng.normal(0, 0.3, nodes)
        rows = nodes
    if activation:
        params["activation"] = activation
    return network.check_network(params)


def _run(folder, params, layers, source):
    """A run folder with results/network/weights.h5 and results/influence/digit.h5."""
    x = np.zeros((28, 28))
    x[8:20, 12:16] = 0.8
    result = methods.compute(params, x, np.zeros((28, 28)), layers, ["insertion", "deeplift"])
    path = folder / "results" / "influence" / "digit.h5"
    path.parent.mkdir(parents=True)
    attrs = {
        "sample": "digit",
        "source": "{}",
        "title": f"digit in {folder.name}",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": json.dumps({}),
    }
    h5io.write_influence(
        path, result, x, np.zeros((28, 28)), attrs, activation=network.activation_of(params)
    )
    weights = folder / "results" / "network" / "weights.h5"
    weights.parent.mkdir(parents=True)
    h5io.write_weights(weights, params, "1" * 64, source=source)
    return path, result


def test_two_networks_side_by_side(tmp_path, capsys):
    sigmoid = _network((50, 100, 10))
    relu = _network((30, 10), "relu", seed=1)
    a, result_a = _run(tmp_path / "book", sigmoid, ["z1", "z2", "a3", "z3"], "book")
    b, result_b = _run(tmp_path / "relu", relu, ["z1", "a2", "z2"], "relu")
    out = tmp_path / "both.png"
    code = cli.main(["compare", str(a), str(b), "--zoom", "1", "-o", str(out)])
    assert code == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: ")
    picture = Image.open(out)
    assert picture.text["Title"] == (
        f"{tmp_path / 'book'} (784-50-100-10, sigmoid) | {tmp_path / 'relu'} (784-30-10, relu)"
    )
    assert picture.text["method"] == "insertion, deeplift"
    # each run's montage is in the picture, pixel for pixel, at its place
    data_a = h5io.read_influence(a, ["insertion", "deeplift"], ["z1", "z2", "a3", "z3"])
    data_b = h5io.read_influence(b, ["insertion", "deeplift"], ["z1", "a2", "z2"])
    assert data_b["output_layers"] == ("a2", "z2")
    pictures = []
    for data in (data_a, data_b):
        pictures.append(
            montage.montage(
                data["image"],
                data["maps"],
                shading.scales(data["maps"], "layer", None),
                data["probabilities"],
                data["title"],
                "layer",
                residuals=data["residuals"],
                zoom=1,
                output_layers=data["output_layers"],
            )
        )
    gap = compare.GAP
    top = gap + int(np.ceil(compare.font(12).size * 1.5))
    assert picture.size == (
        pictures[0].width + pictures[1].width + 3 * gap,
        max(p.height for p in pictures) + top + gap,
    )
    left = np.asarray(picture.crop((gap, top, gap + pictures[0].width, top + pictures[0].height)))
    np.testing.assert_array_equal(left, np.asarray(pictures[0].convert(picture.mode)))
    x = 2 * gap + pictures[0].width
    right = np.asarray(picture.crop((x, top, x + pictures[1].width, top + pictures[1].height)))
    np.testing.assert_array_equal(right, np.asarray(pictures[1].convert(picture.mode)))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "occlusion"], "has no maps of occlusion"),
        (["--layer", "a3"], "has no maps of a3"),
        (["--label", "one"], "1 --label for 2 files: give one per file"),
    ],
)
def test_what_cannot_be_compared_is_named(tmp_path, capsys, extra, message):
    a, _ = _run(tmp_path / "a", _network((50, 100, 10)), ["z1", "a3"], "a")
    b, _ = _run(tmp_path / "b", _network((20, 10), "tanh"), ["z1", "a2"], "b")
    assert cli.main(["compare", str(a), str(b), *extra, "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()
