"""Figures: drawn from the result tables, journal-column sized, and byte-reproducible."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from leanlearn.report.figures import (
    COLUMN_WIDTH,
    FIGURES,
    STYLE,
    build_figures,
    conditional_indirect_plot,
    default_positions,
    figure_bytes,
    floodlight_plot,
    forest_plot,
    htmt_heatmap,
    path_diagram,
    simple_slopes_plot,
    stars,
)


def _paths():
    rows = [("LP", "LS", 0.275, 1.9e-5, 0.155, 0.399), ("DIG", "LS", 0.056, 0.43, -0.078, 0.198), ("LP:DIG", "LS", 0.171, 0.016, 0.026, 0.301),
            ("LP", "OP", 0.160, 0.014, 0.036, 0.289), ("DIG", "OP", 0.018, 0.80, -0.127, 0.160), ("LS", "OP", 0.416, 8e-10, 0.289, 0.541),
            ("firm_age", "LS", -0.066, 0.31, -0.19, 0.06)]
    return pd.DataFrame(rows, columns=["source", "target", "estimate", "p_value", "ci_lower", "ci_upper"])


def _grid(kind):
    w = np.round(np.arange(-2, 2.0001, 0.05), 2)
    est = 0.114 + 0.071 * w
    df = pd.DataFrame({"moderator_value": w, "estimate": est, "ci_lower": est - 0.08, "ci_upper": est + 0.08})
    df["significant"] = (df.ci_lower > 0) | (df.ci_upper < 0)
    if kind == "flood":
        df.insert(0, "target", "LS")
        df.insert(0, "moderator", "DIG")
        df.insert(0, "focal", "LP")
        df.insert(0, "interaction", "LP:DIG")
    else:
        df.insert(0, "moderator", "DIG")
        df.insert(0, "path", "LP -> LS -> OP")
    return df


def _slopes():
    return pd.DataFrame({"interaction": "LP:DIG", "focal": "LP", "moderator": "DIG", "target": "LS", "moderator_value": [-1.0, 0.0, 1.0],
                         "estimate": [0.104, 0.275, 0.446], "ci_lower": [-0.07, 0.155, 0.257], "ci_upper": [0.294, 0.399, 0.634], "p_value": [0.26, 1e-5, 1e-5]})


def _hypotheses():
    return pd.DataFrame({"hypothesis": ["H1", "H4a", "H4b"], "direction": ["positive", "none", "positive"],
                         "quantity": ["LP -> LS", "DIG -> LS -> OP", "(LP -> LS -> OP) minus (DIG -> LS -> OP)"],
                         "estimate": [0.275, 0.023, 0.091], "ci_lower": [0.155, -0.033, 0.001], "ci_upper": [0.399, 0.085, 0.19],
                         "verdict": ["supported", "supported", "not supported"]})


def _htmt():
    names = ["LP", "DIG", "LS"]
    m = pd.DataFrame([[None, 0.30, 0.27], [0.30, None, 0.15], [0.27, 0.15, None]], columns=names)
    m.insert(0, "construct", names)
    return m


def _all_results():
    jn = pd.DataFrame([{"interaction": "LP:DIG", "focal": "LP", "moderator": "DIG", "target": "LS", "boundary": -0.735, "grid_min": -2, "grid_max": 2,
                        "significant_share": 0.68, "significant_from": -0.7, "significant_to": 2.0}])
    return {"paths": _paths(), "r_squared": pd.DataFrame({"construct": ["LS", "OP"], "r_squared": [0.128, 0.241], "r_squared_adj": [0.107, 0.223]}),
            "settings": {"controls": ["firm_age"]}, "htmt": _htmt(), "simple_slopes": _slopes(), "floodlight": _grid("flood"), "johnson_neyman": jn,
            "conditional_indirect_grid": _grid("cie"), "hypotheses": _hypotheses()}


def test_stars():
    assert [stars(p) for p in (0.0005, 0.005, 0.03, 0.2, float("nan"))] == ["***", "**", "*", "", ""]


def test_style_is_journal_column_sized():
    assert COLUMN_WIDTH == 3.5
    assert 8 <= STYLE["font.size"] <= 9
    assert STYLE["svg.hashsalt"] and STYLE["pdf.fonttype"] == 42


def test_default_layout_puts_outcomes_right_mediators_up_moderators_on_top():
    pos = default_positions(_paths(), exclude=["firm_age"])
    assert set(pos) == {"LP", "DIG", "LS", "OP"}
    assert pos["LP"][0] < pos["LS"][0] < pos["OP"][0]
    assert pos["LS"][1] > pos["LP"][1] == pos["OP"][1]  # the direct path LP -> OP runs under the mediator
    assert pos["DIG"][1] > pos["LS"][1]
    assert pos["LP"][0] < pos["DIG"][0] < pos["LS"][0]  # above the middle of the path it moderates


def test_path_diagram_labels_estimates_and_leaves_out_controls():
    fig = path_diagram(_paths(), r_squared=_all_results()["r_squared"], exclude=["firm_age"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "0.275***" in texts and "0.416***" in texts and "0.056" in texts
    assert any("LP × DIG\n0.171*" == t for t in texts)
    assert any(t.startswith("LS\nR² = 0.128") for t in texts)
    assert not any("firm_age" in t for t in texts)
    assert fig.get_figwidth() == pytest.approx(COLUMN_WIDTH)


def test_htmt_heatmap_shows_ratios_and_upper_bounds():
    bounds = pd.DataFrame([{"construct_a": "LP", "construct_b": "DIG", "estimate": 0.30, "upper_bound": 0.41}])
    fig = htmt_heatmap(_htmt(), upper_bounds=bounds, threshold=0.85)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "0.300\n[0.410]" in texts and "0.270" in texts


def test_conditional_effect_figures_draw_bands_and_regions():
    r = _all_results()
    for fig in (simple_slopes_plot(r["simple_slopes"], paths=r["paths"]), floodlight_plot(r["floodlight"], johnson_neyman=r["johnson_neyman"]),
                conditional_indirect_plot(r["conditional_indirect_grid"], johnson_neyman=r["johnson_neyman"])):
        ax = fig.axes[0]
        assert ax.collections, "no band drawn"
        assert fig.get_figwidth() == pytest.approx(COLUMN_WIDTH)
    labels = [t.get_text() for t in simple_slopes_plot(r["simple_slopes"]).axes[0].get_legend().get_texts()]
    assert labels == ["DIG −1 SD: slope 0.104", "DIG mean: slope 0.275***", "DIG +1 SD: slope 0.446***"]


def test_forest_plot_has_one_row_per_hypothesis():
    fig = forest_plot(_hypotheses())
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == 3 and ticks[0].startswith("H1")


def test_absent_inputs_give_placeholders_not_numbers():
    figs = build_figures({})
    assert set(figs) == set(FIGURES)
    for name, (fig, ok) in figs.items():
        assert not ok
        assert "not available" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_figure_bytes_are_reproducible_and_carry_no_dates(fmt, magic):
    r = _all_results()
    a = figure_bytes(FIGURES["path_diagram"].build(r, {}), fmt)
    b = figure_bytes(FIGURES["path_diagram"].build(r, {}), fmt)
    assert a.startswith(magic)
    assert a == b
    if fmt == "svg":
        assert b"<dc:date>" not in a and b"Matplotlib v" not in a
    if fmt == "pdf":
        assert b"CreationDate" not in a and b"Producer" not in a
    if fmt == "png":
        assert b"Software" not in a


def test_figure_bytes_are_identical_in_a_fresh_process():
    code = (
        "import hashlib, sys; sys.path.insert(0, {tests!r}); from test_figures import _all_results; "
        "from leanlearn.report.figures import FIGURES, figure_bytes; r = _all_results(); "
        "print(' '.join(hashlib.sha256(figure_bytes(FIGURES[n].build(r, {{}}), f)).hexdigest() for n in ('forest', 'htmt') for f in ('png', 'svg', 'pdf')))"
    ).format(tests=str(__import__("pathlib").Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    r = _all_results()
    here = [hashlib.sha256(figure_bytes(FIGURES[n].build(r, {}), f)).hexdigest() for n in ("forest", "htmt") for f in ("png", "svg", "pdf")]
    assert out == here


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="gif"):
        figure_bytes(forest_plot(_hypotheses()), "gif")


def test_bootstrap_distributions_draw_one_panel_per_hypothesis_with_its_interval():
    from leanlearn.report.figures import bootstrap_distributions_plot

    hyp = _hypotheses()
    rng = np.random.default_rng(1)
    draws = pd.DataFrame({"resample": np.arange(1, 301), **{h: rng.normal(e, 0.05, 300) for h, e in zip(hyp.hypothesis, hyp.estimate)}})
    fig = bootstrap_distributions_plot(draws, hyp)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == len(hyp)
    for ax, row in zip(panels, hyp.itertuples()):
        assert ax.get_title(loc="left").startswith(f"{row.hypothesis}:")
        xs = sorted(round(line.get_xdata()[0], 12) for line in ax.get_lines())
        assert xs == sorted(round(v, 12) for v in (row.estimate, row.ci_lower, row.ci_upper, 0.0))
