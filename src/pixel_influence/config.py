"""Checking the workflow config: its YAML, the JSON schema, and what a schema cannot say.

Every problem becomes one message that names the offending key (``config.samples.d.index``)
or the file, line and column; ``problems`` lists them all at once, before any job runs.
"""

import datetime
import hashlib
import json
import math
import numbers
import os
from pathlib import Path
from typing import NamedTuple

import yaml
from jsonschema import Draft202012Validator, validators

from . import datasets, network, networks, sample_sheet, samples, selection, training
from .download import FILES
from .errors import InputError
from .keypaths import SHOWN, shown, where
from .sweep import BLOCK, blocks

__all__ = [
    "NETWORK_KINDS",
    "NULLABLE",
    "RENAMED",
    "UserNetwork",
    "Validator",
    "default_layers",
    "duplicate_keys",
    "interactions_problems",
    "load_schema",
    "dataset_checksums",
    "network_kind",
    "network_problems",
    "problems",
    "put_back_nulls",
    "read_network",
    "renamed_problems",
    "selection_data",
    "sweep_problems",
    "take_out_nulls",
    "trained_network",
    "training_recipe",
    "user_network",
    "value_problems",
    "yaml_syntax_problem",
]

# every integer of the config ends up in an HDF5 attribute or a numpy call: int64
INT64_MAX = 2**63 - 1
# a config file is a few levels deep and a few hundred values; far more is a mistake (or an
# alias bomb) that would exhaust Python's recursion or the memory of every check
MAX_DEPTH = 100
MAX_VALUES = 100_000


def load_schema(path):
    with open(path) as f:
        return yaml.safe_load(f)


def _is_integer(checker, instance):
    """JSON Schema's "integer" without whole floats: 3.0 would pass the standard check and
    then fail where an index, a count or a seed must be an int."""
    return isinstance(instance, int) and not isinstance(instance, bool)


Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _message(error):
    if error.validator == "anyOf" and not error.absolute_path:  # the root's only anyOf
        return "no samples: give `samples`, `sample_sheet`, `sample_folder` or `sample_selection`"
    if error.validator == "oneOf" and "samples" in list(error.absolute_path)[:1]:
        return (
            "a sample is exactly one of {fill: v}, {split: train|test, index: i} or "
            f"{{png: path}}, not {shown(error.instance)}"
        )
    if "propertyNames" in error.schema_path and list(error.absolute_path)[-1:] == ["nodes"]:
        return (
            f"{shown(error.instance)} is not a layer: a hidden layer by position, a1, z1, a2, "
            "z2, ... (ak the pre-activation of layer k, zk its output)"
        )
    if "propertyNames" in error.schema_path:
        return f"sample name {shown(error.instance)} is not allowed: {samples.NAME_RULE}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in allowed]
        if any(len(repr(k)) > SHOWN for k in extra):
            names = ", ".join(shown(k) for k in extra)
            verb = "was" if len(extra) == 1 else "were"
            return f"Additional properties are not allowed ({names} {verb} unexpected)"
    if error.validator == "type" and "integer" in error.validator_value:
        if isinstance(error.instance, float) and math.isfinite(error.instance):
            if error.instance.is_integer():
                return (
                    f"{error.instance!r} is not a whole number as the config means it: write "
                    f"it without a decimal point ({int(error.instance)})"
                )
            return f"{error.instance!r} is not a whole number, expected an integer"
    if error.validator == "type" and error.validator_value == "boolean":
        if isinstance(error.instance, str) and error.instance.lower() in ("true", "false"):
            word = error.instance.lower() == "true"
            return (
                f"{error.instance!r} is text, not true or false: Snakemake's --config reads "
                f"only True and False as booleans (write {word})"
            )
    text = repr(error.instance)
    if len(text) > SHOWN:  # jsonschema writes the whole value into its message
        return error.message.replace(text, shown(error.instance))
    return error.message


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader, but a scalar it cannot make into its value (the date 2019-13-45,
    ``!!int 1.5``, ``!!bool maybe``) is a YAML error at the scalar's line and column, not a
    ValueError, KeyError or IndexError from deep inside PyYAML."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as e:  # noqa: BLE001 - whatever a constructor raises
            kind = node.tag.rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            why = f" ({e})" if isinstance(e, (ValueError, OverflowError)) and str(e) else ""
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{shown(value)} is not a valid {kind}{why}; write it in quotes if it is "
                "meant as text",
                node.start_mark,
            ) from None


def _shape_problem(root):
    """(node, what is wrong) for the first node of a composed YAML document that holds
    itself (an alias inside its own anchor) or lies deeper than ``MAX_DEPTH`` (aliases
    followed), or for the root when the document expands to more than ``MAX_VALUES``
    values; None when there is no such node. Each node is explored once."""
    explored = {}  # id of a node explored in full -> (values below it, levels below it)
    inside = set()  # ids of the nodes on the way down to the current one
    trouble = []
    endless = (MAX_VALUES + 1, MAX_DEPTH + 1)

    def explore(node, depth):
        if id(node) in inside:
            what = "holds itself: an alias (*name) inside its own anchor (&name) is endless"
            trouble.append((node, f"this value {what}"))
            return endless
        values, levels = explored.get(id(node), (None, 0))
        if depth + levels > MAX_DEPTH:
            trouble.append((node, f"this value is nested more than {MAX_DEPTH} levels deep"))
            return endless
        if values is not None:
            return values, levels
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        inside.add(id(node))
        values, levels = 1, 0
        for child in children:
            below, deep = explore(child, depth + 1)
            values, levels = values + below, max(levels, deep + 1)
            if trouble or values > MAX_VALUES:
                break
        inside.discard(id(node))
        explored[id(node)] = (values, levels)
        return values, levels

    if root is not None and explore(root, 0)[0] > MAX_VALUES and not trouble:
        what = f"the file holds more than {MAX_VALUES} values once its aliases are expanded"
        trouble.append((root, what))
    return trouble[0] if trouble else None


def _depth(value, limit):
    """How deep the lists and mappings of ``value`` go, counting at most to ``limit + 1``."""
    if limit < 0 or not isinstance(value, (list, dict)):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(item, limit - 1) for item in items), default=0)


def yaml_syntax_problem(path):
    """A message naming the file, line and column of a YAML syntax error in ``path``, or
    None (Snakemake's own message names neither). Also refused, as Snakemake would fail on
    them with a traceback: a scalar that YAML cannot make into its value (2019-13-45), an
    alias inside its own anchor, nesting beyond ``MAX_DEPTH`` and more than ``MAX_VALUES``
    values once aliases are expanded. A text that is JSON is read as JSON, as Snakemake
    does (JSON indented with tabs is no YAML)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return f"{path}: not a text file in UTF-8 (byte {e.start}: {e.reason})"
    except OSError as e:
        return f"{path}: cannot be read ({e.strerror or e})"
    try:
        value = json.loads(text)
    except RecursionError:
        return f"{path}: not valid JSON: nested too deeply for Python to read"
    except ValueError:
        pass  # not JSON: YAML, below
    else:
        if _depth(value, MAX_DEPTH) > MAX_DEPTH:
            return f"{path}: not valid JSON: nested more than {MAX_DEPTH} levels deep"
        return None
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:  # a character YAML does not allow, anywhere
        line = text.count("\n", 0, e.position) + 1
        column = e.position - text.rfind("\n", 0, e.position)
        return (
            f"{path} line {line}, column {column}: not valid YAML: the character "
            f"{chr(e.character)!r} (U+{e.character:04X}) is not allowed; remove it, or write it "
            "as an escape in double quotes"
        )
    try:
        root = loader.get_single_node()
        if (shape := _shape_problem(root)) is not None:
            node, what = shape
            mark = node.start_mark
            return f"{path} line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {what}"
        if root is not None:
            loader.construct_document(root)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        what = e.problem or ""
        if e.context:
            start = e.context_mark
            begun = f" (begun at line {start.line + 1}, column {start.column + 1})" if start else ""
            what = f"{e.context}{begun}: {what}"
        return f"{path} {at}: not valid YAML: {what}"
    except yaml.YAMLError as e:
        return f"{path}: not valid YAML: {' '.join(str(e).split())}"
    except RecursionError:
        return f"{path}: not valid YAML: nested too deeply for Python to read"
    finally:
        loader.dispose()
    return None


def duplicate_keys(text, source="config"):
    """Keys given twice in one mapping of a YAML text, as messages; [] if none.

    YAML loaders keep the last of duplicate keys without a word, so a sample listed twice
    under the same name would silently replace the first.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # yaml_syntax_problem reports it
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


def _read_as(value):
    """What YAML made of an unquoted key that is not text."""
    if value is None:
        return "null (YAML reads ~, null and an empty key so)"
    if isinstance(value, bool):
        return (
            f"the boolean {str(value).lower()} (YAML reads yes, no, on, off, y, n, true and "
            "false so)"
        )
    if isinstance(value, numbers.Number):
        return f"the number {shown(value)}"
    if isinstance(value, datetime.date):  # a datetime is a date too
        return f"the {type(value).__name__} {value.isoformat()}"
    if isinstance(value, bytes):
        return "binary data (a !!binary value)"
    return f"a {type(value).__name__}"


def _key_problem(path, key):
    # not a dict lookup: 1 == True and 0 == False would make the key 1 "yes"
    if isinstance(key, bool) or key is None:
        example = {True: "yes", False: "no", None: "null"}[key]
    else:
        example = "text" if isinstance(key, bytes) else str(key)
    what = "the sample name" if path == ("samples",) else "the key"
    written = str(key) if isinstance(key, datetime.date) else shown(key)
    return (
        f"{where(path)}: {what} {written} is read by YAML as {_read_as(key)}, not as text; "
        f"write it in quotes as you mean it, e.g. '{example[:SHOWN]}': ..."
    )


def value_problems(config, path=(), _inside=()):
    """What a JSON schema lets through in any value of ``config``: keys that YAML read as
    numbers, booleans or null; NaN and infinities (every comparison with NaN is false, so
    ``minimum``/``maximum`` accept it); integers beyond int64; text holding a NUL byte; a
    list or mapping that holds itself (a YAML alias inside its own anchor)."""
    found = []
    if isinstance(config, (dict, list)):
        if any(config is outer for outer in _inside):
            what = "holds itself (a YAML alias *name inside its own anchor &name)"
            return [f"{where(path)}: {what}; write the value out"]
        _inside += (config,)
    if isinstance(config, dict):
        for key, value in config.items():
            if not isinstance(key, str):
                found.append(_key_problem(path, key))
                continue
            found += value_problems(value, path + (key,), _inside)
    elif isinstance(config, list):
        for i, value in enumerate(config):
            found += value_problems(value, path + (i,), _inside)
    elif isinstance(config, float) and not math.isfinite(config):
        found.append(f"{where(path)}: {config!r} is not a finite number")
    elif isinstance(config, int) and not isinstance(config, bool):
        if not -INT64_MAX - 1 <= config <= INT64_MAX:
            digits = len(str(abs(config)))
            number = str(config) if digits <= 30 else f"a number of {digits} digits"
            found.append(
                f"{where(path)}: {number} is too large: numbers here are stored as 64-bit "
                f"integers, at most {INT64_MAX} in size"
            )
    elif isinstance(config, str) and "\x00" in config:
        found.append(f"{where(path)}: {shown(config)} holds a NUL character; remove it")
    return found


# keys given a new name: (path of the old key) -> (new name, what the key means). The old
# key is refused with a message that names the new one, not merely as unexpected
RENAMED = {
    ("method_parameters", "integrated_gradients", "nodes"): (
        "points",
        "the number of Gauss-Legendre quadrature points",
    ),
}


def renamed_problems(config):
    """Messages for the keys of ``config`` that have a new name (``RENAMED``), each naming
    the new key and showing it with the value given, and ``config`` without those keys (the
    mappings on their way copied, ``config`` left as it is) for the schema, which would
    report them again as merely unexpected."""
    found = []
    for path, (new, meaning) in RENAMED.items():
        *parents, old = path
        holder = config
        for part in parents:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or old not in holder:
            continue
        advice = f"write {new}: {shown(holder[old])}"
        if new in holder:  # e.g. the old key on the command line, the new one in the file
            advice += f" instead ({new}: {shown(holder[new])} is given too)"
        found.append(f"{where(path)}: renamed {new!r} ({meaning}); {advice}")
        config = _without(config, path)
    return found, config


def _without(config, path):
    """A copy of the mappings ``config`` holds along ``path``, without the key at its end."""
    if len(path) == 1:
        return {k: v for k, v in config.items() if k != path[0]}
    return {**config, path[0]: _without(config[path[0]], path[1:])}


def _plain(value):
    """``value`` with every mapping a plain dict (no cycles: value_problems refused those)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def sweep_problems(sweep, sizes=samples.SPLIT_SIZES):
    """Problems of the ``sweep`` section that the schema cannot express; ``sizes``: the
    images of each split of the dataset."""
    if sweep is None:
        return []
    split = sweep.get("split", "test")
    size = sizes[split]
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


NULLABLE = (("interactions",), ("interactions", "shapley_interaction"))


def take_out_nulls(config):
    """Remove the sections of ``NULLABLE`` that the config sets to null ("none of it") and
    return their paths: Snakemake's ``validate`` would fill a null section's defaults into
    None and fail. ``put_back_nulls`` restores them after it."""
    removed = []
    for path in NULLABLE:
        parent = config
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent and parent[path[-1]] is None:
            del parent[path[-1]]
            removed.append(path)
    return removed


def put_back_nulls(config, removed):
    """Set the sections ``take_out_nulls`` removed back to null (None); a top-level one is
    left out, which means the same."""
    for path in removed:
        if len(path) == 1:
            continue
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = None


def interactions_problems(interactions, schema):
    """Problems of the ``interactions`` section that the schema cannot express."""
    if interactions is None:
        return []
    defaults = schema["properties"]["interactions"]["properties"]
    layers = interactions.get("layers", defaults["layers"]["default"])
    found = []
    # the nodes given; the default ones count only for the layers there are (as those of
    # methods_figure)
    for layer in interactions.get("nodes", {}):
        if layer not in layers:
            found.append(
                f"config.interactions.nodes.{layer}: layer {layer!r} is not in "
                f"config.interactions.layers {layers}; add it there or remove it here"
            )
    return found


NETWORK_KINDS = {"pickle": "a pickle of arrays", "npz": "an .npz file", "onnx": "an ONNX file"}
# what a network of the user's may not yet be used with, and how to leave it out
NOT_YET = {}


class UserNetwork(NamedTuple):
    """A network of the user's as the config names it: its layers (``network.layer_names``)
    and their sizes, where it comes from in words, the sha256 that its weights file will
    hold as ``source_sha256`` (of the file's bytes; of the training recipe for a network the
    pipeline trains), and its checked parameters (None for one still to be trained)."""

    layers: tuple
    sizes: dict
    source: str
    sha256: str
    params: dict | None


def _from_params(params, source, sha256):
    return UserNetwork(
        network.layer_names(params), network.layer_sizes(params), source, sha256, params
    )


def network_kind(spec):
    """ "pickle", "npz" or "onnx": the kind of file a ``network`` entry names; "train" for a
    network the pipeline trains."""
    return next(kind for kind in (*NETWORK_KINDS, "train") if kind in spec)


def training_recipe(settings, dataset=datasets.MNIST):
    """What decides a trained network, as stable text: the checked training settings and
    the training data's checksums (and, for a dataset other than MNIST, its name and class
    names). Its sha256 is the weights file's ``source_sha256``."""
    recipe = {"train": settings, "data": dataset_checksums(dataset)}
    if dataset.name != "mnist":
        recipe["dataset"] = {"name": dataset.name, "classes": datasets.class_count(dataset)}
    return json.dumps(recipe, sort_keys=True, separators=(",", ":"))


def trained_network(spec, dataset=datasets.MNIST):
    """``UserNetwork`` of ``{train: settings}``: the network the pipeline will train on
    ``dataset``, with one output per class."""
    settings = training.check_settings(spec.get("train"), ("network", "train"))
    depth = len(settings["hidden"]) + 1
    names = network.layer_names(depth)
    widths = [*settings["hidden"], datasets.class_count(dataset)]
    sizes = {layer: widths[int(layer[1:]) - 1] for layer in names}
    recipe = training_recipe(settings, dataset)
    return UserNetwork(
        names,
        sizes,
        f"trained by the pipeline: {training.describe(settings, classes=widths[-1])}",
        hashlib.sha256(recipe.encode()).hexdigest(),
        None,
    )


def dataset_checksums(dataset=datasets.MNIST):
    """{file: sha256} of the four files of the dataset a network is trained on (MNIST's as
    "mnist/<file>")."""
    if dataset.name == "mnist":
        return {name: FILES[name][1] for name in sorted(FILES) if name.startswith("mnist/")}
    return {role: dataset.files[role].sha256 for role in datasets.ROLES}


def read_network(spec, data, path):
    """``UserNetwork`` of a ``network`` entry from its file's bytes."""
    kind = network_kind(spec)
    if kind == "pickle":
        found = networks.read_pickle(data, spec.get("activation", "sigmoid"), path)
    elif kind == "npz":
        found = networks.read_npz(data, spec["activation"], path)
    else:
        found = networks.read_onnx(data, path)
    info = found.info
    words = [f"{kind} file", info["sizes"], f"{info['activation']} hidden layers"]
    if info["output"] == "logits":
        words.append("ends in logits, softmax added")
    words += [info[key] for key in ("producer", "opset") if info[key]]
    if info["ignored"]:
        words.append(f"no-ops ignored: {info['ignored']}")
    return _from_params(found.params, f"{Path(path).name} ({', '.join(words)})", info["sha256"])


def user_network(spec, workdir=None, dataset=datasets.MNIST):
    """``UserNetwork`` of a ``network`` entry, its path relative to ``workdir`` (the current
    folder unless given), one trained on ``dataset``; InputError naming the key if the file
    cannot be read as one."""
    kind = network_kind(spec)
    if kind == "train":
        return trained_network(spec, dataset)
    path = spec[kind] if workdir is None else os.path.join(workdir, spec[kind])
    problem = samples.file_problem(path, NETWORK_KINDS[kind])
    if problem:
        raise InputError(f"config.network.{kind}: {spec[kind]!r} {problem}")
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"config.network.{kind}: {spec[kind]!r} cannot be read ({e})") from None
    try:
        return read_network(spec, data, spec[kind])
    except InputError as e:
        raise InputError(f"config.network.{kind}: {e}") from None


def default_layers(names):
    """The layers mapped when the config names none, of a network's layers (``network.
    layer_names``): the hidden layers' outputs, then the output's logits and probabilities
    (the book's: z1, z2, a3, z3)."""
    return [layer for layer in names[:-2] if layer.startswith("z")] + list(names[-2:])


def _layer_problems(key, layers, names):
    """Problems of a list of layers (``config.<key>``): each one of the network's ``names``."""
    return [
        f"config.{key}[{i}]: {layer!r} is not a layer of the network, whose layers are "
        f"{', '.join(names)}"
        for i, layer in enumerate(layers or [])
        if layer not in names
    ]


def _node_problems(key, nodes, names, sizes, drawn):
    """Problems of hidden nodes chosen by layer (``config.<key>``): each layer one of the
    network's hidden layers (its output layers' every node ``drawn`` anyway), each node
    within its layer."""
    problems = []
    for layer, chosen in nodes.items():
        if layer in names[-2:]:
            problems.append(
                f"config.{key}.{layer}: {layer} is the network's output layer, whose every "
                f"node {drawn}; remove it here"
            )
        elif layer not in sizes:
            problems.append(
                f"config.{key}.{layer}: {layer!r} is not a layer of the network, whose "
                f"hidden layers are {', '.join(names[:-2])}"
            )
        else:
            for i, node in enumerate(chosen):
                if node >= sizes[layer]:
                    problems.append(
                        f"config.{key}.{layer}[{i}]: node {node} is not in {layer}, whose "
                        f"nodes are 0 to {sizes[layer] - 1}"
                    )
    return problems


def network_problems(config, workdir=None, dataset=datasets.MNIST):
    """Problems of ``network`` and of the layers and nodes that depend on it: the file must
    be a network with one output per class of the ``dataset``, every layer one of its own,
    every node within its layer; what does not yet work with a network other than the
    book's is named with how to leave it out."""
    spec = config.get("network", "book")
    if spec == "book":
        names, sizes = network.LAYERS, network.LAYER_SIZES
    else:
        try:
            found = user_network(spec, workdir, dataset)
        except InputError as e:
            return [str(e)]
        names, sizes = found.layers, found.sizes
    problems = []
    classes = datasets.class_count(dataset)
    if sizes[names[-1]] != classes:
        key = "network" if spec == "book" else f"network.{network_kind(spec)}"
        problems.append(
            f"config.{key}: the network has {sizes[names[-1]]} outputs ({names[-1]}), but the "
            f"dataset {dataset.name} has {classes} classes; give a network with one output "
            "per class (or train one: network: {train: {...}})"
        )
    problems += _layer_problems("layers", config.get("layers"), names)
    figure = (config.get("methods_figure") or {}).get("nodes") or {}
    problems += _node_problems("methods_figure.nodes", figure, names, sizes, "the figure shows")
    interactions = config.get("interactions")
    if isinstance(interactions, dict):
        problems += _layer_problems("interactions.layers", interactions.get("layers"), names)
        problems += _node_problems(
            "interactions.nodes",
            interactions.get("nodes") or {},
            names,
            sizes,
            "gets its pair matrices",
        )
    sweep = config.get("sweep")
    if isinstance(sweep, dict):
        problems += _layer_problems("sweep.layers", sweep.get("layers"), names)
    if spec != "book" or dataset.name != "mnist":
        # the predictions that select misclassified images are the book's network's on
        # MNIST, read when Snakemake starts: otherwise they would select the wrong images
        other = "another network" if spec != "book" else f"the dataset {dataset.name}"
        for i, rule in enumerate(config.get("sample_selection") or []):
            if isinstance(rule, dict) and "misclassified" in rule:
                problems.append(
                    f"config.sample_selection[{i}].misclassified: selects by the book's "
                    f"network's predictions on MNIST; not yet available for {other} (select "
                    "by label, indices or first)"
                )
        for key, off in NOT_YET.items():
            if config.get(key) is not None:
                problems.append(
                    f"config.{key}: not yet available for a network other than the book's; {off}"
                )
    return problems


def selection_data(config, schema, workdir=None):
    """``selection.MnistData`` as a schema-valid ``config`` says to fetch the data: its
    ``local_mirror``, ``mirrors`` and ``download`` settings, the schema's defaults for those
    it leaves out (the checks run before Snakemake fills them in)."""
    properties = schema["properties"]
    settings = {}
    for key in ("mirrors", "download"):
        defaults = properties[key]["properties"]
        settings[key] = {name: node["default"] for name, node in defaults.items()}
        settings[key].update(config.get(key) or {})
    data = selection.MnistData(
        workdir,
        config.get("local_mirror"),
        settings["mirrors"],
        settings["download"]["timeout"],
        settings["download"]["retries"],
    )
    data.dataset = data.resolve(config.get("dataset", "mnist"))  # InputError: a file's fault
    return data


def problems(config, schema, path_problem=None, workdir=None, data=None):
    """Every problem of ``config`` as a message naming the offending key; [] if none.

    ``workdir``: the folder that relative paths (PNG samples, ``sample_sheet``,
    ``sample_folder``, the data under ``resources/``) are relative to, the current one
    unless given; ``path_problem(path)``: what is wrong with a PNG sample's path, or None
    (``samples.png_path_problem`` in ``workdir`` unless given); ``data``: the labels and
    predictions that ``sample_selection`` may need (``selection_data`` unless given). They
    let a test stand in for the file system and the data."""
    if path_problem is None:
        path_problem = sample_sheet.path_problem_in(workdir)
    if not isinstance(config, dict):
        return [f"config: expected a mapping of keys to values, got {_read_as(config)}"]
    found = value_problems(config)
    if found:
        return found  # the schema would trip over the same values, less clearly
    # Snakemake reads a JSON config into OrderedDicts: messages show plain {...} instead
    config = _plain(config)
    found, checked = renamed_problems(config)
    validator = Validator(schema)
    errors = sorted(validator.iter_errors(checked), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        found.append(f"{where(error.absolute_path)}: {_message(error)}")
    if found:
        # the network's own problems too, when the keys they read are well formed
        involved = {"network", "layers", "methods_figure", "interactions", "sweep", "dataset"}
        involved |= {"local_mirror", "mirrors", "download"}  # how the dataset is fetched
        if not any(list(e.absolute_path)[:1] and e.absolute_path[0] in involved for e in errors):
            try:
                dataset = selection_data(config, schema, workdir).dataset
            except InputError as e:
                return found + [str(e)]
            found += network_problems(config, workdir, dataset)
        return found
    # the dataset: its split sizes bound the samples' indices, its classes the network's
    # (``data``, when a test gives it, stands in for the labels only)
    try:
        if data is None:
            data = selection_data(config, schema, workdir)
            dataset = data.dataset
        else:
            dataset = selection_data(config, schema, workdir).dataset
    except InputError as e:
        return found + [str(e)]
    for name, spec in config.get("samples", {}).items():
        found += samples.check(name, spec, path_problem, dataset.sizes)
    # the sample sheet, folder and selection, and names given twice across all four
    found += sample_sheet.gather(config, path_problem, workdir, data)[1]
    network_found = network_problems(config, workdir, dataset)
    if network_found:
        return found + network_found
    layers = config.get("layers", schema["properties"]["layers"]["default"])
    if config.get("network", "book") != "book" and "layers" not in config:
        layers = default_layers(user_network(config["network"], workdir, dataset).layers)
    figure_layers = config.get("methods_figure", {}).get("nodes", {})
    for layer in figure_layers:
        if layer not in layers:
            found.append(
                f"config.methods_figure.nodes.{layer}: layer {layer!r} is not in "
                f"config.layers {layers}; add it there or remove it here"
            )
    found += sweep_problems(config.get("sweep"), dataset.sizes)
    found += interactions_problems(config.get("interactions"), schema)
    return found
