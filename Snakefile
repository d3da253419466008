# Pixel influence imaging of the "Deep Learning from Scratch" ch03 MNIST network.
# Run: snakemake --cores 8    (offline: --config local_mirror=DIR)


from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from pixel_influence.config import yaml_syntax_problem

min_version("9.0")

# Snakemake's own message for a YAML syntax error names neither the line nor the column
if not workflow.overwrite_configfiles and Path("config/config.yaml").is_file():
    if _syntax := yaml_syntax_problem("config/config.yaml"):
        raise WorkflowError(_syntax)


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/influence.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/faithfulness.smk"
include: "workflow/rules/interactions.smk"
include: "workflow/rules/batches.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/explorer.smk"


localrules:
    all,
    download,


rule all:
    default_target: True
    input:
        "results/network/accuracy.txt",
        training_targets(),
        expand("results/influence/{sample}.h5", sample=SAMPLES),
        expand("results/images/{sample}.png", sample=SAMPLES),
        layer_pictures(SAMPLES),
        expand("results/images/{sample}/methods.png", sample=SAMPLES),
        "results/faithfulness.csv",
        "results/faithfulness_summary.csv",
        "results/faithfulness_summary.html",
        "results/faithfulness.png",
        "results/faithfulness.svg",
        interactions_targets(),
        sweep_targets(),
        explorer_targets(),
