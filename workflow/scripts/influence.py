"""Influence maps of each sample of the job (one, or a batch) for every configured method
and layer."""

import functools
import json
import logging

import numpy as np

from pixel_influence import faithfulness, h5io, interactions, methods, provenance, samples
from pixel_influence import network as network_structure
from pixel_influence.jobs import listed, run_each


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


@functools.cache
def network(weights, baseline, expected_sha256):
    """The weights and the baseline, read once for all the samples of the job."""
    params, weights_sha256 = h5io.read_weights(weights, expected_sha256)
    return params, weights_sha256, h5io.read_baseline(baseline, weights_sha256)


_IMAGES = {}  # (path, split, indices) -> images and labels: the file read once per job


def mnist_images(smk, split):
    """The job's MNIST images of ``split``, read at once (one check of the file for all):
    the images, their labels and {index: row}."""
    indices = tuple(
        sorted(
            {
                spec["index"]
                for spec in smk.params.specs.values()
                if samples.kind(spec) == "mnist" and spec["split"] == split
            }
        )
    )
    key = (smk.input.mnist, split, indices)
    if key not in _IMAGES:
        _IMAGES[key] = h5io.read_mnist_images(smk.input.mnist, *key[1:], smk.params.dataset)
    images, labels = _IMAGES[key]
    return images, labels, {index: row for row, index in enumerate(indices)}


def one(smk, i):
    name = smk.params.samples[i]
    spec = smk.params.specs[name]
    params, weights_sha256, baseline = network(
        smk.input.weights, smk.input.baseline, smk.params.weights_sha256
    )
    baseline_image, _, baseline_text = baseline
    source = provenance.current_source(name, spec, listed(smk.input.source)[i])
    kind = samples.kind(spec)
    label = -1
    if kind == "fill":
        image = samples.fill_image(spec["fill"])
        title = f"{name}: every pixel {spec['fill']}"
    elif kind == "png":
        image = samples.png_image(spec["png"])
        provenance.current_source(name, spec, listed(smk.input.source)[i])  # the bytes read, hashed
        title = f"{name}: {spec['png']}"
    else:
        images, labels, where = mnist_images(smk, spec["split"])
        image = samples.mnist_image(images, where[spec["index"]])
        label = int(labels[where[spec["index"]]])
        title = f"{name}: {spec['split']} image #{spec['index']}, label {label}"
        if smk.params.dataset.class_names is not None:
            title += f" {smk.params.dataset.class_names[label]}"
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
    probabilities = result["value"][network_structure.output_layers(params)[1]]
    predicted = int(np.argmax(probabilities))
    names = smk.params.dataset.class_names
    named = "" if names is None else f" {names[predicted]}"
    title += f"; predicted {predicted}{named} ({probabilities.max():.3f})"
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
        smk.output[i],
        result,
        image,
        baseline_image,
        provenance_attrs,
        smk.params.dtype,
        faithfulness=curves,
        interactions=found,
        interaction_settings=interaction_settings,
        activation=network_structure.activation_of(params),
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


run_each(one, snakemake)
