"""One gray scale per method and layer shared by all samples: the largest |value|."""

from pixel_influence import h5io
from pixel_influence.jobs import run


def job(smk):
    scales = {}
    for path in smk.input:
        expected = smk.params.expected[path]
        data = h5io.read_influence(path, smk.params.methods, smk.params.layers, expected)
        for method, per_layer in data["maps"].items():
            for layer, maps in per_layer.items():
                key = (method, layer)
                scales[key] = max(scales.get(key, 0.0), float(abs(maps).max()))
    h5io.write_shared_scale(smk.output[0], scales, [str(p) for p in smk.input])


run(job, snakemake)
