"""Declared resources hold: each rule's mem_mb (pixel_influence.resources) covers what its
job needs for the largest input the config allows, with room for the job's own Snakemake
process on a cluster.

The measured tests (tests/test_workflow_resources.py) run the worst cases through Snakemake
with the probe of benchmarks/memory.py, which makes every job's process report, as it exits,
the mem_mb Snakemake gave it and its peak resident memory (VmHWM: the kernel's high-water
mark of the process since it started the job's script; ru_maxrss would include the memory
of the process it was forked from)."""

import sys
import zlib

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from pixel_influence import resources
from pixel_influence.errors import InputError
from pixel_influence.methods import METHODS
from pixel_influence.network import LAYER_SIZES, LAYERS
from pixel_influence.render.canvas import MapStyle
from pixel_influence.render.montage import montage_layout
from pixel_influence.resources import MB, MIB

sys.path.insert(0, str(ROOT / "benchmarks"))
import memory  # the probe and the worst-case PNGs of benchmarks/memory.py

ALL_LAYERS = list(LAYERS)  # a1 z1 a2 z2 a3 z3
ALL_METHODS = list(METHODS)  # all six, in the config's order
SIDE = resources.SIDE


# ---------------------------------------------------------------- the table and the models


def test_every_model_covers_its_measurements_with_the_margin():
    checked = 0
    for m in resources.MEASURED:
        if m.rule in resources.MODELS:
            model = resources.MODELS[m.rule](**m.inputs)
        else:
            model = resources.fixed_mib(m.rule)
        assert model >= m.mib - 0.5, (m.case, model)
        # what the rule declares for that input: the margin and the job's Snakemake on top
        need = (resources.MARGIN * m.mib + resources.SNAKEMAKE_JOB_MIB) * MIB / MB
        assert resources.declared_mb(model) >= need, m.case
        checked += 1
    assert checked >= 40
    assert {m.rule for m in resources.MEASURED} >= {
        "download",
        "mnist",
        "weights",
        "baseline",
        "accuracy",
        "influence",
        "faithfulness",
        "shared_scale",
        "montage",
        "methods_figure",
        "sweep_shard",
        "sweep_classes",
        "sweep_image",
    }


def runtime_for(m):
    """The runtime (minutes) a rule declares for the inputs of the measured job ``m``."""
    if m.rule == "influence":
        parameters = {
            "shapley_sampling": {"permutations": m.inputs.get("permutations", 256)},
            "integrated_gradients": {"points": m.inputs.get("ig_points", 64)},
        }
        spec = {"png": "unused.png"} if "header" in m.inputs else {"fill": 1.0}
        return resources.influence_runtime_min(
            spec, ALL_METHODS, parameters, m.inputs.get("header"), m.inputs.get("interactions")
        )
    if m.rule == "faithfulness":
        return resources.faithfulness_runtime_min(m.inputs["samples"])
    if m.rule == "explorer":
        return resources.explorer_runtime_min(m.inputs["samples"])
    if m.rule == "sweep_shard":
        parameters = {"integrated_gradients": {"points": m.inputs.get("ig_points", 64)}}
        methods, images = m.inputs["methods"], m.inputs["images"]
        return resources.sweep_runtime_min("train", images, methods, 1, parameters)
    return resources.fixed_runtime_min(m.rule)


def test_every_runtime_covers_its_measurements():
    """The measured times were taken on a busy machine; each declared runtime is at least
    the time measured (three times the modelled time, in whole minutes, or more)."""
    for m in resources.MEASURED:
        assert runtime_for(m) * 60 >= m.seconds, m.case
    # a rule asks for no less than before
    for rule, minutes in resources.MIN_RUNTIME.items():
        assert all(runtime_for(m) >= minutes for m in resources.MEASURED if m.rule == rule)


def test_the_png_table_is_what_was_measured():
    """The bytes per pixel of each mode are the measured 50-megapixel jobs less the job
    without a PNG; gray 8-bit modes go into preprocessing as uint8, the others as float32."""
    base = resources.influence_mib()
    for m in resources.MEASURED:
        header = m.inputs.get("header")
        if header and header[:2] == (SIDE, SIDE):
            kind = resources.png_kind(*header[2:])
            assert resources.PNG_BYTES_PER_PIXEL[kind] * SIDE**2 / MIB == pytest.approx(
                m.mib - base
            )
    per_pixel = resources.PNG_BYTES_PER_PIXEL
    assert {per_pixel[k] for k in ("1", "L", "P", "RGB")} == {per_pixel["L"]}
    assert 14 < per_pixel["L"] < per_pixel["RGBA"] < 20
    assert 60 < resources.PNG_BYTES_PER_EDGE < 80


def header(mode="RGBA", width=SIDE, height=SIDE, transparent=None):
    if transparent is None:
        transparent = mode in ("LA", "RGBA")
    return (width, height, mode, transparent)


def influence(head=None, **parameters):
    return resources.influence_mem_mb({"png": "unused.png"}, ALL_METHODS, parameters, head)


def test_the_declarations_grow_with_the_input():
    # a PNG: with its pixels, its mode, and its thinness at a given number of pixels
    sizes = [influence(header("RGBA", s, s)) for s in (28, 1000, 3000, SIDE)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1] / 3
    assert influence(header("L")) < influence(header("L", transparent=True))
    assert influence(header("RGBA")) < influence(header("RGBA", 2, 25_000_000))
    assert influence(header("RGBA", 10, 5_000_000)) < influence(header("RGBA", 2, 25_000_000))
    # an image over 50 megapixels is refused from its header: nothing is decoded
    no_png = resources.influence_mem_mb({"fill": 1.0}, ALL_METHODS, {})
    assert influence(header("RGBA", SIDE + 1, SIDE)) == no_png < influence(header("L", 800, 600))
    # integrated gradients' quadrature rule: memory as points^2, time as points^3
    ig = [influence(integrated_gradients={"points": n}) for n in (64, 1024, 4096)]
    assert ig[0] < ig[1] < ig[2]
    runtimes = [
        resources.influence_runtime_min(
            {"fill": 1.0}, ALL_METHODS, {"shapley_sampling": {"permutations": p}}
        )
        for p in (256, 30_000, 100_000)
    ]
    assert runtimes[0] == resources.MIN_RUNTIME["influence"] < runtimes[1] < runtimes[2]
    # faithfulness: samples, methods, layers
    f = resources.faithfulness_mem_mb
    assert f(1, 6, ALL_LAYERS, "float64") < f(10, 6, ALL_LAYERS, "float64")
    assert f(10, 6, ALL_LAYERS, "float64") < f(100, 6, ALL_LAYERS, "float64")
    assert f(40, 1, ALL_LAYERS, "float64") < f(40, 6, ALL_LAYERS, "float64")
    assert f(40, 6, ["z3"], "float64") < f(40, 6, ALL_LAYERS, "float64")
    assert resources.faithfulness_runtime_min(10_000) > resources.faithfulness_runtime_min(11)
    # pictures: zoom, layers, methods, columns
    m = resources.montage_mem_mb
    assert m(1, ALL_LAYERS, 6) < m(2, ALL_LAYERS, 6) < m(8, ALL_LAYERS, 6)
    assert m(8, ["z3"], 6) < m(8, ALL_LAYERS, 6) and m(8, ALL_LAYERS, 1) < m(8, ALL_LAYERS, 6)
    mf = resources.methods_figure_mem_mb
    assert mf(8, 20, 6) < mf(8, 310, 6) and mf(2, 310, 6) < mf(8, 310, 6)
    # and in colour (an RGB figure), by more the larger the picture
    for zoom in (1, 2, 4, 8):
        assert m(zoom, ALL_LAYERS, 6) < m(zoom, ALL_LAYERS, 6, colour=True)
        assert mf(zoom, 310, 6) < mf(zoom, 310, 6, colour=True)
    assert m(8, ALL_LAYERS, 6, colour=True) - m(8, ALL_LAYERS, 6) > 400
    assert mf(8, 310, 6, colour=True) - mf(8, 310, 6) > 400

    # the sweep: methods and layers
    # the sweep: methods, layers, images per shard, quadrature points; the merge: nodes, shards
    def s(layers, methods, images=None, shards=4, points=64):
        parameters = {"integrated_gradients": {"points": points}}
        return resources.sweep_memory_mb(layers, methods, parameters, "train", images, shards)

    assert s(["z3"], ["insertion"]) < s(ALL_LAYERS, ["insertion"]) < s(ALL_LAYERS, ALL_METHODS)
    assert s(["z3"], ["insertion"], 500) < s(["z3"], ["insertion"], None, 1)  # 60,000 images
    assert s(["z3"], ALL_METHODS) < s(["z3"], ALL_METHODS, points=4096)
    assert resources.shard_images("train", None, 120) == 500
    assert resources.shard_images("test", 1200, 2) == 1000  # 3 blocks: 2 and 1
    c = resources.sweep_classes_mem_mb
    assert c(["z3"], 1) < c(ALL_LAYERS, 1) < c(ALL_LAYERS, 120)


def test_the_interactions_add_what_their_matrices_need():
    """The pixel interactions of the worst sample (784 changed pixels): both ends' pair
    matrices of every output node and listed hidden node, in the storage type, and the
    index's arrays for the most pixels max_pairs lets through."""
    section = {
        "layers": ["z1", "z2", "a3", "z3"],
        "nodes": {"z1": [0, 1, 2, 3, 4], "z2": [0, 1, 2, 3, 4]},
        "order": 3,
        "max_triples": 2_000_000,
        "shapley_interaction": {"permutations": 8, "seed": 0, "max_pairs": 50_000},
    }
    assert resources.pair_nodes(section) == 30
    # 316 pixels have 49,770 pairs, 317 have 50,086
    assert resources.index_pixels(section) == 316
    pairs, index = resources.interactions_bytes(section)
    assert pairs == pytest.approx(2 * 30 * 784**2 * 4 / MIB)
    assert index == pytest.approx(20 * (316**2 * 8 + 4 * 316 * 315 / 2 * 8 + 2 * 316**2 * 4) / MIB)
    none = resources.influence_mem_mb({"fill": 1.0}, ALL_METHODS, {})
    default = resources.influence_mem_mb({"fill": 1.0}, ALL_METHODS, {}, interactions=section)
    wide = dict(section, nodes={"z1": list(range(50))})
    assert (
        none
        < default
        < resources.influence_mem_mb({"fill": 1.0}, ALL_METHODS, {}, interactions=wide)
    )
    assert default < resources.influence_mem_mb(
        {"fill": 1.0}, ALL_METHODS, {}, interactions=section, dtype="float64"
    )
    no_index = dict(section, shapley_interaction=None)
    assert resources.index_pixels(no_index) == 0
    assert resources.interactions_mib(no_index) < resources.interactions_mib(section)
    assert resources.index_pixels(dict(section, layers=["z1", "z2"])) == 0  # no output layer
    every = dict(section, shapley_interaction={"max_pairs": 10**6})
    assert resources.index_pixels(every) == 784
    assert default <= 1000  # the default config's worst job stays under 1 GB
    # time: the triples up to max_triples, from both ends
    fast = resources.interactions_seconds(dict(section, order=2))
    slow = resources.interactions_seconds(dict(section, max_triples=80_007_984))
    assert fast < resources.interactions_seconds(section) < slow
    assert resources.interactions_seconds(None) == 0.0
    # the picture: its panels only, four times as steep in colour
    (_, gray), (_, colour) = (resources.INTERACTIONS_FIGURE_FITS[c] for c in (False, True))
    assert 2.5 < colour / gray < 4.5
    assert resources.interactions_figure_mem_mb(8, 30) < resources.interactions_figure_mem_mb(
        8, 30, colour=True
    )


def test_pictures_in_colour_have_their_own_line():
    """A montage or methods figure in colour (colormap: diverging, or overlay: true) is an
    RGB figure: Pillow holds it in 4 bytes a pixel against 1 for gray, so its line in the
    panels' pixels is about four times as steep. Both lines were measured up to the largest
    picture the config allows: every method and layer (or 310 columns) at zoom 8, on the
    node scale (a line of text under every panel), in gray and in colour."""
    for rule, fits in (
        ("montage", resources.MONTAGE_FITS),
        ("methods_figure", resources.METHODS_FIGURE_FITS),
    ):
        (_, gray), (_, colour) = fits[False], fits[True]
        assert 3.5 < colour / gray < 4.5, rule
        largest = {
            colour: max(
                (m for m in resources.rows(rule) if m.inputs.get("colour", False) == colour),
                key=lambda m: m.mib,
            )
            for colour in (False, True)
        }
        for colour, m in largest.items():
            assert m.inputs["zoom"] == 8 and "node scale" in m.case
            assert m.inputs.get("columns", 310) == 310
            assert tuple(m.inputs.get("layers", ALL_LAYERS)) == tuple(ALL_LAYERS)
        assert largest[True].mib > 2.5 * largest[False].mib
    # the declarations of the largest pictures, worked out by hand: the line through the
    # smallest and largest measured picture, raised by the most any other lies above it,
    # at the largest; 1.2 x that + 130 MiB, in MB. Colour montage: 568 MiB at zoom 8, the
    # 4-layer one 8.2 MiB above the line: (1.2 x 576.2 + 130) x 1.048576 = 861.3; colour
    # methods figure: 576 + 9.4 (zoom 4); gray: 202 + 3.1 and 198 + 2.7 (before the node
    # scale was measured 379 and 376 MB). Then the numpy canvas beside Pillow's image
    # (resources.CANVAS): 1.75 times in colour, (1.2 x 1.75 x 576.2 + 130) x 1.048576 =
    # 1405.1 and (1.2 x 1.75 x 585.4 + 130) x 1.048576 = 1425.4; 2 times in gray, 652.5
    # and 641.4 (862, 873, 395 and 389 MB before it)
    assert resources.montage_mem_mb(8, ALL_LAYERS, 6, colour=True) == 1406
    assert resources.methods_figure_mem_mb(8, 310, 6, colour=True) == 1426
    assert resources.montage_mem_mb(8, ALL_LAYERS, 6) == 653
    assert resources.methods_figure_mem_mb(8, 310, 6) == 642


def test_small_inputs_ask_for_about_what_the_rules_asked_before():
    """The old fixed declarations were 1000 MB for an influence job, 500 MB for a picture
    or the faithfulness job: a digit and the default config stay at or below them."""
    default_layers = ["z1", "z2", "a3", "z3"]
    for spec in ({"fill": 1.0}, {"split": "test", "index": 0}):
        assert 300 < resources.influence_mem_mb(spec, ALL_METHODS, {}) <= 1000
    assert influence(header("L", 800, 600)) <= 1000  # a phone photo of a digit
    for colour in (False, True):  # the default zoom 2, in gray or in colour
        assert resources.montage_mem_mb(2, default_layers, 6, colour) <= 500
        assert resources.methods_figure_mem_mb(2, 20, 6, colour) <= 500
    assert resources.faithfulness_mem_mb(11, 6, default_layers, "float32") <= 500
    for rule in resources.FIXED:
        assert resources.fixed_mem_mb(rule) <= 500


def png_bytes(width, height, color_type, bit_depth, body=b""):
    """A PNG's signature and header chunk, then ``body`` (its other chunks, or none)."""

    def chunk(kind, data):
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    ihdr += bytes([bit_depth, color_type, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + body


def test_a_png_is_sized_from_its_header_alone(tmp_path):
    """No pixel is decoded: a PNG whose pixel data is garbage gets the declaration its
    header says (the job itself then fails, quickly)."""
    path = tmp_path / "big.png"
    garbage = b"\x00\x00\x00\x08IDATgarbage!\x00\x00\x00\x00"  # a bad chunk, a bad CRC
    path.write_bytes(png_bytes(SIDE, SIDE, 6, 8, garbage))  # RGBA, 8 bits
    assert resources.png_header(path) == (SIDE, SIDE, "RGBA", True)
    assert resources.influence_mem_mb({"png": str(path)}, ALL_METHODS, {}) == influence(header())
    path.write_bytes(png_bytes(SIDE, SIDE, 0, 16, garbage))  # 16-bit gray
    assert resources.png_header(path)[2] == "I;16"
    for broken in (b"", b"not a png", png_bytes(0, 0, 6, 8)[:20]):
        path.write_bytes(broken)
        assert resources.png_header(path) is None
        assert resources.influence_mem_mb({"png": str(path)}, ALL_METHODS, {}) == (
            resources.influence_mem_mb({"fill": 1.0}, ALL_METHODS, {})
        )
    assert resources.png_header(tmp_path / "missing.png") is None


@pytest.mark.parametrize(
    "mode", ["1", "L", "L+tRNS", "LA", "RGB", "RGB+tRNS", "RGBA", "P", "P+tRNS", "I;16"]
)
def test_every_mode_pillow_reads_has_its_row(tmp_path, mode):
    path = memory.worst_png(tmp_path / "x.png", mode, 30, 20)
    width, height, pil_mode, transparent = resources.png_header(path)
    with Image.open(path) as img:
        assert (width, height, pil_mode) == (30, 20, img.mode)
    assert resources.png_kind(pil_mode, transparent) == mode
    assert mode in resources.PNG_BYTES_PER_PIXEL


# ---------------------------------------------------------------- other networks

WIDE, DEEP = resources.WIDE, resources.DEEP  # 784-1000-1000-10 and 784-30-30-30-30-10
BOOK = resources.sizes_of((50, 100, 10))


def test_a_network_is_named_by_its_layer_sizes():
    assert BOOK == LAYER_SIZES and resources.widths_of(DEEP) == [30, 30, 30, 30, 10]
    assert list(DEEP)[-4:] == ["a4", "z4", "a5", "z5"]
    assert resources.output_layers_of(DEEP) == ("a5", "z5")
    assert resources.output_layers_of() == ("a3", "z3")
    # 784 x 50 + 50 + 50 x 100 + 100 + 100 x 10 + 10
    assert resources.parameter_count() == 45_360
    assert resources.parameter_count(WIDE) == 784_000 + 1000 + 1_000_000 + 1000 + 10_000 + 10
    with pytest.raises(InputError) as error:
        resources.montage_mem_mb(2, ["z1", "a4"], 6)
    assert str(error.value) == (
        "layer 'a4' is not a layer of the network, whose layers are a1, z1, a2, z2, a3, z3"
    )
    assert resources.montage_mem_mb(2, ["z1", "a4"], 6, sizes=DEEP) > 0


def test_the_book_network_keeps_every_declaration():
    """The book's sizes, given or left out, give the measured declarations whatever the
    layers, methods and storage type: nothing of another network's terms reaches them."""
    spec, parameters = {"fill": 1.0}, {"integrated_gradients": {"points": 1024}}
    for layers in (ALL_LAYERS, ["z1", "z2", "a3", "z3"], ["z3"], ["a1"]):
        for dtype in ("float32", "float64"):
            for methods in (ALL_METHODS, ["insertion"], ["shapley_sampling"]):
                assert resources.influence_mem_mb(
                    spec, methods, parameters, dtype=dtype, sizes=BOOK, layers=layers
                ) == resources.influence_mem_mb(spec, methods, parameters, dtype=dtype)
                assert resources.influence_runtime_min(
                    spec, methods, parameters, sizes=BOOK, layers=layers
                ) == resources.influence_runtime_min(spec, methods, parameters)
                assert resources.sample_seconds(
                    methods, parameters, sizes=BOOK, layers=layers
                ) == resources.sample_seconds(methods, parameters)
        for zoom in (1, 2, 8):
            for colour in (False, True):
                assert resources.montage_mem_mb(
                    zoom, layers, 6, colour, BOOK
                ) == resources.montage_mem_mb(zoom, layers, 6, colour)
                assert resources.montage_runtime_min(zoom, layers, 6, colour, BOOK) == (
                    resources.fixed_runtime_min("montage")
                )
                assert resources.methods_figure_mem_mb(
                    zoom, 310, 6, colour, BOOK, layers
                ) == resources.methods_figure_mem_mb(zoom, 310, 6, colour)
                assert resources.methods_figure_runtime_min(zoom, 310, 6, colour) == (
                    resources.fixed_runtime_min("methods_figure")
                )
        assert resources.faithfulness_mem_mb(
            11, 6, layers, "float32", BOOK
        ) == resources.faithfulness_mem_mb(11, 6, layers, "float32")
        assert resources.faithfulness_runtime_min(
            11, 6, layers, BOOK
        ) == resources.faithfulness_runtime_min(11)
        assert resources.shared_scale_mem_mb(6, layers, BOOK) == resources.shared_scale_mem_mb()
    for rule in resources.FIXED:
        assert resources.fixed_mem_mb(rule, BOOK) == resources.fixed_mem_mb(rule)
        assert resources.fixed_runtime_min(rule, BOOK) == resources.fixed_runtime_min(rule)
    # the golden declarations above, through the explicit sizes
    assert resources.montage_mem_mb(8, ALL_LAYERS, 6, True, BOOK) == 1406
    assert resources.methods_figure_mem_mb(8, 310, 6, True, BOOK) == 1426


def test_other_networks_cover_their_measurements_with_the_margin():
    """Every job measured on a network other than the book's (benchmarks/memory.py --parts
    networks) stays below its model, with the margin and the job's Snakemake on top, and
    within its runtime."""
    for m in resources.NETWORK_MEASURED:
        model = resources.network_model(m)
        assert model >= m.mib - 0.5, (m.case, model)
        need = (resources.MARGIN * m.mib + resources.SNAKEMAKE_JOB_MIB) * MIB / MB
        assert resources.declared_mb(model) >= need, m.case
        assert resources.network_runtime(m) * 60 >= m.seconds, m.case
    assert {m.rule for m in resources.NETWORK_MEASURED} == {
        "weights",
        "baseline",
        "accuracy",
        "influence",
        "faithfulness",
        "shared_scale",
        "montage",
        "methods_figure",
    }
    assert {id(m.inputs["sizes"]) for m in resources.NETWORK_MEASURED} == {id(WIDE), id(DEEP)}


def test_what_grows_with_the_network_is_counted():
    """The bytes an influence job holds beyond the interpreter, worked out by hand for the
    book's network with every method and layer in float64 (the row measured): the largest
    phase is Shapley sampling's, 8 arrays of a chunk of 3 pairs (2 x 3 x 784 states of its
    320 nodes and a1's 50 steps), its two running statistics, and the 7 maps held."""
    maps = 7 * 320 * 784 * 8
    shapley = 8 * (3 * 2 * 784 * 370 * 8) + 2 * 784 * 320 * 8
    assert resources.influence_bytes() == resources.BOOK_INFLUENCE_BYTES == maps + shapley
    # the wide network writing its file: maps and curves (7 rankings x 2 curves x 785
    # states) in float64, and the file built in memory holding both
    curves = 7 * 4020 * 2 * 785 * 8
    assert resources.influence_bytes(WIDE) == 2 * (7 * 4020 * 784 * 8 + curves)
    # its probabilities alone: integrated gradients' two batches of 16 points through
    # every layer but a1 (the largest phase), and its sums of z3
    assert resources.influence_bytes(WIDE, ["z3"], ["integrated_gradients"], "float32") == (
        2 * 16 * 3020 * 784 * 8 + 2 * 10 * 784 * 8 + 10 * 784 * 8
    )
    # a network smaller than the book's asks for what the book's does, never less; the
    # deep one holds a little more (Shapley sampling's chunk of 4 pairs: 14.6 MB an array)
    spec = {"fill": 1.0}
    book = resources.influence_mem_mb(spec, ALL_METHODS, {}, dtype="float64")
    deep = resources.influence_mem_mb(spec, ALL_METHODS, {}, dtype="float64", sizes=DEEP)
    assert deep == 389 and book == 387
    small = resources.sizes_of((10, 10))
    assert resources.influence_mem_mb(spec, ALL_METHODS, {}, sizes=small) == (
        resources.influence_mem_mb(spec, ALL_METHODS, {})
    )
    # a larger one: more with more layers mapped and in float64, and a job per sample
    wide = [
        resources.influence_mem_mb(spec, ALL_METHODS, {}, dtype=dtype, sizes=WIDE, layers=layers)
        for layers, dtype in ((["z3"], "float32"), (["z1", "z2", "a3", "z3"], "float32"))
    ] + [resources.influence_mem_mb(spec, ALL_METHODS, {}, dtype="float64", sizes=WIDE)]
    assert book < wide[0] < wide[1] < wide[2]
    assert resources.sample_seconds(ALL_METHODS, {}, sizes=WIDE) > 30  # batch_seconds
    assert resources.sample_seconds(ALL_METHODS, {}, sizes=DEEP) < 30
    # the rules that read the network: its parameters beyond the book's
    assert resources.network_bytes("weights", WIDE) == 1_796_010 * 8
    assert resources.network_bytes("accuracy", WIDE) == 1_796_010 * 8 + 1000 * 4020 * 8
    assert resources.network_bytes("mnist", WIDE) == 0
    assert resources.fixed_mem_mb("mnist", WIDE) == resources.fixed_mem_mb("mnist")
    assert resources.fixed_mem_mb("weights", WIDE) > resources.fixed_mem_mb("weights")


@pytest.mark.parametrize(
    "widths", [(50, 100, 10), (1000, 1000, 10), (30, 30, 30, 30, 10), (2, 10), (10,) * 12]
)
def test_the_montage_is_laid_out_as_render_lays_it(widths):
    """``montage_pixels`` is the size of ``render.montage``'s layout on the node scale (to
    0.1 %: its row labels at their narrowest), which makes a network of narrow layers
    (blocks at least 130 px wide) or of unequal ones ask for its extra room."""
    sizes = resources.sizes_of(widths)
    names = list(sizes)
    for zoom in (1, 2, 8):
        for layers in (names, names[-3:]):
            maps = {f"m{j}": {layer: [None] * sizes[layer] for layer in layers} for j in range(6)}
            scales = {
                f"m{j}": {layer: np.zeros(sizes[layer]) for layer in layers} for j in range(6)
            }
            layout = montage_layout(
                MapStyle(zoom), maps, scales, "t", "node", output_layers=tuple(names[-2:])
            )
            pixels = resources.montage_pixels(zoom, layers, 6, sizes)
            assert pixels == pytest.approx(layout.width * layout.height / MIB, rel=1e-3)
    # twelve layers of ten nodes: 1.2 times the book's room per panel at zoom 8 (109.2 MiB
    # of figure for 68.9 of panels, against 121.8 for 91.9), counted in its declaration
    deep = resources.sizes_of((10,) * 12)
    factor = resources.montage_pixels(8, list(deep), 6, deep) / resources.panel_pixels(8, 1440)
    factor /= resources.montage_pixels(8, ALL_LAYERS, 6) / resources.panel_pixels(8, 1920)
    assert 1.19 < factor < 1.2
    start, per_pixel = resources.MONTAGE_FITS[True]
    line = 1.75 * (start + per_pixel * resources.panel_pixels(8, 1440) * factor)
    extra = resources.picture_bytes(8, list(deep), 6, True, deep) - resources.picture_bytes(
        8, ALL_LAYERS, 6, True
    )
    assert extra < 0  # its maps and largest layer are the book's or less
    assert resources.montage_mib(8, list(deep), 6, True, deep) == pytest.approx(line)


def test_the_declarations_of_the_measured_networks():
    """What the wide network's jobs ask for (measured: 1046 MiB for every layer in float64,
    730 for the default layers in float32; 2811 MiB for its montage at zoom 4 in colour),
    and the weights job by the kind of file it reads."""
    spec, default = {"fill": 1.0}, ["z1", "z2", "a3", "z3"]
    assert resources.influence_mem_mb(spec, ALL_METHODS, {}, dtype="float64", sizes=WIDE) == 1615
    assert resources.influence_runtime_min(spec, ALL_METHODS, {}, sizes=WIDE) == 22
    assert resources.influence_mem_mb(spec, ALL_METHODS, {}, sizes=WIDE, layers=default) == 1167
    assert resources.montage_mem_mb(4, list(WIDE), 6, True, WIDE) == 3915
    assert resources.montage_mem_mb(8, list(WIDE), 6, True, WIDE) == 14089
    assert resources.montage_runtime_min(8, list(WIDE), 6, True, WIDE) == 21
    assert resources.faithfulness_mem_mb(11, 6, default, "float32", WIDE) == 586
    weights = {
        reader: resources.fixed_mem_mb("weights", sizes, reader)
        for sizes, reader in ((BOOK, "book"), (BOOK, "npz"), (WIDE, "onnx"))
    }
    assert weights == {"book": 204, "npz": 214, "onnx": 306}


def test_the_interactions_of_another_network():
    """Its output nodes' pair matrices and index, its listed hidden nodes of any layer; the
    passes take longer by the work of a state through it (the wide network's 141 times the
    book's)."""
    section = {
        "layers": ["z1", "z4", "a5", "z5"],
        "nodes": {"z1": [0, 1], "z4": [0, 1, 2]},
        "shapley_interaction": {"permutations": 8, "max_pairs": 50_000},
    }
    assert resources.pair_nodes(section, DEEP) == 2 + 3 + 10 + 10
    assert resources.index_pixels(section, DEEP) == 316
    pairs, index = resources.interactions_bytes(section, "float32", DEEP)
    assert pairs == pytest.approx(2 * 25 * 784**2 * 4 / MIB)
    assert index == pytest.approx(20 * (316**2 * 8 + 4 * 316 * 315 / 2 * 8 + 2 * 316**2 * 4) / MIB)
    with pytest.raises(InputError, match="'z4' is not a layer of the network"):
        resources.pair_nodes(section)
    # left out, the layers are the network's hidden outputs and its output layers
    assert resources.pair_nodes({"nodes": {"z4": [0]}}, DEEP) == 1 + 10 + 10
    assert resources.state_work() == 50 * 100 + 100 * 10 + 8 * (50 + 100 + 10)
    book = resources.interactions_seconds({"order": 2})
    wide = resources.interactions_seconds({"order": 2}, WIDE)
    assert wide / book == pytest.approx(resources.state_work(WIDE) / resources.state_work())
    assert resources.interactions_seconds({"order": 2}, BOOK) == book


@pytest.mark.parametrize(
    "settings, peak_mib, seconds",
    [
        ({}, 116, 5 * 3.0),  # 784-100-10, sgd, 5 epochs
        ({"hidden": [1000, 1000], "optimizer": "adam", "epochs": 1}, 176, 68.6),
        ({"hidden": [4096] * 8, "optimizer": "adam", "epochs": 1}, 3379, None),
    ],
)
def test_the_training_job_declares_its_measured_peak(settings, peak_mib, seconds):
    """benchmarks/training.py's peaks (VmHWM, one BLAS thread) and epoch times: the model
    covers each, with the margin and the job's own Snakemake process."""
    from pixel_influence import training

    checked = training.check_settings(settings)
    assert resources.train_mib(checked) >= peak_mib
    needed = resources.MARGIN * peak_mib + resources.SNAKEMAKE_JOB_MIB
    assert resources.train_mem_mb(checked) >= needed * resources.MIB / resources.MB
    if seconds is not None:
        assert resources.train_seconds(checked) >= seconds
        assert resources.train_runtime_min(checked) * 60 >= resources.TIME_MARGIN * seconds
