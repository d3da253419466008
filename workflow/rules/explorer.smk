# The explorer: one self-contained page where a person draws a digit and watches every
# node's map, computed live in the page from the network's weights (any network: its
# layers, widths and activation travel with the weights; outputs named by CLASS_NAMES).


rule explorer:
    input:
        unpack(explorer_inputs),
    output:
        "results/explorer/index.html",
    log:
        "logs/explorer/explorer.log",
    benchmark:
        "results/benchmarks/explorer/explorer.tsv"
    conda:
        ENV
    resources:
        mem_mb=explorer_mem_mb,
        runtime=explorer_runtime,
    params:
        layers=LAYERS,
        parameters=config["method_parameters"],
        expected=explorer_expected,
        class_names=CLASS_NAMES,
        source_sha256=NETWORK_SHA256,
    script:
        "../scripts/explorer.py"
