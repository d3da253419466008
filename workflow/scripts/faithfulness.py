"""Gather every sample's deletion/insertion areas into one table and one figure."""

import csv
import logging

import numpy as np

from pixel_influence import faithfulness, h5io
from pixel_influence.files import atomic_write
from pixel_influence.jobs import run
from pixel_influence.render import canvas
from pixel_influence.render.curves import curves_figure
from pixel_influence.render.table import html_table


def job(smk):
    data = []  # one sample at a time: its rows written, its curves resampled, the rest freed
    with atomic_write(smk.output.table) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=faithfulness.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for path in smk.input:
            sample = h5io.read_faithfulness(path, smk.params.expected[path])
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
                    faithfulness.SUMMARY_TEXT,
                    group="layer",
                )
            )
    panels = []
    for layer in layers:
        row = []
        for kind in faithfulness.CURVES:
            series, note = {}, {}
            for method in methods:
                curves = np.concatenate([d["resampled"][method][layer][kind] for d in data])
                areas = np.concatenate([d["areas"][method][layer][kind] for d in data])
                series[method] = faithfulness.band(curves)
                note[method] = f"{faithfulness.nanmedian(areas):.3f}"
                logging.info(
                    "%s %s %s: median area %s over %d nodes",
                    layer,
                    kind,
                    method,
                    note[method],
                    int(np.isfinite(areas).sum()),
                )
            row.append(
                {
                    "title": f"{kind}, {layer}",
                    "x": faithfulness.FRACTIONS,
                    "series": series,
                    "note": note,
                    "xlabel": f"fraction of changed pixels {'removed' if kind == 'deletion' else 'added'}",
                    "ylabel": "(f - f(baseline)) / (f(x) - f(baseline))",
                }
            )
        panels.append(row)
    figure = curves_figure(
        panels,
        methods,
        f"Faithfulness of the maps: {len(data)} samples, every node",
        "line: median over nodes and samples, band: 25-75 %; numbers: median AUC "
        "(deletion: lower is better, insertion: higher is better)",
    )
    metadata = {
        "Title": f"Faithfulness of the maps: {len(data)} samples, every node",
        "sample": ", ".join(d["sample"] for d in data),
        "method": ", ".join(methods),
        "layer": ", ".join(data[0]["layers"]),
        "scale": "normalised node value: 0 = f(baseline), 1 = f(x), per node",
    }
    canvas.save_png(figure, smk.output.figure, metadata)


run(job, snakemake)
