"""Exceptions and warnings raised by leanlearn (a leaf module: it imports nothing else)."""

from __future__ import annotations


class SpecError(ValueError):
    """A model specification, codebook or config that cannot be used.

    The message names the offending line or key and what to do about it.
    """


class DataError(ValueError):
    """Input data that cannot be used as given.

    The message names the file (when known), the column or row, and the fix.
    """


class ConvergenceError(RuntimeError):
    """The PLS algorithm did not converge within the allowed iterations."""


class ConvergenceWarning(UserWarning):
    """The PLS algorithm stopped at the iteration limit; results may be unreliable."""
