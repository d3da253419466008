"""Influence maps of one sample for every configured method and layer."""

import json
import logging

import numpy as np

from pixel_influence import faithfulness, h5io, interactions, methods, provenance, samples
from pixel_influence.jobs import run


def log_interactions(found, settings):
    """How far the expansion went and how long each part took, in the job's log."""
    for part, seconds in found["seconds"].items():
        logging.info("interactions: %s took %.2f s", part, seconds)
    first = found["ends"][interactions.ENDS[0]]
    if settings["order"] >= 3 and not first["order3"]:
        logging.info(
            "interactions: %d triples of %d changed pixels > max_triples %d: stopped at "
            "pairs (r3 = NaN); raise interactions.max_triples to sum them",
            first["triples"],
            len(found["changed"]),
            settings["max_triples"],
        )
    if found["skipped"]:
        logging.info(
            "interactions: no Shapley interaction index (%s)%s",
            found["skipped"],
            "; raise interactions.shapley_interaction.max_pairs to compute it"
            if "max_pairs" in found["skipped"]
            else "",
        )
    for end, expansion in found["ends"].items():
        for layer, r in expansion["residuals"].items():
            logging.info(
                "interactions from %s, %s: median |r1..r%d| %s",
                end,
                layer,
                r.shape[1],
                " ".join(f"{v:.4g}" for v in np.median(np.abs(r), axis=0)),
            )


def log_progress(method, done, total, seconds):
    """A slow method's progress in the job's log: counts, rate and time left."""
    rate = done / seconds if seconds > 0 else float("inf")
    logging.info(
        "%s: %d/%d permutations, %.0f per second, %.2f s left",
        method,
        done,
        total,
        rate,
        (total - done) / rate,
    )


def job(smk):
    name, spec = smk.wildcards.sample, smk.params.spec
    params, weights_sha256 = h5io.read_weights(smk.input.weights)
    baseline_image, _, baseline_text = h5io.read_baseline(smk.input.baseline, weights_sha256)
    source = provenance.current_source(name, spec, smk.input.source)
    kind = samples.kind(spec)
    label = -1
    if kind == "fill":
        image = samples.fill_image(spec["fill"])
        title = f"{name}: every pixel {spec['fill']}"
    elif kind == "png":
        image = samples.png_image(spec["png"])
        provenance.current_source(name, spec, smk.input.source)  # the bytes read, hashed
        title = f"{name}: {spec['png']}"
    else:
        pixels, label = h5io.read_mnist_image(smk.input.mnist, spec["split"], spec["index"])
        image = samples.mnist_image(pixels[None], 0)
        title = f"{name}: {spec['split']} image #{spec['index']}, label {label}"
    layers = smk.params.layers
    result = methods.compute(
        params,
        image,
        baseline_image,
        layers,
        smk.params.methods,
        smk.params.method_parameters,
        progress=log_progress,
    )
    interaction_settings = smk.params.interactions
    found = None
    if interaction_settings is not None:
        found = interactions.interactions(
            params,
            image,
            baseline_image,
            interaction_settings["layers"],
            # the default hidden nodes count only for the layers there are
            {
                layer: nodes
                for layer, nodes in interaction_settings["nodes"].items()
                if layer in interaction_settings["layers"]
            },
            interaction_settings["order"],
            interaction_settings["max_triples"],
            interaction_settings["shapley_interaction"],
            progress=lambda *state: log_progress("shapley_interaction", *state),
            dtype=smk.params.dtype,
        )
        log_interactions(found, interaction_settings)
    settings = dict(smk.params.faithfulness)
    curves = faithfulness.evaluate(
        params,
        image,
        baseline_image,
        result["maps"],
        result["value"],
        result["baseline"],
        layers,
        **settings,
    )
    probabilities = result["value"]["z3"]
    title += f"; predicted {int(np.argmax(probabilities))} ({probabilities.max():.3f})"
    provenance_attrs = {
        "sample": name,
        "source": samples.describe(spec),
        "title": title,
        "label": label,
        "baseline": baseline_text,
        "weights_sha256": weights_sha256,
        # the settings that shaped this file, stable text: no paths, times or host names
        "config": json.dumps(
            provenance.influence_settings(
                spec,
                layers,
                smk.params.methods,
                smk.params.method_parameters,
                settings,
                smk.params.dtype,
                interaction_settings,
            ),
            sort_keys=True,
        ),
    }
    if "png_sha256" in source:
        provenance_attrs["png_sha256"] = source["png_sha256"]
    h5io.write_influence(
        smk.output[0],
        result,
        image,
        baseline_image,
        provenance_attrs,
        smk.params.dtype,
        faithfulness=curves,
        interactions=found,
        interaction_settings=interaction_settings,
        **settings,
    )
    for method, per_layer in result["residuals"].items():
        for layer, r in per_layer.items():
            areas = curves["areas"][method][layer]
            logging.info(
                "%s %s: max |residual| %.4g, median deletion area %.3f, insertion area %.3f",
                method,
                layer,
                np.abs(r).max(),
                faithfulness.nanmedian(areas["deletion"]),
                faithfulness.nanmedian(areas["insertion"]),
            )


run(job, snakemake)
