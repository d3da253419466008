"""Where the tests find the real MNIST files and the book's weights.

In this order: the folder named by ``PIXEL_INFLUENCE_DATA``, ``../shared/data`` beside the
checkout, and ``resources/`` as a pipeline run leaves it; each must hold every file of
``NEEDED`` (``mnist/<file>.gz``, ``dlfs/sample_weight.pkl``) with its verified size
and sha256. Failing those, the files are fetched into ``resources/`` by the pipeline's own
verified downloader from the mirrors of ``config/config.yaml``, when the network answers.
Tests that need the data skip otherwise, with ``MISSING``, which says how to provide it.
"""

import os
from pathlib import Path

import yaml

from pixel_influence.download import FILES, DownloadError, fetch, sources_for, verified
from pixel_influence.errors import InputError

VARIABLE = "PIXEL_INFLUENCE_DATA"
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESOURCES = ROOT / "resources"
FETCH_TIMEOUT = 20.0  # seconds per attempt: the tests must not hang on a dead network

# the real data the tests use: MNIST's four files and the book's weights (download.FILES
# also lists the other datasets', which the tests do not need)
NEEDED = {name: FILES[name] for name in FILES if name.split("/")[0] in ("mnist", "dlfs")}

HOW = (
    f"set {VARIABLE} to a folder holding mnist/<file>.gz (the four MNIST IDX files) and "
    "dlfs/sample_weight.pkl, or put them in ../shared/data beside the checkout, or run "
    "`snakemake --cores 8` once with network access so that resources/ holds them"
)


def file_problem(path, name):
    """Why ``path`` is not the verified data file ``name``, or None."""
    if not Path(path).is_file():
        return f"{path} is missing"
    try:
        verified(path, name)
    except InputError as e:
        return str(e).split("; fetch it again", 1)[0]
    return None


def problem(folder):
    """Why ``folder`` does not hold every verified data file, or None."""
    return next(filter(None, (file_problem(Path(folder) / name, name) for name in NEEDED)), None)


def fetched(mirrors):
    """Fetch the data files that ``resources/`` lacks; the reason it failed, or None."""
    for name, (size, sha256) in NEEDED.items():
        dest = RESOURCES / name
        if file_problem(dest, name) is None:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            fetch(sources_for(name, mirrors), dest, size, sha256, timeout=FETCH_TIMEOUT, retries=0)
        except (DownloadError, OSError) as e:
            return " ".join(str(e).splitlines()[:2])  # what failed, and its first source's reason
    return None


def find():
    """(folder holding the verified data, None) or (None, what to do about it)."""
    given = os.environ.get(VARIABLE)
    if given:
        why = problem(given)
        if why is None:
            return Path(given).resolve(), None
        return None, f"{VARIABLE}={given} does not hold the real data: {why}; {HOW}"
    for folder in (SHARED, RESOURCES):
        if folder.is_dir() and problem(folder) is None:
            return folder, None
    mirrors = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["mirrors"]
    why = fetched(mirrors)
    if why is None:
        return RESOURCES, None
    return None, f"real MNIST and weights not found, and fetching them failed ({why}); {HOW}"
