# The network itself: its accuracy on the test set and its node values for the baseline.


rule accuracy:
    input:
        weights="results/network/weights.h5",
        mnist="results/mnist/mnist.h5",
    output:
        "results/network/accuracy.txt",
    params:
        expected=config["expected_accuracy"],
    log:
        "logs/accuracy/accuracy.log",
    benchmark:
        "benchmarks/accuracy/accuracy.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        ENV
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
        "benchmarks/baseline/baseline.tsv"
    resources:
        mem_mb=200,
        runtime=5,
    conda:
        ENV
    script:
        "../scripts/baseline.py"
