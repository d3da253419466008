"""Drawing the influence maps and the faithfulness curves as PNG pictures, and tables.

Import the submodule you use (nothing is re-exported here):

- ``shading``: value -> gray level on a symmetric scale, the scales (per layer, node or
  shared), their legend ramp and text, ``format_value``.
- ``canvas``: what every figure shares: fonts, BACKGROUND/INK, text helpers, the map
  figures' sizes and common parts, ``save_png`` (reproducible bytes, PNG text metadata).
- ``montage``: a sample's montage: the input image and a grid of node maps per method/layer.
- ``methods_figure``: methods side by side on one sample: a row per method, a column per node.
- ``curves``: line plots of faithfulness curves in colour (Okabe-Ito palette).
- ``table``: a CSV's rows as a small HTML page, which the report shows in place.
"""
