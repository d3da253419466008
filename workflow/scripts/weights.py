"""Read the network: the book's weight pickle (restricted unpickler, verified download) or a
file of the user's (pickle, npz or ONNX), and write it as HDF5 with its structure."""

import hashlib
from pathlib import Path

from pixel_influence import config, h5io, network
from pixel_influence.download import FILES, WEIGHTS, verified
from pixel_influence.errors import InputError
from pixel_influence.jobs import run


def job(smk):
    path = smk.input[0]
    data = Path(path).read_bytes()
    spec = smk.params.network
    if spec == "book":
        verified(path, WEIGHTS, data)  # the verified download, still
        params = network.load_pickle(data, source=path)
        h5io.write_weights(smk.output[0], params, FILES[WEIGHTS][1])
        return
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != smk.params.weights_sha256:
        raise InputError(
            f"{path}: changed since Snakemake read it (sha256 {sha256[:12]}…, then "
            f"{smk.params.weights_sha256[:12]}…); run the workflow again"
        )
    found = config.read_network(spec, data, path)
    h5io.write_weights(smk.output[0], found.params, sha256, source=found.source)


run(job, snakemake)
