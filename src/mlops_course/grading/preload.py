"""What the fast path's kernel template imports before it forks a grading kernel.

A module the template has not imported is imported again by every kernel that needs it:
seconds of CPU per submission for MLflow's database layer, Evidently or moto. The template
imports (:func:`modules_for`):

* what the instructor's code cells import: the setup cells, the tests (visible and hidden)
  and the reference solutions, which learners' answers mostly mirror;
* what those modules import later, at first use, inside their functions (:data:`LATER`):
  no import statement in a notebook names them. Found by running each reference solution
  in a kernel that had imported the above, and listing the modules it still imported;
  ``benchmarks/grading_benchmark.py --reference`` prints what is still left;
* what a notebook declares in ``metadata.mlops_course.preload``.

Every module here imports in a template without starting a thread (the template checks,
and its tests too); one that fails to import is skipped.
"""

from __future__ import annotations

from typing import Any

from mlops_course.grading.kernel_guard import imported_modules

#: MLflow's SQLite store and what a run, a logged model and the registry load on first use
_MLFLOW_AT_FIRST_USE = (
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.tracking.sqlalchemy_workspace_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_workspace_store",
    "mlflow.store.db.utils",
    "sqlalchemy.dialects.sqlite",
    "alembic.command",
    "alembic.config",
    "mlflow.sklearn",
    "mlflow.pyfunc",
    "mlflow.models.display_utils",
    "mlflow.tracing.processor.otel",
    "mlflow.tracing.export.utils",
    "mlflow.utils.crypto",
    "mlflow.genai.scorers.online",
    "opentelemetry.sdk.metrics",
    "git",  # a run's source version
    "narwhals.stable.v2",  # a logged model's signature
    "narwhals._pandas_like.dataframe",
    "narwhals._pandas_like.namespace",
    "narwhals._interchange.dataframe",
    "pygments.formatters.html",
    "pygments.lexers.web",
    "pygments.lexers.javascript",
)

#: module imported by an instructor cell -> modules it imports later, at first use
LATER: dict[str, tuple[str, ...]] = {
    "mlops_course.tracking": _MLFLOW_AT_FIRST_USE,
    "mlflow": _MLFLOW_AT_FIRST_USE,
    # KFP's local runner (its docker handler is imported even for subprocesses), and what the step
    # server a graded kernel forks from itself imports (kfp_prefork): then it imports nothing more
    "mlops_course.workflows.kfp_local": (
        "kfp.local",
        "kfp.local.subprocess_task_handler",
        "kfp.local.docker_task_handler",
        "kfp.local.orchestrator.enhanced_dag_orchestrator",
        "docker",
        "venv",
        "tomllib",
        "mlops_course.workflows.kfp_fork",
    ),
    # moto's emulated services, loaded when the emulator starts and first called
    "mlops_course.infra.cloud": (
        "moto",
        "moto.server",
        "boto3",
        "boto3.s3.transfer",
        "moto.moto_api",
        "moto.s3.models",
        "moto.s3.urls",
        "moto.ec2.models",
        "moto.ec2.responses",
        "moto.ec2.urls",
        "moto.iam.models",
        "moto.iam.responses",
        "moto.iam.urls",
        "moto.autoscaling.models",
        "moto.autoscaling.responses",
        "moto.autoscaling.urls",
        "moto.elb.models",
        "moto.elbv2.models",
        "moto.cloudwatch.models",
        "moto.events.models",
        "cryptography.x509",
        "importlib_resources.readers",
        "flask.debughelpers",
        "unittest.mock",
        "multiprocessing.managers",
        "multiprocessing.shared_memory",
    ),
    # check-jsonschema, run in the kernel on a CI file (ci_files.validate_ci_file)
    "mlops_course.cicd": ("check_jsonschema", "check_jsonschema.cli", "ruamel.yaml", "json5", "regress"),
    "mlops_course.infra": ("mlops_course.infra.containers", "mlops_course.infra.k8s", "kubernetes_validate"),
    "evidently": ("evidently.presets", "evidently.metrics", "evidently.tests", "plotly.offline", "plotly.tools"),
    "numpy": ("numpy.testing",),  # np.testing, loaded on first use
}


def instructor_sources(notebooks: list[Any]) -> list[str]:
    """The source of every code cell of the instructor notebooks (setup, tests, reference solutions)."""
    return [cell.source for nb in notebooks for cell in nb.cells if cell.cell_type == "code"]


def modules_for(notebooks: list[Any]) -> list[str]:
    """What the template imports for these instructor notebooks (see the module docstring)."""
    names = set(imported_modules(instructor_sources(notebooks)))
    for nb in notebooks:
        names.update(map(str, nb.metadata.get("mlops_course", {}).get("preload", [])))
    for name in list(names):
        for imported in (name, *(p for p in LATER if name.startswith(p + "."))):
            names.update(LATER.get(imported, ()))
    if "mlops_course.workflows.kfp_fork" in names:  # imported here only then (its package imports pandas)
        from mlops_course.workflows import kfp_fork

        names.update(kfp_fork.PRELOAD)
    return sorted(n for n in names if not n.startswith("__"))
