"""Training a network with numpy (training) and its curves (render.training_figure): the
backward pass against finite differences, the optimisers against the book's update rules,
the documented recipe bit for bit, the settings' checks, and one real training run."""

import math

import matplotlib
import numpy as np
import pytest
from conftest import DATA, needs_data
from PIL import Image

from pixel_influence import SOFTWARE, mnist, network, training
from pixel_influence.errors import InputError
from pixel_influence.render import training_figure

DEPTHS = (1, 2, 3)


def _tiny_network(depth, activation, rng, inputs=5, classes=3, scale=0.8):
    widths = [inputs, 4, 3, 4][:depth] + [classes]
    params = {}
    for k in range(1, depth + 1):
        params[f"W{k}"] = rng.normal(0, scale, (widths[k - 1], widths[k]))
        params[f"b{k}"] = rng.normal(0, 0.3, widths[k])
    params[network.ACTIVATION] = activation
    return params


def _reference_loss(params, x, labels, weight_decay=0.0):
    """Mean -log softmax(aL)[label] by network.forward, plus 0.5 lambda sum(W^2)."""
    out = network.forward(params, x)[network.output_layers(params)[1]]
    loss = -np.mean(np.log(out[np.arange(len(x)), labels]))
    squares = sum(np.sum(params[f"W{k}"] ** 2) for k in range(1, network.depth(params) + 1))
    return loss + 0.5 * weight_decay * squares


def _numeric_gradients(params, x, labels, weight_decay, step=1e-5):
    grads = {}
    for key in network.weight_keys(params):
        grad = np.zeros_like(params[key])
        for i in np.ndindex(params[key].shape):
            values = []
            for sign in (1, -1):
                shifted = {k: (v.copy() if k == key else v) for k, v in params.items()}
                shifted[key][i] += sign * step
                values.append(training.loss_and_gradients(shifted, x, labels, weight_decay)[0])
            grad[i] = (values[0] - values[1]) / (2 * step)
        grads[key] = grad
    return grads


@pytest.mark.parametrize("weight_decay", [0.0, 0.03])
@pytest.mark.parametrize("activation", network.ACTIVATIONS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_backward_pass_matches_central_differences_of_the_loss(depth, activation, weight_decay):
    rng = np.random.default_rng(100 * depth + network.ACTIVATIONS.index(activation))
    params = _tiny_network(depth, activation, rng)
    x = rng.random((6, 5))
    labels = np.array([0, 1, 2, 2, 1, 0])
    loss, grads = training.loss_and_gradients(params, x, labels, weight_decay)
    assert loss == pytest.approx(_reference_loss(params, x, labels, weight_decay), rel=1e-13)
    assert list(grads) == list(network.weight_keys(depth))
    numeric = _numeric_gradients(params, x, labels, weight_decay)
    for key, grad in grads.items():
        assert grad.shape == params[key].shape and grad.dtype == np.float64
        error = np.max(np.abs(grad - numeric[key])) / np.max(np.abs(grad))
        assert error < 1e-6, (key, error)


def test_the_backward_pass_leaves_the_network_and_the_inputs_as_they_were():
    rng = np.random.default_rng(7)
    params = _tiny_network(3, "relu", rng)
    before = {k: np.copy(v) for k, v in params.items()}
    x = rng.random((4, 5))
    x_before = x.copy()
    training.loss_and_gradients(params, x, np.array([0, 1, 2, 0]), 0.1)
    for key, value in before.items():
        assert np.array_equal(params[key], value)
    assert np.array_equal(x, x_before)


def test_float32_gradients_agree_with_float64_ones():
    rng = np.random.default_rng(3)
    params = _tiny_network(2, "tanh", rng)
    x, labels = rng.random((8, 5)), rng.integers(0, 3, 8)
    loss, grads = training.loss_and_gradients(params, x, labels)
    params32 = {k: v.astype(np.float32) if k[0] in "Wb" else v for k, v in params.items()}
    loss32, grads32 = training.loss_and_gradients(params32, x.astype(np.float32), labels)
    assert loss32 == pytest.approx(loss, rel=1e-6)
    for key, grad in grads32.items():
        assert grad.dtype == np.float32
        np.testing.assert_allclose(grad, grads[key], rtol=1e-5, atol=1e-7)


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def test_one_sgd_step_equals_the_update_worked_out_by_hand():
    """A 2-2-2 sigmoid network and two samples, the chain rule written out per sample."""
    W1 = np.array([[0.5, -0.3], [0.2, 0.8]])
    b1 = np.array([0.1, -0.2])
    W2 = np.array([[1.0, -1.5], [-0.7, 0.4]])
    b2 = np.array([0.05, 0.0])
    x = np.array([[0.9, 0.1], [0.2, 0.6]])
    labels = np.array([1, 0])
    lr, n = 0.5, 2
    dW1, db1, dW2, db2 = np.zeros((2, 2)), np.zeros(2), np.zeros((2, 2)), np.zeros(2)
    for s in range(n):
        z1 = [_sigmoid(x[s, 0] * W1[0, j] + x[s, 1] * W1[1, j] + b1[j]) for j in range(2)]
        a2 = [z1[0] * W2[0, c] + z1[1] * W2[1, c] + b2[c] for c in range(2)]
        e = [math.exp(v) for v in a2]
        y = [v / sum(e) for v in e]
        delta2 = [(y[c] - (1.0 if c == labels[s] else 0.0)) / n for c in range(2)]
        for j in range(2):
            for c in range(2):
                dW2[j, c] += z1[j] * delta2[c]
        for c in range(2):
            db2[c] += delta2[c]
        delta1 = [
            (delta2[0] * W2[j, 0] + delta2[1] * W2[j, 1]) * z1[j] * (1 - z1[j]) for j in range(2)
        ]
        for i in range(2):
            for j in range(2):
                dW1[i, j] += x[s, i] * delta1[j]
        for j in range(2):
            db1[j] += delta1[j]
    params = {"W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(), "b2": b2.copy()}
    _, grads = training.loss_and_gradients(params, x, labels)
    training.optimizer("sgd", lr)(params, grads)
    expected = {"W1": W1 - lr * dW1, "b1": b1 - lr * db1, "W2": W2 - lr * dW2, "b2": b2 - lr * db2}
    for key, value in expected.items():
        np.testing.assert_allclose(params[key], value, rtol=1e-14, atol=1e-16)
    assert not np.allclose(params["W1"], W1)  # the step moved every array
    assert not np.allclose(params["b2"], b2)


class BookSGD:
    """The book's optimisers (ch06 common/optimizer.py), as written there."""

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class BookMomentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = {}
            for key, val in params.items():
                self.v[key] = np.zeros_like(val)
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class BookAdam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m, self.v = {}, {}
            for key, val in params.items():
                self.m[key] = np.zeros_like(val)
                self.v[key] = np.zeros_like(val)
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        # a Python float, as numpy 1 (the book's) treated this float64 scalar beside float32
        # arrays: the step in the weights' dtype (numpy 2 would lift it to float64)
        lr_t = float(lr_t)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name, book", [("sgd", BookSGD), ("momentum", BookMomentum), ("adam", BookAdam)]
)
def test_optimizers_give_the_books_updates_bit_for_bit_over_three_steps(name, book, dtype):
    rng = np.random.default_rng(11)
    params = {
        k: rng.normal(0, 1, shape).astype(dtype)
        for k, shape in (("W1", (3, 4)), ("b1", (4,)), ("W2", (4, 2)), ("b2", (2,)))
    }
    steps = [{k: rng.normal(0, 1, v.shape).astype(dtype) for k, v in params.items()} for _ in "abc"]
    ours, theirs = ({k: v.copy() for k, v in params.items()} for _ in range(2))
    lr = 0.03
    update, reference = training.optimizer(name, lr), book(lr=lr)
    for grads in steps:
        update(ours, grads)
        reference.update(theirs, grads)
        for key in params:
            assert ours[key].dtype == dtype
            np.testing.assert_array_equal(ours[key], theirs[key])
    assert not np.array_equal(ours["W1"], params["W1"])


def test_the_optimizers_constants_are_the_books():
    assert (training.MOMENTUM, training.BETA1, training.BETA2) == (0.9, 0.9, 0.999)
    assert training.ADAM_EPSILON == 1e-7
    with pytest.raises(InputError, match="optimizer 'rmsprop' is not one of sgd, momentum, adam"):
        training.optimizer("rmsprop", 0.1)


def test_initial_weights_are_xavier_he_or_a_given_std_and_zero_biases():
    settings = training.check_settings({"hidden": [30, 20], "activation": "sigmoid"})
    for init, stds in (
        ("he", [math.sqrt(2 / 784), math.sqrt(2 / 30), math.sqrt(2 / 20)]),
        ("xavier", [math.sqrt(1 / 784), math.sqrt(1 / 30), math.sqrt(1 / 20)]),
        (0.01, [0.01] * 3),
    ):
        params = training.initial_network({**settings, "init": init}, np.random.default_rng(5))
        draws = np.random.default_rng(5)
        assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]  # sigmoid: no key
        for k, (shape, std) in enumerate(zip([(784, 30), (30, 20), (20, 10)], stds), start=1):
            expected = (std * draws.standard_normal(shape)).astype(np.float32)
            np.testing.assert_array_equal(params[f"W{k}"], expected)
            assert params[f"b{k}"].dtype == np.float32
            np.testing.assert_array_equal(params[f"b{k}"], np.zeros(shape[1], np.float32))
    relu = training.initial_network(
        training.check_settings({"hidden": []}), np.random.default_rng(0), classes=3
    )
    assert relu["activation"] == "relu" and relu["W1"].shape == (784, 3)


def _images(rng, n, classes=10):
    """Images whose label decides which rows are bright: a task a network learns."""
    labels = rng.integers(0, classes, n).astype(np.uint8)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label : 2 * label + 3] += 180
    return images, labels


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(21)
    return (*_images(rng, 90), *_images(rng, 40))


def test_training_follows_its_documented_recipe_bit_for_bit(small_data):
    """One generator: the weights, then a permutation per epoch; the last batch smaller."""
    images, labels, test_images, test_labels = small_data
    settings = {"hidden": [16], "optimizer": "momentum", "batch_size": 32, "epochs": 2, "seed": 9}
    params, history = training.train(settings, images, labels, test_images, test_labels)
    full = training.check_settings(settings)
    rng = np.random.default_rng(9)
    expected = training.initial_network(full, rng)
    update = training.optimizer("momentum", 0.01)
    losses = []
    for _ in range(2):
        order = rng.permutation(90)
        epoch = []
        for batch in (order[:32], order[32:64], order[64:]):
            x = images[batch].reshape(-1, 784).astype(np.float32) / np.float32(255)
            loss, grads = training.loss_and_gradients(expected, x, labels[batch].astype(int))
            epoch.append(loss)
            update(expected, grads)
        losses.append(math.fsum(epoch) / 3)
    assert list(params) == ["W1", "b1", "W2", "b2", "activation"]
    for key in network.weight_keys(2):
        assert params[key].dtype == np.float32
        np.testing.assert_array_equal(params[key], expected[key])
    assert history["loss"].tolist() == losses
    assert set(history) == {"loss", "train_accuracy", "test_accuracy", "seconds"}
    checked = network.check_network(params, "trained")
    for split, (x, y) in {"train": (images, labels), "test": (test_images, test_labels)}.items():
        correct, total = network.accuracy(checked, x, y)
        assert history[f"{split}_accuracy"][-1] == correct / total
    assert history["seconds"].shape == (2,) and np.all(history["seconds"] > 0)


def test_same_settings_give_the_same_weights_bit_for_bit_and_another_seed_others(small_data):
    settings = {"hidden": [12, 8], "activation": "tanh", "optimizer": "adam", "batch_size": 16}
    runs = [training.train({**settings, "seed": seed}, *small_data) for seed in (3, 3, 4)]
    (first, h1), (second, h2), (other, _) = runs
    assert list(first) == list(second)
    for key in network.weight_keys(3):
        assert np.array_equal(first[key], second[key])
        assert not np.array_equal(first[key], other[key])
    for key in ("loss", "train_accuracy", "test_accuracy"):
        assert np.array_equal(h1[key], h2[key])


def test_history_per_epoch_and_the_progress_callback(small_data):
    seen = []
    settings = {"hidden": [20], "epochs": 4, "learning_rate": 0.5, "batch_size": 10}
    params, history = training.train(
        settings, *small_data, dtype=np.float64, on_epoch=lambda *a: seen.append(a)
    )
    assert params["W1"].dtype == np.float64
    assert [epoch for epoch, _ in seen] == [1, 2, 3, 4]
    for key, values in history.items():
        assert values.dtype == np.float64 and values.tolist() == [r[key] for _, r in seen]
    # an easy task: the loss falls and the network learns it
    assert history["loss"][-1] < history["loss"][0] / 5
    assert history["train_accuracy"][-1] == 1.0 and history["test_accuracy"][-1] == 1.0


def test_a_diverging_run_is_refused_naming_the_learning_rate(small_data):
    settings = {"hidden": [20], "activation": "identity", "learning_rate": 1e30, "batch_size": 30}
    with pytest.raises(InputError) as caught:
        training.train(settings, *small_data)
    assert str(caught.value).startswith(
        "config.network.train.learning_rate: training diverged at epoch 1, batch "
    )
    assert str(caught.value).endswith("lower the learning rate 1e+30")


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"hidden": [100, 0]},
            "config.network.train.hidden[1]: 0 is not a layer width (a whole number of nodes "
            "from 1 to 4096)",
        ),
        (
            {"hidden": [True]},
            "config.network.train.hidden[0]: True is not a layer width (a whole number of "
            "nodes from 1 to 4096)",
        ),
        (
            {"hidden": 100},
            "config.network.train.hidden: 100 is not a list of at most 8 hidden layer widths "
            "([] for none: softmax regression)",
        ),
        (
            {"activation": "softplus"},
            "config.network.train.activation: 'softplus' is not one of sigmoid, tanh, relu, "
            "identity",
        ),
        (
            {"init": "glorot"},
            "config.network.train.init: 'glorot' is not one of xavier, he or a standard "
            "deviation (a finite number more than 0, e.g. 0.01 as in the book's ch04)",
        ),
        (
            {"init": 0},
            "config.network.train.init: 0 is not one of xavier, he or a standard deviation "
            "(a finite number more than 0, e.g. 0.01 as in the book's ch04)",
        ),
        (
            {"optimizer": "rmsprop"},
            "config.network.train.optimizer: 'rmsprop' is not one of sgd, momentum, adam",
        ),
        (
            {"learning_rate": "1e-3"},
            "config.network.train.learning_rate: '1e-3' is not a learning rate (a finite "
            "number, more than 0) (YAML reads a number like 1e-3 as text: write 1.0e-3 or "
            "0.001)",
        ),
        (
            {"learning_rate": 0},
            "config.network.train.learning_rate: 0 is not a learning rate (a finite number, "
            "more than 0)",
        ),
        (
            {"learning_rate": float("inf")},
            "config.network.train.learning_rate: inf is not a learning rate (a finite "
            "number, more than 0)",
        ),
        (
            {"batch_size": 0},
            "config.network.train.batch_size: 0 is not a batch size (a whole number from 1 "
            "to 2147483647)",
        ),
        (
            {"batch_size": 2.5},
            "config.network.train.batch_size: 2.5 is not a batch size (a whole number from 1 "
            "to 2147483647)",
        ),
        (
            {"epochs": 0},
            "config.network.train.epochs: 0 is not a number of epochs (a whole number from 1 "
            "to 10000)",
        ),
        (
            {"seed": -1},
            "config.network.train.seed: -1 is not a seed (a whole number from 0 to "
            "9223372036854775807)",
        ),
        (
            {"weight_decay": -0.1},
            "config.network.train.weight_decay: -0.1 is not a weight decay (a finite number, "
            "0 or more)",
        ),
        (
            {"hiden": [10]},
            "config.network.train.hiden: not a training setting; the settings are hidden, "
            "activation, init, optimizer, learning_rate, batch_size, epochs, seed, weight_decay",
        ),
        ("fast", "config.network.train: expected a mapping of training settings, got 'fast'"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(settings, message):
    with pytest.raises(InputError) as caught:
        training.check_settings(settings)
    assert str(caught.value) == message


def test_settings_defaults_and_the_optimizers_learning_rates():
    assert training.check_settings(None) == training.check_settings({})
    assert training.check_settings({}) == {
        "hidden": [100],
        "activation": "relu",
        "init": "he",
        "optimizer": "sgd",
        "learning_rate": 0.1,
        "batch_size": 100,
        "epochs": 5,
        "seed": 0,
        "weight_decay": 0.0,
    }
    checked = training.check_settings({"init": 0.01, "hidden": (20,)})
    assert training.check_settings(checked) == checked  # checked settings pass unchanged
    for name, lr in (("momentum", 0.01), ("adam", 0.001)):
        assert training.check_settings({"optimizer": name})["learning_rate"] == lr
    given = training.check_settings({"hidden": [], "init": 1, "learning_rate": 2})
    assert (given["hidden"], given["init"], given["learning_rate"]) == ([], 1.0, 2.0)
    assert training.describe(training.check_settings({})) == (
        "784-100-10 relu, he init, sgd lr 0.1, batch 100, 5 epochs, seed 0"
    )
    assert training.describe(
        training.check_settings(
            {"hidden": [50, 20], "init": 0.01, "epochs": 1, "weight_decay": 1e-4}
        )
    ) == (
        "784-50-20-10 relu, init std 0.01, sgd lr 0.1, batch 100, 1 epoch, seed 0, "
        "weight decay 0.0001"
    )
    with pytest.raises(InputError, match=r"^config\.train\.epochs: 0 is not"):
        training.check_settings({"epochs": 0}, path=("train",))


def test_bad_images_and_labels_are_refused(small_data):
    images, labels, test_images, test_labels = small_data
    cases = [
        ((images.astype(np.float32), labels), "training images: expected uint8 images (n, 28, 28)"),
        (
            (images[:, :27], labels),
            "training images: expected (n, 28, 28) with n > 0, got (90, 27, 28)",
        ),
        ((images, labels[:5]), "training labels: expected 90 integer labels, got uint8 (5,)"),
        ((images, labels + 5), "training labels: label 12 (item 1) is not a class 0 to 9"),
    ]
    for (x, y), message in cases:
        with pytest.raises(InputError) as caught:
            training.train({}, x, y, test_images, test_labels)
        assert str(caught.value).startswith(message)
    with pytest.raises(
        InputError, match=r"^test labels: label \d \(item \d+\) is not a class 0 to 2$"
    ):
        training.train({}, images, labels % 3, test_images, test_labels, classes=3)


@needs_data
def test_a_784_50_10_network_learns_mnist_in_one_epoch_on_a_subset():
    folder = DATA / "mnist"
    images, labels = mnist.read_split(
        folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    )
    test = mnist.read_split(
        folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"
    )
    settings = {"hidden": [50], "epochs": 1}  # ReLU, He, SGD lr 0.1, batches of 100
    params, history = training.train(settings, images[:20000], labels[:20000], *test)
    # 200 steps reach about 0.90 (0.8976 and 0.8954 on the training images on the
    # machine this was written on)
    assert history["test_accuracy"][0] > 0.88
    assert history["train_accuracy"][0] > 0.88
    checked = network.check_network(params, "trained")
    assert network.accuracy(checked, *test)[0] == round(history["test_accuracy"][0] * 10000)


HISTORY = {
    "loss": np.array([0.42, 0.25, 0.2, 0.17, 0.15]),
    "train_accuracy": np.array([0.92, 0.94, 0.95, 0.96, 0.965]),
    "test_accuracy": np.array([0.923, 0.94, 0.95, 0.955, 0.96]),
    "seconds": np.array([2.0, 2.1, 2.0, 2.0, 2.2]),
}


def test_the_training_figure_draws_the_loss_and_both_accuracies_per_epoch():
    fig = training_figure.figure(HISTORY, "the title", "the settings")
    loss_axes, accuracy_axes = fig.axes
    (loss_line,) = loss_axes.get_lines()
    assert loss_line.get_xdata().tolist() == [1, 2, 3, 4, 5]
    assert loss_line.get_ydata().tolist() == HISTORY["loss"].tolist()
    assert loss_axes.get_ylabel() == "cross-entropy"
    train_line, test_line = accuracy_axes.get_lines()
    assert train_line.get_ydata().tolist() == HISTORY["train_accuracy"].tolist()
    assert test_line.get_ydata().tolist() == HISTORY["test_accuracy"].tolist()
    legend = [t.get_text() for t in accuracy_axes.get_legend().get_texts()]
    assert legend == ["train (0.9650)", "test (0.9600)"]
    assert fig.get_suptitle() == "the title\nthe settings"
    low, high = loss_axes.get_xlim()
    assert (low, high) == (0.5, 5.5)
    assert [t for t in loss_axes.get_xticks() if low <= t <= high] == [1, 2, 3, 4, 5]
    decayed = training_figure.figure(HISTORY, "t", weight_decay=True)
    assert decayed.axes[0].get_ylabel() == "cross-entropy (+ L2 term)"
    with pytest.raises(ValueError, match="history lacks test_accuracy"):
        training_figure.figure({"loss": [1.0], "train_accuracy": [0.5]}, "t")
    with pytest.raises(ValueError, match="of one length"):
        training_figure.figure({**HISTORY, "loss": [1.0]}, "t")


def test_the_training_figure_png_bytes_are_reproducible(tmp_path):
    metadata = {"Title": "the title", "settings": "the settings"}
    for k in range(2):
        fig = training_figure.figure(HISTORY, "the title", "the settings")
        if k == 1:
            with matplotlib.rc_context({"lines.linewidth": 5, "font.size": 20}):
                training_figure.save(fig, tmp_path / f"{k}.png", metadata)
        else:
            training_figure.save(fig, tmp_path / f"{k}.png", metadata)
    data = (tmp_path / "0.png").read_bytes()
    assert data == (tmp_path / "1.png").read_bytes()
    assert b"tIME" not in data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.png", "1.png"]
    with Image.open(tmp_path / "0.png") as img:
        assert img.mode == "RGB" and img.size == (900, 380)
        assert img.text == {"Software": SOFTWARE, **metadata}
        pixels = np.asarray(img).reshape(-1, 3)
    for key, color in training_figure.COLORS.items():
        rgb = np.round(np.array(matplotlib.colors.to_rgb(color)) * 255).astype(np.uint8)
        assert np.all(pixels == rgb, axis=1).sum() > 50, key
    assert np.all(pixels[0] == 255)
