"""Module 4, CI/CD and configuration: CI files, a local runner, the quality gate, tests for ML.

- :mod:`~mlops_course.cicd.ci_files`: validate GitHub/GitLab CI files, read their jobs, Jenkinsfile stages.
- :mod:`~mlops_course.cicd.local_runner`: run a CI file's jobs locally, as the CI server would.
- :mod:`~mlops_course.cicd.gate`: the quality gate.
- :mod:`~mlops_course.cicd.sample_project`: the module's credit project and named changes to it.
- :mod:`~mlops_course.cicd.test_score`: the ML Test Score rubric.
- :mod:`~mlops_course.cicd.planted_bugs`: bugs planted in a model or data, to test the tests.
- :mod:`~mlops_course.cicd.config`: typed configuration with environment overrides and secrets.
- :mod:`~mlops_course.cicd.versioning`: Git and model lineage.

The names of the first six are re-exported here (``from mlops_course import cicd; cicd.quality_gate``).
"""

from mlops_course.cicd.ci_files import CI_KINDS, ML_STAGES, CIJob, ci_jobs, jenkins_stages, load_ci, validate_ci_file
from mlops_course.cicd.gate import GateDecision, quality_gate
from mlops_course.cicd.local_runner import JobResult, PipelineRun, draw_pipeline_runs, run_ci_locally
from mlops_course.cicd.planted_bugs import DATA_BUGS, MODEL_BUGS, BuggedModel, planted_bug_data
from mlops_course.cicd.sample_project import CHANGES, apply_change, write_sample_project
from mlops_course.cicd.test_score import ml_test_score, ml_test_score_rubric

__all__ = [
    "CHANGES",
    "CI_KINDS",
    "DATA_BUGS",
    "MODEL_BUGS",
    "ML_STAGES",
    "BuggedModel",
    "CIJob",
    "GateDecision",
    "JobResult",
    "PipelineRun",
    "apply_change",
    "ci_jobs",
    "draw_pipeline_runs",
    "jenkins_stages",
    "load_ci",
    "ml_test_score",
    "ml_test_score_rubric",
    "planted_bug_data",
    "quality_gate",
    "run_ci_locally",
    "validate_ci_file",
    "write_sample_project",
]
