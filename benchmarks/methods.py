"""Time every influence method for one sample and all 170 nodes (layers z1, z2, a3, z3).

Also times the deletion/insertion curves of each method's maps and reports the peak numpy
memory. One forward pass of one image is timed in the same run as the unit, so the ratios
mean something on a shared, noisy machine.
Usage: python benchmarks/methods.py [path/to/sample_weight.pkl]
"""

import sys
import time
import tracemalloc

import numpy as np
from insertion import best_of, load_params, samples

from pixel_influence import faithfulness, methods, network

LAYERS = ["z1", "z2", "a3", "z3"]


def peak_memory(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main(argv):
    params, source = load_params(argv)
    print(f"weights: {source}; layers {', '.join(LAYERS)} (170 nodes), float64")
    baseline = np.zeros(784)
    for name, x in samples().items():
        t_unit, _ = best_of(lambda x=x: network.forward(params, x), 200)
        fx, fb = network.forward(params, x), network.forward(params, baseline)
        print(f"\n{name}; one forward pass: {t_unit * 1e6:.0f} us")
        print(f"  {'method':44s} {'maps':>9s} {'x pass':>8s} {'peak MiB':>9s} {'curves':>9s}")
        for method_name, method in methods.METHODS.items():
            settings = method.parameters

            def run(method=method, settings=settings, x=x):
                return method.function(params, x, baseline, LAYERS, **settings)

            repeat = 3 if method_name == "shapley_sampling" else 10
            t_maps, maps = best_of(run, repeat)
            memory = peak_memory(run)
            t_curves, _ = best_of(
                lambda maps=maps, x=x: faithfulness.evaluate(
                    params, x, baseline, {method_name: maps}, fx, fb, LAYERS
                ),
                3,
            )
            label = method_name + (
                f" ({', '.join(f'{k}={v}' for k, v in settings.items())})" if settings else ""
            )
            print(
                f"  {label:44s} {t_maps * 1e3:7.1f} ms {t_maps / t_unit:7.0f}x "
                f"{memory:9.1f} {t_curves * 1e3:7.0f} ms"
            )
    print("\n'curves' includes the random ranking evaluated beside each method's maps.")


if __name__ == "__main__":
    main(sys.argv)
