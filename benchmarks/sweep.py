"""Time a whole-split sweep end to end through Snakemake, and show where the time goes.

Runs in a fresh temporary folder with the data already at hand (unpacked by a first,
separately timed step): the four fast methods over the 10,000 test images in 4 shards and
in 1 shard (same bits, different memory per job?), then integrated gradients with 32
quadrature points. For each it prints the wall time, each rule's time and peak memory from
Snakemake's benchmark files, and the split of the shard jobs' time between the methods,
the float block sums and the exact sums (from the shard logs). The ratio "wall / numeric
floor" compares the wall time with the methods' own time divided by the cores: what job
start-up, I/O and the reduction cost on top of the numbers themselves.
Usage: python benchmarks/sweep.py [--cores 2] [--images N] [--data ../shared/data]
"""

import argparse
import csv
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import h5py
import yaml

ROOT = Path(__file__).resolve().parents[1]
FAST = ["insertion", "occlusion", "gradient_input", "deeplift"]
PREPARE = ["results/mnist/mnist.h5", "results/network/weights.h5", "results/network/baseline.h5"]


def snakemake(workdir, targets, cores, config=()):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    cmd += [*targets, "--cores", str(cores), "--config", *config]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def write_config(workdir, sweep, method_parameters=None):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["samples"] = {"white": {"fill": 1.0}}  # required; no sample job is asked for
    cfg["sweep"] = sweep
    if method_parameters:
        cfg["method_parameters"] = method_parameters
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def targets(split):
    return [f"results/sweep/{split}/classes.h5"] + [
        f"results/sweep/{split}/images/mean/class{c}.png" for c in range(10)
    ]


def rule_stats(workdir, split):
    """{rule: (jobs, total seconds, max of max_rss MB)} from the benchmark files."""
    out = {}
    for rule in ("sweep_shard", "sweep_classes", "sweep_image"):
        files = sorted((workdir / "results/benchmarks" / rule).rglob("*.tsv"))
        rows = [next(csv.DictReader(f.open(), delimiter="\t")) for f in files]
        out[rule] = (
            len(rows),
            sum(float(r["s"]) for r in rows),
            max(float(r["max_rss"]) for r in rows),
        )
    return out


def shard_seconds(workdir, split):
    """Seconds spent per part, summed over the shard jobs' logs."""
    parts = defaultdict(float)
    for log in (workdir / "logs/sweep_shard" / split).glob("*.log"):
        for name, value in re.findall(
            r"([a-z ]+) ([0-9.]+) s", log.read_text().split("time: ")[-1]
        ):
            parts[name.strip()] += float(value)
    return dict(parts)


def scenario(workdir, title, sweep, cores, method_parameters=None):
    write_config(workdir, sweep, method_parameters)
    for old in (workdir / "results/sweep", workdir / "results/benchmarks", workdir / "logs"):
        shutil.rmtree(old, ignore_errors=True)
    wall = snakemake(workdir, targets(sweep["split"]), cores)
    stats = rule_stats(workdir, sweep["split"])
    parts = shard_seconds(workdir, sweep["split"])
    classes = workdir / f"results/sweep/{sweep['split']}/classes.h5"
    with h5py.File(classes) as f:
        images = int(f["count"][()].sum())
    digest = hashlib.sha256(classes.read_bytes()).hexdigest()
    floor = parts.get("methods", 0.0) / cores
    print(f"\n{title}: {images} images, shards {sweep['shards']}, {cores} cores")
    print(f"  end to end (snakemake, data at hand): {wall:6.1f} s")
    print(
        f"  numeric floor (methods' time / cores): {floor:6.1f} s   wall / floor {wall / floor:.1f}"
    )
    for rule, (jobs, seconds, rss) in stats.items():
        print(f"  {rule:14s} {jobs:3d} jobs {seconds:7.1f} s in all, peak {rss:6.0f} MB per job")
    total = sum(parts.values())
    print(
        "  shard time: "
        + ", ".join(f"{k} {v:.1f} s ({100 * v / total:.0f}%)" for k, v in parts.items())
    )
    return digest


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument(
        "--images", type=int, default=None, help="first N test images (all; at least 2000)"
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        write_config(workdir, {"split": "test", "images": args.images, "shards": 1})
        mirror = f"local_mirror={Path(args.data).resolve()}"
        prepare = snakemake(workdir, PREPARE, args.cores, [mirror])
        print(
            f"preparing the data (copy, verify, unpack MNIST, weights, baseline): {prepare:.1f} s"
        )
        sweep = {"split": "test", "images": args.images, "methods": FAST}
        four = scenario(workdir, "four fast methods", {**sweep, "shards": 4}, args.cores)
        one = scenario(workdir, "four fast methods", {**sweep, "shards": 1}, args.cores)
        print(f"  classes.h5 byte-identical with 4 shards and with 1 shard: {four == one}")
        scenario(
            workdir,
            "integrated_gradients, 32 points",
            {**sweep, "methods": ["integrated_gradients"], "shards": 4},
            args.cores,
            {"integrated_gradients": {"points": 32}},
        )


if __name__ == "__main__":
    main(sys.argv[1:])
