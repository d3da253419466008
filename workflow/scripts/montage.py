"""Draw a sample's montage and one picture per method and layer."""

from pixel_influence import h5io, render
from pixel_influence.jobs import run


def job(smk):
    p = smk.params
    data = h5io.read_influence(smk.input.influence, p.methods, p.layers)
    if p.scale == "shared":
        shared = h5io.read_shared_scale(smk.input.shared_scale)
        scales = {m: {layer: shared[m, layer] for layer in p.layers} for m in p.methods}
    else:
        scales = {
            m: {layer: render.scale_of(data["maps"][m][layer], p.scale) for layer in p.layers}
            for m in p.methods
        }

    def draw(methods, layers):
        def pick(nested):
            return {m: {layer: nested[m][layer] for layer in layers} for m in methods}

        return render.montage(
            data["image"],
            pick(data["maps"]),
            pick(scales),
            data["probabilities"],
            data["title"],
            p.scale,
            residuals=pick(data["residuals"]),
            zoom=p.zoom,
        )

    render.save_png(draw(p.methods, p.layers), smk.output.montage)
    pictures = iter(smk.output.layers)  # in expand order: method, then layer
    for method in p.methods:
        for layer in p.layers:
            render.save_png(draw([method], [layer]), next(pictures))


run(job, snakemake)
