"""Read the book's weight pickle (restricted unpickler) and write it as HDF5."""

from pathlib import Path

from pixel_influence import h5io, network
from pixel_influence.download import sha256_of
from pixel_influence.jobs import run


def job(smk):
    path = smk.input[0]
    params = network.load_pickle(Path(path).read_bytes(), source=path)
    h5io.write_weights(smk.output[0], params, sha256_of(path))


run(job, snakemake)
