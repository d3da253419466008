"""Draw each sample's montage and one picture per method and layer (one sample, or a batch)."""

from pixel_influence import h5io
from pixel_influence.jobs import listed, run_each
from pixel_influence.render import canvas, montage, shading


def one(smk, i):
    p = smk.params
    name = p.samples[i]
    data = h5io.read_influence(
        listed(smk.input.influence)[i], p.methods, p.layers, p.expected[name]
    )
    shared = None
    if p.scale == "shared":
        shared = h5io.read_shared_scale(
            smk.input.shared_scale, p.methods, p.layers, p.shared_scale_sources
        )
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
            output_layers=data["output_layers"],
            class_names=p.class_names,  # None: the digits
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

    canvas.save_png(
        draw(p.methods, p.layers), listed(smk.output.montage)[i], metadata(p.methods, p.layers)
    )
    per_sample = len(p.methods) * len(p.layers)
    # in expand order: sample, method, then layer
    pictures = iter(listed(smk.output.layers)[i * per_sample : (i + 1) * per_sample])
    for method in p.methods:
        for layer in p.layers:
            canvas.save_png(draw([method], [layer]), next(pictures), metadata([method], [layer]))


run_each(one, snakemake)
