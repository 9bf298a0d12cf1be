"""The population stability index (PSI): one implementation and one table of thresholds for the whole course.

PSI compares how a sample spreads over bins with how a reference spreads over the same
bins: ``sum((current - reference) * ln(current / reference))``. It is 0 when the binned
shares are equal and grows with the shift.

The thresholds are a rule of thumb from credit scoring, where PSI was born to watch
scorecard populations: below 0.1 no significant change, 0.1 to 0.25 a moderate shift
worth a look, 0.25 and above a major shift that calls for action (Siddiqi, *Credit Risk
Scorecards*, Wiley, 2006; Yurdakul, "Statistical Properties of Population Stability
Index", 2018). They are conventions, not statistics: with small samples PSI is noisy.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from mlops_course.checks import BadType, BadValue, check_choice, check_numeric_series

#: PSI below ``PSI_MODERATE``: stable; from it to ``PSI_MAJOR``: moderate shift; from ``PSI_MAJOR``: major shift.
PSI_MODERATE, PSI_MAJOR = 0.1, 0.25
#: The same thresholds as a table, for printing beside a result.
PSI_THRESHOLDS: dict[str, tuple[float, float]] = {
    "stable": (0.0, PSI_MODERATE),
    "moderate shift": (PSI_MODERATE, PSI_MAJOR),
    "major shift": (PSI_MAJOR, float("inf")),
}
_EPSILON = 1e-4


def nonmissing_values(values: object, name: str) -> np.ndarray:
    array = pd.Series(values).dropna()
    if array.empty:
        raise ValueError(f"{name} has no non-missing values; drift needs data on both sides.")
    return array.to_numpy()


def _finite(name: str, values: np.ndarray) -> np.ndarray:
    """The values as finite floats, or a clear error naming the sample (``'forty'`` or ``inf`` has no bin)."""
    numbers = check_numeric_series(name, pd.Series(values)).to_numpy(dtype=float)
    if not np.isfinite(numbers).all():
        raise BadValue(f"{name} must hold finite numbers, got {int((~np.isfinite(numbers)).sum())} infinite value(s).")
    return numbers


def _fill_zeros(shares: np.ndarray) -> np.ndarray:
    """Replace empty bins by a tiny share so the logarithm stays finite (Evidently's rule)."""
    shares = shares.astype(float).copy()
    non_zero = shares[shares > 0]
    floor = non_zero.min() / 1e6 if non_zero.min() <= _EPSILON else _EPSILON
    shares[shares == 0] = floor
    return shares


def binned_shares(
    reference: object,
    current: object,
    bins: int = 10,
    binning: Literal["quantile", "sturges", "category"] = "quantile",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | list[object]]:
    """Share of each sample falling in each bin (empty bins not yet filled).

    Args:
        reference: the reference sample (missing values are dropped).
        current: the current sample.
        bins: number of quantile bins (``binning="quantile"`` only).
        binning: ``"quantile"`` (bin edges at the reference's quantiles), ``"sturges"``
            (Evidently's numeric rule) or ``"category"`` (one bin per distinct value).

    Returns:
        ``(reference_shares, current_shares, edges_or_categories)``.
    """
    check_choice("binning", binning, ("quantile", "sturges", "category"))
    ref, cur = nonmissing_values(reference, "reference"), nonmissing_values(current, "current")
    if binning == "category":
        keys = list(dict.fromkeys([*pd.unique(cur), *pd.unique(ref)]))
        ref_counts, cur_counts = pd.Series(ref).value_counts(), pd.Series(cur).value_counts()
        ref_shares = np.array([ref_counts.get(k, 0) for k in keys]) / len(ref)
        cur_shares = np.array([cur_counts.get(k, 0) for k in keys]) / len(cur)
        return ref_shares, cur_shares, keys
    ref, cur = _finite("reference", ref), _finite("current", cur)
    if binning == "sturges":
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur), edges
    if binning != "quantile":
        raise ValueError(f"binning must be 'quantile', 'sturges' or 'category', got {binning!r}.")
    if not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be a whole number of at least 2, got {bins!r}.")
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1])
    ref_index, cur_index = np.searchsorted(inner, ref, side="right"), np.searchsorted(inner, cur, side="right")
    n_bins = len(inner) + 1
    ref_shares = np.bincount(ref_index, minlength=n_bins) / len(ref)
    cur_shares = np.bincount(cur_index, minlength=n_bins) / len(cur)
    return ref_shares, cur_shares, np.concatenate([[-np.inf], inner, [np.inf]])


def psi(
    reference: object,
    current: object,
    bins: int = 10,
    binning: Literal["quantile", "sturges", "category"] = "quantile",
) -> float:
    """Population Stability Index: ``sum((current - reference) * ln(current / reference))`` over bins.

    Args:
        reference: the reference sample (e.g. the training month).
        current: the sample to compare (e.g. this week's records).
        bins: number of quantile bins of the reference.
        binning: see :func:`binned_shares`; categorical columns use ``"category"``.

    Returns:
        PSI ≥ 0; 0 when the binned distributions are identical.
    """
    ref_shares, cur_shares, _ = binned_shares(reference, current, bins, binning)
    ref_shares, cur_shares = _fill_zeros(ref_shares), _fill_zeros(cur_shares)
    return float(np.sum((cur_shares - ref_shares) * np.log(cur_shares / ref_shares)))


def psi_band(value: float) -> str:
    """The band of :data:`PSI_THRESHOLDS` a PSI value falls in: ``"stable"``, ``"moderate shift"`` or ``"major shift"``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise BadType(f"value must be a finite PSI of at least 0, got {value!r}.")
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"value must be a finite PSI of at least 0, got {value!r}.")
    return next(band for band, (low, high) in PSI_THRESHOLDS.items() if low <= number < high)
