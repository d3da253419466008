"""Samples grouped into jobs (pixel_influence.batches): every sample once, in order, batches
of the size asked for on average, and cut by the names so that adding a sample changes
only the batch it joins."""

import hashlib

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pixel_influence import resources
from pixel_influence.batches import MAX_FACTOR, batch_size, batches, ends_batch

NAMES = [f"test-{i:05d}" for i in range(40)]


def test_the_batches_of_forty_digits_are_cut_where_the_hash_says():
    # golden: the last sample of each batch of 8 on average, as first cut; a change of the
    # hash or of the rule would re-batch every user's samples, and re-run their jobs
    got = batches(NAMES, 8)
    assert [batch[-1] for batch in got] == [
        "test-00002",
        "test-00008",
        "test-00016",
        "test-00017",
        "test-00027",
        "test-00029",
        "test-00033",
        "test-00036",
        "test-00039",
    ]
    assert [name for batch in got for name in batch] == NAMES


def test_a_name_ends_its_batch_when_its_sha256_falls_in_one_of_size_ranges():
    for name in NAMES:
        digest = hashlib.sha256(name.encode()).hexdigest()
        assert ends_batch(name, 8) == (int(digest[:16], 16) % 8 == 0)


def test_batches_hold_size_samples_on_average_and_never_more_than_the_cap():
    names = [f"train-{i:05d}" for i in range(20_000)]
    for size in (5, 25, 100):
        got = batches(names, size)
        assert [n for batch in got for n in batch] == names
        assert max(map(len, got)) <= MAX_FACTOR * size
        assert 0.85 * size < len(names) / len(got) < 1.15 * size


def test_size_one_is_a_job_per_sample():
    assert batches(NAMES[:5], 1) == [[n] for n in NAMES[:5]]


def test_a_sample_alone_has_a_batch_of_its_own_and_closes_the_one_before():
    got = batches(NAMES[:10], 100, alone={"test-00004"})
    assert got == [NAMES[:4], ["test-00004"], NAMES[5:10]]


def test_the_batch_size_follows_the_work_per_sample():
    assert batch_size(0.1, 10) == 100
    assert batch_size(0.3, 10) == 33
    assert batch_size(4.0, 10) == 2
    assert batch_size(6.0, 10) == 1  # half a batch's work or more: a job of its own
    assert batch_size(0.1, 0) == 1


def test_the_default_config_gives_every_sample_a_job_of_its_own():
    """Six methods (Shapley sampling's 256 permutations) and the interactions: seconds per
    sample, so batching would only take parallel jobs away."""
    methods = [
        "insertion",
        "occlusion",
        "gradient_input",
        "integrated_gradients",
        "deeplift",
        "shapley_sampling",
    ]
    interactions = {"order": 3, "max_triples": 2_000_000, "shapley_interaction": {}}
    seconds = resources.sample_seconds(methods, {}, interactions)
    assert batch_size(seconds, 10) == 1
    assert batch_size(resources.sample_seconds(["insertion"], {}), 10) >= 20


def _uncapped(names, size):
    return all(len(b) < MAX_FACTOR * size for b in batches(names, size))


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(0, 300),
    size=st.integers(2, 20),
    new=st.integers(0, 10**6),
    where=st.floats(0, 1),
)
def test_adding_a_sample_changes_only_the_batch_it_joins(count, size, new, where):
    names = [f"s{i}" for i in range(count)]
    position = int(where * count)
    more = names[:position] + [f"new{new}"] + names[position:]
    assume(_uncapped(names, size) and _uncapped(more, size))
    before = {tuple(b) for b in batches(names, size)}
    after = {tuple(b) for b in batches(more, size)}
    # the batch it joins, split in two when the new sample itself ends a batch
    assert len(after - before) <= 2
    assert len(before - after) <= 1
    changed = [n for b in after - before for n in b]
    assert f"new{new}" in changed
