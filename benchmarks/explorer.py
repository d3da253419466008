"""The explorer page's speed in headless Chromium, against numpy in the same run, and its size.

Opens a built page (default: results/explorer/index.html of a pipeline run) from disk, picks
the white image and a digit, and asks the page to time itself (``performance.now()``):
insertion for the 170 nodes of z1, z2, a3 and z3 recomputed and all 170 maps redrawn (the
60-frames-a-second target is 16 ms), the five live methods together (target 100 ms) and the
redraw alone. The same maps computed by pixel_influence.methods in numpy are timed in the
same run, so the ratio page / numpy means something on a shared, noisy machine. Then the
page's bytes by part.
Usage: python benchmarks/explorer.py [path/to/index.html] [repeats]
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import browser  # noqa: E402 - the tests' headless Chromium

from pixel_influence import explorer, methods  # noqa: E402
from pixel_influence.config import default_layers  # noqa: E402
from pixel_influence.network import check_network  # noqa: E402


def numpy_ms(params, x, repeats, layers):
    """Median ms of insertion alone and of the five live methods, in numpy."""
    zero = np.zeros(784)
    one, every = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        methods.insertion(params, x, zero, layers)
        one.append(time.perf_counter() - start)
        start = time.perf_counter()
        for name in explorer.LIVE_METHODS:
            methods.METHODS[name].function(params, x, zero, layers)
        every.append(time.perf_counter() - start)
    return statistics.median(one) * 1e3, statistics.median(every) * 1e3


def main(argv):
    path = Path(argv[1] if len(argv) > 1 else ROOT / "results/explorer/index.html")
    repeats = int(argv[2]) if len(argv) > 2 else 21
    html = path.read_text()
    data, size = explorer.data_of(html), len(html.encode())
    # any network's page: its weights, its activation (sigmoid unless said), and the layers
    # the page's benchmark computes (the hidden outputs, aL and zL: z1, z2, a3, z3 for the
    # book's)
    stored = data["network"]
    params = {k: explorer.decode(v).astype(np.float64) for k, v in stored["params"].items()}
    params = check_network({**params, "activation": stored.get("activation", "sigmoid")})
    layers = default_layers(tuple(stored["layers"]))
    nodes = sum(stored["sizes"][layer] for layer in layers)
    found, missing = browser.find()
    if found is None:
        sys.exit(missing)
    driver = browser.start(found)
    try:
        browser.open_file(driver, path)
        print(f"{path}: {size / 1e6:.2f} MB; Chromium {driver.capabilities['browserVersion']}")
        print(f"median of {repeats}; layers {', '.join(layers)} ({nodes} nodes)\n")
        print(
            "| image | changed pixels | insertion + redraw, page | insertion, numpy | "
            "five live methods, page | five, numpy | redraw alone |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        picks = ["white"] + [
            f"sample:{s['name']}" for s in data["samples"] if s["label"] is not None
        ]
        for pick in picks[:3]:
            driver.execute_script("window.explorer.pick(arguments[0])", pick)
            x = np.array(driver.execute_script("return window.explorer.image()"))
            got = driver.execute_script("return window.explorer.benchmark(arguments[0])", repeats)
            one, every = numpy_ms(params, x, repeats, layers)
            print(
                f"| {pick} | {int((x != 0).sum())} | {got['insertion_ms']:.1f} ms | {one:.1f} ms | "
                f"{got['all_ms']:.1f} ms | {every:.1f} ms | {got['redraw_ms']:.1f} ms |"
            )
    finally:
        driver.quit()
    print("\nbytes of the page by part:")
    for part, n in explorer.sizes(data).items():
        print(f"  {part:18s} {n / 1e6:6.2f} MB")
    print(f"  {'the whole page':18s} {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main(sys.argv)
