"""Draw each sample's method comparison (one sample, or a batch): one row per method, one
column per chosen node."""

from pixel_influence import h5io
from pixel_influence.jobs import listed, run_each
from pixel_influence.render import canvas, methods_figure, shading


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
    columns = [(layer, node) for layer in p.layers for node in p.nodes.get(layer, [])]
    outputs = [layer for layer in p.layers if layer in data["output_layers"]]
    if outputs:  # every output node of the last output layer (zL when both are drawn)
        columns += [(outputs[-1], node) for node in range(data["probabilities"].size)]
    scales = shading.scales(data["maps"], p.scale, shared)
    figure = methods_figure.methods_figure(
        data["image"],
        columns,
        data["maps"],
        scales,
        data["residuals"],
        data["probabilities"],
        f"{data['title']}: the methods side by side",
        p.scale,
        zoom=p.zoom,
        colormap=p.colormap,
        overlay=p.overlay,
        output_layers=data["output_layers"],
        class_names=p.class_names,  # None: "digit j"
    )
    metadata = {
        "Title": f"{data['title']}: the methods side by side",
        "sample": data["sample"],
        "method": ", ".join(p.methods),
        "layer": ", ".join(dict.fromkeys(layer for layer, _ in columns)),
        "node": ", ".join(f"{layer}:{node}" for layer, node in columns),
        "scale": f"{p.scale}: {shading.scale_text(scales)}",
        **shading.colour_metadata(p.colormap, p.overlay),
    }
    canvas.save_png(figure, smk.output[i], metadata)


run_each(one, snakemake)
