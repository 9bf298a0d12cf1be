"""Exercise 4 (data quality): plausible mistakes and correct alternatives, written from the task text.

Most mistakes are the reference cell with one misreading edited in (``_mutate``), so each
differs from a correct answer by exactly the slip it names.
"""

from __future__ import annotations

from typing import Any

from mistakes import mutate

STEM = "ex4_data_quality"

TASKS = {
    "flags": ["flag_problems"],
    "psi": ["psi"],
    "source": ["find_problem_source"],
    "handler": ["batch_handler"],
}


ALTERNATIVES: list[dict[str, Any]] = [
    {
        "name": "flags built column by column with numpy",
        "why": "one boolean array per rule, assembled at the end",
        "cells": {
            "flag_problems": """def flag_problems(frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    missing = np.zeros(n, dtype=bool)
    for c in FEATURES:
        missing |= frame[c].isna().to_numpy() if c in frame else np.ones(n, dtype=bool)
    out_of_range = np.zeros(n, dtype=bool)
    for c, (low, high) in VALID_RANGES.items():
        if c in frame:
            v = frame[c].astype(float).to_numpy()
            out_of_range |= (v < low) | (v > high)
    unknown = np.zeros(n, dtype=bool)
    for c, allowed in CATEGORIES.items():
        if c in frame:
            unknown |= (frame[c].notna() & ~frame[c].isin(list(allowed))).to_numpy()
    seen, dup = set(), []
    for i in frame["application_id"]:
        dup.append(i in seen)
        seen.add(i)
    extra = [c for c in frame.columns if c not in COLUMNS]
    unexpected = frame[extra].notna().any(axis=1).to_numpy() if extra else np.zeros(n, dtype=bool)
    return pd.DataFrame(
        {"missing": missing, "out_of_range": out_of_range, "unknown_category": unknown,
         "duplicate_id": np.array(dup, dtype=bool), "unexpected_column": unexpected},
        index=frame.index,
    )
"""
        },
    },
    {
        "name": "psi with pd.cut on the reference's quantile edges",
        "why": "right-open intervals (right=False) put a value on an edge in the bin above",
        "cells": {
            "psi": """def psi(reference, current, bins: int = 10) -> float:
    ref = pd.Series(reference, dtype=float).dropna()
    cur = pd.Series(current, dtype=float).dropna()
    inner = np.unique(np.quantile(ref, [k / bins for k in range(1, bins)]))
    edges = np.concatenate([[-np.inf], inner, [np.inf]])
    ref_share = pd.cut(ref, edges, right=False).value_counts(normalize=True, sort=False).to_numpy()
    cur_share = pd.cut(cur, edges, right=False).value_counts(normalize=True, sort=False).to_numpy()
    ref_share = np.where(ref_share < 1e-4, 1e-4, ref_share)
    cur_share = np.where(cur_share < 1e-4, 1e-4, cur_share)
    return float(((cur_share - ref_share) * np.log(cur_share / ref_share)).sum())
"""
        },
    },
    {
        "name": "source report with groupby aggregation and sort_values",
        "why": "aggregates per source; breaks ties by sorting on (-share, name)",
        "cells": {
            "find_problem_source": """def source_report(current: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    bad = flag_problems(current).any(axis=1).rename("bad")
    report = bad.groupby(current["source"]).agg(records="size", problem_share="mean")
    drift = {}
    for source, part in current.groupby("source"):
        values = [psi(reference[c], part[c]) for c in NUMERIC_FEATURES if part[c].notna().sum() > 0]
        drift[source] = max(values, default=0.0)
    report["max_psi"] = pd.Series(drift)
    return report.sort_index()


def find_problem_source(current: pd.DataFrame, reference: pd.DataFrame) -> str:
    report = source_report(current, reference).reset_index(names="name")
    for column, limit in (("problem_share", 0.05), ("max_psi", 0.3)):
        above = report[report[column] > limit]
        if len(above):
            return str(above.assign(neg=-above[column]).sort_values(["neg", "name"])["name"].iloc[0])
    return "none"
"""
        },
    },
    {
        "name": "handler that starts from pd.DataFrame() and counts a drift streak from the alerts",
        "why": "empty frames without columns at first; the streak is read from the last three drift alerts",
        "cells": {
            "batch_handler": """class BatchHandler:
    def __init__(self, reference: pd.DataFrame):
        self.reference = reference
        self.received = 0
        self.processed = 0
        self.quarantined = 0
        self.alerts = []
        self.retrain_requested = False
        self.retrain_batch = None
        self.processed_records = pd.DataFrame()
        self.quarantine = pd.DataFrame()
        self.seen_ids = set()
        self.batch_number = -1

    def process(self, batch: pd.DataFrame) -> None:
        self.batch_number += 1
        n = self.batch_number
        flags = flag_problems(batch)
        flags["duplicate_id"] = flags["duplicate_id"] | batch["application_id"].isin(self.seen_ids)
        self.seen_ids |= set(batch["application_id"])
        bad = flags.any(axis=1)
        reason = pd.Series([",".join(r for r in RULES if flags.at[i, r]) for i in flags.index], index=flags.index, dtype=object)
        held = batch[bad].copy()
        held["reason"] = reason[bad]
        good = batch[~bad]
        if len(held):
            self.quarantine = pd.concat([self.quarantine, held]) if len(self.quarantine) else held
        if len(good):
            self.processed_records = pd.concat([self.processed_records, good]) if len(self.processed_records) else good
        self.received += len(batch)
        self.processed += len(good)
        self.quarantined += len(held)
        if len(batch) > 0 and len(held) / len(batch) > 0.05:
            counts = held["source"].value_counts()
            top = sorted(counts[counts == counts.max()].index)[0]
            self.alerts.append({"batch": n, "kind": "quality", "source": top})
        if len(good) >= 100:
            worst = max(psi(self.reference[c], good[c]) for c in NUMERIC_FEATURES)
            if worst > 0.25:
                self.alerts.append({"batch": n, "kind": "drift", "source": None})
        drift = [a["batch"] for a in self.alerts if a["kind"] == "drift"][-3:]
        if not self.retrain_requested and drift == [n - 2, n - 1, n]:
            self.retrain_requested = True
            self.retrain_batch = n
"""
        },
    },
]

MISTAKES: list[dict[str, Any]] = [
    # task 1 · flag_problems
    {
        "name": "flags: every copy of a duplicated id is flagged",
        "why": "duplicated(keep=False), although the first occurrence is not a duplicate",
        "cells": mutate(
            STEM,
            "flag_problems",
            ('frame["application_id"].duplicated()', 'frame["application_id"].duplicated(keep=False)'),
        ),
        "fails": ["test_flags_nulls_duplicates", "test_flags_hidden"],
    },
    {
        "name": "flags: an absent feature column is not missing",
        "why": "only checks the feature columns the frame has",
        "cells": mutate(
            STEM,
            "flag_problems",
            (
                'flags["missing"] |= frame[column].isna() if column in frame.columns else True',
                'flags["missing"] |= frame[column].isna() if column in frame.columns else False',
            ),
        ),
        "fails": ["test_flags_hidden"],
    },
    {
        "name": "flags: the bounds themselves are out of range",
        "why": "<= and >= where the text says the bounds are allowed",
        "cells": mutate(
            STEM, "flag_problems", ("(values < low) | (values > high)", "(values <= low) | (values >= high)")
        ),
        "fails": ["test_flags_shape", "test_flags_hidden"],
    },
    {
        "name": "flags: a null category is an unknown category",
        "why": "forgets the 'non-null value' part",
        "cells": mutate(
            STEM,
            "flag_problems",
            (
                'flags["unknown_category"] |= frame[column].notna() & ~frame[column].isin(allowed)',
                'flags["unknown_category"] |= ~frame[column].isin(allowed)',
            ),
        ),
        "fails": ["test_flags_hidden"],
    },
    {
        "name": "flags: an extra column flags every record",
        "why": "flags the whole frame when a column is unexpected, null or not",
        "cells": mutate(
            STEM,
            "flag_problems",
            ('flags["unexpected_column"] |= frame[column].notna()', 'flags["unexpected_column"] |= True'),
        ),
        "fails": ["test_flags_hidden"],
    },
    # task 2 · psi
    {
        "name": "psi: equal-width bins over the reference's range",
        "why": "np.histogram-style bins instead of the reference's quantiles",
        "cells": mutate(
            STEM,
            "psi",
            (
                "inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1))[1:-1])",
                "inner = np.linspace(reference.min(), reference.max(), bins + 1)[1:-1]",
            ),
        ),
        "fails": ["test_psi_hidden"],
    },
    {
        "name": "psi: a value on an edge goes to the bin below",
        "why": "np.searchsorted's default side='left'",
        "cells": mutate(
            STEM,
            "psi",
            (
                'np.searchsorted(inner, reference, side="right")',
                "np.searchsorted(inner, reference)",
            ),
            ('np.searchsorted(inner, current, side="right")', "np.searchsorted(inner, current)"),
        ),
        "fails": ["test_psi_hidden"],
    },
    {
        "name": "psi: empty bins get a tiny epsilon added instead of a floor of 1e-4",
        "why": "adds 1e-6 to every share, a common recipe, not the one asked",
        "cells": mutate(
            STEM,
            "psi",
            (
                "np.clip(ref_share, 1e-4, None), np.clip(cur_share, 1e-4, None)",
                "ref_share + 1e-6, cur_share + 1e-6",
            ),
        ),
        "fails": ["test_psi_hidden"],
    },
    {
        "name": "psi: missing values kept",
        "why": "forgets to drop NaN, which np.quantile turns into nan edges",
        "cells": mutate(
            STEM,
            "psi",
            (
                "current = pd.Series(current, dtype=float).dropna().to_numpy()",
                "current = np.asarray(current, dtype=float)",
            ),
        ),
        "fails": ["test_psi_hidden"],
    },
    # task 3 · source_report / find_problem_source
    {
        "name": "source: the drift step uses the mean PSI over the columns",
        "why": "averages the drift instead of taking the largest, so one shifted column is diluted",
        "cells": mutate(
            STEM,
            "find_problem_source",
            ('"max_psi": max(drift) if drift else 0.0', '"max_psi": float(np.mean(drift)) if drift else 0.0'),
        ),
        "fails": ["test_source_hidden"],
    },
    {
        "name": "source: problem_share counts records, not a share",
        "why": "sums the flags per source",
        "cells": mutate(
            STEM,
            "find_problem_source",
            (
                '"problem_share": float(has_problem[part.index].mean())',
                '"problem_share": float(has_problem[part.index].sum())',
            ),
        ),
        "fails": ["test_source_visible"],
    },
    {
        "name": "source: no problem returns None",
        "why": "returns Python's None instead of the string 'none'",
        "cells": mutate(STEM, "find_problem_source", ('    return "none"\n', "    return None\n")),
        "fails": ["test_source_visible", "test_source_hidden"],
    },
    {
        "name": "source: a tie goes to the last source",
        "why": "keeps the last maximum when scanning the sources",
        "cells": mutate(
            STEM,
            "find_problem_source",
            (
                'return str(report["problem_share"].idxmax())',
                'return str(report["problem_share"][::-1].idxmax())',
            ),
        ),
        "fails": ["test_source_hidden"],
    },
    # task 4 · BatchHandler
    {
        "name": "handler: retrains after 3 drift alerts in total",
        "why": "counts drift alerts instead of consecutive drifted batches",
        "cells": mutate(
            STEM,
            "batch_handler",
            (
                "self._drift_streak = self._drift_streak + 1 if drifted else 0",
                "self._drift_streak = self._drift_streak + 1 if drifted else self._drift_streak",
            ),
        ),
        "fails": ["test_handler_hidden_drift"],
    },
    {
        "name": "handler: re-sent records from earlier batches are processed",
        "why": "relies on flag_problems, which only sees duplicates within one batch",
        "cells": mutate(
            STEM,
            "batch_handler",
            ('flags["duplicate_id"] |= batch["application_id"].isin(self._seen)\n', ""),
        ),
        "fails": ["test_handler_hidden_incidents"],
    },
    {
        "name": "handler: reasons joined with a comma and a space",
        "why": "', '.join reads naturally but is not the format asked",
        "cells": mutate(
            STEM,
            "batch_handler",
            ('",".join(rule for rule in RULES if row[rule])', '", ".join(rule for rule in RULES if row[rule])'),
        ),
        "fails": ["test_handler_hidden_incidents"],
    },
    {
        "name": "handler: the quality alert names the batch's most common source",
        "why": "takes the mode over the whole batch, not over its quarantined records",
        "cells": mutate(
            STEM, "batch_handler", ('str(held["source"].mode().iloc[0])', 'str(batch["source"].mode().iloc[0])')
        ),
        "fails": ["test_handler_nulls", "test_handler_hidden_incidents"],
    },
    {
        "name": "handler: batches numbered from 1",
        "why": "counts the batch before numbering it",
        "cells": mutate(
            STEM,
            "batch_handler",
            (
                "number, self._batches = self._batches, self._batches + 1",
                "self._batches += 1\n        number = self._batches",
            ),
        ),
        "fails": ["test_handler_nulls", "test_handler_hidden_incidents", "test_handler_hidden_drift"],
    },
    {
        "name": "handler: retrain_batch follows every later drifted batch",
        "why": "forgets 'once': the request is renewed while the drift lasts",
        "cells": mutate(
            STEM,
            "batch_handler",
            (
                "if self._drift_streak >= 3 and not self.retrain_requested:",
                "if self._drift_streak >= 3:",
            ),
        ),
        "fails": ["test_handler_hidden_drift"],
    },
]

ALTERNATIVES += [
    {
        "name": "source: another rule, any broken record first, then PSI above 0.25",
        "why": "the rule is the learner's: a lower share and drift threshold that still sit between noise and incidents",
        "cells": mutate(
            STEM,
            "find_problem_source",
            ('if (report["problem_share"] > 0.05).any():', 'if (report["problem_share"] > 0.02).any():'),
            ('if (report["max_psi"] > 0.3).any():', 'if (report["max_psi"] > 0.25).any():'),
        ),
    },
]

MISTAKES += [
    {
        "name": "source: drift only",
        "why": "decides on max_psi alone; nulls and re-sent records hardly move PSI",
        "cells": mutate(
            STEM,
            "find_problem_source",
            ('if (report["problem_share"] > 0.05).any():', "if False:"),
        ),
        "fails": ["test_source_visible", "test_source_hidden"],
    },
    {
        "name": "source: a drift threshold inside the noise",
        "why": "PSI 0.1 ('moderate shift') flags clean partners of 200 records",
        "cells": mutate(
            STEM, "find_problem_source", ('if (report["max_psi"] > 0.3).any():', 'if (report["max_psi"] > 0.1).any():')
        ),
        "fails": ["test_source_visible", "test_source_hidden"],
    },
    {
        "name": "source: a drift threshold only big shifts pass",
        "why": "PSI above 0.6 to be safe from noise misses a 40 % change in income",
        "cells": mutate(
            STEM, "find_problem_source", ('if (report["max_psi"] > 0.3).any():', 'if (report["max_psi"] > 0.6).any():')
        ),
        "fails": ["test_source_hidden"],
    },
]
