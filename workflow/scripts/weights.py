"""Read the book's weight pickle (restricted unpickler) and write it as HDF5."""

from pathlib import Path

from pixel_influence import h5io, network
from pixel_influence.download import FILES, WEIGHTS, verified
from pixel_influence.jobs import run


def job(smk):
    path = smk.input[0]
    data = Path(path).read_bytes()
    verified(path, WEIGHTS, data)  # the verified download, still
    params = network.load_pickle(data, source=path)
    h5io.write_weights(smk.output[0], params, FILES[WEIGHTS][1])


run(job, snakemake)
