"""Parse the four MNIST IDX files into one HDF5 file of images and labels."""

import logging
from pathlib import Path

from pixel_influence import h5io, mnist
from pixel_influence.download import sha256_of
from pixel_influence.jobs import run


def job(smk):
    i = smk.input
    splits = {
        "train": mnist.read_split(i.train_images, i.train_labels, mnist.SPLITS["train"][2]),
        "test": mnist.read_split(i.test_images, i.test_labels, mnist.SPLITS["test"][2]),
    }
    checksums = {Path(p).name: sha256_of(p) for p in i}
    h5io.write_mnist(smk.output[0], splits, checksums)
    for split, (images, _) in splits.items():
        logging.info("%s: %d images", split, len(images))


run(job, snakemake)
