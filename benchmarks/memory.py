"""Peak memory of every rule's job for the largest input the config allows, against what
the rule declares (``mem_mb`` and ``runtime``, from ``pixel_influence.resources``).

Every job runs for real, through Snakemake, with worst-case configs: the white image (all
784 pixels changed) with all six methods on all six layers, float64 maps and integrated
gradients with 4,096 quadrature points, drawn at zoom 8 with every hidden node in the
methods figure; its pictures again at every zoom, in gray and in colour (an RGB figure);
Shapley sampling with 100,000 permutations; PNG samples of 50 megapixels in every mode
Pillow reads, square and in the long thin shapes that cost most; the faithfulness and
shared_scale jobs over 1 to 40 samples; sweeps of all six methods on all six layers, of the
largest shard (60,000 images), in 20 shards, and with integrated gradients' 4,096 points.
A probe (a ``sitecustomize`` module put on ``PYTHONPATH``; no file of the workflow
changes) makes each job's Python process write, as it exits, its rule, its wildcards, the
``mem_mb`` and ``runtime`` Snakemake gave it, its run time and its peak resident memory:
the kernel's high-water mark of the process, ``VmHWM`` in
/proc/self/status, so the interpreter, Snakemake's preamble and the imports count.

Not ``ru_maxrss`` (nor ``/usr/bin/time``, which reports it): Linux hands a child the
high-water mark of the process it was forked from, so every job forked by Snakemake
(130 MiB) would "peak" at 130 MiB or more, and a job started from pytest at pytest's size.
``VmHWM`` belongs to the program the process runs since its ``exec``. Nor Snakemake's
benchmark ``max_rss``: it samples, and misses short peaks.

Prints one line per job, then per rule the job with the largest peak: what it was given,
the peak (MiB), the declaration (mem_mb, MB = 10^6 bytes) and their ratio, its time against
its runtime. The numbers of ``pixel_influence.resources.MEASURED`` come from here. Needs
Linux (/proc) and the data (``--data``, as benchmarks/sweep.py). About 20 minutes on the
2-core development machine; ``--quick`` (2,560 permutations, fewer PNG modes and shapes,
up to 16 samples, fewer zooms, a smaller sweep) about 10; ``--parts`` runs some of it.
Usage: python benchmarks/memory.py [--cores 2] [--data ../shared/data] [--quick]
       [--parts white,interactions,interaction_pictures,pictures,png,samples,sweep,networks]

``--parts networks`` measures networks other than the book's (``NETWORKS``, random weights
written as .npz): the white image with every method and layer in float64, its pictures and
the faithfulness job, then the default layers in float32 and the output layer alone (where
integrated gradients' and Shapley sampling's passes through every layer dominate).
"""

import argparse
import json
import math
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from onnx import TensorProto, helper, numpy_helper, save
from PIL import Image, ImageDraw

from pixel_influence.methods import METHODS
from pixel_influence.network import LAYERS
from pixel_influence.samples import MAX_PNG_PIXELS

ROOT = Path(__file__).resolve().parents[1]
ALL_LAYERS = list(LAYERS)  # a1 z1 a2 z2 a3 z3
ALL_METHODS = list(METHODS)  # all six, in the config's order
FAST_METHODS = ["insertion", "occlusion", "gradient_input", "deeplift"]
EVERY_HIDDEN_NODE = {"a1": list(range(50)), "z1": list(range(50))}
EVERY_HIDDEN_NODE.update(a2=list(range(100)), z2=list(range(100)))
PROBE_VARIABLE = "PIXEL_INFLUENCE_MEMORY_PROBE"

# Put on PYTHONPATH, this runs in every Python process Snakemake starts (and in Snakemake
# itself); at exit a job's process (its __main__ has the `snakemake` object of the
# preamble) writes one JSON file into the folder named by the variable.
PROBE = f'''
import atexit, json, os, sys, time

_STARTED = time.time()


def _report():
    main = sys.modules.get("__main__")
    smk = getattr(main, "snakemake", None)
    rule = getattr(smk, "rule", None)
    if not isinstance(rule, str):
        if "snakemake" not in " ".join(sys.argv[:1] + sys.orig_argv[:3]):
            return
        rule, smk = "(snakemake)", None  # the workflow's own process
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    record = {{
        "rule": rule,
        "wildcards": dict(smk.wildcards.items()) if smk else {{}},
        "mem_mb": getattr(smk.resources, "mem_mb", None) if smk else None,
        "runtime": getattr(smk.resources, "runtime", None) if smk else None,
        "peak_mib": kib / 1024,
        "seconds": time.time() - _STARTED,
    }}
    path = os.path.join(os.environ["{PROBE_VARIABLE}"], f"{{os.getpid()}}.json")
    with open(path, "w") as f:
        json.dump(record, f)


if os.environ.get("{PROBE_VARIABLE}"):
    atexit.register(_report)
'''


def install_probe(folder):
    """Write the probe into ``folder`` (to go on PYTHONPATH) and make ``folder/peaks``."""
    folder = Path(folder)
    (folder / "peaks").mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(PROBE)
    return folder


def probe_env(folder, env=None):
    """The environment for a Snakemake run whose jobs report to the probe in ``folder``."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH", "")) if p)
    env[PROBE_VARIABLE] = str(Path(folder) / "peaks")
    return env


def probe_records(folder, clear=True):
    """The records the jobs wrote since the last call (oldest first)."""
    files = sorted((Path(folder) / "peaks").glob("*.json"), key=lambda p: p.stat().st_mtime)
    records = [json.loads(p.read_text()) for p in files]
    if clear:
        for p in files:
            p.unlink()
    return records


def worst_png(path, mode, width, height):
    """A PNG of ``mode`` whose digit costs preprocessing as much as a digit can at its size,
    dark on a white or transparent background. Its ink touches all four sides, so the ink's
    bounding box, which preprocessing copies in float64 and resizes, is the whole image:
    a ring, or, in an image two pixels thin, strokes in both lines, alternating, over all
    its length (45% of the pixels: the border, all of the image there, stays mostly
    background). An image one pixel thin gets one stroke over the middle 45%. Modes: 1, L,
    LA, RGB, RGBA, P (palette), I;16 (16-bit gray), and L, RGB, P, I;16 with "+tRNS" (a
    transparent colour, the background's)."""
    base, _, transparent = mode.partition("+")
    pil_mode = "I" if base == "I;16" else base
    white = {"1": 1, "L": 255, "LA": (255, 0), "RGB": (255,) * 3, "RGBA": (255, 255, 255, 0)}
    white.update(P=0, I=65535)
    black = {"1": 0, "L": 0, "LA": (0, 255), "RGB": (0,) * 3, "RGBA": (0, 0, 0, 255)}
    black.update(P=1, I=0)
    thin = min(width, height)
    if thin >= 3:
        mask = Image.new("1", (width, height), 0)
        stroke = max(1, thin // 10)
        ImageDraw.Draw(mask).ellipse((0, 0, width - 1, height - 1), outline=1, width=stroke)
    else:
        along = np.arange(max(width, height))
        if thin == 2:
            lines = np.stack([along % 20 < 9, (along % 20 >= 10) & (along % 20 < 19)])
        else:
            lines = ((along >= 0.275 * along.size) & (along < 0.725 * along.size))[None]
        mask = Image.fromarray(np.ascontiguousarray(lines if height <= 2 else lines.T))
    img = Image.new(pil_mode, (width, height), white[pil_mode])
    if pil_mode == "P":
        img.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    img.paste(black[pil_mode], mask=mask)
    options = {"compress_level": 1}
    if base == "I;16":
        img = img.convert("I;16")
    if transparent:
        options["transparency"] = {"P": 0, "L": 255, "RGB": (255,) * 3, "I;16": 65535}[base]
    img.save(path, **options)
    return path


def base_config(data):
    """The default config without the sweep and the interactions (parts that want them add
    them back)."""
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg.pop("sweep", None)
    cfg.pop("interactions", None)
    cfg["local_mirror"] = str(Path(data).resolve())
    return cfg


class Runner:
    """Runs Snakemake in one folder with the probe, and keeps every job's record."""

    def __init__(self, folder, cores):
        self.folder, self.cores = Path(folder), cores
        self.probe = install_probe(self.folder / "probe")
        self.records = []

    def run(self, case, cfg, targets, workdir):
        workdir = self.folder / workdir
        (workdir / "config").mkdir(parents=True, exist_ok=True)
        (workdir / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
        cmd += ["-d", str(workdir), "--cores", str(self.cores), *targets]
        started = time.perf_counter()
        env = probe_env(self.probe)
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
        if proc.returncode:
            sys.exit(f"{case}: snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        records = probe_records(self.probe)
        for r in records:
            r["case"] = case
            if r["rule"] != "(snakemake)":
                print(
                    f"  {case:44s} {r['rule']:15s} {r['peak_mib']:7.0f} MiB  "
                    f"declared {r['mem_mb']:6} MB  {r['seconds']:6.1f} s",
                    flush=True,
                )
        print(f"{case}: {time.perf_counter() - started:.0f} s", flush=True)
        self.records += records
        return records


def png_cases(quick):
    """(mode, width, height): every mode at 50 megapixels, square, then the shapes that cost
    most per pixel: long thin images, for which preprocessing's border statistics, per-row
    arrays and resampling weights grow with width + height."""
    n, side = MAX_PNG_PIXELS, math.isqrt(MAX_PNG_PIXELS)
    modes = ["1", "L", "L+tRNS", "LA", "RGB", "RGB+tRNS", "RGBA", "P", "P+tRNS", "I;16"]
    modes += ["I;16+tRNS"]
    cases = [(mode, side, side) for mode in (["L", "RGBA"] if quick else modes)]
    shapes = [(2, n // 2), (1, n)]
    if not quick:
        shapes += [(n // 2, 2), (n, 1), (4, n // 4), (10, n // 10), (n // 10, 10)]
        shapes += [(1000, n // 1000), (n // 1000, 1000)]
    return cases + [("RGBA", w, h) for w, h in shapes]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--parts",
        default="white,interactions,interaction_pictures,pictures,png,samples,sweep,networks",
        help="comma-separated, of: %(default)s",
    )
    args = ap.parse_args(argv)
    parts = args.parts.split(",")
    permutations = 2560 if args.quick else 100_000
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, Pillow {Image.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        run = Runner(tmp, args.cores)
        base = base_config(args.data)

        if "white" in parts:
            white(run, base, permutations)
        if "interactions" in parts:
            interactions(run, base)
        if "interaction_pictures" in parts:
            interaction_pictures(run, base, args.quick)
        if "pictures" in parts:
            pictures(run, base, args.quick)
        if "png" in parts:
            pngs(run, base, Path(tmp) / "png", args.quick)
        if "samples" in parts:
            many_samples(run, base, [1, 8, 16] if args.quick else [1, 10, 20, 40])
        if "sweep" in parts:
            sweeps(run, base, args.quick)
        if "networks" in parts:
            networks(run, base, Path(tmp) / "networks", args.quick)
        print_table(run.records)


def white(run, base, permutations):
    """The data rules; the white image (all 784 pixels changed, the most a sample can have)
    with every method and layer, float64 maps and integrated gradients with 4,096 points,
    drawn at zoom 8 with every hidden node in the methods figure; the same with the default
    parameters; then Shapley sampling with the most permutations, on test image #0 (116
    changed pixels, so it takes a seventh of the white image's time; its batches are capped
    in bytes whatever the number of pixels), against the default 256."""
    cfg = dict(base, samples={"white": {"fill": 1.0}}, layers=ALL_LAYERS, methods=ALL_METHODS)
    cfg.update(zoom=8, influence_dtype="float64", methods_figure={"nodes": EVERY_HIDDEN_NODE})
    cfg["method_parameters"] = {"integrated_gradients": {"points": 4096}}
    targets = ["results/network/accuracy.txt", "results/images/white.png"]
    targets += ["results/images/white/methods.png"]
    run.run("white, 6 methods, 6 layers, float64, IG 4096 points", cfg, targets, "white")
    cfg["method_parameters"] = base["method_parameters"]
    run.run("white, 6 methods, 6 layers, float64, defaults", cfg, targets[1:2], "defaults")
    for perms in (256, permutations):
        cfg = dict(base, samples={"digit7": {"split": "test", "index": 0}})
        cfg["method_parameters"] = {"shapley_sampling": {"permutations": perms, "seed": 0}}
        target = ["results/influence/digit7.h5"]
        run.run(f"test #0, 6 methods, {perms} permutations", cfg, target, "digit")


def interactions(run, base):
    """The white image's interactions (784 changed pixels: the largest pair matrices) with
    the defaults (no triples, no index: over max_triples and max_pairs), with the Shapley
    interaction index forced on, with every z1 node's pair matrix, in float32 and float64;
    and a digit's triples (test image #3: 210 changed pixels, 1.5 million triples)."""
    defaults = yaml.safe_load((ROOT / "config/config.yaml").read_text())["interactions"]
    white_only = dict(base, samples={"white": {"fill": 1.0}})
    target = ["results/influence/white.h5"]
    for dtype in ("float32", "float64"):
        cfg = dict(white_only, influence_dtype=dtype, interactions=dict(defaults))
        run.run(f"white, interactions defaults, {dtype}", cfg, target, f"i-{dtype}")
        cfg["interactions"] = dict(defaults)
        cfg["interactions"]["shapley_interaction"] = {"permutations": 2, "max_pairs": 10**6}
        run.run(f"white, interactions with the index, {dtype}", cfg, target, f"is-{dtype}")
        cfg["interactions"]["nodes"] = {"z1": list(range(50)), "z2": [0, 1, 2, 3, 4]}
        run.run(f"white, index, every z1 node's pairs, {dtype}", cfg, target, f"iz-{dtype}")
    cfg = dict(base, samples={"digit3": {"split": "test", "index": 18}})
    cfg["interactions"] = dict(defaults, max_triples=2_000_000)
    target = ["results/influence/digit3.h5"]
    run.run("test #18, interactions with triples", cfg, target, "i-digit")


def interaction_pictures(run, base, quick):
    """The interactions picture of the white image, on the node scale (a line of text under
    every panel: the tallest figure), in gray and in colour (diverging with the overlay),
    at zoom 2 and 8 (--quick: 8), with the default rows (20 output and 10 hidden nodes)
    and with every z1 node (75 rows); then the summary over the eleven default samples."""
    defaults = yaml.safe_load((ROOT / "config/config.yaml").read_text())["interactions"]
    target = ["results/images/white/interactions.png"]
    looks = {"gray": {"colormap": "gray", "overlay": False}}
    looks["diverging, overlay"] = {"colormap": "diverging", "overlay": True}
    every_z1 = dict(defaults, nodes={"z1": list(range(50)), "z2": [0, 1, 2, 3, 4]})
    for rows, section in (("30 rows", defaults), ("75 rows", every_z1)):
        cfg = dict(base, samples={"white": {"fill": 1.0}}, interactions=section, scale="node")
        for look, keys in looks.items():
            for zoom in (8,) if quick else (2, 8):
                case = f"interactions picture: {rows}, {look}, node scale, zoom {zoom}"
                run.run(case, dict(cfg, **keys, zoom=zoom), target, f"ipic-{rows[:2]}")
    cfg = dict(base, interactions=dict(defaults, order=2))
    target = ["results/interactions_summary.csv"]
    run.run("interactions summary: 11 default samples", cfg, target, "isummary")


def pictures(run, base, quick):
    """The montage and the methods figure of the white image, with every method and layer
    and every hidden node in the methods figure (310 columns), after one influence job only
    the pictures again: on the node scale, which writes a line of text under every panel
    and so draws the tallest figures, in gray (an "L" figure) and then in colour (colormap
    diverging with the overlay: an RGB figure), each at zoom 1, 2, 4 and 8 (--quick: 1 and
    8) and at zoom 8 with the default layers and methods figure nodes (4 layers, 20
    columns); then at zoom 8 in gray on the layer scale (as the white image's run) and in
    colour on the shared scale."""
    cfg = dict(base, samples={"white": {"fill": 1.0}}, layers=ALL_LAYERS, methods=ALL_METHODS)
    cfg.update(influence_dtype="float64", methods_figure={"nodes": EVERY_HIDDEN_NODE})
    cfg["scale"] = "node"
    targets = ["results/images/white.png", "results/images/white/methods.png"]
    looks = {"gray": {"colormap": "gray", "overlay": False}}
    looks["diverging, overlay"] = {"colormap": "diverging", "overlay": True}
    for look, keys in looks.items():
        for zoom in (1, 8) if quick else (1, 2, 4, 8):
            case = f"pictures: {look}, node scale, zoom {zoom}"
            run.run(case, dict(cfg, **keys, zoom=zoom), targets, "pictures")
        small = dict(cfg, **keys, zoom=8, layers=["z1", "z2", "a3", "z3"])
        small["methods_figure"] = base["methods_figure"]  # 5 nodes of z1 and of z2
        case = f"pictures: {look}, node scale, zoom 8, 4 layers, 20 columns"
        run.run(case, small, targets, "pictures")
    cfg["zoom"] = 8
    case = "pictures: gray, layer scale, zoom 8"
    run.run(case, dict(cfg, **looks["gray"], scale="layer"), targets, "pictures")
    case = "pictures: diverging, overlay, shared scale, zoom 8"
    run.run(case, dict(cfg, **looks["diverging, overlay"], scale="shared"), targets, "pictures")


def pngs(run, base, folder, quick):
    """PNG samples: every mode at 50 megapixels, then the costliest shapes, one job at a
    time (two 3 GB jobs at once fit, but each is slower)."""
    folder.mkdir()
    samples = {}
    for mode, w, h in png_cases(quick):
        name = f"{mode.replace(';', '').replace('+', '_')}_{w}x{h}"
        samples[name] = {"png": str(worst_png(folder / f"{name}.png", mode, w, h))}
    cfg = dict(base, samples=samples, layers=ALL_LAYERS, methods=ALL_METHODS)
    for name in samples:
        run.run(f"PNG {name}", cfg, [f"results/influence/{name}.h5"], "png")


def many_samples(run, base, counts):
    """faithfulness and shared_scale over growing numbers of samples (one folder, so each
    step adds samples), each the worst: all 784 pixels changed, every method and layer,
    float64 curves."""
    cfg = dict(base, layers=ALL_LAYERS, methods=ALL_METHODS, influence_dtype="float64")
    for n in counts:
        cfg["samples"] = {f"fill{k:03d}": {"fill": (k + 1) / max(counts)} for k in range(n)}
        targets = ["results/faithfulness.csv", "results/images/shared_scale.h5"]
        run.run(f"{n} samples, 6 methods, 6 layers, float64", cfg, targets, "samples")


def sweeps(run, base, quick):
    """Sweeps, each in one shard unless said: all six methods on all six layers over one
    block of 500 images (--quick: 100; the sums held are as large, the images go through
    one at a time), with pictures at zoom 8; the default methods and layers; 20 shards to
    merge; integrated gradients with 4,096 points (one image: its quadrature rule is computed
    again for every image); unless quick, the largest shard, the 60,000 training images.
    Each draws the three pictures of every class, then again in colour (an RGB figure) on
    the shared scale: only the pictures run again."""
    first = 100 if quick else 500
    cases = [
        (f"sweep: 6 methods, 6 layers, {first} images", ALL_METHODS, ALL_LAYERS, first, 1),
        ("sweep: default methods and layers, 2500 images", FAST_METHODS, None, 2500, 1),
        ("sweep: insertion, z3, 10000 images, 20 shards", ["insertion"], ["z3"], None, 20),
        (
            "sweep: integrated gradients, 4096 points, 1 image",
            ["integrated_gradients"],
            ["z3"],
            1,
            1,
        ),
    ]
    if not quick:
        cases.append(("sweep: insertion, z3, 60000 train images", ["insertion"], ["z3"], None, 1))
    for k, (case, methods, layers, images, shards) in enumerate(cases):
        split = "train" if "train" in case else "test"
        sweep = {"split": split, "methods": methods, "images": images, "shards": shards}
        sweep["layers"] = layers or ["z1", "z2", "a3", "z3"]
        cfg = dict(base, samples={"white": {"fill": 1.0}}, zoom=8, sweep=sweep)
        if "4096" in case:
            cfg["method_parameters"] = {"integrated_gradients": {"points": 4096}}
        targets = [
            f"results/sweep/{split}/images/{picture}/class{c}.png"
            for picture in ("mean", "std", "contrast")
            for c in range(10)
        ]
        run.run(case, cfg, targets, f"sweep{k}")
        colour = dict(cfg, colormap="diverging", overlay=True, scale="shared")
        run.run(f"{case}, diverging, overlay, shared", colour, targets, f"sweep{k}")


# networks other than the book's: (hidden and output widths, hidden activation); random
# weights (He's normal initialisation, seed 0), as numpy.savez writes them
NETWORKS = {
    "wide": ((1000, 1000, 10), "relu"),
    "deep": ((30, 30, 30, 30, 10), "sigmoid"),
}


def write_network(path, widths, activation, seed=0):
    """An .npz of a dense network from the 784 pixels through ``widths`` (the last: the
    classes), random weights W ~ N(0, 2 / fan-in) and biases N(0, 0.1)."""
    rng = np.random.default_rng(seed)
    params, fan_in = {}, 784
    for k, width in enumerate(widths, start=1):
        params[f"W{k}"] = rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, width))
        params[f"b{k}"] = rng.normal(0.0, 0.1, width)
        fan_in = width
    np.savez(path, **params)
    return {"npz": str(path), "activation": activation}


def write_pickle(path, widths, activation, seed=0):
    """The network of ``write_network`` as a pickle of the book's format (a dict of float64
    arrays)."""
    with np.load(write_network(path.with_suffix(".npz"), widths, activation, seed)["npz"]) as f:
        params = {key: f[key] for key in f.files}
    path.write_bytes(pickle.dumps(params))
    return {"pickle": str(path), "activation": activation}


def write_onnx(path, widths, activation, seed=0):
    """The network of ``write_network`` (the same draws) as an ONNX file: Gemm layers,
    float32, the hidden activation's operator between them and Softmax at the end."""
    rng = np.random.default_rng(seed)
    nodes, weights, previous, fan_in = [], [], "x", 784
    operator = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}[activation]
    for k, width in enumerate(widths, start=1):
        w = rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, width))
        b = rng.normal(0.0, 0.1, width)
        weights += [numpy_helper.from_array(w.astype(np.float32), f"W{k}")]
        weights += [numpy_helper.from_array(b.astype(np.float32), f"b{k}")]
        nodes.append(helper.make_node("Gemm", [previous, f"W{k}", f"b{k}"], [f"a{k}"]))
        previous = f"a{k}"
        if k < len(widths):
            nodes.append(helper.make_node(operator, [previous], [f"z{k}"]))
            previous = f"z{k}"
        fan_in = width
    nodes.append(helper.make_node("Softmax", [previous], ["y"], axis=1))
    graph = helper.make_graph(
        nodes,
        "network",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 784])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, widths[-1]])],
        weights,
    )
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return {"onnx": str(path)}


def networks(run, base, folder, quick):
    """Each network of ``NETWORKS``: the white image (every pixel changed) with every method
    on every layer in float64, drawn at zoom 8 on the node scale in gray with every hidden
    node the config may list in the methods figure, and the faithfulness job; the pictures
    again at zoom 1 and 2 in gray and at zoom 4 in colour (diverging, overlay); then the
    influence job with the default layers (hidden outputs and the output layer) in float32,
    and with the probabilities alone (integrated gradients and Shapley sampling still pass
    every pixel through every layer); then the network's jobs (weights, accuracy) with the
    network read from a pickle and from an ONNX file. --quick: the wide network only."""
    folder.mkdir()
    looks = {"gray": {"colormap": "gray", "overlay": False}}
    looks["diverging, overlay"] = {"colormap": "diverging", "overlay": True}
    for name, (widths, activation) in NETWORKS.items():
        if quick and name != "wide":
            continue
        network = write_network(folder / f"{name}.npz", widths, activation)
        depth = len(widths)
        layers = [f"{kind}{k}" for k in range(1, depth + 1) for kind in "az"]
        # the methods figure: every hidden node the config may list (layers 1 and 2, their
        # first 50 and 100 nodes)
        hidden = {
            layer: list(range(min(widths[int(layer[1:]) - 1], 50 * int(layer[1:]))))
            for layer in layers[:-2]
            if int(layer[1:]) <= 2
        }
        shape = "-".join(map(str, (784, *widths))) + f" {activation}"
        cfg = dict(base, network=network, samples={"white": {"fill": 1.0}}, layers=layers)
        cfg.update(methods=ALL_METHODS, influence_dtype="float64", scale="node", zoom=8)
        cfg.update(looks["gray"], methods_figure={"nodes": hidden})
        targets = ["results/network/accuracy.txt", "results/images/white.png"]
        targets += ["results/images/white/methods.png", "results/faithfulness.csv"]
        case = f"{shape}: white, 6 methods, every layer, float64, zoom 8"
        run.run(case, cfg, targets, name)
        pictures = targets[1:3]
        for zoom in (1, 2):
            case = f"{shape}: pictures, gray, zoom {zoom}"
            run.run(case, dict(cfg, zoom=zoom), pictures, name)
        colour = dict(cfg, **looks["diverging, overlay"], zoom=4)
        run.run(f"{shape}: pictures, diverging, overlay, zoom 4", colour, pictures, name)
        target = ["results/influence/white.h5"]
        default = [layer for layer in layers[:-2] if layer[0] == "z"] + layers[-2:]
        cfg = dict(cfg, layers=default, influence_dtype="float32")
        cfg["methods_figure"] = base["methods_figure"]
        case = f"{shape}: white, 6 methods, default layers, float32"
        run.run(case, cfg, target, f"{name}-default")
        case = f"{shape}: white, 6 methods, {layers[-1]} alone, float32"
        alone = dict(cfg, layers=layers[-1:], methods_figure={"nodes": {}})
        run.run(case, alone, target, f"{name}-output")
        # the same network read from a pickle and from an ONNX file (the onnx package
        # imported to read it)
        for kind, write in (("pickle", write_pickle), ("onnx", write_onnx)):
            entry = write(folder / f"{name}-{kind}.{kind[:4]}", widths, activation)
            case = f"{shape}: read from {kind}"
            run.run(case, dict(base, network=entry), targets[:1], f"{name}-{kind}")


FIXED_INPUT = ("download", "mnist", "weights", "baseline", "accuracy")


def print_table(records):
    """Per rule, its job with the largest peak: what it was given, the peak (MiB), the
    declaration (mem_mb, MB) and their ratio, its time against its runtime."""
    jobs = [r for r in records if r["rule"] != "(snakemake)"]
    print("\nper rule, the job with the largest measured peak:\n")
    print(
        "| rule | worst case measured | peak MiB | mem_mb | peak / mem_mb | time s | runtime min |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rule in dict.fromkeys(r["rule"] for r in jobs):
        worst = max((r for r in jobs if r["rule"] == rule), key=lambda r: r["peak_mib"])
        case = worst["case"]
        if rule in FIXED_INPUT:
            case = ", ".join(worst["wildcards"].values()) or "fixed input"
        elif worst["wildcards"]:
            case += " (" + ", ".join(f"{k} {v}" for k, v in worst["wildcards"].items()) + ")"
        mb = worst["peak_mib"] * 2**20 / 1e6
        print(
            f"| {rule} | {case} | {worst['peak_mib']:.0f} | {worst['mem_mb']} | "
            f"{mb / worst['mem_mb']:.2f} | {worst['seconds']:.1f} | {worst['runtime']} |"
        )
    own = [r["peak_mib"] for r in records if r["rule"] == "(snakemake)"]
    if own:
        print(f"\nSnakemake's own process (the workflow's, not a job's): up to {max(own):.0f} MiB")
    over = [r for r in jobs if r["peak_mib"] * 2**20 / 1e6 > r["mem_mb"]]
    slow = [r for r in jobs if r["seconds"] > 60 * r["runtime"]]
    print(f"jobs above their mem_mb: {len(over)} of {len(jobs)}; over their runtime: {len(slow)}")
    for r in over + slow:
        print(f"  {r['case']} {r['rule']} {r['peak_mib']:.0f} MiB, {r['seconds']:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
