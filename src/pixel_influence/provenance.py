"""What shaped each result, as stable records: writers store them, readers compare them.

A reader must know that a file holds what it is asked for: the sample its name says, made
from the content its source has now (a PNG's sha256), with the methods, layers and settings
the config asks for. ``differences`` says what differs; ``rerun_hint`` gives the command
that re-creates a file.
"""

import json
import re

from . import samples
from .download import FILES, WEIGHTS
from .errors import InputError
from .files import sha256_of
from .methods import parameters_of

__all__ = [
    "current_source",
    "differences",
    "influence_expected",
    "influence_settings",
    "read_source",
    "rerun_hint",
    "sample_source",
    "short",
    "source_text",
]

SOURCE_MEANING = (
    "the source of a sample as the workflow last saw it: its config entry and, for a PNG, "
    "the sha256 of its bytes; rewritten only when that changes, so its modification time "
    "tells Snakemake when the sample's results are out of date, whatever the PNG's own"
)


def sample_source(name, spec):
    """{sample, source[, png_sha256]}: what a sample's results are computed from."""
    record = {"sample": name, "source": spec}
    if samples.kind(spec) == "png":
        record["png_sha256"] = sha256_of(spec["png"])
    return record


def source_text(record):
    """The text of a sample's source stamp (``results/samples/<name>.json``)."""
    return json.dumps({"meaning": SOURCE_MEANING, **record}, indent=1, sort_keys=True) + "\n"


def current_source(name, spec, stamp):
    """The sample's source now (``sample_source``), which must be what the workflow saw when
    it started, as its stamp says: a PNG edited while the workflow runs would otherwise be
    computed without a word, under a stamp that describes another."""
    source = sample_source(name, spec)
    if source != read_source(stamp):
        raise InputError(
            f"config.samples.{name}: its source changed while the workflow ran ({stamp} "
            "describes another); run the workflow again"
        )
    return source


def influence_settings(
    spec, layers, methods, method_parameters, faithfulness, dtype, interactions=None
):
    """The settings that shape a sample's influence file (its ``config`` attribute);
    ``interactions``: the config's section, None for none (and then no key)."""
    settings = {
        "sample": spec,
        "layers": list(layers),
        "methods": list(methods),
        "method_parameters": {m: parameters_of(m, method_parameters) for m in methods},
        "faithfulness": dict(faithfulness),
        "influence_dtype": dtype,
    }
    if interactions is not None:
        settings["interactions"] = json.loads(json.dumps(interactions))
    return settings


def read_source(path):
    """A sample's source stamp as written by ``source_text``, without its meaning."""
    try:
        record = json.loads(open(path, encoding="utf-8").read())
    except (OSError, ValueError) as e:
        raise InputError(
            f"{path}: not a readable source stamp ({e}); run the workflow again"
        ) from None
    if not isinstance(record, dict):
        raise InputError(f"{path}: not a source stamp; run the workflow again")
    record.pop("meaning", None)
    return record


def influence_expected(name, source, settings, weights_sha256=FILES[WEIGHTS][1]):
    """The root attributes of a sample's influence file as the config asks for it:
    ``source`` from ``sample_source``, ``settings`` from ``influence_settings``,
    ``weights_sha256`` the network's file (by default the book's download)."""
    expected = {
        "sample": name,
        "config": settings,
        "weights_sha256": weights_sha256,
    }
    if "png_sha256" in source:
        expected["png_sha256"] = source["png_sha256"]
    return expected


def rerun_hint(path):
    """How to re-create a result file of the workflow."""
    return f"re-create it with: snakemake --cores 8 --forcerun {path}"


def _flat(value, prefix=""):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flat(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return value


SHA256 = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{52}\b")


def short(value):
    """A value as text with sha256 digests cut to 12 hex digits."""
    return SHA256.sub(r"\1…", str(value))


def differences(recorded, expected):
    """What ``recorded`` (a file's attributes) says differently from ``expected``, as
    phrases; [] if they agree. A JSON text (``config``) is compared key by key."""
    found = []
    for key, want in expected.items():
        have = _plain(recorded.get(key))
        if isinstance(want, dict):  # a JSON record stored as text
            try:
                have = json.loads(have) if isinstance(have, str) else None
            except ValueError:
                have = None
            if not isinstance(have, dict):
                found.append(f"has no readable {key} attribute")
                continue
            mine, theirs = dict(_flat(have)), dict(_flat(want))
            for name in sorted(set(mine) | set(theirs)):
                if mine.get(name, "<none>") != theirs.get(name, "<none>"):
                    found.append(
                        f"was made with {key}.{name} = {json.dumps(mine.get(name))}, not "
                        f"{json.dumps(theirs.get(name))}"
                    )
        elif have is None:
            found.append(f"has no {key} attribute")
        elif have != want:
            if isinstance(want, list) and isinstance(have, list):
                extra = [short(v) for v in have if v not in want]
                missing = [short(v) for v in want if v not in have]
                found.append(
                    f"has {key} {', '.join(extra) or 'in another order'}"
                    + (f" where it should have {', '.join(missing)}" if missing else "")
                )
            elif key == "sample":
                found.append(f"holds sample {have!r}, not {want!r}")
            elif key.endswith("sha256"):
                found.append(
                    f"was made from other data ({key} {str(have)[:12]}…, not {want[:12]}…)"
                )
            else:
                found.append(f"has {key} {have!r}, not {want!r}")
    return found
