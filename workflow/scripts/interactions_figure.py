"""Draw each sample's pixel interactions (one sample, or a batch): a row per node, the
expansion's maps from both ends."""

from pixel_influence import h5io
from pixel_influence.jobs import listed, run_each
from pixel_influence.render import canvas, interactions_figure


def one(smk, i):
    p = smk.params
    path, expected = listed(smk.input.influence)[i], p.expected[p.samples[i]]
    # the pair matrices stay in the file: the picture reads one row of each node's
    with h5io.open_interactions(path, expected) as data:
        figure = interactions_figure.interactions_figure(
            data, zoom=p.zoom, colormap=p.colormap, overlay=p.overlay, scale=p.scale
        )
        metadata = interactions_figure.metadata(data, p.colormap, p.overlay, p.scale)
    canvas.save_png(figure, smk.output[i], metadata)


run_each(one, snakemake)
