"""The compiled PLS kernel (``_kernel.c``), called through :mod:`ctypes`.

``pip install`` compiles ``src/leanlearn/pls/_kernel.c`` into the extension module
``leanlearn.pls._kernel`` (an optional extension: where no C compiler is found the install
still succeeds, and :func:`available` is False). Where it is available, the bootstrap's
per-resample steps run in C, one data set at a time:

- :func:`iterate`: the PLS iterations (:func:`leanlearn.pls.iteration._iterate`), each data
  set's correlation matrix staying in the CPU cache for all its iterations;
- :func:`correlations`: the item correlation matrices from the feature sums
  (:func:`leanlearn.pls.case_moments.resample_correlations`);
- :func:`htmt`, :func:`inverse`, :func:`paths` (every endogenous construct's OLS on its
  predecessors), :func:`counts` and :func:`products` (the two-stage interaction's product
  columns);
- :func:`draw_counts`: the bootstrap's case counts drawn as NumPy's generator draws the row
  indices, without forming them.

Without the compiled file every caller runs its NumPy form. The two forms take the same
steps in a different order of floating-point operations and agree to rounding
(tests/test_kernel.py: weights to 1e-12 with equal iteration counts, convergence and failure
flags for every scheme and mode; whole bootstraps draw by draw to 1e-10). Within one
installation every data set's numbers are the same whatever the batch or worker process it
runs in. A compiled file built from other sources than this module's (``ll_abi()`` other than
:data:`KERNEL_ABI`) is not used.

Set the environment variable ``LEANLEARN_KERNEL=numpy`` to use the NumPy forms even where the
compiled file exists (for checks; read once, at the first call).
"""

from __future__ import annotations

import ctypes
import os
import warnings
from importlib.util import find_spec

import numpy as np

from leanlearn.pls.plan import Layout, Settings

SCHEME_CODES = {"path": 0, "factorial": 1, "centroid": 2}
# the version of _kernel.c's functions this module calls (ll_abi() of the compiled file)
KERNEL_ABI = 6

_LIB: list = []  # [ctypes library or None], filled at the first call of _library()


def _library():
    """The compiled module's functions, or None (not built, built from other sources, or LEANLEARN_KERNEL=numpy)."""
    if not _LIB:
        lib = None
        spec = None if os.environ.get("LEANLEARN_KERNEL", "").lower() == "numpy" else find_spec("leanlearn.pls._kernel")
        if spec is not None and spec.origin:
            try:
                lib = _matching(ctypes.CDLL(spec.origin), spec.origin)
            except OSError as err:  # not loadable (a broken build): the NumPy forms
                warnings.warn(f"{spec.origin} could not be loaded ({err}); the NumPy forms run instead", RuntimeWarning, stacklevel=2)
        if lib is not None:
            p, i64 = ctypes.c_void_p, ctypes.c_int64
            lib.ll_iterate.argtypes = [i64, i64, i64, p, p, p, p, i64, p, ctypes.c_int, ctypes.c_double, i64, p, p, p, p, p, p]
            lib.ll_iterate.restype = ctypes.c_int
            lib.ll_correlations.argtypes = [i64, i64, i64, p, i64, p, p, p, p, p, p, p]
            lib.ll_correlations.restype = None
            lib.ll_htmt.argtypes = [i64, i64, i64, p, p, p, p]
            lib.ll_htmt.restype = None
            lib.ll_inverse.argtypes = [i64, i64, p, p, p, p]
            lib.ll_inverse.restype = None
            lib.ll_paths.argtypes = [i64, i64, p, p, p, p, p, p]
            lib.ll_paths.restype = ctypes.c_int
            lib.ll_counts.argtypes = [i64, i64, p, p]
            lib.ll_counts.restype = ctypes.c_int
            lib.ll_products.argtypes = [i64, i64, i64, p, p, p, p, p]
            lib.ll_products.restype = None
            u64 = ctypes.c_uint64
            lib.ll_draw_counts.argtypes = [u64, u64, u64, u64, ctypes.c_int, ctypes.c_uint32, i64, i64, p]
            lib.ll_draw_counts.restype = ctypes.c_int
        _LIB.append(lib)
    return _LIB[0]


def _matching(lib, path: str):
    """``lib`` when it was built from this version's ``_kernel.c`` (its ``ll_abi()`` is
    :data:`KERNEL_ABI`); otherwise None, with a warning that says how to rebuild it."""
    abi = getattr(lib, "ll_abi", None)
    if abi is not None:
        abi.restype = ctypes.c_int
        abi.argtypes = []
    if abi is not None and abi() == KERNEL_ABI:
        return lib
    warnings.warn(
        f"{path} was compiled from other sources than this leanlearn's; the NumPy forms run instead "
        "(the same numbers to rounding, slower). Rebuild it: pip install --no-deps --no-build-isolation -e . (or make install)",
        RuntimeWarning,
        stacklevel=3,
    )
    return None


def _required():
    """The compiled module's functions; RuntimeError where they are not available (callers check :func:`available`)."""
    lib = _library()
    if lib is None:
        raise RuntimeError("the compiled PLS kernel is not installed")
    return lib


def available() -> bool:
    """Whether the compiled kernel is installed (and not switched off by ``LEANLEARN_KERNEL=numpy``)."""
    return _library() is not None


def correlations(sums: np.ndarray, p: int, miss: np.ndarray, ref_var: np.ndarray):
    """Item correlation matrices from feature sums (b, m) in C: (R (b, p, p), means (b, p), SDs (b, p), N (b,), bad (b,)).

    The numbers of :func:`leanlearn.pls.case_moments.item_moments` followed by the
    standardisation and degeneracy check of
    :func:`leanlearn.pls.case_moments.resample_correlations` (``sums`` laid out by
    :class:`leanlearn.pls.case_moments.CaseFeatures`).
    """
    lib = _required()
    sums = np.ascontiguousarray(sums, dtype=float)
    b = sums.shape[0]
    miss64 = np.ascontiguousarray(miss, dtype=np.int64)
    ref = np.ascontiguousarray(ref_var, dtype=float)
    R, mean, sd, N = np.empty((b, p, p)), np.empty((b, p)), np.empty((b, p)), np.empty(b)
    bad = np.zeros(b, dtype=np.uint8)
    lib.ll_correlations(b, p, miss64.size, sums.ctypes.data, sums.shape[1], miss64.ctypes.data, ref.ctypes.data,
                        R.ctypes.data, mean.ctypes.data, sd.ctypes.data, N.ctypes.data, bad.ctypes.data)
    return R, mean, sd, N, bad.astype(bool)


def iterate(
    R: np.ndarray, lay: Layout, settings: Settings, bad: np.ndarray, segments: list[slice], inverses: dict[int, np.ndarray],
    moments: bool = False,
):
    """The PLS iterations on a batch of correlation matrices R (b, p, p) in C.

    ``segments`` are each construct's indicator columns, which follow each other block by
    block over all p columns (:func:`leanlearn.pls.iteration._segments`). ``bad`` (b,) flags data sets not to iterate (their weights stay 1); it is updated in
    place for data sets whose weights become non-finite. ``inverses`` maps each Mode B
    construct to the inverses of its block's correlation matrices (b, s, s). Returns
    (weights (b, p), 0-based stopping iteration (b,), still active (b,)) as
    :func:`leanlearn.pls.iteration._iterate_rows`; with ``moments`` also the item-composite
    correlations RW = R (w ⊙ O) (b, p, K) and the composite correlations (w ⊙ O)ᵀ RW (b, K, K)
    at the returned weights (from the last pass of the iterations).
    """
    lib = _required()
    R = np.ascontiguousarray(R, dtype=float)
    b, p, _ = R.shape
    K = lay.K
    start = np.array([0] + [sl.stop for sl in segments], dtype=np.int64)
    if start[-1] != p or any(sl.start != a for sl, a in zip(segments, start)):
        raise ValueError("the constructs' indicator columns must follow each other, block by block, over all columns")
    offsets = np.full(K, -1, dtype=np.int64)
    parts, width = [], 0
    for k in sorted(inverses):
        offsets[k] = width
        width += inverses[k].shape[1] * inverses[k].shape[2]
        parts.append(inverses[k].reshape(b, -1))
    inv = np.ascontiguousarray(np.concatenate(parts, axis=1)) if parts else np.zeros((b, 1))
    adj = np.ascontiguousarray(lay.adjacency, dtype=float)
    w = np.empty((b, p))
    iters = np.zeros(b, dtype=np.int64)
    active = np.ascontiguousarray(~bad, dtype=np.uint8)
    flags = np.ascontiguousarray(bad, dtype=np.uint8)
    RW, C = (np.empty((b, p, K)), np.empty((b, K, K))) if moments else (None, None)
    status = lib.ll_iterate(b, p, K, R.ctypes.data, start.ctypes.data, offsets.ctypes.data, inv.ctypes.data, inv.shape[1],
                            adj.ctypes.data, SCHEME_CODES[settings.scheme], float(settings.tolerance),
                            int(settings.max_iterations), w.ctypes.data, iters.ctypes.data, active.ctypes.data,
                            flags.ctypes.data, None if RW is None else RW.ctypes.data, None if C is None else C.ctypes.data)
    if status != 0:
        raise MemoryError("the PLS iterations could not allocate their work space")
    bad |= flags.astype(bool)
    if moments:
        return w, iters.astype(int), active.astype(bool), RW, C
    return w, iters.astype(int), active.astype(bool)


def htmt(R: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """:func:`leanlearn.pls.metrics.htmt` of a batch of correlation matrices R (b, p, p) in C: (b, K, K).

    ``onehot`` (p, K) puts every column in exactly one block (the final layout's).
    """
    lib = _required()
    R = np.ascontiguousarray(R, dtype=float)
    b, p, _ = R.shape
    K = onehot.shape[1]
    block = np.ascontiguousarray(np.argmax(onehot, axis=1), dtype=np.int64)
    out = np.empty((b, K, K))
    work = np.empty(K * K + 2 * K)
    lib.ll_htmt(b, p, K, R.ctypes.data, block.ctypes.data, out.ctypes.data, work.ctypes.data)
    return out


def inverse(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverses of a batch of square matrices (..., k, k) in C, and ‖A‖_F ‖A⁻¹‖_F of each.

    Gauss–Jordan elimination with partial pivoting; a singular matrix gives a non-finite
    inverse and bound. The bound is at least the 2-norm condition number
    (:func:`leanlearn.pls.iteration._ill_conditioned`).
    """
    lib = _required()
    shape = A.shape
    k = shape[-1]
    flat = np.ascontiguousarray(A, dtype=float).reshape(-1, k, k)
    b = flat.shape[0]
    inv, bound, work = np.empty((b, k, k)), np.empty(b), np.empty(k * k)
    with np.errstate(all="ignore"):
        lib.ll_inverse(b, k, flat.ctypes.data, inv.ctypes.data, bound.ctypes.data, work.ctypes.data)
    return inv.reshape(shape), bound.reshape(shape[:-2])


def paths(C: np.ndarray, adjacency: np.ndarray):
    """Every endogenous construct's OLS on its predecessors from construct correlations C (b, K, K) in C.

    ``adjacency[i, j]`` is nonzero when construct i points to j. For construct j with
    predecessors P: β = inv(C[P, P]) C[P, j] (the inverse of :func:`inverse`) in
    paths[:, P, j]. Returns (paths (b, K, K), r2 (b, K) = βᵀ C[P, j], bound (b, K) =
    ‖C[P, P]‖_F ‖inv‖_F, nonfinite (b, K): C[P, P] or C[P, j] not finite, β and r2 NaN);
    r2 and bound are NaN for exogenous constructs.
    """
    lib = _required()
    C = np.ascontiguousarray(C, dtype=float)
    b, K, _ = C.shape
    adj = np.ascontiguousarray(adjacency, dtype=float)
    out, r2, bound = np.empty((b, K, K)), np.empty((b, K)), np.empty((b, K))
    nonfinite = np.empty((b, K), dtype=np.uint8)
    if lib.ll_paths(b, K, C.ctypes.data, adj.ctypes.data, out.ctypes.data, r2.ctypes.data, bound.ctypes.data,
                    nonfinite.ctypes.data) != 0:
        raise MemoryError("the path solves could not allocate their work space")
    return out, r2, bound, nonfinite.astype(bool)


def counts(idx: np.ndarray, n: int) -> np.ndarray | None:
    """Case counts (b, n) from row indices (b, n) in C; None when an index is outside 0 .. n − 1."""
    lib = _required()
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    out = np.empty((idx.shape[0], n))
    if lib.ll_counts(idx.shape[0], n, idx.ctypes.data, out.ctypes.data) != 0:
        return None
    return out


def products(
    first: list[np.ndarray], second: list[np.ndarray], c: np.ndarray, out: list[np.ndarray] | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Count-weighted product columns of a block of resamples in C, in one pass over the cases.

    ``first[u]`` and ``second[u]`` (b, n) are the two stage-1 scores of product u and ``c``
    (b, n) the case counts. Returns (cg, gg): cg[u] = c ⊙ first[u] ⊙ second[u] (b, n) and
    gg (b, q, q) with gg[:, u, v] = Σᵢ cg[u] first[v] second[v] for v ≥ u (symmetric).
    ``out`` (q C-ordered arrays (b, n)) receives cg instead of new arrays.
    """
    lib = _required()
    q = len(first)
    a = [np.ascontiguousarray(x, dtype=float) for x in first]
    s = [np.ascontiguousarray(x, dtype=float) for x in second]
    c = np.ascontiguousarray(c, dtype=float)
    b, n = c.shape
    if out is not None and not all(x.shape == (b, n) and x.dtype == float and x.flags.c_contiguous for x in out):
        raise ValueError("out must hold q C-ordered float arrays of the shape of c")
    cg = out if out is not None else [np.empty((b, n)) for _ in range(q)]
    gg = np.empty((b, q, q))

    def pointers(arrays: list[np.ndarray]):
        return (ctypes.c_void_p * q)(*[x.ctypes.data for x in arrays])

    lib.ll_products(b, n, q, pointers(a), pointers(s), c.ctypes.data, pointers(cg), gg.ctypes.data)
    iu = np.triu_indices(q, 1)
    gg[:, iu[1], iu[0]] = gg[:, iu[0], iu[1]]
    return cg, gg


_DRAWS_CHECKED: list = []  # [bool]: whether the compiled draws reproduced NumPy's (checked once per process)


def _compiled_draws(gen: np.random.Generator, b: int, n: int) -> np.ndarray | None:
    lib = _required()
    st = gen.bit_generator.state
    if st.get("bit_generator") != "PCG64":
        return None
    state, inc = int(st["state"]["state"]), int(st["state"]["inc"])
    mask = (1 << 64) - 1
    out = np.empty((b, n))
    code = lib.ll_draw_counts(state >> 64, state & mask, inc >> 64, inc & mask, int(st["has_uint32"]), int(st["uinteger"]), b, n,
                              out.ctypes.data)
    return out if code == 0 else None


def draw_counts(gen: np.random.Generator, b: int, n: int) -> np.ndarray | None:
    """The case counts (b, n) of ``gen.integers(0, n, size=(b, n))`` in C, without the index array.

    The compiled function repeats NumPy's algorithm for these draws (PCG64 and the bounded
    32-bit draws of ``Generator.integers``; see ``ll_draw_counts``). Before its first use in a
    process, its counts of a few resamples are compared with those of NumPy's own draws from
    the same state; where they differ (another NumPy algorithm) or the generator is not PCG64,
    None is returned and the caller draws with NumPy. ``gen`` itself is not advanced.
    """
    if not _DRAWS_CHECKED:
        probe = np.random.default_rng(np.random.SeedSequence(20261201))
        want = np.stack([np.bincount(r, minlength=37) for r in probe.integers(0, 37, size=(5, 37))]).astype(float)
        got = _compiled_draws(np.random.default_rng(np.random.SeedSequence(20261201)), 5, 37)
        _DRAWS_CHECKED.append(got is not None and np.array_equal(got, want))
    if not _DRAWS_CHECKED[0]:
        return None
    return _compiled_draws(gen, b, n)
