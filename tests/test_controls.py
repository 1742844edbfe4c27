"""Controls enter as single-item constructs, categorical ones as dummies, and are never imputed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leanlearn.data.controls import add_controls
from leanlearn.errors import DataError, SpecError
from leanlearn.spec.model import parse_model

MODEL = "X =~ x1 + x2\nY =~ y1 + y2\nY ~ X"


def _data():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((8, 4)), columns=["x1", "x2", "y1", "y2"])
    df["size"] = [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0]
    df["country"] = ["IN", "IN", "BR", "BR", "IN", "MX", "IN", "BR"]
    return df


def test_numeric_and_categorical_controls_become_paths_and_dummies():
    spec, data, excluded = add_controls(parse_model(MODEL), _data(), variables=["size", "country"], targets=["Y"])
    assert [(p.source, p.target) for p in spec.paths] == [("X", "Y"), ("size", "Y"), ("country_BR", "Y"), ("country_MX", "Y")]
    assert "country_IN" not in data.columns  # the most frequent level is the reference
    assert data.country_BR.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]  # row 2 (missing size) dropped
    assert excluded.to_dict("records") == [{"row": 3, "variable": "size", "reason": "control value missing (controls are never imputed)"}]


def test_unknown_control_and_target_are_refused():
    with pytest.raises(DataError, match="not in the data: revenue"):
        add_controls(parse_model(MODEL), _data(), variables=["revenue"], targets=["Y"])
    with pytest.raises(SpecError, match="X not endogenous"):
        add_controls(parse_model(MODEL), _data(), variables=["size"], targets=["X"])
