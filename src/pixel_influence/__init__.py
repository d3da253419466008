"""Pixel influence imaging of the "Deep Learning from Scratch" ch03 MNIST network.

Pure functions (arrays in, arrays out) that the Snakemake scripts call and pytest imports:
``mnist`` reads IDX files, ``network`` loads the weights and runs the MLP, ``methods``
computes influence maps, ``samples`` turns config entries into images, ``download`` fetches
and verifies the data files, ``h5io`` writes and reads the self-describing HDF5 files and
``render`` draws the montages.
"""

__version__ = "0.1.0"
SOFTWARE = f"pixel_influence {__version__}"
