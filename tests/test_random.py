"""leanlearn.random: one seed, an independent stream per purpose.

Claims: every purpose has its own fixed spawn key (documented codes, no collisions with
the root's children that the simulator uses); a block's stream equals the block-th child
of the purpose's stream (so workers can draw blocks independently); the simulation stream
is the root sequence (the bundled data stay reproducible); the bootstrap no longer draws
the simulator's numbers; explicit SeedSequences are used as they are.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from leanlearn.random import PURPOSE_CODES, PURPOSES, describe, generator, integer_seed, stream


def test_purpose_codes_are_the_documented_crc32_values_and_distinct():
    for p, code in PURPOSE_CODES.items():
        assert code == zlib.crc32(f"leanlearn.{p}".encode())
        assert code > 2**24  # far above any spawn index of the root sequence
    assert len(set(PURPOSE_CODES.values())) == len(PURPOSE_CODES)
    assert set(PURPOSES) == set(PURPOSE_CODES) | {"simulation"}


def test_a_block_stream_is_the_blocks_child_of_the_purpose_stream():
    parent = stream(7, "bootstrap")
    for j, child in enumerate(parent.spawn(4)):
        a = np.random.default_rng(child).integers(0, 1000, 20)
        b = generator(7, "bootstrap", j).integers(0, 1000, 20)
        np.testing.assert_array_equal(a, b)


def test_simulation_is_the_root_sequence_and_other_purposes_are_not():
    root = np.random.default_rng(20240209).random(5)
    np.testing.assert_array_equal(generator(20240209, "simulation").random(5), root)
    first_children = [np.random.default_rng(c).random(5) for c in np.random.SeedSequence(20240209).spawn(8)]
    for p in PURPOSE_CODES:
        for j in range(8):
            draws = generator(20240209, p, j).random(5)
            assert not np.allclose(draws, root)
            assert not any(np.allclose(draws, c) for c in first_children), (p, j)


def test_bootstrap_blocks_do_not_reuse_the_simulators_streams():
    from leanlearn.pls.bootstrap import resample_indices

    n = 50
    sim = [np.random.default_rng(c).integers(0, n, size=(500, n)) for c in np.random.SeedSequence(3).spawn(8)]
    for j in range(8):
        idx = resample_indices(3, 4000, n, j)
        assert not any(np.array_equal(idx, s) for s in sim)


def test_same_seed_same_stream_other_seed_or_purpose_other_stream():
    a = generator(5, "permutation", 1).random(10)
    np.testing.assert_array_equal(a, generator(5, "permutation", 1).random(10))
    assert not np.allclose(a, generator(6, "permutation", 1).random(10))
    assert not np.allclose(a, generator(5, "permutation", 2).random(10))
    assert not np.allclose(a, generator(5, "folds", 1).random(10))
    assert stream(5, "bootstrap", "copula").spawn_key == (PURPOSE_CODES["bootstrap"], zlib.crc32(b"leanlearn.copula"))


def test_an_explicit_seed_sequence_is_used_as_is():
    ss = np.random.SeedSequence(42)
    np.testing.assert_array_equal(generator(ss, "folds").permutation(30), np.random.default_rng(42).permutation(30))
    assert stream(ss, "bootstrap", 2).spawn_key == (2,)


def test_integer_seed_and_description_are_deterministic():
    assert integer_seed(9, "imputation") == integer_seed(9, "imputation")
    assert integer_seed(9, "imputation") != integer_seed(9, "power")
    assert 0 <= integer_seed(9, "imputation") < 2**32
    assert describe(9, "folds") == {"seed": 9, "purpose": "folds", "spawn_key": [PURPOSE_CODES["folds"]]}


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1"])
def test_bad_seeds_and_purposes_are_refused(bad):
    with pytest.raises(ValueError, match="seed"):
        stream(bad, "bootstrap")
    with pytest.raises(ValueError, match="purpose"):
        stream(1, "bootstraps")
