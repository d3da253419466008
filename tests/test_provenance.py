"""What shaped each result: the sample sources and their stamps, and how a file's recorded
attributes are compared with what the config asks for."""

import hashlib
import json
import os

import pytest
from PIL import Image

from pixel_influence import files, provenance
from pixel_influence.errors import InputError


def test_a_png_source_records_the_sha256_of_its_bytes(tmp_path):
    png = tmp_path / "mine.png"
    Image.new("L", (30, 20), 200).save(png)
    record = provenance.sample_source("mine", {"png": str(png)})
    assert record == {
        "sample": "mine",
        "source": {"png": str(png)},
        "png_sha256": hashlib.sha256(png.read_bytes()).hexdigest(),
    }
    assert provenance.sample_source("d", {"split": "test", "index": 3}) == {
        "sample": "d",
        "source": {"split": "test", "index": 3},
    }


def test_the_stamp_changes_only_with_the_content(tmp_path):
    """Its modification time is what tells Snakemake that a sample's results are stale."""
    png = tmp_path / "mine.png"
    Image.new("L", (30, 20), 200).save(png)
    stamp = tmp_path / "results/samples/mine.json"
    text = provenance.source_text(provenance.sample_source("mine", {"png": str(png)}))
    assert files.write_text_if_changed(stamp, text) is True
    os.utime(stamp, (1000, 1000))
    assert files.write_text_if_changed(stamp, text) is False
    assert stamp.stat().st_mtime == 1000
    assert provenance.read_source(stamp) == provenance.sample_source("mine", {"png": str(png)})
    assert json.loads(stamp.read_text())["meaning"].startswith("the source of a sample")
    Image.new("L", (30, 20), 100).save(png)  # another image, whatever its time
    os.utime(png, (10, 10))
    text = provenance.source_text(provenance.sample_source("mine", {"png": str(png)}))
    assert files.write_text_if_changed(stamp, text) is True
    assert stamp.stat().st_mtime > 1000


def test_a_png_changed_while_the_workflow_runs_is_refused(tmp_path):
    png = tmp_path / "mine.png"
    Image.new("L", (30, 20), 200).save(png)
    stamp = tmp_path / "mine.json"
    spec = {"png": str(png)}
    stamp.write_text(provenance.source_text(provenance.sample_source("mine", spec)))
    assert provenance.current_source("mine", spec, stamp)["png_sha256"]
    Image.new("L", (30, 20), 100).save(png)
    with pytest.raises(InputError) as info:
        provenance.current_source("mine", spec, stamp)
    assert str(info.value) == (
        f"config.samples.mine: its source changed while the workflow ran ({stamp} describes "
        "another); run the workflow again"
    )


def test_differences_name_each_key_that_differs():
    recorded = {
        "sample": "a",
        "config": json.dumps({"methods": ["insertion"], "method_parameters": {"x": {"n": 1}}}),
        "weights_sha256": "1" * 64,
        "source_sha256": ["a.gz " + "2" * 64, "b.gz " + "3" * 64],
    }
    expected = {
        "sample": "a",
        "config": {"methods": ["insertion"], "method_parameters": {"x": {"n": 2}}},
        "weights_sha256": "4" * 64,
        "source_sha256": ["a.gz " + "2" * 64, "c.gz " + "5" * 64],
    }
    assert provenance.differences(recorded, expected) == [
        "was made with config.method_parameters.x.n = 1, not 2",
        "was made from other data (weights_sha256 111111111111…, not 444444444444…)",
        "has source_sha256 b.gz 333333333333… where it should have c.gz 555555555555…",
    ]
    assert provenance.differences(recorded, {"sample": "a"}) == []
    assert provenance.differences({}, {"sample": "a"}) == ["has no sample attribute"]
