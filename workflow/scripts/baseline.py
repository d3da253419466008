"""Node values of every layer for the baseline (all-zero) image."""

import numpy as np

from pixel_influence import h5io, network
from pixel_influence.jobs import run


def job(smk):
    params, weights_sha256 = h5io.read_weights(smk.input[0], smk.params.weights_sha256)
    image = np.zeros((28, 28))
    values = network.forward(params, image.reshape(-1))
    h5io.write_baseline(
        smk.output[0],
        image,
        values,
        "all-zero image",
        weights_sha256,
        network.activation_of(params),
    )


run(job, snakemake)
