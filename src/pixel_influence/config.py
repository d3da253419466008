"""Checking the workflow config: the JSON schema plus what a schema cannot say."""

from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from . import samples
from .sweep import BLOCK, blocks


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


def duplicate_keys(text, source="config"):
    """Keys given twice in one mapping of a YAML text, as messages; [] if none.

    YAML loaders keep the last of duplicate keys without a word, so a sample listed twice
    under the same name would silently replace the first.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # Snakemake reports syntax errors itself
    found = []

    def walk(node, where):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
                line = key.start_mark.line + 1
                if name in seen:
                    found.append(
                        f"{source} line {line}: {where}.{name} is given twice (first at line "
                        f"{seen[name]}); YAML would silently keep only the last, rename or "
                        "remove one"
                    )
                else:
                    seen[name] = line
                walk(value, f"{where}.{name}")
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{where}[{i}]")

    if root is not None:
        walk(root, "config")
    return found


def sweep_problems(sweep):
    """Problems of the ``sweep`` section that the schema cannot express."""
    if sweep is None:
        return []
    split = sweep.get("split", "test")
    size = samples.SPLIT_SIZES[split]
    images = sweep.get("images") or size
    if images > size:
        return [
            f"config.sweep.images: {images} is more than the {size} images of the {split} "
            f"split; use at most {size} or null for all"
        ]
    shards = sweep.get("shards", 4)
    if shards > blocks(images):
        return [
            f"config.sweep.shards: {shards} shards for {images} images, but shards are cut "
            f"in blocks of {BLOCK} images, so at most {blocks(images)}"
        ]
    return []


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
    found += sweep_problems(config.get("sweep"))
    return found
