"""Shared fixtures: the real data (skipped when absent) and small data built here."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
HAVE_DATA = (SHARED_DATA / "SHA256SUMS").is_file()
needs_data = pytest.mark.skipif(
    not HAVE_DATA, reason=f"real MNIST and weights not found at {SHARED_DATA}"
)


def idx_bytes(array, magic):
    """An IDX file's bytes: big-endian magic, dimensions, then the uint8 payload."""
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_gz(path, data):
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


@pytest.fixture(scope="session")
def random_params():
    """Weights of the real shapes, drawn at random: for tests that need no real data."""
    from pixel_influence.network import PARAM_SHAPES

    rng = np.random.default_rng(0)
    return {k: rng.normal(0, 0.3, shape) for k, shape in PARAM_SHAPES.items()}


@pytest.fixture(scope="session")
def real_params():
    if not HAVE_DATA:
        pytest.skip(f"real weights not found at {SHARED_DATA}")
    from pixel_influence import network

    raw = network.load_pickle((SHARED_DATA / "dlfs" / "sample_weight.pkl").read_bytes())
    return network.check_params(raw)


@pytest.fixture(scope="session")
def real_test_split():
    if not HAVE_DATA:
        pytest.skip(f"real MNIST not found at {SHARED_DATA}")
    from pixel_influence import mnist

    images, labels, _ = mnist.SPLITS["test"]
    return mnist.read_split(SHARED_DATA / "mnist" / images, SHARED_DATA / "mnist" / labels, 10000)


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
