"""Train the config's network on the dataset's training images (the book's recipe, numpy) and
write it as results/network/weights.h5, with its history and a training-curve picture."""

import logging

from pixel_influence import datasets, h5io, training
from pixel_influence.jobs import run
from pixel_influence.render import training_figure


def log_epoch(epoch, record):
    logging.info(
        "epoch %d: loss %.6f, train accuracy %.4f, test accuracy %.4f, %.1f s",
        epoch,
        record["loss"],
        record["train_accuracy"],
        record["test_accuracy"],
        record["seconds"],
    )


def job(smk):
    settings, dataset = smk.params.settings, smk.params.dataset
    classes = datasets.class_count(dataset)
    train_images, train_labels = h5io.read_mnist_split(smk.input.mnist, "train", dataset)
    test_images, test_labels = h5io.read_mnist_split(smk.input.mnist, "test", dataset)
    described = training.describe(settings, classes=classes)
    logging.info("training %s on %s", described, dataset.name)
    params, history = training.train(
        settings,
        train_images,
        train_labels,
        test_images,
        test_labels,
        classes=classes,
        on_epoch=log_epoch,
    )
    h5io.write_weights(
        smk.output.weights,
        params,
        smk.params.weights_sha256,
        source=f"trained by the pipeline: {described}",
        history=history,
        recipe=smk.params.recipe,
    )
    title = f"Training of the {h5io.architecture(params)} network"
    figure = training_figure.figure(
        history, title, described, settings["weight_decay"] > 0
    )
    training_figure.save(figure, smk.output.picture, {"Title": title, "settings": described})


run(job, snakemake)
