"""The datasets of 28x28 images a run explains: MNIST (the default), Fashion-MNIST, KMNIST,
or a user's own four IDX files; their files, checksums, split sizes and class names.

Every dataset is four IDX files, the MNIST format: the images and the labels of a training
split and of a test split. A ``Dataset`` says where the jobs read each (``DataFile``), what
each file's verified size and sha256 are, how many images each split holds and what its
classes are called; the rule ``mnist`` turns the four files into one HDF5 file that every
later job reads and checks against ``sources(dataset)``.
"""

import re
from typing import NamedTuple

__all__ = [
    "CITATIONS",
    "FILE_NAMES",
    "KNOWN",
    "MNIST",
    "NAME_PATTERN",
    "ROLES",
    "SPLIT_ROLES",
    "DataFile",
    "Dataset",
    "Known",
    "class_count",
    "checksums",
    "class_label",
    "known",
    "sources",
]

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
SPLIT_ROLES = {"train": ("train_images", "train_labels"), "test": ("test_images", "test_labels")}
# the file names of the known datasets (their mirrors serve them under these names)
FILE_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"  # a dataset's name: a folder under resources/
RESOURCES = "resources"  # the download rule's folder (workflow/rules/data.smk)


class Known(NamedTuple):
    """A dataset the pipeline knows: what it is, each file's (bytes, sha256) and its class
    names (None: the ten digits, labelled 0..9)."""

    meaning: str
    files: dict
    class_names: tuple | None


# name -> the dataset; the checksums of the files the mirrors serve (MNIST's, as ever;
# Fashion-MNIST's from TensorFlow Datasets, of the files whose md5 its README lists; KMNIST's
# from TensorFlow Datasets, of the files whose md5 torchvision lists)
KNOWN = {
    "mnist": Known(
        "the MNIST database of handwritten digits (LeCun, Cortes, Burges)",
        {
            "train_images": (
                9912422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            ),
            "train_labels": (
                28881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            ),
            "test_images": (
                1648877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            ),
            "test_labels": (
                4542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ),
        },
        None,
    ),
    "fashion-mnist": Known(
        "Fashion-MNIST, Zalando's article images (Xiao, Rasul, Vollgraf)",
        {
            "train_images": (
                26421880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            ),
            "train_labels": (
                29515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            ),
            "test_images": (
                4422102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            ),
            "test_labels": (
                5148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            ),
        },
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    ),
    "kmnist": Known(
        "Kuzushiji-MNIST, cursive Japanese hiragana (Clanuwat et al.)",
        {
            "train_images": (
                18165135,
                "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
            ),
            "train_labels": (
                29497,
                "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
            ),
            "test_images": (
                3041136,
                "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
            ),
            "test_labels": (
                5120,
                "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
            ),
        },
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
    ),
}
CITATIONS = {
    "mnist": "http://yann.lecun.com/exdb/mnist/",
    "fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist (MIT licence)",
    "kmnist": "https://github.com/rois-codh/kmnist (CC BY-SA 4.0)",
}
KNOWN_SIZES = {"train": 60000, "test": 10000}  # images per split of each known dataset


class DataFile(NamedTuple):
    """One of a dataset's four files: where the jobs read it, its size in bytes (None when
    only its sha256 is known: a download of the user's), its sha256, the name the download
    rule fetches it under ("<dataset>/<file>"; None for a file of the user's that is read
    where it lies), and the URL of a file of the user's (None: from ``mirrors``)."""

    path: str
    size: int | None
    sha256: str
    resource: str | None
    url: str | None = None


class Dataset(NamedTuple):
    """A run's dataset: its name (a folder under resources/ and results/), what it is in
    words, its four files by role (``ROLES``), the images of each split, and its class
    names (None: the ten digits 0..9, as MNIST's are shown)."""

    name: str
    meaning: str
    files: dict
    sizes: dict
    class_names: tuple | None


def known(name):
    """The known dataset ``name`` ("mnist", "fashion-mnist", "kmnist"), its files the
    download rule's (resources/<name>/<file>)."""
    spec = KNOWN[name]
    files = {}
    for role in ROLES:
        resource = f"{name}/{FILE_NAMES[role]}"
        size, sha256 = spec.files[role]
        files[role] = DataFile(f"{RESOURCES}/{resource}", size, sha256, resource)
    return Dataset(name, spec.meaning, files, dict(KNOWN_SIZES), spec.class_names)


MNIST = known("mnist")


def class_count(dataset):
    """How many classes ``dataset`` has (ten digits without names)."""
    return 10 if dataset.class_names is None else len(dataset.class_names)


def class_label(class_names, label):
    """The text naming class ``label``: its name, or the digit itself."""
    return str(label) if class_names is None else class_names[label]


def checksums(dataset):
    """{file: sha256} of the dataset's four files: by file name for a known dataset (MNIST's
    "t10k-images-idx3-ubyte.gz", ...), by role for the user's own (whose files may share a
    name in different folders)."""
    if dataset.name in KNOWN:
        return {re.split(r"[\\/]", f.path)[-1]: f.sha256 for f in dataset.files.values()}
    return {role: dataset.files[role].sha256 for role in ROLES}


def sources(dataset):
    """The ``source_sha256`` attribute of the dataset's HDF5 file: "<file> <sha256>" of each
    of its four files (``checksums``), sorted (MNIST's as it always was)."""
    return [f"{name} {digest}" for name, digest in sorted(checksums(dataset).items())]
