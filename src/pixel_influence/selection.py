"""MNIST images chosen by rules (``sample_selection``), each the sample ``<split>-<index>``.

A rule is a mapping: ``split`` (train or test, required) and any of ``indices`` (``{start,
stop}``: the images start to stop - 1, either end left out meaning the split's own),
``label`` (a digit or a list of digits: the images with that label), ``misclassified``
(true: the images the book's network predicts as another digit than their label; false:
those it predicts right) and ``first`` (at most the first N of what is left, in index
order). Every image a rule keeps becomes the sample ``test-00018`` with the spec ``{split:
test, index: 18}``, exactly what the same entry written by hand in ``samples`` gives.

The labels and the predictions are needed when the config is read, before any job runs:
``MnistData`` reads them from the files the download rule writes (``resources/mnist/...``,
``resources/dlfs/sample_weight.pkl``), each checked against its sha256 as the jobs do, and
fetches a missing one there first, from the mirrors or the local mirror, as the download job
would. A rule of indices and ``first`` alone needs no data.
"""

import gzip
import os
import zlib
from typing import NamedTuple

import numpy as np

from .download import FILES, WEIGHTS, DownloadError, fetch, sources_for, verified
from .errors import InputError
from .keypaths import shown, where
from .mnist import SPLITS, parse_idx
from .network import forward, load_pickle
from .samples import SPLIT_SIZES

__all__ = [
    "KEY",
    "PREDICTION_BATCH",
    "Choice",
    "MnistData",
    "chosen",
    "expand",
    "needs",
    "predictions",
    "rule_problems",
    "sample_name",
]

KEY = "sample_selection"
PREDICTION_BATCH = 2000  # images per forward pass: 12.5 MB of float64 pixels at a time
RESOURCES = "resources"  # the download rule's folder (workflow/rules/data.smk)
# the arrays of a verified file, by what they are and the sha256 of the files they come
# from: a file's bytes are fixed by its sha256, so its arrays are too
_ARRAYS = {}


def sample_name(split, index):
    """``test-00018``: the split and the index, five digits (the train split has 60,000)."""
    return f"{split}-{index:05d}"


def needs(rule):
    """What a rule needs besides the split sizes: ``()``, ``("labels",)`` or ``("labels",
    "predictions")``."""
    if "misclassified" in rule:
        return ("labels", "predictions")
    return ("labels",) if "label" in rule else ()


def _bounds(rule):
    """(start, stop) of the images a rule looks at, its ``indices`` or the whole split."""
    indices = rule.get("indices") or {}
    size = SPLIT_SIZES[rule["split"]]
    return indices.get("start", 0), indices.get("stop", size)


def rule_problems(rule, position):
    """What is wrong with the index range of a schema-valid ``rule``, the ``position``-th of
    ``sample_selection``, beyond what the schema says: an end beyond the split, or a range
    without any image. Needs no data."""
    split, size = rule["split"], SPLIT_SIZES[rule["split"]]
    indices = rule.get("indices")
    if indices is None:
        return []
    at = (KEY, position, "indices")
    start, stop = _bounds(rule)
    found = []
    if start >= size:
        found.append(
            f"{where(at + ('start',))}: {start} is beyond the last image of the {split} split "
            f"({size - 1}); the images are 0..{size - 1}"
        )
    if stop > size:
        found.append(
            f"{where(at + ('stop',))}: {stop} is beyond the {size} images of the {split} "
            f"split; stop is the first index not taken, at most {size} (or left out: to the end)"
        )
    if not found and start >= stop:
        found.append(
            f"{where(at)}: start {start} is not below stop {stop}, so the range holds no image; "
            "stop is the first index not taken: {start: 10, stop: 20} is the images 10 to 19"
        )
    return found


def _labels_text(label):
    labels = label if isinstance(label, list) else [label]
    if len(labels) == 1:
        return f"label {labels[0]}"
    return "label " + ", ".join(map(str, labels[:-1])) + f" or {labels[-1]}"


class Choice(NamedTuple):
    """What a rule keeps: its ``indices`` (ascending ints), how many images matched before
    ``first`` cut them (``matches``), and the images left after each filter (``funnel``:
    (what, count), in the order the filters apply)."""

    indices: list
    matches: int
    funnel: list


def chosen(rule, labels=None, predicted=None):
    """The images a schema-valid ``rule`` without ``rule_problems`` keeps (``Choice``), given
    the labels of its split and the network's predictions (each an array of one digit per
    image, needed only as ``needs`` says)."""
    split = rule["split"]
    start, stop = _bounds(rule)
    keep = np.ones(stop - start, dtype=bool)
    whole = (start, stop) == (0, SPLIT_SIZES[split])
    funnel = [(f"the {split} split's {stop - start} images", stop - start)]
    if not whole:
        funnel = [(f"{split} images {start} to {stop - 1}", stop - start)]
    if "label" in rule:
        wanted = rule["label"] if isinstance(rule["label"], list) else [rule["label"]]
        keep &= np.isin(labels[start:stop], wanted)
        funnel.append((f"with {_labels_text(rule['label'])}", int(keep.sum())))
    if "misclassified" in rule:
        wrong = predicted[start:stop] != labels[start:stop]
        keep &= wrong if rule["misclassified"] else ~wrong
        what = "misclassified" if rule["misclassified"] else "classified right"
        funnel.append((f"{what} by the network", int(keep.sum())))
    indices = (np.flatnonzero(keep) + start).tolist()  # ints, as a hand-written index
    return Choice(indices[: rule.get("first", len(indices))], len(indices), funnel)


def _empty(position, choice):
    """The message of a rule that keeps no image, naming each filter's count."""
    (what, count), *steps = choice.funnel
    story = f"{what}"
    for what, count in steps:
        story += f", {count} of them {what}" if count else f", none of them {what}"
    return f"{where((KEY, position))}: selects no image: of {story}; widen the rule or remove it"


def _note(position, rule, choice):
    """One line saying what a rule selected, e.g. for the log."""
    names = [sample_name(rule["split"], i) for i in choice.indices]
    span = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
    count = f"{len(names)} sample" + ("s" if len(names) != 1 else "")
    text = f"{where((KEY, position))}: {count} ({span})"
    first = rule.get("first")
    if first is not None and choice.matches > first:
        text += f", the first {first} of {choice.matches} that match"
    elif first is not None and choice.matches < first:
        text += f", all that match (first: {first} takes up to {first})"
    return text


def _one_line(text):
    """A message of several lines (``download.fetch``'s) as one line: the lines "a:", "  b"
    and "c" become "a: b; c"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        out += (" " if out.endswith(":") else "; ") + line
    return out


def _data_problem(position, rule, data):
    """(labels, predictions, None) of the rule's split, or (None, None, a message naming
    the key that needs what could not be had)."""
    split = rule["split"]
    wanted = needs(rule)
    try:
        labels = data.labels(split) if wanted else None
        predicted = data.predictions(split) if "predictions" in wanted else None
    except InputError as e:
        reason = _one_line(str(e))
        if "predictions" in wanted:
            key, what = "misclassified", f"the {split} images, their labels and the weights"
        else:
            key, what = "label", f"the {split} labels"
        return None, None, f"{where((KEY, position, key))}: needs {what}: {reason}"
    return labels, predicted, None


def expand(rules, data):
    """The samples of the schema-valid list ``rules`` as (label, name, spec) in rule order,
    each rule's images in index order; the problems (an index range beyond the split or
    empty, data that cannot be had, a rule that keeps no image); and one note per rule
    saying what it selected (``_note``). ``data``: the labels and predictions of a split
    (``MnistData``), asked for only by rules that need them. The same image selected by
    two rules is given twice, with the same name and spec."""
    entries, found, notes = [], [], []
    for position, rule in enumerate(rules):
        problems = rule_problems(rule, position)
        if not problems:
            labels, predicted, problem = _data_problem(position, rule, data)
            problems = [problem] if problem else []
        if problems:
            found += problems
            continue
        choice = chosen(rule, labels, predicted)
        if not choice.indices:
            found.append(_empty(position, choice))
            continue
        notes.append(_note(position, rule, choice))
        for index in choice.indices:
            name = sample_name(rule["split"], index)
            label = f"{where((KEY, position))} (sample {shown(name)})"
            entries.append((label, name, {"split": rule["split"], "index": index}))
    return entries, found, notes


def predictions(params, images, batch=PREDICTION_BATCH):
    """The digit the network predicts for each image (uint8 (n, 28, 28)): the largest a3,
    pixels normalised as the accuracy job does (``network.accuracy``: float32 / 255)."""
    out = np.empty(len(images), dtype=np.uint8)
    for start in range(0, len(images), batch):
        x = images[start : start + batch].reshape(-1, 784).astype(np.float32) / np.float32(255)
        out[start : start + batch] = forward(params, x)["a3"].argmax(axis=1)
    return out


class MnistData:
    """The labels of each split and the network's predictions, from the download rule's
    files under ``<workdir>/resources/`` (the current folder unless ``workdir``), each
    verified by its sha256; a missing file is fetched there first by ``download.fetch``
    from ``sources_for(name, mirrors, local_mirror)``, with the download jobs' ``timeout``
    and ``retries``, so that those jobs find it done. A file's arrays are read once per
    process. Every failure is an ``InputError`` saying what and why, also when asked again."""

    def __init__(self, workdir=None, local_mirror=None, mirrors=None, timeout=60.0, retries=2):
        self.workdir = workdir
        self.local_mirror = local_mirror
        self.mirrors = mirrors or {}
        self.timeout = timeout
        self.retries = retries
        self._failed = {}  # name -> the InputError it gave

    @classmethod
    def from_config(cls, config, workdir=None):
        """The data as a config with its defaults filled in (``local_mirror``, ``mirrors``,
        ``download``) says to fetch it."""
        settings = config.get("download") or {}
        return cls(
            workdir,
            config.get("local_mirror"),
            config.get("mirrors"),
            settings.get("timeout", 60.0),
            settings.get("retries", 2),
        )

    def path(self, name):
        """Where the download rule writes ``name`` (as in ``download.FILES``)."""
        path = os.path.join(RESOURCES, *name.split("/"))
        return path if self.workdir is None else os.path.join(self.workdir, path)

    def _bytes(self, name):
        """The verified bytes of ``name``, fetched first when missing."""
        if name in self._failed:
            raise self._failed[name]
        path = self.path(name)
        try:
            if not os.path.lexists(path):
                size, sha256 = FILES[name]
                group = name.split("/")[0]
                sources = sources_for(name, {group: self.mirrors.get(group, [])}, self.local_mirror)
                fetch(sources, path, size, sha256, self.timeout, self.retries)
            try:
                with open(path, "rb") as f:
                    data = f.read(FILES[name][0] + 1)
            except OSError as e:
                raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
            try:
                verified(path, name, data)
            except InputError as e:
                why = str(e).split("; fetch it again", 1)[0]
                raise InputError(f"{why}; delete it, and it is fetched again") from None
        except (InputError, DownloadError) as e:
            self._failed[name] = InputError(str(e))
            raise self._failed[name] from None
        return data

    def _idx(self, name, kind, split):
        """The array of the IDX file ``name``, its bytes verified."""
        path = self.path(name)
        try:
            array = parse_idx(gzip.decompress(self._bytes(name)), kind, source=path)
        except (OSError, EOFError, zlib.error) as e:
            raise InputError(f"{path}: not a readable gzip file ({e})") from None
        if len(array) != SPLIT_SIZES[split]:
            raise InputError(
                f"{path}: {len(array)} {kind}, expected {SPLIT_SIZES[split]} for the {split} split"
            )
        return array

    def labels(self, split):
        """The label of each image of ``split``: uint8, one per image."""
        name = f"mnist/{SPLITS[split][1]}"
        key = ("labels", FILES[name][1])
        if key in _ARRAYS:
            self._bytes(name)  # the file is still the verified one
        else:
            _ARRAYS[key] = self._idx(name, "labels", split)
        return _ARRAYS[key]

    def predictions(self, split):
        """The digit the network predicts for each image of ``split`` (``predictions``)."""
        name = f"mnist/{SPLITS[split][0]}"
        key = ("predictions", FILES[name][1], FILES[WEIGHTS][1])
        weights = self._bytes(WEIGHTS)
        if key in _ARRAYS:
            self._bytes(name)  # the file is still the verified one
        else:
            params = load_pickle(weights, source=self.path(WEIGHTS))
            _ARRAYS[key] = predictions(params, self._idx(name, "images", split))
        return _ARRAYS[key]
