"""The lavaan-style model syntax parses into the right structure, and bad syntax names its line."""

from __future__ import annotations

import pytest

from leanlearn.spec.model import SpecError, parse_model

STUDY = """
# comment line
LP  =~ LP1 + LP2 + LP3   # trailing comment
DIG =~ DIG1 + DIG2 +
       DIG3
LS  <~ LS1 + LS2
OP  =~ OP1
LS ~ LP + DIG + LP:DIG
OP ~ LP + DIG + LS + log_employees
"""


def test_study_model_parses_constructs_modes_paths_and_interactions():
    m = parse_model(STUDY)
    assert m.construct_names == ("LP", "DIG", "LS", "OP", "log_employees", "LP:DIG")
    assert m.construct("DIG").indicators == ("DIG1", "DIG2", "DIG3")  # continuation line
    assert m.construct("LS").mode == "B" and not m.construct("LS").reflective
    assert m.construct("LP").mode == "A" and m.construct("LP").reflective
    assert m.construct("OP").is_single_item
    assert m.construct("log_employees").kind == "observed"
    assert m.interactions[0].terms == ("LP", "DIG")
    assert ("LP:DIG", "LS") in {(p.source, p.target) for p in m.paths}
    assert m.endogenous == ("LS", "OP")
    assert m.predecessors("OP") == ("LP", "DIG", "LS", "log_employees")


def test_to_lavaan_round_trips():
    m = parse_model(STUDY)
    again = parse_model(m.to_lavaan())
    assert again.paths == m.paths
    assert again.constructs == m.constructs


def test_without_interactions_drops_interaction_paths():
    m = parse_model(STUDY).without_interactions()
    assert m.interactions == ()
    assert all(":" not in p.source for p in m.paths)


def test_without_path_drops_constructs_left_unconnected():
    m = parse_model("X =~ x1\nY =~ y1\nZ =~ z1\nY ~ X\nZ ~ Y")
    reduced = m.without_path("X", "Y")
    assert "X" not in reduced.construct_names
    with pytest.raises(SpecError, match="no path Z -> X"):
        m.without_path("Z", "X")


@pytest.mark.parametrize(
    "text,message",
    [
        ("X == a + b", r"line 1: no operator"),
        ("X =~ a + b\nY =~ c\nY ~ X\nX <~ d", r"line 4: construct X is defined with '<~' here but with '=~' on line 1"),
        ("X =~ a + + b\nY =~ c\nY ~ X", r"line 1: empty term"),
        ("X =~ 0.7*a + b\nY =~ c\nY ~ X", r"line 1: '0.7\*a' uses a lavaan modifier"),
        ("X =~\n", r"ends with '~' but nothing follows"),
        ("X =~ a\nY =~ b\nY ~ X\nY ~ X", r"line 4: path X -> Y is already given on line 3"),
        ("X =~ a\nY =~ b", r"no structural equations"),
        ("X =~ a\nY =~ b\nZ =~ c\nY ~ X", r"line 3: construct Z is in no structural path"),
        ("X =~ a\nY =~ b\nY ~ X + X:Q", r"interaction X:Q: 'Q' is not a construct"),
        ("X =~ a\nW =~ w\nY =~ b\nY ~ X + X:W", r"main effect\(s\) W -> Y must also be in the model"),
        ("X =~ a\nY =~ b\nY ~ X\nX ~ Y", r"feedback loop"),
        ("X =~ a\nY =~ b\nY ~ Y", r"line 3: path from Y to itself"),
        ("X =~ a\nY =~ b\nX ~~ Y\nY ~ X", r"line 3: '~~'"),
        ("X =~ a + a\nY =~ b\nY ~ X", r"indicator 'a' listed twice"),
    ],
)
def test_bad_syntax_raises_spec_error_naming_the_line_and_problem(text, message):
    with pytest.raises(SpecError, match=message):
        parse_model(text)
