"""The column layout of the synthetic survey export: question texts, pages, metadata columns, the header rows.

Part of :mod:`leanlearn.datasets.simulate` (via :mod:`leanlearn.datasets.export`).
"""

from __future__ import annotations

from leanlearn.datasets.population import _ITEM_OF_CONSTRUCT

_STEMS = {
    "LP": "To what extent do you agree with the following statements about your plant?",
    "DIG": "To what extent does your plant use the following technologies in its operations?",
    "LS": "To what extent do you agree with the following statements about your organisation?",
    "OP": "Compared with your main competitors over the last three years, how does your plant perform on ...",
    "MARK": "Finally, a few statements unrelated to your work.",
}
_ITEM_TEXT = {
    "LP1": "Production is pulled by customer demand (kanban or similar signals).",
    "LP2": "We work continuously to lower set-up and changeover times.",
    "LP3": "We use statistical process control to monitor our key processes.",
    "LP4": "Continuous-improvement (kaizen) activities involve every department.",
    "LP5": "Equipment receives planned preventive maintenance.",
    "LP6": "Operators carry out routine maintenance of their own machines.",
    "LP7": "Employees are cross-trained to perform several jobs.",
    "LP8": "Shop-floor employees lead problem-solving teams.",
    "DIG1": "Industrial Internet of Things (connected sensors and machines).",
    "DIG2": "Big-data analytics of production data.",
    "DIG3": "Cloud computing services for operations.",
    "DIG4": "Artificial intelligence or machine learning.",
    "DIG5": "Robotics and advanced automation.",
    "DIG6": "Digital twins or simulation of processes.",
    "LS1": "Lessons from improvement projects are captured systematically.",
    "LS2": "Knowledge is shared readily across functions and shifts.",
    "LS3": "Employees are encouraged to experiment with new ways of working.",
    "LS4": "Improvement know-how stays with individuals and is lost when they leave.",
    "LS5": "Problems and failures are analysed openly to find root causes.",
    "LS6": "Proven practices are codified into standards and shared with other plants.",
    "OP1": "Unit manufacturing cost.",
    "OP2": "Conformance quality.",
    "OP3": "On-time delivery.",
    "OP4": "Flexibility to change volume and mix.",
    "OP5": "Our manufacturing lead times are longer than our competitors'.",
    "MARK1": "I prefer blue to other colours.",
    "MARK2": "I like the colour blue.",
    "MARK3": "Blue is a lovely colour.",
    "ATT1": "To show that you read this statement, please select 'Somewhat disagree'.",
    "ATT2": "This row is a quality check: please select the second-highest option.",
}
# attention checks: id -> (export column, expected answer)
_ATTENTION = {"ATT1": ("Q2_9", 3), "ATT2": ("Q5_6", 6)}

# export column of every answer cell (items and attention checks), in questionnaire order
_ANSWER_COLUMNS: tuple[tuple[str, str], ...] = (
    tuple((f"Q2_{i}", f"LP{i}") for i in range(1, 9))
    + (("Q2_9", "ATT1"),)
    + tuple((f"Q3_{i}", f"DIG{i}") for i in range(1, 7))
    + tuple((f"Q4_{i}", f"LS{i}") for i in range(1, 7))
    + tuple((f"Q5_{i}", f"OP{i}") for i in range(1, 6))
    + (("Q5_6", "ATT2"),)
    + tuple((f"Q6_{i}", f"MARK{i}") for i in range(1, 4))
)
ITEM_COLUMN: dict[str, str] = {item: col for col, item in _ANSWER_COLUMNS}
"""Export column of each item id (and of ATT1/ATT2)."""

# questionnaire pages 2..6 (page 1: key-informant questions; page 7: comments)
_PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Q2_timer_Page Submit", tuple(f"Q2_{i}" for i in range(1, 10))),
    ("Q3_timer_Page Submit", tuple(f"Q3_{i}" for i in range(1, 7))),
    ("Q4_timer_Page Submit", tuple(f"Q4_{i}" for i in range(1, 7))),
    ("Q5_timer_Page Submit", tuple(f"Q5_{i}" for i in range(1, 7))),
    ("Q6_timer_Page Submit", tuple(f"Q6_{i}" for i in range(1, 4))),
)
_N_PAGES = 7

_META_COLUMNS = (
    ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"UTC"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timeZone":"UTC"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"UTC"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("RecipientLastName", "Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    ("RecipientFirstName", "Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    ("RecipientEmail", "Recipient Email", '{"ImportId":"recipientEmail"}'),
    ("ExternalReference", "External Data Reference", '{"ImportId":"externalDataReference"}'),
    ("LocationLatitude", "Location Latitude", '{"ImportId":"locationLatitude"}'),
    ("LocationLongitude", "Location Longitude", '{"ImportId":"locationLongitude"}'),
    ("DistributionChannel", "Distribution Channel", '{"ImportId":"distributionChannel"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
    ("Q1_role", "Which of the following best describes your current position?", '{"ImportId":"QID11"}'),
    ("Q1_tenure", "How many years have you worked for this company? - Years", '{"ImportId":"QID12_TEXT"}'),
    (
        "Q1_know",
        "To what extent do you agree with the following statement? - "
        "I am knowledgeable about my plant's operations and improvement programmes.",
        '{"ImportId":"QID13"}',
    ),
)
_TIMER_QID = {
    "Q2_timer_Page Submit": "QID14_PAGE_SUBMIT",
    "Q3_timer_Page Submit": "QID15_PAGE_SUBMIT",
    "Q4_timer_Page Submit": "QID16_PAGE_SUBMIT",
    "Q5_timer_Page Submit": "QID17_PAGE_SUBMIT",
    "Q6_timer_Page Submit": "QID18_PAGE_SUBMIT",
}
_TAIL_COLUMNS = (
    ("Q7_comments", "Do you have any further comments about this survey or your plant?", '{"ImportId":"QID7_TEXT"}'),
    ("firm_id", "firm_id", '{"ImportId":"firm_id"}'),
    ("wave", "wave", '{"ImportId":"wave"}'),
)


def _export_header() -> tuple[list[str], list[str], list[str]]:
    names, texts, ids = [], [], []
    for name, text, qid in _META_COLUMNS:
        names.append(name)
        texts.append(text)
        ids.append(qid)
    for timer, cols in _PAGES:
        for col in cols:
            item = dict(_ANSWER_COLUMNS)[col]
            construct = _ITEM_OF_CONSTRUCT.get(item, "LP" if item == "ATT1" else "OP")
            block, number = col[1:].split("_")
            names.append(col)
            texts.append(f"{_STEMS[construct]} - {_ITEM_TEXT[item]}")
            ids.append(f'{{"ImportId":"QID{block}_{number}"}}')
        names.append(timer)
        texts.append("Timing - Page Submit")
        ids.append(f'{{"ImportId":"{_TIMER_QID[timer]}"}}')
    for name, text, qid in _TAIL_COLUMNS:
        names.append(name)
        texts.append(text)
        ids.append(qid)
    return names, texts, ids


EXPORT_COLUMNS: tuple[str, ...] = tuple(_export_header()[0])
"""Column names of the survey export, in order."""
