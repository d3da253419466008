"""The pixel interactions in files and tables: the /interactions group of an influence file
(round trip, scales, what a reader gets, the reasons a part was skipped), the summary table
against residuals computed by hand, and the config checks of the section."""

import json
import warnings

import h5py
import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT

from pixel_influence import config, h5io, inspection, interactions, methods
from pixel_influence.errors import InputError
from pixel_influence.render import interactions_figure

SETTINGS = {
    "layers": ["z2", "z3"],
    "nodes": {"z2": [4, 1]},
    "order": 3,
    "max_triples": 10**6,
    "shapley_interaction": {"permutations": 4, "seed": 0, "max_pairs": 50_000},
}


def _image(pixels=9):
    x = np.zeros((28, 28))
    rows, cols = np.divmod(np.arange(pixels) * 37 % 784, 28)
    x[rows, cols] = np.linspace(0.2, 1.0, pixels)
    return x


def _write(path, params, x, settings=SETTINGS, dtype="float32"):
    b = np.zeros((28, 28))
    result = methods.compute(params, x, b, ["z3"], ["insertion"])
    found = interactions.interactions(
        params,
        x,
        b,
        settings["layers"],
        settings["nodes"],
        settings["order"],
        settings["max_triples"],
        settings["shapley_interaction"],
        dtype=dtype,
    )
    kept = {
        "ends": {
            end: {k: (dict(v) if isinstance(v, dict) else v) for k, v in e.items()}
            for end, e in found["ends"].items()
        },
        "index": dict(found["shapley_interaction"]),
        "stderr": dict(found["stderr"]),
        "changed": found["changed"],
    }
    attrs = {
        "sample": "s",
        "source": "{}",
        "title": "t",
        "label": -1,
        "baseline": "all-zero image",
        "weights_sha256": "0" * 64,
        "config": json.dumps({"interactions": settings}, sort_keys=True),
    }
    h5io.write_influence(
        path, result, x, b, attrs, dtype, interactions=found, interaction_settings=settings
    )
    return kept


def test_the_group_holds_every_number_of_both_ends(tmp_path, random_params):
    path = tmp_path / "s.h5"
    kept = _write(path, random_params, _image())
    with h5py.File(path) as f:
        g = f["interactions"]
        assert np.array_equal(g["changed"][()], kept["changed"])
        assert list(g["order"][()]) == [1, 2, 3]
        assert list(g["pair_node_z2"][()]) == [1, 4]  # sorted, once each
        assert list(g["pair_node_z3"][()]) == list(range(10))
        assert g.attrs["triples"] == interactions.triple_count(9)
        assert bool(g.attrs["order3"])
        for end in interactions.ENDS:
            e = kept["ends"][end]
            for layer in ("z2", "z3"):
                for kind in ("order1", "order2", "pair_strength"):
                    stored = g[f"{end}/{layer}_{kind}"][()]
                    assert stored.dtype == np.float32
                    want = e[kind][layer].reshape(-1, 28, 28).astype(np.float32)
                    assert np.array_equal(stored, want)
                residuals = g[f"{end}/{layer}_residuals"][()]
                assert residuals.dtype == np.float64  # small: kept exact
                assert np.array_equal(residuals, e["residuals"][layer])
                assert np.array_equal(g[f"{end}/{layer}_pairs"][()], e["pairs"][layer])
        for layer in ("z3",):
            assert np.array_equal(g[f"shapley_interaction/{layer}"][()], kept["index"][layer])
            assert np.array_equal(
                g[f"shapley_interaction/{layer}_stderr"][()], kept["stderr"][layer]
            )
        assert g["shapley_interaction"].attrs["permutations"] == 4
        assert "shapley_interaction_skipped" not in g.attrs


def test_every_axis_has_a_named_scale_with_its_values(tmp_path, random_params):
    path = tmp_path / "s.h5"
    kept = _write(path, random_params, _image())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree = xr.open_datatree(path, engine="h5netcdf")
        pairs = tree["interactions/insertion/z2_pairs"]
        assert pairs.dims == ("pair_node_z2", "changed", "partner")
        assert list(pairs.coords["pair_node_z2"].values) == [1, 4]
        assert np.array_equal(pairs.coords["changed"].values, kept["changed"])
        assert np.array_equal(pairs.coords["partner"].values, kept["changed"])
        residuals = tree["interactions/occlusion/z3_residuals"]
        assert residuals.dims == ("node_z3", "order")
        assert list(residuals.coords["order"].values) == [1, 2, 3]
        index = tree["interactions/shapley_interaction/z3"]
        assert index.dims == ("node_z3", "changed", "partner")
        assert tree["interactions/insertion/z2_order2"].dims == ("node_z2", "row", "col")
        # pixel (r, c)'s pair term with its partner, by coordinate: the stored matrix entry
        i, j = kept["changed"][2], kept["changed"][5]
        got = float(pairs.sel(pair_node_z2=4, changed=i, partner=j))
        assert got == kept["ends"]["insertion"]["pairs"]["z2"][1, 2, 5]


def test_the_reader_gives_the_figure_what_it_needs(tmp_path, random_params):
    path = tmp_path / "s.h5"
    kept = _write(path, random_params, _image())
    data = h5io.read_interactions(path)
    assert data["nodes"] == {"z2": [1, 4], "z3": list(range(10))}
    assert data["order"] == 3 and data["order3"]
    assert np.array_equal(data["changed"], kept["changed"])
    for end in interactions.ENDS:
        assert np.array_equal(
            data["ends"][end]["z3"]["residuals"], kept["ends"][end]["residuals"]["z3"]
        )
        assert np.array_equal(data["pairs"][end]["z2"], kept["ends"][end]["pairs"]["z2"])
    residuals = h5io.read_interaction_residuals(path)
    assert residuals["layers"] == ["z2", "z3"]
    assert np.array_equal(
        residuals["residuals"]["occlusion"]["z2"], kept["ends"]["occlusion"]["residuals"]["z2"]
    )


def test_skipped_parts_say_why(tmp_path, random_params):
    settings = dict(SETTINGS, max_triples=10)
    settings["shapley_interaction"] = dict(SETTINGS["shapley_interaction"], max_pairs=5)
    path = tmp_path / "s.h5"
    _write(path, random_params, _image(), settings)
    with h5py.File(path) as f:
        g = f["interactions"]
        assert not g.attrs["order3"]
        assert (
            g.attrs["order3_skipped"] == "84 triples of changed pixels > max_triples 10: r_3 is NaN"
        )
        assert g.attrs["shapley_interaction_skipped"] == (
            "36 pairs of changed pixels > max_pairs 5"
        )
        assert "shapley_interaction" not in g
        r = g["insertion/z3_residuals"][()]
        assert np.isnan(r[:, 2]).all() and np.isfinite(r[:, :2]).all()


def test_the_summary_is_the_medians_and_shares_of_the_residuals():
    rng = np.random.default_rng(3)
    layers = ["z1", "z3"]
    samples = []
    for s in range(3):
        sample = {}
        for end in interactions.ENDS:
            sample[end] = {
                layer: rng.normal(size=(4 + 2 * layers.index(layer), 3)) for layer in layers
            }
        samples.append(sample)
    samples[2]["insertion"]["z1"][:, 2] = np.nan  # over max_triples: no r_3
    rows = interactions.summary(samples, layers)
    assert [(r["layer"], r["end"]) for r in rows] == [
        ("z1", "insertion"),
        ("z1", "occlusion"),
        ("z3", "insertion"),
        ("z3", "occlusion"),
    ]
    row = rows[0]
    r = np.abs(np.concatenate([s["insertion"]["z1"] for s in samples]))
    assert row["samples"] == 3 and row["nodes"] == 12
    assert float(row["median_abs_r1"]) == pytest.approx(np.median(r[:, 0]), rel=1e-5)
    assert float(row["median_abs_r3"]) == pytest.approx(np.median(r[:8, 2]), rel=1e-5)
    assert float(row["pairs_explain"]) == pytest.approx(1 - r[:, 1].sum() / r[:, 0].sum(), rel=1e-5)
    assert row["samples_with_r3"] == 2
    assert float(row["triples_explain"]) == pytest.approx(
        1 - r[:8, 2].sum() / r[:8, 0].sum(), rel=1e-5
    )
    assert rows[1]["samples_with_r3"] == 3
    order1 = interactions.summary(
        [{e: {"z1": s[e]["z1"][:, :1]} for e in s} for s in samples], ["z1"]
    )
    assert order1[0]["median_abs_r2"] == "" and order1[0]["pairs_explain"] == ""


@pytest.mark.parametrize(
    "section, problem",
    [
        (
            {"layers": ["z3"], "nodes": {"z2": [1]}},
            "config.interactions.nodes.z2: layer 'z2' is not in config.interactions.layers "
            "['z3']; add it there or remove it here",
        ),
        ({"order": 4}, "config.interactions.order"),
        (
            {"shapley_interaction": {"permutations": 3}},
            "config.interactions.shapley_interaction.permutations",
        ),
        ({"max_triples": -1}, "config.interactions.max_triples"),
        ({"nodes": {"z1": [50]}}, "config.interactions.nodes.z1"),
    ],
)
def test_the_config_section_is_checked(section, problem):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["interactions"] = dict(cfg["interactions"], **section)
    schema = config.load_schema(ROOT / "workflow/schemas/config.schema.yaml")
    found = config.problems(cfg, schema, path_problem=lambda path: None)
    assert any(p.startswith(problem) for p in found), found


def test_no_section_means_no_problem_and_no_group(tmp_path, random_params):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["interactions"] = None
    schema = config.load_schema(ROOT / "workflow/schemas/config.schema.yaml")
    assert config.problems(cfg, schema, path_problem=lambda path: None) == []
    x = _image()
    result = methods.compute(random_params, x, np.zeros((28, 28)), ["z3"], ["insertion"])
    attrs = {"sample": "s", "source": "{}", "title": "t", "label": -1}
    attrs.update(baseline="all-zero image", weights_sha256="0" * 64, config="{}")
    h5io.write_influence(tmp_path / "n.h5", result, x, np.zeros((28, 28)), attrs)
    with h5py.File(tmp_path / "n.h5") as f:
        assert "interactions" not in f
    with pytest.raises(InputError, match="interactions"):
        h5io.read_interactions(tmp_path / "n.h5")


def test_the_picture_from_the_open_file_is_the_picture_from_the_read_file(tmp_path, random_params):
    """The workflow draws from ``open_interactions`` (one row of each pair matrix read from
    the file); the picture is byte for byte the one drawn from everything read."""
    path = tmp_path / "s.h5"
    _write(path, random_params, _image(14))
    eager = interactions_figure.interactions_figure(h5io.read_interactions(path), zoom=1)
    with h5io.open_interactions(path) as data:
        assert isinstance(data["pairs"]["occlusion"]["z3"], h5py.Dataset)
        lazy = interactions_figure.interactions_figure(data, zoom=1)
        lazy_text = interactions_figure.metadata(data)
    assert lazy.tobytes() == eager.tobytes() and lazy.size == eager.size
    assert lazy_text == interactions_figure.metadata(h5io.read_interactions(path))


def test_null_sections_are_taken_out_for_validation_and_put_back():
    cfg = {"interactions": {"order": 2, "shapley_interaction": None}, "layers": ["z3"]}
    removed = config.take_out_nulls(cfg)
    assert removed == [("interactions", "shapley_interaction")]
    assert cfg["interactions"] == {"order": 2}
    cfg["interactions"]["shapley_interaction"] = {"permutations": 8}  # validate's default
    config.put_back_nulls(cfg, removed)
    assert cfg["interactions"]["shapley_interaction"] is None
    top = {"interactions": None}
    assert config.take_out_nulls(top) == [("interactions",)] and top == {}
    config.put_back_nulls(top, [("interactions",)])
    assert top == {}  # left out: the same as null


def test_inspect_prints_the_residuals_and_the_strongest_pairs(tmp_path, random_params):
    path = tmp_path / "s.h5"
    kept = _write(path, random_params, _image(14))
    lines = inspection.summary_lines(path, tree=False)
    at = lines.index(next(line for line in lines if "pixel interactions" in line))
    body = lines[at + 1 :]
    r = np.abs(kept["ends"]["occlusion"]["residuals"]["z2"])
    row = next(line for line in body if line.startswith("z2    occlusion"))
    medians = [float(cell) for cell in row.split()[2:]]
    np.testing.assert_allclose(medians, np.median(r, axis=0), rtol=1e-2)
    # the predicted digit's strongest pair from the baseline, found here by hand
    with h5py.File(path) as f:
        node = int(np.argmax(f["value/z3"][()]))
    pairs = kept["ends"]["insertion"]["pairs"]["z3"][node]
    i, j = np.triu_indices(14, 1)
    best = np.argmax(np.abs(pairs[i, j]))
    a, b = kept["changed"][i[best]], kept["changed"][j[best]]
    line = next(line for line in body if line.strip().startswith("insertion ("))
    first = line.strip()[len("insertion") :].strip()
    assert first.startswith(f"({a // 28:2d},{a % 28:2d})+({b // 28:2d},{b % 28:2d})")
