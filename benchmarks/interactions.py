"""Time the pixel interactions on one core: the expansion's pair and triple terms, the
Shapley interaction index, the plain forward passes they replace, and the peak memory.

With the book's weights, the default config's samples (digit0..digit9, 64 to 210 changed
pixels, and the all-white image, 784) and its ``interactions`` settings (all 170 nodes of
z1, z2, a3, z3; full pair matrices for the 20 output nodes and the config's 10 hidden
nodes), in one run:

1. pairs: ``interactions.expansion(order=2)`` from each end: seconds, pairs per second and
   microseconds per pair (every pair term of all 170 nodes);
2. triples: ``expansion(order=3)`` (triples summed on the fly, never stored) of the
   digits: seconds per end and microseconds per triple. The white image's 80,007,984
   triples are PROJECTED: the triple loop's rate ((order-3 time - order-2 time) / triples)
   is measured on images with 200, 300 and 400 white pixels at seeded random places (a
   subset of the white image's pixels, so the same steps and the same code path: products
   of exponentials), and the white image's cost is its measured order-2 time plus 80,007,984
   x that rate of the 400-pixel image. ``--full-white`` runs it for real (minutes per end);
3. the Shapley interaction index of a3 and z3 (``shapley_interaction``, 2 permutations, one
   antithetic pair): seconds per permutation of (m+1) m passes, and passes per second;
4. baselines, as speed-ups (the machine is shared and noisy: only ratios measured in the
   same run mean something; the two sides alternate): pair terms and triple sums from
   batched forward passes of whole 784-pixel images (a seeded sample of 2,000 pairs resp.
   triples of the digit with the most changed pixels, per term; the images of single pixels
   resp. pairs they also need are left out of the baseline's time: at full scale they are
   fewer by a factor m/2 resp. m/3), against the pipeline's whole order-2 resp. order-3
   time divided by all pairs resp. triples; and the index against a naive permutation
   estimator that evaluates v(S+ij), v(S+i), v(S+j), v(S) by 4 forward passes per pair, order
   and representative (300 pairs, the same two orders), per sample (the index draws 2 m (m-1)
   samples from 2 permutations);
5. peak memory: VmHWM of /proc/self/status (the process's resident high-water mark,
   interpreter and imports included) of the white image's order-2 expansion from both ends
   with float32 pair matrices, of its index with 2 permutations (float32), and of the
   default config's ``interactions()`` call on the digit with most triples, each in a fresh
   subprocess of this script; the issue requires every job under 1 GiB.

Checks, so that nothing wrong is timed (asserted): the order-2 map sums to f(x) - f(b) - r_2
for every node from both ends; the residuals r_1, r_2, r_3 of the smallest digit match
those of every pair and triple recomputed from plain forward passes; the sampled pair terms
match the pipeline's pair matrices; the naive estimator reproduces the index.

numpy and BLAS run on one thread (OPENBLAS_NUM_THREADS=1 etc., set before numpy is
imported). Times are best of ``--repeat`` (triples and the white image: fewer). Needs the
data (``--data``, as benchmarks/sweep.py). About 4 minutes on the 2-core development
machine; ``--full-white`` adds about 7 (the white image's triples, 3.5 minutes per end).
Usage: python benchmarks/interactions.py [--data ../shared/data] [--repeat 3] [--full-white]
"""

import os

# one core: set before numpy is imported
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import itertools
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from pixel_influence import interactions, mnist, network, samples
from pixel_influence.network import OUTPUT_LAYERS, forward

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())
SETTINGS = CONFIG["interactions"]
LAYERS = list(SETTINGS["layers"])
OUTPUTS = [layer for layer in LAYERS if layer in OUTPUT_LAYERS]
WIDTH = sum(network.LAYER_SIZES[layer] for layer in LAYERS)  # 170 nodes
NODES = {
    layer: list(range(network.LAYER_SIZES[layer]))
    if layer in OUTPUT_LAYERS
    else sorted(SETTINGS["nodes"].get(layer, []))
    for layer in LAYERS
}
RESTRICTED = (200, 300, 400)  # white pixels of the images the white image's triples come from
SAMPLED = {"pairs": 2000, "triples": 2000, "index pairs": 300}
TOLERANCE = 1e-9
WHITE = "white"


def load(data):
    """The book's weights (float64, as the pipeline reads them) and the config's samples."""
    params = network.load_pickle((Path(data) / "dlfs/sample_weight.pkl").read_bytes())
    params = {k: v.astype(np.float64) for k, v in params.items()}
    images = mnist.read_idx(Path(data) / "mnist/t10k-images-idx3-ubyte.gz", "images")
    found = {}
    for name, spec in CONFIG["samples"].items():
        if "fill" in spec:
            found[name] = np.full(784, float(spec["fill"]))
        elif spec.get("split") == "test":
            found[name] = samples.mnist_image(images, spec["index"]).reshape(-1)
    return params, found


def white_at(pixels, seed=0):
    """An image with ``pixels`` white pixels at seeded random places, black elsewhere."""
    image = np.zeros(784)
    image[np.random.default_rng(seed).choice(784, size=pixels, replace=False)] = 1.0
    return image


def best_of(fn, repeat):
    """Shortest of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    return best, result


def race(fast, slow, rounds):
    """Best times of ``fast`` and ``slow`` run in alternation (both see the same load)."""
    t_fast = t_slow = float("inf")
    for _ in range(rounds):
        t, fast_result = best_of(fast, 1)
        t_fast = min(t_fast, t)
        t, slow_result = best_of(slow, 1)
        t_slow = min(t_slow, t)
    return t_fast, fast_result, t_slow, slow_result


def expand(params, x, baseline, end, order, dtype=np.float64):
    return interactions.expansion(params, x, baseline, LAYERS, end, order, NODES, None, dtype=dtype)


def stacked(values):
    """{layer: (..., nodes)} -> (..., 170) in the order of LAYERS."""
    return np.concatenate([values[layer] for layer in LAYERS], axis=-1)


def vmhwm_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def pairs_of(m):
    return m * (m - 1) // 2


def table(header, rows):
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines[1] = "|---" + lines[1][5:]  # the first column left-aligned
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    print("\n".join(lines) + "\n")


def seconds(t):
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


# ---- checks against plain forward passes ----


def game_values(params, x, baseline, end, sets):
    """v(S) of the expansion's game at one end for index arrays ``sets`` (n, k) of pixels
    (flat indices), by forward passes of whole images: insertion f(b + S) - f(b),
    occlusion f(x) - f(x with S at the baseline). Returns (n, 170)."""
    start, put = (baseline, x) if end == "insertion" else (x, baseline)
    n = len(sets)
    images = np.broadcast_to(start, (n, start.size)).copy()
    rows = np.arange(n)[:, None]
    images[rows, sets] = put[sets]
    values = stacked(forward(params, images)) - stacked(forward(params, start))
    return values if end == "insertion" else -values


def batched(fn, sets, batch=4096):
    return np.concatenate([fn(sets[lo : lo + batch]) for lo in range(0, len(sets), batch)])


def check_residuals(params, x, baseline):
    """r_1, r_2, r_3 of every node from both ends against every single, pair and triple of
    changed pixels recomputed by forward passes of whole images (a small digit)."""
    changed = np.flatnonzero(x != baseline)
    m = changed.size
    total = stacked(forward(params, x)) - stacked(forward(params, baseline))
    i, j = np.triu_indices(m, 1)
    triples = np.array(list(itertools.combinations(range(m), 3)))
    worst = 0.0
    for end in interactions.ENDS:
        found = expand(params, x, baseline, end, 3)
        ours = np.concatenate([found["residuals"][layer] for layer in LAYERS])  # (170, 3)

        def v(sets, end=end):
            return batched(lambda part: game_values(params, x, baseline, end, part), sets)

        single = v(changed[:, None]).sum(axis=0)
        pair = v(changed[np.stack([i, j], axis=1)]).sum(axis=0)
        triple = v(changed[triples]).sum(axis=0)
        r1 = total - single
        r2 = r1 - (pair - (m - 1) * single)
        r3 = r2 - (triple - (m - 2) * pair + (m - 1) * (m - 2) / 2 * single)
        worst = max(worst, float(np.abs(ours - np.stack([r1, r2, r3], axis=1)).max()))
    assert worst < 1e-8, f"residuals differ from forward passes by {worst:.1e}"
    return worst


def check_order2_sums(params, x, baseline):
    """The order-2 map sums to f(x) - f(b) - r_2 for every node, from both ends."""
    total = stacked(forward(params, x)) - stacked(forward(params, baseline))
    worst = 0.0
    for end in interactions.ENDS:
        found = expand(params, x, baseline, end, 2)
        sums = np.concatenate([found["order2"][layer].sum(axis=1) for layer in LAYERS])
        r2 = np.concatenate([found["residuals"][layer][:, 1] for layer in LAYERS])
        worst = max(worst, float(np.abs(sums - (total - r2)).max()))
    assert worst < TOLERANCE, f"order-2 map does not sum to f(x) - f(b) - r_2: {worst:.1e}"
    return worst


# ---- baselines: plain forward passes of whole images ----


def naive_index(params, x, baseline, changed, picked, seed=0):
    """The index of a3 and z3 for the pairs ``picked`` (indices into ``changed``) from the
    same two orders as ``shapley_interaction(permutations=2, seed)``: for each order and
    each representative of the merged pair, S = the pixels before it without the other one,
    and v(S+ij) - v(S+i) - v(S+j) + v(S) from 4 forward passes of whole images. Returns
    {layer: (nodes, pairs)}."""
    m = changed.size
    order = np.argsort(np.random.default_rng(seed).random(m))
    origin = forward(params, baseline)
    total = {layer: 0.0 for layer in OUTPUTS}
    a, b = picked[:, 0], picked[:, 1]
    for perm in (order, order[::-1]):
        position = np.empty(m, dtype=np.int64)
        position[perm] = np.arange(m)
        for rep, other in ((a, b), (b, a)):
            before = position[None, :] < position[rep][:, None]  # (pairs, m): S, with other
            before[np.arange(len(rep)), other] = False
            images = np.broadcast_to(baseline, (4, len(rep), baseline.size)).copy()
            inserted = np.where(before, x[changed], baseline[changed])
            images[:, :, changed] = inserted
            rows = np.arange(len(rep))
            images[1, rows, changed[rep]] = x[changed[rep]]  # S + i
            images[2, rows, changed[other]] = x[changed[other]]  # S + j
            images[3, rows, changed[rep]] = x[changed[rep]]  # S + ij
            images[3, rows, changed[other]] = x[changed[other]]
            values = forward(params, images)
            for layer in OUTPUTS:
                v = values[layer] - origin[layer]
                total[layer] = total[layer] + (v[3] - v[1] - v[2] + v[0])
    return {layer: (total[layer] / 4.0).T for layer in OUTPUTS}


# ---- the measurements ----


def measure_pairs(params, found, baseline, repeat):
    print("## Pairs: `expansion(order=2)`, all 170 nodes, pair matrices of 30 nodes\n")
    rows, times = [], {}
    for name, x in found.items():
        m = int((x != baseline).sum())
        t = {}
        for end in interactions.ENDS:
            t[end], _ = best_of(
                lambda end=end, x=x: expand(params, x, baseline, end, 2),
                max(1, repeat - 1) if name == WHITE else repeat,
            )
        times[name] = t
        mean = sum(t.values()) / len(t)
        pairs = pairs_of(m)
        rows.append(
            [name, m, f"{pairs:,}", seconds(t["insertion"]), seconds(t["occlusion"])]
            + [f"{pairs / mean:,.0f}", f"{mean / pairs * 1e6:.2f}"]
        )
    digits = [name for name in found if name != WHITE]
    all_pairs = sum(pairs_of(int((found[n] != baseline).sum())) for n in digits)
    total = {end: sum(times[n][end] for n in digits) for end in interactions.ENDS}
    mean = sum(total.values()) / 2
    rows.append(
        [f"all {len(digits)} digits", "", f"{all_pairs:,}"]
        + [seconds(total["insertion"]), seconds(total["occlusion"])]
        + [f"{all_pairs / mean:,.0f}", f"{mean / all_pairs * 1e6:.2f}"]
    )
    table(["sample", "pixels", "pairs", "from b (s)", "from x (s)", "pairs/s", "us/pair"], rows)
    most = max(digits, key=lambda n: (found[n] != baseline).sum())
    print(
        f"Per end, best of {repeat} ({max(1, repeat - 1)} for white); pairs/s and us/pair from "
        f"the mean of both ends. Target (all pairs of a digit, all 170 nodes, well under a "
        f"second): the largest, {most}, takes {max(times[most].values()):.3f} s per end.\n"
    )
    return times


def measure_triples(params, found, baseline, repeat, pair_times, full_white):
    print("## Triples: `expansion(order=3)`, summed on the fly\n")
    rows, times = [], {}
    digits = [name for name in found if name != WHITE]
    for name in digits:
        x = found[name]
        m = int((x != baseline).sum())
        t = {}
        for end in interactions.ENDS:
            t[end], result = best_of(
                lambda end=end, x=x: expand(params, x, baseline, end, 3), repeat
            )
            assert result["order3"], f"{name}: triples not summed"
        times[name] = t
        count = interactions.triple_count(m)
        loop = sum(t[e] - pair_times[name][e] for e in t) / 2
        rows.append(
            [name, m, f"{count:,}", seconds(t["insertion"]), seconds(t["occlusion"])]
            + [f"{loop / count * 1e6:.2f}"]
        )
    header = ["sample", "pixels", "triples", "from b (s)", "from x (s)", "us/triple"]
    table(header, rows)
    largest = max(digits, key=lambda n: (found[n] != baseline).sum())
    print(
        f"Per end, best of {repeat}: the whole order-3 expansion (pairs included). us/triple: "
        "the triple loop alone, (order-3 time - order-2 time) / triples, mean of both ends. "
        f"Target (about 1.5 million triples under ten seconds): {largest}, "
        f"{interactions.triple_count(int((found[largest] != baseline).sum())):,} triples, "
        f"takes {max(times[largest].values()):.2f} s per end.\n"
    )

    print("### The white image's triples, from images with fewer white pixels\n")
    rows, rate = [], None
    for pixels in RESTRICTED:
        x = white_at(pixels)
        count = interactions.triple_count(pixels)
        t2 = {}
        t3 = {}
        for end in interactions.ENDS:
            t2[end], _ = best_of(lambda end=end, x=x: expand(params, x, baseline, end, 2), repeat)
            t3[end], _ = best_of(lambda end=end, x=x: expand(params, x, baseline, end, 3), 1)
        rate = {e: (t3[e] - t2[e]) / count for e in interactions.ENDS}
        rows.append(
            [f"{pixels} white pixels (seed 0)", pixels, f"{count:,}"]
            + [seconds(t3["insertion"]), seconds(t3["occlusion"])]
            + [f"{sum(rate.values()) / 2 * 1e6:.2f}"]
        )
    m = int((found[WHITE] != baseline).sum())
    count = interactions.triple_count(m)
    projected = {e: pair_times[WHITE][e] + count * rate[e] for e in interactions.ENDS}
    rows.append(
        [f"**{WHITE}: PROJECTED** from the {RESTRICTED[-1]}-pixel rate", m, f"{count:,}"]
        + [seconds(projected["insertion"]), seconds(projected["occlusion"])]
        + [f"{sum(rate.values()) / 2 * 1e6:.2f}"]
    )
    if full_white:
        t3 = {}
        for end in interactions.ENDS:
            t3[end], _ = best_of(lambda end=end: expand(params, found[WHITE], baseline, end, 3), 1)
        loop = sum(t3[e] - pair_times[WHITE][e] for e in t3) / 2
        rows.append(
            [f"**{WHITE}: MEASURED** (--full-white)", m, f"{count:,}"]
            + [seconds(t3["insertion"]), seconds(t3["occlusion"])]
            + [f"{loop / count * 1e6:.2f}"]
        )
    table(header, rows)
    print(
        f"Restricted images: one order-3 run per end (best of {repeat} for their order-2 "
        "part). The white image's projection = its measured order-2 time + "
        f"{count:,} triples x the {RESTRICTED[-1]}-pixel image's triple-loop rate, per end"
        + (" (not run; --full-white runs it)." if not full_white else ".")
        + "\n"
    )
    return projected


def measure_index(params, found, baseline, repeat):
    print("## The Shapley interaction index of a3 and z3: `shapley_interaction`, 2 permutations\n")
    rows = []
    for name, x in found.items():
        m = int((x != baseline).sum())
        t, _ = best_of(
            lambda x=x: interactions.shapley_interaction(
                params, x, baseline, OUTPUTS, permutations=2, seed=0
            ),
            1 if name == WHITE else max(1, repeat - 1),
        )
        passes = (m + 1) * m
        rows.append(
            [name, m, f"{pairs_of(m):,}", f"{passes:,}", seconds(t / 2), f"{2 * passes / t:,.0f}"]
        )
    table(["sample", "pixels", "pairs", "passes/permutation", "s/permutation", "passes/s"], rows)
    print(
        f"2 permutations (one order and its reverse), best of {max(1, repeat - 1)} "
        "(white: 1); s/permutation = time / 2.\n"
    )


def measure_baselines(params, found, baseline, repeat):
    digits = [name for name in found if name != WHITE]
    name = max(digits, key=lambda n: (found[n] != baseline).sum())
    x = found[name]
    changed = np.flatnonzero(x != baseline)
    m = changed.size
    rng = np.random.default_rng(0)
    print(f"## Against plain forward passes of whole images ({name}, {m} changed pixels)\n")
    rows = []
    upper = np.stack(np.triu_indices(m, 1), axis=1)
    picked_pairs = upper[rng.choice(len(upper), SAMPLED["pairs"], replace=False)]
    draws = rng.random((SAMPLED["triples"], m)).argsort(axis=1)[:, :3]
    picked_triples = np.sort(draws, axis=1)  # uniform triples (a repeat is unlikely)
    for end in interactions.ENDS:
        sets = changed[picked_pairs]
        singles = game_values(params, x, baseline, end, changed[:, None])  # not timed
        first, second = singles[picked_pairs[:, 0]], singles[picked_pairs[:, 1]]
        t_fast, ours, t_slow, terms = race(
            lambda end=end: expand(params, x, baseline, end, 2),
            lambda end=end, sets=sets, first=first, second=second: (
                game_values(params, x, baseline, end, sets) - first - second
            ),
            repeat,
        )
        at = np.cumsum([0] + [network.LAYER_SIZES[layer] for layer in LAYERS])
        worst = 0.0
        for k, layer in enumerate(LAYERS):
            if not NODES[layer]:
                continue
            matrix = ours["pairs"][layer]  # (nodes, m, m)
            mine = matrix[:, picked_pairs[:, 0], picked_pairs[:, 1]]
            theirs = terms[:, at[k] + np.array(NODES[layer])].T
            worst = max(worst, float(np.abs(mine - theirs).max()))
        assert worst < TOLERANCE, f"pair terms from {end}: {worst:.1e}"
        fast, slow = t_fast / pairs_of(m), t_slow / len(sets)
        rows.append(
            [f"pair terms from {'b' if end == 'insertion' else 'x'} (per pair)"]
            + [f"{fast * 1e6:.2f}", f"{slow * 1e6:.2f}", f"{slow / fast:.1f}x", f"{worst:.1e}"]
        )
    for end in interactions.ENDS:
        sets = changed[picked_triples]
        t_fast, _, t_slow, _ = race(
            lambda end=end: expand(params, x, baseline, end, 3),
            lambda end=end, sets=sets: game_values(params, x, baseline, end, sets).sum(axis=0),
            max(1, repeat - 1),
        )
        fast, slow = t_fast / interactions.triple_count(m), t_slow / len(sets)
        rows.append(
            [f"triples from {'b' if end == 'insertion' else 'x'} (per triple)"]
            + [f"{fast * 1e6:.2f}", f"{slow * 1e6:.2f}", f"{slow / fast:.1f}x", "(r_3 checked)"]
        )
    picked = upper[rng.choice(len(upper), SAMPLED["index pairs"], replace=False)]
    t_fast, (index, _), t_slow, naive = race(
        lambda: interactions.shapley_interaction(
            params, x, baseline, OUTPUTS, permutations=2, seed=0
        ),
        lambda: naive_index(params, x, baseline, changed, picked),
        repeat,
    )
    worst = max(
        float(np.abs(index[layer][:, picked[:, 0], picked[:, 1]] - naive[layer]).max())
        for layer in OUTPUTS
    )
    assert worst < TOLERANCE, f"naive permutation estimator differs from the index: {worst:.1e}"
    fast, slow = t_fast / (2 * m * (m - 1)), t_slow / (4 * len(picked))
    rows.append(
        ["index, a3 and z3 (per sample)"]
        + [f"{fast * 1e6:.2f}", f"{slow * 1e6:.2f}", f"{slow / fast:.1f}x", f"{worst:.1e}"]
    )
    table(["computation", "pipeline (us)", "forward passes (us)", "speed-up", "max diff"], rows)
    print(
        f"Pipeline: the whole expansion (order 2 resp. 3) of {name} / all its pairs resp. "
        f"triples; the index with 2 permutations / their 2 m (m-1) samples. Forward passes: "
        f"{SAMPLED['pairs']:,} pairs resp. {SAMPLED['triples']:,} triples (seeded), one "
        "batched forward pass of whole images per term (singles resp. pairs not counted); "
        f"the naive estimator: {SAMPLED['index pairs']} pairs x 2 orders x 2 representatives, "
        f"4 passes per sample. Best of {repeat} alternating rounds (triples "
        f"{max(1, repeat - 1)}).\n"
    )


# ---- peak memory, each job in a fresh process ----

JOBS = {
    "floor": "imports, weights and images only",
    "white pairs": "white, expansion(order=2) from both ends, float32 pair matrices",
    "white index": "white, shapley_interaction(a3, z3), 2 permutations, float32",
    "default job": "the largest digit, interactions() with the config's settings, float64",
}


def run_job(job, data):
    """One memory job in this process; prints {seconds, peak} as JSON."""
    params, found = load(data)
    baseline = np.zeros(784)
    began = time.perf_counter()
    kept = []
    if job == "white pairs":
        for end in interactions.ENDS:
            kept.append(expand(params, found[WHITE], baseline, end, 2, dtype=np.float32))
    elif job == "white index":
        kept.append(
            interactions.shapley_interaction(
                params, found[WHITE], baseline, OUTPUTS, permutations=2, dtype=np.float32
            )
        )
    elif job == "default job":
        digits = [name for name in found if name != WHITE]
        name = max(digits, key=lambda n: (found[n] != baseline).sum())
        kept.append(
            interactions.interactions(
                params,
                found[name],
                baseline,
                LAYERS,
                SETTINGS["nodes"],
                SETTINGS["order"],
                SETTINGS["max_triples"],
                SETTINGS["shapley_interaction"],
            )
        )
    print(json.dumps({"seconds": time.perf_counter() - began, "peak": vmhwm_mib()}))


def measure_memory(data):
    print("## Peak memory (VmHWM, whole process), each job in a fresh process\n")
    rows = []
    for job, what in JOBS.items():
        proc = subprocess.run(
            [sys.executable, __file__, "--data", str(data), "--job", job],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        under = "yes" if result["peak"] < 1024 else "**NO**"
        rows.append([what, seconds(result["seconds"]), f"{result['peak']:.0f}", under])
    table(["job", "seconds", "peak MiB", "under 1 GiB"], rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--full-white", action="store_true", help="run the white image's triples")
    ap.add_argument("--job", choices=list(JOBS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:
        return run_job(args.job, args.data)
    began = time.perf_counter()
    params, found = load(args.data)
    baseline = np.zeros(784)
    bound = np.abs(forward(params, baseline)["a1"]).max() + 3 * np.abs(params["W1"]).max()
    assert bound < interactions.EXP_SAFE, "the white image would take the slow path"
    print(
        f"# Pixel interactions on one core\n\nweights: the book's sample_weight.pkl (float64); "
        f"layers {', '.join(LAYERS)} ({WIDTH} nodes); pair matrices: "
        + ", ".join(f"{layer} {len(nodes)}" for layer, nodes in NODES.items())
        + f"\nPython {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} cores visible, 1 thread "
        "(OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1, MKL_NUM_THREADS=1)\n"
    )
    smallest = min((n for n in found if n != WHITE), key=lambda n: (found[n] != baseline).sum())
    largest = max((n for n in found if n != WHITE), key=lambda n: (found[n] != baseline).sum())
    sums = check_order2_sums(params, found[largest], baseline)
    residuals = check_residuals(params, found[smallest], baseline)
    print(
        f"Checks: order-2 map of {largest} sums to f(x) - f(b) - r_2 (max diff {sums:.1e}); "
        f"r_1, r_2, r_3 of {smallest} from every single, pair and triple by forward passes "
        f"(max diff {residuals:.1e}).\n"
    )
    pair_times = measure_pairs(params, found, baseline, args.repeat)
    measure_triples(params, found, baseline, max(1, args.repeat - 1), pair_times, args.full_white)
    measure_index(params, found, baseline, args.repeat)
    measure_baselines(params, found, baseline, args.repeat)
    measure_memory(args.data)
    print(f"Total run time {time.perf_counter() - began:.0f} s.")


if __name__ == "__main__":
    main()
