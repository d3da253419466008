"""Classify the dataset's test images; fail unless the accuracy is the expected one (when the
config expects one)."""

import logging

from pixel_influence import h5io, network
from pixel_influence.errors import InputError
from pixel_influence.files import atomic_write
from pixel_influence.jobs import run


def job(smk):
    params, _ = h5io.read_weights(smk.input.weights, smk.params.weights_sha256)
    images, labels = h5io.read_mnist_split(smk.input.mnist, "test", smk.params.dataset)
    correct, total = network.accuracy(params, images, labels)
    value = correct / total
    logging.info("%d of %d test images correct: Accuracy:%s", correct, total, value)
    expected = smk.params.expected
    if expected is not None and abs(value - expected) > 0.5 / total:
        what = (
            "the weights or the data are not the expected ones"
            if smk.params.network == "book"
            else "the network is not the one expected (set expected_accuracy to null for no check)"
        )
        raise InputError(
            f"accuracy {value} on the test set differs from expected_accuracy {expected} "
            f"in the config: {what}"
        )
    with atomic_write(smk.output[0]) as tmp, open(tmp, "w") as f:
        f.write(f"Accuracy:{value}\n")


run(job, snakemake)
