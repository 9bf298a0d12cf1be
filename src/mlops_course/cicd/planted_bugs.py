"""Planted bugs in a model and in data: test the tests."""

from __future__ import annotations

from typing import Any

from mlops_course.checks import check_frame

#: Model bugs a behavioural test should catch, and what each does to the predictions.
MODEL_BUGS: dict[str, str] = {
    "source_leak": "adds risk to applications from broker_beta (the partner, not the applicant)",
    "channel_leak": "multiplies the risk of branch applications by 1.5",
    "credit_score_flipped": "reads credit_score upside down (a better score raises risk)",
    "debt_to_income_flipped": "reads debt_to_income upside down (more debt lowers risk)",
    "constant": "predicts the same risk for everyone",
    "inverted": "returns 1 - p (a sign error: the riskiest look safest)",
    "ignores_features": "scores from the application id only (random-looking, useless)",
}
#: Data bugs a data test should catch.
DATA_BUGS: dict[str, str] = {
    "out_of_range": "impossible values (age 999, credit score 9999)",
    "nulls": "annual_income missing in some rows",
    "duplicates": "some applications sent twice",
    "renamed_column": "annual_income renamed to yearly_income",
    "unknown_category": "a loan_purpose the contract does not know",
    "bad_label": "a label other than 0 or 1",
}


class BuggedModel:
    """A fitted model with a planted bug (see :data:`MODEL_BUGS`); ``predict_proba`` as sklearn's."""

    def __init__(self, model: Any, bug: str) -> None:
        if bug not in MODEL_BUGS:
            raise ValueError(f"bug {bug!r} is unknown; choose from: {', '.join(MODEL_BUGS)}")
        self.model, self.bug = model, bug

    def predict_proba(self, frame: Any) -> Any:
        import numpy as np

        data = frame.copy()
        if self.bug == "credit_score_flipped":
            data["credit_score"] = 1150 - data["credit_score"]
        elif self.bug == "debt_to_income_flipped":
            data["debt_to_income"] = 1.2 - data["debt_to_income"]
        risk = np.asarray(self.model.predict_proba(data)[:, 1], dtype=float)
        if self.bug == "source_leak":
            risk = risk + 0.2 * (data["source"] == "broker_beta").to_numpy()
        elif self.bug == "channel_leak":
            risk = risk * np.where(data["channel"] == "branch", 1.5, 1.0)
        elif self.bug == "constant":
            risk = np.full(len(data), 0.1)
        elif self.bug == "inverted":
            risk = 1.0 - risk
        elif self.bug == "ignores_features":
            ids = data["application_id"].str.slice(4).astype(int).to_numpy()
            risk = (ids * 2_654_435_761 % 1_000_003) / 1_000_003
        risk = np.clip(risk, 0.0, 1.0)
        return np.column_stack([1.0 - risk, risk])


def planted_bug_data(frame: Any, bug: str, seed: int = 0) -> Any:
    """A copy of a clean applications frame with the data bug ``bug`` (see :data:`DATA_BUGS`) planted."""
    import numpy as np

    if bug not in DATA_BUGS:
        raise ValueError(f"bug {bug!r} is unknown; choose from: {', '.join(DATA_BUGS)}")
    check_frame("frame", frame, non_empty=False)
    if len(frame) < 20:
        raise ValueError(f"frame needs at least 20 rows to plant a bug, got {len(frame)}")
    data = frame.copy().reset_index(drop=True)
    rows = np.random.default_rng(seed).choice(len(data), size=max(2, len(data) // 50), replace=False)
    if bug == "out_of_range":
        data["age"] = data["age"].astype(int)
        data.loc[rows[::2], "age"] = 999
        data.loc[rows[1::2], "credit_score"] = 9_999
    elif bug == "nulls":
        data.loc[rows, "annual_income"] = np.nan
    elif bug == "duplicates":
        import pandas as pd

        data = pd.concat([data, data.iloc[rows]], ignore_index=True)
    elif bug == "renamed_column":
        data = data.rename(columns={"annual_income": "yearly_income"})
    elif bug == "unknown_category":
        data.loc[rows, "loan_purpose"] = "crypto"
    elif bug == "bad_label":
        data.loc[rows, "defaulted"] = 2
    return data
