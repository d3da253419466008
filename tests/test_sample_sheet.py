"""The sample sheet and the sample folder: the specs they give, in their order, merged with
the ``samples`` mapping, and one message per problem naming the file and the row or file."""

import os
from pathlib import Path

import pytest
from test_selection import Data

from pixel_influence import config as config_checks
from pixel_influence import provenance, sample_sheet, samples
from pixel_influence.sample_sheet import Entry

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = config_checks.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
S = "config.sample_sheet (samples.tsv)"
F = "config.sample_folder (pngs)"
R = "config.sample_selection"
NO_SAMPLES = (
    "config: no samples: give `samples`, `sample_sheet`, `sample_folder` or `sample_selection`"
)


def none(path):
    return None


def sheet(text, path="samples.tsv", path_problem=none):
    return sample_sheet.sheet_entries(text.encode("utf-8"), path, path_problem)


def folder(names, path="pngs", path_problem=none):
    return sample_sheet.folder_entries(path, names, path_problem)


def specs(entries):
    return [(e.name, e.spec) for e in entries]


# ---------------------------------------------------------------------------------------
# the sheet


def test_a_sheet_gives_the_specs_of_the_mapping_in_row_order():
    entries, found = sheet(
        "sample\tpng\tsplit\tindex\tfill\n"
        "mine\tdata/mine.png\t\t\t\n"
        "d7\t\ttest\t0\t\n"
        "white\t\t\t\t1\n"
        "late\t\ttrain\t59999\t\n"
        "gray\t\t\t\t.25\n"
    )
    assert found == []
    assert specs(entries) == [
        ("mine", {"png": "data/mine.png"}),
        ("d7", {"split": "test", "index": 0}),
        ("white", {"fill": 1.0}),
        ("late", {"split": "train", "index": 59999}),
        ("gray", {"fill": 0.25}),
    ]
    # the types the YAML mapping gives: an int index, a float fill
    assert type(entries[1].spec["index"]) is int and type(entries[2].spec["fill"]) is float
    assert [e.label for e in entries][:2] == [
        f"{S} row 2 (sample 'mine')",
        f"{S} row 3 (sample 'd7')",
    ]


def test_columns_in_any_order_and_only_those_needed():
    entries, found = sheet("fill\tsample\n0.5\thalf\n0\tblack\n-0\tzero\n1e-1\ttenth\n")
    assert found == []
    assert specs(entries) == [
        ("half", {"fill": 0.5}),
        ("black", {"fill": 0.0}),
        ("zero", {"fill": 0.0}),
        ("tenth", {"fill": 0.1}),
    ]
    assert str(entries[2].spec["fill"]) == "0.0"  # -0 is 0
    assert specs(sheet("index\tsample\tsplit\n+3\ta\ttest\n007\tb\ttrain\n")[0]) == [
        ("a", {"split": "test", "index": 3}),
        ("b", {"split": "train", "index": 7}),
    ]


def test_bom_crlf_cr_comments_blank_lines_and_spaces_are_accepted():
    """Exported from a spreadsheet (a UTF-8 byte order mark, CRLF line ends, rows of empty
    cells), written on an old Mac (CR), or by hand (comments, blank lines, spaces)."""
    text = (
        "# my samples\r\n"
        "sample\tsplit\tindex\r\n"
        "\r\n"
        "# the digit seven\r\n"
        " d7 \t test\t 0 \r\n"
        "\t\t\r\n"
        "d2\ttest\t1\r\n"
    )
    expected = [("d7", {"split": "test", "index": 0}), ("d2", {"split": "test", "index": 1})]
    for data in (
        text.encode(),
        b"\xef\xbb\xbf" + text.encode(),
        text.replace("\r\n", "\r").encode(),
        text.replace("\r\n", "\n").encode(),
    ):
        entries, found = sample_sheet.sheet_entries(data, "samples.tsv")
        assert found == [] and specs(entries) == expected
        # rows are the lines of the file, comments and blank lines counted
        assert [e.label for e in entries] == [
            f"{S} row 5 (sample 'd7')",
            f"{S} row 7 (sample 'd2')",
        ]


HEADER = "sample\tpng\tsplit\tindex\tfill\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "",
            f"{S}: the sheet is empty; expected a header row (sample, and png, split and index, "
            "or fill) and one row per sample",
        ),
        ("# nothing\n\n\t\n", f"{S}: the sheet is empty; expected a header row"),
        (HEADER, f"{S}: no samples, only a header (row 1)"),
        ("# a comment\nsample\tfill\n\n", f"{S}: no samples, only a header (row 2)"),
        ("png\tfill\na.png\t\n", f"{S} row 1: no column 'sample' (the sample names)"),
        ("sample\nw\n", f"{S} row 1: no source column: give png, or split and index, or fill"),
        (
            "sample\tfill\tfill\nw\t1\t0\n",
            f"{S} row 1: column 'fill' is given twice (columns 2 and 3)",
        ),
        (
            "sample\tfill\tcolour\nw\t1\tred\n",
            f"{S} row 1: unknown column 'colour'; the columns are sample, png, split, index and "
            "fill",
        ),
        (
            "Sample\tfill\nw\t1\n",
            f"{S} row 1: unknown column 'Sample'; the columns are sample, png, split, index and "
            "fill (column names are written in lower case: 'sample')",
        ),
        (
            "sample,fill\nw,1\n",
            f"{S} row 1: unknown column 'sample,fill'; the columns are sample, png, split, "
            "index and fill (cells are separated by tabs; is the sheet comma-separated?)",
        ),
        (
            "sample\tfill\t\nw\t1\t\n",
            f"{S} row 1: column 3 has no name; name it (sample, png, split, index, fill) or "
            "remove it",
        ),
        (
            HEADER + "w\t\t\t\t1\t\n",
            f"{S} row 2 (sample 'w'): 6 cells, but the header has 5 columns: separate the "
            "cells by one tab each and leave a cell empty for a value not given",
        ),
        (
            HEADER + "mine\tmine.png\n",
            f"{S} row 2 (sample 'mine'): 2 cells, but the header has 5 columns: separate",
        ),
        ("sample\tfill\nw\n", f"{S} row 2 (sample 'w'): 1 cell, but the header has 2 columns"),
        (
            HEADER + "\tmine.png\t\t\t\n",
            f"{S} row 2: no sample name (the cell in column 'sample' is empty)",
        ),
        (
            HEADER + "w\t\t\t\t\n" + "x\t\t\t\t\n",  # not blank: the name is given
            f"{S} row 2 (sample 'w'): no source: give png, or split and index, or fill",
        ),
        (
            HEADER + "w\ta.png\t\t\t0.5\n",
            f"{S} row 2 (sample 'w'): more than one source (png 'a.png', fill '0.5'): give "
            "exactly one of png, split and index, or fill",
        ),
        (
            HEADER + "w\t\ttest\t3\t1\n",
            f"{S} row 2 (sample 'w'): more than one source (split 'test', index '3', fill "
            "'1'): give exactly one of png, split and index, or fill",
        ),
        (
            HEADER + "d\t\ttest\t\t\n",
            f"{S} row 2 (sample 'd'): split 'test' without an index: give the image's index",
        ),
        (
            HEADER + "d\t\t\t3\t\n",
            f"{S} row 2 (sample 'd'): index '3' without a split: give split train or test",
        ),
        (
            HEADER + "d\t\tvalid\t3\t\n",
            f"{S} row 2 (sample 'd'): split 'valid' is not one of train, test",
        ),
        (
            HEADER + "d\t\tTest\t3\t\n",
            f"{S} row 2 (sample 'd'): split 'Test' is not one of train, test",
        ),
        (
            HEADER + "d\t\ttest\t3.0\t\n",
            f"{S} row 2 (sample 'd'): index '3.0' is not a whole number as the sheet means it: "
            "write it without a decimal point (3)",
        ),
        (
            HEADER + "d\t\ttest\t1e3\t\n",
            f"{S} row 2 (sample 'd'): index '1e3' is not a whole number as the sheet means it: "
            "write it without a decimal point (1000)",
        ),
        (
            HEADER + "d\t\ttest\t3.5\t\n",
            f"{S} row 2 (sample 'd'): index '3.5' is not a whole number, expected an integer "
            "0..9999 written without a decimal point",
        ),
        (
            HEADER + "d\t\ttest\tseven\t\n",
            f"{S} row 2 (sample 'd'): index 'seven' is not a whole number, expected an "
            "integer 0..9999 written without a decimal point",
        ),
        (
            HEADER + "d\t\ttest\t1_000\t\n",
            f"{S} row 2 (sample 'd'): index '1_000' is not a whole number, expected an "
            "integer 0..9999",
        ),
        (
            HEADER + "d\t\ttest\t10000\t\n",
            f"{S} row 2 (sample 'd'): index 10000 is out of range for the test split (0..9999)",
        ),
        (
            HEADER + "d\t\ttrain\t60000\t\n",
            f"{S} row 2 (sample 'd'): index 60000 is out of range for the train split (0..59999)",
        ),
        (
            HEADER + "d\t\ttest\t-1\t\n",
            f"{S} row 2 (sample 'd'): index -1 is out of range for the test split (0..9999)",
        ),
        (
            HEADER + "d\t\ttest\t" + "9" * 5000 + "\t\n",
            f"{S} row 2 (sample 'd'): index '" + "9" * 59 + "... (5000 characters) is out of "
            "range for the test split (0..9999)",
        ),
        (
            HEADER + "w\t\t\t\t1.5\n",
            f"{S} row 2 (sample 'w'): fill '1.5' is outside [0, 1]",
        ),
        (
            HEADER + "w\t\t\t\t-0.1\n",
            f"{S} row 2 (sample 'w'): fill '-0.1' is outside [0, 1]",
        ),
        (
            HEADER + "w\t\t\t\t1e400\n",
            f"{S} row 2 (sample 'w'): fill '1e400' is outside [0, 1]",
        ),
        (
            HEADER + "w\t\t\t\tnan\n",
            f"{S} row 2 (sample 'w'): fill 'nan' is not a number, expected a value in [0, 1]",
        ),
        (
            HEADER + "w\t\t\t\t0,5\n",
            f"{S} row 2 (sample 'w'): fill '0,5' is not a number, expected a value in [0, 1]; "
            "write the decimal point as '.', not ','",
        ),
    ],
)
def test_each_problem_of_a_sheet_names_its_row(text, expected):
    entries, found = sheet(text)
    assert any(message.startswith(expected) for message in found), found
    assert all(message.startswith(S) and message.isprintable() for message in found), found


def test_every_problem_of_a_sheet_at_once():
    """Each row is checked; a row whose cells are wrong still has its name checked (as an
    Entry without a spec), and the rows that are right give their specs."""
    entries, found = sheet(
        "sample\tsplit\tindex\tfill\tcolour\n"
        "ok\ttest\t5\t\tred\n"
        "bad\ttest\t3.0\t\t\n"
        "worse\tvalid\tx\t\t\n"
        "short\t1\n"
    )
    assert found == [
        f"{S} row 1: unknown column 'colour'; the columns are sample, png, split, index and fill",
        f"{S} row 3 (sample 'bad'): index '3.0' is not a whole number as the sheet means it: "
        "write it without a decimal point (3)",
        f"{S} row 4 (sample 'worse'): split 'valid' is not one of train, test",
        f"{S} row 4 (sample 'worse'): index 'x' is not a whole number, expected an integer "
        "0..59999 (train) or 0..9999 (test) written without a decimal point",
        f"{S} row 5 (sample 'short'): 2 cells, but the header has 5 columns: separate the "
        "cells by one tab each and leave a cell empty for a value not given",
    ]
    assert specs(entries) == [("ok", {"split": "test", "index": 5}), ("bad", None), ("worse", None)]


def test_bytes_that_are_not_utf8_are_named_with_their_row():
    entries, found = sample_sheet.sheet_entries(
        "sample\tpng\nmine\t".encode() + b"caf\xe9.png\n", "samples.tsv", none
    )
    assert found == [
        f"{S} row 2: not UTF-8 text (byte 19: invalid continuation byte); save the sheet as "
        "UTF-8 text"
    ]
    assert entries == []
    # after a byte order mark, the byte is counted in the file
    _, found = sample_sheet.sheet_entries(b"\xef\xbb\xbf\xff", "samples.tsv")
    assert found == [
        f"{S} row 1: not UTF-8 text (byte 3: invalid start byte); save the sheet as UTF-8 text"
    ]
    _, found = sample_sheet.sheet_entries("sample\tfill\n".encode("utf-16"), "samples.tsv")
    assert found == [
        f"{S}: not UTF-8 text but UTF-16 (it begins with a UTF-16 byte order mark, as Excel's "
        '"Unicode Text" writes); save the sheet as UTF-8 text'
    ]


def test_an_odd_sheet_path_is_shown_on_one_line():
    _, found = sheet("", path="a\nb.tsv")
    assert found[0].startswith("config.sample_sheet ('a\\nb.tsv'): the sheet is empty")
    _, found = sheet("", path="x" * 500)
    assert found[0].startswith("config.sample_sheet ('" + "x" * 59 + "... (500 characters))")


# ---------------------------------------------------------------------------------------
# the folder


def test_a_folder_gives_one_png_sample_per_file_sorted_by_name():
    names = ["b.png", "A.PNG", "notes.txt", ".hidden.png", "a.Png", "c.png.bak", "d.jpg"]
    entries, found = folder(names)
    assert found == []
    assert entries == [
        Entry(f"{F} file 'A.PNG'", "A", {"png": os.path.join("pngs", "A.PNG")}),
        Entry(f"{F} file 'a.Png'", "a", {"png": os.path.join("pngs", "a.Png")}),
        Entry(f"{F} file 'b.png'", "b", {"png": os.path.join("pngs", "b.png")}),
    ]
    assert specs(folder(["x.png"], "pngs/")[0]) == [("x", {"png": "pngs/x.png"})]


def test_a_folder_without_a_png_file_is_an_error():
    assert folder(["a.txt"]) == (
        [],
        [f"{F}: holds no PNG file (*.png); add some, or write sample_folder: null"],
    )
    assert folder([".a.png", ".png"]) == (
        [],
        [
            f"{F}: holds no PNG file (*.png) (2 hidden files left out); add some, or write "
            "sample_folder: null"
        ],
    )


def test_the_folder_and_the_sheet_are_read_from_the_working_directory(tmp_path):
    (tmp_path / "pngs").mkdir()
    (tmp_path / "pngs" / "seven.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "samples.tsv").write_text("sample\tfill\nw\t1\n")
    assert specs(sample_sheet.read_folder("pngs", tmp_path)[0]) == [
        ("seven", {"png": os.path.join("pngs", "seven.png")})
    ]
    assert specs(sample_sheet.read_sheet("samples.tsv", tmp_path)[0]) == [("w", {"fill": 1.0})]
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert specs(sample_sheet.read_sheet("samples.tsv")[0]) == [("w", {"fill": 1.0})]
        assert [e.name for e in sample_sheet.read_folder("pngs")[0]] == ["seven"]
    finally:
        os.chdir(here)


def test_a_sheet_or_folder_that_cannot_be_read_is_named(tmp_path):
    (tmp_path / "pngs").mkdir()
    (tmp_path / "samples.tsv").write_text("sample\tfill\nw\t1\n")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big.tsv").write_bytes(b"#" * (sample_sheet.MAX_SHEET_BYTES + 1))

    def read_sheet(path):
        return sample_sheet.read_sheet(path, tmp_path)[1]

    def read_folder(path):
        return sample_sheet.read_folder(path, tmp_path)[1]

    assert read_sheet("none.tsv") == ["config.sample_sheet (none.tsv): does not exist"]
    assert read_sheet("pngs") == [
        "config.sample_sheet (pngs): is a folder, expected a tab-separated sample sheet"
    ]
    assert read_sheet("fifo") == [
        "config.sample_sheet (fifo): is not a regular file (a pipe, socket or device), "
        "expected a tab-separated sample sheet"
    ]
    assert read_sheet("big.tsv") == [
        "config.sample_sheet (big.tsv): larger than 10 MB, which is no sample sheet; name the "
        "sheet (a tab-separated text file)"
    ]
    assert read_sheet("a\x00b") == [
        "config.sample_sheet ('a\\x00b'): cannot be looked up (embedded null byte)"
    ]
    assert read_folder("none") == ["config.sample_folder (none): does not exist"]
    assert read_folder("samples.tsv") == [
        "config.sample_folder (samples.tsv): is not a folder, expected a folder of PNG files"
    ]
    assert read_folder("pngs") == [
        "config.sample_folder (pngs): holds no PNG file (*.png); add some, or write "
        "sample_folder: null"
    ]
    if os.geteuid() != 0:  # root lists any folder
        (tmp_path / "locked").mkdir(mode=0o000)
        assert read_folder("locked") == [
            "config.sample_folder (locked): cannot be listed (Permission denied)"
        ]


# ---------------------------------------------------------------------------------------
# merged with the mapping


def test_the_mapping_then_the_sheet_then_the_folder():
    sheet_rows, _ = sheet("sample\tfill\tpng\ns1\t0.5\t\ns2\t\tmine.png\n")
    files, _ = folder(["z.png", "a.png"])
    mapping = {"white": {"fill": 1.0}, "d7": {"split": "test", "index": 0}}
    merged, found = sample_sheet.merged(mapping, sheet_rows + files)
    assert found == []
    assert list(merged.items()) == [
        ("white", {"fill": 1.0}),
        ("d7", {"split": "test", "index": 0}),
        ("s1", {"fill": 0.5}),
        ("s2", {"png": "mine.png"}),
        ("a", {"png": os.path.join("pngs", "a.png")}),
        ("z", {"png": os.path.join("pngs", "z.png")}),
    ]
    assert mapping == {"white": {"fill": 1.0}, "d7": {"split": "test", "index": 0}}


def test_names_and_pngs_of_the_sheet_and_folder_are_checked_like_the_mapping():
    """Each row's problems together, in row order: its name, its cells, its PNG."""
    seen = []

    def path_problem(path):
        seen.append(path)
        return "does not exist" if "nowhere" in path else None

    rule = samples.NAME_RULE
    _, found = sheet(
        "sample\tpng\tfill\n"
        "my digit\t\t0.5\n"
        "mine\tnowhere.png\t\n"
        "a b\tnowhere.png\t\n"
        "c d\tx.png\t2\n",
        path_problem=path_problem,
    )
    assert found == [
        f"{S} row 2 (sample 'my digit'): sample name 'my digit' is not allowed: {rule}",
        f"{S} row 3 (sample 'mine'): png 'nowhere.png' does not exist",
        f"{S} row 4 (sample 'a b'): sample name 'a b' is not allowed: {rule}",
        f"{S} row 4 (sample 'a b'): png 'nowhere.png' does not exist",
        f"{S} row 5 (sample 'c d'): sample name 'c d' is not allowed: {rule}",
        f"{S} row 5 (sample 'c d'): more than one source (png 'x.png', fill '2'): give exactly "
        "one of png, split and index, or fill",
    ]
    assert seen == ["nowhere.png", "nowhere.png"]  # a row of two sources has no PNG to check
    _, found = folder(["my digit.png", "ok.png", "nowhere.png"], path_problem=path_problem)
    assert found == [
        f"{F} file 'my digit.png': sample name 'my digit' is not allowed: {rule}",
        f"{F} file 'nowhere.png': png {os.path.join('pngs', 'nowhere.png')!r} does not exist",
    ]
    assert seen[2:] == [os.path.join("pngs", n) for n in ("my digit.png", "nowhere.png", "ok.png")]


def test_names_given_twice_across_the_mapping_the_sheet_and_the_folder_name_both():
    sheet_rows, _ = sheet("sample\tfill\nseven\t1\nSeven\t0\nseven\t0.5\nwhite\t1\nbad row\t7\n")
    files, _ = folder(["white.png", "bad row.png"])
    merged, found = sample_sheet.merged({"white": {"fill": 1.0}}, sheet_rows + files)
    assert found == [
        f"{S} row 3 (sample 'Seven'): the same name as {S} row 2 (sample 'seven') but for upper "
        "and lower case; on a file system that ignores case (macOS, Windows) both would write "
        "one file: rename one",
        f"{S} row 4 (sample 'seven'): the name 'seven' is taken by {S} row 2 (sample 'seven') "
        "too; each sample needs its own name: rename or remove one",
        f"{S} row 5 (sample 'white'): the name 'white' is taken by config.samples.white too; "
        "each sample needs its own name: rename or remove one",
        f"{F} file 'bad row.png': the name 'bad row' is taken by {S} row 6 (sample 'bad row') "
        "too; each sample needs its own name: rename or remove one",
        f"{F} file 'white.png': the name 'white' is taken by config.samples.white too; each "
        "sample needs its own name: rename or remove one",
    ]
    # the first spec of a name is kept; a row whose cells are wrong (fill 7) gives none
    assert merged == {
        "white": {"fill": 1.0},
        "seven": {"fill": 1.0},
        "Seven": {"fill": 0.0},
        "bad row": {"png": os.path.join("pngs", "bad row.png")},
    }


def test_a_name_given_twice_in_the_folder_and_the_sheet_names_both():
    sheet_rows, _ = sheet("sample\tfill\nx\t1\n")
    files, _ = folder(["X.png", "x.PNG"])
    _, found = sample_sheet.merged({}, sheet_rows + files)
    assert found == [
        f"{F} file 'X.png': the same name as {S} row 2 (sample 'x') but for upper and lower "
        "case; on a file system that ignores case (macOS, Windows) both would write one file: "
        "rename one",
        f"{F} file 'x.PNG': the name 'x' is taken by {S} row 2 (sample 'x') too; each sample "
        "needs its own name: rename or remove one",
    ]


# ---------------------------------------------------------------------------------------
# through the config checks


def test_a_config_of_a_sheet_and_a_folder_only(tmp_path):
    (tmp_path / "pngs").mkdir()
    (tmp_path / "pngs" / "seven.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "samples.tsv").write_text("sample\tsplit\tindex\nd7\ttest\t0\n")
    cfg = {"sample_sheet": "samples.tsv", "sample_folder": "pngs"}
    assert config_checks.problems(cfg, SCHEMA, workdir=tmp_path) == []  # no path_problem
    mapping, found = sample_sheet.gather(cfg, workdir=tmp_path)
    assert found == [] and mapping == {
        "d7": {"split": "test", "index": 0},
        "seven": {"png": os.path.join("pngs", "seven.png")},
    }
    assert sample_sheet.gather({"samples": {"w": {"fill": 1.0}}}) == ({"w": {"fill": 1.0}}, [])


def test_the_config_checks_report_sheet_folder_and_mapping_problems_at_once(tmp_path):
    (tmp_path / "pngs").mkdir()
    (tmp_path / "pngs" / "d7.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "samples.tsv").write_text("sample\tsplit\tindex\nd7\ttest\t3.0\nw\ttest\t0\n")
    cfg = {
        "samples": {"w": {"fill": 1.0}, "d": {"split": "test", "index": 10000}},
        "sample_sheet": "samples.tsv",
        "sample_folder": "pngs",
        "layers": ["z3"],
    }
    assert config_checks.problems(cfg, SCHEMA, lambda p: None, tmp_path) == [
        "config.samples.d.index: 10000 is greater than the maximum of 9999",
    ]
    cfg["samples"]["d"]["index"] = 1
    assert config_checks.problems(cfg, SCHEMA, lambda p: None, tmp_path) == [
        f"{S} row 2 (sample 'd7'): index '3.0' is not a whole number as the sheet means it: "
        "write it without a decimal point (3)",
        f"{S} row 3 (sample 'w'): the name 'w' is taken by config.samples.w too; each sample "
        "needs its own name: rename or remove one",
        f"{F} file 'd7.png': the name 'd7' is taken by {S} row 2 (sample 'd7') too; each "
        "sample needs its own name: rename or remove one",
    ]


@pytest.mark.parametrize(
    "cfg",
    [
        {"layers": ["z3"]},
        {"sample_sheet": None},
        {"sample_sheet": None, "sample_folder": None},
        {"sample_sheet": None, "sample_folder": None, "sample_selection": None},
    ],
)
def test_a_config_without_samples_says_where_to_give_them(cfg):
    assert config_checks.problems(cfg, SCHEMA) == [NO_SAMPLES]


def test_a_sheet_or_folder_of_the_wrong_type_is_named():
    w = {"w": {"fill": 1.0}}
    assert config_checks.problems({"samples": w, "sample_sheet": 3}, SCHEMA) == [
        "config.sample_sheet: 3 is not of type 'string', 'null'"
    ]
    assert config_checks.problems({"sample_folder": ""}, SCHEMA) == [
        "config.sample_folder: '' should be non-empty"
    ]
    assert config_checks.problems({"sample_folder": 3}, SCHEMA) == [
        NO_SAMPLES,
        "config.sample_folder: 3 is not of type 'string', 'null'",
    ]


# ---------------------------------------------------------------------------------------
# the selection rules, after the mapping, the sheet and the folder
# (Data: image i has label i % 10, and every seventh is misclassified; see test_selection)


def test_the_selected_images_come_after_the_mapping_the_sheet_and_the_folder(tmp_path):
    (tmp_path / "pngs").mkdir()
    (tmp_path / "pngs" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "samples.tsv").write_text("sample\tfill\ns1\t0.5\n")
    cfg = {
        "samples": {"white": {"fill": 1.0}},
        "sample_sheet": "samples.tsv",
        "sample_folder": "pngs",
        "sample_selection": [
            {"split": "test", "label": 3, "misclassified": True, "first": 2},
            {"split": "train", "indices": {"start": 59998}},
        ],
    }
    notes = []
    mapping, found = sample_sheet.gather(cfg, workdir=tmp_path, data=Data(), notes=notes)
    assert found == []
    assert list(mapping.items()) == [
        ("white", {"fill": 1.0}),
        ("s1", {"fill": 0.5}),
        ("p", {"png": os.path.join("pngs", "p.png")}),
        ("test-00063", {"split": "test", "index": 63}),  # 63 % 10 == 3, 63 % 7 == 0
        ("test-00133", {"split": "test", "index": 133}),
        ("train-59998", {"split": "train", "index": 59998}),
        ("train-59999", {"split": "train", "index": 59999}),
    ]
    assert notes == [
        f"{R}[0]: 2 samples (test-00063 to test-00133), the first 2 of 142 that match",
        f"{R}[1]: 2 samples (train-59998 to train-59999)",
    ]
    assert config_checks.problems(cfg, SCHEMA, workdir=tmp_path, data=Data()) == []


def test_an_image_selected_under_the_name_it_has_already_is_one_sample():
    """The same name and spec by hand and by rules, or by two rules, is one sample, in the
    place it was first given; its source stamp is the hand-written one's."""
    rules = [
        {"split": "test", "indices": {"start": 17, "stop": 20}},
        {"split": "test", "label": [3, 8], "first": 3},  # 3, 8, 13
        {"split": "test", "indices": {"stop": 2}},
    ]
    cfg = {"samples": {"test-00018": {"split": "test", "index": 18}}, "sample_selection": rules}
    mapping, found = sample_sheet.gather(cfg, data=Data())
    assert found == []
    assert list(mapping) == [
        "test-00018",
        "test-00017",
        "test-00019",
        "test-00003",
        "test-00008",
        "test-00013",
        "test-00000",
        "test-00001",
    ]
    assert all(mapping[name] == {"split": "test", "index": int(name[5:])} for name in mapping)
    # selected alone, the image has the spec and so the source stamp of the hand-written one
    selected, _ = sample_sheet.gather({"sample_selection": rules[:1]}, data=Data())
    record = provenance.sample_source("test-00018", selected["test-00018"])
    assert record == provenance.sample_source("test-00018", cfg["samples"]["test-00018"])
    assert provenance.source_text(record) == (
        '{\n "meaning": "' + provenance.SOURCE_MEANING + '",\n "sample": "test-00018",\n'
        ' "source": {\n  "index": 18,\n  "split": "test"\n }\n}\n'
    )


def test_a_selected_image_named_like_another_sample_names_both():
    entries, _ = sheet("sample\tsplit\tindex\tfill\ntest-00004\t\t\t0.5\ntest-00005\ttest\t5\t\n")
    cfg = {
        "samples": {"test-00003": {"fill": 1.0}, "Test-00006": {"split": "test", "index": 6}},
        "sample_selection": [{"split": "test", "indices": {"start": 3, "stop": 7}}],
    }
    chosen = [Entry(*e) for e in sample_sheet.selection.expand(cfg["sample_selection"], Data())[0]]
    mapping, found = sample_sheet.merged(cfg["samples"], entries, chosen)
    rule = f"{R}[0]"
    assert found == [
        f"{rule} (sample 'test-00003'): selects test image 3, whose sample name 'test-00003' is "
        "the name of config.samples.test-00003, another sample ({'fill': 1.0}); rename "
        "config.samples.test-00003, or leave test image 3 out of the rule",
        f"{rule} (sample 'test-00004'): selects test image 4, whose sample name 'test-00004' is "
        f"the name of {S} row 2 (sample 'test-00004'), another sample ({{'fill': 0.5}}); "
        f"rename {S} row 2 (sample 'test-00004'), or leave test image 4 out of the rule",
        f"{rule} (sample 'test-00006'): the same name as config.samples.Test-00006 but for "
        "upper and lower case; on a file system that ignores case (macOS, Windows) both "
        "would write one file: rename one",
    ]
    assert list(mapping) == ["test-00003", "Test-00006", "test-00004", "test-00005", "test-00006"]
    assert mapping["test-00003"] == {"fill": 1.0} and mapping["test-00004"] == {"fill": 0.5}


def test_the_config_checks_report_the_rules_problems_with_the_others():
    cfg = {
        "samples": {"test-00000": {"fill": 1.0}, "d": {"split": "test", "index": 3}},
        "sample_selection": [
            {"split": "test", "misclassified": True, "first": 1},
            {"split": "test", "indices": {"start": 10, "stop": 10}},
            {"split": "test", "label": 4, "indices": {"stop": 4}},
        ],
    }
    assert config_checks.problems(cfg, SCHEMA, data=Data()) == [
        f"{R}[1].indices: start 10 is not below stop 10, so the range holds no image; stop is "
        "the first index not taken: {start: 10, stop: 20} is the images 10 to 19",
        f"{R}[2]: selects no image: of test images 0 to 3, none of them with label 4; widen "
        "the rule or remove it",
        f"{R}[0] (sample 'test-00000'): selects test image 0, whose sample name 'test-00000' is "
        "the name of config.samples.test-00000, another sample ({'fill': 1.0}); rename "
        "config.samples.test-00000, or leave test image 0 out of the rule",
    ]
    assert config_checks.problems({"sample_selection": [{"split": "test"}]}, SCHEMA) == []


# ---------------------------------------------------------------------------------------
# docs/samples.md says what the code does


def _doc_blocks():
    text = (ROOT / "docs" / "samples.md").read_text(encoding="utf-8")
    section = text.split("## Many samples: a sheet or a folder", 1)[1].split("\n## ", 1)[0]
    return section.split("```text\n")[1:], section


def test_the_docs_example_sheet_gives_the_specs_it_names():
    (example, _), section = _doc_blocks()
    example = example.split("```", 1)[0]
    entries, found = sheet(example)
    assert found == []
    assert specs(entries) == [
        ("digit7", {"split": "test", "index": 0}),
        ("digit3", {"split": "test", "index": 18}),
        ("white", {"fill": 1.0}),
        ("mine", {"png": "data/mine.png"}),
    ]
    assert "`digit7: {split: test,\nindex: 0}`" in section and "`white: {fill: 1.0}`" in section


def test_the_docs_messages_are_the_messages(tmp_path):
    (_, messages), _ = _doc_blocks()
    lines = messages.split("```", 1)[0].splitlines()
    assert lines[0] == "invalid configuration:"
    (tmp_path / "pngs").mkdir()
    for name in ("my digit.png", "digit7.png"):
        (tmp_path / "pngs" / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "samples.tsv").write_text(
        "sample\tsplit\tindex\tfill\tpng\n"
        "d7\ttest\t0\t\t\n"
        "mine\t\t\t\tdata/mine.png\n"
        "d3\ttest\t18.0\t\t\n"
        "half\t\t\t0.5\tdata/x.png\n"
        "last\ttest\n"
    )
    cfg = {
        "samples": {"digit7": {"split": "test", "index": 0}},
        "sample_sheet": "samples.tsv",
        "sample_folder": "pngs",
    }
    found = config_checks.problems(cfg, SCHEMA, workdir=tmp_path)
    assert len(found) == len(lines) - 1
    for line, message in zip(lines[1:], found, strict=True):
        assert line.startswith("  ")
        shown = line[2:]
        if shown.endswith(": ..."):
            assert message.startswith(shown[: -len("...")]), (shown, message)
        else:
            assert message == shown
