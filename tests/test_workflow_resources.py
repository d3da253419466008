"""The rules declare the resources the models of pixel_influence.resources give, and the
jobs stay below them when measured (benchmarks/memory.py's probe)."""

import re
import sys

import pytest
import yaml
from conftest import ROOT, mirror, needs_data, snakemake, workdir_with_config
from test_resources import ALL_LAYERS, ALL_METHODS, SIDE, header, influence

from pixel_influence import resources
from pixel_influence.resources import MB, MIB

sys.path.insert(0, str(ROOT / "benchmarks"))
import memory  # the probe and the worst-case PNGs of benchmarks/memory.py

# ---------------------------------------------------------------- the workflow uses them


def resources_by_job(dry_run_output):
    """{(rule, sample wildcard or ""): {resource: value}} from a dry run's job list."""
    found = {}
    for block in re.split(r"\n(?=\S)", dry_run_output):
        lines = block.strip().splitlines()
        if not lines or not lines[0].startswith(("rule ", "localrule ")):
            continue
        rule = lines[0].split()[1].rstrip(":")
        fields = dict(line.strip().split(": ", 1) for line in lines[1:] if ": " in line)
        sample = dict(
            w.split("=", 1) for w in fields.get("wildcards", "").split(", ") if "=" in w
        ).get("sample", "")
        if "resources" in fields:
            found[(rule, sample)] = dict(
                r.split("=", 1) for r in fields["resources"].split(", ") if "=" in r
            )
    return found


def test_the_rules_declare_what_the_models_say(tmp_path):
    """A dry run: each job's mem_mb and runtime are the models' for this config."""
    png = memory.worst_png(tmp_path / "photo.png", "RGB+tRNS", 3000, 2000)

    def edit(cfg):
        cfg["samples"] = {"mine": {"png": str(png)}, "white": {"fill": 1.0}}
        cfg.update(layers=ALL_LAYERS, zoom=8, influence_dtype="float64")
        cfg["method_parameters"] = {"integrated_gradients": {"points": 1024}}
        cfg["methods_figure"] = {"nodes": {"z1": list(range(50)), "a2": [0, 1, 2]}}

    workdir = workdir_with_config(tmp_path / "run", edit, interactions=True)
    jobs = resources_by_job(snakemake(workdir, "-n", "--config", mirror()).stdout)
    parameters = {"integrated_gradients": {"points": 1024}}
    section = yaml.safe_load((workdir / "config/config.yaml").read_text())["interactions"]
    i = {"interactions": section}
    expected = {
        ("influence", "mine"): (
            resources.influence_mem_mb(
                {"png": str(png)}, ALL_METHODS, parameters, **i, dtype="float64"
            ),
            resources.influence_runtime_min({"png": str(png)}, ALL_METHODS, parameters, **i),
        ),
        ("influence", "white"): (
            resources.influence_mem_mb(
                {"fill": 1.0}, ALL_METHODS, parameters, **i, dtype="float64"
            ),
            resources.influence_runtime_min({"fill": 1.0}, ALL_METHODS, parameters, **i),
        ),
        ("interactions_figure", "white"): (
            resources.interactions_figure_mem_mb(8, 30),
            resources.fixed_runtime_min("interactions_figure"),
        ),
        ("interactions_summary", ""): (
            resources.fixed_mem_mb("interactions_summary"),
            resources.fixed_runtime_min("interactions_summary"),
        ),
        ("faithfulness", ""): (
            resources.faithfulness_mem_mb(2, 6, ALL_LAYERS, "float64"),
            resources.faithfulness_runtime_min(2),
        ),
        ("montage", "white"): (
            resources.montage_mem_mb(8, ALL_LAYERS, 6),
            resources.fixed_runtime_min("montage"),
        ),
        ("methods_figure", "white"): (
            resources.methods_figure_mem_mb(8, 63, 6),
            resources.fixed_runtime_min("methods_figure"),
        ),
        ("mnist", ""): (resources.fixed_mem_mb("mnist"), resources.fixed_runtime_min("mnist")),
    }
    for job, (mem_mb, runtime) in expected.items():
        assert jobs[job]["mem_mb"] == str(mem_mb), job
        assert jobs[job]["runtime"] == str(runtime), job
    assert int(jobs[("influence", "mine")]["mem_mb"]) > int(jobs[("influence", "white")]["mem_mb"])
    shards = [v for (rule, _), v in jobs.items() if rule == "sweep_shard"]
    layers, methods = ["z1", "z2", "a3", "z3"], ["insertion", "deeplift"]  # conftest's sweep
    mem_mb = resources.sweep_memory_mb(layers, methods, parameters, "test", 1000, 2)
    assert shards and {s["mem_mb"] for s in shards} == {str(mem_mb)}


@pytest.mark.parametrize(
    "colormap, overlay", [("diverging", False), ("gray", True)], ids=["diverging", "overlay"]
)
def test_pictures_in_colour_declare_the_colour_model(tmp_path, colormap, overlay):
    """A dry run: a colour map other than gray, or the overlay, makes the montage and the
    methods figure RGB figures, and their mem_mb the colour line's."""

    def edit(cfg):
        cfg.update(colormap=colormap, overlay=overlay, zoom=8, layers=ALL_LAYERS)
        cfg["methods_figure"] = {"nodes": {"z1": list(range(50))}}
        cfg.pop("sweep")

    workdir = workdir_with_config(tmp_path / "run", edit)
    jobs = resources_by_job(snakemake(workdir, "-n", "--config", mirror()).stdout)
    montage = resources.montage_mem_mb(8, ALL_LAYERS, 6, colour=True)
    methods = resources.methods_figure_mem_mb(8, 60, 6, colour=True)
    assert montage > resources.montage_mem_mb(8, ALL_LAYERS, 6)
    for sample in ("white", "digit0"):
        assert jobs[("montage", sample)]["mem_mb"] == str(montage), sample
        assert jobs[("methods_figure", sample)]["mem_mb"] == str(methods), sample


# ---------------------------------------------------------------- measured again


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return memory.install_probe(tmp_path_factory.mktemp("probe"))


def measured(workdir, probe, *targets):
    """Run ``targets`` with the probe: {(rule, sample or ""): the job's record}."""
    memory.probe_records(probe)  # forget any earlier run's
    snakemake(workdir, "--cores", "2", *targets, "--config", mirror(), env=memory.probe_env(probe))
    return {
        (r["rule"], r["wildcards"].get("sample", "")): r
        for r in memory.probe_records(probe)
        if r["rule"] != "(snakemake)"
    }


def assert_fits(record):
    """The job's peak and its own Snakemake (as on a cluster) fit in what it declared."""
    need_mb = (record["peak_mib"] + resources.SNAKEMAKE_JOB_MIB) * MIB / MB
    assert need_mb <= record["mem_mb"], record


@needs_data
def test_the_largest_pngs_and_montage_stay_below_their_declarations(tmp_path, probe):
    """A 50-megapixel RGBA PNG (the costliest mode, transparency makes it float32) and the
    costliest 50-megapixel shape (2 x 25,000,000 pixels, ink all along), all six methods
    and layers; the montage of the first at zoom 8 with every method and layer."""
    pngs = {"square": ("RGBA", SIDE, SIDE), "thin": ("RGBA", 2, 25_000_000)}

    def edit(cfg):
        cfg["samples"] = {
            name: {"png": str(memory.worst_png(tmp_path / f"{name}.png", *shape))}
            for name, shape in pngs.items()
        }
        cfg.update(layers=ALL_LAYERS, methods=ALL_METHODS, zoom=8, influence_dtype="float64")
        cfg.pop("sweep")

    workdir = workdir_with_config(tmp_path / "run", edit)
    jobs = measured(workdir, probe, "results/influence/thin.h5", "results/images/square.png")
    for job in [("influence", "square"), ("influence", "thin"), ("montage", "square")]:
        assert_fits(jobs[job])
    # the worst cases were worked through: the decoded pixels alone are 4 bytes each, and
    # the thin image costs more than the square one (its border and rows)
    square, thin = jobs[("influence", "square")], jobs[("influence", "thin")]
    assert square["peak_mib"] > 4 * SIDE**2 / MIB
    assert thin["peak_mib"] > square["peak_mib"]
    assert jobs[("montage", "square")]["peak_mib"] > jobs[("weights", "")]["peak_mib"]
    assert thin["mem_mb"] == influence(header("RGBA", 2, 25_000_000))


@needs_data
def test_the_faithfulness_job_over_many_samples_stays_below_its_declaration(tmp_path, probe):
    """It reads one sample's curves at a time and keeps them resampled on 101 points, so its
    declaration grows slowly with the samples (up to 40 measured by benchmarks/memory.py).
    Here 8 samples that change all 784 pixels, each with the curves of insertion and of the
    random ranking on all 320 nodes, in float64 (computing them is what takes the time: a
    second per ranking)."""
    n = 8

    def edit(cfg):
        cfg["samples"] = {f"s{k}": {"fill": (k + 1) / n} for k in range(n)}
        cfg.update(layers=ALL_LAYERS, methods=["insertion"], influence_dtype="float64")
        cfg.pop("sweep")

    workdir = workdir_with_config(tmp_path / "run", edit)
    jobs = measured(workdir, probe, "results/faithfulness.csv")
    job = jobs[("faithfulness", "")]
    assert_fits(job)
    assert job["mem_mb"] == resources.faithfulness_mem_mb(n, 1, ALL_LAYERS, "float64")
    assert job["mem_mb"] > resources.faithfulness_mem_mb(1, 1, ALL_LAYERS, "float64")


@needs_data
def test_the_largest_pictures_in_colour_stay_below_their_declarations(tmp_path, probe):
    """The largest montage and methods figure the config allows, in colour (diverging, with
    the overlay: RGB figures): every method and layer, every hidden node (310 columns),
    zoom 8, on the node scale (a line of text under every panel). Each job holds its whole
    figure, 4 bytes a pixel, and stays below what it declared."""

    def edit(cfg):
        cfg["samples"] = {"white": {"fill": 1.0}}
        cfg.update(layers=ALL_LAYERS, methods=ALL_METHODS, zoom=8, scale="node")
        cfg.update(colormap="diverging", overlay=True)
        cfg["methods_figure"] = {"nodes": memory.EVERY_HIDDEN_NODE}
        cfg.pop("sweep")

    workdir = workdir_with_config(tmp_path / "run", edit)
    pictures = {"montage": "results/images/white.png"}
    pictures["methods_figure"] = "results/images/white/methods.png"
    jobs = measured(workdir, probe, *pictures.values())
    declared = {
        "montage": resources.montage_mem_mb(8, ALL_LAYERS, 6, colour=True),
        "methods_figure": resources.methods_figure_mem_mb(8, 310, 6, colour=True),
    }
    for rule, path in pictures.items():
        job = jobs[(rule, "white")]
        assert_fits(job)
        assert job["mem_mb"] == declared[rule]
        width, height, mode, _ = resources.png_header(workdir / path)  # over 100 megapixels
        assert mode == "RGB" and width * height > 100e6
        assert job["peak_mib"] > 4 * width * height / MIB
