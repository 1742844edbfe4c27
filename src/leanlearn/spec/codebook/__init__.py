"""Survey codebook: which column holds which item, scales, reverse keying, paradata.

:func:`load_codebook` validates a mapping (as read from ``studies/lean/codebook.yaml`` by the
CLI) and returns a frozen :class:`Codebook`. Every validation error is a
:class:`~leanlearn.errors.SpecError` whose message starts with the key path of the
offending entry (``constructs.LS.items[3]: ...``) and says what to do.

After ingest (:func:`leanlearn.data.ingest.apply_codebook`) the data carry *canonical* column
names, so that later steps do not depend on the survey tool's export:

==========================  ==================================================
canonical name              source
==========================  ==================================================
``respondent_id``           ``identifiers.respondent_id``
``firm_id``                 ``identifiers.firm_id``
``start``, ``end``, ...     ``paradata.<key>`` (the key is the canonical name)
``page_seconds_<k>``        ``paradata.page_timers[k-1].column`` (k = 1, 2, ...)
item ids (``LP1``, ...)     ``constructs.<C>.items[i].column``
attention ids (``ATT1``)    ``attention_checks[i].column``
``ki_<key>``                ``key_informant.<key>.column`` (``ki_knowledge``, ...)
covariate names (``age``)   ``covariates.<name>.column``
==========================  ==================================================

Without ``identifiers.firm_id`` the case id is the respondent id (``firm_id`` then holds a
copy of ``respondent_id``). ``unit`` says what a case is (default a respondent) and is used
in generated texts; ``covariates`` are questionnaire variables that are neither items nor
paradata (demographics, firm characteristics): kept by ingest, usable as controls, grouping
variables and moderators.

The mapping is first checked against the codebook schema
(``leanlearn/spec/schemas/codebook.schema.yaml``), which rejects unknown keys at every level
(``attention_check:``, ``personal_date:``, ``acton:``).

This module reads no files but the shipped schema (:mod:`leanlearn.spec.config`).
"""

from __future__ import annotations

from leanlearn.spec.codebook.columns import check_columns, column_hint
from leanlearn.spec.codebook.load import load_codebook
from leanlearn.spec.codebook.records import (  # noqa: F401
    FIRM_ID,
    PARADATA_KEYS,
    RESPONDENT_ID,
    AttentionCheck,
    Codebook,
    Construct,
    Covariate,
    Item,
    KeyInformantField,
    PageTimer,
    Paradata,
    PersonalColumn,
    Scale,
    Unit,
)
from leanlearn.spec.codebook.validate import COVARIATE_TYPES, PERSONAL_ACTIONS, ROLES, SOURCE_FORMATS  # noqa: F401

__all__ = [
    "Scale",
    "Item",
    "Construct",
    "AttentionCheck",
    "PersonalColumn",
    "PageTimer",
    "KeyInformantField",
    "Covariate",
    "Unit",
    "Paradata",
    "Codebook",
    "load_codebook",
    "check_columns",
    "column_hint",
    "RESPONDENT_ID",
    "FIRM_ID",
]
