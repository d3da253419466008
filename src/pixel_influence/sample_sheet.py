"""Many samples at once: the rows of a sample sheet, the PNG files of a folder and the MNIST
images of the selection rules, merged with the config's ``samples`` mapping into one mapping
of the same specs.

A sample sheet (``sample_sheet``) is tab-separated UTF-8 text: a header row with the column
``sample`` and any of ``png``, ``split``, ``index`` and ``fill``, then one row per sample
with exactly one source (png; split and index; or fill), an empty cell meaning "not given".
A UTF-8 byte order mark and any line ends (LF, CRLF, CR) are accepted; lines starting with
``#`` and blank lines are skipped. Rows are numbered as the lines of the file (the first
line is row 1), as an editor or a spreadsheet shows them.

A sample folder (``sample_folder``) gives one sample per PNG file in it (``*.png``, any case,
not in subfolders, hidden files left out), named after the file without its extension.

The selection rules (``sample_selection``) are expanded by ``selection.expand``: each image
they keep is the sample ``<split>-<index>``, ``test-00018: {split: test, index: 18}``. An
image that a rule selects under a name already given to the same image (by ``samples``, the
sheet or another rule) is that one sample; the name of another sample is a clash.

Every problem is one message that names the key, the file and the row or file it concerns:
``config.sample_sheet (samples.tsv) row 4 (sample 'x'): ...``.
"""

import os
import re
import stat
from typing import NamedTuple

from . import samples, selection
from .keypaths import SHOWN, shown, where

__all__ = [
    "COLUMNS",
    "MAX_SHEET_BYTES",
    "Entry",
    "folder_entries",
    "gather",
    "merged",
    "path_problem_in",
    "read_folder",
    "read_sheet",
    "sheet_entries",
]

COLUMNS = ("sample", "png", "split", "index", "fill")
SOURCE_COLUMNS = COLUMNS[1:]
# the sources a row may give, each by its columns
SOURCES = (("png", ("png",)), ("split and index", ("split", "index")), ("fill", ("fill",)))
ONE_SOURCE = "give exactly one of png, split and index, or fill"
# a sheet of 100,000 samples is far below this; a larger file is not a sample sheet (an
# MNIST file or a folder of images named by mistake) and is not read into memory
MAX_SHEET_BYTES = 10_000_000
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LINE_END = re.compile(r"\r\n|\r|\n")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# an index of more digits is out of range whatever they are (and int() of more than 4,300
# digits raises)
_MAX_DIGITS = 18


class Entry(NamedTuple):
    """One sample of a sheet, a folder or a selection rule: how messages name it
    (``label``), its name, and its spec as in the ``samples`` mapping (None when a sheet
    row's cells are wrong)."""

    label: str
    name: str
    spec: dict | None


def _path_shown(path):
    """A path as written in a message: as is when it is a short printable text, else as
    ``shown`` writes it (quoted, escaped, cut), so that a message stays one line."""
    if isinstance(path, str) and path.isprintable() and 0 < len(path) <= SHOWN:
        return path
    return shown(path)


def _prefix(key, path):
    return f"{where((key,))} ({_path_shown(path)})"


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _text(data, prefix):
    """The text of a sheet's bytes (a UTF-8 byte order mark dropped), or a message."""
    if data.startswith(UTF16_BOMS):
        return None, (
            f"{prefix}: not UTF-8 text but UTF-16 (it begins with a UTF-16 byte order mark, "
            'as Excel\'s "Unicode Text" writes); save the sheet as UTF-8 text'
        )
    skipped = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        return data[skipped:].decode("utf-8"), None
    except UnicodeDecodeError as e:
        row = len(_LINE_END.split(data[skipped : skipped + e.start].decode("utf-8")))
        return None, (
            f"{prefix} row {row}: not UTF-8 text (byte {skipped + e.start}: {e.reason}); save "
            "the sheet as UTF-8 text"
        )


def _rows(text):
    """(row number, cells) of every line that is neither a comment nor blank."""
    for number, line in enumerate(_LINE_END.split(text), 1):
        if line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if any(cells):
            yield number, cells


def _header(number, cells, line_has_tab):
    """(column name -> position, problems, whether the rows can be read) of a header row."""
    label = f"row {number}"
    positions, found, blocking = {}, [], False
    for i, column in enumerate(cells):
        if not column:
            found.append(
                f"{label}: column {i + 1} has no name; name it ({', '.join(COLUMNS)}) or remove it"
            )
        elif column in positions:
            found.append(
                f"{label}: column {column!r} is given twice (columns {positions[column] + 1} "
                f"and {i + 1})"
            )
            blocking = True
        elif column not in COLUMNS:
            hint = ""
            if column.lower() in COLUMNS:
                hint = f" (column names are written in lower case: {column.lower()!r})"
            elif not line_has_tab and ("," in column or ";" in column):
                hint = " (cells are separated by tabs; is the sheet comma-separated?)"
            found.append(
                f"{label}: unknown column {shown(column)}; the columns are sample, png, split, "
                f"index and fill{hint}"
            )
        else:
            positions[column] = i
    if "sample" not in positions and not blocking:
        found.append(f"{label}: no column 'sample' (the sample names)")
        blocking = True
    if not any(column in positions for column in SOURCE_COLUMNS) and not blocking:
        found.append(f"{label}: no source column: give png, or split and index, or fill")
        blocking = True
    return positions, found, not blocking


def _index(text, split, sizes):
    """(the index, None) or (None, what is wrong) of an index cell, in a dataset whose
    splits hold ``sizes`` images."""
    size = sizes.get(split)
    span = (
        f"0..{size - 1}"
        if size
        else f"0..{sizes['train'] - 1} (train) or 0..{sizes['test'] - 1} (test)"
    )
    if _INTEGER.fullmatch(text):
        value = int(text) if len(text.lstrip("+-")) <= _MAX_DIGITS else None
        if value is not None and (0 <= value < size if size else value >= 0):
            return value, None
        written = shown(text) if value is None else value
        if size:
            return None, f"index {written} is out of range for the {split} split ({span})"
        return None, f"index {written} is out of range ({span})"
    if _DECIMAL.fullmatch(text) and float(text).is_integer():
        return None, (
            f"index {shown(text)} is not a whole number as the sheet means it: write it "
            f"without a decimal point ({int(float(text))})"
        )
    return None, (
        f"index {shown(text)} is not a whole number, expected an integer {span} written "
        "without a decimal point"
    )


def _fill(text):
    """(the value, None) or (None, what is wrong) of a fill cell."""
    if _DECIMAL.fullmatch(text):
        value = float(text) + 0.0  # + 0.0: -0 is 0
        if 0.0 <= value <= 1.0:
            return value, None
        return None, f"fill {shown(text)} is outside [0, 1]"
    hint = "; write the decimal point as '.', not ','" if "," in text else ""
    return None, f"fill {shown(text)} is not a number, expected a value in [0, 1]{hint}"


def _spec(given, sizes):
    """(the spec, []) or (None, what is wrong) of a row's non-empty source cells."""
    kinds = [kind for kind, columns in SOURCES if any(c in given for c in columns)]
    if not kinds:
        return None, ["no source: give png, or split and index, or fill"]
    if len(kinds) > 1:
        cells = ", ".join(f"{column} {shown(value)}" for column, value in given.items())
        return None, [f"more than one source ({cells}): {ONE_SOURCE}"]
    if kinds == ["png"]:
        return {"png": given["png"]}, []
    if kinds == ["fill"]:
        value, problem = _fill(given["fill"])
        return (None, [problem]) if problem else ({"fill": value}, [])
    split, index, found = given.get("split"), given.get("index"), []
    if split is None:
        found.append(f"index {shown(index)} without a split: give split train or test")
    elif split not in sizes:
        found.append(f"split {shown(split)} is not one of train, test")
    if index is None:
        found.append(f"split {shown(split)} without an index: give the image's index")
    else:
        index, problem = _index(index, split, sizes)
        found += [problem] if problem else []
    return (None, found) if found else ({"split": split, "index": index}, [])


def _name_problems(label, name):
    problem = samples.name_problem(name)
    return [f"{label}: {problem}"] if problem else []


def _png_problems(label, spec, path_problem):
    if spec is None or samples.kind(spec) != "png":
        return []
    problem = path_problem(spec["png"])
    return [f"{label}: png {shown(spec['png'])} {problem}"] if problem else []


def sheet_entries(data, path, path_problem=samples.png_path_problem, sizes=samples.SPLIT_SIZES):
    """The samples of a sample sheet's bytes ``data`` (the sheet at ``path``, as the config
    names it) as ``Entry``s in row order, and the problems of its text, its header and each
    row: its cells (an index within ``sizes``, the dataset's split sizes), its name
    (``samples.name_problem``) and its PNG (``path_problem(path)``: what is wrong with it,
    or None).

    A row whose cells are wrong is an Entry with spec None, so that ``merged`` still finds
    its name given twice."""
    prefix = _prefix("sample_sheet", path)
    text, problem = _text(data, prefix)
    if problem:
        return [], [problem]
    rows = list(_rows(text))
    if not rows:
        return [], [
            f"{prefix}: the sheet is empty; expected a header row (sample, and png, split and "
            "index, or fill) and one row per sample"
        ]
    (number, columns), rows = rows[0], rows[1:]
    line = _LINE_END.split(text)[number - 1]
    positions, found, readable = _header(number, columns, "\t" in line)
    found = [f"{prefix} {problem}" for problem in found]
    if not readable:
        return [], found
    if not rows:
        return [], found + [f"{prefix}: no samples, only a header (row {number})"]
    entries = []
    for number, cells in rows:
        at = positions["sample"]
        name = cells[at] if at < len(cells) else ""
        label = f"{prefix} row {number}" + (f" (sample {shown(name)})" if name else "")
        if len(cells) != len(columns):
            found.append(
                f"{label}: {_plural(len(cells), 'cell')}, but the header has "
                f"{_plural(len(columns), 'column')}: separate the cells by one tab each and "
                "leave a cell empty for a value not given"
            )
            continue
        if not name:
            found.append(f"{label}: no sample name (the cell in column 'sample' is empty)")
            continue
        given = {
            column: cells[positions[column]]
            for column in SOURCE_COLUMNS
            if column in positions and cells[positions[column]]
        }
        spec, problems = _spec(given, sizes)
        found += _name_problems(label, name)
        found += [f"{label}: {problem}" for problem in problems]
        found += _png_problems(label, spec, path_problem)
        entries.append(Entry(label, name, spec))
    return entries, found


def folder_entries(folder, names, path_problem=samples.png_path_problem):
    """The samples of the files ``names`` of the folder ``folder`` (as the config names it)
    as ``Entry``s sorted by file name, and the problems: a folder without any PNG file, and
    each file's name (``samples.name_problem``) and path (``path_problem``).

    Every ``*.png`` (any case) that is not hidden is a sample named after the file without
    its extension, its PNG at ``folder/<file>``."""
    prefix = _prefix("sample_folder", folder)
    pngs = sorted(n for n in names if n.lower().endswith(".png") and not n.startswith("."))
    if not pngs:
        hidden = [n for n in names if n.lower().endswith(".png")]
        why = f" ({_plural(len(hidden), 'hidden file')} left out)" if hidden else ""
        return [], [
            f"{prefix}: holds no PNG file (*.png){why}; add some, or write sample_folder: null"
        ]
    entries, found = [], []
    for n in pngs:
        entry = Entry(
            f"{prefix} file {shown(n)}", n[: -len(".png")], {"png": os.path.join(folder, n)}
        )
        found += _name_problems(entry.label, entry.name)
        found += _png_problems(entry.label, entry.spec, path_problem)
        entries.append(entry)
    return entries, found


def _in(workdir, path):
    return path if workdir is None else os.path.join(workdir, path)


def path_problem_in(workdir=None):
    """``samples.png_path_problem`` for paths relative to ``workdir`` (the current folder
    unless given)."""
    if workdir is None:
        return samples.png_path_problem
    return lambda path: samples.png_path_problem(_in(workdir, path))


def read_sheet(path, workdir=None, path_problem=None, sizes=samples.SPLIT_SIZES):
    """``sheet_entries`` of the file at ``path`` (relative to ``workdir``, the current
    folder unless given), or the problem that stops it from being read. ``path_problem``:
    ``path_problem_in(workdir)`` unless given; ``sizes``: the dataset's split sizes."""
    prefix = _prefix("sample_sheet", path)
    full = _in(workdir, path)
    problem = samples.file_problem(full, "a tab-separated sample sheet")
    if problem:
        return [], [f"{prefix}: {problem}"]
    try:
        with open(full, "rb") as f:
            data = f.read(MAX_SHEET_BYTES + 1)
    except OSError as e:
        return [], [f"{prefix}: cannot be read ({e.strerror or e})"]
    if len(data) > MAX_SHEET_BYTES:
        return [], [
            f"{prefix}: larger than {MAX_SHEET_BYTES // 1_000_000} MB, which is no sample "
            "sheet; name the sheet (a tab-separated text file)"
        ]
    return sheet_entries(data, path, path_problem or path_problem_in(workdir), sizes)


def read_folder(folder, workdir=None, path_problem=None):
    """``folder_entries`` of the folder ``folder`` (relative to ``workdir``, the current
    folder unless given), or the problem that stops it from being listed. ``path_problem``:
    ``path_problem_in(workdir)`` unless given."""
    prefix = _prefix("sample_folder", folder)
    full = _in(workdir, folder)
    try:
        info = os.stat(full)
        if not stat.S_ISDIR(info.st_mode):
            return [], [f"{prefix}: is not a folder, expected a folder of PNG files"]
        names = os.listdir(full)
    except FileNotFoundError:
        return [], [f"{prefix}: does not exist"]
    except (OSError, ValueError) as e:  # ValueError: a NUL byte
        return [], [f"{prefix}: cannot be listed ({getattr(e, 'strerror', None) or e})"]
    return folder_entries(folder, names, path_problem or path_problem_in(workdir))


def _chosen(earlier, chosen):
    """The ``chosen`` entries of the selection rules that are new samples, and the problems
    of those that take the name of another sample of ``earlier`` or of an earlier rule (an
    entry whose name and spec an earlier one has is that sample, and left out)."""
    first = {}
    for entry in earlier:
        first.setdefault(entry.name, entry)
    kept, found = [], []
    for entry in chosen:
        other = first.get(entry.name)
        if other is None:
            first[entry.name] = entry
            kept.append(entry)
        elif other.spec is not None and other.spec != entry.spec:
            image = f"{entry.spec['split']} image {entry.spec['index']}"
            found.append(
                f"{entry.label}: selects {image}, whose sample name {shown(entry.name)} is "
                f"the name of {other.label}, another sample ({shown(other.spec)}); rename "
                f"{other.label}, or leave {image} out of the rule"
            )
    return kept, found


def merged(mapping, entries, chosen=()):
    """One mapping of the config's ``samples``, then the ``entries`` of a sheet and a folder
    in their order (the first spec of a name given twice kept), then the ``chosen`` entries
    of the selection rules that are new samples (``_chosen``), and the problems of names
    given twice or differing only in case across all of them, each naming both."""
    given = [Entry(where(("samples", name)), name, spec) for name, spec in mapping.items()]
    chosen, found = _chosen(given + list(entries), chosen)
    entries = list(entries) + chosen
    names = list(mapping) + [entry.name for entry in entries]
    labels = [entry.label for entry in given + entries]
    out = dict(mapping)
    for entry in entries:
        if entry.spec is not None:
            out.setdefault(entry.name, entry.spec)
    return out, found + samples.name_clashes(names, labels)


def gather(config, path_problem=None, workdir=None, data=None, notes=None):
    """Every sample of a checked ``config``: its ``samples``, then the rows of its
    ``sample_sheet``, then the files of its ``sample_folder``, then the images of its
    ``sample_selection``, as one mapping of specs, and the problems of the sheet, the
    folder and the rules, then of names given twice (``merged``).
    Relative paths are relative to ``workdir`` (the current folder unless given);
    ``path_problem``, unless given, is ``path_problem_in(workdir)``. ``data``: the labels
    and predictions the rules may need, ``selection.MnistData.from_config(config, workdir)``
    unless given (read or fetched only when a rule needs them; its dataset's split sizes
    bound the sheet's indices). ``notes``: a list that gets one line per rule saying what it
    selected, for the log. The mapping's own entries are checked by ``samples.check``."""
    entries, found = [], []
    needs_data = config.get("sample_sheet") is not None or config.get(selection.KEY) is not None
    if data is None and needs_data:
        data = selection.MnistData.from_config(config, workdir)
    if config.get("sample_sheet") is not None:
        more, problems = read_sheet(
            config["sample_sheet"], workdir, path_problem, data.dataset.sizes
        )
        entries += more
        found += problems
    if config.get("sample_folder") is not None:
        more, problems = read_folder(config["sample_folder"], workdir, path_problem)
        entries += more
        found += problems
    chosen = []
    if config.get(selection.KEY) is not None:
        more, problems, said = selection.expand(config[selection.KEY], data)
        chosen = [Entry(*entry) for entry in more]
        found += problems
        if notes is not None:
            notes += said
    mapping, problems = merged(config.get("samples") or {}, entries, chosen)
    return mapping, found + problems
