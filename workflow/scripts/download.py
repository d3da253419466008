"""Fetch one data file from the configured mirrors (or the local mirror), verified."""

from pixel_influence.download import FILES, fetch, sources_for
from pixel_influence.jobs import run


def job(smk):
    name = smk.wildcards.resource
    size, sha256 = FILES[name]
    settings = smk.config["download"]
    sources = sources_for(name, smk.config["mirrors"], smk.config["local_mirror"])
    fetch(
        sources,
        smk.output[0],
        size,
        sha256,
        timeout=settings["timeout"],
        retries=settings["retries"],
    )


run(job, snakemake)
