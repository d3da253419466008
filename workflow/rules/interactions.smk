# Pixel interactions: one picture per sample and one table over all samples (the numbers are
# computed by the influence jobs, under /interactions in each sample's file).


rule interactions_figure:
    input:
        influence="results/influence/{sample}.h5",
    output:
        report(
            "results/images/{sample}/interactions.png",
            caption="../report/interactions.rst",
            category="Interactions",
            labels={"sample": "{sample}"},
        ),
    log:
        "logs/interactions_figure/{sample}.log",
    benchmark:
        "results/benchmarks/interactions_figure/{sample}.tsv"
    conda:
        ENV
    resources:
        mem_mb=interactions_figure_mem_mb,
        runtime=fixed_runtime("interactions_figure"),
    params:
        scale=config["scale"],
        colormap=config["colormap"],
        overlay=config["overlay"],
        zoom=config["zoom"],
        class_names=CLASS_NAMES,
        samples=one_sample,
        expected=sample_influence_expected,
    script:
        "../scripts/interactions_figure.py"


rule interactions_summary:
    input:
        expand("results/influence/{sample}.h5", sample=SAMPLES),
    output:
        summary=report(
            "results/interactions_summary.csv",
            caption="../report/interactions_summary.rst",
            category="Interactions",
        ),
        summary_table=report(
            "results/interactions_summary.html",
            caption="../report/interactions_summary.rst",
            category="Interactions",
        ),
    log:
        "logs/interactions_summary/interactions_summary.log",
    benchmark:
        "results/benchmarks/interactions_summary/interactions_summary.tsv"
    conda:
        ENV
    resources:
        mem_mb=fixed_mem_mb("interactions_summary"),
        runtime=fixed_runtime("interactions_summary"),
    params:
        expected=every_influence_expected,
    script:
        "../scripts/interactions_summary.py"
