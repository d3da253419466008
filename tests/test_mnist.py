import gzip

import numpy as np
import pytest
from conftest import DATA, idx_bytes, needs_data, write_gz

from pixel_influence import mnist
from pixel_influence.errors import InputError


def test_parse_small_idx_roundtrip(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint64).reshape(3, 28, 28) % 256
    labels = np.array([7, 0, 9])
    ip = write_gz(tmp_path / "i.gz", idx_bytes(images, mnist.IMAGE_MAGIC))
    lp = write_gz(tmp_path / "l.gz", idx_bytes(labels, mnist.LABEL_MAGIC))
    got_images, got_labels = mnist.read_split(ip, lp, expected_count=3)
    assert got_images.dtype == np.uint8 and got_images.shape == (3, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize(
    "data, kind, message",
    [
        (idx_bytes(np.zeros((2, 28, 28)), 0x00000801), "images", "magic number 0x00000801"),
        (idx_bytes(np.zeros(4), 0x00000803), "labels", "magic number 0x00000803"),
        (idx_bytes(np.zeros((2, 27, 28)), 0x00000803), "images", "27x28, expected 28x28"),
        (idx_bytes(np.zeros((2, 28, 28)), 0x00000803)[:-5], "images", "announces 2 images"),
        (idx_bytes(np.zeros((2, 28, 28)), 0x00000803) + b"x", "images", "announces 2 images"),
        (b"\x00\x00\x08", "labels", "shorter than the 8-byte"),
        (idx_bytes(np.array([1, 12]), 0x00000801), "labels", "label 12 is outside 0..9"),
    ],
)
def test_bad_header_is_a_clear_error(data, kind, message):
    with pytest.raises(InputError, match=message) as info:
        mnist.parse_idx(data, kind, source="bad.idx")
    assert "bad.idx" in str(info.value)


def test_not_gzip_names_the_file(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(idx_bytes(np.zeros(3), mnist.LABEL_MAGIC))
    with pytest.raises(InputError, match="plain.gz: not a readable gzip file"):
        mnist.read_idx(path, "labels")


def test_truncated_gzip_is_a_clear_error(tmp_path):
    blob = gzip.compress(idx_bytes(np.zeros((5, 28, 28)), mnist.IMAGE_MAGIC))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match="cut.gz: not a readable gzip file"):
        mnist.read_idx(path, "images")


def test_count_mismatch_between_images_and_labels(tmp_path):
    ip = write_gz(tmp_path / "i.gz", idx_bytes(np.zeros((3, 28, 28)), mnist.IMAGE_MAGIC))
    lp = write_gz(tmp_path / "l.gz", idx_bytes(np.zeros(2), mnist.LABEL_MAGIC))
    with pytest.raises(InputError, match="3 images but .* 2 labels"):
        mnist.read_split(ip, lp)
    lp3 = write_gz(tmp_path / "l3.gz", idx_bytes(np.zeros(3), mnist.LABEL_MAGIC))
    with pytest.raises(InputError, match="3 images, expected 10000"):
        mnist.read_split(ip, lp3, expected_count=10000)


@needs_data
def test_real_files_parse_with_known_contents(real_test_split):
    images, labels = real_test_split
    assert images.shape == (10000, 28, 28)
    # the first test labels as printed by every MNIST tutorial
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train_images, train_labels = mnist.read_split(
        DATA / "mnist" / "train-images-idx3-ubyte.gz",
        DATA / "mnist" / "train-labels-idx1-ubyte.gz",
        60000,
    )
    assert train_labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert train_images.dtype == np.uint8 and int(train_images.max()) == 255
