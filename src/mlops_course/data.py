"""The course's data: a fictional lender's loan applications, month by month, from a seed.

Every notebook and exercise uses :func:`generate_applications`. The same arguments give
the same frame on every machine. Named *scenarios* inject the production problems the
course teaches; each one starts at ``incident_month`` and, where it concerns one data
source, hits ``affected_source`` only.

Columns (see :data:`COLUMNS`): an id, the application date and month, where the record
came from (``channel`` and the partner system ``source``), numeric and categorical
features, the label ``defaulted`` and the date the label became known
(``label_available_at``: a default is only known some weeks after the loan starts).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from mlops_course.checks import check_frame

TARGET = "defaulted"
ID_COLUMN = "application_id"
DATE_COLUMN = "application_date"
MONTH_COLUMN = "month"
LABEL_DATE_COLUMN = "label_available_at"

NUMERIC_FEATURES: tuple[str, ...] = (
    "age",
    "annual_income",
    "loan_amount",
    "loan_term_months",
    "interest_rate",
    "credit_score",
    "employment_years",
    "debt_to_income",
    "num_open_accounts",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("home_ownership", "loan_purpose", "employment_type")
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
COLUMNS: tuple[str, ...] = (
    ID_COLUMN,
    DATE_COLUMN,
    MONTH_COLUMN,
    "channel",
    "source",
    *FEATURES,
    TARGET,
    LABEL_DATE_COLUMN,
)

#: Partner systems that send applications, and the channel each belongs to.
SOURCES: dict[str, str] = {
    "web_portal": "online",
    "mobile_app": "online",
    "branch_office": "branch",
    "broker_alpha": "broker",
    "broker_beta": "broker",
}
_SOURCE_SHARES = np.array([0.30, 0.20, 0.20, 0.15, 0.15])

#: Valid ranges of the numeric features, as a data contract would state them.
VALID_RANGES: dict[str, tuple[float, float]] = {
    "age": (18, 100),
    "annual_income": (0, 2_000_000),
    "loan_amount": (500, 500_000),
    "loan_term_months": (12, 60),
    "interest_rate": (0.0, 0.40),
    "credit_score": (300, 850),
    "employment_years": (0, 60),
    "debt_to_income": (0.0, 1.5),
    "num_open_accounts": (0, 40),
}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "home_ownership": ("rent", "mortgage", "own"),
    "loan_purpose": ("debt_consolidation", "car", "home_improvement", "education", "business"),
    "employment_type": ("salaried", "self_employed", "contract", "unemployed"),
}

#: Named scenarios and what each injects.
SCENARIOS: dict[str, str] = {
    "baseline": "no incident: stable distributions and relationships",
    "covariate_drift": "applicants change: lower incomes and credit scores, larger loans, more online",
    "concept_drift": "the economy turns: the same applicant now defaults more, driven by debt-to-income",
    "partner_nulls": "the affected source starts sending nulls in annual_income and employment_years",
    "renamed_column": "the affected source renames annual_income to yearly_income",
    "out_of_range": "the affected source sends impossible values (age 999, negative income, ...)",
    "duplicates": "the affected source re-sends some applications (duplicate application_id)",
    "late_labels": "labels of recent months arrive much later than usual",
}

_LABEL_DELAY_DAYS = 60
_LATE_LABEL_EXTRA_DAYS = 120


def _check_args(
    n_rows: int,
    n_months: int,
    start: str,
    seed: int,
    scenarios: tuple[str, ...],
    incident_month: int | None,
    affected_source: str,
    intensity: float,
) -> pd.Period:
    if not isinstance(n_rows, (int, np.integer)) or isinstance(n_rows, bool) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive whole number of rows, got {n_rows!r}.")
    if not isinstance(n_months, (int, np.integer)) or isinstance(n_months, bool) or not 1 <= n_months <= 120:
        raise ValueError(f"n_months must be a whole number from 1 to 120, got {n_months!r}.")
    if n_rows < n_months:
        raise ValueError(f"n_rows ({n_rows}) must be at least n_months ({n_months}): every month needs rows.")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}.")
    if not isinstance(start, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", start):
        raise ValueError(f"start must be a month written 'YYYY-MM', like '2024-01', got {start!r}.")
    first = pd.Period(start, freq="M")
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"scenario {unknown[0]!r} is unknown; choose from: {', '.join(SCENARIOS)}.")
    if incident_month is not None and (
        not isinstance(incident_month, (int, np.integer)) or not 0 <= incident_month < n_months
    ):
        raise ValueError(
            f"incident_month must be a month index from 0 to {n_months - 1} (n_months={n_months}), "
            f"got {incident_month!r}."
        )
    if affected_source not in SOURCES:
        raise ValueError(f"affected_source {affected_source!r} is unknown; choose from: {', '.join(SOURCES)}.")
    if not 0.0 <= float(intensity) <= 5.0:
        raise ValueError(f"intensity must be between 0 and 5, got {intensity!r}.")
    return first


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def default_logit(frame: pd.DataFrame, concept_shift: np.ndarray | float = 0.0) -> np.ndarray:
    """The true log-odds of default for each applicant (the generator's ground truth).

    Args:
        frame: applications with the numeric and categorical features.
        concept_shift: 0 for the normal economy; 1 for the downturn of ``concept_drift``
            (per row or for all).

    Returns:
        One log-odds value per row.
    """
    shift = np.asarray(concept_shift, dtype=float)
    dti = frame["debt_to_income"].to_numpy(dtype=float)
    logit = (
        -2.1
        - 0.012 * (frame["credit_score"].to_numpy(dtype=float) - 650)
        + (2.2 + 3.0 * shift) * (dti - 0.35)
        - 0.35 * np.log(np.clip(frame["annual_income"].to_numpy(dtype=float), 1_000, None) / 50_000)
        + 0.000012 * (frame["loan_amount"].to_numpy(dtype=float) - 15_000)
        + 6.0 * (frame["interest_rate"].to_numpy(dtype=float) - 0.12)
        - 0.03 * np.clip(frame["employment_years"].to_numpy(dtype=float), 0, 40)
        + 0.45 * (frame["employment_type"] == "unemployed").to_numpy()
        + 0.25 * (frame["loan_purpose"] == "business").to_numpy()
        - 0.20 * (frame["home_ownership"] == "own").to_numpy()
        + 0.6 * shift
    )
    return logit


def generate_applications(
    n_rows: int = 12_000,
    *,
    n_months: int = 12,
    start: str = "2024-01",
    seed: int = 42,
    scenario: str | Sequence[str] = "baseline",
    incident_month: int | None = None,
    affected_source: str = "broker_beta",
    intensity: float = 1.0,
) -> pd.DataFrame:
    """Generate the lender's loan applications.

    Args:
        n_rows: total number of applications, spread evenly over the months.
        n_months: how many consecutive months, from ``start``.
        start: the first month, ``"YYYY-MM"``.
        seed: the random seed; the same arguments always give the same frame.
        scenario: one scenario name from :data:`SCENARIOS`, or several.
        incident_month: index (0-based) of the month the incident starts; by default the
            second half of the period (``n_months // 2``).
        affected_source: the partner system hit by source-specific scenarios.
        intensity: how strong the incident is (1 is the course's default, 0 switches it off).

    Returns:
        A frame with the columns of :data:`COLUMNS` (plus ``yearly_income`` in the
        ``renamed_column`` scenario), sorted by application date.

    Raises:
        ValueError: an argument is out of range; the message names it and what is allowed.
    """
    scenarios = (scenario,) if isinstance(scenario, str) else tuple(scenario)
    first = _check_args(n_rows, n_months, start, seed, scenarios, incident_month, affected_source, intensity)
    if incident_month is None:
        incident_month = n_months // 2
    rng = np.random.default_rng(seed)

    # --- when and where -------------------------------------------------------------
    month_index = np.repeat(np.arange(n_months), np.diff(np.linspace(0, n_rows, n_months + 1).round().astype(int)))
    month_starts = pd.period_range(first, periods=n_months, freq="M").to_timestamp()
    days_in_month = month_starts.days_in_month.to_numpy()
    day_offset = np.floor(rng.random(n_rows) * days_in_month[month_index]).astype(int)
    dates = month_starts.to_numpy()[month_index] + day_offset.astype("timedelta64[D]")
    incident = (month_index >= incident_month).astype(float) * float(intensity)
    active = {s: (s != "baseline") and (s in scenarios) for s in SCENARIOS}

    shares = np.tile(_SOURCE_SHARES, (n_rows, 1))
    if active["covariate_drift"]:  # more online applicants
        shares[:, 0] += 0.15 * incident
        shares[:, 2] -= 0.10 * np.minimum(incident, 1.5)
    shares = np.clip(shares, 0.01, None)
    shares /= shares.sum(axis=1, keepdims=True)
    source_codes = (rng.random(n_rows)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    source_names = np.array(list(SOURCES))
    source = source_names[np.minimum(source_codes, len(SOURCES) - 1)]
    channel = np.array([SOURCES[s] for s in SOURCES])[np.minimum(source_codes, len(SOURCES) - 1)]

    # --- who applies ------------------------------------------------------------------
    cov = incident if active["covariate_drift"] else np.zeros(n_rows)
    age = np.clip(rng.normal(41 - 4 * cov, 11), 18, 85).round().astype(int)
    employment_type = np.array(CATEGORIES["employment_type"])[
        (rng.random(n_rows)[:, None] > np.cumsum([0.62, 0.20, 0.12, 0.06])).sum(axis=1).clip(0, 3)
    ]
    income_mu = np.log(52_000) - 0.25 * cov - 0.5 * (employment_type == "unemployed")
    annual_income = np.round(np.exp(rng.normal(income_mu, 0.45)), -2)
    credit_score = np.clip(rng.normal(680 - 35 * cov, 60), 300, 850).round().astype(int)
    employment_years = np.round(np.clip(rng.gamma(2.0, 3.5, n_rows) * (age - 17) / 30, 0, age - 17), 1)
    employment_years[employment_type == "unemployed"] = 0.0
    loan_purpose = np.array(CATEGORIES["loan_purpose"])[
        (rng.random(n_rows)[:, None] > np.cumsum([0.38, 0.22, 0.18, 0.10, 0.12])).sum(axis=1).clip(0, 4)
    ]
    loan_amount = np.round(np.clip(np.exp(rng.normal(np.log(14_000) + 0.3 * cov, 0.6)), 500, 250_000), -1)
    loan_term_months = rng.choice(np.array([12, 24, 36, 48, 60]), size=n_rows, p=[0.10, 0.20, 0.35, 0.15, 0.20])
    home_ownership = np.array(CATEGORIES["home_ownership"])[
        (rng.random(n_rows)[:, None] > np.cumsum([0.40, 0.42, 0.18])).sum(axis=1).clip(0, 2)
    ]
    debt_to_income = np.round(np.clip(rng.beta(2.2, 5.0, n_rows) + 0.08 * cov, 0.0, 1.2), 3)
    num_open_accounts = np.clip(rng.poisson(5, n_rows), 0, 40)
    interest_rate = np.round(np.clip(0.30 - 0.00028 * credit_score + rng.normal(0, 0.015, n_rows), 0.03, 0.36), 4)

    frame = pd.DataFrame(
        {
            ID_COLUMN: np.char.add("APP-", np.char.zfill(np.arange(1, n_rows + 1).astype(str), 7)),
            DATE_COLUMN: pd.to_datetime(dates),
            MONTH_COLUMN: pd.PeriodIndex(pd.to_datetime(dates), freq="M").astype(str),
            "channel": channel,
            "source": source,
            "age": age,
            "annual_income": annual_income,
            "loan_amount": loan_amount,
            "loan_term_months": loan_term_months,
            "interest_rate": interest_rate,
            "credit_score": credit_score,
            "employment_years": employment_years,
            "debt_to_income": debt_to_income,
            "num_open_accounts": num_open_accounts,
            "home_ownership": home_ownership,
            "loan_purpose": loan_purpose,
            "employment_type": employment_type,
        }
    )

    # --- what happens: the label and when it is known --------------------------------
    concept = incident if active["concept_drift"] else 0.0
    frame[TARGET] = (rng.random(n_rows) < _sigmoid(default_logit(frame, concept))).astype(int)
    delay = _LABEL_DELAY_DAYS + rng.integers(0, 30, n_rows)
    if active["late_labels"]:
        delay = delay + (incident > 0) * np.round(_LATE_LABEL_EXTRA_DAYS * incident).astype(int)
    frame[LABEL_DATE_COLUMN] = frame[DATE_COLUMN] + pd.to_timedelta(delay, unit="D")

    # --- source-specific incidents ----------------------------------------------------
    hit = (incident > 0) & (source == affected_source)
    share = min(1.0, 0.6 * float(intensity))
    if active["partner_nulls"]:
        nulls = hit & (rng.random(n_rows) < share)
        frame.loc[nulls, ["annual_income", "employment_years"]] = np.nan
    if active["out_of_range"]:
        bad = hit & (rng.random(n_rows) < min(1.0, 0.3 * float(intensity)))
        kind = rng.integers(0, 4, n_rows)
        frame["age"] = frame["age"].astype(int)
        frame.loc[bad & (kind == 0), "age"] = 999
        frame.loc[bad & (kind == 1), "annual_income"] = -frame.loc[bad & (kind == 1), "annual_income"]
        frame.loc[bad & (kind == 2), "credit_score"] = 9_999
        frame.loc[bad & (kind == 3), "debt_to_income"] = 7.5
    if active["renamed_column"]:
        frame["yearly_income"] = np.where(hit, frame["annual_income"], np.nan)
        frame.loc[hit, "annual_income"] = np.nan
    if active["duplicates"]:
        dup_rows = frame[hit & (rng.random(n_rows) < min(1.0, 0.15 * float(intensity)))]
        frame = pd.concat([frame, dup_rows], ignore_index=True)

    frame = frame.sort_values([DATE_COLUMN, ID_COLUMN], kind="stable").reset_index(drop=True)
    return frame


def split_by_month(frame: pd.DataFrame, first_test_month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into the months before ``first_test_month`` (train) and from it on (test).

    Args:
        frame: applications with a ``month`` column.
        first_test_month: ``"YYYY-MM"``, the first month of the test part.

    Returns:
        ``(train, test)``, both non-empty.

    Raises:
        ValueError: the month is malformed or leaves one part empty.
    """
    try:
        pd.Period(first_test_month, freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"first_test_month must look like '2024-07', got {first_test_month!r}.") from exc
    check_frame("frame", frame, required=[MONTH_COLUMN], non_empty=False)
    months = frame[MONTH_COLUMN]
    train, test = frame[months < first_test_month], frame[months >= first_test_month]
    if train.empty or test.empty:
        raise ValueError(
            f"first_test_month {first_test_month!r} leaves an empty part; the data covers "
            f"{months.min()} to {months.max()}."
        )
    return train, test


def labelled_as_of(frame: pd.DataFrame, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """The rows whose label is already known on ``as_of`` (labels arrive weeks later)."""
    check_frame("frame", frame, required=[LABEL_DATE_COLUMN], non_empty=False)
    try:
        pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ValueError(f"as_of must be a date like '2024-07-01', got {as_of!r}.") from None
    return frame[frame[LABEL_DATE_COLUMN] <= pd.Timestamp(as_of)]


def iter_batches(frame: pd.DataFrame, batch_size: int) -> Iterator[pd.DataFrame]:
    """Yield the frame in consecutive micro-batches of ``batch_size`` rows (the last may be smaller)."""
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}.")
    check_frame("frame", frame, non_empty=False)
    for begin in range(0, len(frame), batch_size):
        yield frame.iloc[begin : begin + batch_size]


def dataset_fingerprint(frame: pd.DataFrame) -> str:
    """A short, stable SHA-256 fingerprint of a frame's columns, types and values.

    Args:
        frame: any data frame.

    Returns:
        The first 16 hex digits of the digest; the same data gives the same fingerprint
        on every machine, and any changed value, column or dtype changes it.
    """
    check_frame("frame", frame, non_empty=False)
    digest = hashlib.sha256()
    digest.update("|".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def scenario_table() -> pd.DataFrame:
    """The named scenarios and what each injects, as a small table."""
    return pd.DataFrame({"scenario": list(SCENARIOS), "what it injects": list(SCENARIOS.values())})
