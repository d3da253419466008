from pathlib import Path

import pytest

from pixel_influence import config as config_checks
from pixel_influence import keypaths, samples

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = config_checks.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")


W = {"w": {"fill": 1.0}}


def problems(cfg, path_problem=lambda p: None):
    return config_checks.problems(cfg, SCHEMA, path_problem)


def test_default_config_is_valid():
    import yaml

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert problems(cfg) == []
    assert list(cfg["samples"]) == ["white"] + [f"digit{d}" for d in range(10)]


@pytest.mark.parametrize(
    "cfg, expected",
    [
        (
            {"samples": {"w": {"fill": 1.0}}, "layers": ["z1", "z9"]},
            "config.layers[1]: 'z9' is not a layer of the network, whose layers are a1, z1, "
            "a2, z2, a3, z3",
        ),
        (
            {"samples": {"d": {"split": "test", "index": 10000}}},
            "config.samples.d.index: 10000 is greater than the maximum of 9999",
        ),
        (
            {"samples": {"d": {"split": "train", "index": 60000}}},
            "config.samples.d.index: 60000 is greater than the maximum of 59999",
        ),
        (
            {"samples": {"d": {"split": "test", "index": -1}}},
            "config.samples.d.index: -1 is less than the minimum of 0",
        ),
        (
            {"samples": {"d": {"split": "valid", "index": 3}}},
            "config.samples.d.split: 'valid' is not one of ['train', 'test']",
        ),
        ({"samples": {"w": {"fill": 1.5}}}, "config.samples.w.fill: 1.5 is greater than"),
        (
            {"samples": {"w": {"fill": 1.0, "png": "a.png"}}},
            "config.samples.w: a sample is exactly one of",
        ),
        ({"samples": {"w": {"colour": 3}}}, "config.samples.w: Additional properties"),
        (
            {"samples": {"../up": {"fill": 1.0}}},
            "config.samples: sample name '../up' is not allowed: a sample name becomes a file",
        ),
        ({"samples": {"w": {"fill": 1.0}}, "methods": ["magic"]}, "config.methods[0]: 'magic'"),
        ({"samples": {"w": {"fill": 1.0}}, "scale": "log"}, "config.scale: 'log' is not one of"),
        (
            {"samples": W, "colormap": "viridis"},
            "config.colormap: 'viridis' is not one of ['gray', 'diverging']",
        ),
        (
            {"samples": W, "overlay": "true"},
            "config.overlay: 'true' is text, not true or false: Snakemake's --config reads only "
            "True and False as booleans (write True)",
        ),
        ({"samples": W, "overlay": 1}, "config.overlay: 1 is not of type 'boolean'"),
        (
            {"samples": W, "sweep": {"pictures": ["median"]}},
            "config.sweep.pictures[0]: 'median' is not one of ['mean', 'std', 'contrast']",
        ),
        (
            {"samples": W, "sweep": {"pictures": []}},
            "config.sweep.pictures: [] should be non-empty",
        ),
        ({"samples": {"w": {"fill": 1.0}}, "layer": ["z1"]}, "('layer' was unexpected)"),
        (
            {"layers": ["z1"]},
            "config: no samples: give `samples`, `sample_sheet`, `sample_folder` or `sample_selection`",
        ),
        (
            {"samples": W, "method_parameters": {"shapley_sampling": {"permutations": 7}}},
            "config.method_parameters.shapley_sampling.permutations: 7 is not a multiple of 2",
        ),
        (
            {"samples": W, "method_parameters": {"integrated_gradients": {"points": 0}}},
            "config.method_parameters.integrated_gradients.points: 0 is less than the minimum",
        ),
        (
            {"samples": W, "method_parameters": {"deeplift": {"points": 3}}},
            "config.method_parameters: Additional properties are not allowed ('deeplift'",
        ),
        (
            {"samples": W, "faithfulness": {"min_change": -1}},
            "config.faithfulness.min_change: -1 is less than the minimum of 0",
        ),
        (
            {"samples": W, "methods_figure": {"nodes": {"z1": [50]}}},
            "config.methods_figure.nodes.z1[0]: node 50 is not in z1, whose nodes are 0 to 49",
        ),
        (
            {"samples": W, "methods_figure": {"nodes": {"z3": [1]}}},
            "config.methods_figure.nodes.z3: z3 is the network's output layer, whose every node "
            "the figure shows; remove it here",
        ),
        (
            {"samples": W, "methods_figure": {"nodes": {"z4": [1]}}},
            "config.methods_figure.nodes.z4: 'z4' is not a layer of the network, whose hidden "
            "layers are a1, z1, a2, z2",
        ),
        (
            {"samples": W, "methods_figure": {"nodes": {"x1": [1]}}},
            "config.methods_figure.nodes: 'x1' is not a layer: a hidden layer by position, a1, z1, "
            "a2, z2, ...",
        ),
        (
            {"samples": W, "layers": ["z3"], "methods_figure": {"nodes": {"z2": [1]}}},
            "config.methods_figure.nodes.z2: layer 'z2' is not in config.layers ['z3']",
        ),
    ],
)
def test_bad_config_names_the_offending_key(cfg, expected):
    found = problems(cfg)
    assert any(expected in p for p in found), found


RENAMED_NODES = (
    "config.method_parameters.integrated_gradients.nodes: renamed 'points' (the number of "
    "Gauss-Legendre quadrature points); write points: {}"
)


def test_the_old_name_of_the_quadrature_points_names_the_new_one():
    """``nodes`` of integrated gradients became ``points``: the old key gets its own message
    (with the value written), not the schema's "Additional properties are not allowed"."""
    cfg = {"samples": W, "method_parameters": {"integrated_gradients": {"nodes": 32}}}
    assert problems(cfg) == [RENAMED_NODES.format(32)]
    assert cfg["method_parameters"]["integrated_gradients"] == {"nodes": 32}  # left as it is
    # reported with every other problem at once, the schema still checking the rest
    cfg["method_parameters"] = {
        "integrated_gradients": {"nodes": 4096, "typo": 1},
        "shapley_sampling": {"permutations": 3},
    }
    assert problems(cfg) == [
        RENAMED_NODES.format(4096),
        (
            "config.method_parameters.integrated_gradients: Additional properties are not "
            "allowed ('typo' was unexpected)"
        ),
        "config.method_parameters.shapley_sampling.permutations: 3 is not a multiple of 2",
    ]
    # a value the schema would refuse is shown as written, cut when long
    cfg["method_parameters"] = {"integrated_gradients": {"nodes": "x" * 500}}
    (found,) = problems(cfg)
    assert found == RENAMED_NODES.format(keypaths.shown("x" * 500)) and len(found) < 250
    # both keys (the old one given on the command line, the new one in the file)
    cfg["method_parameters"] = {"integrated_gradients": {"nodes": 32, "points": 64}}
    assert problems(cfg) == [RENAMED_NODES.format("32 instead (points: 64 is given too)")]
    # nodes elsewhere keeps its meaning (network nodes), and points is the key now
    cfg["method_parameters"] = {"integrated_gradients": {"points": 32}}
    cfg["methods_figure"] = {"nodes": {"z1": [0]}}
    assert problems(cfg) == []


def test_every_renamed_key_has_its_new_name_in_the_schema():
    assert ("method_parameters", "integrated_gradients", "nodes") in config_checks.RENAMED
    for path, (new, _) in config_checks.RENAMED.items():
        node = SCHEMA
        for part in path[:-1]:
            node = node["properties"][part]
        assert new in node["properties"] and path[-1] not in node["properties"], path


def test_the_old_name_is_refused_from_the_config_file():
    """Through YAML text too, as Snakemake reads it."""
    import yaml

    text = (ROOT / "config" / "config.yaml").read_text()
    assert "integrated_gradients: {points: 64}" in text
    cfg = yaml.safe_load(
        text.replace("integrated_gradients: {points: 64}", "integrated_gradients: {nodes: 64}")
    )
    assert problems(cfg) == [RENAMED_NODES.format(64)]


def test_missing_png_is_named():
    cfg = {"samples": {"mine": {"png": "nowhere/mine.png"}, "w": {"fill": 0.5}}}
    assert problems(cfg, path_problem=lambda p: "does not exist") == [
        "config.samples.mine.png: 'nowhere/mine.png' does not exist"
    ]


def test_all_problems_are_reported_at_once():
    cfg = {"samples": {"d": {"split": "test", "index": 10000}}, "layers": ["z9"]}
    found = problems(cfg)
    assert len(found) == 2


def test_a_key_given_twice_is_named_with_its_lines():
    text = """samples:
  digit3: {split: test, index: 18}
  white: {fill: 1.0}
  digit3: {split: test, index: 30}
layers: [z1]
methods_figure:
  nodes: {z1: [0], z1: [1]}
layers: [z2]
"""
    assert config_checks.duplicate_keys(text, "config/config.yaml") == [
        "config/config.yaml line 4: config.samples.digit3 is given twice (first at line 2); "
        "YAML would silently keep only the last, rename or remove one",
        "config/config.yaml line 7: config.methods_figure.nodes.z1 is given twice (first at "
        "line 7); YAML would silently keep only the last, rename or remove one",
        "config/config.yaml line 8: config.layers is given twice (first at line 5); YAML "
        "would silently keep only the last, rename or remove one",
    ]
    assert config_checks.duplicate_keys((ROOT / "config" / "config.yaml").read_text()) == []


# ---------------------------------------------------------------------------------------
# regressions found by the properties of tests/test_config_properties.py


def _syntax(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return config_checks.yaml_syntax_problem(path).replace(str(path), "config.yaml")


@pytest.mark.parametrize(
    "text, expected",
    [
        # PyYAML raised ValueError, KeyError, IndexError or AttributeError: a traceback
        (
            "samples: {w: {fill: 1.0}}\nzoom: 2019-13-45\n",
            "config.yaml line 2, column 7: not valid YAML: '2019-13-45' is not a valid "
            "timestamp (month must be in 1..12); write it in quotes if it is meant as text",
        ),
        (
            "samples:\n  2001-02-30: {fill: 1.0}\n",
            "config.yaml line 2, column 3: not valid YAML: '2001-02-30' is not a valid "
            "timestamp (day is out of range for month); write it in quotes if it is meant as "
            "text",
        ),
        (
            "zoom: !!int 1.5\n",
            "config.yaml line 1, column 7: not valid YAML: '1.5' is not a valid int (invalid "
            "literal for int() with base 10: '1.5'); write it in quotes if it is meant as text",
        ),
        (
            "scale: !!bool maybe\n",
            "config.yaml line 1, column 8: not valid YAML: 'maybe' is not a valid bool; write "
            "it in quotes if it is meant as text",
        ),
        (
            "layers: [z1, !!timestamp soon]\n",
            "config.yaml line 1, column 14: not valid YAML: 'soon' is not a valid timestamp; "
            "write it in quotes if it is meant as text",
        ),
        (
            "zoom: !!int\n",
            "config.yaml line 1, column 7: not valid YAML: '' is not a valid int; write it in "
            "quotes if it is meant as text",
        ),
        # an alias inside its own anchor: RecursionError in duplicate_keys (a traceback)
        (
            "samples: {w: {fill: 1.0}}\nlayers: &x [z1, *x]\n",
            "config.yaml line 2, column 9: not valid YAML: this value holds itself: an alias "
            "(*name) inside its own anchor (&name) is endless",
        ),
        (
            "samples: &s {w: {fill: 1.0}, more: *s}\n",
            "config.yaml line 1, column 10: not valid YAML: this value holds itself: an alias "
            "(*name) inside its own anchor (&name) is endless",
        ),
        # nesting: RecursionError inside PyYAML (a traceback), or in the checks
        (
            "zoom: " + "[" * 1000 + "]" * 1000,
            "config.yaml: not valid YAML: nested too deeply for Python to read",
        ),
        (
            "zoom: " + "[" * 101 + "]" * 101,
            "config.yaml line 1, column 107: not valid YAML: this value is nested more than "
            "100 levels deep",
        ),
        (
            "[" * 5000 + "]" * 5000,
            "config.yaml: not valid JSON: nested too deeply for Python to read",
        ),
        ("[" * 101 + "]" * 101, "config.yaml: not valid JSON: nested more than 100 levels deep"),
        # a character YAML does not allow: ReaderError from the loader's constructor
        (
            'samples: {w: {fill: 1.0}}\nmirrors: {mnist: ["a\x80b"]}\n',
            "config.yaml line 2, column 21: not valid YAML: the character '\\x80' (U+0080) is "
            "not allowed; remove it, or write it as an escape in double quotes",
        ),
    ],
    ids=[
        "impossible-date",
        "impossible-date-key",
        "int-tag",
        "bool-tag",
        "timestamp-tag",
        "empty-int-tag",
        "list-holds-itself",
        "mapping-holds-itself",
        "deep-yaml",
        "deep-yaml-beyond-the-limit",
        "deep-json",
        "deep-json-beyond-the-limit",
        "control-character",
    ],
)
def test_yaml_that_python_cannot_read_is_named_with_line_and_column(tmp_path, text, expected):
    assert _syntax(tmp_path, text) == expected


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    """Ten levels of ten aliases each: 10**10 values once expanded; the checks would walk
    every one of them (for hours) before any message."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    text = "\n".join(lines) + "\n"
    assert _syntax(tmp_path, text) == (
        "config.yaml line 1, column 1: not valid YAML: the file holds more than 100000 values "
        "once its aliases are expanded"
    )
    # aliases as a person uses them are fine
    text = "samples: {w: {fill: 1.0}}\nmethods: &m [insertion]\nsweep: {methods: *m}\n"
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    assert config_checks.yaml_syntax_problem(path) is None


def test_json_indented_with_tabs_is_read_as_snakemake_reads_it(tmp_path):
    """Snakemake reads a config that is JSON as JSON; PyYAML refuses tabs there, so the check
    before Snakemake's refused a config Snakemake reads."""
    path = tmp_path / "config.yaml"
    path.write_text('{\n\t"samples": {\n\t\t"w": {"fill": 1.0}\n\t}\n}\n')
    assert config_checks.yaml_syntax_problem(path) is None


@pytest.mark.parametrize(
    "cfg, expected",
    [
        # the key path held a newline or a control character: a message of two lines
        (
            {"samples": {"a\nb": {"fill": float("nan")}}},
            ["config.samples['a\\nb'].fill: nan is not a finite number"],
        ),
        ({"samples": W, "\x1f": float("inf")}, ["config['\\x1f']: inf is not a finite number"]),
        (
            {"samples": W, "my key": {"x": -float("inf")}},
            ["config['my key'].x: -inf is not a finite number"],
        ),
        # a list that holds itself: RecursionError
        (
            "cycle",
            [
                "config.layers[1]: holds itself (a YAML alias *name inside its own anchor "
                "&name); write the value out"
            ],
        ),
        # an integer of hundreds of digits was written out in full
        (
            {"samples": W, "zoom": 10**400},
            [
                "config.zoom: a number of 401 digits is too large: numbers here are stored as "
                "64-bit integers, at most 9223372036854775807 in size"
            ],
        ),
    ],
    ids=["newline-in-name", "control-key", "space-in-key", "cycle", "huge-int"],
)
def test_messages_are_one_line_naming_the_key(cfg, expected):
    if cfg == "cycle":
        layers = ["z1"]
        layers.append(layers)
        cfg = {"samples": W, "layers": layers}
    assert problems(cfg) == expected


def test_a_long_value_or_name_is_shown_cut():
    """A 5000-character value, name or path was written whole into its message."""
    long = "x" * 5000
    cut = repr(long)[: keypaths.SHOWN] + "... (5000 characters)"
    assert problems({"samples": long}) == [f"config.samples: {cut} is not of type 'object'"]
    assert problems({"samples": {long: {"fill": 1.0}}}) == [
        f"config.samples: sample name {cut} is not allowed: {samples.NAME_RULE}"
    ]
    assert problems({"samples": {"w": {"png": long}}}, path_problem=lambda p: "does not exist") == [
        f"config.samples.w.png: {cut} does not exist"
    ]
    assert problems({"samples": W, long: 1}) == [
        f"config: Additional properties are not allowed ({cut} was unexpected)"
    ]
    assert all(len(m) < 600 for m in problems({"samples": {"w": {"fill": 1.0}}, 10**400: 1}))


def test_a_sample_name_ending_in_a_newline_gives_one_line_messages():
    """The schema's pattern (re.search: "$" matches before a final newline) lets 'a\\n'
    through to samples.check and name_clashes, which wrote the name as it is."""
    found = problems(
        {"samples": {"a\n": {"png": "p.png"}, "A\n": {"fill": 1.0}}},
        path_problem=lambda p: "does not exist",
    )
    assert found == [
        f"config.samples: sample name 'a\\n' is not allowed: {samples.NAME_RULE}",
        "config.samples['a\\n'].png: 'p.png' does not exist",
        f"config.samples: sample name 'A\\n' is not allowed: {samples.NAME_RULE}",
        "config.samples['A\\n']: the same name as config.samples['a\\n'] but for upper and "
        "lower case; on a file system that ignores case (macOS, Windows) both would write one "
        "file: rename one",
    ]


def test_a_json_config_shows_plain_mappings():
    """Snakemake reads a JSON config into OrderedDicts; messages showed OrderedDict([...])."""
    from collections import OrderedDict

    cfg = OrderedDict(samples=OrderedDict(w=OrderedDict(fill=1.0)), layers=[OrderedDict(a=1)])
    assert problems(cfg) == ["config.layers[0]: {'a': 1} is not of type 'string'"]


@pytest.mark.parametrize(
    "key, written, example",
    [
        (1, "1", "1"),
        (0, "0", "0"),
        (1.0, "1.0", "1.0"),
        (True, "True", "yes"),
        (None, "None", "null"),
    ],
)
def test_a_key_yaml_reads_as_a_number_gets_its_own_example(key, written, example):
    """The example came from {True: 'yes', False: 'no', None: 'null'}.get(key), and 1 == True:
    a sample named 1 was told to write 'yes'."""
    (found,) = problems({"samples": {key: {"fill": 1.0}}})
    assert found.startswith(f"config.samples: the sample name {written} is read by YAML as ")
    assert found.endswith(f"e.g. '{example}': ...")


# ---- docs/troubleshooting.md's rows on numbers, names and YAML, word for word --------

NAME_RULE = (
    "a sample name becomes a file name: letters, digits, '_', '-' and '.', starting with a "
    "letter or digit, at most 100 characters, not ending in one piece repeated 20 times or "
    "more (Snakemake refuses such names), and not the same as another sample's name but for "
    "upper and lower case"
)


@pytest.mark.parametrize(
    "cfg, message",
    [
        (
            {"samples": W, "expected_accuracy": float("nan")},
            "config.expected_accuracy: nan is not a finite number",
        ),
        (
            {"samples": W, "download": {"timeout": float("inf")}},
            "config.download.timeout: inf is not a finite number",
        ),
        (
            {"samples": W, "zoom": 3.0},
            "config.zoom: 3.0 is not a whole number as the config means it: write it without "
            "a decimal point (3)",
        ),
        (
            {"samples": W, "method_parameters": {"shapley_sampling": {"seed": 2**64}}},
            "config.method_parameters.shapley_sampling.seed: 18446744073709551616 is too "
            "large: numbers here are stored as 64-bit integers, at most 9223372036854775807 "
            "in size",
        ),
        (
            {"samples": {2019: {"fill": 1.0}}},
            "config.samples: the sample name 2019 is read by YAML as the number 2019, not as "
            "text; write it in quotes as you mean it, e.g. '2019': ...",
        ),
        (
            {"samples": {True: {"fill": 1.0}}},
            "config.samples: the sample name True is read by YAML as the boolean true (YAML "
            "reads yes, no, on, off, y, n, true and false so), not as text; write it in "
            "quotes as you mean it, e.g. 'yes': ...",
        ),
        (
            {"samples": {"x" + "ab" * 20: {"fill": 1.0}}},
            f"config.samples: sample name 'x{'ab' * 20}' ends in 'ab' repeated 20 times, which "
            f"Snakemake refuses: {NAME_RULE}",
        ),
        (
            {"samples": {"a" * 101: {"fill": 1.0}}},
            f"config.samples: sample name '{'a' * 59}... (101 characters) is not allowed: "
            f"{NAME_RULE}",
        ),
        (
            {"samples": {"Digit3": {"fill": 1.0}, "digit3": {"fill": 0.5}}},
            "config.samples.digit3: the same name as config.samples.Digit3 but for upper and "
            "lower case; on a file system that ignores case (macOS, Windows) both would write "
            "one file: rename one",
        ),
    ],
    ids=["nan", "inf", "whole-float", "int64", "number-key", "yes-key", "periodic", "long", "case"],
)
def test_the_readme_rows_on_numbers_and_names(cfg, message):
    assert problems(cfg) == [message]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "samples:\n  white: {fill: 1.0\n  d: {split: test, index: 3}\n",
            "line 3, column 4: not valid YAML: while parsing a flow mapping (begun at line 2, "
            "column 10): expected ',' or '}', but got ':'",
        ),
        (
            "samples:\n  white: {fill: 1.0}\n\td: {split: test, index: 3}\n",
            "line 3, column 1: not valid YAML: while scanning for the next token: found "
            "character '\\t' that cannot start any token",
        ),
    ],
    ids=["brace", "tab"],
)
def test_the_readme_rows_on_yaml_syntax(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert config_checks.yaml_syntax_problem(path) == f"{path} {message}"


def _npz_network(path, widths=(30, 10)):
    """A random dense network 784 -> widths as an .npz of float32 arrays."""
    import numpy as np

    rng = np.random.default_rng(1)
    arrays, rows = {}, 784
    for k, nodes in enumerate(widths, 1):
        arrays[f"W{k}"] = rng.normal(0, 0.1, (rows, nodes)).astype(np.float32)
        arrays[f"b{k}"] = rng.normal(0, 0.1, nodes).astype(np.float32)
        rows = nodes
    np.savez(path, **arrays)
    return arrays


def test_a_users_network_names_its_layers(tmp_path):
    _npz_network(tmp_path / "net.npz")
    net = {"npz": "net.npz", "activation": "relu"}
    found = config_checks.problems(
        {"samples": W, "network": net, "layers": ["z1", "a3", "z2"]},
        SCHEMA,
        lambda p: None,
        workdir=str(tmp_path),
    )
    assert found == [
        "config.layers[1]: 'a3' is not a layer of the network, whose layers are a1, z1, a2, z2"
    ]
    ok = {"samples": W, "network": net}
    assert config_checks.problems(ok, SCHEMA, lambda p: None, workdir=str(tmp_path)) == []
    user = config_checks.user_network(net, str(tmp_path))
    assert user.layers == ("a1", "z1", "a2", "z2")
    assert user.sizes == {"a1": 30, "z1": 30, "a2": 10, "z2": 10}
    assert config_checks.default_layers(user.layers) == ["z1", "a2", "z2"]
    assert user.source == "net.npz (npz file, 784-30-10, relu hidden layers)"
    assert user.params["activation"] == "relu"
    assert len(user.sha256) == 64


def test_what_a_users_network_does_not_have_is_named(tmp_path):
    _npz_network(tmp_path / "net.npz", (5, 10))
    cfg = {
        "samples": W,
        "network": {"npz": "net.npz", "activation": "tanh"},
        "interactions": {"layers": ["z1", "z3"], "nodes": {"z1": [9], "z2": [0]}},
        "sweep": {"layers": ["z1", "a3"]},
        "methods_figure": {"nodes": {"z1": [0, 7], "z2": [0]}},
    }
    assert config_checks.problems(cfg, SCHEMA, lambda p: None, workdir=str(tmp_path)) == [
        "config.methods_figure.nodes.z1[1]: node 7 is not in z1, whose nodes are 0 to 4",
        "config.methods_figure.nodes.z2: z2 is the network's output layer, whose every node "
        "the figure shows; remove it here",
        "config.interactions.layers[1]: 'z3' is not a layer of the network, whose layers are "
        "a1, z1, a2, z2",
        "config.interactions.nodes.z1[0]: node 9 is not in z1, whose nodes are 0 to 4",
        "config.interactions.nodes.z2: z2 is the network's output layer, whose every node gets "
        "its pair matrices; remove it here",
        "config.sweep.layers[1]: 'a3' is not a layer of the network, whose layers are "
        "a1, z1, a2, z2",
    ]
    _npz_network(tmp_path / "net.npz", (5, 3))  # 3 outputs for the ten digits
    assert config_checks.problems(
        {"samples": W, "network": {"npz": "net.npz", "activation": "tanh"}},
        SCHEMA,
        lambda p: None,
        workdir=str(tmp_path),
    ) == [
        "config.network.npz: the network has 3 outputs (z2), but the dataset mnist has 10 "
        "classes; give a network with one output per class (or train one: network: "
        "{train: {...}})"
    ]


@pytest.mark.parametrize(
    "network, expected",
    [
        (
            {"npz": "missing.npz", "activation": "relu"},
            "config.network.npz: 'missing.npz' does not exist",
        ),
        ({"npz": "net.npz"}, "config.network: "),
        ({"onnx": "net.npz"}, "config.network.onnx: net.npz"),
        ({"pickle": "net.npz", "activation": "swish"}, "config.network: "),
        ("resnet", "config.network: "),
    ],
)
def test_a_network_that_cannot_be_read_is_named(tmp_path, network, expected):
    _npz_network(tmp_path / "net.npz")
    found = config_checks.problems(
        {"samples": W, "network": network}, SCHEMA, lambda p: None, workdir=str(tmp_path)
    )
    assert len(found) == 1 and found[0].startswith(expected), found


def test_misclassified_images_are_not_chosen_by_the_books_network_for_another(tmp_path):
    """sample_selection's predictions are the book's network's: with another network they
    would pick the wrong images, so the rule is refused (label and indices still work)."""
    _npz_network(tmp_path / "net.npz")
    cfg = {
        "network": {"npz": "net.npz", "activation": "relu"},
        "sample_selection": [
            {"split": "test", "label": 3, "first": 2},
            {"split": "test", "misclassified": True},
        ],
    }
    found = config_checks.network_problems(cfg, str(tmp_path))
    assert found == [
        "config.sample_selection[1].misclassified: selects by the book's network's "
        "predictions on MNIST; not yet available for another network (select by label, "
        "indices or first)"
    ]
    trained = {"network": {"train": {"epochs": 1}}, "sample_selection": cfg["sample_selection"]}
    assert len(config_checks.network_problems(trained)) == 1


def test_hidden_nodes_are_chosen_in_any_hidden_layer_of_the_network(tmp_path):
    """A deeper, wider network than the book's: nodes of its z3 and beyond the book's
    widths are chosen; its output layer and a layer it lacks are named."""
    _npz_network(tmp_path / "net.npz", (60, 120, 130, 10))
    net = {"npz": "net.npz", "activation": "relu"}
    ok = {
        "samples": W,
        "network": net,
        "layers": ["z1", "z2", "z3", "z4"],
        "methods_figure": {"nodes": {"z1": [59], "z3": [0, 129]}},
        "interactions": {"layers": ["z2", "z3", "z4"], "nodes": {"z2": [119], "a3": [5]}},
    }
    assert config_checks.problems(ok, SCHEMA, lambda p: None, workdir=str(tmp_path)) == [
        "config.interactions.nodes.a3: layer 'a3' is not in config.interactions.layers "
        "['z2', 'z3', 'z4']; add it there or remove it here"
    ]
    ok["interactions"]["layers"].append("a3")
    assert config_checks.problems(ok, SCHEMA, lambda p: None, workdir=str(tmp_path)) == []
    ok["methods_figure"]["nodes"] = {"z3": [130], "z4": [0], "z5": [0]}
    assert config_checks.problems(ok, SCHEMA, lambda p: None, workdir=str(tmp_path)) == [
        "config.methods_figure.nodes.z3[0]: node 130 is not in z3, whose nodes are 0 to 129",
        "config.methods_figure.nodes.z4: z4 is the network's output layer, whose every node "
        "the figure shows; remove it here",
        "config.methods_figure.nodes.z5: 'z5' is not a layer of the network, whose hidden "
        "layers are a1, z1, a2, z2, a3, z3",
    ]
