# Downloading and unpacking the data: MNIST and the network (the book's pretrained weights,
# or a file of the user's).


rule download:
    output:
        ensure(
            "resources/{resource}",
            sha256=lambda wildcards: FILES[wildcards.resource][1],
        ),
    log:
        "logs/download/{resource}.log",
    benchmark:
        "results/benchmarks/download/{resource}.tsv"
    conda:
        ENV
    resources:
        mem_mb=fixed_mem_mb("download"),
        runtime=fixed_runtime("download"),
    script:
        "../scripts/download.py"


rule mnist:
    input:
        train_images="resources/mnist/train-images-idx3-ubyte.gz",
        train_labels="resources/mnist/train-labels-idx1-ubyte.gz",
        test_images="resources/mnist/t10k-images-idx3-ubyte.gz",
        test_labels="resources/mnist/t10k-labels-idx1-ubyte.gz",
    output:
        "results/mnist/mnist.h5",
    log:
        "logs/mnist/mnist.log",
    benchmark:
        "results/benchmarks/mnist/mnist.tsv"
    conda:
        ENV
    resources:
        mem_mb=fixed_mem_mb("mnist"),
        runtime=fixed_runtime("mnist"),
    script:
        "../scripts/mnist.py"


if TRAINING is None:

    rule weights:
        input:
            network_file(),
        output:
            "results/network/weights.h5",
        log:
            "logs/weights/weights.log",
        benchmark:
            "results/benchmarks/weights/weights.tsv"
        conda:
            ENV
        resources:
            mem_mb=fixed_mem_mb("weights"),
            runtime=fixed_runtime("weights"),
        params:
            network=NETWORK,
            weights_sha256=NETWORK_SHA256,
        script:
            "../scripts/weights.py"

else:

    rule train:
        input:
            mnist="results/mnist/mnist.h5",
        output:
            weights="results/network/weights.h5",
            picture=report(
                "results/network/training.png",
                caption="../report/training.rst",
                category="Network",
            ),
        log:
            "logs/train/train.log",
        benchmark:
            "results/benchmarks/train/train.tsv"
        conda:
            ENV
        resources:
            mem_mb=train_mem_mb,
            runtime=train_runtime,
        params:
            settings=TRAINING,
            recipe=TRAINING_RECIPE,
            weights_sha256=NETWORK_SHA256,
        script:
            "../scripts/train.py"
