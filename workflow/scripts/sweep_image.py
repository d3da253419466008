"""The montage of one class of a sweep: the mean influence maps of the class's images."""

from pixel_influence import h5io, render
from pixel_influence.jobs import run


def job(smk):
    p = smk.params
    label = int(smk.wildcards.label)
    data = h5io.read_class(
        smk.input[0], label, p.methods, p.layers, p.scale == "shared", p.expected
    )
    count, right = data["count"], data["predicted_right"]
    if count == 0:  # a short sweep may miss a class: its means are NaN, drawn as gray
        data = render.nan_to_zero(data)
    title = (
        f"{data['split']} split, label {label}: mean over {count} images "
        f"({right / max(count, 1):.1%} predicted {label}); input = the mean image"
    )
    scales = render.scales(data["maps"], p.scale, data["shared_scale"])
    img = render.montage(
        data["image"],
        data["maps"],
        scales,
        data["probabilities"],
        title,
        p.scale,
        residuals=data["residuals"],
        zoom=p.zoom,
    )
    metadata = {
        "Title": title,
        "sample": f"{data['split']} split, label {label}, mean over {count} images",
        "method": ", ".join(p.methods),
        "layer": ", ".join(p.layers),
        "scale": f"{p.scale}: {render.scale_text(scales)}",
    }
    render.save_png(img, smk.output[0], metadata)


run(job, snakemake)
