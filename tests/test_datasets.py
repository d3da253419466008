"""The datasets: the known ones' files, checksums and class names; a user's own four IDX
files read where they lie or fetched from a URL (a local HTTP server here, serving small
synthetic IDX files), checked by sha256, their split sizes from the headers; and what the
config checks make of a dataset (class count against the network, labels, indices, the
selection of misclassified images)."""

import gzip
import hashlib
import json

import h5py
import numpy as np
import pytest
import yaml
from conftest import ROOT, bars, http_server, idx_bytes, write_gz, write_idx_set

from pixel_influence import config as config_checks
from pixel_influence import datasets, download, h5io, mnist, selection
from pixel_influence.errors import InputError
from pixel_influence.keypaths import shown

SCHEMA = config_checks.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
W = {"white": {"fill": 1.0}}
CLASSES = ["horizontal", "vertical", "diagonal"]


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _spec(paths, name="bars", classes=CLASSES, **more):
    return {"name": name, "classes": classes, **{r: str(p) for r, p in paths.items()}, **more}


def test_the_known_datasets_are_downloads_with_their_published_checksums():
    assert list(datasets.KNOWN) == ["mnist", "fashion-mnist", "kmnist"]
    fashion = datasets.known("fashion-mnist")
    assert fashion.class_names[:2] == ("T-shirt/top", "Trouser") and len(fashion.class_names) == 10
    assert datasets.known("kmnist").class_names == (
        "o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"
    )  # fmt: skip
    assert datasets.MNIST.class_names is None and datasets.class_count(datasets.MNIST) == 10
    for name in datasets.KNOWN:
        dataset = datasets.known(name)
        assert dataset.sizes == {"train": 60000, "test": 10000}
        for role, data_file in dataset.files.items():
            assert data_file.path == f"resources/{name}/{datasets.FILE_NAMES[role]}"
            assert download.FILES[data_file.resource] == (data_file.size, data_file.sha256)
    # Fashion-MNIST's test images as its README lists them (md5 bef4ecab320f06d8554ea6380940ec79)
    assert download.FILES["fashion-mnist/t10k-images-idx3-ubyte.gz"] == (
        4422102,
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    )
    # MNIST's attribute is the one its files always had
    assert datasets.sources(datasets.MNIST) == h5io.mnist_sources()


def test_every_known_dataset_has_its_default_mirrors_in_the_schema_and_the_config():
    mirrors = SCHEMA["properties"]["mirrors"]["properties"]
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["mirrors"]
    for name in datasets.KNOWN:
        assert mirrors[name]["default"] == config[name]
        assert all(url.endswith("/") for url in config[name])


def test_a_users_files_are_read_where_they_lie(tmp_path):
    paths, arrays = write_idx_set(tmp_path / "data", train=50, test=20)
    spec = _spec({r: p.relative_to(tmp_path) for r, p in paths.items()})
    dataset = selection.dataset_of(spec, str(tmp_path))
    assert dataset.name == "bars" and dataset.class_names == tuple(CLASSES)
    assert dataset.sizes == {"train": 50, "test": 20}
    for role, path in paths.items():
        data_file = dataset.files[role]
        assert data_file.path == str(path.relative_to(tmp_path)) and data_file.resource is None
        assert (data_file.size, data_file.sha256) == (path.stat().st_size, _sha256(path))
    assert datasets.sources(dataset) == sorted(
        f"{role} {_sha256(path)}" for role, path in paths.items()
    )
    data = selection.MnistData(str(tmp_path), dataset=dataset)
    np.testing.assert_array_equal(data.labels("test"), arrays["test"][1])
    # a sha256 given for a path is checked
    wrong = _spec(paths, sha256={"test_labels": "0" * 64})
    with pytest.raises(InputError) as e:
        selection.dataset_of(wrong)
    assert str(e.value) == (
        f"config.dataset.test_labels: {shown(str(paths['test_labels']))} has sha256 "
        f"{_sha256(paths['test_labels'])}, but config.dataset.sha256.test_labels says {'0' * 64}"
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ("missing", "config.dataset.test_images: 'nowhere.gz' cannot be read (No such file"),
        ("swapped", "config.dataset.test_images: {test_labels}: magic number 0x00000801, "),
        ("counts", "config.dataset: the test split has 20 images ({shown_images}) but 7 labels"),
        ("not gzip", "config.dataset.test_labels: {test_labels}: not a readable gzip file"),
    ],
)
def test_a_users_files_that_are_no_dataset_are_named(tmp_path, change, message):
    paths, _ = write_idx_set(tmp_path, train=50, test=20)
    if change == "missing":
        paths["test_images"] = "nowhere.gz"
    elif change == "swapped":
        paths["test_images"] = paths["test_labels"]
    elif change == "counts":
        write_gz(paths["test_labels"], idx_bytes(np.zeros(7), 0x801))
    else:
        paths["test_labels"].write_bytes(b"not gzip at all")
    with pytest.raises(InputError) as e:
        selection.dataset_of(_spec(paths))
    names = {**paths, "shown_images": shown(str(paths["test_images"]))}
    assert str(e.value).startswith(message.format(**names))


def test_a_url_is_fetched_over_http_verified_and_needs_its_sha256(tmp_path):
    served = tmp_path / "served"
    paths, arrays = write_idx_set(served, train=40, test=10)
    work = tmp_path / "work"
    with http_server(served) as (base, asked):
        urls = {role: base + path.name for role, path in paths.items()}
        sums = {role: _sha256(path) for role, path in paths.items()}
        spec = _spec(urls, sha256=sums)
        dataset = selection.dataset_of(spec, str(work))
        assert sorted(asked) == sorted(f"/{p.name}" for p in paths.values())
        # fetched into resources/<name>/, byte for byte, before any job runs
        for role, path in paths.items():
            data_file = dataset.files[role]
            assert data_file.resource == f"bars/{path.name}" and data_file.url == urls[role]
            assert (work / data_file.path).read_bytes() == path.read_bytes()
        assert dataset.sizes == {"train": 40, "test": 10}
        again = selection.dataset_of(spec, str(work))  # present: read, not fetched
        assert again == dataset and len(asked) == 4
        # a URL without its sha256 cannot be verified: refused
        no_sum = _spec(urls, sha256={k: v for k, v in sums.items() if k != "train_labels"})
        with pytest.raises(InputError) as e:
            selection.dataset_of(no_sum, str(tmp_path / "other"))
        assert str(e.value) == (
            f"config.dataset.train_labels: {shown(urls['train_labels'])} is a URL: give its sha256 "
            "in config.dataset.sha256.train_labels, so that the download can be verified"
        )
        # the server's file differs from the sha256 given: named, nothing left behind
        bad = _spec(urls, sha256={**sums, "test_images": "1" * 64})
        with pytest.raises(InputError) as e:
            selection.dataset_of(bad, str(tmp_path / "bad"))
    text = str(e.value)
    assert text.startswith(
        "config.dataset.test_images: could not obtain test-images.gz:\n  "
        f"{urls['test_images']} (attempt 1): sha256 {sums['test_images']} differs from the "
        f"expected {'1' * 64}"
    )
    assert "(laid out as bars/<file>.gz and dlfs/sample_weight.pkl)" in text
    assert not (tmp_path / "bad" / "resources" / "bars" / "test-images.gz").exists()
    assert sorted(p.name for p in (tmp_path / "bad" / "resources" / "bars").iterdir()) == [
        "train-images.gz",
        "train-labels.gz",
    ]  # fetched in role order, up to the one that failed, each verified


def test_the_download_of_a_known_dataset_is_verified_by_its_published_checksum(tmp_path):
    """The download rule's path for Fashion-MNIST, its mirror a local HTTP server holding
    synthetic files under the real names: refused by checksum, named, nothing written."""
    served = tmp_path / "served"
    served.mkdir()
    name = "fashion-mnist/t10k-labels-idx1-ubyte.gz"
    write_gz(served / "t10k-labels-idx1-ubyte.gz", idx_bytes(bars(10)[1], 0x801))
    size, sha256 = download.FILES[name]
    dest = tmp_path / "resources" / name
    with http_server(served) as (base, asked):
        sources = download.sources_for(name, {"fashion-mnist": [base]})
        assert sources == [base + "t10k-labels-idx1-ubyte.gz"]
        with pytest.raises(download.DownloadError) as e:
            download.fetch(sources, dest, size, sha256, timeout=5, retries=1)
    assert f"got {(served / 't10k-labels-idx1-ubyte.gz').stat().st_size} bytes, expected 5148" in (
        str(e.value)
    )
    assert asked == ["/t10k-labels-idx1-ubyte.gz"]  # a wrong file is not fetched again
    assert "laid out as fashion-mnist/<file>.gz" in str(e.value)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_labels_are_checked_against_the_number_of_classes(tmp_path):
    data = idx_bytes(np.array([0, 2, 1, 3]), 0x801)
    np.testing.assert_array_equal(mnist.parse_idx(data, "labels", classes=4), [0, 2, 1, 3])
    with pytest.raises(InputError) as e:
        mnist.parse_idx(data, "labels", source="x.idx", classes=3)
    assert str(e.value) == "x.idx: label 3 is outside 0..2 (item 3)"
    path = write_gz(tmp_path / "l.gz", data)
    assert mnist.idx_count(path, "labels") == 4
    with pytest.raises(InputError, match="magic number 0x00000801, expected 0x00000803"):
        mnist.idx_count(path, "images")


def test_the_dataset_file_names_its_classes_and_is_read_only_as_that_dataset(tmp_path):
    paths, arrays = write_idx_set(tmp_path / "data", train=30, test=12)
    dataset = selection.dataset_of(_spec(paths))
    out = tmp_path / "bars.h5"
    h5io.write_mnist(out, arrays, datasets.checksums(dataset), dataset)
    with h5py.File(out) as f:
        assert f.attrs["dataset"] == "bars"
        assert [str(n) for n in f.attrs["class_names"]] == CLASSES
        assert f.attrs["meaning"] == "the dataset bars (the user's IDX files)"
        assert "class_names[label]" in f["test/labels"].attrs["meaning"]
    images, labels = h5io.read_mnist_split(out, "test", dataset)
    np.testing.assert_array_equal(images, arrays["test"][0])
    np.testing.assert_array_equal(labels, arrays["test"][1])
    image, label = h5io.read_mnist_image(out, "train", 29, dataset)
    np.testing.assert_array_equal(image, arrays["train"][0][29])
    # read as MNIST, or as the same dataset with other files, it is refused
    with pytest.raises(InputError, match="source_sha256"):
        h5io.read_mnist_split(out, "test")
    changed = dataset.files["test_labels"]._replace(sha256="2" * 64)
    other = dataset._replace(files={**dataset.files, "test_labels": changed})
    with pytest.raises(InputError, match="source_sha256"):
        h5io.read_mnist_split(out, "test", other)


def test_mnists_file_is_written_as_it_always_was(tmp_path):
    """The default's bytes do not change: no dataset attributes, the same meanings."""
    arrays = {"train": bars(5), "test": bars(3)}
    sums = {name.split()[0]: name.split()[1] for name in h5io.mnist_sources()}
    h5io.write_mnist(tmp_path / "a.h5", arrays, sums)
    h5io.write_mnist(tmp_path / "b.h5", arrays, datasets.checksums(datasets.MNIST), datasets.MNIST)
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    with h5py.File(tmp_path / "a.h5") as f:
        assert "class_names" not in f.attrs and "dataset" not in f.attrs
        assert f["test/labels"].attrs["meaning"] == "MNIST test labels (the digit shown)"


def test_a_trained_networks_recipe_for_mnist_is_unchanged_and_names_another_dataset(tmp_path):
    settings = {"hidden": [8], "epochs": 1}
    recipe = json.loads(config_checks.training_recipe(settings))
    assert recipe == {
        "train": settings,
        "data": {
            name: download.FILES[name][1]
            for name in sorted(download.FILES)
            if name.startswith("mnist/")
        },  # fmt: skip
    }
    paths, _ = write_idx_set(tmp_path, train=30, test=10)
    dataset = selection.dataset_of(_spec(paths))
    other = json.loads(config_checks.training_recipe(settings, dataset))
    assert other["dataset"] == {"name": "bars", "classes": 3}
    assert other["data"] == {role: _sha256(path) for role, path in paths.items()}
    trained = config_checks.trained_network({"train": settings}, dataset)
    assert trained.sizes["z2"] == 3 and "784-8-3" in trained.source


def _problems(cfg, tmp_path):
    return config_checks.problems(cfg, SCHEMA, lambda p: None, workdir=str(tmp_path))


def test_the_config_checks_know_the_datasets_classes_and_sizes(tmp_path):
    paths, _ = write_idx_set(tmp_path / "data", train=50, test=20)
    own = _spec({r: p.relative_to(tmp_path) for r, p in paths.items()})
    # the book's network has ten outputs: not one per class of three
    assert _problems({"samples": W, "dataset": own}, tmp_path) == [
        "config.network: the network has 10 outputs (z3), but the dataset bars has 3 classes; "
        "give a network with one output per class (or train one: network: {train: {...}})"
    ]
    trained = {"train": {"hidden": [8], "epochs": 1}}
    cfg = {
        "samples": {
            "last": {"split": "test", "index": 19},
            "beyond": {"split": "test", "index": 20},
        },
        "dataset": own,
        "network": trained,
        "layers": ["z1", "z2"],
        "methods_figure": {"nodes": {"z1": [0]}},
        "sample_selection": [{"split": "train", "label": [1, 3]}],
        "sweep": {"split": "test", "images": 21, "layers": ["z1", "z2"]},
    }
    assert _problems(cfg, tmp_path) == [
        "config.samples.beyond.index: 20 is out of range for the test split (0..19)",
        "config.sample_selection[0].label: 3 is not a label of the dataset, whose 3 classes "
        "are labelled 0..2",
        "config.sweep.images: 21 is more than the 20 images of the test split; use at most 20 "
        "or null for all",
    ]
    # the book's network on Fashion-MNIST: ten classes, but its misclassified images are
    # MNIST's
    fashion = {
        "samples": W,
        "dataset": "fashion-mnist",
        "sample_selection": [{"split": "test", "misclassified": True}],
    }
    found = config_checks.network_problems(fashion, dataset=datasets.known("fashion-mnist"))
    assert found == [
        "config.sample_selection[0].misclassified: selects by the book's network's predictions "
        "on MNIST; not yet available for the dataset fashion-mnist (select by label, indices "
        "or first)"
    ]


@pytest.mark.parametrize(
    "dataset, message",
    [
        ({"name": "mnist"}, "config.dataset: "),
        ("emnist", "config.dataset: "),
    ],
)
def test_a_dataset_the_schema_refuses_is_named(tmp_path, dataset, message):
    found = _problems({"samples": W, "dataset": dataset}, tmp_path)
    assert found and all(line.startswith(message) for line in found), found


def test_the_gzip_of_a_users_file_may_hold_a_name_and_a_time(tmp_path):
    """Files gzip wrote by hand (with a name and a time in the header) read the same."""
    paths, arrays = write_idx_set(tmp_path, train=20, test=5)
    raw = gzip.decompress(paths["test_images"].read_bytes())
    with open(paths["test_images"], "wb") as f, gzip.GzipFile("images", "wb", 9, f, 1e9) as g:
        g.write(raw)
    dataset = selection.dataset_of(_spec(paths))
    images = mnist.read_idx(dataset.files["test_images"].path, "images")
    np.testing.assert_array_equal(images, arrays["test"][0])
