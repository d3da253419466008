"""Parse the four MNIST IDX files into one HDF5 file of images and labels."""

import logging
from pathlib import Path

from pixel_influence import h5io, mnist
from pixel_influence.download import FILES, verified
from pixel_influence.jobs import run


def job(smk):
    i = smk.input
    for path in i:  # each the verified download, still
        verified(path, f"mnist/{Path(path).name}")
    splits = {
        "train": mnist.read_split(i.train_images, i.train_labels, mnist.SPLITS["train"][2]),
        "test": mnist.read_split(i.test_images, i.test_labels, mnist.SPLITS["test"][2]),
    }
    for path in i:  # and the bytes parsed were the ones checked
        verified(path, f"mnist/{Path(path).name}")
    checksums = {Path(p).name: FILES[f"mnist/{Path(p).name}"][1] for p in i}
    h5io.write_mnist(smk.output[0], splits, checksums)
    for split, (images, _) in splits.items():
        logging.info("%s: %d images", split, len(images))


run(job, snakemake)
