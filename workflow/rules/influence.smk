# Influence of every pixel on every node, one job per sample.


rule influence:
    input:
        unpack(influence_inputs),
    output:
        "results/influence/{sample}.h5",
    log:
        "logs/influence/{sample}.log",
    benchmark:
        "results/benchmarks/influence/{sample}.tsv"
    conda:
        ENV
    resources:
        mem_mb=influence_mem_mb,
        runtime=influence_runtime,
    params:
        samples=one_sample,
        specs=sample_spec,
        layers=LAYERS,
        methods=METHODS,
        method_parameters=config["method_parameters"],
        faithfulness=config["faithfulness"],
        dtype=config["influence_dtype"],
        interactions=INTERACTIONS,
        dataset=DATASET,
        weights_sha256=NETWORK_SHA256,
    script:
        "../scripts/influence.py"
