"""The explorer page: weights, baseline, every sample (and the sweep's classes) in one file."""

import logging

from pixel_influence import explorer
from pixel_influence.jobs import run


def job(smk):
    sizes = explorer.write(
        smk.output[0],
        smk.input.weights,
        smk.input.baseline,
        list(smk.input.influence),
        classes=smk.input.get("classes"),
        layers=smk.params.layers,
        parameters=smk.params.parameters,
        expected=smk.params.expected,
        class_names=smk.params.class_names,
        source_sha256=smk.params.source_sha256,
    )
    logging.info("wrote %s: %s", smk.output[0], explorer.size_text(sizes))


run(job, snakemake)
