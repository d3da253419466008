"""How much memory (``mem_mb``) and time (``runtime``, minutes) each rule's job needs.

Every rule's ``resources:`` calls a function here (through a small input function of
workflow/rules/common.smk) with what the job is given: a sample's spec (for a PNG, its
width, height and mode, read from the header alone), the numbers of samples, methods,
layers and nodes, the zoom of the pictures, the sweep's size. The numbers come from
``MEASURED``: the peak resident memory and the run time of each rule's job for the largest
inputs the config allows, measured with ``python benchmarks/memory.py``. It runs every job
through Snakemake and reads the kernel's high-water mark of the job's process (``VmHWM``:
the interpreter, Snakemake's preamble, the imports and the work), not Snakemake's sampled
``max_rss``. Each rule's model (``MODELS``, in MiB) is linear in its inputs, fitted to the
rule's rows of ``MEASURED`` and at or above every one of them (``tests/test_resources.py``
checks that, and measures the worst cases again).

A declaration is

    mem_mb = MARGIN * modelled peak + SNAKEMAKE_JOB_MIB, in MB (10^6 bytes)

``MARGIN`` (20 %) covers the spread between runs and machines: jobs of one rule given alike
inputs differ by up to 8 % (the influence jobs of 40 samples that change all 784 pixels: 183
to 199 MiB), and another machine's allocator, library builds or Python add their own.
``SNAKEMAKE_JOB_MIB`` is the job's own Snakemake: on a cluster every job is a ``python -m
snakemake`` process (130 MiB) that starts the script and waits for it, and a memory limit
counts both. So a digit's influence job asks for about 390 MB, a 50-megapixel RGBA PNG's
1.5 GB, and the costliest PNG shape allowed (2 x 25,000,000 pixels) 3.6 GB.

Times: ``TIME_MARGIN`` (3x) the modelled time in whole minutes, never below what each rule
asked for before (``MIN_RUNTIME``): job start-up, queues and slow shared file systems are
not in the measurements.

Any dense network: the models take the network's layer sizes, ``sizes`` {layer: nodes}
(``network.layer_sizes(params)``: a1, z1, ..., aL, zL; the book's ``LAYER_SIZES`` by
default), and the layers mapped. What ``MEASURED`` measured on the book's network stays as
measured: given the book's sizes every declaration is the book's, whatever its layers. What
grows with the network is counted from its sizes, beyond the book's (never below it):

- the influence job: the bytes its maps, curves, file and each method's passes hold at the
  largest phase (``influence_bytes``), and its work in multiply-adds of matrix products,
  that is in the network's parameters, with the element passes over states
  (``influence_work``);
- the faithfulness job: one sample's curves and table rows read at a time;
- the pictures: the montage's panels (times the room its layout takes per panel against the
  book's, ``montage_pixels``), the maps they read and the largest layer's panels;
- weights, baseline and accuracy: the network's parameters (accuracy also a batch through
  every layer), and the weights job's reading of the file by its kind (``reader``).

Each count is turned into MiB and seconds by a multiple fitted to jobs measured on two other
networks (``NETWORK_MEASURED``: 784-1000-1000-10 ReLU, 40 times the book's parameters, and
784-30-30-30-30-10 sigmoid), at or above every one, and at least 1 for the bytes. The sweep,
the explorer and the interactions run on the book's network only, and model it alone.
"""

import math
import warnings
from dataclasses import dataclass, field

from .errors import InputError
from .network import LAYER_SIZES
from .samples import MAX_PNG_PIXELS, SPLIT_SIZES

__all__ = [
    "ALL_LAYERS",
    "ALL_METHODS",
    "DEEP",
    "DEFAULT_IG_POINTS",
    "DEFAULT_PERMUTATIONS",
    "ELEMENT_WORK",
    "FIXED",
    "MARGIN",
    "MB",
    "MEASURED",
    "MIB",
    "MIN_RUNTIME",
    "MODELS",
    "Measured",
    "NETWORK_FAITHFULNESS_MULTIPLE",
    "NETWORK_FIXED_MULTIPLE",
    "NETWORK_INFLUENCE_MULTIPLE",
    "NETWORK_MAPS_MULTIPLE",
    "NETWORK_MEASURED",
    "NETWORK_PICTURE_MULTIPLE",
    "NETWORK_RULES",
    "NETWORK_SECONDS_PER_PARAMETER",
    "PNG_BYTES_PER_EDGE",
    "PNG_BYTES_PER_PIXEL",
    "READERS",
    "SECONDS_PER_WORK",
    "SIDE",
    "SNAKEMAKE_JOB_MIB",
    "TRAIN_BASE_MIB",
    "TRAIN_SECONDS_PER_MULTIPLY_ADD",
    "TRAIN_STATE",
    "WEIGHTS_MIB",
    "WIDE",
    "condensed_bytes",
    "declared_mb",
    "declared_minutes",
    "explorer_mem_mb",
    "explorer_mib",
    "explorer_runtime_min",
    "faithfulness_mem_mb",
    "faithfulness_mib",
    "faithfulness_runtime_min",
    "fixed_mem_mb",
    "fixed_mib",
    "fixed_runtime_min",
    "ig_points",
    "index_pixels",
    "influence_bytes",
    "influence_mem_mb",
    "influence_mib",
    "influence_runtime_min",
    "influence_seconds",
    "influence_work",
    "interactions_bytes",
    "interactions_figure_mem_mb",
    "interactions_figure_mib",
    "interactions_mib",
    "interactions_seconds",
    "maps_bytes",
    "methods_figure_mem_mb",
    "methods_figure_mib",
    "methods_figure_runtime_min",
    "montage_mem_mb",
    "montage_mib",
    "montage_pixels",
    "montage_runtime_min",
    "montage_seconds",
    "network_bytes",
    "network_model",
    "network_rows",
    "network_runtime",
    "network_seconds",
    "output_layers_of",
    "pair_nodes",
    "panel_pixels",
    "parameter_count",
    "picture_bytes",
    "png_header",
    "png_kind",
    "png_mib",
    "png_seconds",
    "rows",
    "sample_curve_bytes",
    "sample_seconds",
    "shard_images",
    "shared_scale_mem_mb",
    "shared_scale_mib",
    "sizes_of",
    "state_work",
    "sums_mib",
    "sweep_classes_mem_mb",
    "sweep_classes_mib",
    "sweep_image_mem_mb",
    "sweep_image_mib",
    "sweep_memory_mb",
    "sweep_runtime_min",
    "sweep_shard_mib",
    "train_mem_mb",
    "train_mib",
    "train_runtime_min",
    "train_seconds",
    "widths_of",
]

MIB = 2**20
MB = 10**6
MARGIN = 1.2
TIME_MARGIN = 3.0
# the job's own Snakemake process on a cluster (python -m snakemake --target-jobs ...), while
# its script runs: VmHWM 126-128 MiB, measured on jobs of the local-cluster profile
SNAKEMAKE_JOB_MIB = 130
PIXELS = 784  # of an image: at most this many differ from the baseline
SIDE = 7071  # the square PNGs measured: 7071 x 7071 pixels, just under MAX_PNG_PIXELS
ALL_LAYERS = tuple(LAYER_SIZES)  # a1 z1 a2 z2 a3 z3: 320 nodes
DEFAULT_LAYERS = ("z1", "z2", "a3", "z3")  # 170 nodes
ALL_METHODS = 6
DEFAULT_PERMUTATIONS = 256
DEFAULT_IG_POINTS = 64


@dataclass(frozen=True)
class Measured:
    """One measured job: its rule, what it was given (in words, and as the keyword
    arguments of the rule's model), its peak resident memory (MiB) and run time (s)."""

    rule: str
    case: str
    mib: float
    seconds: float
    inputs: dict = field(default_factory=dict)


def _png(mode, width=SIDE, height=SIDE):
    """The ``header`` input of a measured PNG: its digit a ring touching all four sides
    (benchmarks/memory.py ``worst_png``), ``mode`` as Pillow opens it, "+tRNS" for a
    transparent colour."""
    base, _, key = mode.partition("+")
    return {"header": (width, height, base, bool(key) or base in ("LA", "RGBA"))}


_WHITE = "white image (784 pixels changed), 6 methods, 6 layers, float64"
_SAMPLES = "samples, each white, 6 methods, 6 layers, float64"
_EVERY = {"layers": ALL_LAYERS, "methods": ALL_METHODS}
_METHODS4 = ("insertion", "occlusion", "gradient_input", "deeplift")
_METHODS6 = (*_METHODS4, "integrated_gradients", "shapley_sampling")
_COLOUR = ", diverging, overlay"  # a picture's case in colour: an RGB figure

# Measured with `python benchmarks/memory.py` on the 2-core, 24 GB development machine
# (Linux 6.18, Python 3.11.7, numpy 2.4.6, Pillow 13.0.0, h5py 3.16.0, Snakemake 9.27.1),
# 2026-12-01, while other work shared the machine: the times are on the slow side.
MEASURED = (
    # rules whose input the config does not change
    Measured("download", "one file from the local mirror (train images, 9.9 MB)", 28, 0.7),
    Measured("mnist", "the four MNIST files, both splits", 140, 8.3),
    Measured("weights", "sample_weight.pkl", 53, 1.6),
    Measured("baseline", "weights.h5", 53, 1.6),
    Measured("accuracy", "the 10,000 test images", 81, 2.8),
    # one sample, no PNG; integrated gradients' quadrature rule (numpy's leggauss) takes
    # 16 bytes x points^2 for its eigenvalue problem, and seconds growing as points^3;
    # Shapley sampling's batches are capped at 64 MB, whatever the permutations
    Measured("influence", f"{_WHITE}, default parameters", 186, 13.6),
    Measured("influence", f"{_WHITE}, IG 4,096 points", 319, 83.5, {"ig_points": 4096}),
    Measured(
        "influence",
        f"{_WHITE}, IG 4,096 points, 100,000 permutations (the machine busy)",
        318,
        1029,
        {"ig_points": 4096, "permutations": 100_000},
    ),
    Measured(
        "influence",
        "40 samples: every pixel 1/40, 2/40, ..., 1; 6 methods, 6 layers, float64 (the largest)",
        199,
        25.4,
    ),
    Measured("influence", "test image #0 (116 pixels changed), 6 methods", 148, 2.3),
    Measured(
        "influence",
        "test image #0, 6 methods, 100,000 permutations",
        157,
        119.9,
        {"permutations": 100_000, "changed": 116},
    ),
    # 50-megapixel PNGs (7071 x 7071), by mode as Pillow opens them ("+tRNS": with a
    # transparent colour), 6 methods, 6 layers: the modes read as 8-bit gray go into
    # preprocessing at 1 byte a pixel, the others (transparency, 16-bit) as float32
    Measured("influence", "PNG 50 MP, mode 1", 916, 6.1, _png("1")),
    Measured("influence", "PNG 50 MP, mode L", 916, 6.4, _png("L")),
    Measured("influence", "PNG 50 MP, mode P", 916, 12.0, _png("P")),
    Measured("influence", "PNG 50 MP, mode RGB", 916, 12.8, _png("RGB")),
    Measured("influence", "PNG 50 MP, mode L+tRNS", 1060, 8.6, _png("L+tRNS")),
    Measured("influence", "PNG 50 MP, mode P+tRNS", 1060, 14.5, _png("P+tRNS")),
    Measured("influence", "PNG 50 MP, mode RGB+tRNS", 1059, 16.3, _png("RGB+tRNS")),
    Measured("influence", "PNG 50 MP, mode LA", 1060, 11.6, _png("LA")),
    Measured("influence", "PNG 50 MP, mode RGBA", 1060, 15.7, _png("RGBA")),
    Measured("influence", "PNG 50 MP, mode I;16", 1059, 12.6, _png("I;16")),
    Measured("influence", "PNG 50 MP, mode I;16+tRNS", 1060, 13.7, _png("I;16+tRNS")),
    # RGBA PNGs of 50 MP in long thin shapes (width x height): preprocessing's border
    # statistics, per-row arrays and Lanczos weights grow with width + height; the worst
    # is two pixels wide with ink all along both columns
    Measured(
        "influence", "PNG 50 MP RGBA, 2 x 25,000,000", 2757, 19.1, _png("RGBA", 2, 25_000_000)
    ),
    Measured(
        "influence", "PNG 50 MP RGBA, 1 x 50,000,000", 2690, 25.2, _png("RGBA", 1, 50_000_000)
    ),
    Measured(
        "influence", "PNG 50 MP RGBA, 50,000,000 x 1", 2537, 23.9, _png("RGBA", 50_000_000, 1)
    ),
    Measured(
        "influence", "PNG 50 MP RGBA, 4 x 12,500,000", 1822, 11.1, _png("RGBA", 4, 12_500_000)
    ),
    Measured(
        "influence", "PNG 50 MP RGBA, 10 x 5,000,000", 1250, 10.2, _png("RGBA", 10, 5_000_000)
    ),
    Measured(
        "influence", "PNG 50 MP RGBA, 5,000,000 x 10", 1212, 23.2, _png("RGBA", 5_000_000, 10)
    ),
    Measured(
        "influence", "PNG 50 MP RGBA, 25,000,000 x 2", 2566, 15.2, _png("RGBA", 25_000_000, 2)
    ),
    Measured("influence", "PNG 50 MP RGBA, 50,000 x 1,000", 1061, 5.8, _png("RGBA", 50_000, 1000)),
    Measured("influence", "PNG 50 MP RGBA, 1,000 x 50,000", 1061, 10.3, _png("RGBA", 1000, 50_000)),
    # the faithfulness job reads one sample at a time and keeps its areas and the sums of
    # its resampled curves (faithfulness.condensed), then draws the figure with matplotlib
    # (its import and the drawing are most of the constant); measured again with matplotlib
    # 3.11.2 on the same machine, 2026-12-01, busier (four sessions at once): the peak
    # levels off after a few samples (the allocator keeps the freed curves' memory), and
    # the times vary with the load. shared_scale reads one sample at a time
    Measured("faithfulness", f"1 {_SAMPLES}", 145, 14.1, {"samples": 1, **_EVERY}),
    Measured("faithfulness", f"10 {_SAMPLES}", 173, 28.1, {"samples": 10, **_EVERY}),
    Measured("faithfulness", f"20 {_SAMPLES}", 175, 41.2, {"samples": 20, **_EVERY}),
    Measured("faithfulness", f"40 {_SAMPLES}", 173, 33.0, {"samples": 40, **_EVERY}),
    # the explorer page holds every sample's Shapley maps (on its changed pixels) and the
    # sweep's class means, encoded, until it is written; white samples change every pixel
    Measured(
        "explorer", "1 white sample with Shapley maps, the default sweep", 94, 1.8, {"samples": 1}
    ),
    Measured(
        "explorer",
        "10 white samples with Shapley maps, the default sweep",
        112,
        2.8,
        {"samples": 10},
    ),
    Measured(
        "explorer",
        "40 white samples with Shapley maps, the default sweep",
        215,
        6.2,
        {"samples": 40},
    ),
    Measured("shared_scale", f"1 {_SAMPLES}", 66, 1.0),
    Measured("shared_scale", f"10 {_SAMPLES}", 78, 3.9),
    Measured("shared_scale", f"20 {_SAMPLES}", 79, 8.1),
    Measured("shared_scale", f"40 {_SAMPLES}", 80, 7.7),
    # pictures of the white image on the layer scale (the default): 6 methods x 6 layers
    # (320 nodes), by zoom
    Measured("montage", "6 methods, 6 layers, zoom 1", 77, 3.6, {"zoom": 1, **_EVERY}),
    Measured("montage", "6 methods, 6 layers, zoom 2", 83, 5.5, {"zoom": 2, **_EVERY}),
    Measured("montage", "6 methods, 6 layers, zoom 4", 105, 6.9, {"zoom": 4, **_EVERY}),
    Measured("montage", "6 methods, 6 layers, zoom 8", 192, 20.9, {"zoom": 8, **_EVERY}),
    Measured(
        "montage",
        "6 methods, 4 layers (170 nodes), zoom 8",
        136,
        6.8,
        {"zoom": 8, "layers": DEFAULT_LAYERS, "methods": 6},
    ),
    # 6 methods by every hidden node of a1, z1, a2, z2 (300) and the 10 of z3
    *(
        Measured("methods_figure", f"6 methods, 310 columns, zoom {z}", mib, s, {"zoom": z})
        for z, mib, s in ((1, 81, 3.6), (2, 85, 4.7), (4, 106, 5.3), (8, 190, 17.3))
    ),
    Measured(
        "methods_figure",
        "6 methods, the default 20 columns, zoom 8",
        81,
        1.5,
        {"zoom": 8, "columns": 20},
    ),
    # the same pictures measured again with the colour maps, on the same machine, 2026-12-01
    # (`benchmarks/memory.py --parts pictures`, the larger of two runs): on the node scale,
    # which writes a line of text under every panel (the tallest figures; in gray up to 5 %
    # above the layer scale, which measured again as above within 1 MiB), in gray and in
    # colour (colormap: diverging with the overlay, an RGB figure, which Pillow holds in 4
    # bytes a pixel against 1 for gray); in colour also on the shared scale
    *(
        Measured(
            "montage",
            f"6 methods, 6 layers, zoom {z}, node scale{look}",
            mib,
            s,
            {"zoom": z, **_EVERY, "colour": bool(look)},
        )
        for look, z, mib, s in (
            ("", 1, 79, 4.2),
            ("", 2, 86, 6.0),
            ("", 4, 109, 7.5),
            ("", 8, 202, 12.1),
            (_COLOUR, 1, 93, 7.1),
            (_COLOUR, 2, 120, 14.4),
            (_COLOUR, 4, 214, 13.8),
            (_COLOUR, 8, 568, 38.5),
        )
    ),
    *(
        Measured(
            "montage",
            f"6 methods, 4 layers (170 nodes), zoom 8, node scale{look}",
            mib,
            s,
            {"zoom": 8, "layers": DEFAULT_LAYERS, "methods": 6, "colour": bool(look)},
        )
        for look, mib, s in (("", 143, 5.0), (_COLOUR, 350, 13.1))
    ),
    Measured(
        "montage",
        f"6 methods, 6 layers, zoom 8, shared scale{_COLOUR}",
        532,
        30.1,
        {"zoom": 8, **_EVERY, "colour": True},
    ),
    *(
        Measured(
            "methods_figure",
            f"6 methods, 310 columns, zoom {z}, node scale{look}",
            mib,
            s,
            {"zoom": z, "colour": bool(look)},
        )
        for look, z, mib, s in (
            ("", 1, 79, 3.7),
            ("", 2, 85, 4.8),
            ("", 4, 110, 5.7),
            ("", 8, 198, 9.0),
            (_COLOUR, 1, 99, 5.7),
            (_COLOUR, 2, 122, 9.7),
            (_COLOUR, 4, 222, 10.1),
            (_COLOUR, 8, 576, 28.5),
        )
    ),
    *(
        Measured(
            "methods_figure",
            f"6 methods, the default 20 columns, zoom 8, node scale{look}",
            mib,
            s,
            {"zoom": 8, "columns": 20, "colour": bool(look)},
        )
        for look, mib, s in (("", 76, 1.5), (_COLOUR, 104, 2.6))
    ),
    Measured(
        "methods_figure",
        f"6 methods, 310 columns, zoom 8, shared scale{_COLOUR}",
        545,
        21.0,
        {"zoom": 8, "colour": True},
    ),
    # sweeps of the test split in one shard unless said: a shard holds per-class sums of
    # every map and streams the images; the merge holds one statistic at a time
    Measured(
        "sweep_shard",
        "6 methods, 6 layers, 500 images",
        1015,
        201.8,
        {"methods": _METHODS6, "layers": ALL_LAYERS, "images": 500},
    ),
    Measured(
        "sweep_shard",
        "6 methods, 6 layers, 100 images",
        1024,
        71.7,
        {"methods": _METHODS6, "layers": ALL_LAYERS, "images": 100},
    ),
    Measured(
        "sweep_shard",
        "the default 4 methods and 4 layers, 2,500 images",
        392,
        22.3,
        {"methods": _METHODS4, "layers": DEFAULT_LAYERS, "images": 2500},
    ),
    Measured(
        "sweep_shard",
        "insertion, z3, 10,000 images in 20 shards: 500 a shard",
        62,
        2.2,
        {"methods": ("insertion",), "layers": ("z3",), "images": 500},
    ),
    Measured(
        "sweep_shard",
        "insertion, z3, the 60,000 training images in 1 shard",
        118,
        71.3,
        {"methods": ("insertion",), "layers": ("z3",), "images": 60_000},
    ),
    Measured(
        "sweep_shard",
        "integrated gradients with 4,096 points, z3, 1 image",
        314,
        14.9,
        {"methods": ("integrated_gradients",), "layers": ("z3",), "images": 1, "ig_points": 4096},
    ),
    # the merge and the pictures measured again with the contrast maps (/<method>/<layer>
    # _contrast, which the merge also computes and holds in its file) and the three
    # pictures per class, on the same machine, 2026-12-01, busier (four sessions at once);
    # a picture in colour (colormap: diverging, or overlay: true) is an RGB figure, which
    # Pillow holds in 4 bytes a pixel against 1 for gray
    Measured(
        "sweep_classes",
        "6 methods, 6 layers, 500 images",
        544,
        10.9,
        {"layers": ALL_LAYERS, "methods": 6},
    ),
    Measured(
        "sweep_classes",
        "6 methods, 6 layers, 100 images",
        510,
        13.0,
        {"layers": ALL_LAYERS, "methods": 6},
    ),
    Measured(
        "sweep_classes",
        "the default 4 methods and 4 layers",
        288,
        7.0,
        {"layers": DEFAULT_LAYERS, "methods": 4},
    ),
    Measured(
        "sweep_classes", "insertion, z3, 20 shards", 75, 0.9, {"layers": ("z3",), "shards": 20}
    ),
    Measured("sweep_classes", "insertion, z3, 1 shard", 63, 0.5, {"layers": ("z3",)}),
    Measured(
        "sweep_image",
        "6 methods, 6 layers, zoom 8, layer or shared scale",
        194,
        8.7,
        {"zoom": 8, **_EVERY},
    ),
    Measured(
        "sweep_image",
        "the default 4 methods and 4 layers, zoom 8",
        114,
        5.1,
        {"zoom": 8, "layers": DEFAULT_LAYERS, "methods": 4},
    ),
    Measured(
        "sweep_image",
        "insertion, z3, zoom 8",
        63,
        1.1,
        {"zoom": 8, "layers": ("z3",), "methods": 1},
    ),
    Measured(
        "sweep_image",
        "6 methods, 6 layers, zoom 8, diverging, overlay, shared scale",
        534,
        16.8,
        {"zoom": 8, **_EVERY, "colour": True},
    ),
    Measured(
        "sweep_image",
        "the default 4 methods and 4 layers, zoom 8, diverging, overlay, shared scale",
        244,
        3.9,
        {"zoom": 8, "layers": DEFAULT_LAYERS, "methods": 4, "colour": True},
    ),
    Measured(
        "sweep_image",
        "insertion, z3, zoom 8, diverging, overlay, shared scale",
        73,
        0.5,
        {"zoom": 8, "layers": ("z3",), "methods": 1, "colour": True},
    ),
)

# pixel interactions (python benchmarks/memory.py --parts interactions,interaction_pictures,
# 2026-12-02, twice: the larger peak of the two runs; the allocator moves a run's peak by up
# to 50 MiB): the white image's (784 changed pixels: the largest pair matrices) with the
# defaults (no triples, no index), with the index forced on (max_pairs 1,000,000, 2
# permutations), and with every z1 node's pair matrix (75 nodes), in float32 and float64;
# test image #18's 1.5 million triples. The pictures of the white image read one row of
# each pair matrix from the file, so they grow with their panels only.
_DEFAULT_INTERACTIONS = {
    "layers": list(DEFAULT_LAYERS),
    "nodes": {"z1": [0, 1, 2, 3, 4], "z2": [0, 1, 2, 3, 4]},
    "order": 3,
    "max_triples": 2_000_000,
    "shapley_interaction": {"permutations": 8, "seed": 0, "max_pairs": 50_000},
}
_WITH_INDEX = dict(
    _DEFAULT_INTERACTIONS, shapley_interaction={"permutations": 2, "max_pairs": 10**6}
)
_EVERY_Z1 = dict(_WITH_INDEX, nodes={"z1": list(range(50)), "z2": [0, 1, 2, 3, 4]})
_I = "white image (784 pixels changed), 6 methods, 4 layers, interactions"
MEASURED += (
    *(
        Measured("influence", f"{_I} {case}, {dtype}", mib, s, {"interactions": i, "dtype": dtype})
        for case, i, dtype, mib, s in (
            ("defaults", _DEFAULT_INTERACTIONS, "float32", 405, 10.0),
            ("with the index", _WITH_INDEX, "float32", 600, 15.2),
            ("with the index, every z1 node's pairs", _EVERY_Z1, "float32", 803, 16.7),
            ("defaults", _DEFAULT_INTERACTIONS, "float64", 580, 10.9),
            ("with the index", _WITH_INDEX, "float64", 768, 16.8),
            ("with the index, every z1 node's pairs", _EVERY_Z1, "float64", 1401, 18.6),
        )
    ),
    Measured(
        "influence",
        "test image #18 (210 pixels changed), interactions with its 1,521,520 triples",
        191,
        25.7,
        {"interactions": dict(_DEFAULT_INTERACTIONS, max_triples=2_000_000)},
    ),
    *(
        Measured(
            "interactions_figure",
            f"white image, {rows} rows, {'diverging, overlay' if colour else 'gray'}, "
            f"node scale, zoom {zoom}",
            mib,
            seconds,
            {"zoom": zoom, "panels": 8 * rows, "colour": colour},
        )
        for rows, colour, zoom, mib, seconds in (
            (30, False, 2, 68, 0.9),
            (30, False, 8, 87, 1.2),
            (30, True, 2, 74, 1.1),
            (30, True, 8, 146, 2.0),
            (75, False, 2, 74, 1.5),
            (75, False, 8, 118, 2.2),
            (75, True, 2, 89, 2.0),
            (75, True, 8, 262, 4.3),
        )
    ),
    Measured("interactions_summary", "the eleven default samples", 55, 0.7),
)

# what each rule asked for before these models (minutes): the floor of its runtime
MIN_RUNTIME = {
    "download": 30,
    "mnist": 10,
    "weights": 5,
    "baseline": 5,
    "accuracy": 5,
    "influence": 10,
    "shared_scale": 5,
    "montage": 5,
    "methods_figure": 5,
    "faithfulness": 5,
    "explorer": 5,
    "sweep_shard": 10,
    "sweep_classes": 10,
    "sweep_image": 5,
    "train": 5,
    "interactions_figure": 5,
    "interactions_summary": 5,
}


def rows(rule):
    return [m for m in MEASURED if m.rule == rule]


def declared_mb(peak_mib):
    """``mem_mb`` for a job whose modelled peak is ``peak_mib``: with the margin and the
    job's own Snakemake process, in whole MB."""
    return math.ceil((MARGIN * peak_mib + SNAKEMAKE_JOB_MIB) * MIB / MB)


def declared_minutes(seconds, rule):
    """``runtime`` for a job modelled to take ``seconds``: whole minutes with the margin."""
    return max(MIN_RUNTIME[rule], math.ceil(TIME_MARGIN * seconds / 60))


def _fit(points):
    """(intercept, slope) of the line through the points (x, y) of least and most x,
    raised to pass at or above every point."""
    (x0, y0), (x1, y1) = min(points), max(points)
    slope = (y1 - y0) / (x1 - x0) if x1 > x0 else 0.0
    return max(y - slope * x for x, y in points), slope


# ---------------------------------------------------------------- the network

# Every model takes the network's layer sizes, ``sizes`` {layer: nodes} (``network.
# layer_sizes(params)``: a1, z1, ..., aL, zL), the book's ``LAYER_SIZES`` by default: the
# network every row of ``MEASURED`` was measured with. A model's terms measured on the book's
# network are kept as they are; what grows with the network is computed from its sizes
# (bytes of arrays, multiply-adds of matrix products) and added beyond the book's, with a
# multiple measured on other networks (``NETWORK_MEASURED``). The book's declarations are
# therefore exactly those measured, and a smaller network asks for no less than the book.


def _nodes(layers, sizes=LAYER_SIZES):
    """The nodes of ``layers`` of a network of ``sizes``; an error naming a layer it lacks."""
    missing = [layer for layer in layers if layer not in sizes]
    if missing:
        raise InputError(
            f"layer {missing[0]!r} is not a layer of the network, whose layers are "
            f"{', '.join(sizes)}"
        )
    return sum(sizes[layer] for layer in layers)


def sizes_of(widths):
    """{layer: nodes} of a dense network of ``widths`` (its layers' n1, ..., nL): a1, z1,
    ..., aL, zL, as ``network.layer_sizes`` gives them of its parameters."""
    return {f"{kind}{k}": n for k, n in enumerate(widths, start=1) for kind in ("a", "z")}


def widths_of(sizes=LAYER_SIZES):
    """[n1, ..., nL]: the widths of a network's dense layers, from its ``sizes``."""
    return [sizes[f"a{k}"] for k in range(1, len(sizes) // 2 + 1)]


def output_layers_of(sizes=LAYER_SIZES):
    """(aL, zL): a network's output layers, whose nodes are the classes."""
    depth = len(sizes) // 2
    return (f"a{depth}", f"z{depth}")


def parameter_count(sizes=LAYER_SIZES):
    """Weights and biases of a dense network from the 784 pixels: 45,360 for the book's."""
    n = [PIXELS, *widths_of(sizes)]
    return sum(a * b + b for a, b in zip(n, n[1:]))


def _beyond_book(amount, sizes, book_amount):
    """``amount`` less the book's (``book_amount``), never below 0: for the book's network
    (``sizes`` its ``LAYER_SIZES``) exactly 0, whatever its layers and methods."""
    if sizes == LAYER_SIZES:
        return 0.0
    return max(0.0, amount - book_amount)


# ---------------------------------------------------------------- rules of fixed input

FIXED = (
    "download",
    "mnist",
    "weights",
    "baseline",
    "accuracy",
    "shared_scale",
    "interactions_summary",
)


# the rules that read the network: its parameters held (and, for accuracy, a batch of 1000
# test images through every layer) grow with it
NETWORK_RULES = ("weights", "baseline", "accuracy")
ACCURACY_BATCH = 1000  # network.accuracy's batch


def network_bytes(rule, sizes=LAYER_SIZES):
    """Bytes of a fixed-input rule's arrays that grow with the network: its parameters in
    float64 (weights, baseline, accuracy) and accuracy's batch of images through every
    layer; 0 for the rules that do not read the network."""
    if rule not in NETWORK_RULES:
        return 0
    held = parameter_count(sizes) * 8
    if rule == "accuracy":
        held += ACCURACY_BATCH * sum(sizes.values()) * 8
    return held


def _fixed_base(rule, sizes=LAYER_SIZES, reader="book"):
    """A fixed-input rule's peak before what grows with the network: the largest measured on
    the book's network; a network of the user's read by the weights job as measured for its
    file's kind (``WEIGHTS_MIB``), and another network's jobs at least as measured on one no
    larger than the book's (``SMALL_NETWORK_MIB``)."""
    if rule == "weights" and reader != "book":
        return WEIGHTS_MIB.get(reader, max(WEIGHTS_MIB.values()))  # another kind: the most
    book = max(m.mib for m in rows(rule))
    if sizes != LAYER_SIZES:
        return max(book, SMALL_NETWORK_MIB.get(rule, 0))
    return book


def fixed_mib(rule, sizes=LAYER_SIZES, reader="book"):
    """A rule whose input the config does not change (shared_scale reads one sample at a
    time, so it is one of them): the largest peak measured, on the book's network; the
    weights job's as measured for the kind of file it reads (``reader``: "book", the
    download, or the config's network entry's "pickle", "npz" or "onnx"). Another network
    (``sizes``) adds the rule's ``NETWORK_FIXED_MULTIPLE`` times what ``network_bytes``
    holds beyond the book's."""
    network = _beyond_book(network_bytes(rule, sizes), sizes, network_bytes(rule))
    multiple = NETWORK_FIXED_MULTIPLE.get(rule, 0.0)
    return _fixed_base(rule, sizes, reader) + multiple * network / MIB


# Training (``training.train``), measured with benchmarks/training.py on one BLAS thread:
# 784-100-10 (79,510 weights) peaked at 116 MiB with the data (the process, the four MNIST
# arrays and 14 MiB of numpy); 784-1000-1000-10 with Adam at 176 MiB; 8 x 4096 with Adam at
# 3.3 GiB. Per weight: the float32 weights and gradients (8 bytes), the optimiser's state
# (4 bytes per array: momentum 1, Adam 2) and the float64 copy the accuracies use (8 bytes);
# per node, the float64 activations of an evaluation batch of 1,000 images and the
# training batch's float32 ones (both kept through the backward pass).
TRAIN_BASE_MIB = 120
TRAIN_STATE = {"sgd": 0, "momentum": 1, "adam": 2}
TRAIN_EVALUATION_BATCH = 1000
# One epoch is 6 multiply-adds per weight and training image (forward, both backward
# products) and 2 per weight and image of the two accuracies (70,000 images, float64):
# 7.6e-11 s each on the 2-core machine, for 784-100-10 (3.0 s an epoch) and 784-1000-1000-10
# (68.6 s); declared at twice that (a busy node) and 30 s to read the data.
TRAIN_SECONDS_PER_MULTIPLY_ADD = 1.5e-10
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000


def _training_widths(settings):
    return [PIXELS, *settings["hidden"], 10]


def train_mib(settings):
    """Peak MiB of the training job of checked ``settings`` (``training.check_settings``)."""
    widths = _training_widths(settings)
    weights = sum(a * b + b for a, b in zip(widths, widths[1:]))
    per_weight = 8 + 4 * TRAIN_STATE[settings["optimizer"]] + 8
    nodes = sum(widths[1:])
    batch = max(settings["batch_size"], 1)
    activations = 2 * nodes * (TRAIN_EVALUATION_BATCH * 8 + batch * 4)
    return TRAIN_BASE_MIB + (weights * per_weight + activations) / MIB


def train_mem_mb(settings):
    return declared_mb(train_mib(settings))


def train_seconds(settings):
    """Modelled seconds of the training job: its epochs' multiply-adds, and the data read."""
    widths = _training_widths(settings)
    weights = sum(a * b for a, b in zip(widths, widths[1:]))
    work = weights * (6 * TRAIN_IMAGES + 2 * (TRAIN_IMAGES + TEST_IMAGES))
    return 30 + settings["epochs"] * work * TRAIN_SECONDS_PER_MULTIPLY_ADD


def train_runtime_min(settings):
    return declared_minutes(train_seconds(settings), "train")


def fixed_mem_mb(rule, sizes=LAYER_SIZES, reader="book"):
    return declared_mb(fixed_mib(rule, sizes, reader))


def fixed_runtime_min(rule, sizes=LAYER_SIZES):
    """``runtime`` of a rule whose time the config changes by less than its margin (the
    pictures and the merge of a sweep take seconds at their largest): the old minutes, or
    three times the longest measured, if more; a rule that reads another network
    (``sizes``) adds ``NETWORK_SECONDS_PER_PARAMETER`` per parameter beyond the book's."""
    seconds = max(m.seconds for m in rows(rule))
    if rule in NETWORK_RULES:
        more = _beyond_book(parameter_count(sizes), sizes, parameter_count())
        seconds += NETWORK_SECONDS_PER_PARAMETER[rule] * more
    return declared_minutes(seconds, rule)


# ---------------------------------------------------------------- influence

_PLAIN = [
    m for m in rows("influence") if "header" not in m.inputs and "interactions" not in m.inputs
]
# memory: a line in points^2 through the white image with 64 and 4,096 quadrature points
INFLUENCE_MIB, IG_MIB_PER_POINT2 = _fit(
    [(m.inputs.get("ig_points", DEFAULT_IG_POINTS) ** 2, m.mib) for m in _PLAIN]
)
_BASE = INFLUENCE_MIB + IG_MIB_PER_POINT2 * DEFAULT_IG_POINTS**2


def png_kind(mode, transparent):
    """How a PNG opened in ``mode`` goes into preprocessing: its row in the table of bytes
    per pixel (``PNG_BYTES_PER_PIXEL``)."""
    if mode.startswith("I"):  # I;16, I;16B, I: 16-bit gray
        mode = "I;16"
    if transparent and mode not in ("LA", "RGBA"):
        mode += "+tRNS"
    return mode


# bytes per pixel a 50-megapixel PNG adds to the job, by kind; then bytes per pixel of
# width + height, for long thin images
PNG_BYTES_PER_PIXEL = {
    png_kind(*m.inputs["header"][2:]): (m.mib - _BASE) * MIB / SIDE**2
    for m in rows("influence")
    if m.inputs.get("header", (0, 0))[:2] == (SIDE, SIDE)
}
PNG_BYTES_PER_EDGE = max(
    ((m.mib - _BASE) * MIB - PNG_BYTES_PER_PIXEL["RGBA"] * w * h) / (w + h)
    for m in rows("influence")
    for w, h in [m.inputs.get("header", (SIDE, SIDE))[:2]]
    if (w, h) != (SIDE, SIDE)
)


def png_header(path):
    """(width, height, mode, transparent) of a PNG from its header (no pixel is decoded), or
    None if Pillow cannot open it as a PNG (the job then fails at once, with little memory)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path, formats=["PNG"]) as img:
                return img.width, img.height, img.mode, bool(img.has_transparency_data)
    except Exception:  # noqa: BLE001 - whatever it is, the job reports it
        return None


def png_mib(header):
    """What preprocessing a PNG adds to the influence job (MiB), from its header."""
    if header is None:
        return 0.0
    width, height, mode, transparent = header
    if width * height > MAX_PNG_PIXELS:  # refused from the header, nothing decoded
        return 0.0
    per_pixel = PNG_BYTES_PER_PIXEL.get(
        png_kind(mode, transparent), max(PNG_BYTES_PER_PIXEL.values())
    )
    return (per_pixel * width * height + PNG_BYTES_PER_EDGE * (width + height)) / MIB


def _interaction_layers(interactions, sizes):
    """The interactions' layers: as given, else the network's default (its hidden layers'
    outputs and its output layers: the book's z1, z2, a3, z3)."""
    if "layers" in interactions:
        return interactions["layers"]
    outputs = output_layers_of(sizes)
    return [layer for layer in sizes if layer[0] == "z" and layer not in outputs] + list(outputs)


def pair_nodes(interactions, sizes=LAYER_SIZES):
    """The nodes with full pair matrices: every output node of the interactions' layers and
    the listed hidden nodes (of a network of ``sizes``)."""
    layers = _interaction_layers(interactions, sizes)
    nodes = interactions.get("nodes", {}) or {}
    outputs = output_layers_of(sizes)
    _nodes(layers, sizes)  # a layer the network lacks is named
    return sum(
        sizes[layer] if layer in outputs else len(set(nodes.get(layer, []))) for layer in layers
    )


def index_pixels(interactions, sizes=LAYER_SIZES):
    """The most changed pixels a sample can have and still get the Shapley interaction
    index (its pairs within ``max_pairs``), 0 without the index."""
    index = interactions.get("shapley_interaction", {"max_pairs": 50_000})
    layers = _interaction_layers(interactions, sizes)
    if index is None or not set(layers) & set(output_layers_of(sizes)):
        return 0
    max_pairs = index.get("max_pairs", 50_000)
    return min(PIXELS, int((1 + math.sqrt(1 + 8 * max_pairs)) / 2))


def interactions_bytes(interactions, dtype="float32", sizes=LAYER_SIZES):
    """(pair matrices, index) bytes in MiB of the worst sample: both ends' pair matrices of
    784 changed pixels in ``dtype``; the index's running statistics (float64, over the pairs)
    and its results and standard errors (``dtype``) for ``index_pixels`` pixels, per output
    node (of a network of ``sizes``) of each output layer among the interactions'."""
    item = 8 if dtype == "float64" else 4
    pairs = 2 * pair_nodes(interactions, sizes) * PIXELS**2 * item / MIB
    m = index_pixels(interactions, sizes)
    outputs = output_layers_of(sizes)
    layers = set(_interaction_layers(interactions, sizes)) & set(outputs)
    classes = sizes[outputs[1]] * len(layers)
    index = classes * (m * m * 8 + 4 * m * (m - 1) / 2 * 8 + 2 * m * m * item) / MIB
    return pairs, index


def interactions_mib(interactions=None, dtype="float32", sizes=LAYER_SIZES):
    """What the pixel interactions add to an influence job's peak (MiB), for the worst
    sample (784 changed pixels): a measured multiple of the pair matrices' and the index's
    bytes (``INTERACTIONS_PER_PAIR_MIB``, ``INTERACTIONS_PER_INDEX_MIB``); the triples are
    summed in small chunks and add nothing that grows. Measured on the book's network;
    another network's (``sizes``) counted alike, from its output nodes (not measured)."""
    if interactions is None:
        return 0.0
    pairs, index = interactions_bytes(interactions, dtype, sizes)
    return INTERACTIONS_MIB + INTERACTIONS_PER_PAIR_MIB * pairs + INTERACTIONS_PER_INDEX_MIB * index


# What an influence job holds that grows with the network, for a sample that changes all
# 784 pixels (methods.py, faithfulness.py, h5io.write_influence): the batch of quadrature
# points integrated gradients carries through every layer at once, the bytes Shapley
# sampling and the curves size their chunks by (their ``memory``), at least one pair or node
IG_BATCH = 16
CHUNK_BYTES = 64e6
# arrays of a chunk's size that Shapley sampling holds at once (the states of a chunk of
# pairs, every layer's values, their differences, the credits and their reordering, the
# last chunk's still held while the next is computed): 6.4 measured on the book's network,
# 8.0 on a 784-1000-1000-10 network
SHAPLEY_ARRAYS = 8


def _shapley_array(sizes):
    """Bytes of one array of Shapley sampling's chunk: its pairs' 2 x 784 states of every
    node and of a1's steps, in float64; the pairs as many as keep four such arrays within
    ``CHUNK_BYTES``, at least one."""
    per_pair = 2 * PIXELS * (sum(sizes.values()) + widths_of(sizes)[0]) * 8
    return max(1, int(CHUNK_BYTES // (4 * per_pair))) * per_pair


def influence_bytes(
    sizes=LAYER_SIZES, layers=None, methods=_METHODS6, dtype="float64", ig_points=64
):
    """Bytes of the arrays an influence job holds at its peak that grow with the network
    (``sizes``; ``layers``: those mapped, all of them if None; ``methods``: their names), for
    a sample that changes all 784 pixels: the largest of its phases.

    - computing the maps: every map held (float64; Shapley sampling's standard errors too)
      and the largest transient of a method, as measured alone: integrated gradients'
      ``IG_BATCH`` points of every layer but a1 (two batches at once: the last is held
      while the next is computed) and its sums; Shapley sampling's ``SHAPLEY_ARRAYS``
      arrays of a chunk and its two running statistics; the others' three arrays of every
      node for 784 states;
    - the curves: the maps and the curves of every ranking (the methods and the random
      one), two per node of 785 states, float64, and a chunk of states;
    - writing: the maps and curves, and the file built in memory holding both in ``dtype``.
    """
    layers = tuple(sizes) if layers is None else tuple(layers)
    methods = tuple(methods)
    n, m = widths_of(sizes), PIXELS
    nodes, width = _nodes(layers, sizes), sum(sizes.values())
    maps = (len(methods) + ("shapley_sampling" in methods)) * nodes * m * 8
    curves = (len(methods) + 1) * nodes * 2 * (m + 1) * 8
    transient = [3 * m * width * 8]
    if "integrated_gradients" in methods:
        batches = 2 if ig_points > IG_BATCH else 1
        batch = min(ig_points, IG_BATCH)
        transient.append(batches * batch * (width - n[0]) * m * 8 + 2 * nodes * m * 8)
    if "shapley_sampling" in methods:
        transient.append(SHAPLEY_ARRAYS * _shapley_array(sizes) + 2 * m * width * 8)
    # a chunk of curves: per node and state layer 1 (twice) and the layers below the node
    # at full width, and its own column; at the output every node and the softmax's three
    # temporaries
    outputs = output_layers_of(sizes)
    per_state = max(
        2 * n[0] + sum(n[1 : int(layer[1:]) - 1]) + (4 * n[-1] if layer in outputs else 2)
        for layer in layers
    )
    item = 8 if dtype == "float64" else 4
    return max(
        maps + max(transient),
        maps + curves + max(CHUNK_BYTES, 8 * (m + 1) * per_state),
        (maps + curves) * (1 + item / 8),
    )


# An element of an array that a pass over states reads and writes costs as much time as
# this many multiply-adds of a matrix product (BLAS): the curves of a 784-1000-1000-10
# network's hidden layer 2, 11 G such elements a ranking, took 16.8 s, its output layer's
# 15.9 G multiply-adds 2.9 s, on one core of the development machine
ELEMENT_WORK = 8


def influence_work(
    sizes=LAYER_SIZES,
    layers=None,
    methods=_METHODS6,
    permutations=DEFAULT_PERMUTATIONS,
    ig_points=DEFAULT_IG_POINTS,
):
    """Work of an influence job that grows with the network (``sizes``), for a sample that
    changes all 784 pixels, in multiply-adds of matrix products, an element of the other
    passes counted as ``ELEMENT_WORK``: each method's 784 states through the network (an
    image's a1 row and the products past it; the gradients' also through the softmax's
    Jacobian) and three passes over its nodes; integrated gradients' per quadrature point,
    Shapley sampling's per permutation (with its running sum of a1 and six passes over
    every node's credits); then every ranking's two curves per node, 785 states each: layer
    1 (six passes) and the layers below the node at full width (products and two passes),
    and the node's own column (at the output every node's products and the softmax)."""
    layers = tuple(sizes) if layers is None else tuple(layers)
    n, m, width = widths_of(sizes), PIXELS, sum(sizes.values())
    products = sum(a * b for a, b in zip(n, n[1:]))
    state = products + ELEMENT_WORK * (n[0] + 3 * width)
    gradient = state + n[-1] ** 2
    per_method = {
        "insertion": m * state,
        "occlusion": m * state,
        "gradient_input": m * gradient,
        "deeplift": m * gradient,
        "integrated_gradients": ig_points * m * gradient,
        "shapley_sampling": permutations * m * (products + ELEMENT_WORK * (2 * n[0] + 6 * width)),
    }
    work = sum(per_method[name] for name in methods)
    rankings = len(methods) + 1
    for layer in layers:
        k = int(layer[1:])
        if k == 1 and len(n) > 1:
            per_state = ELEMENT_WORK  # its own column of a1, summed
        else:
            below = sum(a * b for a, b in zip(n[: k - 2], n[1 : k - 1]))
            passes = 6 * n[0] + 2 * sum(n[1 : k - 1])
            if k < len(n):
                per_state = below + ELEMENT_WORK * (passes + n[k - 2])
            else:
                own = n[k - 2] * n[k - 1] if k > 1 else 0
                per_state = below + own + ELEMENT_WORK * (passes + 4 * n[-1])
        work += rankings * 2 * sizes[layer] * (m + 1) * per_state
    return work


def influence_mib(
    ig_points=DEFAULT_IG_POINTS,
    header=None,
    interactions=None,
    dtype="float32",
    sizes=LAYER_SIZES,
    layers=None,
    methods=_METHODS6,
    **_,
):
    """The influence job's peak (MiB): integrated gradients' quadrature points (0 without
    that method), a PNG's header and the interactions (``interactions_mib``), measured on
    the book's network, where neither the methods and layers (the white image with all six
    of each is the row measured) nor the permutations (batches capped in bytes) move it by
    more than its margin. Another network (``sizes``) adds ``NETWORK_INFLUENCE_MULTIPLE``
    times the bytes its maps, curves and passes hold beyond the book's (``influence_bytes``
    of its ``layers`` and ``methods``, against the book's six of each in float64)."""
    network = _beyond_book(
        influence_bytes(sizes, layers, methods, dtype, ig_points), sizes, BOOK_INFLUENCE_BYTES
    )
    return (
        INFLUENCE_MIB
        + IG_MIB_PER_POINT2 * ig_points**2
        + png_mib(header)
        + interactions_mib(interactions, dtype, sizes)
        + NETWORK_INFLUENCE_MULTIPLE * network / MIB
    )


def _parameter(method_parameters, method, name, default):
    return (method_parameters or {}).get(method, {}).get(name, default)


def ig_points(methods, method_parameters):
    if "integrated_gradients" not in methods:
        return 0
    return _parameter(method_parameters, "integrated_gradients", "points", DEFAULT_IG_POINTS)


def influence_mem_mb(
    spec,
    methods,
    method_parameters,
    header=None,
    interactions=None,
    dtype="float32",
    sizes=LAYER_SIZES,
    layers=None,
):
    """``mem_mb`` of a sample's influence job; a PNG sample's header is read unless given;
    ``sizes`` and ``layers``: the network's layer sizes and the layers mapped (all if
    None)."""
    if "png" in spec and header is None:
        header = png_header(spec["png"])
    return declared_mb(
        influence_mib(
            ig_points(methods, method_parameters),
            header if "png" in spec else None,
            interactions,
            dtype,
            sizes,
            layers,
            methods,
        )
    )


# interactions: the measured multiples of the bytes of interactions_bytes (rows of MEASURED
# with an ``interactions`` input), and the seconds of one pass (benchmarks/interactions.py)
_INTERACTIONS = [m for m in rows("influence") if "interactions" in m.inputs]
# Per MiB of pair matrices (both ends) the job holds 1.5 MiB at its peak: the matrices and
# the file being built in memory, which holds them too, less what is freed as each is
# written; per MiB of the index's arrays 0.6 (its running statistics are freed before the
# file is built). The largest ratios seen between the measured rows, rounded up; the test
# holds the model above every row.
INTERACTIONS_MIB = 0.0
INTERACTIONS_PER_PAIR_MIB = 1.5
INTERACTIONS_PER_INDEX_MIB = 0.6
SECONDS_PER_PAIR = 6e-6
SECONDS_PER_TRIPLE = 3e-6
SECONDS_PER_INDEX_PASS = 5e-6

# time: the slowest job with the default parameters; Shapley sampling per permutation and
# changed pixel (test image #0, 100,000 permutations); integrated gradients' quadrature
# rule, as points^3 (the white image with 4,096 points); decoding a PNG, per pixel
_white = {m.case: m for m in _PLAIN}
INFLUENCE_SECONDS = max(m.seconds for m in _PLAIN if not m.inputs)
_digit = sorted((m for m in _PLAIN if "test image #0" in m.case), key=lambda m: m.seconds)
SECONDS_PER_PERMUTATION_PIXEL = (_digit[-1].seconds - _digit[0].seconds) / (
    (_digit[-1].inputs["permutations"] - DEFAULT_PERMUTATIONS) * _digit[-1].inputs["changed"]
)
IG_SECONDS_4096 = (
    _white[f"{_WHITE}, IG 4,096 points"].seconds - _white[f"{_WHITE}, default parameters"].seconds
)
PNG_SECONDS_PER_PIXEL = max(
    m.seconds / (m.inputs["header"][0] * m.inputs["header"][1])
    for m in rows("influence")
    if "header" in m.inputs
)


def state_work(sizes=LAYER_SIZES):
    """Work of one state's pass through a network (``influence_work``'s units): its a1 row
    (and the passes over its nodes) and the matrix products past it: 7,280 multiply-adds'
    worth for the book's network."""
    n = widths_of(sizes)
    return sum(a * b for a, b in zip(n, n[1:])) + ELEMENT_WORK * (n[0] + sum(n[1:]))


def interactions_seconds(interactions=None, sizes=LAYER_SIZES):
    """Modelled seconds of the interactions of the worst sample: both ends' pairs of 784
    changed pixels and triples up to ``max_triples``, and the index's (m + 1) m passes per
    permutation for ``index_pixels`` pixels (``benchmarks/interactions.py``), measured on the
    book's network; on a larger one (``sizes``) each pass takes longer by its ``state_work``
    against the book's (scaled, not measured)."""
    if interactions is None:
        return 0.0
    order = interactions.get("order", 3)
    seconds = 2 * SECONDS_PER_PAIR * PIXELS * (PIXELS - 1) / 2 if order >= 2 else 0.0
    if order >= 3:
        triples = PIXELS * (PIXELS - 1) * (PIXELS - 2) // 6
        seconds += 2 * SECONDS_PER_TRIPLE * min(triples, interactions.get("max_triples", 10**6))
    index = interactions.get("shapley_interaction", {})
    m = index_pixels(interactions, sizes)
    if index is not None and m:
        seconds += SECONDS_PER_INDEX_PASS * index.get("permutations", 8) * (m + 1) * m
    return seconds * (1 + _beyond_book(state_work(sizes) / state_work(), sizes, 1.0))


def network_seconds(
    sizes=LAYER_SIZES,
    layers=None,
    methods=_METHODS6,
    permutations=DEFAULT_PERMUTATIONS,
    ig_points=DEFAULT_IG_POINTS,
):
    """Seconds a sample's maps and curves take on a network (``sizes``) beyond what they
    take on the book's with every method and layer at the same permutations and points:
    ``SECONDS_PER_WORK`` per multiply-add of ``influence_work`` beyond the book's (0 for
    the book's network and for one that does less)."""
    work = influence_work(sizes, layers, methods, permutations, ig_points)
    book = influence_work(LAYER_SIZES, None, _METHODS6, permutations, ig_points)
    return SECONDS_PER_WORK * _beyond_book(work, sizes, book)


def influence_seconds(
    permutations=DEFAULT_PERMUTATIONS,
    ig_points=DEFAULT_IG_POINTS,
    pixels=0,
    interactions=None,
    sizes=LAYER_SIZES,
    layers=None,
    methods=_METHODS6,
):
    """Modelled seconds of an influence job: all 784 pixels changed (the most), ``pixels``
    of a PNG to decode, the interactions, measured on the book's network; another network
    (``sizes``, its ``layers`` mapped by ``methods``) adds ``network_seconds``."""
    seconds = INFLUENCE_SECONDS + PNG_SECONDS_PER_PIXEL * pixels
    seconds += SECONDS_PER_PERMUTATION_PIXEL * max(0, permutations - DEFAULT_PERMUTATIONS) * PIXELS
    seconds += interactions_seconds(interactions, sizes)
    seconds += network_seconds(sizes, layers, methods, permutations, ig_points)
    return seconds + IG_SECONDS_4096 * (ig_points / 4096) ** 3


def influence_runtime_min(
    spec,
    methods,
    method_parameters,
    header=None,
    interactions=None,
    sizes=LAYER_SIZES,
    layers=None,
):
    """``runtime`` of a sample's influence job; ``sizes`` and ``layers`` as for
    ``influence_mem_mb``."""
    permutations = 0
    if "shapley_sampling" in methods:
        permutations = _parameter(
            method_parameters, "shapley_sampling", "permutations", DEFAULT_PERMUTATIONS
        )
    pixels = 0
    if "png" in spec:
        header = header or png_header(spec["png"])
        if header is not None and header[0] * header[1] <= MAX_PNG_PIXELS:
            pixels = header[0] * header[1]
    seconds = influence_seconds(
        permutations,
        ig_points(methods, method_parameters),
        pixels,
        interactions,
        sizes,
        layers,
        methods,
    )
    return declared_minutes(seconds, "influence")


# ---------------------------------------------------------------- faithfulness


def condensed_bytes(methods, layers, sizes=LAYER_SIZES):
    """Bytes the faithfulness job keeps of one sample (``faithfulness.condensed``), all
    float64: per method and the random ranking, every node's normalised area and area in
    units of both curves, the softmax output's (zL's: z3's) areas in logit space and the
    sums of the resampled curves (101 points per layer and curve); every node's change and
    each method's residuals. The full curves of one sample at a time come and go."""
    output = output_layers_of(sizes)[1]
    nodes, logit = _nodes(layers, sizes), sizes[output] if output in layers else 0
    rankings = methods + 1
    per_node = rankings * 2 * 2 + 1 + methods  # areas (2 kinds, 2 scores), change, residuals
    return 8 * (nodes * per_node + rankings * 2 * (logit + len(layers) * 101))


# a row of the faithfulness table as faithfulness.table_rows makes it (a dict of twelve
# short texts), in bytes of Python objects, a little above what sys.getsizeof counts
TABLE_ROW_BYTES = 1600


def sample_curve_bytes(methods, layers, sizes=LAYER_SIZES):
    """Bytes of one sample's faithfulness data as the faithfulness job reads it (``h5io.
    read_faithfulness``) for a sample that changes all 784 pixels: every ranking's two
    curves per node, 785 states in float64, and its table rows (a dict per node, method and
    layer), which come and go with the sample."""
    rankings, nodes = methods + 1, _nodes(layers, sizes)
    return rankings * nodes * (2 * (PIXELS + 1) * 8 + TABLE_ROW_BYTES)


FAITHFULNESS_MIB, FAITHFULNESS_PER_CONDENSED_MIB = _fit(
    [
        (m.inputs["samples"] * condensed_bytes(6, ALL_LAYERS) / MIB, m.mib)
        for m in rows("faithfulness")
    ]
)
FAITHFULNESS_SECONDS, FAITHFULNESS_SECONDS_PER_SAMPLE = _fit(
    [(m.inputs["samples"], m.seconds) for m in rows("faithfulness")]
)
BOOK_CURVE_BYTES = sample_curve_bytes(ALL_METHODS, ALL_LAYERS)


def faithfulness_mib(samples, methods, layers, dtype="float64", sizes=LAYER_SIZES):
    """The faithfulness job's peak (MiB): what it keeps of all ``samples``, and (in the
    constant, measured with the largest on the book's network) one sample's full curves at
    a time. ``dtype`` changes only that transient part, which the constant covers for
    float64. Another network (``sizes``) adds ``NETWORK_FAITHFULNESS_MULTIPLE`` times one
    sample's curves and table rows beyond the book's (``sample_curve_bytes``)."""
    kept = samples * condensed_bytes(methods, layers, sizes) / MIB
    network = _beyond_book(sample_curve_bytes(methods, layers, sizes), sizes, BOOK_CURVE_BYTES)
    return (
        FAITHFULNESS_MIB
        + FAITHFULNESS_PER_CONDENSED_MIB * kept
        + NETWORK_FAITHFULNESS_MULTIPLE * network / MIB
    )


def faithfulness_mem_mb(samples, methods, layers, dtype, sizes=LAYER_SIZES):
    return declared_mb(faithfulness_mib(samples, methods, layers, dtype, sizes))


def faithfulness_runtime_min(samples, methods=ALL_METHODS, layers=ALL_LAYERS, sizes=LAYER_SIZES):
    """Start-up, matplotlib and the figure, then each sample's table rows and areas,
    measured on the book's network with every method and layer; on another network (``sizes``)
    each sample takes longer in proportion to its rows (nodes times rankings) beyond the
    book's."""
    rows_per_sample = (methods + 1) * _nodes(layers, sizes)
    ratio = _beyond_book(rows_per_sample / ((ALL_METHODS + 1) * _nodes(ALL_LAYERS)), sizes, 1.0)
    seconds = FAITHFULNESS_SECONDS + FAITHFULNESS_SECONDS_PER_SAMPLE * samples * (1 + ratio)
    return declared_minutes(seconds, "faithfulness")


EXPLORER_MIB, EXPLORER_MIB_PER_SAMPLE = _fit(
    [(m.inputs["samples"], m.mib) for m in rows("explorer")]
)
EXPLORER_SECONDS_PER_SAMPLE = max(m.seconds / m.inputs["samples"] for m in rows("explorer"))


def explorer_mib(samples):
    """The explorer job's peak (MiB): the sweep's class means and every sample's data."""
    return EXPLORER_MIB + EXPLORER_MIB_PER_SAMPLE * samples


def explorer_mem_mb(samples):
    return declared_mb(explorer_mib(samples))


def explorer_runtime_min(samples):
    return declared_minutes(EXPLORER_SECONDS_PER_SAMPLE * samples, "explorer")


def maps_bytes(methods, layers, sizes=LAYER_SIZES):
    """Bytes of one sample's maps as the pictures and shared_scale read them: ``methods``
    (a number) times the nodes of ``layers``, 784 values each, in float64 (the larger
    storage type)."""
    return methods * _nodes(layers, sizes) * PIXELS * 8


BOOK_MAPS_BYTES = maps_bytes(ALL_METHODS, ALL_LAYERS)


def shared_scale_mib(methods=ALL_METHODS, layers=ALL_LAYERS, sizes=LAYER_SIZES):
    """shared_scale's peak (MiB): measured on the book's network (it reads one sample at a
    time); another network (``sizes``) adds ``NETWORK_MAPS_MULTIPLE`` times a sample's maps
    beyond the book's (``maps_bytes``)."""
    network = _beyond_book(maps_bytes(methods, layers, sizes), sizes, BOOK_MAPS_BYTES)
    return fixed_mib("shared_scale") + NETWORK_MAPS_MULTIPLE * network / MIB


def shared_scale_mem_mb(methods=ALL_METHODS, layers=ALL_LAYERS, sizes=LAYER_SIZES):
    return declared_mb(shared_scale_mib(methods, layers, sizes))


# ---------------------------------------------------------------- pictures


def panel_pixels(zoom, panels):
    """Pixels of ``panels`` maps of 28 x 28 values drawn at ``zoom``, in MiB (millions)."""
    return panels * PIXELS * zoom**2 / MIB


# The pictures are drawn on a numpy array and handed to Pillow whole to be saved: both
# copies live at once. The fits below were measured when Pillow's image was the only one
# (4 bytes a pixel in colour, 1 in gray); the array adds 3 bytes a pixel in colour (RGB) and
# 1 in gray, so the peak grows by 3/4 and by 1 (the zoom-8 colour montage of every method and
# node: 927 MiB measured, 577 modelled before, 1,009 now).
CANVAS = {True: 1.75, False: 2.0}


def _fits(rule, pixels):
    """{colour: (intercept, slope)}: a line in the ``pixels`` (MiB) of the panels of the
    rule's measured pictures, one for gray pictures and one for colour."""
    return {
        colour: _fit(
            [(pixels(m), m.mib) for m in rows(rule) if m.inputs.get("colour", False) == colour]
        )
        for colour in (False, True)
    }


def _montage_pixels(m):
    """The panel pixels (MiB) of a measured montage-like picture: a panel per method and node."""
    return panel_pixels(m.inputs["zoom"], m.inputs["methods"] * _nodes(m.inputs["layers"]))


MONTAGE_FITS = _fits("montage", _montage_pixels)
METHODS_FIGURE_FITS = _fits(
    "methods_figure",
    lambda m: panel_pixels(m.inputs["zoom"], ALL_METHODS * m.inputs.get("columns", 310)),
)


def _grid_rows(nodes):
    """A layer's rows of panels in the montage (``render.montage.grid_rows``): 10 up to 100
    nodes, then the least multiple of 10 not below the square root."""
    side = math.isqrt(max(nodes, 1) - 1) + 1
    return min(nodes, 10 * max(1, -(-side // 10)))


def montage_pixels(zoom, layers, methods, sizes=LAYER_SIZES):
    """Pixels (millions: MiB of a gray figure) of a montage as ``render.montage`` lays it
    out on the node scale (a line of text under every panel: the tallest), each method a
    row of layer blocks as tall as its tallest grid: the panels, their gaps and texts, the
    blocks' texts and legends, the softmax column beside the last output layer, the input's
    column and the title. Row and class labels at their narrowest (22 px)."""
    panel, line, small, block_gap = 28 * zoom, 14 + zoom, 11 + zoom, 18 + 2 * zoom
    outputs = output_layers_of(sizes)
    beside = [layer for layer in layers if layer in outputs][-1:]
    width, height = 0, 0
    for layer in layers:
        nodes = sizes[layer]
        rows = _grid_rows(nodes)
        columns = -(-nodes // rows)
        column = panel + 2 + (56 if layer in beside else 0)
        grid = 22 + columns * column + (columns - 1) * (22 if layer in outputs else 0) - 2
        width += max(grid, 130) + block_gap
        height = max(height, 3 * line + small + rows * (panel + 2 + small) + 12 + small)
    width += 12 + max(2 * panel, 90) + 12
    height = 12 + 2 * line + 4 + methods * (line + height + block_gap) + 12
    return width * height / MIB


def _layout_factor(zoom, layers, methods, sizes):
    """How many more figure pixels per panel pixel a montage of another network has than the
    book's of every layer at that zoom (its layers narrower than a block's texts, or its
    grids of unequal heights), at least 1; 1 for the book's network, whose fits were
    measured on its pictures."""
    if sizes == LAYER_SIZES or not layers:
        return 1.0
    own = montage_pixels(zoom, layers, methods, sizes) / panel_pixels(
        zoom, methods * _nodes(layers, sizes)
    )
    book = montage_pixels(zoom, ALL_LAYERS, methods) / panel_pixels(
        zoom, methods * _nodes(ALL_LAYERS)
    )
    return max(1.0, own / book)


def picture_bytes(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    """Bytes of a montage's arrays that grow with the network besides its figure: the
    sample's maps read (``maps_bytes``), and the panels of its largest layer at once, as
    gray levels (float64 on the way) and enlarged to zoom x zoom pixels a value (4 bytes
    a pixel in colour)."""
    maps = maps_bytes(methods, layers, sizes)  # first: a layer the network lacks is named
    largest = max((sizes[layer] for layer in layers), default=0)
    return maps + largest * PIXELS * (16 + zoom**2 * (4 if colour else 1))


def _montage_line(zoom, layers, methods, colour, sizes):
    """The montage's line in its panels' pixels (times its layout's extra room on another
    network), with the numpy canvas beside Pillow's image (``CANVAS``)."""
    start, per_pixel = MONTAGE_FITS[bool(colour)]
    pixels = panel_pixels(zoom, methods * _nodes(layers, sizes))
    pixels *= _layout_factor(zoom, layers, methods, sizes)
    return CANVAS[bool(colour)] * (start + per_pixel * pixels)


def montage_mib(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    """A montage's peak (MiB): one panel per method and node, zoom x zoom pixels a value.
    ``colour``: an RGB figure (a colour map other than gray, or the overlay), four times the
    bytes of a gray one. Measured on the book's network; another network (``sizes``) counts
    its panels' pixels times its layout's extra room (``montage_pixels`` against the book's)
    and adds ``NETWORK_PICTURE_MULTIPLE`` times its maps and largest layer's panels beyond
    the book's (``picture_bytes``)."""
    network = _beyond_book(
        picture_bytes(zoom, layers, methods, colour, sizes),
        sizes,
        picture_bytes(zoom, ALL_LAYERS, ALL_METHODS, colour),
    )
    return (
        _montage_line(zoom, layers, methods, colour, sizes)
        + NETWORK_PICTURE_MULTIPLE * network / MIB
    )


def montage_mem_mb(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    return declared_mb(montage_mib(zoom, layers, methods, colour, sizes))


def _seconds_fits(rule, pixels):
    """{colour: (intercept, slope)}: a line in the ``pixels`` (MiB) of the panels of the
    rule's measured pictures through their seconds, at or above every one."""
    return {
        colour: _fit(
            [(pixels(m), m.seconds) for m in rows(rule) if m.inputs.get("colour", False) == colour]
        )
        for colour in (False, True)
    }


MONTAGE_SECONDS_FITS = _seconds_fits("montage", _montage_pixels)
METHODS_FIGURE_SECONDS_FITS = _seconds_fits(
    "methods_figure",
    lambda m: panel_pixels(m.inputs["zoom"], ALL_METHODS * m.inputs.get("columns", 310)),
)


def montage_seconds(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    """Modelled seconds of a montage: a line in its panels' pixels (times its layout's
    extra room on another network, as ``montage_mib``), fitted to the book's pictures."""
    start, per_pixel = MONTAGE_SECONDS_FITS[bool(colour)]
    pixels = panel_pixels(zoom, methods * _nodes(layers, sizes))
    return start + per_pixel * pixels * _layout_factor(zoom, layers, methods, sizes)


def montage_runtime_min(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    """``runtime`` of a montage (``montage_seconds``): for the book's network what the rule
    asked for before (``fixed_runtime_min``); a larger picture of another network asks for
    more."""
    seconds = max(montage_seconds(zoom, layers, methods, colour, sizes), 0.0)
    return max(fixed_runtime_min("montage"), declared_minutes(seconds, "montage"))


def _methods_figure_line(zoom, columns, methods, colour):
    start, per_pixel = METHODS_FIGURE_FITS[bool(colour)]
    return CANVAS[bool(colour)] * (start + per_pixel * panel_pixels(zoom, methods * columns))


def methods_figure_mib(
    zoom, columns=310, methods=ALL_METHODS, colour=False, sizes=LAYER_SIZES, layers=None
):
    """The methods figure's peak (MiB): ``columns`` nodes by ``methods`` rows of panels,
    in colour (``colour``) an RGB figure as the montage's. Another network (``sizes``)
    adds ``NETWORK_PICTURE_MULTIPLE`` times the maps it reads (of ``layers``, all if None)
    beyond the book's."""
    layers = tuple(sizes) if layers is None else layers
    network = _beyond_book(maps_bytes(methods, layers, sizes), sizes, BOOK_MAPS_BYTES)
    return (
        _methods_figure_line(zoom, columns, methods, colour)
        + NETWORK_PICTURE_MULTIPLE * network / MIB
    )


def methods_figure_mem_mb(zoom, columns, methods, colour=False, sizes=LAYER_SIZES, layers=None):
    return declared_mb(methods_figure_mib(zoom, columns, methods, colour, sizes, layers))


def methods_figure_runtime_min(zoom, columns, methods, colour=False):
    """``runtime`` of a methods figure: a line in its panels' pixels through the book's
    pictures' seconds; at least what the rule asked for before (``fixed_runtime_min``):
    more for more output nodes than the book's 10."""
    start, per_pixel = METHODS_FIGURE_SECONDS_FITS[bool(colour)]
    seconds = start + per_pixel * panel_pixels(zoom, methods * columns)
    return max(fixed_runtime_min("methods_figure"), declared_minutes(seconds, "methods_figure"))


INTERACTIONS_FIGURE_FITS = _fits(
    "interactions_figure", lambda m: panel_pixels(m.inputs["zoom"], m.inputs["panels"])
)


def interactions_figure_mib(zoom, panels, colour=False, **_):
    """The interactions figure's peak (MiB): ``panels`` maps (8 per node: 4 per end), in
    colour (``colour``) an RGB figure as the montage's. It reads one row of each pair
    matrix, so the changed pixels and the storage type do not count."""
    start, per_pixel = INTERACTIONS_FIGURE_FITS[bool(colour)]
    return CANVAS[bool(colour)] * (start + per_pixel * panel_pixels(zoom, panels))


def interactions_figure_mem_mb(zoom, nodes, colour=False):
    """``mem_mb`` of a sample's interactions figure: a row of 8 panels per node."""
    return declared_mb(interactions_figure_mib(zoom, 8 * nodes, colour))


# ---------------------------------------------------------------- sweep

BLOCK = 500  # images per block of a sweep (pixel_influence.sweep.BLOCK)


CLASSES = 10  # the digits: a sweep's classes without class names (pixel_influence.sweep)


def sums_mib(layers, sizes=LAYER_SIZES, classes=CLASSES):
    """What a shard holds per method: per-class float block sums and exact sums of the maps
    and their squares, 6 arrays of classes x nodes x 784 float64 (MiB), the nodes of
    ``layers`` of a network of ``sizes``."""
    return 6 * classes * _nodes(layers, sizes) * PIXELS * 8 / MIB


def shard_images(split, images, shards):
    """The most images one shard of a sweep gets: whole blocks of 500, as even as can be."""
    images = images or SPLIT_SIZES[split]
    blocks = -(-images // BLOCK)
    return min(images, -(-blocks // shards) * BLOCK)


_SHARDS = rows("sweep_shard")
_SHARDS_PLAIN = [m for m in _SHARDS if m.inputs.get("ig_points", 0) <= DEFAULT_IG_POINTS]
_SHARDS_SMALL = [m for m in _SHARDS_PLAIN if m.inputs.get("images", BLOCK) <= 10 * BLOCK]
# memory: a line in the sums held (methods x sums_mib), then bytes per pixel of the shard's
# images (it reads them all at once), then integrated gradients' quadrature rule (points^2)
SWEEP_SHARD_MIB, SWEEP_PER_SUMS = _fit(
    [(len(m.inputs["methods"]) * sums_mib(m.inputs["layers"]), m.mib) for m in _SHARDS_SMALL]
)


def _shard_sums(m):
    return SWEEP_SHARD_MIB + SWEEP_PER_SUMS * len(m.inputs["methods"]) * sums_mib(
        m.inputs["layers"]
    )


SWEEP_BYTES_PER_IMAGE = max(
    [0.0]
    + [
        (m.mib - _shard_sums(m)) * MIB / m.inputs["images"]
        for m in _SHARDS_PLAIN
        if m not in _SHARDS_SMALL
    ]
)
SWEEP_IG_MIB_PER_POINT2 = max(
    [0.0]
    + [
        (m.mib - _shard_sums(m) - SWEEP_BYTES_PER_IMAGE * m.inputs["images"] / MIB)
        / m.inputs["ig_points"] ** 2
        for m in _SHARDS
        if m.inputs.get("ig_points", 0) > DEFAULT_IG_POINTS
    ]
)


def sweep_shard_mib(layers, methods, images=BLOCK, ig_points=0, sizes=LAYER_SIZES, classes=CLASSES):
    """A shard job's peak (MiB): the sums it holds for each of ``methods`` (``classes`` of
    them), the ``images`` it reads, integrated gradients' quadrature rule; the images go
    through one at a time, measured on the book's network. Another network (``sizes``) adds
    what an influence job of its ``layers`` holds beyond one of every layer of the book's
    (``influence_bytes``, scaled by ``NETWORK_INFLUENCE_MULTIPLE``: the curves counted there
    are not computed here, room to spare)."""
    mib = SWEEP_SHARD_MIB + SWEEP_PER_SUMS * len(methods) * sums_mib(layers, sizes, classes)
    network = _beyond_book(
        influence_bytes(sizes, layers, methods, "float64", ig_points or DEFAULT_IG_POINTS),
        sizes,
        influence_bytes(LAYER_SIZES, None, methods, "float64", ig_points or DEFAULT_IG_POINTS),
    )
    return (
        mib
        + SWEEP_BYTES_PER_IMAGE * images / MIB
        + SWEEP_IG_MIB_PER_POINT2 * ig_points**2
        + NETWORK_INFLUENCE_MULTIPLE * network / MIB
    )


def sweep_memory_mb(
    layers, methods, method_parameters, split, images, shards, sizes=LAYER_SIZES, classes=CLASSES
):
    """``mem_mb`` of a shard job of a sweep of ``images`` (None: the whole ``split``) in
    ``shards``, on a network of ``sizes`` with ``classes`` classes."""
    return declared_mb(
        sweep_shard_mib(
            layers,
            methods,
            shard_images(split, images, shards),
            ig_points(methods, method_parameters),
            sizes,
            classes,
        )
    )


# milliseconds per image on one core, measured (docs/speed.md), with room to spare;
# integrated gradients' at 64 points, growing with its points; its quadrature rule (as
# points^3, as in the influence job) is computed once a shard (methods.gauss_legendre keeps it)
SWEEP_MS_PER_IMAGE = {"integrated_gradients": 10, "shapley_sampling": 300}


def sweep_runtime_min(split, images, methods, shards, method_parameters=None, sizes=LAYER_SIZES):
    """Minutes per shard: three times the measured time per image and method, integrated
    gradients' growing with its quadrature points; on a larger network than the book's
    (``sizes``) longer by its ``state_work`` against the book's (scaled, not measured)."""
    images = images or SPLIT_SIZES[split]
    ms = sum(SWEEP_MS_PER_IMAGE.get(m, 2) for m in methods if m != "integrated_gradients")
    once = 0.0
    if "integrated_gradients" in methods:
        points = ig_points(methods, method_parameters)
        ms += SWEEP_MS_PER_IMAGE["integrated_gradients"] * max(1.0, points / DEFAULT_IG_POINTS)
        once = IG_SECONDS_4096 * (points / 4096) ** 3
    ms *= 1 + _beyond_book(state_work(sizes) / state_work(), sizes, 1.0)
    return int(10 + 3 * (images * ms / 1000 / shards + once) / 60)


_MERGES = rows("sweep_classes")
# memory: MiB per shard (its file open) from the merges of the same layers in 1 and in 20
# shards, then a line in the nodes
SWEEP_CLASSES_PER_SHARD = max(
    (a.mib - b.mib) / (a.inputs.get("shards", 1) - b.inputs.get("shards", 1))
    for a in _MERGES
    for b in _MERGES
    if a.inputs["layers"] == b.inputs["layers"]
    and a.inputs.get("shards", 1) > b.inputs.get("shards", 1)
)
SWEEP_CLASSES_MIB, SWEEP_CLASSES_PER_NODE = _fit(
    [
        (_nodes(m.inputs["layers"]), m.mib - SWEEP_CLASSES_PER_SHARD * m.inputs.get("shards", 1))
        for m in _MERGES
    ]
)


def sweep_classes_mib(layers, shards=1, sizes=LAYER_SIZES, classes=CLASSES, **_):
    """The merge's peak (MiB): one statistic of one method at a time, from all shards at
    once, so it grows with the nodes (of ``layers`` of a network of ``sizes``; per class,
    measured with ten) and (a little) with the shards, not with the methods."""
    return (
        SWEEP_CLASSES_MIB
        + SWEEP_CLASSES_PER_NODE * _nodes(layers, sizes) * max(classes, CLASSES) / CLASSES
        + SWEEP_CLASSES_PER_SHARD * shards
    )


def sweep_classes_mem_mb(layers, shards, sizes=LAYER_SIZES, classes=CLASSES):
    return declared_mb(sweep_classes_mib(layers, shards, sizes, classes))


# memory: a line in the pixels of the panels, one for gray pictures and one for colour
SWEEP_IMAGE_FITS = _fits("sweep_image", _montage_pixels)


def sweep_image_mib(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    """A class's picture's peak (MiB): a montage of one panel per method and node (of
    ``layers`` of a network of ``sizes``), zoom x zoom pixels a value, read from classes.h5
    (with the shared scale, every class of its picture). ``colour``: an RGB figure (a
    colour map other than gray, or the overlay), four times the bytes of a gray one."""
    start, per_pixel = SWEEP_IMAGE_FITS[bool(colour)]
    panels = methods * _nodes(layers, sizes)
    return CANVAS[bool(colour)] * (start + per_pixel * panel_pixels(zoom, panels))


def sweep_image_mem_mb(zoom, layers, methods, colour=False, sizes=LAYER_SIZES):
    return declared_mb(sweep_image_mib(zoom, layers, methods, colour, sizes))


# ---------------------------------------------------------------- batching

# A typical digit's seconds through its influence job and its pictures, the cost that
# decides how many samples share a job (pixel_influence.batches): what every sample costs
# whatever its methods (reading, the file, the pictures), each method's maps with its
# faithfulness curves, and per Shapley permutation and integrated-gradients point.
# Measured by benchmarks/samples.py (digits of the test split, one core).
SAMPLE_SECONDS = 0.30
METHOD_SECONDS = 0.10
SECONDS_PER_PERMUTATION = 0.0035
SECONDS_PER_IG_POINT = 0.0002


def png_seconds(spec, header=None):
    """Modelled seconds of decoding a PNG sample (0 for another source), from its header:
    a large PNG is worth a job of its own."""
    if "png" not in spec:
        return 0.0
    header = header or png_header(spec["png"])
    if header is None or header[0] * header[1] > MAX_PNG_PIXELS:
        return 0.0
    return PNG_SECONDS_PER_PIXEL * header[0] * header[1]


def sample_seconds(methods, method_parameters, interactions=None, sizes=LAYER_SIZES, layers=None):
    """Modelled seconds of a digit's influence job and pictures: what decides batching.
    The interactions count as for the worst sample (``interactions_seconds``): they make
    every sample costly enough to have a job of its own. Another network (``sizes``, its
    ``layers`` mapped) adds ``network_seconds`` as for a sample that changes every pixel,
    and its pictures' seconds beyond the book's (``montage_seconds`` at the default zoom
    2): a network much larger than the book's gives each sample a job of its own."""
    seconds = SAMPLE_SECONDS + METHOD_SECONDS * len(methods)
    permutations = 0
    if "shapley_sampling" in methods:
        permutations = _parameter(
            method_parameters, "shapley_sampling", "permutations", DEFAULT_PERMUTATIONS
        )
        seconds += SECONDS_PER_PERMUTATION * permutations
    points = ig_points(methods, method_parameters)
    seconds += SECONDS_PER_IG_POINT * points
    if sizes != LAYER_SIZES:
        layers = tuple(sizes) if layers is None else layers
        seconds += network_seconds(sizes, layers, methods, permutations, points)
        pictures = montage_seconds(2, layers, len(methods), sizes=sizes)
        seconds += max(0.0, pictures - montage_seconds(2, ALL_LAYERS, ALL_METHODS))
    return seconds + interactions_seconds(interactions, sizes)


MODELS = {
    "influence": influence_mib,
    "faithfulness": faithfulness_mib,
    "explorer": explorer_mib,
    "montage": montage_mib,
    "methods_figure": methods_figure_mib,
    "interactions_figure": interactions_figure_mib,
    "sweep_shard": sweep_shard_mib,
    "sweep_classes": sweep_classes_mib,
    "sweep_image": sweep_image_mib,
}


# ---------------------------------------------------------------- other networks

BOOK_INFLUENCE_BYTES = influence_bytes()
WIDE = sizes_of((1000, 1000, 10))  # 784-1000-1000-10, ReLU: 40 times the book's parameters
DEEP = sizes_of((30, 30, 30, 30, 10))  # 784-30-30-30-30-10, sigmoid: five layers, narrow
_WIDE_DEFAULT = ("z1", "z2", "a3", "z3")
_DEEP_DEFAULT = ("z1", "z2", "z3", "z4", "a5", "z5")
_N = "white image (784 pixels changed), 6 methods"
_P = "the white image's pictures, 6 methods, node scale"

# Measured with `python benchmarks/memory.py --parts networks` on the same machine,
# 2026-12-02, while other work shared it (the times on the slow side; the deep network's
# twice: the larger of the two): random weights (benchmarks/memory.py NETWORKS), every job
# through Snakemake, its VmHWM. The methods
# figure shows every hidden node the config may list (layers 1 and 2, up to 50 and 100
# nodes) and every output node: 310 columns of the wide network, 130 of the deep one.
_WIDE_NAME, _DEEP_NAME = "784-1000-1000-10 ReLU", "784-30-30-30-30-10 sigmoid"
NETWORK_MEASURED = (
    # the weights job reads the network's file (``reader``: its kind; ONNX imports the
    # onnx package), the others read weights.h5
    *(
        Measured(
            "weights",
            f"{name}: read from {reader}",
            mib,
            seconds,
            {"sizes": sizes, "reader": reader},
        )
        for name, sizes, reader, mib, seconds in (
            (_WIDE_NAME, WIDE, "npz", 101, 2.9),
            (_WIDE_NAME, WIDE, "pickle", 114, 0.9),
            (_WIDE_NAME, WIDE, "onnx", 121, 2.1),
            (_DEEP_NAME, DEEP, "npz", 61, 2.5),
            (_DEEP_NAME, DEEP, "pickle", 60, 0.6),
            (_DEEP_NAME, DEEP, "onnx", 80, 2.0),
        )
    ),
    *(
        Measured(rule, f"{name}: weights.h5", mib, seconds, {"sizes": sizes})
        for name, sizes, rule, mib, seconds in (
            (_WIDE_NAME, WIDE, "baseline", 69, 2.0),
            (_WIDE_NAME, WIDE, "accuracy", 126, 12.2),
            (_DEEP_NAME, DEEP, "baseline", 54, 1.6),
            (_DEEP_NAME, DEEP, "accuracy", 80, 2.7),
        )
    ),
    *(
        Measured(
            "influence",
            f"{name}: {_N}, {which}, {dtype}",
            mib,
            seconds,
            {"sizes": sizes, "layers": layers, "dtype": dtype},
        )
        for name, sizes, which, layers, dtype, mib, seconds in (
            (_WIDE_NAME, WIDE, "every layer", None, "float64", 1046, 415.9),
            (_WIDE_NAME, WIDE, "default layers", _WIDE_DEFAULT, "float32", 730, 217.5),
            (_WIDE_NAME, WIDE, "z3 alone", ("z3",), "float32", 658, 89.9),
            (_DEEP_NAME, DEEP, "every layer", None, "float64", 155, 22.4),
            (_DEEP_NAME, DEEP, "default layers", _DEEP_DEFAULT, "float32", 144, 9.3),
            (_DEEP_NAME, DEEP, "z5 alone", ("z5",), "float32", 140, 5.3),
        )
    ),
    *(
        Measured(
            "faithfulness",
            f"{name}: 1 {_N}, every layer, float64",
            mib,
            seconds,
            {"samples": 1, "methods": 6, "layers": tuple(sizes), "sizes": sizes},
        )
        for name, sizes, mib, seconds in (
            (_WIDE_NAME, WIDE, 482, 26.0),
            (_DEEP_NAME, DEEP, 159, 36.1),
        )
    ),
    Measured(
        "shared_scale",
        f"{_WIDE_NAME}: 1 {_N}, z2 and z3",
        102,
        0.8,
        {"methods": 6, "layers": ("z2", "z3"), "sizes": WIDE},
    ),
    *(
        Measured(
            rule,
            f"{name}: {_P}, zoom {zoom}, {'diverging, overlay' if colour else 'gray'}",
            mib,
            seconds,
            {"zoom": zoom, "methods": 6, "colour": colour, "sizes": sizes, **extra},
        )
        for name, sizes, extra, pictures in (
            (
                _WIDE_NAME + ", every layer",
                WIDE,
                {"layers": tuple(WIDE), "columns": 310},
                (
                    (1, False, 254, 6.3, 226, 2.5),
                    (2, False, 330, 10.1, 233, 2.4),
                    (8, False, 1635, 55.1, 360, 10.2),
                    (1, True, 469, 11.6, 266, 2.8),
                    (4, True, 2811, 68.9, 472, 12.7),
                ),
            ),
            (
                _WIDE_NAME + ", z2 and z3",
                WIDE,
                {"layers": ("z2", "z3"), "columns": 110},
                ((8, True, 2712, 30.5, 419, 2.9),),
            ),
            (
                _DEEP_NAME + ", every layer",
                DEEP,
                {"layers": tuple(DEEP), "columns": 130},
                (
                    (1, False, 78, 1.4, 77, 0.9),
                    (2, False, 84, 5.8, 80, 4.2),
                    (8, False, 183, 16.6, 137, 8.5),
                    (4, True, 295, 13.7, 191, 6.7),
                ),
            ),
        )
        for zoom, colour, montage_mib_, montage_s, figure_mib, figure_s in pictures
        for rule, mib, seconds in (
            ("montage", montage_mib_, montage_s),
            ("methods_figure", figure_mib, figure_s),
        )
    ),
)


def network_rows(rule):
    return [m for m in NETWORK_MEASURED if m.rule == rule]


def _multiple(points):
    """The least multiple, in tenths and at least 1 (the arrays counted are held), that
    puts every measured job at or below its model: ``points`` are (what the job's peak
    has beyond the book's model, MiB; the bytes counted beyond the book's, MiB)."""
    return max(
        [1.0] + [math.ceil(10 * extra / counted) / 10 for extra, counted in points if counted > 0]
    )


NETWORK_INFLUENCE_MULTIPLE = _multiple(
    [
        (
            m.mib - INFLUENCE_MIB - IG_MIB_PER_POINT2 * DEFAULT_IG_POINTS**2,
            _beyond_book(
                influence_bytes(
                    m.inputs["sizes"], m.inputs["layers"], _METHODS6, m.inputs["dtype"]
                ),
                m.inputs["sizes"],
                BOOK_INFLUENCE_BYTES,
            )
            / MIB,
        )
        for m in network_rows("influence")
    ]
)
NETWORK_FAITHFULNESS_MULTIPLE = _multiple(
    [
        (
            m.mib
            - FAITHFULNESS_MIB
            - FAITHFULNESS_PER_CONDENSED_MIB
            * condensed_bytes(6, m.inputs["layers"], m.inputs["sizes"])
            / MIB,
            _beyond_book(
                sample_curve_bytes(6, m.inputs["layers"], m.inputs["sizes"]),
                m.inputs["sizes"],
                BOOK_CURVE_BYTES,
            )
            / MIB,
        )
        for m in network_rows("faithfulness")
    ]
)


def _small(m):
    """Whether a measured job's network holds no more than the book's (``network_bytes``)."""
    sizes = m.inputs["sizes"]
    return not _beyond_book(network_bytes(m.rule, sizes), sizes, network_bytes(m.rule))


# the weights job of a network read from the user's file, by the file's kind, and the other
# jobs that read the network: their peaks on a network no larger than the book's (the deep
# one)
READERS = ("pickle", "npz", "onnx")
WEIGHTS_MIB = {
    "book": max(m.mib for m in rows("weights")),
    **{
        reader: max(
            m.mib for m in network_rows("weights") if m.inputs["reader"] == reader and _small(m)
        )
        for reader in READERS
    },
}
SMALL_NETWORK_MIB = {
    rule: max(m.mib for m in network_rows(rule) if _small(m)) for rule in ("baseline", "accuracy")
}
# per rule: reading the file, checking it (float64 copies) and writing weights.h5 built in
# memory hold the parameters several times over
NETWORK_FIXED_MULTIPLE = {
    rule: _multiple(
        [
            (
                m.mib - _fixed_base(rule, m.inputs["sizes"], m.inputs.get("reader", "book")),
                _beyond_book(
                    network_bytes(rule, m.inputs["sizes"]), m.inputs["sizes"], network_bytes(rule)
                )
                / MIB,
            )
            for m in network_rows(rule)
        ]
    )
    for rule in NETWORK_RULES
}


def _picture_points():
    """(MiB beyond the line in the panels' pixels, MiB counted beyond the book's) of every
    measured picture of another network: montages and methods figures."""
    points = []
    for m in network_rows("montage"):
        zoom, layers, colour, sizes = (m.inputs[k] for k in ("zoom", "layers", "colour", "sizes"))
        line = _montage_line(zoom, layers, m.inputs["methods"], colour, sizes)
        counted = _beyond_book(
            picture_bytes(zoom, layers, m.inputs["methods"], colour, sizes),
            sizes,
            picture_bytes(zoom, ALL_LAYERS, ALL_METHODS, colour),
        )
        points.append((m.mib - line, counted / MIB))
    for m in network_rows("methods_figure"):
        zoom, columns, colour, sizes = (m.inputs[k] for k in ("zoom", "columns", "colour", "sizes"))
        line = _methods_figure_line(zoom, columns, m.inputs["methods"], colour)
        counted = _beyond_book(
            maps_bytes(m.inputs["methods"], m.inputs["layers"], sizes), sizes, BOOK_MAPS_BYTES
        )
        points.append((m.mib - line, counted / MIB))
    return points


NETWORK_PICTURE_MULTIPLE = _multiple(_picture_points())
NETWORK_MAPS_MULTIPLE = _multiple(
    [
        (
            m.mib - fixed_mib("shared_scale"),
            _beyond_book(
                maps_bytes(m.inputs["methods"], m.inputs["layers"], m.inputs["sizes"]),
                m.inputs["sizes"],
                BOOK_MAPS_BYTES,
            )
            / MIB,
        )
        for m in network_rows("shared_scale")
    ]
)


def _seconds_per(points):
    """The largest of (seconds beyond the book's model, work beyond the book's), rounded
    up to two significant digits: every measured job at or below its model."""
    rates = [extra / work for extra, work in points if work > 0]
    if not rates:
        return 0.0
    rate = max(rates)
    scale = 10 ** (1 - math.floor(math.log10(rate)))  # an int for a rate below 10
    return math.ceil(rate * scale) / scale


SECONDS_PER_WORK = _seconds_per(
    [
        (
            m.seconds - INFLUENCE_SECONDS,
            _beyond_book(
                influence_work(m.inputs["sizes"], m.inputs["layers"]),
                m.inputs["sizes"],
                influence_work(),
            ),
        )
        for m in network_rows("influence")
    ]
)
# the rules that read the network: seconds per parameter beyond the book's
NETWORK_SECONDS_PER_PARAMETER = {
    rule: _seconds_per(
        [
            (
                m.seconds - max(b.seconds for b in rows(rule)),
                _beyond_book(
                    parameter_count(m.inputs["sizes"]), m.inputs["sizes"], parameter_count()
                ),
            )
            for m in network_rows(rule)
        ]
    )
    for rule in NETWORK_RULES
}


def network_model(m):
    """The modelled peak (MiB) of a row of ``NETWORK_MEASURED``: its rule's model given
    what the job was given."""
    i = m.inputs
    if m.rule == "influence":
        return influence_mib(dtype=i["dtype"], sizes=i["sizes"], layers=i["layers"])
    if m.rule == "faithfulness":
        return faithfulness_mib(i["samples"], i["methods"], i["layers"], "float64", i["sizes"])
    if m.rule == "montage":
        return montage_mib(i["zoom"], i["layers"], i["methods"], i["colour"], i["sizes"])
    if m.rule == "methods_figure":
        return methods_figure_mib(
            i["zoom"], i["columns"], i["methods"], i["colour"], i["sizes"], i["layers"]
        )
    if m.rule == "shared_scale":
        return shared_scale_mib(i["methods"], i["layers"], i["sizes"])
    return fixed_mib(m.rule, i["sizes"], i.get("reader", "book"))


def network_runtime(m):
    """The declared runtime (minutes) of a row of ``NETWORK_MEASURED``."""
    i = m.inputs
    if m.rule == "influence":
        return influence_runtime_min(
            {"fill": 1.0}, _METHODS6, {}, sizes=i["sizes"], layers=i["layers"]
        )
    if m.rule == "faithfulness":
        return faithfulness_runtime_min(i["samples"], i["methods"], i["layers"], i["sizes"])
    if m.rule == "montage":
        return montage_runtime_min(i["zoom"], i["layers"], i["methods"], i["colour"], i["sizes"])
    if m.rule == "methods_figure":
        return methods_figure_runtime_min(i["zoom"], i["columns"], i["methods"], i["colour"])
    return fixed_runtime_min(m.rule, i["sizes"])
