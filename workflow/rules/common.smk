# Config checks and input functions shared by the rules.

import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from pixel_influence import config as config_checks
from pixel_influence import samples as sample_sources
from pixel_influence.download import FILES

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
LAYERS = config["layers"]
METHODS = config["methods"]
ENV = "../../environment.yml"


wildcard_constraints:
    sample="|".join(map(re.escape, SAMPLES)),
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
