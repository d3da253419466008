"""Exact per-class sums of one shard of a sweep (a contiguous run of whole image blocks)."""

import logging

from pixel_influence import h5io, sweep
from pixel_influence.jobs import run


def job(smk):
    s = smk.params.sweep
    split, shard, shards = smk.wildcards.split, int(smk.wildcards.shard), s["shards"]
    dataset = smk.params.dataset
    images = s["images"] or dataset.sizes[split]  # sweep.images, or the whole split
    first, stop = sweep.shard_range(images, shards, shard)
    params, weights_sha256 = h5io.read_weights(smk.input.weights, smk.params.weights_sha256)
    baseline_image, _, baseline_text = h5io.read_baseline(smk.input.baseline, weights_sha256)
    pixels, labels = h5io.read_mnist_range(smk.input.mnist, split, first, stop, dataset)
    logging.info("shard %d of %d: %s images %d..%d", shard + 1, shards, split, first, stop - 1)
    sums = sweep.shard_sums(
        params,
        pixels,
        labels,
        baseline_image,
        s["layers"],
        s["methods"],
        smk.params.method_parameters,
        first=first,
        log=sweep.progress_logger(f"shard {shard + 1}/{shards}"),
        class_names=smk.params.class_names,
    )
    logging.info("time: %s", ", ".join(f"{k} {v:.2f} s" for k, v in sums.seconds.items()))
    h5io.write_sweep_shard(
        smk.output[0],
        sums,
        {
            "split": split,
            "images": images,
            "first": first,
            "stop": stop,
            "shard": shard,
            "shards": shards,
            "layers": list(s["layers"]),
            "methods": list(s["methods"]),
            "weights_sha256": weights_sha256,
            "baseline": baseline_text,
            "config": sweep.provenance(s, smk.params.method_parameters, images),
        },
    )


run(job, snakemake)
