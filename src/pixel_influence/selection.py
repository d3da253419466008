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
import re
import zlib
from typing import NamedTuple

import numpy as np

from .datasets import FILE_NAMES, MNIST, ROLES, SPLIT_ROLES, DataFile, Dataset, class_count, known
from .download import FILES, WEIGHTS, DownloadError, fetch, sources_for, verified
from .errors import InputError
from .files import sha256_of
from .keypaths import shown, where
from .mnist import idx_count, parse_idx
from .network import forward, load_pickle

__all__ = [
    "KEY",
    "PREDICTION_BATCH",
    "Choice",
    "MnistData",
    "chosen",
    "dataset_of",
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


def _bounds(rule, sizes):
    """(start, stop) of the images a rule looks at, its ``indices`` or the whole split."""
    indices = rule.get("indices") or {}
    size = sizes[rule["split"]]
    return indices.get("start", 0), indices.get("stop", size)


def rule_problems(rule, position, sizes=MNIST.sizes, classes=10):
    """What is wrong with a schema-valid ``rule``, the ``position``-th of
    ``sample_selection``, beyond what the schema says: an end beyond the split (of ``sizes``
    images), a range without any image, a label beyond the ``classes``. Needs no data."""
    split, size = rule["split"], sizes[rule["split"]]
    found = []
    wanted = rule.get("label", [])
    for label in wanted if isinstance(wanted, list) else [wanted]:
        if label >= classes:
            found.append(
                f"{where((KEY, position, 'label'))}: {label} is not a label of the dataset, "
                f"whose {classes} classes are labelled 0..{classes - 1}"
            )
    indices = rule.get("indices")
    if indices is None:
        return found
    at = (KEY, position, "indices")
    start, stop = _bounds(rule, sizes)
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


def chosen(rule, labels=None, predicted=None, sizes=MNIST.sizes):
    """The images a schema-valid ``rule`` without ``rule_problems`` keeps (``Choice``), given
    the labels of its split and the network's predictions (each an array of one class per
    image, needed only as ``needs`` says), of a dataset whose splits hold ``sizes`` images."""
    split = rule["split"]
    start, stop = _bounds(rule, sizes)
    keep = np.ones(stop - start, dtype=bool)
    whole = (start, stop) == (0, sizes[split])
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
    sizes, classes = data.dataset.sizes, class_count(data.dataset)
    for position, rule in enumerate(rules):
        problems = rule_problems(rule, position, sizes, classes)
        if not problems:
            labels, predicted, problem = _data_problem(position, rule, data)
            problems = [problem] if problem else []
        if problems:
            found += problems
            continue
        choice = chosen(rule, labels, predicted, sizes)
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
    """The labels of each split and the network's predictions, from the files of the
    ``dataset`` (MNIST unless given): the download rule's under ``<workdir>/resources/``
    (the current folder unless ``workdir``), or the user's own where they lie, each
    verified by its sha256; a missing download is fetched there first by ``download.fetch``
    from ``sources_for(name, mirrors, local_mirror)``, with the download jobs' ``timeout``
    and ``retries``, so that those jobs find it done. A file's arrays are read once per
    process. Every failure is an ``InputError`` saying what and why, also when asked again."""

    def __init__(
        self, workdir=None, local_mirror=None, mirrors=None, timeout=60.0, retries=2, dataset=None
    ):
        self.workdir = workdir
        self.local_mirror = local_mirror
        self.mirrors = mirrors or {}
        self.timeout = timeout
        self.retries = retries
        self.dataset = MNIST if dataset is None else dataset
        self._failed = {}  # path -> the InputError it gave

    @classmethod
    def from_config(cls, config, workdir=None, dataset=None):
        """The data as a config with its defaults filled in (``local_mirror``, ``mirrors``,
        ``download``) says to fetch it; ``dataset``: the config's (``dataset_of``; a known
        dataset's name is enough, a dataset of the user's is resolved when not given)."""
        settings = config.get("download") or {}
        data = cls(
            workdir,
            config.get("local_mirror"),
            config.get("mirrors"),
            settings.get("timeout", 60.0),
            settings.get("retries", 2),
        )
        if dataset is None:
            dataset = data.resolve(config.get("dataset", "mnist"))
        data.dataset = dataset
        return data

    def path(self, name):
        """Where the download rule writes ``name`` (as in ``download.FILES``)."""
        return self._where(os.path.join(RESOURCES, *name.split("/")))

    def _where(self, path):
        return path if self.workdir is None else os.path.join(self.workdir, path)

    def _file(self, name):
        """The ``DataFile`` of a download (the book's weights, a known dataset's file)."""
        size, sha256 = FILES[name]
        return DataFile(os.path.join(RESOURCES, *name.split("/")), size, sha256, name)

    def _of(self, role):
        """The dataset's file ``role``; a known dataset's as ``download.FILES`` lists it."""
        data_file = self.dataset.files[role]
        if data_file.resource in FILES and data_file.url is None:
            return self._file(data_file.resource)
        return data_file

    def _bytes(self, data_file):
        """The verified bytes of ``data_file``, fetched first when a missing download."""
        path = self._where(data_file.path)
        if path in self._failed:
            raise self._failed[path]
        size, sha256, name = data_file.size, data_file.sha256, data_file.resource
        try:
            if name is not None and not os.path.lexists(path):
                group = name.split("/")[0]
                urls = [data_file.url] if data_file.url else None
                mirrors = {group: self.mirrors.get(group, [])}
                sources = sources_for(name, mirrors, self.local_mirror, urls)
                fetch(sources, path, size, sha256, self.timeout, self.retries)
            try:
                with open(path, "rb") as f:
                    data = f.read() if size is None else f.read(size + 1)
            except FileNotFoundError:
                raise InputError(f"{path}: file does not exist") from None
            except OSError as e:
                raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
            try:
                verified(path, name, data, (size, sha256))
            except InputError as e:
                why = str(e).split("; fetch it again", 1)[0]
                if name is None:  # a file of the user's, changed since it was read
                    why = why.replace("since it was downloaded and verified", "while read")
                    raise InputError(f"{why}; run again") from None
                raise InputError(f"{why}; delete it, and it is fetched again") from None
        except (InputError, DownloadError) as e:
            self._failed[path] = InputError(str(e))
            raise self._failed[path] from None
        return data

    def _idx(self, data_file, kind, split):
        """The array of the IDX file ``data_file``, its bytes verified."""
        path = self._where(data_file.path)
        try:
            data = gzip.decompress(self._bytes(data_file))
        except (OSError, EOFError, zlib.error) as e:
            raise InputError(f"{path}: not a readable gzip file ({e})") from None
        array = parse_idx(data, kind, source=path, classes=class_count(self.dataset))
        size = self.dataset.sizes[split]
        if len(array) != size:
            raise InputError(f"{path}: {len(array)} {kind}, expected {size} for the {split} split")
        return array

    def labels(self, split):
        """The label of each image of ``split``: uint8, one per image."""
        data_file = self._of(SPLIT_ROLES[split][1])
        key = ("labels", data_file.sha256)
        if key in _ARRAYS:
            self._bytes(data_file)  # the file is still the verified one
        else:
            _ARRAYS[key] = self._idx(data_file, "labels", split)
        return _ARRAYS[key]

    def predictions(self, split):
        """The class the book's network predicts for each image of ``split``
        (``predictions``)."""
        data_file = self._of(SPLIT_ROLES[split][0])
        key = ("predictions", data_file.sha256, FILES[WEIGHTS][1])
        weights = self._bytes(self._file(WEIGHTS))
        if key in _ARRAYS:
            self._bytes(data_file)  # the file is still the verified one
        else:
            params = load_pickle(weights, source=self.path(WEIGHTS))
            _ARRAYS[key] = predictions(params, self._idx(data_file, "images", split))
        return _ARRAYS[key]

    def resolve(self, spec):
        """``dataset_of(spec, ...)`` with this data's workdir and download settings."""
        return dataset_of(
            spec, self.workdir, self.mirrors, self.local_mirror, self.timeout, self.retries
        )


def dataset_of(spec, workdir=None, mirrors=None, local_mirror=None, timeout=60.0, retries=2):
    """The ``Dataset`` of a schema-valid ``dataset`` entry: a known one by name, or the
    user's own four IDX files, each a path (its sha256 taken now, checked against the one
    given) or a URL (fetched now into resources/<name>/, verified by its given sha256), its
    split sizes from the IDX headers (images and labels must agree), its labels below the
    number of classes. Problems are ``InputError``s naming the key."""
    if isinstance(spec, str):
        return known(spec)
    name, given = spec["name"], spec.get("sha256") or {}
    data = MnistData(workdir, local_mirror, mirrors, timeout, retries)
    files = {}
    for role in ROLES:
        where_ = f"config.dataset.{role}"
        source = spec[role]
        if re.match(r"(?i)^https?://", source):
            if role not in given:
                raise InputError(
                    f"{where_}: {shown(source)} is a URL: give its sha256 in "
                    f"config.dataset.sha256.{role}, so that the download can be verified"
                )
            filename = source.rstrip("/").rsplit("/", 1)[-1] or FILE_NAMES[role]
            resource = f"{name}/{filename}"
            data_file = DataFile(
                os.path.join(RESOURCES, name, filename), None, given[role], resource, source
            )
            try:
                data._bytes(data_file)  # fetched now: its header names the split's size
            except InputError as e:
                raise InputError(f"{where_}: {e}") from None
        else:
            path = data._where(source)
            try:
                with open(path, "rb") as f:
                    sha256, size = sha256_of(f), f.tell()
            except OSError as e:
                raise InputError(
                    f"{where_}: {shown(source)} cannot be read ({e.strerror or e})"
                ) from None
            if given.get(role, sha256) != sha256:
                raise InputError(
                    f"{where_}: {shown(source)} has sha256 {sha256}, but "
                    f"config.dataset.sha256.{role} says {given[role]}"
                )
            data_file = DataFile(source, size, sha256, None)
        files[role] = data_file
    sizes = {}
    for split, (images, labels) in SPLIT_ROLES.items():
        counts = []
        for role, kind in ((images, "images"), (labels, "labels")):
            try:
                counts.append(idx_count(data._where(files[role].path), kind))
            except InputError as e:
                raise InputError(f"config.dataset.{role}: {e}") from None
        if counts[0] != counts[1]:
            raise InputError(
                f"config.dataset: the {split} split has {counts[0]} images "
                f"({shown(spec[images])}) but {counts[1]} labels ({shown(spec[labels])})"
            )
        if counts[0] == 0:
            raise InputError(f"config.dataset.{images}: the {split} split holds no image")
        sizes[split] = counts[0]
    meaning = f"the dataset {name} (the user's IDX files)"
    return Dataset(name, meaning, files, sizes, tuple(spec["classes"]))
