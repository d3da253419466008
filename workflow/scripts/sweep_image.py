"""The montage of one class of a sweep: the mean influence maps of the class's images."""

from pixel_influence import h5io
from pixel_influence.jobs import run
from pixel_influence.render import canvas, montage, shading


def job(smk):
    p = smk.params
    label = int(smk.wildcards.label)
    data = h5io.read_class(
        smk.input[0], label, p.methods, p.layers, p.scale == "shared", p.expected
    )
    count, right = data["count"], data["predicted_right"]
    if count == 0:  # a short sweep may miss a class: its means are NaN, drawn as gray
        data = shading.nan_to_zero(data)
    title = (
        f"{data['split']} split, label {label}: mean over {count} images "
        f"({right / max(count, 1):.1%} predicted {label}); input = the mean image"
    )
    scales = shading.scales(data["maps"], p.scale, data["shared_scale"])
    img = montage.montage(
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
        "scale": f"{p.scale}: {shading.scale_text(scales)}",
    }
    canvas.save_png(img, smk.output[0], metadata)


run(job, snakemake)
