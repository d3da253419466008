"""The default run's explorer page (results/explorer/index.html) opened from disk in a real
headless Chromium: for every sample, every live method and every layer, the maps the page
computes in JavaScript equal the maps in the sample's HDF5 file to 1e-6 of the layer's
largest |value|; its softmax is f(x) of the file; its Shapley maps and the sweep's class
means are the files' numbers."""

import subprocess
import sys

import h5py
import numpy as np
import pytest
import yaml
from browser import console_errors, floats, open_file
from conftest import mirror, snakemake

from pixel_influence import explorer, h5io

PAGE = "results/explorer/index.html"
LIMIT = 5_000_000  # bytes: the budget for the default config
TOLERANCE = 1e-6  # of the layer's largest |value| (the files hold float32 maps)


def page_maps(driver, method, layer):
    """The maps of the current image as the page computes or shows them (nodes, 784)."""
    got = floats(driver, f"window.explorer.maps({method!r}, {layer!r})")
    return None if got is None else got.reshape(-1, 784)


@pytest.fixture(scope="module")
def run(default_run):
    """The default run, brought up to date: another module's test adds a sample to it and
    takes it out again, which leaves a page that holds that sample too."""
    snakemake(default_run, "--cores", "2", "--config", mirror())
    return default_run


@pytest.fixture(scope="module")
def page(run, chromium):
    open_file(chromium, run / PAGE)
    console_errors(chromium)  # drained: each test checks its own
    return chromium


def sample_names(run):
    return list(yaml.safe_load((run / "config" / "config.yaml").read_text())["samples"])


def samples_of(run):
    return [run / "results" / "influence" / f"{name}.h5" for name in sample_names(run)]


def test_the_default_page_is_small_and_self_contained(run):
    html = (run / PAGE).read_text()
    assert len(html.encode()) < LIMIT
    # nothing is fetched when it runs: no external script, style, font or image
    for pattern in ('src="http', 'href="http', "url(http", "import(", "fetch("):
        assert pattern not in html


def test_the_command_builds_the_rules_page_byte_for_byte(run, tmp_path):
    """python -m pixel_influence explorer, given the run's files, writes the same page."""
    (classes,) = (run / "results" / "sweep").glob("*/classes.h5")
    names = sample_names(run)
    out = tmp_path / "shared.html"
    args = [sys.executable, "-m", "pixel_influence", "explorer", "-o", str(out)]
    args += ["--classes", str(classes.relative_to(run))]
    args += [f"results/influence/{name}.h5" for name in names]
    done = subprocess.run(args, cwd=run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (run / PAGE).read_bytes()


def test_every_live_method_equals_the_sample_files(page, run):
    for path in samples_of(run):
        with h5py.File(path) as f:
            name = str(f.attrs["sample"])
            page.execute_script("window.explorer.pick(arguments[0])", f"sample:{name}")
            image = np.array(page.execute_script("return window.explorer.image()"))
            np.testing.assert_array_equal(image, f["image"][()].ravel())
            values = page.execute_script("return window.explorer.values()")
            np.testing.assert_allclose(values["z3"], f["value/z3"][()], rtol=0, atol=1e-12)
            for method in explorer.LIVE_METHODS:
                for layer in [str(x) for x in f.attrs["layers"]]:
                    stored = h5io.maps_of(f, method, layer)[()].reshape(-1, 784)
                    got = page_maps(page, method, layer)
                    bound = TOLERANCE * np.abs(stored).max()
                    worst = np.abs(got - stored).max()
                    assert worst <= bound, (name, method, layer, worst, bound)
    assert console_errors(page) == []


def test_shapley_maps_are_the_files_float32_values(page, run):
    for path in samples_of(run):
        with h5py.File(path) as f:
            page.execute_script("window.explorer.pick(arguments[0])", f"sample:{f.attrs['sample']}")
            for layer in [str(x) for x in f.attrs["layers"]]:
                stored = h5io.maps_of(f, "shapley_sampling", layer)[()].reshape(-1, 784)
                np.testing.assert_array_equal(page_maps(page, "shapley_sampling", layer), stored)
    assert console_errors(page) == []


def test_class_means_are_the_sweeps(page, run):
    (classes,) = (run / "results" / "sweep").glob("*/classes.h5")
    with h5py.File(classes) as f:
        for label in (0, 7):
            page.execute_script("window.explorer.pick(arguments[0])", f"class:{label}")
            image = np.array(page.execute_script("return window.explorer.image()"))
            np.testing.assert_array_equal(image, f["image_mean"][label].ravel())
            page.execute_script("window.explorer.set({sweep: true, method: 'insertion'})")
            for layer in [str(x) for x in f.attrs["layers"]]:
                page.execute_script("window.explorer.set({layer: arguments[0]})", layer)
                stored = f[f"insertion/{layer}_mean"][label].reshape(-1, 784)
                got = page_maps(page, "insertion", layer)
                # int8 on the (class, layer) scale: within half a level
                assert np.abs(got - stored).max() <= np.abs(stored).max() / 254 * 1.001
            page.execute_script("window.explorer.set({sweep: false})")
    assert console_errors(page) == []
