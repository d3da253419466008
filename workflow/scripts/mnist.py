"""Parse the dataset's four IDX files into one HDF5 file of images and labels."""

import logging

from pixel_influence import datasets, h5io, mnist
from pixel_influence.download import verified
from pixel_influence.errors import InputError
from pixel_influence.jobs import run


def _verified(path, data_file):
    """``path`` after checking it is still the file the config's dataset names."""
    try:
        return verified(path, data_file.resource, expected=(data_file.size, data_file.sha256))
    except InputError as e:
        if data_file.resource is not None:
            raise
        why = str(e).split("; fetch it again", 1)[0]
        why = why.replace("since it was downloaded and verified", "since Snakemake read it")
        raise InputError(f"{why}; run again") from None


def job(smk):
    dataset = smk.params.dataset
    i = smk.input
    files = {role: (i[role], dataset.files[role]) for role in datasets.ROLES}
    for path, data_file in files.values():  # each the verified file, still
        _verified(path, data_file)
    classes = datasets.class_count(dataset)
    splits = {
        split: mnist.read_split(i[images], i[labels], dataset.sizes[split], classes)
        for split, (images, labels) in datasets.SPLIT_ROLES.items()
    }
    for path, data_file in files.values():  # and the bytes parsed were the ones checked
        _verified(path, data_file)
    h5io.write_mnist(smk.output[0], splits, datasets.checksums(dataset), dataset)
    for split, (images, _) in splits.items():
        logging.info("%s %s: %d images", dataset.name, split, len(images))


run(job, snakemake)
