# Per-class influence over a whole split: shards of whole 500-image blocks, merged exactly
# (integer sums), then per class one montage of each picture of sweep.pictures: the mean
# maps, their standard deviation, the class's mean minus the other classes' mean. Any
# network (its layers read from results/network/weights.h5) and any number of classes
# (CLASS_NAMES; None: the ten digits); the pictures keep the names class<label>.png.


rule sweep_shard:
    input:
        mnist=DATASET_FILE,
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
        dataset=DATASET,
        method_parameters=config["method_parameters"],
        class_names=CLASS_NAMES,
        weights_sha256=NETWORK_SHA256,
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
        class_names=CLASS_NAMES,
    script:
        "../scripts/sweep_classes.py"


rule sweep_image:
    input:
        "results/sweep/{split}/classes.h5",
    output:
        # every class of a picture kind in one job: each takes a tenth of a second
        [
            report(
                f"results/sweep/{{split}}/images/{{picture}}/class{label}.png",
                caption="../report/sweep.rst",
                category="Class averages",
                labels={
                    "split": "{split}",
                    "picture": "{picture}",
                    "class": (
                        str(label) if CLASS_NAMES is None else CLASS_NAMES[label]
                    ),
                },
            )
            for label in range(CLASS_COUNT)
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
        class_names=CLASS_NAMES,
    script:
        "../scripts/sweep_image.py"
