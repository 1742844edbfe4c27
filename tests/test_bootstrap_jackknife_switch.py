"""bootstrap(..., jackknife=False) gives the same percentile numbers and no BCa (NaN)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import leanlearn as ll
from leanlearn.effects import algebra as fx


def test_without_the_jackknife_percentile_results_are_unchanged_and_bca_is_nan():
    res = ll.estimate(ll.datasets.load("corp_rep"), ll.datasets.model("corp_rep"), missing_value=-99)
    full = ll.bootstrap(res, resamples=200, seed=7)
    lean = ll.bootstrap(res, resamples=200, seed=7, jackknife=False, workers=2)
    assert full.bca_available and not lean.bca_available and lean.path_jackknife is None
    pct = ["estimate", "bootstrap_mean", "std_error", "t_value", "p_value", "ci_lower", "ci_upper", "n_resamples"]
    for family in ("paths", "outer_loadings", "htmt", "total_indirect_effects", "indirect_effects"):
        a, b = full.table(family), lean.table(family)
        pd.testing.assert_frame_equal(a[pct], b[pct])
        assert b[["bca_lower", "bca_upper", "bca_p_value"]].isna().all().all()
        assert a[["bca_lower", "bca_upper"]].notna().all().all()
    func = lambda P: fx.total_effects(P)[..., 0, -1:]  # noqa: E731
    p, q = full.derived_test(func), lean.derived_test(func)
    assert p == q
    bca = lean.derived_test(func, method="bca")
    assert np.isnan([bca["lower"], bca["upper"], bca["p_value"]]).all() and bca["estimate"] == p["estimate"]
