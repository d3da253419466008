# Influence of every pixel on every node, one job per sample.


rule influence:
    input:
        unpack(influence_inputs),
    output:
        "results/influence/{sample}.h5",
    params:
        spec=lambda wildcards: config["samples"][wildcards.sample],
        layers=LAYERS,
        methods=METHODS,
        dtype=config["influence_dtype"],
    log:
        "logs/influence/{sample}.log",
    benchmark:
        "benchmarks/influence/{sample}.tsv"
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/influence.py"
