"""Draw each sample's pixel interactions (one sample, or a batch): a row per node, the
expansion's maps from both ends, for the network's own layers and output nodes."""

from pixel_influence import h5io
from pixel_influence.jobs import listed, run_each
from pixel_influence.render import canvas, interactions_figure


def one(smk, i):
    p = smk.params
    path, expected = listed(smk.input.influence)[i], p.expected[p.samples[i]]
    # the pair matrices stay in the file: the picture reads one row of each node's
    with h5io.open_interactions(path, expected) as data:
        # every layer of the network, a1 .. zL, as the file's node values name them: the
        # last two are its output layers, whose rows are labelled with the class names
        layers = data["network_layers"]
        figure = interactions_figure.interactions_figure(
            data,
            zoom=p.zoom,
            colormap=p.colormap,
            overlay=p.overlay,
            scale=p.scale,
            layers=layers,
            class_names=p.class_names,  # None: "digit j"
        )
        metadata = interactions_figure.metadata(data, p.colormap, p.overlay, p.scale, layers)
    canvas.save_png(figure, smk.output[i], metadata)


run_each(one, snakemake)
