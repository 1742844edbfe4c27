"""Dress the corporate-reputation data as a Qualtrics survey export (export.csv).

Source: the corporate-reputation survey of Hair, Hult, Ringle & Sarstedt, *A Primer on
Partial Least Squares Structural Equation Modeling (PLS-SEM)* (2nd ed., 2017), as shipped
with the R package seminr (GPL-3), copied in tests/reference/seminr/corp_rep_data.csv.

What this script does to it (deterministic; rerun it to get export.csv byte for byte):

* keeps the items of the simple corporate-reputation model (comp_1-3, like_1-3, cusa,
  cusl_1-3), the demographic ``age`` (age group) and ``servicetype`` (1 = prepaid,
  2 = contract, written as text, as a survey tool would);
* renames them to Qualtrics-style columns (Q1_1 ...) and adds Qualtrics' two extra header
  rows (question texts, ImportId);
* reverse-keys two items in the export (like_2 and cusl_2 are stored as 8 - x, with
  negatively worded question texts), so that the codebook must recode them back;
* writes the data's -99 missing codes as empty cells (Qualtrics leaves skipped questions
  blank);
* adds survey-tool paradata (ResponseId, dates, duration, progress, finished) and two
  personal-data columns that must never reach the results: an e-mail address
  (``customerNNNN@example.com``, invented) and an IP address (from the documentation
  ranges 192.0.2.0/24 and 198.51.100.0/24, invented).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "tests" / "reference" / "seminr" / "corp_rep_data.csv"

ITEMS = {  # export column -> (source column, question text, reverse-keyed in the export)
    "Q1_1": ("comp_1", "Please tell us how much you agree with each statement about your mobile phone provider. - It is a top competitor in its market.", False),
    "Q1_2": ("comp_2", "Please tell us how much you agree with each statement about your mobile phone provider. - As far as I know, it is recognised worldwide.", False),
    "Q1_3": ("comp_3", "Please tell us how much you agree with each statement about your mobile phone provider. - I believe that it performs at a premium level.", False),
    "Q2_1": ("like_1", "And these statements? - It is a company that I can better identify with than other companies.", False),
    "Q2_2": ("like_2", "And these statements? - If it no longer existed, I would not miss it more than other companies.", True),
    "Q2_3": ("like_3", "And these statements? - I regard it as a likeable company.", False),
    "Q3_1": ("cusa", "How satisfied are you with your mobile phone provider? - Overall satisfaction", False),
    "Q4_1": ("cusl_1", "Thinking about the future: - I would recommend my provider to friends and relatives.", False),
    "Q4_2": ("cusl_2", "Thinking about the future: - If I had to choose again, I would not choose this provider.", True),
    "Q4_3": ("cusl_3", "Thinking about the future: - I will remain a customer of this provider in the future.", False),
}
SERVICETYPE = {1: "Prepaid", 2: "Contract"}


def build() -> pd.DataFrame:
    src = pd.read_csv(SOURCE)
    n = len(src)
    rng = np.random.default_rng(20170101)
    start0 = datetime(2024, 3, 4, 8, 0, 0)
    offsets = np.sort(rng.integers(0, 21 * 24 * 3600, n))
    durations = rng.integers(240, 1500, n)
    out = pd.DataFrame()
    starts = [start0 + timedelta(seconds=int(s)) for s in offsets]
    ends = [s + timedelta(seconds=int(d)) for s, d in zip(starts, durations)]
    out["StartDate"] = [s.strftime("%Y-%m-%d %H:%M:%S") for s in starts]
    out["EndDate"] = [e.strftime("%Y-%m-%d %H:%M:%S") for e in ends]
    out["Status"] = "IP Address"
    out["IPAddress"] = [f"{'192.0.2' if i % 2 else '198.51.100'}.{1 + i % 250}" for i in range(n)]
    out["Progress"] = "100"
    out["Duration (in seconds)"] = [str(int(d)) for d in durations]
    out["Finished"] = "1"
    out["RecordedDate"] = out["EndDate"]
    out["ResponseId"] = [f"R_{i:04d}cr" for i in range(1, n + 1)]
    out["RecipientEmail"] = [f"customer{i:04d}@example.com" for i in range(1, n + 1)]
    out["DistributionChannel"] = "email"
    out["UserLanguage"] = "EN"
    for col, (source, _text, reverse) in ITEMS.items():
        v = src[source]
        v = v.where(v != -99)
        if reverse:
            v = 8 - v
        out[col] = v.map(lambda x: "" if pd.isna(x) else str(int(x)))
    out["Q5"] = src["age"].map(lambda x: "" if x == -99 else str(int(x)))
    out["Q6"] = src["servicetype"].map(SERVICETYPE)
    return out


def header_rows(columns) -> list[list[str]]:
    texts = {c: ITEMS[c][1] for c in ITEMS}
    texts.update({"Q5": "What is your age group?", "Q6": "What kind of contract do you have?",
                  "ResponseId": "Response ID", "RecipientEmail": "Recipient Email", "IPAddress": "IP Address",
                  "Duration (in seconds)": "Duration (in seconds)"})
    return [[texts.get(c, c) for c in columns], [json.dumps({"ImportId": c}) for c in columns]]


def main() -> None:
    df = build()
    with open(HERE / "export.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(df.columns)
        w.writerows(header_rows(df.columns))
        w.writerows(df.itertuples(index=False))


if __name__ == "__main__":
    main()
