"""Time vectorized insertion against the article's approach (one forward pass per pixel).

For one sample and all six layers (all 320 nodes, of which the default four layers are
170), in one run on the same machine, so the ratio is meaningful on a shared, noisy box.
Usage: python benchmarks/insertion.py [path/to/sample_weight.pkl]
"""

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from pixel_influence import methods, network

ROOT = Path(__file__).resolve().parents[1]


def load_params(argv):
    path = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared/data/dlfs/sample_weight.pkl"
    if path.is_file():
        return network.check_params(network.load_pickle(path.read_bytes())), str(path)
    rng = np.random.default_rng(0)
    shapes = network.PARAM_SHAPES
    return {k: rng.normal(0, 0.3, s) for k, s in shapes.items()}, "random weights"


def per_pixel_loop(params, x, baseline):
    """The original script's approach: 784 separate forward passes."""
    reference = network.forward(params, baseline)
    out = {layer: np.empty((v.size, x.size)) for layer, v in reference.items()}
    for i in range(x.size):
        image = baseline.copy()
        image[i] = x[i]
        values = network.forward(params, image)
        for layer in out:
            out[layer][:, i] = values[layer] - reference[layer]
    return out


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def samples():
    """The white image (every pixel inserted) and a real digit if the data is at hand."""
    out = {"white (784 pixels differ from the baseline)": np.ones(784)}
    images = ROOT.parent / "shared/data/mnist/t10k-images-idx3-ubyte.gz"
    if images.is_file():
        from pixel_influence import mnist

        x = mnist.read_idx(images, "images")[0].reshape(-1) / 255.0
        out[f"test image #0, a 7 ({int((x > 0).sum())} pixels differ)"] = x
    return out


def main(argv):
    params, source = load_params(argv)
    print(f"weights: {source}; all 6 layers (320 nodes)")
    baseline = np.zeros(784)
    for name, x in samples().items():
        t_loop, slow = best_of(lambda: per_pixel_loop(params, x, baseline), 3)
        t_vec, fast = best_of(lambda: methods.insertion(params, x, baseline, network.LAYERS), 20)
        worst = max(float(np.abs(fast[k] - slow[k]).max()) for k in network.LAYERS)
        tracemalloc.start()
        methods.insertion(params, x, baseline, network.LAYERS)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name}:")
        print(f"  per-pixel loop (784 forward passes): {t_loop * 1e3:8.2f} ms")
        print(f"  vectorized insertion (one batch):    {t_vec * 1e3:8.2f} ms")
        print(
            f"  speed-up {t_loop / t_vec:.0f}x; max |difference| {worst:.1e}; "
            f"peak numpy memory {peak / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    main(sys.argv)
