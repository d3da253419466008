"""The faithfulness figure (render.faithfulness_figure): its panels, lines, legends and scores,
its fonts, and the bytes of its PNG and SVG."""

import re

import matplotlib
import numpy as np
import pytest
from matplotlib import font_manager
from PIL import Image

from pixel_influence import SOFTWARE, faithfulness
from pixel_influence.render import faithfulness_figure as ff

METHODS = [
    "insertion",
    "occlusion",
    "gradient_input",
    "integrated_gradients",
    "deeplift",
    "shapley_sampling",
    "random",
]
X = faithfulness.FRACTIONS


def _panels(layers=("z2", "z3")):
    """Deletion curves (1 - x)^(k + 1) and insertion curves 1 - (1 - x)^(k + 1) for method
    k (the random ranking straight), with scores -k and k."""
    rows = []
    for layer in layers:
        row = []
        for kind in faithfulness.CURVES:
            curves, scores = {}, {}
            for k, m in enumerate(METHODS):
                power = 1 if m == "random" else k + 2
                deletion = (1 - X) ** power
                curves[m] = deletion if kind == "deletion" else 1 - deletion
                scores[m] = 0.5 if m == "random" else (-k if kind == "deletion" else k / 10)
            row.append(
                {
                    "title": f"{layer}, {kind}",
                    "xlabel": f"fraction {kind}",
                    "curves": curves,
                    "scores": scores,
                    "score_title": "area (lower = better)"
                    if kind == "deletion"
                    else "area (higher = better)",
                    "lower_is_better": kind == "deletion",
                }
            )
        rows.append(row)
    return rows


def _figure(**kwargs):
    return ff.figure(_panels(**kwargs), METHODS, X, "the title", "the subtitle", "pooled")


METADATA = {"Title": "the title", "sample": "a, b", "method": ", ".join(METHODS), "layer": "z2"}


def _legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def test_one_panel_per_layer_and_curve_kind_with_shared_axes():
    fig = _figure(layers=("z1", "z2", "a3", "z3"))
    axes = fig.axes
    assert len(axes) == 8
    assert [a.get_title(loc="left") for a in axes] == [
        f"{layer}, {kind}" for layer in ("z1", "z2", "a3", "z3") for kind in faithfulness.CURVES
    ]
    assert len({a.get_xlim() for a in axes}) == 1 and axes[0].get_xlim() == (0.0, 1.0)
    assert len({a.get_ylim() for a in axes}) == 1
    # x labels under the bottom row only, y labels left of the first column only
    assert [a.get_xlabel() for a in axes] == [""] * 6 + ["fraction deletion", "fraction insertion"]
    assert [a.get_ylabel() for a in axes] == ["pooled", ""] * 4


def test_each_line_draws_its_curve_in_its_own_colour_style_and_marker():
    fig = _figure()
    for ax, panel in zip(fig.axes, [p for row in _panels() for p in row], strict=True):
        lines = {line.get_label(): line for line in ax.get_lines() if line.get_label() in METHODS}
        assert set(lines) == set(METHODS)
        for m, line in lines.items():
            np.testing.assert_array_equal(line.get_xdata(), X)
            np.testing.assert_array_equal(line.get_ydata(), panel["curves"][m])
            style = ff.STYLES[m]
            assert matplotlib.colors.to_hex(line.get_color()) == style.color.lower()
        looks = {(line.get_color(), line.get_marker()) for line in lines.values()}
        assert len(looks) == len(METHODS)
        assert len({line.get_color() for line in lines.values()}) == len(METHODS)
        assert len({str(ff.STYLES[m].linestyle) for m in lines}) == len(METHODS)
        # matplotlib names every dash pattern "--": the one solid line is insertion's
        assert [m for m, line in lines.items() if line.get_linestyle() == "-"] == ["insertion"]
        # the reference: gray, dashed, no marker, under the methods
        random = lines["random"]
        assert random.get_marker() in ("None", None, "") and random.get_linestyle() == "--"
        assert random.get_zorder() <= min(line.get_zorder() for line in lines.values())
        assert ax.get_children().index(random) < min(
            ax.get_children().index(line) for m, line in lines.items() if m != "random"
        )


def test_the_legends_name_every_method_and_each_panel_its_scores_best_first():
    fig = _figure()
    (head,) = fig.subfigs[0].legends
    assert _legend_texts(head) == [*METHODS[:-1], "random (chance level)"]
    assert head.get_title().get_text() == "the subtitle"
    for ax in fig.axes:
        legend = ax.get_legend()
        texts = [t.replace("\u00a0", " ") for t in _legend_texts(legend)]
        names = [t.split()[0] for t in texts]
        scores = [float(t.split()[1]) for t in texts]
        if ax.get_title(loc="left").endswith("deletion"):
            # deletion: lower is better, so the last method (score -5) comes first
            assert names == [*METHODS[-2::-1], "random"]
            assert scores == [-5, -4, -3, -2, -1, 0, 0.5]
            assert legend.get_title().get_text() == "area (lower = better)"
        else:
            assert names == [*METHODS[-2::-1], "random"]
            assert scores == [0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.5]
        # name and score in aligned columns: every row as long
        assert len({len(t) for t in texts}) == 1
        # each row's line is the method's
        for handle, name in zip(legend.legend_handles, names, strict=True):
            assert matplotlib.colors.to_hex(handle.get_color()) == ff.STYLES[name].color.lower()


def test_a_method_without_a_finite_score_is_listed_last_before_the_reference():
    panels = _panels(layers=("z2",))
    panels[0][0]["scores"]["insertion"] = float("nan")
    fig = ff.figure(panels, METHODS, X, "t", "s", "y")
    texts = [t.replace("\u00a0", " ") for t in _legend_texts(fig.axes[0].get_legend())]
    assert [t.split()[0] for t in texts][-2:] == ["insertion", "random"]
    assert texts[-2].split()[1] == "nan"


def test_an_unknown_method_is_refused_and_extra_methods_get_spare_styles():
    panels = _panels(layers=("z2",))
    panels[0][1]["curves"]["mine"] = X
    with pytest.raises(ValueError, match=r"\['mine'\].*'z2, insertion'"):
        ff.figure(panels, METHODS, X, "t", "s", "y")
    got = ff.styles(["mine", "deeplift", "yours"])
    assert got["deeplift"] == ff.STYLES["deeplift"]
    assert len({got["mine"], got["yours"], got["deeplift"]}) == 3


def test_every_text_uses_the_bundled_dejavu_fonts():
    fig = _figure()
    data = matplotlib.get_data_path()
    texts = fig.findobj(matplotlib.text.Text)
    assert len(texts) > 50
    with ff.style():
        for text in texts:
            path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
            assert path.startswith(data) and "DejaVuSans" in path, (text.get_text(), path)


def test_png_and_svg_bytes_are_reproducible_and_say_what_they_show(tmp_path):
    paths = []
    for k in range(2):
        png, svg = tmp_path / f"{k}.png", tmp_path / f"{k}.svg"
        if k == 1:
            # another global style in effect does not change the bytes
            with matplotlib.rc_context({"lines.linewidth": 5, "font.size": 20}):
                ff.save(_figure(), png, svg, METADATA)
        else:
            ff.save(_figure(), png, svg, METADATA)
        paths.append((png.read_bytes(), svg.read_bytes()))
    assert paths[0] == paths[1]
    png, svg = paths[0]
    with Image.open(tmp_path / "0.png") as img:
        assert img.mode == "RGB" and img.size == (1120, 580)
        assert img.text == {"Software": SOFTWARE, **METADATA}
        pixels = np.asarray(img).reshape(-1, 3)
    assert b"tIME" not in png
    # every method's colour is drawn (its markers, its line), and white paper
    for m in METHODS:
        rgb = matplotlib.colors.to_rgb(ff.STYLES[m].color)
        exact = np.all(pixels == np.round(np.array(rgb) * 255).astype(np.uint8), axis=1)
        assert exact.sum() > 20, m
    assert np.all(pixels[0] == 255)
    text = svg.decode("utf-8")
    assert "<dc:date>" not in text and "Date" not in text
    assert "<dc:title>the title</dc:title>" in text
    assert f"<dc:title>{SOFTWARE}, matplotlib {matplotlib.__version__}</dc:title>" in text
    assert "sample: a, b; method: insertion, occlusion" in text
    shown = re.findall(r"<text [^>]*>([^<]*)</text>", text)
    for m in METHODS[:-1]:
        assert m in shown  # the figure's legend
        assert sum(t.startswith(m + "\u00a0") for t in shown) == 4  # each panel's legend
    assert "random (chance level)" in shown
    assert "font-family: 'DejaVu Sans', sans-serif" in text
    assert "font-family: 'DejaVu Sans Mono', monospace" in text


def test_the_saved_files_appear_whole(tmp_path):
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    ff.save(_figure(), png, svg, METADATA)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png", "f.svg"]
