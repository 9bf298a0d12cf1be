"""The model's input columns."""

NUMERIC = [
    "age",
    "annual_income",
    "loan_amount",
    "loan_term_months",
    "credit_score",
    "employment_years",
    "num_open_accounts",
    "interest_rate",
    "debt_to_income",
]
CATEGORICAL = ["home_ownership", "loan_purpose", "employment_type"]
