# Config checks and input functions shared by the rules.

import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from pixel_influence import config as config_checks
from pixel_influence import samples as sample_sources
from pixel_influence.download import FILES
from pixel_influence.network import LAYER_SIZES
from pixel_influence.samples import SPLIT_SIZES

SCHEMA = "../schemas/config.schema.yaml"

# every problem at once, each naming its key, before any job runs
_problems = [
    problem
    for path in workflow.configfiles
    for problem in config_checks.duplicate_keys(Path(path).read_text(), str(path))
]
_problems += config_checks.problems(
    config, config_checks.load_schema(workflow.source_path(SCHEMA))
)
if _problems:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_problems))
validate(config, SCHEMA)  # fills in the schema's defaults

SAMPLES = list(config["samples"])
SWEEP = config.get("sweep")  # None: no sweep; {} (or any keys): the schema's defaults
LAYERS = config["layers"]
METHODS = config["methods"]
ENV = "../../environment.yml"


wildcard_constraints:
    sample="|".join(map(re.escape, SAMPLES)),
    split="train|test",
    shard=r"\d+",
    label="[0-9]",
    resource="|".join(map(re.escape, FILES)),


def influence_inputs(wildcards):
    """The files a sample's influence job reads, by the kind of its source."""
    spec = config["samples"][wildcards.sample]
    inputs = {
        "weights": "results/network/weights.h5",
        "baseline": "results/network/baseline.h5",
    }
    kind = sample_sources.kind(spec)
    if kind == "mnist":
        inputs["mnist"] = "results/mnist/mnist.h5"
    elif kind == "png":
        inputs["png"] = spec["png"]
    return inputs


def montage_inputs(wildcards):
    inputs = {"influence": f"results/influence/{wildcards.sample}.h5"}
    if config["scale"] == "shared":
        inputs["shared_scale"] = "results/images/shared_scale.h5"
    return inputs


def layer_pictures(samples):
    return expand(
        "results/images/{sample}/{method}/{layer}.png",
        sample=samples,
        method=METHODS,
        layer=LAYERS,
    )


def sweep_targets():
    """The sweep's outputs, or none when the config has no sweep."""
    if SWEEP is None:
        return []
    return [f"results/sweep/{SWEEP['split']}/classes.h5"] + expand(
        "results/sweep/{split}/images/class{label}.png",
        split=SWEEP["split"],
        label=range(10),
    )


def sweep_shards(wildcards):
    return expand(
        "results/sweep/{split}/shards/{shard}.h5",
        split=wildcards.split,
        shard=range(SWEEP["shards"]),
    )


def sweep_memory_mb(wildcards):
    """A shard job's memory: per method, per-class float block sums and exact sums of the
    maps and their squares (6 arrays of classes x nodes x 784 float64), plus the process.
    """
    nodes = sum(LAYER_SIZES[layer] for layer in SWEEP["layers"])
    per_method = 6 * 10 * nodes * 784 * 8 / 1e6
    return int(400 + per_method * len(SWEEP["methods"]))


# milliseconds per image on one core, measured (README, "Speed"), with room to spare
SWEEP_MS_PER_IMAGE = {"integrated_gradients": 10, "shapley_sampling": 300}


def sweep_runtime_min(wildcards):
    """Minutes per shard: three times the measured time per image and method."""
    images = SWEEP["images"] or SPLIT_SIZES[wildcards.split]
    ms = sum(SWEEP_MS_PER_IMAGE.get(m, 2) for m in SWEEP["methods"])
    return int(10 + 3 * images * ms / 1000 / 60 / SWEEP["shards"])
