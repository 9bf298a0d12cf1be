"""Data quality as code: the five quality dimensions, record-level rules and data contracts.

- Dimension checks (:func:`completeness`, :func:`validity`, :func:`uniqueness`,
  :func:`consistency`, :func:`timeliness`) measure a whole frame.
- A :class:`DataContract` (loaded from YAML with :func:`load_contract`) states the schema,
  ranges, allowed categories, key and freshness a producer promises.
  :func:`check_schema` checks the frame's shape; :func:`find_violations` lists every
  broken rule per record; :func:`reasons_by_record` turns that into one reason per record,
  which is what a quarantine stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlops_course.checks import BadType, check_frame, check_names, describe, wrong_type_mask
from mlops_course.data import (
    CATEGORIES,
    DATE_COLUMN,
    FEATURES,
    ID_COLUMN,
    LABEL_DATE_COLUMN,
    SOURCES,
    VALID_RANGES,
)

CONTRACT_RESOURCE = ("resources", "module6", "loan_applications.contract.yaml")
VIOLATION_COLUMNS = ("row", "column", "rule", "detail")


# --- the five dimensions ------------------------------------------------------------------
def completeness(frame: pd.DataFrame, columns: Sequence[str] = FEATURES) -> pd.Series:
    """Share of missing values per column (a column absent from the frame counts as all missing).

    ``columns`` is a list of names; a single name (``"age"``) means that one column.
    """
    _require_frame(frame)
    columns = check_names("columns", columns)
    return pd.Series(
        {c: float(frame[c].isna().mean()) if c in frame.columns else 1.0 for c in columns}, name="missing_share"
    )


def validity(
    frame: pd.DataFrame,
    ranges: Mapping[str, tuple[float, float]] = VALID_RANGES,
    categories: Mapping[str, Sequence[str]] = CATEGORIES,
) -> pd.Series:
    """Share of present values outside their valid range or allowed categories, per column.

    A present value that is not a number in a ranged column (``'forty'`` in ``age``) is invalid.
    """
    _require_frame(frame)
    shares: dict[str, float] = {}
    for column, (low, high) in ranges.items():
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            wrong = wrong_type_mask(frame[column])
            shares[column] = float(((values < low) | (values > high) | wrong).mean())
    for column, allowed in categories.items():
        if column in frame.columns:
            present = frame[column].notna()
            shares[column] = float((present & ~frame[column].isin(list(allowed))).mean())
    return pd.Series(shares, name="invalid_share")


def uniqueness(frame: pd.DataFrame, key: str = ID_COLUMN) -> int:
    """Number of records whose ``key`` repeats an earlier record (0 means the key is unique)."""
    _require_frame(frame)
    if key not in frame.columns:
        raise ValueError(
            f"key {key!r} is not a column of the frame; columns are: {', '.join(map(str, frame.columns))}."
        )
    return int(frame[key].duplicated().sum())


def consistency(frame: pd.DataFrame) -> pd.Series:
    """Number of records breaking each cross-field rule of the loan applications.

    Rules: ``channel`` matches the partner ``source``; unemployed applicants have 0
    employment years; employment years fit the applicant's working life (age - 17);
    the label is known after the application date.
    """
    _require_frame(frame)
    expected_channel = frame["source"].map(SOURCES)
    age = pd.to_numeric(frame["age"], errors="coerce")
    years = pd.to_numeric(frame["employment_years"], errors="coerce")
    rules = {
        "channel matches source": expected_channel.notna() & (frame["channel"] != expected_channel),
        "unemployed has 0 years": (frame["employment_type"] == "unemployed") & (years > 0),
        "years fit working life": years > (age - 17).clip(lower=0),
        "label after application": frame[LABEL_DATE_COLUMN] < frame[DATE_COLUMN],
    }
    return pd.Series({name: int(mask.sum()) for name, mask in rules.items()}, name="violations")


def timeliness(frame: pd.DataFrame, as_of: str | pd.Timestamp) -> dict[str, float]:
    """How fresh the data and its labels are on ``as_of``.

    Returns:
        ``data_age_days`` (days since the newest application), ``median_label_delay_days``
        (application to known label, over labels known by ``as_of``) and
        ``labelled_share_last_90_days`` (share of the last 90 days' applications whose
        label is known on ``as_of``).
    """
    _require_frame(frame)
    moment = _timestamp(as_of, "as_of")
    dates = frame[DATE_COLUMN]
    known = frame[frame[LABEL_DATE_COLUMN] <= moment]
    recent = frame[dates > moment - pd.Timedelta(days=90)]
    delay = (known[LABEL_DATE_COLUMN] - known[DATE_COLUMN]).dt.days
    return {
        "data_age_days": float((moment - dates.max()).days),
        "median_label_delay_days": float(delay.median()) if len(delay) else float("nan"),
        "labelled_share_last_90_days": float((recent[LABEL_DATE_COLUMN] <= moment).mean()) if len(recent) else 0.0,
    }


# --- the data contract --------------------------------------------------------------------
class ColumnSpec(BaseModel):
    """What the contract promises about one column."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["string", "datetime", "number", "category"]
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: list[str] | None = None
    impute: Literal["median"] | None = None
    max_null_share: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _coherent(self) -> ColumnSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        if (self.min is not None or self.max is not None) and self.type != "number":
            raise ValueError(f"min/max only apply to type 'number', not {self.type!r}")
        if self.allowed is not None and self.type != "category":
            raise ValueError(f"allowed only applies to type 'category', not {self.type!r}")
        if self.impute is not None and not self.nullable:
            raise ValueError("impute needs nullable: true (a non-nullable column is never imputed)")
        return self


class Freshness(BaseModel):
    """How late a record may reach the consumer."""

    model_config = ConfigDict(extra="forbid")
    timestamp_column: str
    max_delay_days: float = Field(gt=0)


class DataContract(BaseModel):
    """A producer's promise about a dataset: schema, ranges, key and freshness."""

    model_config = ConfigDict(extra="forbid")
    contract: str
    version: str
    owner: str
    producers: list[str] = Field(default_factory=list)
    primary_key: str
    extra_columns: Literal["forbid", "allow"] = "forbid"
    freshness: Freshness | None = None
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _key_and_clock_exist(self) -> DataContract:
        if self.primary_key not in self.columns:
            raise ValueError(f"primary_key {self.primary_key!r} is not one of the contract's columns")
        if self.freshness and self.freshness.timestamp_column not in self.columns:
            raise ValueError(f"freshness.timestamp_column {self.freshness.timestamp_column!r} is not a column")
        return self

    def imputable(self) -> list[str]:
        """Columns the contract allows to be imputed when missing."""
        return [name for name, spec in self.columns.items() if spec.impute]


def parse_contract(data: Mapping[str, object]) -> DataContract:
    """Validate a contract given as a mapping (e.g. parsed YAML).

    Raises:
        ValueError: the contract is malformed; the message lists each problem and where it is.
    """
    try:
        return DataContract.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'contract'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"invalid data contract: {problems}") from None


def load_contract(path: str | Path | None = None) -> DataContract:
    """Load and validate a YAML data contract (the course's loan-applications contract by default)."""
    if path is None:
        text = resources.files("mlops_course").joinpath(*CONTRACT_RESOURCE).read_text()
    else:
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"contract file {str(path)!r} does not exist; pass the path of a YAML contract.")
        text = path.read_text()
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("a data contract must be a YAML mapping with keys contract, version, columns, ...")
    return parse_contract(data)


def contract_path() -> Path:
    """Where the course's loan-applications contract file is installed."""
    return Path(str(resources.files("mlops_course").joinpath(*CONTRACT_RESOURCE)))


def check_schema(frame: pd.DataFrame, contract: DataContract) -> list[str]:
    """Problems with the frame's shape: missing columns, unexpected columns, wrong types.

    Returns:
        One readable message per problem; an empty list means the schema matches.
    """
    _require_frame(frame)
    _require_contract(contract)
    problems = [f"missing column {c!r}" for c in contract.columns if c not in frame.columns]
    if contract.extra_columns == "forbid":
        problems += [f"unexpected column {c!r}" for c in frame.columns if c not in contract.columns]
    for name, spec in contract.columns.items():
        if name not in frame.columns:
            continue
        series = frame[name]
        if spec.type == "number" and not (pd.api.types.is_numeric_dtype(series) or series.isna().all()):
            problems.append(f"column {name!r} should be numeric, has dtype {series.dtype}")
        if spec.type == "datetime" and not pd.api.types.is_datetime64_any_dtype(series):
            problems.append(f"column {name!r} should be a datetime, has dtype {series.dtype}")
    return problems


def find_violations(
    frame: pd.DataFrame,
    contract: DataContract,
    *,
    as_of: str | pd.Timestamp | None = None,
    seen_keys: Iterable[object] = (),
) -> pd.DataFrame:
    """Every record-level rule each row breaks.

    Args:
        frame: the delivery to check.
        contract: the contract it must keep.
        as_of: when the delivery arrives; records older than the contract's freshness
            limit are ``stale``. ``None`` skips the freshness rule.
        seen_keys: keys already received earlier (a stream's memory): repeating one is a
            ``duplicate`` too.

    Returns:
        A frame with columns ``row`` (the frame's index label), ``column``, ``rule``
        (``missing``, ``null``, ``wrong_type``, ``out_of_range``, ``not_allowed``,
        ``unexpected_column``, ``duplicate``, ``stale``) and ``detail``; empty when every record keeps the contract.
        ``null`` in a nullable column is not a violation.
    """
    _require_frame(frame)
    _require_contract(contract)
    parts: list[pd.DataFrame] = []

    def add(mask: pd.Series, column: str, rule: str, detail: str) -> None:
        if mask.any():
            rows = frame.index[mask.to_numpy()]
            parts.append(pd.DataFrame({"row": rows, "column": column, "rule": rule, "detail": detail}))

    everyone = pd.Series(True, index=frame.index)
    for name, spec in contract.columns.items():
        if name not in frame.columns:
            if not spec.nullable:
                add(everyone, name, "missing", f"column {name} is absent")
            continue
        series = frame[name]
        if not spec.nullable:
            add(series.isna(), name, "null", f"{name} is empty")
        if spec.type == "number":
            values = pd.to_numeric(series, errors="coerce")
            add(wrong_type_mask(series), name, "wrong_type", f"{name} is not a number")
            if spec.min is not None:
                add(values < spec.min, name, "out_of_range", f"{name} below {spec.min:g}")
            if spec.max is not None:
                add(values > spec.max, name, "out_of_range", f"{name} above {spec.max:g}")
        if spec.allowed is not None:
            add(series.notna() & ~series.isin(spec.allowed), name, "not_allowed", f"{name} not in allowed values")
    if contract.extra_columns == "forbid":
        for name in frame.columns:
            if name not in contract.columns:
                add(frame[name].notna(), name, "unexpected_column", f"value in unknown column {name}")
    key = contract.primary_key
    if key in frame.columns:
        seen = set(seen_keys)
        repeated = frame[key].duplicated() | (frame[key].isin(seen) if seen else False)
        add(pd.Series(repeated, index=frame.index), key, "duplicate", f"{key} already received")
    if as_of is not None and contract.freshness is not None and contract.freshness.timestamp_column in frame.columns:
        clock = contract.freshness.timestamp_column
        limit = _timestamp(as_of, "as_of") - pd.Timedelta(days=contract.freshness.max_delay_days)
        add(frame[clock] < limit, clock, "stale", f"older than {contract.freshness.max_delay_days:g} days")
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in VIOLATION_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def reasons_by_record(frame: pd.DataFrame, violations: pd.DataFrame) -> pd.Series:
    """One reason string per record (``""`` when it keeps the contract), e.g. ``"out_of_range:age"``.

    Args:
        frame: the checked frame (its index gives the result's index).
        violations: the output of :func:`find_violations` for that frame.
    """
    check_frame("violations", violations, non_empty=False)
    missing = [c for c in VIOLATION_COLUMNS if c not in violations.columns]
    if missing:
        raise ValueError(f"violations lacks columns {missing}; pass the result of find_violations.")
    reasons = pd.Series("", index=frame.index, dtype=object)
    if len(violations):
        labels = violations["rule"].astype(str) + ":" + violations["column"].astype(str)
        joined = labels.groupby(violations["row"].to_numpy(), sort=False).agg(lambda s: "; ".join(dict.fromkeys(s)))
        reasons.loc[joined.index] = joined.to_numpy()
    return reasons


def violation_summary(violations: pd.DataFrame) -> pd.DataFrame:
    """Count violations by rule and column, most frequent first (what a notebook shows)."""
    check_frame("violations", violations, required=("rule", "column"), non_empty=False)
    if violations.empty:
        return pd.DataFrame({"rule": [], "column": [], "records": []}).astype({"records": int})
    counts = violations.groupby(["rule", "column"]).size().rename("records").reset_index()
    return counts.sort_values(["records", "rule", "column"], ascending=[False, True, True], ignore_index=True)


def _require_frame(frame: object) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise BadType(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")


def _require_contract(contract: object) -> None:
    if not isinstance(contract, DataContract):
        raise BadType(f"contract must be a DataContract (see load_contract()), got {describe(contract)}.")


def _timestamp(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a date like '2024-07-01', got {value!r}.") from exc


__all__ = [
    "ColumnSpec",
    "DataContract",
    "Freshness",
    "check_schema",
    "completeness",
    "consistency",
    "contract_path",
    "find_violations",
    "load_contract",
    "parse_contract",
    "reasons_by_record",
    "timeliness",
    "uniqueness",
    "validity",
    "violation_summary",
]
