# Pictures: one montage per sample and one picture per sample, method and layer.


rule shared_scale:
    input:
        expand("results/influence/{sample}.h5", sample=SAMPLES),
    output:
        "results/images/shared_scale.h5",
    log:
        "logs/shared_scale/shared_scale.log",
    benchmark:
        "results/benchmarks/shared_scale/shared_scale.tsv"
    conda:
        ENV
    resources:
        mem_mb=shared_scale_mem_mb,
        runtime=fixed_runtime("shared_scale"),
    params:
        layers=LAYERS,
        methods=METHODS,
        expected=every_influence_expected,
    script:
        "../scripts/shared_scale.py"


rule montage:
    input:
        unpack(montage_inputs),
    output:
        montage=report(
            "results/images/{sample}.png",
            caption="../report/montage.rst",
            category="Montages",
            labels={"sample": "{sample}"},
        ),
        layers=expand(
            "results/images/{{sample}}/{method}/{layer}.png",
            method=METHODS,
            layer=LAYERS,
        ),
    log:
        "logs/montage/{sample}.log",
    benchmark:
        "results/benchmarks/montage/{sample}.tsv"
    conda:
        ENV
    resources:
        mem_mb=montage_mem_mb,
        runtime=montage_runtime,
    params:
        layers=LAYERS,
        methods=METHODS,
        scale=config["scale"],
        colormap=config["colormap"],
        overlay=config["overlay"],
        zoom=config["zoom"],
        class_names=CLASS_NAMES,
        samples=one_sample,
        expected=sample_influence_expected,
        shared_scale_sources=shared_scale_sources(),
    script:
        "../scripts/montage.py"


rule methods_figure:
    input:
        unpack(montage_inputs),
    output:
        report(
            "results/images/{sample}/methods.png",
            caption="../report/methods.rst",
            category="Method comparison",
            labels={"sample": "{sample}"},
        ),
    log:
        "logs/methods_figure/{sample}.log",
    benchmark:
        "results/benchmarks/methods_figure/{sample}.tsv"
    conda:
        ENV
    resources:
        mem_mb=methods_figure_mem_mb,
        runtime=methods_figure_runtime,
    params:
        layers=LAYERS,
        methods=METHODS,
        nodes=config["methods_figure"]["nodes"],
        scale=config["scale"],
        colormap=config["colormap"],
        overlay=config["overlay"],
        zoom=config["zoom"],
        class_names=CLASS_NAMES,
        samples=one_sample,
        expected=sample_influence_expected,
        shared_scale_sources=shared_scale_sources(),
    script:
        "../scripts/methods_figure.py"
