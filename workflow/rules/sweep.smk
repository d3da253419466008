# Per-class influence over a whole MNIST split: shards of whole 500-image blocks, merged
# exactly (integer sums), then per class one montage of each picture of sweep.pictures: the
# mean maps, their standard deviation, the class's mean minus the other classes' mean.


rule sweep_shard:
    input:
        mnist="results/mnist/mnist.h5",
        weights="results/network/weights.h5",
        baseline="results/network/baseline.h5",
    output:
        temp("results/sweep/{split}/shards/{shard}.h5"),
    log:
        "logs/sweep_shard/{split}/{shard}.log",
    benchmark:
        "results/benchmarks/sweep_shard/{split}/{shard}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=sweep_memory_mb,
        runtime=sweep_runtime_min,
    params:
        sweep=SWEEP,
        method_parameters=config["method_parameters"],
    script:
        "../scripts/sweep_shard.py"


rule sweep_classes:
    input:
        sweep_shards,
    output:
        "results/sweep/{split}/classes.h5",
    log:
        "logs/sweep_classes/{split}.log",
    benchmark:
        "results/benchmarks/sweep_classes/{split}.tsv"
    conda:
        ENV
    resources:
        mem_mb=sweep_classes_mem_mb,
        runtime=fixed_runtime("sweep_classes"),
    params:
        dtype=config["influence_dtype"],
        expected=sweep_expected,
    script:
        "../scripts/sweep_classes.py"


rule sweep_image:
    input:
        "results/sweep/{split}/classes.h5",
    output:
        # the ten classes of a picture kind in one job: each takes a tenth of a second
        [
            report(
                f"results/sweep/{{split}}/images/{{picture}}/class{label}.png",
                caption="../report/sweep.rst",
                category="Class averages",
                labels={
                    "split": "{split}",
                    "picture": "{picture}",
                    "class": str(label),
                },
            )
            for label in range(10)
        ],
    log:
        "logs/sweep_image/{split}/{picture}.log",
    benchmark:
        "results/benchmarks/sweep_image/{split}/{picture}.tsv"
    wildcard_constraints:
        picture="mean|std|contrast",
    conda:
        ENV
    resources:
        mem_mb=sweep_image_mem_mb,
        runtime=fixed_runtime("sweep_image"),
    params:
        layers=(SWEEP or {}).get("layers"),
        methods=(SWEEP or {}).get("methods"),
        scale=config["scale"],
        zoom=config["zoom"],
        colormap=config["colormap"],
        overlay=config["overlay"],
        expected=sweep_expected,
    script:
        "../scripts/sweep_image.py"
