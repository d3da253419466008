"""The explorer page's assembly (pixel_influence.explorer): its data block holds exactly the
numbers of the files it is built from, decode.js reads them back bit for bit in a real
Chromium, and a file that does not belong is refused by the builder, not found in the page."""

import json
import subprocess
import sys

import numpy as np
import pytest
from browser import console_errors, open_file
from conftest import ROOT, rewritten_h5

from pixel_influence import explorer, h5io, methods, network
from pixel_influence.download import FILES, WEIGHTS
from pixel_influence.errors import InputError
from pixel_influence.render import shading

LAYERS = ["z1", "z2", "a3", "z3"]


@pytest.mark.parametrize(
    "dtype,options",
    [
        ("float64", {}),
        ("float32", {"shuffle": True, "deflate": True}),
        ("uint16", {}),
        ("uint8", {"deflate": True}),
    ],
)
def test_encode_keeps_every_bit(dtype, options):
    rng = np.random.default_rng(0)
    values = (rng.normal(size=(7, 13)) * 1000).astype(dtype)
    spec = explorer.encode(values, dtype, **options)
    assert spec["shape"] == [7, 13] and spec["dtype"] == dtype
    np.testing.assert_array_equal(explorer.decode(spec), values)


def test_quantize_is_within_half_a_level_of_each_scale():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(3, 5, 784)) * np.array([1e-6, 1.0, 0.0])[:, None, None]
    q, scale = explorer.quantize(values)
    assert q.dtype == np.int8 and np.abs(q).max() == explorer.QUANTUM
    np.testing.assert_allclose(scale, np.abs(values).reshape(3, -1).max(axis=1))
    back = explorer.decode(explorer.encode(q, "int8", deflate=True, scale=scale))
    assert np.all(np.abs(back - values) <= scale[:, None, None] / 254 * (1 + 1e-12))
    assert np.all(back[2] == 0)  # an all-zero class stays zero, no division by zero


def test_shapley_maps_are_kept_on_the_changed_pixels_only():
    maps = np.zeros((10, 784))
    maps[:, [3, 500]] = np.arange(20).reshape(10, 2) + 0.25
    sample = explorer.sample_data("s", "s: a test", "{}", -1, np.zeros(784), {"a3": maps})
    part = sample["shapley_sampling"]
    assert explorer.decode(part["pixels"]).tolist() == [3, 500]
    np.testing.assert_array_equal(explorer.decode(part["maps"]["a3"]), maps[:, [3, 500]])
    assert sample["label"] is None
    assert part["maps"]["a3"]["dtype"] == "float32"
    # maps stored as float64 (influence_dtype: float64) keep every bit too
    maps[:, 3] = 1 / 3
    part = explorer.sample_data("s", "", "{}", -1, np.zeros(784), {"a3": maps})["shapley_sampling"]
    assert part["maps"]["a3"]["dtype"] == "float64"
    np.testing.assert_array_equal(explorer.decode(part["maps"]["a3"]), maps[:, [3, 500]])


def small_page(random_params, title="a <b>test</b> </script> page"):
    x = np.zeros(784)
    x[300:310] = 1.0
    samples = [explorer.sample_data("s", title, "{}", 3, x)]
    data = explorer.build(
        explorer.network_data(random_params, "0" * 64),
        np.zeros(784),
        "all-zero image",
        samples,
        ["z2"],
        {"integrated_gradients": {"points": 16}},
    )
    return data, explorer.page(data, title=title)


def test_page_holds_the_data_and_no_marker(random_params):
    data, html = small_page(random_params)
    for marker in [*explorer.TEMPLATE_PARTS, explorer.DATA_MARKER, explorer.TITLE_MARKER]:
        assert marker not in html
    assert explorer.data_of(html) == data
    # a title cannot end the data's script element, and is escaped where it is text
    assert html.count("</script>") == html.count("<script")
    assert "<title>a &lt;b&gt;test&lt;/b&gt; &lt;/script&gt; page</title>" in html
    assert data["parameters"]["integrated_gradients"] == {"points": 16}
    assert data["methods"] == list(explorer.LIVE_METHODS)  # no Shapley maps: not offered
    for key, value in random_params.items():
        np.testing.assert_array_equal(explorer.decode(data["network"]["params"][key]), value)
    # the pictures' colour maps travel with the page: one definition (render/shading.py)
    assert list(data["colormaps"]) == list(shading.COLORMAPS)
    for name, table in shading.LUTS.items():
        assert data["colormaps"][name]["dtype"] == "uint8"
        np.testing.assert_array_equal(explorer.decode(data["colormaps"][name]), table)


def test_every_method_is_live_or_shown_from_the_files():
    """A new method in methods.METHODS must be placed: computed by the page, or shown."""
    both = explorer.LIVE_METHODS + explorer.PRECOMPUTED_METHODS
    assert sorted(both) == sorted(methods.METHODS) and len(set(both)) == len(both)


def test_unknown_layer_is_refused(random_params):
    with pytest.raises(InputError, match="unknown layer 'z9'"):
        explorer.build(
            explorer.network_data(random_params, "0" * 64), np.zeros(784), "", [], ["z9"], {}
        )


def test_decode_js_reads_every_kind_back_in_chromium(chromium, tmp_path, random_params):
    """decode.js, in a real browser, returns the very numbers encode wrote."""
    rng = np.random.default_rng(2)
    values = {
        "float64": rng.normal(size=(4, 6)),
        "float32": rng.normal(size=(5, 9)).astype(np.float32),
        "uint16": rng.integers(0, 784, 50).astype(np.uint16),
    }
    specs = {
        "float64": explorer.encode(values["float64"], "float64"),
        "float32": explorer.encode(values["float32"], "float32", shuffle=True, deflate=True),
        "uint16": explorer.encode(values["uint16"], "uint16"),
    }
    q8, scale = explorer.quantize(rng.normal(size=(3, 2, 784)))
    specs["int8"] = explorer.encode(q8, "int8", deflate=True)
    specs["scaled"] = explorer.encode(q8, "int8", deflate=True, scale=scale)
    page = tmp_path / "decode.html"
    page.write_text(
        f"<!doctype html><script>{explorer._web('decode.js')}</script>"
        "<script>window.explorer = {ready: true};</script>"
    )
    open_file(chromium, page)
    got = chromium.execute_async_script(
        """const [specs, done] = arguments;
        const out = {};
        (async () => {
          for (const k in specs) out[k] = Array.from(await decode.array(specs[k]));
          done(out);
        })().catch(e => done(String(e)));""",
        specs,
    )
    for k in values:
        np.testing.assert_array_equal(np.array(got[k]), values[k].reshape(-1))
    np.testing.assert_array_equal(np.array(got["int8"]), q8.reshape(-1))
    # the page's dequantized values are float32 of stored / 127 * scale
    expected = (q8 / explorer.QUANTUM * scale[:, None, None]).astype(np.float32).reshape(-1)
    np.testing.assert_allclose(np.array(got["scaled"]), expected, rtol=1e-6, atol=0)
    assert console_errors(chromium) == []


# ---- built from the workflow's files ----------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, real_params):
    """weights.h5, baseline.h5 and two sample files made as the workflow makes them."""
    folder = tmp_path_factory.mktemp("explorer")
    sha = FILES[WEIGHTS][1]
    h5io.write_weights(folder / "weights.h5", real_params, sha)
    zero = np.zeros((28, 28))
    h5io.write_baseline(
        folder / "baseline.h5",
        zero,
        network.forward(real_params, zero.reshape(-1)),
        "all-zero image",
        sha,
    )
    paths = []
    for name, fill in [("dim", 0.25), ("bar", None)]:
        x = np.full((28, 28), fill) if fill is not None else np.zeros((28, 28))
        if fill is None:
            x[5:23, 13:15] = 1.0
        result = methods.compute(
            real_params,
            x,
            zero,
            LAYERS,
            ["insertion", "shapley_sampling"],
            {"shapley_sampling": {"permutations": 8, "seed": 0}},
        )
        provenance = {
            "sample": name,
            "source": json.dumps({"fill": fill}),
            "title": f"{name}: a test image",
            "label": -1,
            "baseline": "all-zero image",
            "weights_sha256": sha,
            "config": "{}",
        }
        path = folder / f"{name}.h5"
        h5io.write_influence(path, result, x, zero, provenance)
        paths.append((path, result))
    return folder, paths


def test_page_from_files_holds_their_images_and_shapley_maps(files, tmp_path):
    folder, paths = files
    out = tmp_path / "page.html"
    sizes = explorer.write(
        out, folder / "weights.h5", folder / "baseline.h5", [p for p, _ in paths]
    )
    html = out.read_text()
    assert sizes["page"] == len(html.encode())
    data = explorer.data_of(html)
    assert [s["name"] for s in data["samples"]] == ["dim", "bar"]
    assert data["layers"] == LAYERS and data["classes"] is None
    assert data["methods"] == [*explorer.LIVE_METHODS, "shapley_sampling"]
    for sample, (path, result) in zip(data["samples"], paths, strict=True):
        with h5io.open_checked(path) as f:
            np.testing.assert_array_equal(
                explorer.decode(sample["image"]), h5io.image_of(f)[()].ravel()
            )
            part = sample["shapley_sampling"]
            pixels = explorer.decode(part["pixels"])
            for layer in LAYERS:
                stored = h5io.maps_of(f, "shapley_sampling", layer)[()].reshape(-1, 784)
                np.testing.assert_array_equal(
                    explorer.decode(part["maps"][layer]), stored[:, pixels]
                )
                assert not stored[:, np.setdiff1d(np.arange(784), pixels)].any()
    # the weights are the stored float32 values, bit for bit
    assert data["network"]["params"]["W1"]["dtype"] == "float32"


def test_a_sample_of_other_weights_is_refused(files, tmp_path):
    folder, paths = files
    other = tmp_path / "other.h5"
    other.write_bytes(paths[0][0].read_bytes())
    with rewritten_h5(other) as f:
        f.attrs["weights_sha256"] = "cd" * 32
    with pytest.raises(InputError, match=r"other\.h5: computed with other weights"):
        explorer.write(tmp_path / "p.html", folder / "weights.h5", folder / "baseline.h5", [other])
    assert not (tmp_path / "p.html").exists()


def test_a_sample_whose_values_do_not_match_its_image_is_refused(files, tmp_path):
    folder, paths = files
    other = tmp_path / "edited.h5"
    other.write_bytes(paths[1][0].read_bytes())
    with rewritten_h5(other) as f:
        f["image"][14, 14] = 0.5
    with pytest.raises(InputError, match="f\\(x\\) of layer a1 is not what"):
        explorer.write(tmp_path / "p.html", folder / "weights.h5", folder / "baseline.h5", [other])


def test_the_same_sample_twice_is_refused(files, tmp_path):
    folder, paths = files
    with pytest.raises(InputError, match="same sample name"):
        explorer.write(
            tmp_path / "p.html",
            folder / "weights.h5",
            folder / "baseline.h5",
            [paths[0][0], paths[0][0]],
        )


def test_command_line_builds_a_page_and_names_a_missing_file(files, tmp_path):
    folder, paths = files
    out = tmp_path / "shared.html"
    args = [sys.executable, "-m", "pixel_influence", "explorer", "-o", str(out)]
    args += ["--weights", str(folder / "weights.h5"), "--baseline", str(folder / "baseline.h5")]
    done = subprocess.run([*args, str(paths[1][0])], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: ") and " MB" in done.stdout
    assert [s["name"] for s in explorer.data_of(out.read_text())["samples"]] == ["bar"]
    missing = subprocess.run(
        [*args, str(paths[1][0]), str(tmp_path / "nope.h5")], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert f"{tmp_path / 'nope.h5'}: no such file" in missing.stderr


def test_class_names_label_the_outputs_and_the_default_adds_nothing(files, tmp_path):
    """class_names travel in the data block, one per output node; None (the digits) leaves
    the block as it was; a wrong count is refused with the names and the node count."""
    folder, paths = files
    args = (folder / "weights.h5", folder / "baseline.h5", [paths[0][0]])
    explorer.write(tmp_path / "digits.html", *args)
    assert "class_names" not in explorer.data_of((tmp_path / "digits.html").read_text())
    names = [f"class {c}" for c in range(10)]
    explorer.write(tmp_path / "named.html", *args, class_names=names)
    data = explorer.data_of((tmp_path / "named.html").read_text())
    assert data["class_names"] == names
    assert data["network"]["layers"] == list(network.LAYERS)
    assert "activation" not in data["network"]  # the book's sigmoid: absent, as in its files
    with pytest.raises(InputError, match=r"explorer: 2 class names \['a', 'b'\] for a network"):
        explorer.write(tmp_path / "bad.html", *args, class_names=["a", "b"])
    assert not (tmp_path / "bad.html").exists()


def test_a_page_for_a_users_network_from_its_weights_file(tmp_path):
    """The weights file of a network of the user's (here 784-12-5, tanh) gives its page: by
    default the file's own source is taken (the command line), the workflow names it; its
    layers, widths, activation and weights are the file's, and the first layers shown are
    the hidden output and the output layer."""
    rng = np.random.default_rng(3)
    params = network.check_network(
        {
            "W1": rng.normal(0, 0.1, (784, 12)).astype(np.float32),
            "b1": rng.normal(0, 0.1, 12).astype(np.float32),
            "W2": rng.normal(0, 0.3, (12, 5)).astype(np.float32),
            "b2": np.zeros(5, np.float32),
            "activation": "tanh",
        }
    )
    source = "ab" * 32
    h5io.write_weights(tmp_path / "weights.h5", params, source, source="net.npz (npz file)")
    _, weights_sha256 = h5io.read_weights(tmp_path / "weights.h5", source)
    zero = np.zeros((28, 28))
    h5io.write_baseline(
        tmp_path / "baseline.h5",
        zero,
        network.forward(params, zero.reshape(-1)),
        "all-zero image",
        weights_sha256,
        "tanh",
    )
    args = (tmp_path / "page.html", tmp_path / "weights.h5", tmp_path / "baseline.h5", [])
    explorer.write(*args, class_names=["a", "b", "c", "d", "e"])
    data = explorer.data_of((tmp_path / "page.html").read_text())
    assert data["layers"] == ["z1", "a2", "z2"]
    assert data["network"]["layers"] == ["a1", "z1", "a2", "z2"]
    assert data["network"]["sizes"] == {"a1": 12, "z1": 12, "a2": 5, "z2": 5}
    assert data["network"]["activation"] == "tanh"
    assert data["class_names"] == ["a", "b", "c", "d", "e"]
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(explorer.decode(data["network"]["params"][key]), params[key])
    with pytest.raises(InputError, match="source_sha256"):
        explorer.write(*args, source_sha256="cd" * 32)
