"""Merge the shards of a sweep exactly into per-class means, standard deviations and
contrasts (each class's mean minus the mean over the images of the other classes)."""

import json
import logging

import numpy as np

from pixel_influence import h5io
from pixel_influence.jobs import run


def job(smk):
    with h5io.merged_sweep_shards(list(smk.input), smk.params.expected) as merged:
        a = merged.attrs
        layers, methods = [str(v) for v in a["layers"]], [str(v) for v in a["methods"]]
        provenance = {k: a[k] for k in ("split", "images", "weights_sha256", "baseline", "config")}
        parameters = json.loads(a["config"])["method_parameters"]
        h5io.write_classes(
            smk.output[0],
            merged,
            layers,
            methods,
            provenance,
            smk.params.dtype,
            parameters,
            class_names=smk.params.class_names,
        )
        count, confusion = merged.count, merged.confusion
    accuracy = np.trace(confusion) / count.sum()
    logging.info(
        "%d images in %d shards; per class %s; accuracy %.4f",
        count.sum(),
        len(smk.input),
        count.tolist(),
        accuracy,
    )


run(job, snakemake)
