"""``python -m pixel_influence inspect``: the summary of an HDF5 file, its top pixels per node
checked against numpy, and its one-line errors (exit status 2)."""

import ast
import inspect
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from conftest import rewritten_h5

from pixel_influence import faithfulness, h5io, hdf5, inspection, methods, sweep
from pixel_influence.errors import InputError
from pixel_influence.inspection import summary_lines, top_pixels

LAYERS = ["z1", "z3"]
METHODS = ["insertion", "deeplift", "shapley_sampling"]
PARAMETERS = {"shapley_sampling": {"permutations": 16, "seed": 0}}
PIXEL = re.compile(r"\(\s*(\d+),\s*(\d+)\) ([+-]\d\.\d\de[+-]\d\d)")


def a_digit():
    x = np.zeros((28, 28))
    x[6:22, 13:16] = np.linspace(0.2, 1.0, 48).reshape(16, 3)
    x[6:9, 8:20] = 0.7
    return x


def write_sample(path, params, layers=LAYERS, method_names=METHODS, with_curves=True):
    x, zero = a_digit(), np.zeros((28, 28))
    result = methods.compute(params, x, zero, layers, method_names, PARAMETERS)
    curves = None
    if with_curves:
        curves = faithfulness.evaluate(
            params, x, zero, result["maps"], result["value"], result["baseline"], layers
        )
    provenance = {
        "sample": "s",
        "source": json.dumps({"fill": 0.5}),
        "title": "s: a test digit",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "ab" * 32,
        "config": json.dumps({"layers": layers, "methods": method_names, "seed": 0}),
    }
    h5io.write_influence(
        path, result, x, zero, provenance, faithfulness=curves, min_change=1e-3, seed=0
    )
    return result


@pytest.fixture(scope="module")
def sample(tmp_path_factory, random_params):
    path = tmp_path_factory.mktemp("inspect") / "s.h5"
    return path, write_sample(path, random_params)


@pytest.fixture(scope="module")
def classes(tmp_path_factory, random_params):
    """A sweep's classes.h5 of 40 random sparse images, four per class."""
    rng = np.random.default_rng(3)
    images = ((rng.random((40, 28, 28)) < 0.2) * rng.integers(1, 256, (40, 28, 28))).astype(
        np.uint8
    )
    labels = np.arange(40) % 10
    sums = sweep.shard_sums(random_params, images, labels, np.zeros((28, 28)), LAYERS, METHODS[:2])
    path = tmp_path_factory.mktemp("inspect") / "classes.h5"
    provenance = {
        "split": "test",
        "images": 40,
        "weights_sha256": "0" * 64,
        "baseline": "all-zero image",
        "config": "{}",
    }
    h5io.write_classes(path, sums, LAYERS, METHODS[:2], provenance, dtype="float64")
    return path, sums


def section(lines, title):
    """The table rows under ``title`` (a "<method> on <layer>: ..." line), up to a blank
    line; a row's continuation lines (more pixels) joined to it."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        if line.partition("(")[0].strip():
            out.append(line)
        else:
            out[-1] += line
    return out


def parse_row(line):
    """(numbers before the pixels, [(row, col, value)]) of one table row."""
    head, _, _ = line.partition("(")
    numbers = head.replace("*", " ").split()
    pixels = [(int(r), int(c), float(v)) for r, c, v in PIXEL.findall(line)]
    return numbers, pixels


def assert_close_printed(printed, exact):
    """``printed`` is ``exact`` shown with three significant digits."""
    assert float(printed) == pytest.approx(exact, rel=6e-3, abs=1e-300), (printed, exact)


# ---- top pixels -----------------------------------------------------------------------


def test_top_pixels_are_numpys_largest_absolute_values():
    rng = np.random.default_rng(1)
    maps = rng.normal(size=(7, 5, 6)) * 10.0 ** rng.integers(-5, 2, size=(7, 5, 6))
    rows, cols, values = top_pixels(maps, 4)
    order = np.argsort(-np.abs(maps.reshape(7, -1)), axis=1, kind="stable")[:, :4]
    np.testing.assert_array_equal(rows * 6 + cols, order)
    np.testing.assert_array_equal(values, np.take_along_axis(maps.reshape(7, -1), order, axis=1))
    assert values.shape == (7, 4)
    assert np.all(np.abs(values[:, :-1]) >= np.abs(values[:, 1:]))


def test_top_pixels_ties_nan_and_more_pixels_than_there_are():
    maps = np.zeros((2, 2, 2))
    maps[0] = [[1.0, -3.0], [3.0, np.nan]]  # tie of |3|: the lower pixel index first
    rows, cols, values = top_pixels(maps, 10)
    assert rows.shape == (2, 4)
    assert list(zip(rows[0], cols[0], strict=True))[:3] == [(0, 1), (1, 0), (0, 0)]
    assert values[0, :3].tolist() == [-3.0, 3.0, 1.0] and np.isnan(values[0, 3])
    assert values[1].tolist() == [0.0] * 4  # all zero: pixels in index order
    assert list(zip(rows[1], cols[1], strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1)]


# ---- a sample's file ------------------------------------------------------------------


def test_the_top_pixel_and_node_values_match_the_file(sample):
    path, result = sample
    lines = summary_lines(path)
    assert max(map(len, lines)) <= inspection.WIDTH
    with h5py.File(path) as f:
        value, base = f["value/z3"][()], f["baseline/z3"][()]
        for method in METHODS:
            maps = f[f"{method}/z3"][()]
            residual = f[f"{method}/z3_residual"][()]
            rows = section(lines, f"{method} on z3: output probabilities")
            assert len(rows) == 10  # default: the output layer, every node
            for node, line in enumerate(rows):
                numbers, pixels = parse_row(line)
                assert int(numbers[0]) == node
                assert_close_printed(numbers[1], value[node])
                assert_close_printed(numbers[2], value[node] - base[node])
                assert_close_printed(numbers[3], residual[node])
                assert len(pixels) == inspection.TOP
                r, c, v = pixels[0]
                assert (r, c) == divmod(int(np.abs(maps[node]).argmax()), 28)
                assert_close_printed(v, maps[node, r, c])
                sizes = [abs(maps[node, r, c]) for r, c, _ in pixels]
                assert sizes == sorted(sizes, reverse=True)
    predicted = int(np.argmax(result["value"]["z3"]))
    rows = section(lines, "insertion on z3")
    assert rows[predicted].split()[0] == f"{predicted}*"
    assert "* the largest f(x) of z3: the predicted digit" in lines


def test_choosing_method_layer_nodes_and_top(sample):
    path, _ = sample
    lines = summary_lines(path, methods=["deeplift"], layers=["z1"], nodes=["7,3", "41"], top=6)
    assert not any(line.startswith(("insertion on", "shapley_sampling on")) for line in lines)
    rows = section(lines, "deeplift on z1: hidden layer 1 output")
    with h5py.File(path) as f:
        maps = f["deeplift/z1"][()]
    assert [int(parse_row(row)[0][0]) for row in rows] == [7, 3, 41]
    for node, row in zip([7, 3, 41], rows, strict=True):
        pixels = parse_row(row)[1]
        assert len(pixels) == 6
        want = np.argsort(-np.abs(maps[node]).ravel(), kind="stable")[:6]
        assert [r * 28 + c for r, c, _ in pixels] == want.tolist()
        for r, c, v in pixels:
            assert_close_printed(v, maps[node, r, c])
    # more pixels than fit on a line: continuation lines, still at most WIDTH wide
    wide = summary_lines(path, methods=["deeplift"], nodes=[0], top=12, tree=False)
    assert max(map(len, wide)) <= inspection.WIDTH
    assert sum(len(PIXEL.findall(line)) for line in wide) == 12


def test_the_default_layer_is_the_last_without_z3(tmp_path, random_params):
    path = tmp_path / "hidden.h5"
    write_sample(path, random_params, ["z1", "z2"], ["insertion"], with_curves=False)
    lines = summary_lines(path, tree=False)
    rows = section(lines, "insertion on z2: hidden layer 2 output")
    assert len(rows) == 100
    assert not any(line.startswith("insertion on z1") for line in lines)
    assert "* the largest" not in "\n".join(lines)  # no prediction for a hidden layer


def test_the_tree_lists_datasets_attributes_and_scales_compactly(sample):
    path, _ = sample
    lines = summary_lines(path, methods=["insertion"])
    text = "\n".join(lines)
    assert "  weights_sha256: ababababab" in text and "ab" * 32 not in text  # abbreviated
    assert "  config: layers=[z1, z3], methods=[insertion, deeplift, shapley_sampling]" in text
    assert "  source: fill=0.5" in text
    assert re.search(
        r"^image +\{row 28, col 28\} +float64 +\[pixel value / 255\] the input", text, re.M
    )
    assert re.search(
        r"^  z3 +\{node 10, row 28, col 28\} +float32 +\[change of z3\] node: output", text, re.M
    )
    assert re.search(r"^  z3_residual +\{node 10\} +float64", text, re.M)
    assert re.search(r"^shapley_sampling/ +permutations=16 seed=0 — Shapley value", text, re.M)
    assert re.search(r"^deeplift/ .*\n  4 datasets, laid out as in insertion/$", text, re.M)
    assert re.search(r"^  deeplift/ .*\n    8 datasets, laid out as in insertion/$", text, re.M)
    # the index scales (/row, /col, /node_<layer>) on one line, not one dataset each
    (start,) = [i for i, line in enumerate(lines) if line.startswith("dimension scales")]
    scales = lines[start] + lines[start + 1]  # wrapped: a continuation line
    assert lines[start + 1].startswith(" " * 20)
    for name in ("row 28", "col 28", "node_z1 50", "node_z3 10"):
        assert name in scales
    assert not any(re.match(r"^(row|col|node_z3) ", line) for line in lines)
    # the curves' fraction is a scale with values of its own: listed as a dataset
    assert re.search(r"^  fraction +\{step \d+\} +float64", text, re.M)
    assert max(map(len, lines)) <= inspection.WIDTH


def test_full_shows_every_attribute_and_the_attached_scales(sample):
    path, _ = sample
    text = "\n".join(summary_lines(path, full=True, pixels=False))
    assert "ab" * 32 in text
    assert "computed_in: float64" in text and "axes: node, row, col (pixel of the input" in text
    assert "dimension scales: node: /node_z3; row: /row; col: /col" in text
    assert "storage: gzip 4, shuffle, chunks (10, 28, 28)" in text
    assert "DIMENSION_LIST" not in text and "REFERENCE_LIST" not in text
    assert "top pixels" not in text


def _sealed(path):
    """A new HDF5 file with the user block the workflow seals its files in."""
    return h5py.File(path, "w", userblock_size=hdf5.USERBLOCK)


def test_odd_attributes_and_files_without_maps(tmp_path):
    path = tmp_path / "odd.h5"
    with _sealed(path) as f:
        f.attrs["format_version"] = hdf5.FORMAT_VERSION
        f.attrs["raw"] = b"bytes"
        f.attrs["empty"] = np.zeros(0)
        f.attrs["numbers"] = np.arange(100)
        ds = f.create_dataset("data", data=np.ones((3, 4)))
        ds.attrs["ref"] = f["data"].ref
        ds.attrs["axes"] = "a, b"
        f.create_dataset("scalar", data=1.5)
        scale = f.create_dataset("steps", data=[0.0, 0.5, 1.0])
        scale.make_scale("steps")
        f["dangling"] = h5py.SoftLink("/nowhere")
    hdf5.seal(path)
    text = "\n".join(summary_lines(path))
    assert "  raw: bytes" in text and "  numbers: [ 0, 1, 2, ..., 97, 98, 99]" in text
    assert "steps   {3}         float64" in text  # a scale but not an index: a dataset
    text = "\n".join(summary_lines(path, full=True))
    assert "95, 96, 97, 98, 99]" in text
    assert "data    {a 3, b 4}" in text and "ref: <reference>" in text
    assert "scalar  scalar      float64" in text and "dangling  (unresolved link)" in text
    assert "top pixels" not in text
    with pytest.raises(InputError, match="no influence maps to choose from"):
        summary_lines(path, methods=["insertion"])


ODD_ATTRIBUTES = {
    "compound": np.array([(1, 2.5)], dtype=[("a", "i4"), ("b", "f8")]),
    "enum": np.array(1, dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1}, basetype="i1")),
    "nothing": h5py.Empty("f4"),
    "ragged": np.array([np.arange(3), np.arange(5)], dtype=h5py.vlen_dtype(np.dtype("i8"))),
    "complex": np.array([1 + 2j, -3j]),
    "flags": np.array([True, False]),
    "table": np.array([["a", "bb"], ["ccc", "d"]], dtype=h5py.string_dtype()),
    "opaque": np.void(b"\x00\x01\xff"),
    "latin1": np.bytes_(b"caf\xe9"),
    "long": "x" * 5000,
    "layer": 7,
    "axes": np.arange(3),
    "meaning": np.array(["two", "texts"], dtype=h5py.string_dtype()),
    "units": b"\xff\xfe",
}


def test_attributes_and_datasets_of_unexpected_types(tmp_path):
    """Whatever types a file's attributes and datasets have, inspect prints a summary (or
    one InputError) and never a traceback."""
    path = tmp_path / "odd.h5"
    with _sealed(path) as f:
        f.attrs["format_version"] = hdf5.FORMAT_VERSION
        for name, value in ODD_ATTRIBUTES.items():
            f.attrs[name] = value
        g = f.create_group("insertion")
        g.attrs.update({k: v for k, v in ODD_ATTRIBUTES.items() if k != "layer"})
        text = g.create_dataset("z3", data=np.array([["a"] * 28] * 28, dtype="S1")[None])
        text.attrs["layer"] = "z3"  # text where a map should be
        odd = g.create_dataset("z1", data=np.ones((50, 28, 28)))
        odd.attrs.update(ODD_ATTRIBUTES)
        f.create_group("value").create_group("z3")  # a group where node values should be
        g2 = f.create_group("deeplift")
        maps = g2.create_dataset("z3", data=np.ones((10, 28, 28), dtype="f4"))
        maps.attrs["layer"] = "z3"
        g2.create_dataset("z3_residual", data=np.array([b"not", b"numbers"]))
    hdf5.seal(path)
    for options in ({}, {"full": True}, {"methods": ["deeplift"], "nodes": ["1"]}):
        try:
            lines = summary_lines(path, **options)
        except InputError as e:
            assert str(path) in str(e)
        else:
            assert lines[0] == str(path) and "  compound: [(1, 2.5)]" in lines
            assert "  ragged: [0 1 2], [0 1 2 3 4]" in lines and "  table: a, bb, ccc, d" in lines
            assert len(lines) < 200 or options.get("full")  # a long attribute is cut short
    assert "--full shows them all" in "\n".join(summary_lines(path))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"methods": ["lime"]}, "unknown method 'lime'; methods in this file: insertion, deeplift"),
        ({"layers": ["a2"]}, "unknown layer 'a2'; layers in this file: z1, z3"),
        ({"nodes": ["10"]}, "--node 10 is out of range: nodes of z3 0..9"),
        ({"nodes": ["x"]}, "--node 'x' is not an integer (nodes of z3 0..9)"),
        ({"classes": ["1"]}, "--class applies to a sweep's classes.h5"),
        ({"top": 0}, "--top 0: must be at least 1"),
    ],
)
def test_choices_not_in_the_file_are_named(sample, options, message):
    path, _ = sample
    with pytest.raises(InputError) as info:
        summary_lines(path, **options)
    assert message in str(info.value)


# ---- a sweep's classes.h5 -------------------------------------------------------------


def test_classes_default_each_class_on_its_own_digit(classes):
    path, sums = classes
    lines = summary_lines(path, tree=False)
    table = lines[lines.index("class  images  predicted right") + 1 :][:11]
    for c in range(10):
        right = int(sums.confusion[c, c])
        assert table[c].split()[:3] == [str(c), "4", str(right)]
    assert table[10].split()[:3] == ["all", "40", str(int(np.trace(sums.confusion)))]
    with h5py.File(path) as f:
        maps, value = f["deeplift/z3_mean"][()], f["value/z3_mean"][()]
        residual = f["deeplift/z3_residual_mean"][()]
    rows = section(lines, "deeplift on z3")
    assert len(rows) == 10
    for c, row in enumerate(rows):
        numbers, pixels = parse_row(row)
        assert numbers[:2] == [str(c), str(c)]
        assert_close_printed(numbers[2], value[c, c])
        assert_close_printed(numbers[3], residual[c, c])
        r, col, v = pixels[0]
        assert (r, col) == divmod(int(np.abs(maps[c, c]).argmax()), 28)
        assert_close_printed(v, maps[c, c, r, col])


def test_one_class_shows_every_node(classes):
    path, _ = classes
    lines = summary_lines(path, classes=["3"], methods=["insertion"], layers=["z1"], top=2)
    assert "class  images  predicted right" not in lines
    rows = section(lines, "insertion on z1")
    assert [parse_row(row)[0][:2] for row in rows] == [["3", str(n)] for n in range(50)]
    with h5py.File(path) as f:
        maps = f["insertion/z1_mean"][3]
    for n, row in enumerate(rows):
        (r, c, v), _ = parse_row(row)[1]
        assert (r, c) == divmod(int(np.abs(maps[n]).argmax()), 28)
        assert_close_printed(v, maps[n, r, c])
    with pytest.raises(InputError, match="--class 10 is out of range: classes 0..9"):
        summary_lines(path, classes=["10"])


# ---- the command line -----------------------------------------------------------------


def run(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "pixel_influence", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_command_line_prints_the_summary(sample):
    path, _ = sample
    proc = run("inspect", path, "--method", "insertion", "--node", "7", "--top", "2")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == str(path)
    assert "  format_version: 3" in lines and "  sample: s" in lines
    rows = section(lines, "insertion on z3")
    assert len(rows) == 1 and parse_row(rows[0])[0][0] == "7"
    assert len(parse_row(rows[0])[1]) == 2
    assert lines == summary_lines(path, methods=["insertion"], nodes=["7"], top=2)
    quiet = run("inspect", path, "--no-tree", "--no-top")
    assert quiet.returncode == 0 and "groups and datasets" not in quiet.stdout
    assert "top pixels" not in quiet.stdout and "  label: -1" in quiet.stdout


def test_command_line_help():
    proc = run("--help")
    assert proc.returncode == 0 and "inspect" in proc.stdout
    proc = run("inspect", "--help")
    assert proc.returncode == 0
    for option in ("--method", "--layer", "--node", "--class", "--top", "--full", "--no-tree"):
        assert option in proc.stdout
    assert run().returncode == 2  # no command: argparse's usage message


def test_command_line_errors_are_one_line_with_status_2(sample, tmp_path):
    path, _ = sample
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not an HDF5 file" * 8)
    png = tmp_path / "mine.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    old = tmp_path / "old.h5"
    old.write_bytes(path.read_bytes())
    with rewritten_h5(old) as f:
        f.attrs["format_version"] = 4
    damaged = tmp_path / "damaged.h5"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    theirs = tmp_path / "theirs.h5"
    with h5py.File(theirs, "w") as f:
        f["x"] = np.arange(3)
    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    rerun = "if the workflow wrote it, re-create it with: snakemake --cores 8 --forcerun "
    cases = [
        ((tmp_path / "missing.h5",), "missing.h5: no such file"),
        ((tmp_path,), "is a directory"),
        ((fifo,), "pipe.h5: is not a regular file (a pipe, socket or device)"),
        ((junk,), "junk.h5: not an HDF5 file (it starts with b'not an HDF5 file'); inspect reads"),
        ((png,), "mine.png: not an HDF5 file (it starts with b'\\x89PNG"),
        ((theirs,), "theirs.h5: not a file of this workflow: it has no format_version attribute"),
        (
            (old,),
            f"old.h5: format_version 4, this software (pixel_influence 0.1.0) reads version "
            f"3; {rerun}{old}",
        ),
        ((damaged,), "damaged.h5: damaged: its bytes are not those the workflow wrote"),
        ((path, "--method", "lime"), "unknown method 'lime'; methods in this file: insertion,"),
        ((path, "--layer", "a2"), "unknown layer 'a2'; layers in this file: z1, z3"),
        ((path, "--node", "3,12"), "--node 12 is out of range: nodes of z3 0..9"),
        ((path, "--class", "3"), "--class applies to a sweep's classes.h5"),
    ]
    for args, message in cases:
        proc = run("inspect", *args, timeout=30)
        assert proc.returncode == 2, (args, proc.stdout)
        assert proc.stdout == ""
        (line,) = proc.stderr.splitlines()
        assert line.startswith("python -m pixel_influence inspect: error: "), line
        assert message in line, (message, line)
        assert "Traceback" not in proc.stderr
        # a file the user may own (a PNG, an HDF5 file of theirs) is never to be deleted,
        # and no advice to re-create what the workflow did not write
        assert "delete" not in line
        if args[0] in (png, theirs, junk):
            assert "re-create" not in line
    assert run("inspect", damaged).stderr.rstrip().endswith(f"{rerun}{damaged}")


# ---- the layout of the files is named once, in h5io -----------------------------------

LAYOUT_NAMES = {"value", "baseline", "count", "confusion", "image", "image_mean", "faithfulness"}
LAYOUT_NAMES |= {"interactions", "changed", "partner", "shapley_interaction"}
LAYOUT_PARTS = ("_residual", "_mean", "_std", "_auc", "value/", "baseline/", "faithfulness/")
LAYOUT_PARTS += ("interactions/", "pair_node_", "_pairs", "_order1", "_order2", "_pair_strength")
WRITERS = ("write_", "_write_", "_put_moments")


def _layout_strings(node):
    """The string constants under an AST node that name a place in the files (a dataset,
    a group or a part of their names); docstrings, keys of dicts and names of attributes
    (``x.attrs["baseline"]``) left out."""
    other = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body:
            if isinstance(n.body[0], ast.Expr):
                other.add(id(n.body[0].value))
        elif isinstance(n, ast.Dict):
            other.update(id(key) for key in n.keys)
        elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute):
            if n.value.attr == "attrs":
                other.add(id(n.slice))
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in other
        and (n.value.strip("/") in LAYOUT_NAMES or any(p in n.value for p in LAYOUT_PARTS))
    }


def test_inspection_reads_the_layout_only_through_h5io():
    """The top pixels views get their numbers from h5io's accessors: no path of a file of
    the workflow is spelled in inspection.py (its tree walk goes through any file)."""
    source = pathlib.Path(inspection.__file__).read_text(encoding="utf-8")
    for literal in ('_residual"', '_mean"', '["value"]', '["count"]', '"faithfulness"'):
        assert literal not in source
    assert _layout_strings(ast.parse(source)) == set()


def test_h5io_names_each_path_once_on_the_reading_side():
    """Each name of the layout is spelled in one place of h5io apart from its writers (an
    accessor or the constants they share), never in a reader such as read_influence."""
    tree = ast.parse(pathlib.Path(h5io.__file__).read_text(encoding="utf-8"))
    places = {}
    for node in tree.body:
        name = getattr(node, "name", None) or ast.unparse(node)[:60]
        if name.startswith(WRITERS):
            continue
        for text in _layout_strings(node):
            places.setdefault(text, []).append(name)
    assert {"_residual", "_mean", "_auc", "count", "confusion"} <= set(places)
    for text, where in places.items():
        assert len(where) == 1, (text, where)
        assert not where[0].startswith(("read_", "MergedShards")), (text, where)
    for read in (h5io.read_influence, h5io.read_class, h5io.read_faithfulness):
        assert _layout_strings(ast.parse(textwrap.dedent(inspect.getsource(read)))) == set()


def test_a_users_network_is_inspected_with_its_own_layers(tmp_path):
    """A 784-30-10 ReLU network's file: the default layer is its softmax output z2, named
    as the file names it (not the book's hidden z2), with the predicted class."""
    import json

    import numpy as np

    from pixel_influence import __main__ as cli
    from pixel_influence import methods, network

    rng = np.random.default_rng(2)
    params = network.check_network(
        {
            "W1": rng.normal(0, 0.1, (784, 30)),
            "b1": rng.normal(0, 0.1, 30),
            "W2": rng.normal(0, 0.3, (30, 10)),
            "b2": rng.normal(0, 0.1, 10),
            "activation": "relu",
        }
    )
    x = np.zeros((28, 28))
    x[6:22, 12:16] = 1.0
    result = methods.compute(params, x, np.zeros((28, 28)), ["z1", "z2"], ["insertion"])
    path = tmp_path / "mine.h5"
    attrs = {
        "sample": "mine",
        "source": "{}",
        "title": "t",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": json.dumps({}),
    }
    h5io.write_influence(path, result, x, np.zeros((28, 28)), attrs, activation="relu")
    lines = cli.inspect(cli.build_parser().parse_args(["inspect", str(path), "--no-tree"]))
    text = "\n".join(lines)
    assert "insertion on z2: output probabilities: z2 = softmax(a2) (node j is class j)" in text
    lines = cli.inspect(
        cli.build_parser().parse_args(["inspect", str(path), "--no-tree", "--layer", "z1"])
    )
    assert "insertion on z1: hidden layer 1 output: z1 = relu(a1)" in "\n".join(lines)
