"""Fetching the data files from mirrors, verified by size and sha256, written atomically."""

import hashlib
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .datasets import KNOWN, known
from .errors import InputError
from .files import CHUNK, atomic_write, crash_point, sha256_of

__all__ = [
    "FILES",
    "WEIGHTS",
    "DownloadError",
    "TooSlow",
    "fetch",
    "sources_for",
    "verified",
]

log = logging.getLogger(__name__)

# path below resources/ (and below a local mirror) -> (bytes, sha256): the four files of
# each known dataset, then the book's weights
FILES = {
    data_file.resource: (data_file.size, data_file.sha256)
    for name in KNOWN
    for data_file in known(name).files.values()
}
FILES["dlfs/sample_weight.pkl"] = (
    181853,
    "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13",
)

# the weights among them, as every reader of the weights names it
WEIGHTS = "dlfs/sample_weight.pkl"

MIN_RATE = 1024  # bytes per second, on average, once the timeout has passed
MAX_UNSIZED = 1 << 31  # bytes taken from a source of a file whose size is not known


class DownloadError(InputError):
    """No source delivered the file with the right checksum."""


def sources_for(name, mirrors, local_mirror=None, urls=None):
    """The ordered sources of resource ``name`` ("group/file").

    With ``local_mirror`` set, the only source is ``<local_mirror>/<group>/<file>``;
    otherwise the file's own ``urls`` when given (a dataset of the user's names each
    file's URL), else each base URL of ``mirrors[group]`` followed by the file name.
    """
    group, _, filename = name.partition("/")
    if local_mirror:
        return [str(Path(local_mirror) / group / filename)]
    if urls:
        return list(urls)
    return [base.rstrip("/") + "/" + filename for base in mirrors[group]]


def _open(source, timeout):
    scheme = urllib.parse.urlsplit(source).scheme
    if scheme in ("http", "https", "file"):
        request = urllib.request.Request(source, headers={"User-Agent": "pixel-influence"})
        return urllib.request.urlopen(request, timeout=timeout)
    return open(source, "rb")  # a plain path: a local mirror


class TooSlow(OSError):
    """The source sends data, but too slowly to finish (a stalled or dripping server)."""


def _copy_verified(source, tmp, size, sha256, timeout, dest, min_rate=MIN_RATE):
    limit = MAX_UNSIZED if size is None else size
    digest = hashlib.sha256()
    written = 0
    start = time.monotonic()
    with _open(source, timeout) as src, open(tmp, "wb") as dst:
        # read1 returns whatever has arrived, so a dripping server is noticed between reads
        read = getattr(src, "read1", src.read)
        while chunk := read(CHUNK):
            written += len(chunk)
            if written > limit:
                what = "the expected" if size is not None else "the most taken,"
                raise DownloadError(f"more than {what} {limit} bytes")
            digest.update(chunk)
            dst.write(chunk)
            crash_point(dest, "partial")
            elapsed = time.monotonic() - start
            if elapsed > timeout and written < min_rate * elapsed:
                raise TooSlow(
                    f"too slow: {written} of {size or 'an unknown number of'} bytes in "
                    f"{elapsed:.0f} s "
                    f"(below {min_rate} bytes/s after the {timeout} s timeout)"
                )
    if size is not None and written != size:
        raise DownloadError(f"got {written} bytes, expected {size}")
    if digest.hexdigest() != sha256:
        raise DownloadError(f"sha256 {digest.hexdigest()} differs from the expected {sha256}")


def _classify(error):
    """(reason, permanent?) of a failed attempt; only transient network errors are retried."""
    if isinstance(error, DownloadError):
        return str(error), True  # wrong bytes
    if isinstance(error, urllib.error.HTTPError):
        permanent = 400 <= error.code < 500 and error.code not in (408, 429)
        return f"HTTP {error.code} {error.reason}", permanent
    if isinstance(error, FileNotFoundError):
        return f"no such file {error.filename}", True
    return str(getattr(error, "reason", None) or error), False


def fetch(sources, dest, size, sha256, timeout=60.0, retries=2, wait=1.0):
    """Copy the first source that delivers ``size`` bytes (any number when None) with
    ``sha256`` to ``dest``.

    Each source is tried up to ``1 + retries`` times (network errors only; a wrong
    checksum moves on at once). The data goes to a temporary file beside ``dest`` that is
    renamed into place only after verification, so no partial or wrong file is ever left
    at ``dest``. Returns the source used; raises ``DownloadError`` naming every failure.
    """
    dest = Path(dest)
    failures = []
    for source in sources:
        for attempt in range(1 + retries):
            try:
                with atomic_write(dest) as tmp:
                    _copy_verified(source, tmp, size, sha256, timeout, dest)
                log.info("%s: verified %d bytes from %s", dest, dest.stat().st_size, source)
                return source
            except (DownloadError, OSError) as e:  # URLError and timeouts are OSErrors
                reason, permanent = _classify(e)
                failures.append(f"{source} (attempt {attempt + 1}): {reason}")
                log.warning("%s: attempt %d at %s failed: %s", dest, attempt + 1, source, reason)
                if permanent:
                    break  # retrying this source cannot help: try the next one
                if attempt < retries:
                    time.sleep(wait * 2**attempt)
    group = dest.parent.name if dest.parent.name not in ("", "dlfs") else "mnist"
    raise DownloadError(
        f"could not obtain {dest.name}:\n  "
        + "\n  ".join(failures)
        + "\nWithout network access, point the workflow at a folder holding the files "
        f"(laid out as {group}/<file>.gz and dlfs/sample_weight.pkl): "
        "snakemake --cores 8 --config local_mirror=DIR"
    )


def verified(path, name, data=None, expected=None):
    """``path``, a downloaded file (``name`` as in ``FILES``), after checking that its size
    and sha256 are still those of the verified download: a file changed since (a flipped
    bit, another version copied over it) must not be read as if it were the real one.
    ``data``: the file's bytes as already read, checked instead of reading it again.
    ``expected``: (size or None, sha256) instead of ``FILES[name]`` (a file of the user's)."""
    size, expected = FILES[name] if expected is None else expected
    if data is None:
        try:
            with open(path, "rb") as f:
                actual = sha256_of(f)
                length = f.tell()
        except OSError as e:
            raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
    else:
        actual, length = hashlib.sha256(data).hexdigest(), len(data)
    if size is None:
        size = length  # only the sha256 is known
    if (length, actual) != (size, expected):
        found = f"{length} bytes" if length != size else f"sha256 {actual}"
        want = f"{size} bytes" if length != size else f"sha256 {expected}"
        raise InputError(
            f"{path}: changed since it was downloaded and verified ({found}, the verified "
            f"file has {want}); fetch it again: snakemake --cores 8 --forcerun {path}"
        )
    return path
