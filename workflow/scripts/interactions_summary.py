"""How much of each layer's residual do pairs and triples of pixels explain, over all samples."""

import csv
import logging

from pixel_influence import h5io, interactions
from pixel_influence.files import atomic_write
from pixel_influence.jobs import run
from pixel_influence.render.table import html_table

TITLE = "Do pixels interact? Residuals of the expansion (results/interactions_summary.csv)"


def job(smk):
    residuals, layers = [], None
    for path in smk.input:
        sample = h5io.read_interaction_residuals(path, smk.params.expected[path])
        residuals.append(sample["residuals"])
        layers = sample["layers"]
    rows = interactions.summary(residuals, layers)
    with atomic_write(smk.output.summary) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=interactions.SUMMARY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        logging.info("%s", " ".join(f"{k}={v}" for k, v in row.items()))
    text_rows = [{k: str(v) for k, v in row.items()} for row in rows]
    with atomic_write(smk.output.summary_table) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(
                html_table(
                    interactions.SUMMARY_COLUMNS,
                    text_rows,
                    TITLE,
                    interactions.SUMMARY_TEXT,
                    group="layer",
                )
            )


run(job, snakemake)
