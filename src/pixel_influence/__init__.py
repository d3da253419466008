"""Pixel influence imaging of the "Deep Learning from Scratch" ch03 MNIST network.

Pure functions (arrays in, arrays out) that the Snakemake scripts call and pytest imports,
one job per module: ``mnist``, ``network``, ``methods``, ``faithfulness``, ``sweep`` compute;
``samples``, ``config``, ``download`` check and fetch the inputs; ``hdf5`` and ``h5io``
write and read the self-describing HDF5 files; ``render`` draws the pictures. Their layers
(what may import what) are in docs/developing.md.
"""

__version__ = "0.1.0"
SOFTWARE = f"pixel_influence {__version__}"
