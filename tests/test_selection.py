"""The selection rules (``sample_selection``): which images each rule keeps, their names and
specs, every problem as one message naming the key, and the data they need read (or fetched
into resources/ first) and verified as the download rule's files."""

import gzip
import hashlib
import pickle

import numpy as np
import pytest
import yaml
from conftest import DATA, ROOT, idx_bytes, needs_data

from pixel_influence import config as config_checks
from pixel_influence import datasets, download, mnist, network, samples, selection
from pixel_influence.errors import InputError

SCHEMA = config_checks.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
R = "config.sample_selection"
LABELS = "mnist/t10k-labels-idx1-ubyte.gz"
IMAGES = "mnist/t10k-images-idx3-ubyte.gz"


class Data:
    """A stand-in for ``selection.MnistData``: image i of a split has label i % 10, and the
    network gets every seventh image wrong (i % 7 == 0: it predicts label + 1). It records
    what it is asked for; ``fail`` makes it raise that message instead."""

    dataset = datasets.MNIST

    def __init__(self, fail=None):
        self.asked = []
        self.fail = fail

    def labels(self, split):
        self.asked.append(("labels", split))
        if self.fail:
            raise InputError(self.fail)
        return np.arange(samples.SPLIT_SIZES[split]) % 10

    def predictions(self, split):
        self.asked.append(("predictions", split))
        labels = np.arange(samples.SPLIT_SIZES[split]) % 10
        wrong = np.arange(len(labels)) % 7 == 0
        return np.where(wrong, (labels + 1) % 10, labels)


def names(rules, data=None):
    entries, found, _ = selection.expand(rules, data or Data())
    assert found == []
    return [name for _, name, _ in entries]


# ---------------------------------------------------------------------------------------
# what a rule keeps


def test_each_image_is_the_sample_split_dash_index_with_the_hand_written_spec():
    entries, found, notes = selection.expand(
        [{"split": "test", "indices": {"start": 18, "stop": 20}}, {"split": "train", "first": 1}],
        Data(),
    )
    assert found == []
    assert entries == [
        (f"{R}[0] (sample 'test-00018')", "test-00018", {"split": "test", "index": 18}),
        (f"{R}[0] (sample 'test-00019')", "test-00019", {"split": "test", "index": 19}),
        (f"{R}[1] (sample 'train-00000')", "train-00000", {"split": "train", "index": 0}),
    ]
    assert all(type(spec["index"]) is int for _, _, spec in entries)  # as YAML gives it
    assert selection.sample_name("train", 59999) == "train-59999"
    assert selection.sample_name("test", 7) == "test-00007"
    assert notes == [
        f"{R}[0]: 2 samples (test-00018 to test-00019)",
        f"{R}[1]: 1 sample (train-00000), the first 1 of 60000 that match",
    ]


def test_label_misclassified_and_first_filter_in_index_order():
    # labels i % 10; misclassified: i % 7 == 0
    assert names([{"split": "test", "label": 3, "first": 4}]) == [
        "test-00003",
        "test-00013",
        "test-00023",
        "test-00033",
    ]
    assert names([{"split": "test", "label": [7, 2], "first": 4}]) == [
        "test-00002",
        "test-00007",
        "test-00012",
        "test-00017",
    ]
    assert names([{"split": "test", "misclassified": True, "first": 3}]) == [
        "test-00000",
        "test-00007",
        "test-00014",
    ]
    assert names([{"split": "test", "misclassified": False, "indices": {"stop": 9}}]) == [
        f"test-0000{i}" for i in (1, 2, 3, 4, 5, 6, 8)
    ]
    # i % 10 == 4 and i % 7 == 0: 14, 84, 154, ... (every 70)
    assert names([{"split": "train", "label": 4, "misclassified": True, "first": 3}]) == [
        "train-00014",
        "train-00084",
        "train-00154",
    ]
    assert names([{"split": "test", "indices": {"start": 9998}}]) == ["test-09998", "test-09999"]
    assert len(names([{"split": "test", "misclassified": True}])) == len(range(0, 10000, 7))
    assert len(names([{"split": "train", "label": [0, 1]}])) == 12000


def test_rules_in_order_and_an_image_selected_twice_given_twice():
    """The entries follow the rules; gather makes an image given twice one sample."""
    rules = [
        {"split": "test", "label": 1, "first": 2},
        {"split": "test", "indices": {"start": 0, "stop": 2}},
    ]
    assert names(rules) == ["test-00001", "test-00011", "test-00000", "test-00001"]


def test_first_beyond_the_matches_takes_them_all_and_the_note_says_so():
    entries, found, notes = selection.expand(
        [
            {"split": "test", "label": 5, "indices": {"stop": 30}, "first": 10},
            {"split": "test", "label": 5, "first": 2},
        ],
        Data(),
    )
    assert found == []
    assert [name for _, name, _ in entries] == [
        "test-00005",
        "test-00015",
        "test-00025",
        "test-00005",
        "test-00015",
    ]
    assert notes == [
        f"{R}[0]: 3 samples (test-00005 to test-00025), all that match (first: 10 takes up to 10)",
        f"{R}[1]: 2 samples (test-00005 to test-00015), the first 2 of 1000 that match",
    ]


def test_data_is_asked_for_only_by_the_rules_that_need_it():
    data = Data(fail="no data here")
    rules = [
        {"split": "test"},
        {"split": "train", "indices": {"start": 5, "stop": 7}, "first": 1},
    ]
    assert names(rules, data) == [f"test-{i:05d}" for i in range(10000)] + ["train-00005"]
    assert data.asked == []
    data = Data()
    names(
        [{"split": "train", "label": 0, "first": 1}, {"split": "test", "misclassified": False}],
        data,
    )
    assert data.asked == [("labels", "train"), ("labels", "test"), ("predictions", "test")]
    assert selection.needs({"split": "test", "first": 3}) == ()
    assert selection.needs({"split": "test", "label": 3}) == ("labels",)
    assert selection.needs({"split": "test", "misclassified": False}) == ("labels", "predictions")


# ---------------------------------------------------------------------------------------
# problems, each naming its key


@pytest.mark.parametrize(
    "rule, expected",
    [
        (
            {"split": "test", "indices": {"start": 10000}},
            f"{R}[0].indices.start: 10000 is beyond the last image of the test split (9999); "
            "the images are 0..9999",
        ),
        (
            {"split": "test", "indices": {"stop": 10001}},
            f"{R}[0].indices.stop: 10001 is beyond the 10000 images of the test split; stop is "
            "the first index not taken, at most 10000 (or left out: to the end)",
        ),
        (
            {"split": "test", "indices": {"start": 20, "stop": 10}},
            f"{R}[0].indices: start 20 is not below stop 10, so the range holds no image; stop "
            "is the first index not taken: {start: 10, stop: 20} is the images 10 to 19",
        ),
        (
            {"split": "test", "label": 3, "indices": {"start": 4, "stop": 13}},
            f"{R}[0]: selects no image: of test images 4 to 12, none of them with label 3; "
            "widen the rule or remove it",
        ),
        (
            {"split": "test", "label": [3, 4, 5], "misclassified": True, "indices": {"stop": 10}},
            f"{R}[0]: selects no image: of test images 0 to 9, 3 of them with label 3, 4 or 5, "
            "none of them misclassified by the network; widen the rule or remove it",
        ),
        (
            {"split": "train", "misclassified": False, "indices": {"start": 7, "stop": 8}},
            f"{R}[0]: selects no image: of train images 7 to 7, none of them classified right "
            "by the network; widen the rule or remove it",
        ),
    ],
)
def test_a_range_beyond_the_split_or_a_rule_that_keeps_nothing_is_named(rule, expected):
    entries, found, notes = selection.expand([rule], Data())
    assert (entries, found, notes) == ([], [expected], [])


def test_both_ends_beyond_the_split_are_named_and_the_train_split_is_larger():
    rule = {"split": "test", "indices": {"start": 10000, "stop": 60000}}
    assert [p.split(":")[0] for p in selection.rule_problems(rule, 3)] == [
        f"{R}[3].indices.start",
        f"{R}[3].indices.stop",
    ]
    assert (
        selection.rule_problems({"split": "train", **{k: rule[k] for k in ("indices",)}}, 0) == []
    )


def test_data_that_cannot_be_had_is_named_with_the_key_that_needs_it_on_one_line():
    why = "could not obtain t10k-labels-idx1-ubyte.gz:\n  /m/a (attempt 1): no such file\nNo net"
    rules = [{"split": "test", "label": 2}, {"split": "test", "misclassified": True}]
    entries, found, _ = selection.expand(rules, Data(fail=why))
    assert entries == []
    assert found == [
        f"{R}[0].label: needs the test labels: could not obtain t10k-labels-idx1-ubyte.gz: /m/a "
        "(attempt 1): no such file; No net",
        f"{R}[1].misclassified: needs the test images, their labels and the weights: could not "
        "obtain t10k-labels-idx1-ubyte.gz: /m/a (attempt 1): no such file; No net",
    ]


# ---------------------------------------------------------------------------------------
# the data: the download rule's files, fetched when missing, verified


@pytest.fixture(scope="module")
def made_up(random_params):
    """Small made-up test-split files and weights: ({name: bytes}, labels, images, params)."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, 10000).astype(np.uint8)
    ink = rng.random((10000, 28, 28)) < 0.2
    images = (rng.integers(0, 256, (10000, 28, 28)) * ink).astype(np.uint8)
    params = {k: np.asarray(v, dtype=np.float32) for k, v in random_params.items()}
    files = {
        LABELS: gzip.compress(idx_bytes(labels, mnist.LABEL_MAGIC), 1, mtime=0),
        IMAGES: gzip.compress(idx_bytes(images, mnist.IMAGE_MAGIC), 1, mtime=0),
        download.WEIGHTS: pickle.dumps(params, protocol=3),
    }
    return files, labels, images, params


@pytest.fixture
def mirror(made_up, tmp_path, monkeypatch):
    """A local mirror of the made-up files, whose sizes and sha256 stand in for the real
    ones in ``download.FILES``: (mirror folder, labels, images, params)."""
    files, *arrays = made_up
    folder = tmp_path / "mirror"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        monkeypatch.setitem(download.FILES, name, (len(data), hashlib.sha256(data).hexdigest()))
    return folder, *arrays


def test_missing_files_are_fetched_into_resources_as_the_download_rule_would(mirror, tmp_path):
    folder, labels, images, params = mirror
    work = tmp_path / "work"
    data = selection.MnistData(work, local_mirror=str(folder))
    np.testing.assert_array_equal(data.labels("test"), labels)
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*.gz")) == [
        "resources/mnist/t10k-labels-idx1-ubyte.gz"  # only what was asked for
    ]
    predicted = data.predictions("test")
    expected = np.array(
        [network.forward(params, im.reshape(784) / 255.0)["a3"].argmax() for im in images]
    )
    np.testing.assert_array_equal(predicted, expected)
    correct, total = network.accuracy(params, images, labels)
    assert int((predicted == labels).sum()) == correct and total == 10000
    for name in (
        "mnist/t10k-labels-idx1-ubyte.gz",
        "mnist/t10k-images-idx3-ubyte.gz",
        download.WEIGHTS,
    ):
        assert (work / "resources" / name).read_bytes() == (folder / name).read_bytes()
    # present files are read, not fetched: the mirror is not needed any more
    again = selection.MnistData(work, local_mirror=str(tmp_path / "nowhere"))
    np.testing.assert_array_equal(again.predictions("test"), predicted)
    np.testing.assert_array_equal(again.labels("test"), labels)


def test_a_changed_file_in_resources_is_refused_and_the_failure_kept(mirror, tmp_path):
    folder, *_ = mirror
    name = LABELS
    data = selection.MnistData(tmp_path, local_mirror=str(folder))
    data.labels("test")  # fetched, and its labels read once
    path = tmp_path / "resources" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    changed = bytearray(path.read_bytes())
    changed[100] ^= 1
    path.write_bytes(bytes(changed))
    size, sha256 = download.FILES[name]
    actual = hashlib.sha256(changed).hexdigest()
    message = (
        f"{path}: changed since it was downloaded and verified (sha256 {actual}, the verified "
        f"file has sha256 {sha256}); delete it, and it is fetched again"
    )
    for _ in range(2):
        with pytest.raises(InputError) as e:
            data.labels("test")
        assert str(e.value) == message
    path.unlink()  # asked again, the same instance says the same; a new one fetches it
    with pytest.raises(InputError, match="changed since"):
        data.labels("test")
    assert len(selection.MnistData(tmp_path, local_mirror=str(folder)).labels("test")) == 10000


def test_the_config_checks_fetch_with_the_configs_mirrors_and_name_the_key(mirror, tmp_path):
    folder, *_ = mirror
    rule = {"split": "test", "misclassified": True, "first": 2}
    cfg = {"sample_selection": [rule], "local_mirror": str(tmp_path / "nowhere")}
    missing = tmp_path / "nowhere" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    assert config_checks.problems(cfg, SCHEMA, workdir=tmp_path) == [
        f"{R}[0].misclassified: needs the test images, their labels and the weights: could not "
        f"obtain t10k-labels-idx1-ubyte.gz: {missing} (attempt 1): no such file {missing}; "
        "Without network access, point the workflow at a folder holding the files (laid out "
        "as mnist/<file>.gz and dlfs/sample_weight.pkl): snakemake --cores 8 --config "
        "local_mirror=DIR"
    ]
    cfg = {"sample_selection": [rule], "mirrors": {"mnist": [f"file://{folder}/mnist/"]}}
    cfg["mirrors"]["dlfs"] = [f"file://{folder}/dlfs/"]
    assert config_checks.problems(cfg, SCHEMA, workdir=tmp_path) == []
    assert (tmp_path / "resources" / download.WEIGHTS).is_file()
    data = config_checks.selection_data({"sample_selection": [rule]}, SCHEMA, tmp_path)
    assert (data.local_mirror, data.timeout, data.retries) == (None, 60, 2)
    assert data.mirrors["dlfs"] == SCHEMA["properties"]["mirrors"]["properties"]["dlfs"]["default"]
    assert data.path(download.WEIGHTS) == str(tmp_path / "resources" / "dlfs" / "sample_weight.pkl")


# ---------------------------------------------------------------------------------------
# the real data


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if DATA is None:
        pytest.skip("needs the real data")
    return selection.MnistData(tmp_path_factory.mktemp("work"), local_mirror=str(DATA))


@needs_data
def test_the_book_network_misclassifies_648_test_images(real, real_params, real_test_split):
    entries, found, notes = selection.expand([{"split": "test", "misclassified": True}], real)
    assert found == [] and len(entries) == 648
    assert notes == [f"{R}[0]: 648 samples (test-00008 to test-09986)"]
    assert [name for _, name, _ in entries[:10]] == [
        f"test-{i:05d}" for i in (8, 33, 66, 92, 124, 149, 217, 233, 241, 245)
    ]
    # the accuracy job's count: 0.9352, the schema's expected_accuracy
    images, labels = real_test_split
    assert network.accuracy(real_params, images, labels) == (10000 - 648, 10000)
    assert (10000 - 648) / 10000 == SCHEMA["properties"]["expected_accuracy"]["default"]
    right = selection.expand([{"split": "test", "misclassified": False}], real)[0]
    assert len(right) == 9352
    # the same predictions for the influence job's image (float64 / 255) of each
    wrong = {spec["index"] for _, _, spec in entries}
    for _, _, spec in entries[:20] + right[:20]:
        x = samples.mnist_image(images, spec["index"]).reshape(784)
        digit = network.forward(real_params, x)["a3"].argmax()
        assert (digit != labels[spec["index"]]) == (spec["index"] in wrong)


@needs_data
def test_the_first_test_image_of_each_label_is_the_default_configs_digit(real):
    rules = [{"split": "test", "label": digit, "first": 1} for digit in range(10)]
    entries, found, _ = selection.expand(rules, real)
    default = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["samples"]
    assert found == []
    assert [spec for _, _, spec in entries] == [default[f"digit{d}"] for d in range(10)]
    threes = selection.expand([{"split": "test", "label": 3, "misclassified": True}], real)
    assert [name for _, name, _ in threes[0][:3]] == ["test-00245", "test-00313", "test-00381"]
    assert threes[2] == [f"{R}[0]: 73 samples (test-00245 to test-09986)"]


# ---------------------------------------------------------------------------------------
# the docs say what the code does


def _section(path, title):
    text = (ROOT / path).read_text(encoding="utf-8")
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(section, kind):
    return [block.split("```", 1)[0] for block in section.split(f"```{kind}\n")[1:]]


@needs_data
def test_the_docs_examples_select_what_they_say(real):
    section = _section("docs/samples.md", "MNIST images by rule")
    (example,) = _blocks(section, "yaml")
    rules = yaml.safe_load(example)["sample_selection"]
    entries, found, notes = selection.expand(rules, real)
    assert found == []
    assert notes == [
        f"{R}[0]: 648 samples (test-00008 to test-09986)",
        f"{R}[1]: 20 samples (test-00018 to test-00216), the first 20 of 1010 that match",
        f"{R}[2]: 100 samples (test-00000 to test-00099)",
    ]
    assert " ".join(notes[1].split()) in " ".join(section.split())
    assert config_checks.problems({"sample_selection": rules}, SCHEMA, data=real) == []
    (example,) = _blocks(_section("config/README.md", "Sample selection"), "yaml")
    rules = yaml.safe_load(example)["sample_selection"]
    rules.append({"split": "train", "misclassified": True})  # the count the table gives
    assert config_checks.problems({"sample_selection": rules}, SCHEMA, data=real) == []
    notes = selection.expand(rules, real)[2]
    assert notes == [
        f"{R}[0]: 648 samples (test-00008 to test-09986)",
        f"{R}[1]: 20 samples (test-00018 to test-00216), the first 20 of 1010 that match",
        f"{R}[2]: 100 samples (train-00100 to train-00199)",
        f"{R}[3]: 5 samples (test-00004 to test-00012), the first 5 of 1843 that match",
        f"{R}[4]: 3854 samples (train-00024 to train-59942)",
    ]


@needs_data
def test_the_docs_messages_are_the_messages(real):
    (messages,) = _blocks(_section("docs/samples.md", "MNIST images by rule"), "text")
    lines = messages.splitlines()
    assert lines[0] == "invalid configuration:"
    cfg = {
        "samples": {"test-00008": {"fill": 1.0}},
        "sample_selection": [
            {"split": "test", "misclassified": True, "first": 1},
            {"split": "test", "indices": {"stop": 20000}},
            {"split": "test", "label": [3, 5], "misclassified": False, "indices": {"stop": 10}},
        ],
    }
    found = config_checks.problems(cfg, SCHEMA, data=real)
    assert ["  " + message for message in found] == lines[1:]
