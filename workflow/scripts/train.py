"""Train the config's network on the MNIST training images (the book's recipe, numpy) and
write it as results/network/weights.h5, with its history and a training-curve picture."""

import logging

from pixel_influence import h5io, training
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
    settings = smk.params.settings
    train_images, train_labels = h5io.read_mnist_split(smk.input.mnist, "train")
    test_images, test_labels = h5io.read_mnist_split(smk.input.mnist, "test")
    logging.info("training %s", training.describe(settings))
    params, history = training.train(
        settings, train_images, train_labels, test_images, test_labels, on_epoch=log_epoch
    )
    h5io.write_weights(
        smk.output.weights,
        params,
        smk.params.weights_sha256,
        source=f"trained by the pipeline: {training.describe(settings)}",
        history=history,
        recipe=smk.params.recipe,
    )
    title = f"Training of the {h5io.architecture(params)} network"
    figure = training_figure.figure(
        history, title, training.describe(settings), settings["weight_decay"] > 0
    )
    training_figure.save(
        figure, smk.output.picture, {"Title": title, "settings": training.describe(settings)}
    )


run(job, snakemake)
