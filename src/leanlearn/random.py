r"""One seed, independent random streams: one per purpose, derived with ``SeedSequence``.

Every random draw of leanlearn comes from a :class:`numpy.random.SeedSequence` derived
from the study's one ``seed`` (config key ``seed``) and a *purpose*:

=================  ===============================================================  ==========
purpose            draws                                                            spawn key
=================  ===============================================================  ==========
``simulation``     synthetic data (:mod:`leanlearn.datasets.simulate`)              ``()``
``bootstrap``      case resamples (:mod:`leanlearn.pls.bootstrap`, copula bootstrap) ``(code,)``
``permutation``    group-label permutations (MICOM, MGA)                            ``(code,)``
``imputation``     model-based imputation of missing item values                    ``(code,)``
``folds``          cross-validation folds (PLSpredict)                              ``(code,)``
``power``          Monte Carlo power replications (data and their resamples)        ``(code,)``
``montecarlo``     Monte Carlo null distributions of test statistics                ``(code,)``
=================  ===============================================================  ==========

``code`` is a fixed 32-bit number per purpose, the CRC-32 of ``"leanlearn." + purpose``
(:data:`PURPOSE_CODES`). A stream for ``(seed, purpose, k1, k2, ...)`` is

.. math:: \texttt{SeedSequence(entropy=seed, spawn\_key=(code, k_1, k_2, \dots))}

which is exactly the k1-th child of the k2-th ... of the purpose's stream, so
``stream(seed, p).spawn(m)[j] == stream(seed, p, j)``: a block of work (bootstrap block j,
permutations of group pair j, power replication block j) draws from its own child no
matter which process runs it, which keeps results byte-identical for any worker count.
String keys (e.g. ``"copula"``) are turned into their CRC-32.

*Why spawn keys.* ``SeedSequence`` mixes the entropy and the spawn key through a hash, so
streams with different spawn keys are statistically independent (O'Neill 2015; NumPy's
"Parallel random number generation"). Before this scheme the simulator and the bootstrap
both used ``SeedSequence(seed).spawn(...)``, so the simulator's eight streams and the
first eight bootstrap blocks were the same numbers.

*Simulation keeps the root.* ``simulation`` is the root sequence ``SeedSequence(seed)``
itself (spawn key ``()``) and its children ``(0,)``, ``(1,)``, ...: that is how the
bundled data were drawn, so they stay reproducible byte for byte. No other purpose uses a
spawn key that starts with a small integer: every purpose code is above 2**24
(tests/test_random.py), and a collision would need that many root children.

*Explicit streams.* Every function that takes ``seed`` also accepts a ``SeedSequence``,
used as is (its spawn key is extended by the block keys only). This is how a test
reproduces another program's draws exactly, e.g. seminr's PLSpredict folds with
``seed=np.random.SeedSequence(42)``.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["PURPOSES", "PURPOSE_CODES", "purpose_code", "stream", "generator", "integer_seed", "describe"]

PURPOSES = ("simulation", "bootstrap", "permutation", "imputation", "folds", "power", "montecarlo")


def purpose_code(name: str) -> int:
    """CRC-32 of ``"leanlearn." + name``: the first spawn-key word of a purpose or a string key."""
    return zlib.crc32(f"leanlearn.{name}".encode("utf-8"))


PURPOSE_CODES = {p: purpose_code(p) for p in PURPOSES if p != "simulation"}
"""Spawn-key code of every purpose but ``simulation`` (the root)."""


def _key(k) -> int:
    if isinstance(k, (bool, np.bool_)):
        raise TypeError("stream keys must be non-negative integers or strings, not booleans")
    if isinstance(k, str):
        return purpose_code(k)
    if isinstance(k, (int, np.integer)) and int(k) >= 0:
        return int(k)
    raise TypeError(f"stream keys must be non-negative integers or strings, got {k!r}")


def stream(seed, purpose: str, *keys) -> np.random.SeedSequence:
    """The :class:`~numpy.random.SeedSequence` of ``purpose`` (and sub-keys) for the study seed.

    Parameters
    ----------
    seed : int, SeedSequence or None
        The study's seed (non-negative int). A ``SeedSequence`` is taken as an explicit
        stream: ``keys`` extend its spawn key, ``purpose`` is not added. None draws fresh
        entropy (recorded in the returned sequence's ``entropy``).
    purpose : str
        One of :data:`PURPOSES`.
    *keys : int or str
        Sub-streams, e.g. a bootstrap block number, a group pair number, ("copula",).

    Returns
    -------
    numpy.random.SeedSequence

    Examples
    --------
    >>> stream(1, "bootstrap", 3).spawn_key == (PURPOSE_CODES["bootstrap"], 3)
    True
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown random-stream purpose {purpose!r}; one of {', '.join(PURPOSES)}")
    extra = tuple(_key(k) for k in keys)
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + extra, pool_size=seed.pool_size)
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or int(seed) < 0):
        raise ValueError(f"seed must be a non-negative integer, a SeedSequence or None, not {seed!r}")
    entropy = None if seed is None else int(seed)
    head = () if purpose == "simulation" else (PURPOSE_CODES[purpose],)
    return np.random.SeedSequence(entropy, spawn_key=head + extra)


def generator(seed, purpose: str, *keys) -> np.random.Generator:
    """``numpy.random.default_rng(stream(seed, purpose, *keys))`` (PCG64)."""
    return np.random.default_rng(stream(seed, purpose, *keys))


def integer_seed(seed, purpose: str, *keys) -> int:
    """A 32-bit integer drawn from the stream, for libraries that take an int seed
    (e.g. scikit-learn's ``random_state``)."""
    return int(stream(seed, purpose, *keys).generate_state(1, dtype=np.uint32)[0])


def describe(seed, purpose: str, *keys) -> dict:
    """Provenance record of a stream: seed (entropy), purpose, spawn_key (for settings.json)."""
    ss = stream(seed, purpose, *keys)
    return {"seed": int(ss.entropy) if isinstance(ss.entropy, (int, np.integer)) else ss.entropy, "purpose": purpose, "spawn_key": list(ss.spawn_key)}
