"""Shared fixtures: the real data (skipped when absent), small data built here, and the
helpers and the one default run that the workflow tests share."""

import contextlib
import functools
import gzip
import hashlib
import http.server
import math
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import browser
import h5py
import numpy as np
import pytest
import real_data
import yaml

from pixel_influence import network

ROOT = Path(__file__).resolve().parents[1]
DATA, DATA_MISSING = real_data.find()  # the verified real data (see tests/real_data.py)
HAVE_DATA = DATA is not None
needs_data = pytest.mark.skipif(not HAVE_DATA, reason=str(DATA_MISSING))
BROWSER, BROWSER_MISSING = browser.find()  # headless Chromium for the explorer page

# test files that run Snakemake workflows (minutes): the "workflow" tier; every other
# file is a module test and runs in seconds (python -m pytest -m "not workflow")
WORKFLOW_FILES = "test_workflow*.py"


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.match(WORKFLOW_FILES):
            item.add_marker(pytest.mark.workflow)


_running = {}  # the test being set up or run, for snakemake() to check its tier


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _running["test"] = item  # before its fixtures, which may run Snakemake for it


def idx_bytes(array, magic):
    """An IDX file's bytes: big-endian magic, dimensions, then the uint8 payload."""
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_gz(path, data):
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


def random_network(sizes, activation, seed=1):
    """A random network 784-sizes, checked as the pipeline checks one. The scales keep the
    pre-activations of a digit of order 1: sigmoid and tanh are curved and ReLU units are
    on for some inputs, off for others."""
    rng = np.random.default_rng(seed)
    params, width = {}, 784
    for k, nodes in enumerate(sizes, start=1):
        scale = 0.15 if k == 1 else 1.5 / math.sqrt(width)
        params[f"W{k}"] = rng.normal(0, scale, (width, nodes))
        params[f"b{k}"] = rng.normal(0, 0.5, nodes)
        width = nodes
    params["activation"] = activation
    return network.check_network(params, "test network")


def sparse_digit(rng):
    """A digit-like image of 784 pixels: mostly zeros, some strokes at 1.0 and some gray."""
    x = np.zeros(784)
    on = rng.choice(784, 150, replace=False)
    x[on[:90]] = 1.0
    x[on[90:]] = rng.random(60)
    return x


def bars(count, classes=3, seed=0):
    """Synthetic 28x28 images of ``classes`` kinds (0: a horizontal bar, 1: a vertical bar,
    2: a diagonal, then bars of other slopes), each at a random place over faint noise, and
    their labels: uint8 (count, 28, 28) and (count,), easy for a small network to learn."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, count).astype(np.uint8)
    images = rng.integers(0, 30, (count, 28, 28)).astype(np.uint8)
    rows, cols = np.mgrid[0:28, 0:28]
    for i, label in enumerate(labels):
        offset = rng.integers(-6, 7)
        if label == 0:
            bar = np.abs(rows - 14 - offset) <= 1
        elif label == 1:
            bar = np.abs(cols - 14 - offset) <= 1
        else:
            slope = 1.0 if label == 2 else (label - 1) / 2.0
            bar = np.abs((rows - 14) - slope * (cols - 14) - offset) <= 1.5
        images[i][bar] = rng.integers(200, 256, int(bar.sum()))
    return images, labels


def write_idx_set(folder, train=600, test=150, classes=3, seed=0, prefix=""):
    """Four gzip-compressed IDX files of ``bars`` images in ``folder``: {role: path}, and the
    arrays {split: (images, labels)}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train": bars(train, classes, seed), "test": bars(test, classes, seed + 1)}
    paths = {}
    for split, (images, labels) in arrays.items():
        for kind, array, magic in (("images", images, 0x803), ("labels", labels, 0x801)):
            path = folder / f"{prefix}{split}-{kind}.gz"
            write_gz(path, idx_bytes(array, magic))
            paths[f"{split}_{kind}"] = path
    return paths, arrays


@contextlib.contextmanager
def http_server(folder):
    """A local HTTP server of the files in ``folder`` for the length of the block: its base
    URL (http://127.0.0.1:<port>/), and the list of paths it was asked for."""
    asked = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            asked.append(self.path)

    handler = functools.partial(Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def random_params():
    """Weights of the real shapes, drawn at random: for tests that need no real data."""
    from pixel_influence.network import PARAM_SHAPES

    rng = np.random.default_rng(0)
    return {k: rng.normal(0, 0.3, shape) for k, shape in PARAM_SHAPES.items()}


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (Selenium WebDriver), shared by the session's tests; skipped
    with a message saying how to install one where there is none, failed in CI."""
    if BROWSER is None:
        if browser.required():
            pytest.fail(BROWSER_MISSING)
        pytest.skip(BROWSER_MISSING)
    driver = browser.start(BROWSER)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def real_params():
    if not HAVE_DATA:
        pytest.skip(DATA_MISSING)
    from pixel_influence import network

    raw = network.load_pickle((DATA / "dlfs" / "sample_weight.pkl").read_bytes())
    return network.check_params(raw)


@pytest.fixture(scope="session")
def real_test_split():
    if not HAVE_DATA:
        pytest.skip(DATA_MISSING)
    from pixel_influence import mnist

    images, labels, _ = mnist.SPLITS["test"]
    return mnist.read_split(DATA / "mnist" / images, DATA / "mnist" / labels, 10000)


@contextlib.contextmanager
def rewritten_h5(path):
    """Open one of the workflow's HDF5 files for editing and seal it again afterwards: a
    file as another version of the software (or a hand that knows the seal) would write it.
    Edited without resealing, every reader refuses it as damaged."""
    from pixel_influence import hdf5

    with h5py.File(path, "a") as f:
        yield f
    hdf5.seal(path)


def output_files(workdir):
    """Every result and download of a workflow run by relative path, as bytes (the timing
    benchmarks excepted: they differ from run to run by nature)."""
    files = {}
    for top in ("results", "resources"):
        for path in sorted((workdir / top).rglob("*")):
            rel = path.relative_to(workdir).as_posix()
            if path.is_file() and not rel.startswith("results/benchmarks/"):
                files[rel] = path.read_bytes()
    return files


# set in the cluster run's Snakemake environment; a job that saw either would show it
CLUSTER_LEAK = "PIXEL_INFLUENCE_LEAK"
# pixel_influence.files kills the writer's process group when weights.h5 is being written
# (test_workflow_recovery shows it does); only the weights job, a cluster job, writes that file
CLUSTER_CRASH = "weights.h5:writing"


def output_digests(workdir):
    """The sha256 of each of ``output_files(workdir)``."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in output_files(workdir).items()}


def snakemake(workdir, *args, check=True, env=None, cwd=None):
    """Run the workflow in ``workdir``; ``env`` replaces the environment, ``cwd`` is where
    Snakemake starts (this process's directory unless given). Only tests of the workflow
    tier run it, so that ``-m "not workflow"`` stays fast."""
    test = _running.get("test")
    if test is not None and test.get_closest_marker("workflow") is None:
        raise AssertionError(
            f"{test.nodeid} runs Snakemake: move it to a file named {WORKFLOW_FILES}"
        )
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    proc = subprocess.run(
        cmd + list(args),
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


# the default config's sweep, made small for the tests: 1,000 test images in two shards
TEST_SWEEP = {"images": 1000, "methods": ["insertion", "deeplift"], "shards": 2}
# and its interactions: triples for the digits with at most 300,000 (1, 4 and 7), so that
# both the sum and the skip are exercised in seconds
TEST_INTERACTIONS = {"max_triples": 300_000}


def workdir_with_config(tmp_path, edit=None, interactions=False):
    """A working directory with config/config.yaml: the default config, with a small
    sweep (``TEST_SWEEP``), then ``edit(cfg)`` applied. The pixel interactions are left
    out unless ``interactions`` (then with fewer triples, ``TEST_INTERACTIONS``): they add
    seconds to every run and only their own tests and the default runs need them. Every
    sample has jobs of its own (``batch_seconds: 0``), as the tests of the per-sample
    rules expect; tests/test_workflow_batches.py (and an ``edit``) batch them."""
    (tmp_path / "config").mkdir(parents=True)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["batch_seconds"] = 0
    cfg["sweep"].update(TEST_SWEEP)
    if interactions:
        cfg["interactions"].update(TEST_INTERACTIONS)
    else:
        cfg.pop("interactions")
    if edit:
        edit(cfg)
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return tmp_path


def job_counts(output):
    """The "Job stats" table of a snakemake run as {rule: count}."""
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    rows = (line.split() for line in table.splitlines()[3:])
    return {row[0]: int(row[1]) for row in rows if len(row) == 2}


def mirror():
    return f"local_mirror={DATA}"


@pytest.fixture(scope="session")
def default_run_and_outputs(tmp_path_factory):
    """One complete run of the default config (the article's samples) on the real data,
    with ``--cores 2``: its folder, and the sha256 of each output as the run left them
    (tests may add to the folder afterwards: test_workflow adds a sample)."""
    if not HAVE_DATA:
        pytest.skip(DATA_MISSING)
    workdir = workdir_with_config(tmp_path_factory.mktemp("run"), interactions=True)
    snakemake(workdir, "--cores", "2", "--config", mirror())
    return workdir, output_digests(workdir)


@pytest.fixture(scope="session")
def default_run(default_run_and_outputs):
    """The folder of the one default run that test_workflow and test_workflow_cluster share."""
    return default_run_and_outputs[0]


@pytest.fixture(scope="session")
def cluster_run(tmp_path_factory):
    """The default config through the local-cluster profile (see tests/test_workflow_cluster.py),
    started from the repository with the profile by name: Snakemake then finds it as the
    relative path profiles/local-cluster while the working directory is elsewhere. Its
    folder and the run's output."""
    if not HAVE_DATA:
        pytest.skip(DATA_MISSING)
    workdir = workdir_with_config(tmp_path_factory.mktemp("cluster"), interactions=True)
    env = {**os.environ, CLUSTER_LEAK: "1", "PIXEL_INFLUENCE_CRASH": CLUSTER_CRASH}
    args = ("--workflow-profile", "local-cluster", "--config", mirror())
    out = snakemake(workdir, *args, env=env, cwd=ROOT)
    return workdir, out.stdout + out.stderr
