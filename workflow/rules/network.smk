# The network itself: its accuracy on the test set and its node values for the baseline.


rule accuracy:
    input:
        weights="results/network/weights.h5",
        mnist=DATASET_FILE,
    output:
        "results/network/accuracy.txt",
    log:
        "logs/accuracy/accuracy.log",
    benchmark:
        "results/benchmarks/accuracy/accuracy.tsv"
    conda:
        ENV
    resources:
        mem_mb=fixed_mem_mb("accuracy"),
        runtime=fixed_runtime("accuracy"),
    params:
        expected=config["expected_accuracy"],
        weights_sha256=NETWORK_SHA256,
        network=NETWORK,
        dataset=DATASET,
    script:
        "../scripts/accuracy.py"


rule baseline:
    input:
        "results/network/weights.h5",
    output:
        "results/network/baseline.h5",
    log:
        "logs/baseline/baseline.log",
    benchmark:
        "results/benchmarks/baseline/baseline.tsv"
    conda:
        ENV
    resources:
        mem_mb=fixed_mem_mb("baseline"),
        runtime=fixed_runtime("baseline"),
    params:
        weights_sha256=NETWORK_SHA256,
    script:
        "../scripts/baseline.py"
