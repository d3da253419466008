from pathlib import Path

import pytest

from pixel_influence import config as config_checks

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = config_checks.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")


W = {"w": {"fill": 1.0}}


def problems(cfg, exists=lambda p: True):
    return config_checks.problems(cfg, SCHEMA, exists)


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
            "config.layers[1]: 'z9' is not one of",
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
            "config.samples: sample name '../up' is not allowed",
        ),
        ({"samples": {"w": {"fill": 1.0}}, "methods": ["magic"]}, "config.methods[0]: 'magic'"),
        ({"samples": {"w": {"fill": 1.0}}, "scale": "log"}, "config.scale: 'log' is not one of"),
        ({"samples": {"w": {"fill": 1.0}}, "layer": ["z1"]}, "('layer' was unexpected)"),
        ({"layers": ["z1"]}, "config: 'samples' is a required property"),
        (
            {"samples": W, "method_parameters": {"shapley_sampling": {"permutations": 7}}},
            "config.method_parameters.shapley_sampling.permutations: 7 is not a multiple of 2",
        ),
        (
            {"samples": W, "method_parameters": {"integrated_gradients": {"nodes": 0}}},
            "config.method_parameters.integrated_gradients.nodes: 0 is less than the minimum",
        ),
        (
            {"samples": W, "method_parameters": {"deeplift": {"nodes": 3}}},
            "config.method_parameters: Additional properties are not allowed ('deeplift'",
        ),
        (
            {"samples": W, "faithfulness": {"min_change": -1}},
            "config.faithfulness.min_change: -1 is less than the minimum of 0",
        ),
        (
            {"samples": W, "methods_figure": {"nodes": {"z1": [50]}}},
            "config.methods_figure.nodes.z1[0]: 50 is greater than the maximum of 49",
        ),
        (
            {"samples": W, "methods_figure": {"nodes": {"z3": [1]}}},
            "config.methods_figure.nodes: Additional properties are not allowed ('z3'",
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


def test_missing_png_is_named():
    cfg = {"samples": {"mine": {"png": "nowhere/mine.png"}, "w": {"fill": 0.5}}}
    assert problems(cfg, exists=lambda p: False) == [
        "config.samples.mine.png: file 'nowhere/mine.png' does not exist"
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
