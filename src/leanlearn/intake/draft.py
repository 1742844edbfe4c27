"""Draft a study folder from a survey export (``leanlearn init``).

:func:`classify_columns` looks at every column of a raw export (as read by
:func:`leanlearn.data.ingest.read_export`) and guesses what it is; :func:`draft_study`
turns that guess into the texts of a draft codebook, model skeleton and config. The user
edits the draft; ``leanlearn check`` then validates it against the data. Nothing here
reads or writes files, and no cell value of a column that may hold personal data ever
appears in an output (only counts).

What is guessed, and from what
------------------------------
identifier
    the respondent id: a column named like ``ResponseId``, ``CASE``, ``id``,
    ``respondent_id`` whose values are unique.
paradata
    start/end/submission times, duration, progress, finished flag, wave, by name
    (Qualtrics, SoSci Survey and LimeSurvey spellings); Qualtrics page timers
    (``Q2_timer_Page Submit``) are tied to the items of the block with the same prefix.
    Other survey-tool bookkeeping (``Status``, ``UserLanguage``, click counts ...) is listed
    as ``ignore``.
personal
    e-mail addresses, IP addresses, names, phone numbers, locations and free text, by
    column name *and* by content (share of cells that look like an e-mail or IP address;
    text of several words with mostly distinct values). Action ``drop`` (``hash`` keeps a
    salted pseudonym instead, see ``docs/methods.md``).
item
    a column whose cells are all whole numbers on a short range (at most 11 codes, e.g.
    1-5, 1-7, 0-10) and whose name has a block prefix and an item number: ``BF01_01``,
    ``Q2_1``, ``csor_3``, ``LP4``. Items sharing a prefix form one item group, drafted as
    one construct. Codes far outside the others (negative codes such as -99 or -9, or 90
    and above on a short scale) are taken as missing-value codes, not as scale points.
scale
    from the observed codes of the group (or the SPSS/Stata value labels when present).
reverse-keyed (suggested)
    within a group of at least three items: the item with the most negative corrected
    item-rest correlation is flipped, and so on until no item-rest correlation is below
    zero. Each flipped item is drafted as ``reverse: true`` with a ``CHECK`` comment giving
    its item-rest correlation, listed in the summary: the wording must confirm it.
covariate
    demographics and other questions that are not items (``age``, ``gender``, a single
    question ``Q12`` ...): categorical when text or when it has value labels or few codes,
    numeric otherwise. Covariates can be controls and grouping variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from leanlearn.intake.columns import (  # noqa: F401  (COLUMNS, classify_columns, suspect_reverse, question_texts re-exported)
    _MISSING_LABEL_RE, _NAME_OK, COLUMNS, _numeric, classify_columns, question_texts, suspect_reverse,
)  # fmt: skip

__all__ = ["COLUMNS", "Draft", "classify_columns", "suspect_reverse", "draft_study", "question_texts"]


# ---- the draft -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Draft:
    """A drafted study: file texts and what was guessed.

    Attributes
    ----------
    columns : DataFrame
        :func:`classify_columns`, plus ``reverse_suspected`` (bool) and ``item_rest_r``.
    codebook, model, config : str
        Texts of ``codebook.yaml``, ``model.lav`` and ``config.yaml`` (YAML with comments).
    todo : tuple of str
        What the user must do or check before the study can run, in order.
    """

    columns: pd.DataFrame
    codebook: str
    model: str
    config: str
    todo: tuple[str, ...]


def _q(text: object) -> str:
    """A YAML double-quoted scalar (of any cell: it is written as text)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _split_stem(texts: list[str]) -> tuple[str, list[str]]:
    """Qualtrics matrix texts 'Stem - Statement': common stem and the statements."""
    parts = [t.rsplit(" - ", 1) for t in texts]
    stems = {p[0] if len(p) == 2 else None for p in parts}
    if len(stems) == 1 and None not in stems and texts:
        return parts[0][0], [p[1] for p in parts]
    return "", texts


def _construct_name(prefix: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", prefix).upper()
    if not _NAME_OK.match(base):
        base = "C_" + base
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def draft_study(raw: pd.DataFrame, info: Mapping | None = None, *, texts: Mapping[str, str] | None = None,
                survey: str = "data/export.csv", name: str = "my_study") -> Draft:
    """Draft a codebook, model skeleton and config for a survey export.

    Parameters
    ----------
    raw : DataFrame
        The export (:func:`leanlearn.data.ingest.read_export`).
    info : mapping, optional
        :func:`leanlearn.data.ingest.read_info` (format, value labels, header rows dropped).
    texts : mapping, optional
        Column -> question text (:func:`question_texts`).
    survey : str
        Path of the export as the config should name it (relative to the study folder).
    name : str
        Study name (used in comments and the ``study:`` entry).

    Returns
    -------
    Draft
        Checked on Qualtrics-like, plain CSV and SPSS exports in ``tests/test_init.py``:
        item groups, scales, reverse-keyed suggestions, personal columns and paradata.
    """
    info = dict(info or {})
    texts = dict(texts or {})
    cols = classify_columns(raw, info, texts)
    cols["reverse_suspected"] = False
    cols["item_rest_r"] = np.nan
    items = cols[cols.kind == "item"]
    groups = list(dict.fromkeys(items.group))
    taken: set[str] = set(items.name)
    construct_of = {g: _construct_name(g, taken) for g in groups}
    todo: list[str] = []
    scale_defs, group_scale = _draft_scales(items, groups, info.get("value_labels") or {})
    _mark_reverse_keyed(raw, cols, items, groups, scale_defs, group_scale)
    codebook = _codebook_text(cols, items, groups, construct_of, scale_defs, group_scale, info, name=name, survey=survey, todo=todo)
    model = _model_text(items, groups, construct_of, name=name)
    todo.append("model.lav: write the structural paths (the draft has only the measurement model)")
    todo.append("codebook.yaml: give every construct a label (and check items, scales and personal data)")
    config = _config_text(name=name, survey=survey, covariates=list(cols[cols.kind == "covariate"].name))
    todo.append("config.yaml: state the hypotheses; choose controls and a grouping variable if you want them")
    return Draft(columns=cols, codebook=codebook, model=model, config=config, todo=tuple(todo))


def _draft_scales(items: pd.DataFrame, groups: list[str], value_labels: Mapping) -> tuple[list[tuple[str, int, int, dict]], dict[str, str]]:
    """One scale per distinct code range (and label set) of the item groups: (name, min, max, labels) and group -> scale."""
    scale_names: dict[tuple, str] = {}
    group_scale: dict[str, str] = {}
    scale_defs: list[tuple[str, int, int, dict]] = []
    for g in groups:
        gi = items[items.group == g]
        lo_hi = [tuple(int(v) for v in c.split("-")) if not c.startswith("-") else None for c in gi.codes]
        lo = min(p[0] for p in lo_hi if p)
        hi = max(p[1] for p in lo_hi if p)
        labels = {}
        first_labels = value_labels.get(gi.column.iloc[0]) or {}
        if first_labels and all((value_labels.get(c) or {}) == first_labels for c in gi.column):
            labels = {int(k): str(v) for k, v in first_labels.items()
                      if isinstance(k, (int, float)) and float(k).is_integer() and lo <= k <= hi and not _MISSING_LABEL_RE.search(str(v))}
            if labels:
                lo, hi = min(lo, min(labels)), max(hi, max(labels))
        key = (lo, hi, tuple(sorted(labels.items())))
        if key not in scale_names:
            base = f"scale_{lo}_{hi}"
            nm = base if base not in {s[0] for s in scale_defs} else f"{base}_{len(scale_defs) + 1}"
            scale_names[key] = nm
            scale_defs.append((nm, lo, hi, labels))
        group_scale[g] = scale_names[key]
    return scale_defs, group_scale


def _mark_reverse_keyed(raw: pd.DataFrame, cols: pd.DataFrame, items: pd.DataFrame, groups: list[str],
                        scale_defs: list[tuple[str, int, int, dict]], group_scale: dict[str, str]) -> None:
    """Fill ``item_rest_r`` and ``reverse_suspected`` of ``cols`` for every group of at least three items."""
    for g in groups:
        gi = items[items.group == g]
        if len(gi) < 3:
            continue
        block = pd.DataFrame({c: _numeric(raw[c]) for c in gi.column})
        lo, hi = next((s[1], s[2]) for s in scale_defs if s[0] == group_scale[g])
        block = block.where((block >= lo) & (block <= hi))
        rev = suspect_reverse(block)
        for item, item_rest_r, suspected in zip(rev["item"], rev["item_rest_r"], rev["suspected"]):
            idx = cols.index[cols.column == item][0]
            cols.loc[idx, "item_rest_r"] = item_rest_r
            if suspected:
                cols.loc[idx, "reverse_suspected"] = True
                cols.loc[idx, "note"] = f"{cols.loc[idx, 'note']}; SUSPECTED REVERSE-KEYED (item-rest r = {item_rest_r:.2f}): check its wording"


def _codebook_text(cols: pd.DataFrame, items: pd.DataFrame, groups: list[str], construct_of: dict[str, str],
                   scale_defs: list[tuple[str, int, int, dict]], group_scale: dict[str, str], info: Mapping, *,
                   name: str, survey: str, todo: list[str]) -> str:
    """The text of the draft ``codebook.yaml``; what the user must decide is appended to ``todo``."""
    dropped = info.get("header_rows_dropped") or []
    fmt = "qualtrics" if "ImportId" in dropped or "question text" in dropped else "plain"
    L = _codebook_head(name=name, survey=survey, fmt=fmt)
    L += _identity_lines(cols[cols.kind == "identifier"], cols[cols.kind == "personal"], todo)
    L += _paradata_lines(cols[cols.kind == "paradata"], cols[cols.kind == "page_timer"], items)
    L += _scale_lines(scale_defs)
    L += _construct_lines(cols, groups, construct_of, group_scale, todo)
    L += _covariate_lines(cols[cols.kind == "covariate"])
    L += ["", "# Instructed-response (attention) checks, if the survey had any, e.g.",
          "# attention_checks:",
          "#   - {id: ATT1, column: Q2_9, expected: 3, scale: scale_1_7, text: \"Please select 'Somewhat disagree'.\"}",
          "attention_checks: []", ""]
    return "\n".join(L)


def _codebook_head(*, name: str, survey: str, fmt: str) -> list[str]:
    return [
        f"# Codebook of {name} (drafted by `leanlearn init` from {survey}).",
        "#",
        "# It tells leanlearn how to read the raw export: which column holds which item, the",
        "# scale of each item, reverse-keyed items, attention checks, paradata, identifiers,",
        "# personal data and covariates. Everything below is a GUESS from the column names and",
        "# codes: read it through, fix it, then run `leanlearn check` on the study folder.",
        "# Lines marked CHECK need a decision.",
        f"study: {_q('TODO: one sentence on what the study is about (population, setting).')}",
        "",
        "# What one row (case) of the data is; used in every generated sentence.",
        "unit: {name: respondent, plural: respondents}",
        "",
        f"source_format: {fmt}        # qualtrics (two extra header rows after the column names) | plain",
        "",
        "identifiers:",
    ]


def _identity_lines(ident: pd.DataFrame, personal: pd.DataFrame, todo: list[str]) -> list[str]:
    """The respondent id and the personal-data columns."""
    L = []
    if len(ident):
        L.append(f"  respondent_id: {_q(ident.column.iloc[0])}   # unique per response")
    else:
        L.append('  respondent_id: "TODO"   # CHECK: no unique id column found; add one to the export (row numbers will not survive re-exports)')
        todo.append("codebook.yaml identifiers.respondent_id: no unique response id column was found; add one to the export")
    L += ["", "# Columns that identify a person: removed (drop) or replaced by a salted SHA-256 hash (hash)",
          "# before anything is written. Found by column name and by content; add any the draft missed."]
    if len(personal):
        L.append("personal_data:")
        for r in personal.itertuples():
            L.append(f"  - {{column: {_q(r.column)}, action: {r.action}, kind: {r.name}}}   # {str(r.note).split(';')[0]}")
    else:
        L.append("personal_data: []")
    return L


def _paradata_lines(para: pd.DataFrame, timers: pd.DataFrame, items: pd.DataFrame) -> list[str]:
    """The paradata columns and the page timers with the items of their page."""
    L = ["", "# Survey-tool paradata (optional; the screening indices that need them are skipped without)."]
    if not (len(para) or len(timers)):
        return L + ["paradata: {}"]
    L.append("paradata:")
    for r in para.itertuples():
        L.append(f"  {r.name}: {_q(r.column)}")
    tl = []
    for r in timers.itertuples():
        grp_items = [it for it, g in zip(items.name, items.group) if g == r.name]
        if grp_items:
            tl.append(f"    - {{column: {_q(r.column)}, items: [{', '.join(grp_items)}]}}")
    if tl:
        L.append("  # page-submit timers and the items shown on that page (page-time speeding index)")
        L.append("  page_timers:")
        L += tl
    return L


def _scale_lines(scale_defs: list[tuple[str, int, int, dict]]) -> list[str]:
    L = ["", "# Answer scales, from the codes observed in the export. CHECK the end points: a scale whose",
         "# highest point nobody chose looks shorter than it is.", "scales:"]
    for nm, lo, hi, labels in scale_defs:
        L.append(f"  {nm}:")
        L.append(f"    min: {lo}")
        L.append(f"    max: {hi}")
        if labels:
            L.append("    labels: {" + ", ".join(f"{k}: {_q(v)}" for k, v in sorted(labels.items())) + "}")
    return L


def _construct_lines(cols: pd.DataFrame, groups: list[str], construct_of: dict[str, str], group_scale: dict[str, str],
                     todo: list[str]) -> list[str]:
    """One construct per item group, its items with their texts and the reverse-keyed suggestions."""
    L = ["", "# One construct per item group (columns with the same prefix). Rename constructs and items",
         "# freely (the model uses the names given here), give each a label, merge or split groups,",
         "# and set `role: marker` on a marker-variable block.", "constructs:"]
    for g in groups:
        gi = cols[(cols.kind == "item") & (cols.group == g)]
        stem, stmts = _split_stem([t for t in gi.label])
        L.append(f"  {construct_of[g]}:")
        L.append(f"    label: {_q('TODO: name of the construct measured by ' + g)}")
        L.append(f"    scale: {group_scale[g]}")
        if stem:
            L.append(f"    stem: {_q(stem)}")
        L.append("    items:")
        for r, text in zip(gi.itertuples(), stmts):
            entry = f"      - {{id: {r.name}, column: {_q(r.column)}"
            if r.reverse_suspected:
                entry += ", reverse: true"
            entry += f", text: {_q(text or 'TODO: item wording')}}}"
            if r.reverse_suspected:
                entry += f"   # CHECK: suggested reverse-keyed (item-rest r = {r.item_rest_r:.2f} before recoding); confirm from the wording"
                todo.append(f"codebook.yaml constructs.{construct_of[g]}: {r.name} suggested reverse-keyed (item-rest r = {r.item_rest_r:.2f}); confirm from its wording or remove 'reverse: true'")
            L.append(entry)
    if not groups:
        L.append("  {}   # CHECK: no item groups found; list your constructs and items here")
        todo.append("codebook.yaml constructs: no item groups were recognised; list the constructs and their item columns")
    return L


def _covariate_lines(covs: pd.DataFrame) -> list[str]:
    L = ["", "# Survey covariates kept by ingest (demographics, characteristics asked in the questionnaire).",
         "# They can be controls (config.yaml controls.variables), grouping variables (robustness.groups.column)",
         "# and moderators. Remove the ones you do not need."]
    if not len(covs):
        return L + ["covariates: {}"]
    L.append("covariates:")
    for r in covs.itertuples():
        typ = "categorical" if str(r.note).startswith("categorical") else "numeric"
        lab = f", text: {_q(r.label)}" if r.label else ""
        L.append(f"  {r.name}: {{column: {_q(r.column)}, type: {typ}{lab}}}   # {r.codes}")
    return L


def _model_text(items: pd.DataFrame, groups: list[str], construct_of: dict[str, str], *, name: str) -> str:
    """The draft ``model.lav``: the measurement model of every item group and a hint for the paths."""
    M = [f"# Model of {name} in lavaan-style syntax (drafted by `leanlearn init`).",
         "#   =~  reflective measurement (Mode A)      <~  formative (Mode B)",
         "#   ~   structural paths                      X:Z an interaction of X and Z",
         "# One construct per item group of the codebook; drop the ones that are not in the model.", ""]
    for g in groups:
        gi = items[items.group == g]
        M.append(f"{construct_of[g]} =~ " + " + ".join(gi.name))
    M += ["", "# TODO: write the structural paths, e.g.", "#   " + (f"{construct_of[groups[-1]]} ~ " + " + ".join(construct_of[g] for g in groups[:-1]) if len(groups) > 1 else "Y ~ X"), ""]
    return "\n".join(M)


def _config_text(*, name: str, survey: str, covariates: list[str]) -> str:
    cov = ", ".join(covariates[:2])
    return CONFIG_TEMPLATE.format(name=name, survey=_q(survey), covariates=", ".join(covariates) or "none found",
                                  example_controls=cov or "age")


CONFIG_TEMPLATE = """\
# Configuration of {name} (drafted by `leanlearn init`). Every key is documented; defaults and
# their sources are in docs/methods.md. Paths are relative to this file's folder.
# Run `leanlearn check` on this folder after editing.

# ---- inputs -------------------------------------------------------------------------------
survey: {survey}                 # the raw export (CSV, XLSX, SAV, DTA)
codebook: codebook.yaml          # what each column is
model: model.lav                 # the model in lavaan-style syntax
# manuscript: manuscript.md      # your own manuscript template; leave out for the generic results paper
# archival: data/firms.csv       # optional: archival data, one row per unit, joined on identifiers
# sampling_frame: data/frame.csv # optional: everyone invited (respondents and non-respondents)
seed: 1                          # one seed for everything random

# ---- personal data --------------------------------------------------------------------------
salt_file: .leanlearn_salt       # hashing salt (or the environment variable LEANLEARN_SALT)

# ---- screening (docs/methods.md, "Screening") -----------------------------------------------
screening:
  require_finished: true                # incomplete responses (finished = 0) are excluded
  min_progress: 100                     # percent completed required
  duplicates:
    keep: first                         # first | last | most_complete: which of duplicate responses is kept
  seconds_per_item_hard: 1.0            # Wood et al. 2017: below this on any page -> excluded
  seconds_per_item_flag: 2.0            # Huang et al. 2012: page-time flag
  longstring_block_all_identical: true  # the same answer on every item of every block -> excluded
  longstring_percentile: 0.95           # longest run at or above this percentile -> flag
  irv_flag_tails: 0.025                 # intra-individual response variability, both tails -> flag
  mahalanobis_alpha: 0.001              # chi-square tail probability -> flag
  evenodd_flag_below: 0.30              # even-odd consistency (Johnson 2005) -> flag
  evenodd_min_items: 4                  # scales with fewer items are left out of even-odd
  psychsyn_critval: 0.60                # psychometric synonyms (Meade & Craig 2012)
  psychsyn_min_pairs: 5                 # fewer synonym pairs -> index skipped with a note
  psychsyn_flag_below: 0.0              # within-person synonym correlation below this -> flag
  attention_fail_hard: true             # failing an attention check -> excluded (when the survey has checks)
  attention_fail_min: 1                 # checks failed to count as failing
  attention_missing_is_fail: true       # an unanswered check counts as failed
  max_case_missing_share: 0.15          # Hair et al.: responses missing more items are excluded
  max_item_missing_share: 0.20          # items missing more often are reported and dropped
  knowledge_below_midpoint: flag        # flag | exclude | ignore (key-informant knowledge, when asked)
  exclude_if_n_flags_at_least: 2        # soft flags needed for exclusion

missing:
  treatment: mean                       # mean | listwise | iterative (model-based imputation)
  mean_replacement_max_item_missing: 0.05   # warn above this share (refuse when strict)
  strict: false                         # true: refuse mean replacement above that share
  alternative: iterative                # the treatment of the sensitivity table

# ---- controls -----------------------------------------------------------------------------
# Covariates declared in codebook.yaml (found: {covariates}) or archival variables.
controls:
  variables: []                         # e.g. [{example_controls}]
  targets: []                           # endogenous constructs that receive every control
  categorical: []                       # controls entered as dummies (reference = most frequent level)

# ---- bias checks (docs/methods.md, "Bias checks") -------------------------------------------
bias:
  full_collinearity_vif_max: 3.3        # Kock 2015
  harman_first_factor_max: 0.50         # reported only; weak evidence (Aguirre-Urreta & Hu 2019)
  harman_factors: kaiser                # kaiser | an integer
  tost_margin_sd: 0.3                   # equivalence margin (SD units), early vs late respondents
  early_late: auto                      # auto | wave | quartile (of submission time)
  early_late_quantile: 0.25             # share of earliest / latest respondents compared
  marker_rule: smallest                 # Lindell & Whitney 2001: smallest | second_smallest
  alpha: 0.05                           # significance level of the bias tests
  ci_level: 0.95                        # confidence level of their intervals
  permutations: 2000                    # permutation p of chi-square tests with sparse cells

# ---- measurement model (docs/methods.md, "Measurement") -------------------------------------
measurement:
  loading_min: 0.708                    # Hair et al. 2019
  loading_drop_below: 0.40              # Hair et al. 2019
  alpha_min: 0.70                       # Cronbach's alpha (Hair et al. 2019)
  rho_a_min: 0.70                       # Dijkstra & Henseler 2015
  rho_c_range: [0.70, 0.95]             # Hair et al. 2019
  ave_min: 0.50                         # Fornell & Larcker 1981
  htmt_max: 0.85                        # Henseler, Ringle & Sarstedt 2015
  htmt_similar_max: 0.90                # HTMT for conceptually similar constructs
  htmt_similar_pairs: []                # pairs of constructs judged conceptually similar
  htmt_upper_quantile: 0.95             # one-sided bootstrap upper bound of HTMT
  formative_vif_max: 5.0                # Hair et al. 2019

# ---- structural model (docs/methods.md, "Structural model") ---------------------------------
structural:
  vif_max: 5.0                          # inner VIF (Hair et al. 2019; ideally below 3)
  f_squared_cutoffs: [0.02, 0.15, 0.35] # Cohen 1988: small, medium, large
  srmr_max: 0.08                        # Henseler et al. 2016 (model fit, reported with caution)

# ---- estimation ---------------------------------------------------------------------------
estimation:
  scheme: path                          # path | centroid | factorial
  interaction: two_stage                # two_stage | product_indicator | orthogonal
  consistent: false                     # PLSc for reflective constructs
  max_iterations: 300                   # iterations of the PLS algorithm at most
  tolerance: 1.0e-7                     # stop criterion: sum of absolute weight changes
bootstrap:
  resamples: 10000                      # Hair et al. 2019
  ci_level: 0.95                        # percentile intervals
  workers: 2                            # processes (results identical for any number)

# ---- hypotheses ---------------------------------------------------------------------------
# test: path | indirect | indirect_difference | interaction | moderated_mediation | conditional_indirect
# direction: positive | negative | nonzero | none (a hypothesis of no effect)
# Uncomment and write one entry per hypothesis (leanlearn check verifies them against the model):
# hypotheses:
#  - id: H1
#    statement: X is positively related to Y.
#    test: path
#    source: X
#    target: Y
#    direction: positive

# ---- robustness ---------------------------------------------------------------------------
robustness:
  cfa: {{cfi_min: 0.95, tli_min: 0.95, rmsea_max: 0.06, rmsea_acceptable_max: 0.08, srmr_max: 0.08}}   # Hu & Bentler 1999
  multiverse_resamples: 10000           # per variant
  predict: {{folds: 10, repetitions: 10, technique: direct, benchmark: paired}}   # Shmueli et al. 2019; docs/robustness.md
  copula_resamples: 2000                # Gaussian copulas (Park & Gupta 2012)
  micom_permutations: 5000              # Henseler, Ringle & Sarstedt 2016 (not adjusted; docs/groups.md)
  mga_p_adjust: holm                    # across the whole family of group comparisons
  # groups:                             # MICOM and multigroup analysis (none without this key)
  #   column: gender                    # a categorical covariate; each level is a group
  #   clusters: {{Women: [female], Men: [male]}}   # optional: merge levels into groups

# ---- power ----------------------------------------------------------------------------------
power:
  n_grid: [100, 200, 400]               # sample sizes simulated
  blocks: 2                             # jobs per sample size
  replications_per_block: 50            # replications per job
  resamples: 200                        # bootstrap resamples per replication
  ci_level: 0.95                        # interval of the simulated tests
  target_power: 0.80                    # power sought (smallest N reaching it is reported)
  population:
    source: grid                        # grid: a priori effect sizes, one scenario per level (docs/power.md);
                                        # estimates: the fitted model's own (post-hoc power); effects: paths below
    grid:                               # Cohen's f2 for every path; smaller levels for interaction paths
      - {{label: small, f2: 0.02, f2_interaction: 0.005}}    # Cohen 1988; interactions: Kenny 2018
      - {{label: medium, f2: 0.15, f2_interaction: 0.01}}    # (moderating effects are small: Aguinis et al. 2005)
      - {{label: large, f2: 0.35, f2_interaction: 0.025}}    # replace with values from prior studies when known
"""
