"""Sweeps: exact fixed-point sums, shard tiling, per-class statistics, the HDF5 files."""

import copy
from fractions import Fraction

import h5py
import numpy as np
import pytest

from pixel_influence import h5io, methods, network, sweep
from pixel_influence.config import sweep_problems
from pixel_influence.errors import InputError

LAYERS = ["z1", "z3"]
METHODS = ["insertion", "deeplift"]


def wide_values(shape, seed):
    """Values over twenty orders of magnitude, both signs: the hard case for float sums."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape) * 10.0 ** rng.integers(-12, 8, size=shape)


def on_grid(x):
    """x rounded to the 2**-62 grid, as an exact fraction."""
    return Fraction(round(Fraction(float(x)) / Fraction(sweep.QUANTUM))) * Fraction(sweep.QUANTUM)


def test_exact_sum_is_the_correctly_rounded_sum_of_the_grid_values():
    x = wide_values((40, 5), 0)
    total = sweep.Exact((5,))
    for row in x:
        total.add(row)
    for j in range(5):
        exact = sum(on_grid(v) for v in x[:, j])
        assert total.value()[j] == float(exact)  # one rounding, to nearest
    naive = x.sum(axis=0)
    assert not np.array_equal(naive, total.value())  # a float sum does not get there


def test_exact_sums_do_not_depend_on_order_or_grouping():
    x = wide_values((60, 7), 1)
    one = sweep.Exact((7,))
    for row in x:
        one.add(row)
    parts = []
    for chunk in (x[41:], x[:13], x[13:41]):
        part = sweep.Exact((7,))
        for row in chunk[::-1]:
            part.add(row)
        parts.append(part)
    merged = parts[2].merge(parts[0]).merge(parts[1])
    one.carry()  # the limbs are canonical once carried
    assert np.array_equal(one.hi, merged.hi) and np.array_equal(one.lo, merged.lo)
    assert np.array_equal(one.value(), merged.value())


def test_many_additions_carry_without_overflow():
    total = sweep.Exact((3,))
    x = np.array([1.0 - 2.0**-52, -(2.0**-62), 0.75])
    for _ in range(5000):  # more than the 2**11 additions between carries
        total.add(x)
    expected = [5000 * on_grid(v) for v in x]
    assert [Fraction(v) for v in total.value()] == [Fraction(float(e)) for e in expected]


def class_sums(values, labels, classes):
    """The exact per-class sums of ``values`` (one row per image), one image at a time."""
    total = sweep.Exact((classes,) + values.shape[1:])
    for v, label in zip(values, labels, strict=True):
        row = np.zeros((classes,) + values.shape[1:])
        row[label] = v
        total.add(row)
    return total


def test_contrast_is_the_class_mean_minus_the_mean_over_the_other_images():
    """Classes of 1, 2, 3 and 7 images, values over twenty orders of magnitude: each class's
    mean minus the mean over the images of the others, both correctly rounded from the exact
    sums, then one more rounding; within an ulp of the exact value; weighted by images."""
    values = wide_values((13, 6), 2)
    labels = np.array([0] + [1] * 2 + [2] * 3 + [3] * 7)
    count = np.bincount(labels, minlength=4)
    got = sweep.contrast(count, class_sums(values, labels, 4))
    for c in range(4):
        for j in range(6):
            mine = sum(on_grid(v) for v in values[labels == c, j])
            theirs = sum(on_grid(v) for v in values[labels != c, j])
            n, m = int(count[c]), 13 - int(count[c])
            # the formula: each mean a correctly rounded division of the correctly rounded sum
            assert got[c, j] == float(mine) / n - float(theirs) / m
            exact = mine / n - theirs / m
            ulp = np.spacing(max(abs(float(mine / n)), abs(float(theirs / m))))
            assert abs(Fraction(float(got[c, j])) - exact) <= 2 * Fraction(float(ulp))
    # image-weighted: class 0 against the 12 others, not against the mean of three class means
    direct = values[0] - values[1:].mean(axis=0)
    np.testing.assert_allclose(got[0], direct, rtol=1e-12)
    means = [values[labels == c].mean(axis=0) for c in range(4)]
    unweighted = means[0] - np.mean(means[1:], axis=0)
    assert not np.allclose(got[0], unweighted, rtol=1e-3)
    # the class's side is bit for bit the mean that moments gives
    sums = sweep.Sums({"x": (6,)}, classes=4)
    sums.count[:] = count
    sums.sum["x"] = class_sums(values, labels, 4)
    sums.sumsq["x"] = class_sums(np.zeros_like(values), labels, 4)  # (the squares: too large)
    mean, _ = sweep.moments(sums, "x")
    theirs = [
        [float(sum(on_grid(v) for v in values[labels != c, j])) / (13 - count[c]) for j in range(6)]
        for c in range(4)
    ]
    assert np.array_equal(got, mean - np.array(theirs))


def test_contrast_is_nan_without_images_on_either_side():
    values = np.arange(12.0).reshape(4, 3)
    # class 2 has no image: NaN, and the others are compared with the images there are
    got = sweep.contrast(np.array([1, 2, 0, 1]), class_sums(values, [0, 1, 1, 3], 4))
    assert np.isnan(got[2]).all()
    np.testing.assert_array_equal(got[0], values[0] - values[1:].mean(axis=0))
    np.testing.assert_array_equal(got[3], values[3] - values[:3].mean(axis=0))
    # every image in one class: nothing to contrast it with
    got = sweep.contrast(np.array([0, 4]), class_sums(values, [1, 1, 1, 1], 2))
    assert np.isnan(got).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, 2.0**41])
def test_values_beyond_the_accumulator_are_refused_by_name(bad):
    with pytest.raises(InputError, match="insertion/maps sum of"):
        sweep.Exact((2,)).add(np.array([1.0, bad]), "insertion/maps")


@pytest.mark.parametrize("images", [1, 499, 500, 501, 1500, 10000, 60000])
@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_shards_tile_the_images_in_whole_blocks(images, shards):
    if shards > sweep.blocks(images):
        return
    ranges = [sweep.shard_range(images, shards, k) for k in range(shards)]
    assert ranges[0][0] == 0 and ranges[-1][1] == images
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(start % sweep.BLOCK == 0 and start < stop for start, stop in ranges)


def test_config_problems_name_the_key():
    assert sweep_problems(None) == []
    assert sweep_problems({"split": "test", "images": 1000, "shards": 2}) == []
    (problem,) = sweep_problems({"split": "test", "images": 1000, "shards": 3})
    assert (
        problem.startswith("config.sweep.shards: 3 shards for 1000 images")
        and "at most 2" in problem
    )
    (problem,) = sweep_problems({"split": "test", "images": 20000})
    assert problem.startswith("config.sweep.images: 20000 is more than the 10000")


@pytest.fixture(scope="module")
def digits(random_params):
    """1,100 sparse random 'digits' with labels: three blocks, the last one short."""
    rng = np.random.default_rng(5)
    images = (rng.random((1100, 28, 28)) < 0.15) * rng.integers(1, 256, (1100, 28, 28))
    return images.astype(np.uint8), rng.integers(0, 10, 1100)


def per_image(params, images, labels):
    """Per-class mean, std and contrast (the class's mean minus the mean over the images of
    the other classes) of the maps, from one methods.compute per image (numpy)."""
    maps = {m: {layer: [] for layer in LAYERS} for m in METHODS}
    for x in images:
        result = methods.compute(params, x / 255.0, np.zeros((28, 28)), LAYERS, METHODS)
        for m in METHODS:
            for layer in LAYERS:
                maps[m][layer].append(result["maps"][m][layer])
    out = {}
    for m in METHODS:
        for layer in LAYERS:
            stack = np.array(maps[m][layer])
            out[m, layer] = [
                (
                    stack[labels == c].mean(axis=0),
                    stack[labels == c].std(axis=0, ddof=1),
                    stack[labels == c].mean(axis=0) - stack[labels != c].mean(axis=0),
                )
                for c in range(10)
            ]
    return out


_computed = {}


def shard(params, images, labels, start, stop):
    """A shard's sums (computed once per range and labelling; a fresh copy each call)."""
    key = (start, stop, labels.tobytes())
    if key not in _computed:
        zero = np.zeros((28, 28))
        _computed[key] = sweep.shard_sums(
            params, images[start:stop], labels[start:stop], zero, LAYERS, METHODS, first=start
        )
    return copy.deepcopy(_computed[key])


def test_class_statistics_equal_the_per_image_computation(random_params, digits, tmp_path):
    images, labels = digits
    sums = shard(random_params, images, labels, 0, 500).merge(
        shard(random_params, images, labels, 500, 1100)
    )
    assert sums.count.tolist() == np.bincount(labels, minlength=10).tolist()
    expected = per_image(random_params, images, labels)
    mean, std = sweep.moments(sums, "insertion/maps")  # (class, pixel, node)
    z1 = sweep.split_layers(mean.transpose(0, 2, 1), LAYERS, sums.sizes)["z1"]
    z1_std = sweep.split_layers(std.transpose(0, 2, 1), LAYERS, sums.sizes)["z1"]
    for c in range(10):
        want_mean, want_std, _ = expected["insertion", "z1"][c]
        np.testing.assert_allclose(
            z1[c].reshape(want_mean.shape), want_mean, rtol=1e-12, atol=1e-15
        )
        np.testing.assert_allclose(
            z1_std[c].reshape(want_std.shape), want_std, rtol=1e-9, atol=1e-13
        )
    # DeepLIFT is complete: a map sums to f(x) - f(0), so a contrast map sums to the class's
    # mean f(x) minus the other images' mean f(x) (f(0) cancels)
    values = sweep.split_layers(
        sweep.contrast(sums.count, sums.sum["value"]), network.LAYERS, network.LAYER_SIZES
    )
    contrasts = sweep.class_maps(sums, "deeplift", LAYERS)["contrast"]
    np.testing.assert_allclose(contrasts["z3"].sum(axis=(2, 3)), values["z3"], atol=1e-12)
    np.testing.assert_allclose(contrasts["z1"].sum(axis=(2, 3)), values["z1"], atol=1e-11)
    assert np.abs(values["z3"]).max() > 0.01  # the classes do differ
    mean_image, _ = sweep.moments(sums, "image")
    for c in range(10):
        np.testing.assert_allclose(
            mean_image[c], (images[labels == c] / 255.0).mean(axis=0).reshape(-1), rtol=1e-13
        )

    # through the files: shards written, merged lazily, classes.h5 read back
    paths = []
    for k, (start, stop) in enumerate([(0, 500), (500, 1000), (1000, 1100)]):
        paths.append(tmp_path / f"{k}.h5")
        h5io.write_sweep_shard(
            paths[-1], shard(random_params, images, labels, start, stop), attrs(start, stop)
        )
    classes = tmp_path / "classes.h5"
    with h5io.merged_sweep_shards(paths[::-1]) as merged:
        h5io.write_classes(classes, merged, LAYERS, METHODS, provenance(), dtype="float64")
    with h5py.File(classes) as f:
        assert f["deeplift/z3_mean"].shape == (10, 10, 28, 28)
        assert (
            f["deeplift/z3_mean"].attrs["axes"]
            == "class, node, row, col (pixel of the input image)"
        )
        assert f["value/z3_mean"].shape == (10, 10)
        assert f["count"][()].tolist() == sums.count.tolist()
        assert f["confusion"][()].sum() == 1100
        for c in range(10):
            want_mean, want_std, want_contrast = expected["deeplift", "z3"][c]
            np.testing.assert_allclose(f["deeplift/z3_mean"][c], want_mean, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(f["deeplift/z3_std"][c], want_std, rtol=1e-9, atol=1e-13)
            np.testing.assert_allclose(
                f["deeplift/z3_contrast"][c], want_contrast, rtol=1e-12, atol=1e-15
            )
            _, _, want_contrast = expected["insertion", "z1"][c]
            np.testing.assert_allclose(
                f["insertion/z1_contrast"][c], want_contrast, rtol=1e-12, atol=1e-15
            )
        # the contrast lies beside the mean and the std, described and laid out alike
        for method in METHODS:
            for layer in LAYERS:
                mean, contrast = f[f"{method}/{layer}_mean"], f[f"{method}/{layer}_contrast"]
                assert contrast.shape == mean.shape and contrast.dtype == mean.dtype
                assert contrast.chunks == mean.chunks and contrast.compression == "gzip"
                assert [d.label for d in contrast.dims] == [d.label for d in mean.dims]
                assert [d.label for d in contrast.dims] == ["class", "node", "row", "col"]
                scales = [contrast.dims[d][0].name for d in range(4)]
                assert scales == ["/class", f"/node_{layer}", "/row", "/col"]
                assert scales == [mean.dims[d][0].name for d in range(4)]
                for key in ("axes", "units", "method", "layer"):
                    assert contrast.attrs[key] == mean.attrs[key], key
                assert contrast.attrs["meaning"] == (
                    "what sets the class apart: mean over the class minus mean over the images "
                    "of every other class (image-weighted) of: "
                    + mean.attrs["meaning"].removeprefix("mean over the class of: ")
                )
                assert list(f[method]).index(f"{layer}_contrast") == (
                    list(f[method]).index(f"{layer}_std") + 1
                )
        contrast = f["insertion/z1_contrast"][()]
        std = f["insertion/z1_std"][()]
    picture = h5io.read_class(classes, 4, METHODS, LAYERS, shared_scale=True)
    assert picture["count"] == int((labels == 4).sum())
    assert picture["others"] == 1100 - picture["count"]
    assert picture["maps"]["insertion"]["z1"].shape == (50, 28, 28)
    # each picture reads its own maps, and its shared scale over all classes of that picture
    for kind, maps in (("contrast", contrast), ("std", std)):
        picture = h5io.read_class(classes, 4, METHODS, LAYERS, True, picture=kind)
        np.testing.assert_array_equal(picture["maps"]["insertion"]["z1"], maps[4])
        assert picture["shared_scale"]["insertion", "z1"] == np.abs(maps).max()
        assert picture["residuals"]["insertion"]["z1"].shape == (50,)  # the class means
    with pytest.raises(ValueError, match="picture 'median' is not one of mean, std, contrast"):
        h5io.read_class(classes, 4, METHODS, LAYERS, picture="median")


def attrs(start, stop, images=1100, **changes):
    out = {
        "split": "test",
        "images": images,
        "first": start,
        "stop": stop,
        "layers": LAYERS,
        "methods": METHODS,
        "weights_sha256": "0" * 64,
        "baseline": "all-zero image",
        "config": "{}",
    }
    out.update(changes)
    return out


def provenance():
    return {k: v for k, v in attrs(0, 0).items() if k not in ("first", "stop", "layers", "methods")}


def test_any_sharding_gives_the_same_bits(random_params, digits, tmp_path):
    images, labels = digits
    written = []
    for cuts in ([(0, 1100)], [(0, 500), (500, 1100)], [(0, 500), (500, 1000), (1000, 1100)]):
        paths = []
        for start, stop in cuts:
            paths.append(tmp_path / f"{len(cuts)}-{start}.h5")
            h5io.write_sweep_shard(
                paths[-1], shard(random_params, images, labels, start, stop), attrs(start, stop)
            )
        out = tmp_path / f"classes-{len(cuts)}.h5"
        with h5io.merged_sweep_shards(paths) as merged:
            h5io.write_classes(out, merged, LAYERS, METHODS, provenance())
        written.append(out.read_bytes())
    assert written[0] == written[1] == written[2]


@pytest.mark.parametrize(
    "shards, problem",
    [
        ([attrs(0, 1100)], None),
        ([attrs(500, 1100), attrs(0, 500)], None),  # in any order
        ([attrs(0, 500)], "the shards end at image 500, not at 1100"),
        ([attrs(0, 500), attrs(1000, 1100)], "s1: starts at image 1000, expected 500"),
        ([attrs(0, 1000), attrs(500, 1100)], "s1: starts at image 500, expected 1000"),
        ([attrs(0, 500), attrs(500, 1100, layers=["z3"])], "s1: its layers differs from s0's"),
    ],
)
def test_shards_must_share_their_settings_and_tile_the_images(shards, problem):
    """The merge rules alone, without a file: ``sweep.check_shards``."""
    names = [f"s{i}" for i in range(len(shards))]
    if problem is None:
        sweep.check_shards(names, shards)
    else:
        with pytest.raises(InputError, match=problem):
            sweep.check_shards(names, shards)


def test_shards_that_do_not_tile_or_differ_are_refused(random_params, digits, tmp_path):
    images, labels = digits
    first = tmp_path / "a.h5"
    h5io.write_sweep_shard(first, shard(random_params, images, labels, 0, 500), attrs(0, 500))
    with pytest.raises(InputError, match="end at image 500, not at 1100"):
        with h5io.merged_sweep_shards([first]):
            pass
    late = tmp_path / "b.h5"
    h5io.write_sweep_shard(
        late, shard(random_params, images, labels, 1000, 1100), attrs(1000, 1100)
    )
    with pytest.raises(InputError, match="starts at image 1000, expected 500"):
        with h5io.merged_sweep_shards([first, late]):
            pass
    other = tmp_path / "c.h5"
    h5io.write_sweep_shard(
        other, shard(random_params, images, labels, 500, 1100), attrs(500, 1100, config='{"x": 1}')
    )
    with pytest.raises(InputError, match="its config differs"):
        with h5io.merged_sweep_shards([first, other]):
            pass
    with pytest.raises(InputError, match="block boundary, not image 100"):
        shard(random_params, images, labels, 100, 200)


def test_empty_and_single_image_classes_are_nan_not_zero(random_params, digits):
    images, labels = digits
    labels = np.where(labels == 3, 4, labels)
    labels[0] = 3  # class 3 has one image, class 4 many; none is left empty below
    labels = np.where(labels == 7, 8, labels)  # class 7 has none
    sums = shard(random_params, images, labels, 0, 500)
    mean, std = sweep.moments(sums, "insertion/residual")
    assert np.isnan(mean[7]).all() and np.isnan(std[7]).all()
    assert np.isfinite(mean[3]).all() and np.isnan(std[3]).all()
    assert np.isfinite(std[4]).all()
