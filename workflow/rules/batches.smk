# Batches: cheap samples share their jobs (BATCHED, in common.smk). Each batch of two or more
# samples gets its own influence, montage, methods_figure and interactions_figure rules,
# named <rule>_batch<k>, which run the per-sample rules' scripts over its samples one after
# the other and write the same files, byte for byte; each sample keeps its own log.

for _k, _batch in enumerate(BATCHED, 1):

    rule:
        name:
            f"influence_batch{_k}"
        input:
            unpack(batch_influence_inputs(_batch)),
        output:
            [influence_path(s) for s in _batch],
        log:
            expand("logs/influence/{sample}.log", sample=_batch),
        benchmark:
            f"results/benchmarks/influence/{batch_name(_batch)}.tsv"
        conda:
            ENV
        resources:
            mem_mb=batch_influence_mem_mb(_batch),
            runtime=batch_runtime(_batch, "influence"),
        params:
            samples=_batch,
            specs={s: config["samples"][s] for s in _batch},
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

    rule:
        name:
            f"montage_batch{_k}"
        input:
            unpack(batch_montage_inputs(_batch)),
        output:
            montage=expand("results/images/{sample}.png", sample=_batch),
            layers=layer_pictures(_batch),
        log:
            expand("logs/montage/{sample}.log", sample=_batch),
        benchmark:
            f"results/benchmarks/montage/{batch_name(_batch)}.tsv"
        conda:
            ENV
        resources:
            mem_mb=montage_mem_mb,
            runtime=batch_runtime(_batch, "montage"),
        params:
            layers=LAYERS,
            methods=METHODS,
            scale=config["scale"],
            colormap=config["colormap"],
            overlay=config["overlay"],
            zoom=config["zoom"],
            class_names=CLASS_NAMES,
            samples=_batch,
            expected={s: influence_expected(s) for s in _batch},
            shared_scale_sources=shared_scale_sources(),
        script:
            "../scripts/montage.py"

    rule:
        name:
            f"methods_figure_batch{_k}"
        input:
            unpack(batch_montage_inputs(_batch)),
        output:
            expand("results/images/{sample}/methods.png", sample=_batch),
        log:
            expand("logs/methods_figure/{sample}.log", sample=_batch),
        benchmark:
            f"results/benchmarks/methods_figure/{batch_name(_batch)}.tsv"
        conda:
            ENV
        resources:
            mem_mb=methods_figure_mem_mb,
            runtime=batch_runtime(_batch, "methods_figure"),
        params:
            layers=LAYERS,
            methods=METHODS,
            nodes=config["methods_figure"]["nodes"],
            scale=config["scale"],
            colormap=config["colormap"],
            overlay=config["overlay"],
            zoom=config["zoom"],
            class_names=CLASS_NAMES,
            samples=_batch,
            expected={s: influence_expected(s) for s in _batch},
            shared_scale_sources=shared_scale_sources(),
        script:
            "../scripts/methods_figure.py"

    if INTERACTIONS is not None:

        rule:
            name:
                f"interactions_figure_batch{_k}"
            input:
                influence=[influence_path(s) for s in _batch],
            output:
                expand("results/images/{sample}/interactions.png", sample=_batch),
            log:
                expand("logs/interactions_figure/{sample}.log", sample=_batch),
            benchmark:
                f"results/benchmarks/interactions_figure/{batch_name(_batch)}.tsv"
            conda:
                ENV
            resources:
                mem_mb=interactions_figure_mem_mb,
                runtime=batch_runtime(_batch, "interactions_figure"),
            params:
                scale=config["scale"],
                colormap=config["colormap"],
                overlay=config["overlay"],
                zoom=config["zoom"],
                class_names=CLASS_NAMES,
                samples=_batch,
                expected={s: influence_expected(s) for s in _batch},
            script:
                "../scripts/interactions_figure.py"
