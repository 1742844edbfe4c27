"""Careless-response screening: indices per response, flags, the exclusion decision.

Input is the ingested survey (canonical columns, see :mod:`leanlearn.spec.codebook`): item
ids with reverse-keyed items already reverse-scored, attention-check ids, paradata
(``finished``, ``progress``, ``recorded``, ``page_seconds_<k>``), ``ki_knowledge``.

Indices (each a pure function; :func:`screen` runs them all)
------------------------------------------------------------
================  ======================================================  ===============
index             what it measures                                        data used
================  ======================================================  ===============
completion        ``finished`` = 1 and ``progress`` >= min_progress       paradata
duplicates        same respondent id; identical answers; same firm        ids, answers
page time         seconds per item on each page (:func:`page_time`)       page timers
attention         instructed-response items answered as instructed        attention ids
longstring        longest run of identical consecutive answers            as answered
identical         one and the same answer on every substantive item       as answered
IRV               within-person SD across items (:func:`irv`)             as answered
Mahalanobis       D² from the EM mean/covariance, p from chi2(p_i)        keyed
even-odd          Spearman-Brown corrected even/odd half correlation      keyed
psychsyn          within-person r over highly correlated item pairs       keyed
knowledge         key-informant knowledge below the scale midpoint        ``ki_knowledge``
case missing      share of construct items missing                        items
================  ======================================================  ===============

"As answered" means reverse-keyed items are scored back to the answer the respondent
gave (reverse-scoring twice is the identity): a straight-liner who ticked 7 everywhere
has LS4 = 1 after keying, which would hide the straight line. "Keyed" indices need
every item of a scale to point the same way.

Decision rule (docs/methods.md 1.8)
------------------------------
A response is **excluded** when any *hard* rule applies - incomplete, duplicate,
failed attention check, below ``seconds_per_item_hard`` on any page, the identical
answer on every substantive item, case missing share above ``max_case_missing_share``
(and knowledge below the midpoint when ``knowledge_below_midpoint: exclude``) - or when
at least ``exclude_if_n_flags_at_least`` *families* of soft flags apply. Soft flags that
measure the same thing form one family, so two correlated indices cannot exclude a case
on their own:

==============  ===========================================================
family          soft flags in it
==============  ===========================================================
speed           a page below ``seconds_per_item_flag`` s/item
invariance      longstring in the upper ``1 - longstring_percentile`` tail; IRV in the lower tail
random          Mahalanobis p < ``mahalanobis_alpha``; IRV in the upper tail
consistency     even-odd < ``evenodd_flag_below``; psychsyn < ``psychsyn_flag_below``
informant       knowledge below the midpoint (``knowledge_below_midpoint: flag``)
attention       failed attention check (only when ``attention_fail_hard: false``)
==============  ===========================================================

Quantile thresholds (longstring, IRV) and the EM mean/covariance (Mahalanobis) and the
synonym pairs (psychsyn) are estimated on the *reference sample*: complete,
non-duplicate responses. Index values are computed for every response. Longstring is
discrete, so "at or above the 95th percentile" is read as "in the top 5 %": the cut is
the smallest value reached by at most 5 % of the reference sample
(:func:`upper_tail_cut`); ties at the percentile would otherwise flag far more (10.7 %
instead of 5 % on the bundled data). IRV is continuous; its tails are plain quantiles.

The flow (CONSORT-style) attributes each exclusion to the first rule that applies, in
this order: incomplete -> duplicates -> attention -> speed -> straight-lining ->
missingness -> key informant -> multiple soft flags.
"""

from __future__ import annotations

from leanlearn.screening.careless.config import (  # noqa: F401
    FAMILIES,
    FLOW_STEPS,
    KEEP_RULES,
    KNOWLEDGE_MODES,
    ScreeningConfig,
    screening_config,
)
from leanlearn.screening.careless.decision import HARD_RULES, decide, flow_table, no_response_kept_message  # noqa: F401
from leanlearn.screening.careless.indices import (
    attention,
    avgstring,
    duplicates,
    even_odd,
    irv,
    longstring,
    mahalanobis,
    page_time,
    psychsyn,
    range_check,
    synonym_pairs,
    upper_tail_cut,
)
from leanlearn.screening.careless.run import ScreeningResult, kept_data, screen

__all__ = [
    "ScreeningConfig",
    "ScreeningResult",
    "screening_config",
    "longstring",
    "avgstring",
    "irv",
    "mahalanobis",
    "even_odd",
    "synonym_pairs",
    "psychsyn",
    "page_time",
    "upper_tail_cut",
    "attention",
    "duplicates",
    "range_check",
    "screen",
    "decide",
    "flow_table",
    "kept_data",
    "HARD_RULES",
    "FLOW_STEPS",
    "FAMILIES",
]
