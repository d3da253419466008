"""Samples grouped into jobs: a job per sample costs a process and Snakemake's bookkeeping
(about a second), far more than a digit's maps with the cheap methods (tens of
milliseconds), so cheap samples share a job.

The groups are cut by the samples' names, not by their positions (content-defined
chunking, as rsync and backup tools cut files): a sample ends a batch when the hash of its
name falls in one of ``size`` equal ranges, so batches hold ``size`` samples on average,
and adding, removing or moving one sample changes only the batch it joins or leaves (and
the next one when a batch reaches the cap of ``MAX_FACTOR * size``). Every other batch
keeps its members, so its jobs do not run again. The batches are the same on every machine
and in every run: the hash is SHA-256, not Python's salted ``hash``.
"""

import hashlib
import math

__all__ = [
    "MAX_FACTOR",
    "batch_size",
    "batches",
    "ends_batch",
]

MAX_FACTOR = 3  # no batch holds more than this many times the average


def batch_size(sample_seconds, batch_seconds):
    """Samples per batch on average, so that a batch does about ``batch_seconds`` of work
    when each sample takes ``sample_seconds``; 1 (a job per sample) when a sample alone
    takes half of that or more, or when ``batch_seconds`` is 0."""
    if batch_seconds <= 0:
        return 1
    size = math.floor(batch_seconds / max(sample_seconds, 1e-3))
    return size if size >= 2 else 1


def ends_batch(name, size):
    """Whether sample ``name`` closes its batch: its hash falls in one of ``size`` ranges."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % size == 0


def batches(names, size, alone=()):
    """``names`` (in order) cut into batches of ``size`` samples on average: a list of
    lists, in order. A name in ``alone`` (an expensive sample) is a batch of its own and
    closes the batch before it."""
    alone = set(alone)
    out, current = [], []
    for name in names:
        if name in alone:
            if current:
                out.append(current)
                current = []
            out.append([name])
            continue
        current.append(name)
        if size <= 1 or ends_batch(name, size) or len(current) >= MAX_FACTOR * size:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
