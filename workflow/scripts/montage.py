"""Draw a sample's montage and one picture per method and layer."""

from pixel_influence import h5io
from pixel_influence.jobs import run
from pixel_influence.render import canvas, montage, shading


def job(smk):
    p = smk.params
    data = h5io.read_influence(smk.input.influence, p.methods, p.layers, p.expected)
    shared = None
    if p.scale == "shared":
        shared = h5io.read_shared_scale(smk.input.shared_scale, p.methods, p.layers, p.samples)
    scales = shading.scales(data["maps"], p.scale, shared)

    def pick(nested, methods, layers):
        return {m: {layer: nested[m][layer] for layer in layers} for m in methods}

    def draw(methods, layers):
        return montage.montage(
            data["image"],
            pick(data["maps"], methods, layers),
            pick(scales, methods, layers),
            data["probabilities"],
            data["title"],
            p.scale,
            residuals=pick(data["residuals"], methods, layers),
            zoom=p.zoom,
            colormap=p.colormap,
            overlay=p.overlay,
        )

    def metadata(methods, layers):
        return {
            "Title": data["title"],
            "sample": data["sample"],
            "method": ", ".join(methods),
            "layer": ", ".join(layers),
            "scale": f"{p.scale}: {shading.scale_text(pick(scales, methods, layers))}",
            **shading.colour_metadata(p.colormap, p.overlay),
        }

    canvas.save_png(draw(p.methods, p.layers), smk.output.montage, metadata(p.methods, p.layers))
    pictures = iter(smk.output.layers)  # in expand order: method, then layer
    for method in p.methods:
        for layer in p.layers:
            canvas.save_png(draw([method], [layer]), next(pictures), metadata([method], [layer]))


run(job, snakemake)
