"""Fetch one data file from the configured mirrors (or the local mirror), verified."""

from pixel_influence.download import fetch, sources_for
from pixel_influence.jobs import run


def job(smk):
    name = smk.wildcards.resource
    size, sha256, url = smk.params.expected  # url: a file of a dataset of the user's
    settings = smk.config["download"]
    urls = None if url is None else [url]
    sources = sources_for(name, smk.config["mirrors"], smk.config["local_mirror"], urls)
    fetch(
        sources,
        smk.output[0],
        size,
        sha256,
        timeout=settings["timeout"],
        retries=settings["retries"],
    )


run(job, snakemake)
