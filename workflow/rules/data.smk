# Downloading and unpacking the data: the dataset (MNIST unless config.dataset says
# otherwise) and the network (the book's pretrained weights, or a file of the user's).


rule download:
    output:
        ensure(
            "resources/{resource}",
            sha256=lambda wildcards: DOWNLOADS[wildcards.resource][1],
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
    params:
        expected=lambda wildcards: DOWNLOADS[wildcards.resource],
    script:
        "../scripts/download.py"


rule mnist:
    input:
        **{role: data_file.path for role, data_file in DATASET.files.items()},
    output:
        DATASET_FILE,
    log:
        "logs/mnist/mnist.log",
    benchmark:
        "results/benchmarks/mnist/mnist.tsv"
    conda:
        ENV
    resources:
        mem_mb=fixed_mem_mb("mnist"),
        runtime=fixed_runtime("mnist"),
    params:
        dataset=DATASET,
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
            mnist=DATASET_FILE,
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
            dataset=DATASET,
        script:
            "../scripts/train.py"
