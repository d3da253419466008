"""Cheap samples share jobs (batch_seconds; pixel_influence.batches): the same bytes however
they are batched, a log per sample, adding a sample re-runs its batch only, a killed
batch resumes, and batches run side by side on --cores 2."""

import os
import re
import subprocess
import sys

import pytest
import yaml
from conftest import (
    ROOT,
    job_counts,
    mirror,
    needs_data,
    output_digests,
    snakemake,
    workdir_with_config,
)

from pixel_influence import resources
from pixel_influence.batches import batch_size, batches

pytestmark = needs_data

# twelve digits of the test split (an index range), the cheapest method, two layers
INDICES = list(range(20, 32))
NAMES = [f"test-{i:05d}" for i in INDICES]


def _edit(batch_seconds, indices=INDICES):
    def edit(cfg):
        cfg["samples"] = {f"test-{i:05d}": {"split": "test", "index": i} for i in indices}
        cfg["methods"] = ["insertion"]
        cfg["layers"] = ["z2", "z3"]
        cfg["methods_figure"] = {"nodes": {"z2": [0, 1]}}
        cfg["batch_seconds"] = batch_seconds
        cfg.pop("sweep", None)

    return edit


def _size(batch_seconds):
    return batch_size(resources.sample_seconds(["insertion"], {}), batch_seconds)


def _run(tmp_path, name, batch_seconds, *args):
    workdir = workdir_with_config(tmp_path / name, _edit(batch_seconds))
    out = snakemake(workdir, "--cores", "2", "--config", mirror(), *args)
    return workdir, out.stdout + out.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same twelve samples a job each (batch_seconds 0), in batches of about five and
    all in one batch: their folders and outputs."""
    tmp = tmp_path_factory.mktemp("batches")
    return {
        seconds: _run(tmp, f"batch{seconds}", seconds)
        for seconds in (0, 5 * resources.sample_seconds(["insertion"], {}), 1000)
    }


def _influence_jobs(out):
    counts = job_counts(out)
    return {rule: n for rule, n in counts.items() if rule.startswith("influence")}


def test_every_batching_gives_the_same_bytes(runs):
    digests = [output_digests(workdir) for workdir, _ in runs.values()]
    assert sum(name.startswith("results/influence/") for name in digests[0]) == len(NAMES)
    assert len(digests[0]) > 12 * 4
    for other in digests[1:]:
        assert sorted(other) == sorted(digests[0])
        assert [name for name in other if other[name] != digests[0][name]] == []


def test_the_jobs_are_the_batches(runs):
    (_, single), (_, some), (_, one) = runs.values()
    assert _influence_jobs(single) == {"influence": 12}
    expected = batches(NAMES, _size(5 * resources.sample_seconds(["insertion"], {})))
    assert 2 <= len(expected) <= 8
    got = _influence_jobs(some)
    assert sum(got.values()) == len(expected)
    assert got.get("influence", 0) == sum(len(b) == 1 for b in expected)
    assert _influence_jobs(one) == {"influence_batch1": 1}
    # a job per batch for each picture rule too, and every sample's pictures
    assert job_counts(one)["montage_batch1"] == 1
    assert job_counts(one)["methods_figure_batch1"] == 1


def test_each_sample_of_a_batch_logs_to_its_own_file(runs):
    workdir, _ = runs[1000]
    for name in NAMES:
        log = (workdir / "logs/influence" / f"{name}.log").read_text()
        assert "insertion z3: max |residual|" in log
        # only its own lines: one line per layer, not the other samples'
        assert log.count("max |residual|") == 2
        assert (workdir / "logs/montage" / f"{name}.log").exists()
    bench = list((workdir / "results/benchmarks/influence").glob("*.tsv"))
    assert [b.name for b in bench] == [f"{NAMES[0]}+{len(NAMES) - 1}.tsv"]


def _most_at_once(out, prefix):
    """The most jobs of rules named ``prefix...`` running at once, from the run's log: a
    job's block ("localrule influence_batch2:") is printed when it starts, a line "Finished
    jobid: 7 (Rule: influence_batch2)" when it ends."""
    running = most = 0
    for line in out.splitlines():
        if re.match(rf"(local)?rule {prefix}\w*:", line):
            running += 1
        elif (end := re.search(r"Finished jobid: \d+ \(Rule: (\w+)\)", line)) and end[1].startswith(
            prefix
        ):
            running -= 1
        most = max(most, running)
    return most


def test_two_cores_run_two_batches_at_once(runs):
    _, out = runs[5 * resources.sample_seconds(["insertion"], {})]
    assert _most_at_once(out, "influence") == 2
    _, out = runs[0]
    assert _most_at_once(out, "influence") == 2


def test_adding_a_sample_re_runs_its_batch_and_the_summaries_only(tmp_path, runs):
    seconds = 5 * resources.sample_seconds(["insertion"], {})
    workdir, _ = runs[seconds]
    indices = INDICES[:6] + [100] + INDICES[6:]
    path = workdir / "config/config.yaml"
    cfg = yaml.safe_load(path.read_text())
    _edit(seconds, indices)(cfg)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(workdir, "-n", "--config", mirror()).stdout
    names = [f"test-{i:05d}" for i in indices]
    size = _size(seconds)
    before = {tuple(b) for b in batches(NAMES, size)}
    changed = [b for b in batches(names, size) if tuple(b) not in before]
    assert "test-00100" in [n for b in changed for n in b]
    rerun = {
        name
        for files in re.findall(r"output: (results/influence/.*)", out)
        for name in re.findall(r"influence/(test-\d+)\.h5", files)
    }
    assert rerun == {n for b in changed for n in b}
    assert len(rerun) <= 2 * 3 * size  # never more than two capped batches
    for rule in ("faithfulness", "explorer"):
        assert job_counts(out)[rule] == 1


def test_a_killed_batch_resumes_and_gives_the_same_bytes(tmp_path, runs):
    seconds = 1000
    reference = output_digests(runs[0][0])
    workdir = workdir_with_config(tmp_path / "killed", _edit(seconds))
    args = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    args += ["-d", str(workdir), "--cores", "2", "--config", mirror()]
    env = {**os.environ, "PIXEL_INFLUENCE_CRASH": f"{NAMES[5]}.h5:writing"}
    # the crash kills Snakemake's process group: a session of its own spares pytest
    crashed = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=600, start_new_session=True
    )
    assert crashed.returncode != 0
    # the batch died with its sixth sample: the five before it are on disk, not done
    assert (workdir / f"results/influence/{NAMES[4]}.h5").exists()
    assert not (workdir / f"results/influence/{NAMES[5]}.h5").exists()
    snakemake(workdir, "--unlock")
    snakemake(workdir, "--cores", "2", "--config", mirror(), "--rerun-incomplete")
    got = output_digests(workdir)
    assert [name for name in reference if got.get(name) != reference[name]] == []
