"""Draw a sample's pixel interactions: a row per node, the expansion's maps from both ends."""

from pixel_influence import h5io
from pixel_influence.jobs import run
from pixel_influence.render import canvas, interactions_figure


def job(smk):
    p = smk.params
    # the pair matrices stay in the file: the picture reads one row of each node's
    with h5io.open_interactions(smk.input.influence, p.expected) as data:
        figure = interactions_figure.interactions_figure(
            data, zoom=p.zoom, colormap=p.colormap, overlay=p.overlay, scale=p.scale
        )
        metadata = interactions_figure.metadata(data, p.colormap, p.overlay, p.scale)
    canvas.save_png(figure, smk.output[0], metadata)


run(job, snakemake)
