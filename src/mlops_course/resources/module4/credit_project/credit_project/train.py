"""Stage `train`: fit the model on the training months; save it and its data fingerprint."""

import json
import pickle
import sys

from mlops_course.data import dataset_fingerprint

from credit_project.data import load_applications, validate_applications
from credit_project.model import fit
from credit_project.settings import ARTIFACTS, load


def main() -> int:
    config = load()
    train, _ = load_applications(config)
    problems = validate_applications(train)
    if problems:
        print("training data breaks the contract:", *problems, sep="\n  ")
        return 1
    model = fit(train, config)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "model.pkl").write_bytes(pickle.dumps(model))
    facts = {"environment": config.environment, "rows": len(train), "data_fingerprint": dataset_fingerprint(train)}
    (ARTIFACTS / "train.json").write_text(json.dumps(facts, indent=2))
    print(f"trained on {len(train)} rows ({config.environment}), data {facts['data_fingerprint']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
