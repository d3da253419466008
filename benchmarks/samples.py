"""Many samples end to end: the whole workflow for N test digits with the insertion method
and the default pictures, timed from an empty folder, with a job per sample and with
batches (``batch_seconds``), in the same run.

Each case is a fresh working directory whose config is the default one with
``methods: [insertion]``, no sweep, no interactions and ``samples`` the first N images of
the test split (named ``test-00000``...), read from a local mirror. Every job runs: the
downloads (copies from the mirror), the MNIST and network files, the accuracy, every
sample's influence file, montage, four layer pictures and method figure, the faithfulness
tables and figure, the explorer page. The table gives the wall time of ``snakemake --cores
2`` for each case, the jobs it ran, and the marginal cost per sample: the slope between two
sizes. A last case adds one sample to the largest run and times the re-run.

    python benchmarks/samples.py --mirror ../shared/data [--sizes 200 1000] [--cores 2]
        [--per-sample 200]   (also time a job per sample for this many: slow)
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def config(n, mirror, batch_seconds, first=0):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["samples"] = {
        f"test-{i:05d}": {"split": "test", "index": i} for i in range(first, first + n)
    }
    cfg["methods"] = ["insertion"]
    cfg.pop("sweep")
    cfg.pop("interactions")
    cfg["batch_seconds"] = batch_seconds
    cfg["local_mirror"] = str(Path(mirror).resolve())
    return cfg


def write(workdir, cfg):
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def snakemake(workdir, cores, *args):
    """Wall seconds of one run and the jobs it ran."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    cmd += ["-d", str(workdir), "--cores", str(cores), "--quiet", "rules", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"snakemake failed in {workdir}:\n{proc.stderr[-3000:]}")
    jobs = re.search(r"^total\s+(\d+)", proc.stdout + proc.stderr, re.M)
    return seconds, int(jobs.group(1)) if jobs else 0


def case(tmp, name, cfg, cores):
    workdir = tmp / name
    write(workdir, cfg)
    seconds, jobs = snakemake(workdir, cores)
    return workdir, seconds, jobs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", required=True, help="folder with the MNIST and weights")
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--batch-seconds", type=float, default=None, help="the default's")
    parser.add_argument("--per-sample", type=int, default=0, help="also a job per sample")
    parser.add_argument("--keep", action="store_true", help="keep the working folders")
    args = parser.parse_args(argv)
    default = yaml.safe_load((ROOT / "config/config.yaml").read_text())["batch_seconds"]
    batch_seconds = default if args.batch_seconds is None else args.batch_seconds
    tmp = Path(tempfile.mkdtemp(prefix="samples-benchmark-"))
    rows = []
    try:
        if args.per_sample:
            n = args.per_sample
            _, seconds, jobs = case(tmp, f"single{n}", config(n, args.mirror, 0), args.cores)
            rows.append((f"{n} samples, a job per sample", seconds, jobs))
            print(rows[-1], flush=True)
        times = {}
        for n in args.sizes:
            cfg = config(n, args.mirror, batch_seconds)
            workdir, seconds, jobs = case(tmp, f"batched{n}", cfg, args.cores)
            times[n] = seconds
            rows.append((f"{n} samples, batch_seconds {batch_seconds:g}", seconds, jobs))
            print(rows[-1], flush=True)
        # one more sample, after the largest run's samples
        cfg["samples"]["test-09999"] = {"split": "test", "index": 9999}
        write(workdir, cfg)
        seconds, jobs = snakemake(workdir, args.cores)
        rows.append((f"adding one sample to the {n}", seconds, jobs))
        print(rows[-1], flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    print("| run | wall | jobs |")
    print("| --- | --- | --- |")
    for label, seconds, jobs in rows:
        print(f"| {label} | {seconds:.1f} s | {jobs} |")
    sizes = sorted(times)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        slope = (times[large] - times[small]) / (large - small)
        print(f"\nmarginal cost: {1000 * slope:.1f} ms per sample ({small} to {large} samples)")


if __name__ == "__main__":
    main()
