# Config checks and input functions shared by the rules.

import json
import os
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import validate

from pixel_influence import batches as sample_batches
from pixel_influence import config as config_checks
from pixel_influence import files, provenance, sample_sheet
from pixel_influence import network as network_structure
from pixel_influence import training as sample_training
from pixel_influence import samples as sample_sources
from pixel_influence import sweep as sweep_sums
from pixel_influence import resources as job_resources
from pixel_influence.download import FILES, WEIGHTS

SCHEMA = "../schemas/config.schema.yaml"

# Every job computes on one thread, as declared (one CPU each): a BLAS that spreads a
# matrix product over the cores it finds adds in another order on a machine with another
# number of cores (the maps would differ in their last bits), and on a busy node its threads
# spin for nothing (the faithfulness curves took 3 to 13 times the CPU). The jobs inherit
# this environment from Snakemake, which reads this file first, also in a cluster job.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

# every problem at once, each naming its key, before any job runs
_problems = []
for _path in workflow.configfiles:  # config/config.yaml and any --configfile
    _syntax = config_checks.yaml_syntax_problem(_path)
    if _syntax:
        _problems.append(_syntax)
    else:
        _problems += config_checks.duplicate_keys(Path(_path).read_text(), str(_path))
_schema = config_checks.load_schema(workflow.source_path(SCHEMA))
_problems += config_checks.problems(config, _schema)
if _problems:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_problems))
_given = set(config)  # the keys whose defaults depend on the network, when left out
_given_interactions = (
    set(config["interactions"])
    if isinstance(config.get("interactions"), dict)
    else None
)
_given_sweep = set(config["sweep"]) if isinstance(config.get("sweep"), dict) else None
_nulls = config_checks.take_out_nulls(config)  # validate cannot fill defaults into null
validate(config, SCHEMA)  # fills in the schema's defaults
config_checks.put_back_nulls(config, _nulls)

# The dataset: MNIST, Fashion-MNIST, KMNIST or the user's own four IDX files; its split
# sizes bound the samples, its classes name the output nodes. DATA reads its labels for
# sample_selection. Every job reads DATASET_FILE, checked against DATASET's checksums.
DATA = config_checks.selection_data(config, _schema)
DATASET = DATA.dataset
DATASET_FILE = f"results/{DATASET.name}/{DATASET.name}.h5"
# the download rule's files: the known datasets' and the book's weights (download.FILES),
# and a dataset of the user's given by URL: resource -> (bytes or None, sha256, URL or None)
DOWNLOADS = {name: (size, sha256, None) for name, (size, sha256) in FILES.items()}
for _data_file in DATASET.files.values():
    if _data_file.url is not None:
        DOWNLOADS[_data_file.resource] = (None, _data_file.sha256, _data_file.url)
# The classes of the dataset: CLASS_NAMES is None for MNIST (the digits 0..9, labelled as
# they always were), else the dataset's names, one per class.
CLASS_NAMES = None if DATASET.class_names is None else list(DATASET.class_names)
CLASS_COUNT = 10 if CLASS_NAMES is None else len(CLASS_NAMES)
if DATASET.name != "mnist" and "expected_accuracy" not in _given:
    config["expected_accuracy"] = None  # the book's 0.9352 is MNIST's

# The network: the book's (downloaded, verified) or a file of the user's, read here once
# so that its depth names the layers; every job then reads results/network/weights.h5.
NETWORK = config["network"]
TRAINING = None  # the checked training settings of a network the pipeline trains
TRAINING_RECIPE = None
if NETWORK == "book":
    NETWORK_SHA256 = FILES[WEIGHTS][1]
    NETWORK_LAYERS = network_structure.LAYERS
    NETWORK_SIZES = network_structure.LAYER_SIZES
    NETWORK_READER = "book"  # the weights job reads the verified download
else:
    _user_network = config_checks.user_network(NETWORK, dataset=DATASET)
    if "train" in NETWORK:
        TRAINING = sample_training.check_settings(
            NETWORK["train"], ("network", "train")
        )
        TRAINING_RECIPE = config_checks.training_recipe(TRAINING, DATASET)
    NETWORK_SHA256 = _user_network.sha256
    NETWORK_LAYERS = _user_network.layers
    NETWORK_SIZES = _user_network.sizes
    # the kind of file the weights job reads: pickle, npz, onnx (or train)
    NETWORK_READER = config_checks.network_kind(NETWORK)
    if "layers" not in _given:
        config["layers"] = config_checks.default_layers(NETWORK_LAYERS)
    if "expected_accuracy" not in _given:
        config["expected_accuracy"] = None  # the book's 0.9352 says nothing of another
    # the default hidden nodes of the figures count where the network has them, and the
    # interactions' layers default to the network's own
    _sizes = _user_network.sizes

    def _pick(nodes):
        return {
            layer: [node for node in chosen if node < _sizes[layer]]
            for layer, chosen in nodes.items()
            if layer in NETWORK_LAYERS[:-2]
        }

    config["methods_figure"]["nodes"] = _pick(config["methods_figure"]["nodes"])
    if config.get("interactions") is not None:
        config["interactions"]["nodes"] = _pick(config["interactions"]["nodes"])
        if "layers" not in (_given_interactions or {}):
            config["interactions"]["layers"] = config_checks.default_layers(
                NETWORK_LAYERS
            )
    if config.get("sweep") is not None and "layers" not in (_given_sweep or {}):
        config["sweep"]["layers"] = config_checks.default_layers(NETWORK_LAYERS)

# the samples of the mapping, then the sheet's rows, then the folder's PNG files: from here
# on config["samples"] holds them all, so that every rule sees one mapping
_notes = []
config["samples"], _problems = sample_sheet.gather(config, data=DATA, notes=_notes)
if _problems:  # the sheet or the folder changed since the checks above
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_problems))
if workflow.is_main_process:
    # "config.sample_selection[0]: 648 samples (test-00008 to ...)"
    for _note in _notes:
        logger.info(_note)
SAMPLES = list(config["samples"])
SWEEP = config.get("sweep")  # None: no sweep; {} (or any keys): the schema's defaults
LAYERS = config["layers"]
METHODS = config["methods"]
INTERACTIONS = config.get(
    "interactions"
)  # None: no interactions; else the schema's defaults
ENV = "../../environment.yml"


# Snakemake removes a job's old outputs before it runs, and in a read-only folder that fails
# with a traceback before the job could explain: say it first, once, in plain words
if workflow.is_main_process:
    _locked = files.unwritable_folders(["results", "logs", "resources"])
    if _locked:
        raise WorkflowError(
            "cannot write the outputs: "
            + "; ".join(f"{folder}: {reason}" for folder, reason in _locked[:5])
            + (f" (and {len(_locked) - 5} more)" if len(_locked) > 5 else "")
            + "; make them writable, or run in another folder (snakemake -d DIR)"
        )


def network_file():
    """The file the network is read from: the book's download or the user's own."""
    if NETWORK == "book":
        return f"resources/{WEIGHTS}"
    return NETWORK[config_checks.network_kind(NETWORK)]


def source_stamp(sample):
    return f"results/samples/{sample}.json"


# Each sample's source (its config entry and a PNG's sha256) is written to a stamp that
# changes only when the source does: an influence job reads the stamp, so a PNG replaced by
# another, whatever its modification time (cp -p, tar x, rsync -t), re-runs its jobs, with
# or without Snakemake's records in .snakemake/.
SOURCES = {}
for _sample, _spec in config["samples"].items():
    SOURCES[_sample] = provenance.sample_source(_sample, _spec)
    try:
        files.write_text_if_changed(
            source_stamp(_sample), provenance.source_text(SOURCES[_sample])
        )
    # InputError (a ValueError) for a full disk; the influence job then sees the stale stamp
    except (OSError, ValueError) as e:
        logger.warning(f"could not record the source of sample {_sample}: {e}")


def influence_expected(sample):
    """The root attributes of results/influence/<sample>.h5 as the config asks for it."""
    settings = provenance.influence_settings(
        config["samples"][sample],
        LAYERS,
        METHODS,
        config["method_parameters"],
        config["faithfulness"],
        config["influence_dtype"],
        INTERACTIONS,
    )
    return provenance.influence_expected(
        sample, SOURCES[sample], settings, NETWORK_SHA256
    )


def influence_path(sample):
    return f"results/influence/{sample}.h5"


def shared_scale_sources():
    """The influence files a shared scale must be taken over (with scale: shared only, so
    that adding a sample re-draws no other sample's pictures otherwise)."""
    if config["scale"] != "shared":
        return None
    return [influence_path(s) for s in SAMPLES]


def sample_influence_expected(wildcards):
    return {wildcards.sample: influence_expected(wildcards.sample)}


def one_sample(wildcards):
    """The samples of a per-sample job: the scripts take a list (a batch's are longer)."""
    return [wildcards.sample]


def sample_spec(wildcards):
    return {wildcards.sample: config["samples"][wildcards.sample]}


def every_influence_expected(wildcards):
    """{influence file: its expected root attributes} for the rules that read them all."""
    return {influence_path(s): influence_expected(s) for s in SAMPLES}


def split_expected(split):
    """The root attributes of a sweep's shard and classes files as the config asks."""
    images = SWEEP["images"] or DATASET.sizes[split]
    return {
        "split": split,
        "config": json.loads(
            sweep_sums.provenance(SWEEP, config["method_parameters"], images)
        ),
        "weights_sha256": NETWORK_SHA256,
    }


def sweep_expected(wildcards):
    return split_expected(wildcards.split)


# Cheap samples share jobs (pixel_influence.batches): a thousand digits with the cheap
# methods make tens of jobs, not thousands. Each batch of two or more samples gets rules of
# its own (workflow/rules/batches.smk); a sample alone keeps the per-sample rules.
SAMPLE_SECONDS = job_resources.sample_seconds(
    METHODS, config["method_parameters"], INTERACTIONS, NETWORK_SIZES, LAYERS
)
BATCH_SIZE = sample_batches.batch_size(SAMPLE_SECONDS, config["batch_seconds"])
# a PNG whose decoding alone is half a batch's work has a job of its own
BATCHES = sample_batches.batches(
    SAMPLES,
    BATCH_SIZE,
    alone=[
        s
        for s, spec in config["samples"].items()
        if BATCH_SIZE > 1
        and job_resources.png_seconds(spec) + SAMPLE_SECONDS
        > config["batch_seconds"] / 2
    ],
)
BATCHED = [batch for batch in BATCHES if len(batch) > 1]
ALONE = [batch[0] for batch in BATCHES if len(batch) == 1]


wildcard_constraints:
    # the per-sample rules make the samples that are alone; "(?!)" matches nothing
    sample="|".join(map(re.escape, ALONE)) or "(?!)",
    split="train|test",
    shard=r"\d+",
    label=r"\d+",
    resource="|".join(map(re.escape, DOWNLOADS)),


def influence_inputs_of(samples):
    """The files the influence job of ``samples`` reads, by the kinds of their sources."""
    specs = [config["samples"][s] for s in samples]
    kinds = [sample_sources.kind(spec) for spec in specs]
    inputs = {
        "weights": "results/network/weights.h5",
        "baseline": "results/network/baseline.h5",
        "source": [source_stamp(s) for s in samples],
    }
    if "mnist" in kinds:
        inputs["mnist"] = DATASET_FILE
    pngs = [spec["png"] for spec, kind in zip(specs, kinds) if kind == "png"]
    if pngs:
        inputs["png"] = pngs
    return inputs


def influence_inputs(wildcards):
    return influence_inputs_of([wildcards.sample])


def batch_influence_inputs(samples):
    """The influence inputs of a batch, as an input function."""
    return lambda wildcards: influence_inputs_of(samples)


def batch_name(samples):
    """How a batch's benchmark file is named: after its first sample and its size."""
    return f"{samples[0]}+{len(samples) - 1}"


def montage_inputs_of(samples):
    inputs = {"influence": [influence_path(s) for s in samples]}
    if config["scale"] == "shared":
        inputs["shared_scale"] = "results/images/shared_scale.h5"
    return inputs


def montage_inputs(wildcards):
    return montage_inputs_of([wildcards.sample])


def batch_montage_inputs(samples):
    """The pictures' inputs of a batch, as an input function."""
    return lambda wildcards: montage_inputs_of(samples)


def layer_pictures(samples):
    return expand(
        "results/images/{sample}/{method}/{layer}.png",
        sample=samples,
        method=METHODS,
        layer=LAYERS,
    )


def explorer_targets():
    """The explorer page, which computes the network live."""
    return ["results/explorer/index.html"]


def training_targets():
    """The training curves of a network the pipeline trains."""
    return [] if TRAINING is None else ["results/network/training.png"]


def sweep_targets():
    """The sweep's outputs (each picture of sweep.pictures for each class), or none when
    the config has no sweep."""
    if SWEEP is None:
        return []
    return [classes_path()] + expand(
        "results/sweep/{split}/images/{picture}/class{label}.png",
        split=SWEEP["split"],
        picture=SWEEP["pictures"],
        label=range(CLASS_COUNT),
    )


def interactions_targets():
    """Each sample's interactions picture and the summary, or none without interactions."""
    if INTERACTIONS is None:
        return []
    return expand("results/images/{sample}/interactions.png", sample=SAMPLES) + [
        "results/interactions_summary.csv",
        "results/interactions_summary.html",
    ]


def classes_path():
    """The sweep's per-class statistics, or None without a sweep."""
    return None if SWEEP is None else f"results/sweep/{SWEEP['split']}/classes.h5"


def explorer_inputs(wildcards):
    """The explorer page's inputs: the network, every sample and the sweep's classes."""
    inputs = {
        "weights": "results/network/weights.h5",
        "baseline": "results/network/baseline.h5",
        "influence": [influence_path(s) for s in SAMPLES],
    }
    if SWEEP is not None:
        inputs["classes"] = classes_path()
    return inputs


def explorer_expected(wildcards):
    """{file: its expected root attributes} for the explorer's sample and sweep files."""
    expected = every_influence_expected(wildcards)
    if SWEEP is not None:
        expected[classes_path()] = split_expected(SWEEP["split"])
    return expected


def sweep_shards(wildcards):
    return expand(
        "results/sweep/{split}/shards/{shard}.h5",
        split=wildcards.split,
        shard=range(SWEEP["shards"]),
    )


# Resources: every rule's mem_mb (MB) and runtime (minutes), from the measured models of
# pixel_influence.resources, given what its jobs are given by this config.


def fixed_mem_mb(rule):
    """mem_mb of a rule whose input the config does not change (data, network)."""
    return job_resources.fixed_mem_mb(rule, NETWORK_SIZES, NETWORK_READER)


def train_mem_mb(wildcards):
    """The training job: the training images, in uint8 and as the float32 batches, and the
    network with the optimiser's state."""
    return job_resources.train_mem_mb(TRAINING)


def train_runtime(wildcards):
    return job_resources.train_runtime_min(TRAINING)


def fixed_runtime(rule):
    """runtime of a rule whose time the config changes by less than its margin."""
    return job_resources.fixed_runtime_min(rule, NETWORK_SIZES)


def influence_mem_mb(wildcards):
    """A sample's influence job: a PNG's size and mode (from its header) and the
    integrated gradients' quadrature points."""
    return sample_influence_mem_mb(wildcards.sample)


def sample_influence_mem_mb(sample):
    return job_resources.influence_mem_mb(
        config["samples"][sample],
        METHODS,
        config["method_parameters"],
        interactions=INTERACTIONS,
        dtype=config["influence_dtype"],
        sizes=NETWORK_SIZES,
        layers=LAYERS,
    )


def influence_runtime(wildcards):
    return job_resources.influence_runtime_min(
        config["samples"][wildcards.sample],
        METHODS,
        config["method_parameters"],
        interactions=INTERACTIONS,
        sizes=NETWORK_SIZES,
        layers=LAYERS,
    )


def batch_influence_mem_mb(samples):
    """A batch's influence job holds one sample at a time: the most any of them needs."""
    return max(sample_influence_mem_mb(s) for s in samples)


def batch_runtime(samples, rule):
    """A batch's runtime: its samples' modelled seconds one after the other."""
    return job_resources.declared_minutes(len(samples) * SAMPLE_SECONDS, rule)


def faithfulness_mem_mb(wildcards):
    """The faithfulness job keeps every sample's curves, resampled on 101 points."""
    return job_resources.faithfulness_mem_mb(
        len(SAMPLES), len(METHODS), LAYERS, config["influence_dtype"], NETWORK_SIZES
    )


def faithfulness_runtime(wildcards):
    return job_resources.faithfulness_runtime_min(
        len(SAMPLES), len(METHODS), LAYERS, NETWORK_SIZES
    )


def explorer_mem_mb(wildcards):
    """The explorer job holds every sample's data (its Shapley maps) until it writes."""
    return job_resources.explorer_mem_mb(len(SAMPLES))


def explorer_runtime(wildcards):
    return job_resources.explorer_runtime_min(len(SAMPLES))


def shared_scale_mem_mb(wildcards):
    return job_resources.shared_scale_mem_mb(len(METHODS), LAYERS, NETWORK_SIZES)


def montage_mem_mb(wildcards):
    """A montage of every method and layer, in colour (an RGB figure) with a colour map
    other than gray or the overlay."""
    return job_resources.montage_mem_mb(
        config["zoom"],
        LAYERS,
        len(METHODS),
        colour=config["colormap"] != "gray" or config["overlay"],
        sizes=NETWORK_SIZES,
    )


def montage_runtime(wildcards):
    """A montage's runtime: longer for a larger picture of a larger network."""
    return job_resources.montage_runtime_min(
        config["zoom"],
        LAYERS,
        len(METHODS),
        colour=config["colormap"] != "gray" or config["overlay"],
        sizes=NETWORK_SIZES,
    )


def interactions_figure_mem_mb(wildcards):
    """A row of panels per output node of the interactions' layers and per listed hidden
    node, in colour as the montage."""
    layers = INTERACTIONS["layers"]
    nodes = sum(len(INTERACTIONS["nodes"].get(layer, [])) for layer in layers)
    outputs = set(NETWORK_LAYERS[-2:]) & set(layers)
    nodes += NETWORK_SIZES[NETWORK_LAYERS[-1]] * len(outputs)
    return job_resources.interactions_figure_mem_mb(
        config["zoom"], nodes, colour=config["colormap"] != "gray" or config["overlay"]
    )


def methods_figure_mem_mb(wildcards):
    """One column per listed hidden node and per node of the last output layer, in colour
    as the montage."""
    nodes = config["methods_figure"]["nodes"]
    columns = sum(len(nodes.get(layer, [])) for layer in LAYERS)
    columns += (
        NETWORK_SIZES[NETWORK_LAYERS[-1]]
        if set(NETWORK_LAYERS[-2:]) & set(LAYERS)
        else 0
    )
    return job_resources.methods_figure_mem_mb(
        config["zoom"],
        columns,
        len(METHODS),
        colour=config["colormap"] != "gray" or config["overlay"],
        sizes=NETWORK_SIZES,
        layers=LAYERS,
    )


def methods_figure_runtime(wildcards):
    """A methods figure's runtime: longer with more output nodes than the book's 10."""
    nodes = config["methods_figure"]["nodes"]
    columns = sum(len(nodes.get(layer, [])) for layer in LAYERS)
    columns += (
        NETWORK_SIZES[NETWORK_LAYERS[-1]]
        if set(NETWORK_LAYERS[-2:]) & set(LAYERS)
        else 0
    )
    return job_resources.methods_figure_runtime_min(
        config["zoom"],
        columns,
        len(METHODS),
        colour=config["colormap"] != "gray" or config["overlay"],
    )


def sweep_memory_mb(wildcards):
    """A shard job's memory: per-class sums of every map, growing with the sweep's methods
    and layers, its images per shard and the integrated gradients' quadrature points."""
    return job_resources.sweep_memory_mb(
        SWEEP["layers"],
        SWEEP["methods"],
        config["method_parameters"],
        wildcards.split,
        SWEEP["images"] or DATASET.sizes[wildcards.split],
        SWEEP["shards"],
        sizes=NETWORK_SIZES,
        classes=CLASS_COUNT,
    )


def sweep_runtime_min(wildcards):
    """Minutes per shard: three times the measured time per image and method."""
    return job_resources.sweep_runtime_min(
        wildcards.split,
        SWEEP["images"] or DATASET.sizes[wildcards.split],
        SWEEP["methods"],
        SWEEP["shards"],
        config["method_parameters"],
        sizes=NETWORK_SIZES,
    )


def sweep_classes_mem_mb(wildcards):
    return job_resources.sweep_classes_mem_mb(
        SWEEP["layers"], SWEEP["shards"], NETWORK_SIZES, CLASS_COUNT
    )


def sweep_image_mem_mb(wildcards):
    """A class's picture is a montage of the sweep's methods and layers, in colour (an RGB
    figure) with a colour map other than gray or the overlay."""
    return job_resources.sweep_image_mem_mb(
        config["zoom"],
        SWEEP["layers"],
        len(SWEEP["methods"]),
        colour=config["colormap"] != "gray" or config["overlay"],
        sizes=NETWORK_SIZES,
    )
