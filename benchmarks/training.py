"""Time training a network with numpy (training.train) on the 60,000 MNIST training images.

The issue's target, a 784-100-10 network trained for 5 epochs (ReLU, He, SGD lr 0.1,
batches of 100) in under a minute on 2 cores, in float32 and float64, Momentum and Adam, and
the book's ch05 TwoLayerNet recipe (784-50-10 ReLU, weights 0.01 N(0, 1), SGD lr 0.1,
batches of 100, 10,000 steps = 17 epochs; one thread only), for which the book reports
about 0.97. Each run says its seconds per epoch, of which how many the accuracies take
(both splits in float64, after every epoch), its final test accuracy, and its ratio to the
floor measured in the same run: the matrix products of an epoch's mini-batches alone, in
the same dtype.

Runs itself twice, with OPENBLAS_NUM_THREADS=1 and 2 (the thread count of a BLAS is fixed
when numpy is loaded), and says whether the two gave the same weights bit for bit.
Usage: python benchmarks/training.py [DATA_DIR]   (DATA_DIR holds mnist/*.gz; default
../shared/data)
"""

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from pixel_influence import mnist, network, training

ROOT = Path(__file__).resolve().parents[1]
THREADS = (1, 2)
TARGET = {"hidden": [100], "activation": "relu", "init": "he", "optimizer": "sgd"}
RUNS = [
    ("target float32", TARGET, np.float32),
    ("target float64", TARGET, np.float64),
    ("momentum float32", {**TARGET, "optimizer": "momentum"}, np.float32),
    ("adam float32", {**TARGET, "optimizer": "adam"}, np.float32),
]
BOOK_CH05 = {"hidden": [50], "init": 0.01, "learning_rate": 0.1, "batch_size": 100, "epochs": 17}


def load(folder):
    splits = {}
    for split, (images, labels, count) in mnist.SPLITS.items():
        splits[split] = mnist.read_split(folder / images, folder / labels, count)
    return splits


def floor(dtype, hidden=100, batch=100, steps=600, repeat=3):
    """Seconds of an epoch's matrix products alone: forward x W1, z1 W2; backward z1^T d2,
    d2 W2^T, x^T d1, for ``steps`` batches; the best of ``repeat``."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, 784)).astype(dtype)
    w1, w2 = rng.random((784, hidden)).astype(dtype), rng.random((hidden, 10)).astype(dtype)
    d1, d2 = rng.random((batch, hidden)).astype(dtype), rng.random((batch, 10)).astype(dtype)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(steps):
            z1 = x @ w1
            z1 @ w2
            z1.T @ d2
            d2 @ w2.T
            x.T @ d1
        best = min(best, time.perf_counter() - start)
    return best


def evaluation_seconds(params, splits):
    weights = {k: v.astype(np.float64) if k[0] in "Wb" else v for k, v in params.items()}
    start = time.perf_counter()
    for images, labels in splits.values():
        network.accuracy(weights, images, labels)
    return time.perf_counter() - start


def digest(params):
    h = hashlib.sha256()
    for key in network.weight_keys(params):
        h.update(params[key].tobytes())
    return h.hexdigest()[:16]


def run(name, settings, dtype, splits, unit):
    settings = {"epochs": 5, "seed": 0, **settings}
    start = time.perf_counter()
    params, history = training.train(settings, *splits["train"], *splits["test"], dtype=dtype)
    wall = time.perf_counter() - start
    evaluation = evaluation_seconds(params, splits)
    per_epoch = history["seconds"].mean()
    print(
        f"  {name:18s} {settings['epochs']:2d} epochs {wall:6.1f} s; per epoch "
        f"{per_epoch:5.2f} s (accuracies {evaluation:4.2f} s, training "
        f"{per_epoch - evaluation:5.2f} s = {(per_epoch - evaluation) / unit:4.1f}x the "
        f"floor); loss {history['loss'][-1]:.4f}, train {history['train_accuracy'][-1]:.4f}, "
        f"test {history['test_accuracy'][-1]:.4f}",
        flush=True,
    )
    return {"name": name, "wall": wall, "digest": digest(params)}


def child(folder):
    start = time.perf_counter()
    splits = load(folder)
    print(f"reading the four MNIST files: {time.perf_counter() - start:.1f} s")
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    units = {dtype: floor(dtype) for dtype in (np.float32, np.float64)}
    print(
        f"OPENBLAS_NUM_THREADS={threads}: the floor (an epoch's matrix products, batches "
        f"of 100, 784-100-10): float32 {units[np.float32]:.2f} s, float64 "
        f"{units[np.float64]:.2f} s",
        flush=True,
    )
    results = [run(name, s, dtype, splits, units[dtype]) for name, s, dtype in RUNS]
    if threads == "1":  # for its accuracy, once
        unit = floor(np.float32, 50)
        results.append(run("book ch05 784-50-10", BOOK_CH05, np.float32, splits, unit))
    print("RESULTS " + json.dumps(results), flush=True)


def main(argv):
    if len(argv) > 2 and argv[1] == "--child":
        return child(Path(argv[2]))
    folder = (Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data") / "mnist"
    print(f"MNIST from {folder}; numpy {np.__version__}; {os.cpu_count()} CPUs\n")
    digests = {}
    for threads in THREADS:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": "1"}
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print("\n".join(line for line in out.splitlines() if not line.startswith("RESULTS")))
        print()
        results = json.loads(out.split("RESULTS ", 1)[1])
        digests[threads] = {r["name"]: r["digest"] for r in results}
    both = [name for name in digests[1] if name in digests[2]]
    same = [name for name in both if digests[1][name] == digests[2][name]]
    other = [name for name in both if name not in same]
    print(f"the same weights with 1 and 2 BLAS threads: {', '.join(same) or 'none'}")
    print(f"other weights with 1 and 2 BLAS threads: {', '.join(other) or 'none'}")


if __name__ == "__main__":
    main(sys.argv)
