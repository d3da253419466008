"""A config written as YAML text reaches ``snakemake -n`` either as a dry run or as a message
naming the offending key, the same message the in-process checks give (the property tests of
tests/test_config_properties.py, through a real Snakemake process)."""

import concurrent.futures
import json
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from conftest import ROOT
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from snakemake.common.configfile import load_configfile
from test_config_properties import (
    CONFIGS,
    FIXED,
    SCHEMA,
    _at,
    _replaced,
    dict_paths,
    make_files,
    path_problem_in,
    paths_of,
)

from pixel_influence import config as config_checks

# ---------------------------------------------------------------------------------------
# YAML text through snakemake -n

# fmt: off
YAML_VALUES = [
    "yes", "no", "on", "off", "y", "~", "null", "", ".nan", ".NaN", ".inf", "-.inf", "+.inf",
    "0x10", "0o17", "017", "0b101", "1_000", "1:30", "2019-01-01", "2019-13-45",
    "2019-01-01 10:00:00", "3.0", "1e400", "1.0e+400", "-1.0e+400", "1e3", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999999", "!!binary aGVsbG8=", "!!float 3",
    "!!int 1.5", "!!int", "!!str 3", "!!bool maybe", "!!timestamp foo", "!!set {a}",
    "!!omap [a: 1]", "!!python/tuple [1, 2]", "&x [*x]", "&y {a: *y}", '"\\ud800"',
    '"a\\0b"', "'text'", "[1, 2", "{a: 1", "- a", "a: b: c", "? x", "'it''s'", "*nowhere",
    "|\n  block", "@reserved", "`tick", "%TAG",
]
YAML_KEYS = [
    "yes", "no", "~", "null", "1", "2019", "2019-01-01", "2019-13-45", "3.0", ".nan", ".inf",
    "0x10", "1_000", "1:30", "!!binary aGk=", "''", '"a\\nb"', "'a b'", "café", "<<",
    "[a, b]", "? [a]", "&k k", "*nowhere", "a#b", "'digit0'", "'Digit0'",
]
JSON_VALUES = [
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-1", "1E2", "3.0", "-0", "0.0",
    "18446744073709551616", "true", "null", '"\\ud800"', '"a\\u0000b"', "[]", "{}",
]
# fmt: on


def placeholder(tokens, token):
    name = f"RAWTOKEN{len(tokens):03d}Z"
    tokens[name] = token
    return name


@st.composite
def config_texts(draw):
    """A config as YAML (or JSON) text: a drawn config whose values and keys are partly
    replaced by raw scalars as a person might write them, sometimes damaged."""
    cfg = draw(CONFIGS)
    style = draw(st.sampled_from(["block", "block", "flow", "mixed", "json", "json tabs"]))
    json_style = style.startswith("json")
    tokens = {}
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        leaves = [p for p in paths_of(cfg) if p and not isinstance(_at(cfg, p), (dict, list))]
        if draw(st.booleans()) and leaves:
            path = draw(st.sampled_from(leaves))
            pool = JSON_VALUES if json_style else YAML_VALUES
            cfg = _replaced(cfg, path, placeholder(tokens, draw(st.sampled_from(pool))))
        elif not json_style:
            where = draw(st.sampled_from(dict_paths(cfg)))
            mapping = _at(cfg, where)
            if mapping:
                old = draw(st.sampled_from(list(mapping)))
                new = placeholder(tokens, draw(st.sampled_from(YAML_KEYS)))
                cfg = _replaced(
                    cfg, where, {(new if k == old else k): v for k, v in mapping.items()}
                )
    if json_style:
        text = json.dumps(cfg, indent="\t" if style == "json tabs" else 2, ensure_ascii=False)
        for name, token in tokens.items():
            text = text.replace(f'"{name}"', token)
    else:
        flow = {"block": False, "flow": True, "mixed": None}[style]
        text = yaml.safe_dump(
            cfg,
            sort_keys=False,
            default_flow_style=flow,
            allow_unicode=draw(st.booleans()),
            width=10**6,
        )
        for name, token in tokens.items():
            text = text.replace(name, token)
    lines = text.split("\n")
    damage = draw(st.sampled_from([None] * 8 + ["tab", "bracket", "colon", "twice"]))
    i = draw(st.integers(0, max(0, len(lines) - 2)))
    if damage == "tab":
        lines[i] = "\t" + lines[i].lstrip(" ")
    elif damage == "bracket":
        lines[i] += " ]"
    elif damage == "colon":
        lines.insert(i, "a line without a colon")
    elif damage == "twice" and not json_style:
        lines.insert(i, lines[i])
    return "\n".join(lines)


EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b")


def dry_run(text):
    """Exit status and output of ``snakemake -n`` with ``text`` as config/config.yaml, and
    what the same text gives in-process: the syntax problem, or the config problems."""
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir) / "config" / "config.yaml"
        config.parent.mkdir()
        config.write_text(text, encoding="utf-8")
        make_files(workdir)  # the files the drawn configs may name, as in-process
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", workdir]
        proc = subprocess.run(
            cmd + ["-n", "--cores", "1"], check=False, capture_output=True, text=True, timeout=120
        )
        syntax = config_checks.yaml_syntax_problem(config)
        if syntax is not None:
            expected = ("syntax", syntax.replace(str(config), "config/config.yaml"))
        else:
            try:
                loaded = json.loads(text)  # Snakemake reads a JSON text as JSON first
            except ValueError:
                loaded = yaml.safe_load(text)
            if isinstance(loaded, dict):  # Snakemake's reader: JSON, else YAML (FullLoader)
                assert same(loaded, load_configfile(str(config))), f"read otherwise: {text}"
            found = (
                config_checks.duplicate_keys(text, "config/config.yaml")
                if isinstance(loaded, dict)
                else []
            )
            found += config_checks.problems(
                loaded, SCHEMA, path_problem_in(workdir), workdir=workdir
            )
            expected = ("config", found)
    return proc.returncode, proc.stdout + proc.stderr, expected


def same(a, b):
    """Equal, NaN equal to NaN (and an OrderedDict to a dict)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


SYNTAX = re.compile(r"config/config\.yaml( line \d+, column \d+)?: not (valid (YAML|JSON)|a text)")


def check_dry_run(text, rc, output, expected):
    first = re.search(r"Traceback \(most recent call last\)|" + EXCEPTION_NAME.pattern, output)
    said = output[max(0, first.start() - 1500) : first.start() + 1500] if first else output[-3000:]
    about = f"for the config text\n{text}\nsnakemake said:\n{said}"
    assert "Traceback (most recent call last)" not in output, about
    names = set(EXCEPTION_NAME.findall(output)) - {"WorkflowError"}
    assert not names, f"{names} {about}"
    kind, found = expected
    if kind == "syntax":
        assert rc != 0, about
        assert SYNTAX.match(found) and found.isprintable(), found
        assert found in output, f"expected {found!r} {about}"
        return
    if not found:
        assert rc == 0 and "This was a dry-run" in output, f"accepted in-process {about}"
        return
    assert rc != 0, f"refused in-process ({found}) {about}"
    if "Config file must be given as JSON or YAML with keys at top level" in output:
        return  # a text that is no mapping: Snakemake's own message
    assert "invalid configuration:\n" in output, about
    for message in found:
        assert f"  {message}\n" in output, f"{message!r} not in the output {about}"


TEXTS_EXAMPLE = [
    "samples:\n  w: {fill: 1.0}\nlayers:\n\t- z1\n",
    "samples: {w: {fill: 1.0}}\nzoom: 2019-13-45\n",
    "samples: {w: {fill: 1.0}}\nlayers: &x [*x]\n",
    '{\n\t"samples": {"w": {"fill": NaN}, "d": {"split": "test", "index": 3.0}}\n}\n',
    "samples:\n  yes: {fill: 1.0}\n  ~: {split: test, index: 1e3}\n  2019: {png: folder}\n",
    # odd but valid: quoted keys, hexadecimal, underscores, sexagesimal, a leading dot
    (
        "samples:\n  '2019': {fill: .5}\n  \"yes\": {split: test, index: 0x10}\n"
        "  d.v1: {png: digit.png}\nsweep: {images: 1_000, shards: +2}\n"
        "download: {timeout: 1:30}\nfaithfulness: {min_change: 1.0e-3}\n"
    ),
    # samples from the sample sheet and folder only; then names given twice across the
    # mapping, the sheet and the folder, and a folder without PNG files
    "sample_sheet: sheet.tsv\nsample_folder: pngs\n",
    "samples: {S1: {fill: 1.0}, p1: {fill: 0}}\nsample_sheet: sheet.tsv\nsample_folder: pngs\n",
    "samples: {w: {fill: 1.0}}\nsample_folder: folder\nsample_sheet: digit.png\n",
]


@settings(max_examples=2, phases=[Phase.explicit, Phase.generate], **FIXED)
@given(texts=st.lists(config_texts(), min_size=3, max_size=3, unique=True))
@example(texts=TEXTS_EXAMPLE)
def test_config_text_gives_a_dry_run_or_a_message_naming_the_key(texts):
    """Each text: exit 0 and a dry run, or exit != 0 with the problems found in-process
    (each naming its key, or the file, line and column of a syntax error); never a
    traceback. Two Snakemake processes at a time, about 3 s each."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for text, (rc, output, expected) in zip(texts, pool.map(dry_run, texts)):
            check_dry_run(text, rc, output, expected)
