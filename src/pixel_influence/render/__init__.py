"""Drawing the influence maps and the faithfulness curves as pictures, and tables.

Import the submodule you use (nothing is re-exported here):

- ``shading``: value -> gray level on a symmetric scale, the scales (per layer, node or
  shared), their legend ramp and text, ``format_value``.
- ``canvas``: what every figure shares: fonts, BACKGROUND/INK, text helpers, the map
  figures' sizes and common parts, ``save_png`` (reproducible bytes, PNG text metadata).
- ``montage``: a sample's montage: the input image and a grid of node maps per method/layer.
- ``methods_figure``: methods side by side on one sample: a row per method, a column per node.
- ``interactions_figure``: a sample's pixel interactions: a row per node, per end 4 maps.
- ``faithfulness_figure``: the faithfulness curves with matplotlib (Agg, no pyplot), a
  panel per layer and curve kind, a colour, line style and marker per method (Okabe-Ito),
  the scores by name beside each panel; PNG and SVG with reproducible bytes.
- ``training_figure``: the training curves (loss, train/test accuracy per epoch) with
  matplotlib; PNG with reproducible bytes.
- ``compare``: several runs' pictures of one sample side by side, each under its heading.
- ``table``: a CSV's rows as a small HTML page, which the report shows in place.
"""
