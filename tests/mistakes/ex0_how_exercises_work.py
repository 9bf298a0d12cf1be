"""Plausible mistakes and correct alternatives for the warm-up, ex0_how_exercises_work."""

RATE = "default_rate_solution"
AGES = "invalid_ages_solution"
WORST = "worst_month_solution"

TASKS = {"default rate per month": [RATE], "flag invalid ages": [AGES], "the worst month": [WORST]}

_AGES_HEAD = 'from mlops_course.data import VALID_RANGES\n\n\ndef flag_invalid_ages(frame):\n    low, high = VALID_RANGES["age"]\n'

ALTERNATIVES = [
    {
        "name": "rate-from-a-dict-of-groups",
        "why": "sums and counts per group by hand, then sorts",
        "cells": {
            RATE: "import pandas as pd\n\n\ndef default_rate_by_month(frame):\n"
            '    rates = {month: group["defaulted"].sum() / len(group) for month, group in frame.groupby("month")}\n'
            "    return pd.Series(rates, dtype=float).sort_index()\n"
        },
    },
    {
        "name": "ages-with-explicit-comparisons",
        "why": "missing, below or above, spelled out",
        "cells": {
            AGES: _AGES_HEAD + '    ages = frame["age"]\n    return ages.isna() | (ages < low) | (ages > high)\n'
        },
    },
    {
        "name": "worst-month-by-sorting",
        "why": "sorts the rates and takes the first month",
        "cells": {
            WORST: "rates = default_rate_by_month(applications)\n"
            "worst_month = str(rates.sort_values(ascending=False).index[0])\n"
        },
    },
]

MISTAKES = [
    # task 1: "the share of applications of that month that defaulted"
    {
        "name": "rate-counts-defaults",
        "why": "counts the defaults per month instead of their share",
        "cells": {RATE: 'def default_rate_by_month(frame):\n    return frame.groupby("month")["defaulted"].sum()\n'},
        "fails": ["test_default_rate", "test_default_rate_hidden"],
    },
    {
        "name": "rate-share-of-all-defaults",
        "why": "reads 'share' as each month's share of all defaults",
        "cells": {
            RATE: "def default_rate_by_month(frame):\n"
            '    return frame.loc[frame["defaulted"] == 1, "month"].value_counts(normalize=True).sort_index()\n'
        },
        "fails": ["test_default_rate", "test_default_rate_hidden"],
    },
    {
        "name": "rate-returns-a-frame",
        "why": "selects the column with a list, so a DataFrame comes back",
        "cells": {RATE: 'def default_rate_by_month(frame):\n    return frame.groupby("month")[["defaulted"]].mean()\n'},
        "fails": ["test_default_rate", "test_default_rate_hidden"],
    },
    {
        "name": "rate-rounded",
        "why": "rounds the rates to two digits for display",
        "cells": {
            RATE: 'def default_rate_by_month(frame):\n    return frame.groupby("month")["defaulted"].mean().round(2)\n'
        },
        "fails": ["test_default_rate_hidden"],
    },
    # task 2: "True where the age is missing or outside [18, 100], inclusive; do not change the frame"
    {
        "name": "ages-forget-missing",
        "why": "flags out-of-range ages but not missing ones",
        "cells": {AGES: _AGES_HEAD + '    return (frame["age"] < low) | (frame["age"] > high)\n'},
        "fails": ["test_invalid_ages", "test_invalid_ages_hidden"],
    },
    {
        "name": "ages-exclusive-bounds",
        "why": "treats 18 and 100 as invalid",
        "cells": {AGES: _AGES_HEAD + '    return ~((frame["age"] > low) & (frame["age"] < high))\n'},
        "fails": ["test_invalid_ages", "test_invalid_ages_hidden"],
    },
    {
        "name": "ages-changes-the-frame",
        "why": "fills missing ages in the caller's frame before checking",
        "cells": {
            AGES: _AGES_HEAD
            + '    frame["age"] = frame["age"].fillna(-1)\n    return ~frame["age"].between(low, high)\n'
        },
        "fails": ["test_invalid_ages_hidden"],
    },
    {
        "name": "ages-returns-an-array",
        "why": "returns a numpy array, losing the frame's index",
        "cells": {AGES: _AGES_HEAD + '    return ~frame["age"].between(low, high).to_numpy()\n'},
        "fails": ["test_invalid_ages", "test_invalid_ages_hidden"],
    },
    # task 3: "the month with the highest default rate, as a string"
    {
        "name": "worst-is-the-lowest-rate",
        "why": "takes the month with the lowest rate",
        "cells": {WORST: "worst_month = default_rate_by_month(applications).idxmin()\n"},
        "fails": ["test_worst_month"],
    },
    {
        "name": "worst-is-the-rate",
        "why": "keeps the highest rate instead of its month",
        "cells": {WORST: "worst_month = default_rate_by_month(applications).max()\n"},
        "fails": ["test_worst_month"],
    },
    {
        "name": "worst-is-an-index",
        "why": "keeps the index of the largest rate, not the month itself",
        "cells": {WORST: "worst_month = default_rate_by_month(applications).nlargest(1).index\n"},
        "fails": ["test_worst_month"],
    },
]
