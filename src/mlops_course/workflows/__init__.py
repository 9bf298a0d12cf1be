"""Automating ML workflows (module 2, exercise 1).

- :mod:`~mlops_course.workflows.runner`: a small local orchestrator (steps, inputs,
  retries, a record of each run) for exercises and tests.
- :mod:`~mlops_course.workflows.kfp_local`: run Kubeflow Pipelines locally with quiet
  logs, and draw a compiled pipeline's graph.
- :mod:`~mlops_course.workflows.triggers`: schedule, new-data and drift triggers.

Only the runner is imported here; ``kfp_local`` imports KFP when used.
"""

from mlops_course.workflows.runner import (
    STATUSES,
    DataValidationError,
    Step,
    StepFailed,
    StepRecord,
    WorkflowResult,
    run_workflow,
)
from mlops_course.workflows.triggers import TriggerDecision, TriggerPolicy

__all__ = [
    "STATUSES",
    "DataValidationError",
    "Step",
    "StepFailed",
    "StepRecord",
    "TriggerDecision",
    "TriggerPolicy",
    "WorkflowResult",
    "run_workflow",
]
