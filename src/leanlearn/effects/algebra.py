"""Direct, indirect, total and conditional effects from path coefficients.

The functions work on path-coefficient matrices ``P`` with ``P[..., s, t]`` the path
s -> t, batched over leading axes, so they apply unchanged to a point estimate and to all
bootstrap resamples at once. They do not care which estimator produced ``P``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "total_effects",
    "chains",
    "Chain",
    "chain_effects",
    "conditional_indirect",
    "simple_slope",
]


def total_effects(P: np.ndarray) -> np.ndarray:
    r"""Total effects of a recursive path model.

    .. math:: T = \sum_{k \ge 1} P^k = (I - P)^{-1} - I

    The sum is finite because a recursive model's path matrix is nilpotent.

    Notes
    -----
    seminr's ``total_effects()`` accumulates :math:`P^k` only while the entries of
    :math:`P^k` sum to a non-zero value, so with negative paths it can stop early and drop
    longer chains. leanlearn always uses the exact inverse (the two agree whenever no
    power of P sums to zero; checked against seminr on mobi and corp_rep at 1e-12).
    """
    P = np.asarray(P, dtype=float)
    K = P.shape[-1]
    eye = np.eye(K)
    return np.linalg.solve(eye - P, np.broadcast_to(eye, P.shape)) - eye


@dataclass(frozen=True)
class Chain:
    """A directed chain of constructs from ``nodes[0]`` to ``nodes[-1]`` (indices)."""

    nodes: tuple[int, ...]

    @property
    def source(self) -> int:
        return self.nodes[0]

    @property
    def target(self) -> int:
        return self.nodes[-1]

    def label(self, names) -> str:
        return " -> ".join(names[i] for i in self.nodes)


def chains(adjacency: np.ndarray, *, min_length: int = 2) -> list[Chain]:
    """Every directed chain with at least ``min_length`` paths in a recursive model.

    Parameters
    ----------
    adjacency : ndarray of bool, shape (K, K)
        ``adjacency[s, t]`` is True when the model has the path s -> t.
    min_length : int
        2 gives the specific indirect effects (one or more mediators).

    Returns
    -------
    list of Chain, ordered by source, then target, then the chain itself.
    """
    A = np.asarray(adjacency, dtype=bool)
    K = A.shape[0]
    out: list[Chain] = []

    def walk(path: list[int]) -> None:
        last = path[-1]
        for nxt in np.flatnonzero(A[last]):
            new = path + [int(nxt)]
            if len(new) - 1 >= min_length:
                out.append(Chain(tuple(new)))
            walk(new)

    for s in range(K):
        walk([s])
    out.sort(key=lambda c: (c.source, c.target, c.nodes))
    return out


def chain_effects(P: np.ndarray, chain_list: list[Chain]) -> np.ndarray:
    """Specific indirect effect of each chain: the product of its path coefficients.

    Returns an array of shape (..., len(chain_list)).
    """
    P = np.asarray(P, dtype=float)
    out = np.ones(P.shape[:-2] + (len(chain_list),))
    for j, c in enumerate(chain_list):
        for a, b in zip(c.nodes[:-1], c.nodes[1:]):
            out[..., j] *= P[..., a, b]
    return out


def simple_slope(a_x: np.ndarray, a_xw: np.ndarray, w: np.ndarray) -> np.ndarray:
    r"""Conditional effect of X at moderator value w: :math:`\theta(w) = a_X + a_{XW} w`.

    Broadcasts: ``a_x`` and ``a_xw`` of shape (B,) and ``w`` of shape (G,) give (B, G).
    """
    a_x = np.asarray(a_x, dtype=float)[..., None]
    a_xw = np.asarray(a_xw, dtype=float)[..., None]
    return a_x + a_xw * np.asarray(w, dtype=float)


def conditional_indirect(
    a_x: np.ndarray,
    a_xw: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    *,
    b_mw: np.ndarray | None = None,
) -> np.ndarray:
    r"""Conditional indirect effect of X on Y through M at moderator value w.

    First-stage moderation (Hayes model 7): :math:`\omega(w) = (a_X + a_{XW} w)\, b`.
    With second-stage moderation as well (``b_mw`` given; Hayes model 58 when W moderates
    both stages): :math:`\omega(w) = (a_X + a_{XW} w)(b + b_{MW} w)`; a second-stage-only
    model passes ``a_xw = 0``.

    Shapes broadcast as in :func:`simple_slope`.

    Notes
    -----
    Hayes (2015), Multivariate Behavioral Research 50:1–22; the index of moderated mediation
    of model 7 is :math:`a_{XW} b`. Checked on a hand-worked example in tests/test_effects.py.
    """
    first = simple_slope(a_x, a_xw, w)
    if b_mw is None:
        second = np.asarray(b, dtype=float)[..., None]
    else:
        second = simple_slope(b, b_mw, w)
    return first * second
