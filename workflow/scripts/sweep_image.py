"""One picture kind of a sweep for each class (the ten digits, or the dataset's named
classes): their mean maps, their spread or what sets each apart."""

from pixel_influence import h5io
from pixel_influence.errors import InputError
from pixel_influence.jobs import run
from pixel_influence.render import canvas, montage, shading


def shared_by_classes(classes):
    """The subtitle's scale words for scale: shared, which gives each picture kind one
    scale per method and layer over all ``classes`` classes."""
    return f"one scale per layer, shared by the {'ten' if classes == 10 else classes} classes"


def job(smk):
    for label, path in enumerate(smk.output):
        draw(smk, label, path)


def check_class_names(data, class_names, path):
    """The classes.h5 names its classes as the config does (both None for the digits)."""
    wanted = None if class_names is None else tuple(str(name) for name in class_names)
    if data["class_names"] != wanted:
        raise InputError(
            f"{path}: its class names {data['class_names']} are not the dataset's {wanted}; "
            "re-create it with: snakemake --forcerun sweep_classes"
        )


def draw(smk, label, path):
    p = smk.params
    picture = smk.wildcards.picture
    data = h5io.read_class(
        smk.input[0], label, p.methods, p.layers, p.scale == "shared", p.expected, picture
    )
    check_class_names(data, p.class_names, smk.input[0])
    # a short sweep may miss a class (its statistics are NaN, drawn as 0), a class of one
    # image has no spread, a sweep of one class nothing to contrast it with
    data = shading.nan_to_zero(data)
    title, sample = sweep_titles(data, label, picture, data["class_names"])
    scales = shading.scales(data["maps"], p.scale, data["shared_scale"])
    img = montage.montage(
        data["image"],
        data["maps"],
        scales,
        data["probabilities"] if picture == "mean" else None,
        title,
        p.scale,
        residuals=data["residuals"] if picture == "mean" else None,
        zoom=p.zoom,
        colormap=p.colormap,
        overlay=p.overlay,
        one_sided=picture == "std",
        scale_note=shared_by_classes(len(smk.output)) if p.scale == "shared" else None,
        output_layers=data["output_layers"],
        class_names=data["class_names"],
    )
    metadata = {
        "Title": title,
        "sample": sample,
        "picture": picture,
        "method": ", ".join(p.methods),
        "layer": ", ".join(p.layers),
        "scale": scale_text(p.scale, scales, picture),
        **shading.colour_metadata(p.colormap, p.overlay),
    }
    canvas.save_png(img, path, metadata)


def scale_text(mode, scales, picture):
    """The scales for the PNG's text; a standard deviation's run from 0 to +scale."""
    if picture == "std":
        return f"{mode}, one-sided from 0: {shading.scale_text(scales).replace('+-', '+')}"
    return f"{mode}: {shading.scale_text(scales)}"


def images(n):
    return f"{n:,} image" + ("" if n == 1 else "s")


def sweep_titles(data, label, picture, class_names=None):
    """The picture's title and its PNG ``sample`` text: what is shown, over how many images;
    a class is its label (the digit), or its name and label with ``class_names``."""
    split, count, others = data["split"], data["count"], data["others"]
    right = data["predicted_right"] / max(count, 1)
    name = str(label) if class_names is None else class_names[label]
    if picture == "mean":
        shown = f"mean over {images(count)} ({right:.1%} predicted {name})"
        if count == 0:
            shown += " (none: drawn as 0)"
    elif picture == "std":
        shown = f"spread of the maps: standard deviation over {images(count)}"
        if count < 2:
            shown += " (fewer than 2: none, drawn as 0)"
    else:
        shown = (
            f"what sets it apart: mean map minus the mean over the {images(others)} of the other "
            "classes"
        )
        if count == 0 or others == 0:
            shown += " (no images on one side: drawn as 0)"
    which = f"label {label}" if class_names is None else f"class {name} (label {label})"
    sample = f"{split} split, {which}, {shown}"
    return f"{split} split, {which}: {shown}; input = the class's mean image", sample


run(job, snakemake)
