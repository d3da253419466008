"""Checking the workflow config: the JSON schema plus what a schema cannot say."""

from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from . import samples


def load_schema(path):
    with open(path) as f:
        return yaml.safe_load(f)


def _where(path):
    out = "config"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(error):
    if error.validator == "oneOf" and "samples" in list(error.absolute_path)[:1]:
        return (
            "a sample is exactly one of {fill: v}, {split: train|test, index: i} or "
            f"{{png: path}}, not {error.instance!r}"
        )
    if "propertyNames" in error.schema_path:
        return (
            f"sample name {error.instance!r} is not allowed: it becomes a file name; use "
            "letters, digits, '_', '-' and '.', starting with a letter or digit"
        )
    return error.message


def problems(config, schema, exists=lambda p: Path(p).is_file()):
    """Every problem of ``config`` as a message naming the offending key; [] if none."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    found = []
    for error in errors:
        found.append(f"{_where(error.absolute_path)}: {_message(error)}")
    if found:
        return found
    for name, spec in config["samples"].items():
        found += samples.check(name, spec, exists)
    layers = config.get("layers", schema["properties"]["layers"]["default"])
    shown = config.get("methods_figure", {}).get("nodes", {})
    for layer in shown:
        if layer not in layers:
            found.append(
                f"config.methods_figure.nodes.{layer}: layer {layer!r} is not in "
                f"config.layers {layers}; add it there or remove it here"
            )
    return found
