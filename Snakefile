# Pixel influence imaging of the "Deep Learning from Scratch" ch03 MNIST network.
# Run: snakemake --cores 8    (offline: --config local_mirror=DIR)


from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/influence.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/faithfulness.smk"
include: "workflow/rules/sweep.smk"


localrules:
    all,
    download,


rule all:
    default_target: True
    input:
        "results/network/accuracy.txt",
        expand("results/influence/{sample}.h5", sample=SAMPLES),
        expand("results/images/{sample}.png", sample=SAMPLES),
        layer_pictures(SAMPLES),
        expand("results/images/{sample}/methods.png", sample=SAMPLES),
        "results/faithfulness.csv",
        "results/faithfulness_summary.csv",
        "results/faithfulness.png",
        sweep_targets(),
