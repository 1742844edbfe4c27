"""Bootstrap, part 2: resample blocks and the worker pool.

The block layout (:data:`CHUNK` resamples per block), the seeded row indices and case counts
of a block, the per-process state a worker fits its blocks from, the worker processes (forked
children that send their blocks back through a pipe, or a process pool where fork is not
available), the signal handling that lets a worker end with its parent, and their shutdown.
Re-exported by :mod:`leanlearn.pls.bootstrap`.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from leanlearn.pls import kernel
from leanlearn.pls import metrics as mm
from leanlearn.pls.engine import BatchFit, Plan
from leanlearn.pls.moments import CaseFeatures, case_features, fit_jackknife, fit_resamples, moment_form, product_form
from leanlearn.random import generator

CHUNK = 500


# ---- resampling ------------------------------------------------------------------------------
def _chunk_bounds(resamples: int) -> list[tuple[int, int]]:
    return [(a, min(a + CHUNK, resamples)) for a in range(0, resamples, CHUNK)]


def resample_indices(seed: int | np.random.SeedSequence | None, resamples: int, n: int, chunk: int) -> np.ndarray:
    """Row indices (0-based) of the draws in block ``chunk``: shape (draws in block, n).

    Block ``chunk`` draws from ``leanlearn.random.generator(seed, "bootstrap", chunk)``; a
    ``SeedSequence`` seed is an explicit stream whose ``chunk``-th child is used.
    """
    bounds = _chunk_bounds(resamples)
    a, b = bounds[chunk]
    return generator(seed, "bootstrap", chunk).integers(0, n, size=(b - a, n))


def block_counts(seed: int | np.random.SeedSequence | None, resamples: int, n: int, chunk: int) -> np.ndarray:
    """Case counts (draws in block, n) of block ``chunk``: ``resample_counts(resample_indices(...), n)``.

    Where the compiled kernel is installed the counts are tallied as the draws are made
    (:func:`leanlearn.pls.kernel.draw_counts`: the same draws, no index array).
    """
    if kernel.available():
        a, b = _chunk_bounds(resamples)[chunk]
        fast = kernel.draw_counts(generator(seed, "bootstrap", chunk), b - a, n)
        if fast is not None:
            return fast
    return resample_counts(resample_indices(seed, resamples, n, chunk), n)


def resample_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Case counts (B, n) from row indices (B, n)."""
    if kernel.available() and idx.ndim == 2 and idx.shape[1] == n:
        fast = kernel.counts(idx, n)
        if fast is not None:  # None: an index out of range, which bincount reports below
            return fast
    out = np.empty((idx.shape[0], n))
    for i, row in enumerate(idx):  # one bincount per resample stays in the CPU cache
        out[i] = np.bincount(row, minlength=n)
    return out


def _summaries(plan: Plan, fit: BatchFit) -> dict[str, np.ndarray]:
    onehot = plan.final.onehot
    return {
        "paths": fit.paths,
        "outer_weights": fit.weights,
        "outer_loadings": fit.loadings,
        "htmt": kernel.htmt(fit.R, onehot) if kernel.available() and _one_block_each(onehot) else mm.htmt(fit.R, onehot),
        "r_squared": fit.r_squared,
        "failed": fit.failed,
        "converged": fit.converged,
        "iterations": fit.iterations,
    }


def _one_block_each(onehot: np.ndarray) -> bool:
    """Every indicator column in exactly one block (the compiled HTMT's layout)."""
    return bool((onehot.sum(axis=1) == 1).all() and np.isin(onehot, (0, 1)).all())


# per-process state for workers (set by the pool initializer)
_STATE: dict = {}


def _init_worker(
    plan: Plan, X: np.ndarray, seed, resamples: int, parent: int | None = None, weights: np.ndarray | None = None, shared=None
) -> None:
    if parent is not None:
        _default_signals()
        _die_with_parent(parent)
    feats = _STATE.get("feats") if _STATE.get("X") is X else None  # a forked worker keeps its parent's
    _STATE.update(plan=plan, X=X, seed=seed, resamples=resamples, weights=weights, feats=feats, shared=shared)


def _run_claimed(chunks: list[int], n_boot: int, progress=None) -> list[tuple[int, dict[str, np.ndarray]]]:
    """Claim blocks from the shared counter and run them until none is left: [(position, summaries)].

    The counter (``_STATE["shared"]``: next position in ``chunks``, resamples finished) is
    shared by the parent and its worker processes, so whoever is free takes the next block.
    ``progress`` (in the parent) is called with the resamples finished by all processes.
    """
    nxt, finished = _STATE["shared"]
    out: list[tuple[int, dict[str, np.ndarray]]] = []
    while True:
        with nxt.get_lock():
            i = nxt.value
            nxt.value += 1
        if i >= len(chunks):
            return out
        part = _run_chunk(chunks[i])
        out.append((i, part))
        if i < n_boot:
            with finished.get_lock():
                finished.value += part["failed"].shape[0]
                done = finished.value
            if progress:
                progress(done)


def _run_blocks(chunks: list[int], n_boot: int, processes: int, state: tuple, progress=None) -> list[dict[str, np.ndarray]]:
    """Run the blocks ``chunks`` (see :func:`_run_chunk`) in this process and ``processes − 1`` workers.

    ``state`` is (plan, X, seed, resamples, weights). The parent works on blocks too: it
    starts the workers, then claims blocks from the same counter as they do. Returns the
    blocks' summaries in the order of ``chunks``; every block's numbers are the same
    whichever process ran it.

    Where processes can be forked (Linux, macOS) every worker is a forked copy of this
    process that sends its blocks' summaries back through a pipe and ends at once
    (:func:`_forked_worker`); the caller waits for the workers' exits with
    :func:`reap_workers` (the bootstrap does so after its tables, so a worker's exit overlaps
    them). Elsewhere the workers are a spawned process pool.
    """
    plan, X, seed, resamples, wts = state
    ctx = _mp_context()
    shared = (ctx.Value("q", 0), ctx.Value("q", 0))
    _init_worker(plan, X, seed, resamples, weights=wts, shared=shared)
    if processes <= 1:
        try:
            return [part for _, part in _run_claimed(chunks, n_boot, progress)]
        finally:
            _STATE["shared"] = None
    # what every process needs first, made once here: a forked worker inherits it
    if moment_form(plan) or product_form(plan):
        _features()
    one_blas_thread()
    try:
        if _can_fork():
            got = _run_forked(chunks, n_boot, processes - 1, progress)
        else:
            got = _run_pool(chunks, n_boot, processes - 1, ctx, (plan, X, seed, resamples, os.getpid(), wts, shared), progress)
    finally:
        _STATE["shared"] = None
    if progress:
        progress(sum(got[i]["failed"].shape[0] for i in range(n_boot)))
    return [got[i] for i in range(len(chunks))]


def _can_fork() -> bool:
    return hasattr(os, "fork") and _mp_context().get_start_method() == "fork"


_CHILDREN: list[int] = []  # forked workers whose results have arrived, not yet reaped (see reap_workers)


def reap_workers() -> None:
    """Wait for the forked workers of the last :func:`_run_blocks` to end (they end right after
    sending their results; waiting for them lets their exit overlap the caller's work)."""
    while _CHILDREN:
        pid = _CHILDREN.pop()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _forked_worker(chunks: list[int], n_boot: int, parent: int, out: int) -> None:
    """In a forked child: run claimed blocks, pickle ("ok", results) or ("error", exception) to
    the pipe ``out`` and end the process without Python's clean-up (nothing of it is needed)."""
    import pickle

    code = 0
    try:
        _default_signals()
        _die_with_parent(parent)
        payload: tuple = ("ok", _run_claimed(chunks, n_boot))
    except BaseException as err:  # noqa: BLE001  (every error goes to the parent)
        payload, code = ("error", err), 1
    try:
        with os.fdopen(out, "wb") as f:
            try:
                pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001  (an error that cannot be pickled: its text)
                pickle.dump(("error", RuntimeError(repr(payload[1]))), f)
    finally:
        os._exit(code)


def _run_forked(chunks: list[int], n_boot: int, workers: int, progress) -> dict:
    """:func:`_run_blocks` with ``workers`` forked children: {position: summaries}."""
    import pickle

    parent = os.getpid()
    kids: list[tuple[int, int]] = []
    try:
        for _ in range(workers):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child never returns from here
                os.close(r)
                _forked_worker(chunks, n_boot, parent, w)
            os.close(w)
            kids.append((pid, r))
        got = dict(_run_claimed(chunks, n_boot, progress))
        while kids:
            pid, r = kids[0]
            with os.fdopen(r, "rb") as f:
                try:
                    status, value = pickle.load(f)
                except EOFError:  # ended without its results (killed, out of memory)
                    _, code = os.waitpid(pid, 0)
                    kids.pop(0)
                    raise RuntimeError(
                        f"a bootstrap worker process ended without its results (wait status {code}); "
                        "rerun, with fewer --workers if the machine ran out of memory"
                    ) from None
            kids.pop(0)
            _CHILDREN.append(pid)
            if status != "ok":
                raise value
            got.update(value)
        return got
    except BaseException:  # error, Ctrl-C or SIGTERM: stop the workers now
        for pid, r in kids:
            with contextlib.suppress(OSError):
                os.close(r)
            _end(pid)
        for pid in _CHILDREN:
            _end(pid)
        _CHILDREN.clear()
        raise


def _end(pid: int) -> None:
    """End a worker process: SIGTERM, then SIGKILL when it is still there after 5 s; reaped."""
    import signal
    import time

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _run_pool(chunks: list[int], n_boot: int, workers: int, ctx, initargs: tuple, progress) -> dict:
    """:func:`_run_blocks` with a pool of ``workers`` spawned processes: {position: summaries}."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=initargs)
    try:
        futures = [pool.submit(_run_claimed, chunks, n_boot) for _ in range(workers)]
        got = dict(_run_claimed(chunks, n_boot, progress))
        for f in futures:
            got.update(f.result())
    except BaseException:  # error, Ctrl-C or SIGTERM: stop the workers now, do not wait
        _terminate_pool(pool)
        raise
    pool.shutdown(wait=True)
    return got


def _features() -> CaseFeatures:
    """This process's case features of the sample (built once, at the first block)."""
    if _STATE.get("feats") is None:
        _STATE["feats"] = case_features(_STATE["X"])
    return _STATE["feats"]


# --- weighted PLS (case weights): a resample draws cases and carries their weights -----------------
def _weighted(counts: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Case counts of the resamples times the cases' weights (unchanged when unweighted)."""
    return counts if weights is None else counts * weights[None, :]
# --- end weighted PLS ----------------------------------------------------------------------------


def _default_signals() -> None:
    """Let a pool worker die on SIGTERM and leave Ctrl-C to its parent.

    A forked worker inherits the CLI's SIGTERM handler, which raises an exception; the
    pool's worker loop catches every exception of a task and carries on with the next
    queued chunk, so the parent's ``terminate()`` would not stop it. The default action
    (end the process) restores what ``terminate()`` means; SIGINT from the terminal
    reaches the whole process group, and only the parent should act on it.
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _die_with_parent(parent: int) -> None:
    """Make this worker process end when the process that started it dies.

    On Linux the kernel sends SIGKILL to the worker when its parent exits
    (``prctl(PR_SET_PDEATHSIG)``), even when the parent itself was SIGKILLed; elsewhere a
    daemon thread checks the parent pid every second. Either way no bootstrap worker keeps
    running as an orphan.
    """
    import signal
    import sys
    import threading

    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        def watch() -> None:
            import time

            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()


_CONTROLLER: list = []  # threadpoolctl's controller of this process's BLAS libraries, found once


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def one_blas_thread():
    """A context in which BLAS runs one thread.

    Nothing to do when the environment already fixes one thread for OpenBLAS, MKL and
    OpenMP (``BLAS_THREAD_VARIABLES`` all "1", as ``make`` and the benchmarks set them: the
    libraries read them when they load); otherwise ``threadpoolctl`` limits the loaded
    libraries, looked up once per process (a forked worker inherits the parent's lookup).
    """
    if all(os.environ.get(v) == "1" for v in BLAS_THREAD_VARIABLES):
        return contextlib.nullcontext()
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)


def _run_chunk(chunk: int) -> dict[str, np.ndarray]:
    """Block ``chunk`` of the resamples (a non-negative number) or, for ``-1 - j``, block j of the jackknife."""
    plan, X, wts = _STATE["plan"], _STATE["X"], _STATE.get("weights")
    n = X.shape[0]
    with one_blas_thread():
        if chunk < 0:
            a, b = _chunk_bounds(n)[-1 - chunk]
            fit = fit_jackknife(plan, X, np.arange(a, b), _features(), weights=wts)
        else:
            fit = fit_resamples(plan, X, _weighted(block_counts(_STATE["seed"], _STATE["resamples"], n, chunk), wts), _features())
    return _summaries(plan, fit)


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued chunks and end the pool's worker processes at once."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
        if proc.is_alive():  # did not end on SIGTERM: end it for certain
            proc.kill()
            proc.join(timeout=5)


def _mp_context():
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods and os.name == "posix" else "spawn")
