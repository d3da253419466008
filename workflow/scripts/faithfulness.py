"""Gather every sample's deletion/insertion areas into one table and one figure."""

import csv
import logging

from pixel_influence import faithfulness, h5io
from pixel_influence.files import atomic_write
from pixel_influence.jobs import run
from pixel_influence.render import faithfulness_figure
from pixel_influence.render.table import html_table

TITLE = "Faithfulness of the maps: {} samples, every node"
SUBTITLE = (
    "each line: Σ sign(Δ) (f − f(baseline)) / Σ |Δ| over every node and sample, Δ = f(x) − "
    "f(baseline): the nodes' normalised curves weighted by their change\n(1 = f(x), "
    "0 = f(baseline)); beside each panel: the area under each line, best first"
)
YLABEL = "pooled change\n(1 = f(x), 0 = f(baseline))"
SCALE = (
    "pooled node change: sum over nodes and samples of sign(f(x) - f(baseline)) "
    "(f - f(baseline)) / sum of |f(x) - f(baseline)|; 1 = f(x), 0 = f(baseline)"
)


def job(smk):
    data = []  # one sample at a time: its rows written, its areas and curve sums kept
    logit_layers = faithfulness.LOGIT_LAYERS  # the network's softmax output, from the files
    with atomic_write(smk.output.table) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=faithfulness.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for path in smk.input:
            sample = h5io.read_faithfulness(path, smk.params.expected[path])
            logit_layers = sample["logit_layers"]
            writer.writerows(faithfulness.table_rows(sample))
            data.append(faithfulness.condensed(sample))
    layers, methods = data[0]["layers"], data[0]["methods"]
    compared = [m for m in methods if m != faithfulness.RANDOM]
    with atomic_write(smk.output.summary) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=faithfulness.SUMMARY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in faithfulness.summary(data, compared, layers):
            writer.writerow(row)
            logging.info("%s", " ".join(f"{k}={v}" for k, v in row.items()))
    # the same table as a page the report shows in place (it offers a CSV only as a download)
    with open(smk.output.summary, newline="") as f:
        rows = list(csv.DictReader(f))
    with atomic_write(smk.output.summary_table) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(
                html_table(
                    faithfulness.SUMMARY_COLUMNS,
                    rows,
                    "How faithful is each method? (results/faithfulness_summary.csv)",
                    faithfulness.summary_text(logit_layers),
                    group="layer",
                )
            )
    title = TITLE.format(len(data))
    figure = faithfulness_figure.figure(
        faithfulness.figure_panels(data, methods, layers),
        methods,
        faithfulness.FRACTIONS,
        title,
        SUBTITLE,
        YLABEL,
        reference=faithfulness.RANDOM,
    )
    metadata = {
        "Title": title,
        "sample": ", ".join(d["sample"] for d in data),
        "method": ", ".join(methods),
        "layer": ", ".join(layers),
        "scale": SCALE,
    }
    faithfulness_figure.save(figure, smk.output.figure, smk.output.svg, metadata)


run(job, snakemake)
