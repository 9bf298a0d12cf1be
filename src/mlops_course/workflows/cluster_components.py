"""The credit pipeline's steps as a Kubeflow cluster runs them: containerized Python components.

Module 2's notebook declares *lightweight* components: KFP copies each function's source into
the task and runs it with ``python3`` in ``base_image``. That works on a laptop because the
local runner uses this environment, where ``kfp`` and ``mlops_course`` are installed. A
cluster starts a fresh container from ``base_image`` instead, and ``python:3.11`` has
neither, so every task would fail at its first import.

Here the same steps are *containerized* components (``target_image``). ``kfp component build``
reads this file and writes a Dockerfile that starts from :data:`BASE_IMAGE`, installs
:data:`PACKAGES` (the course package, from the team's package index) and KFP, and copies this
file in; with Docker it then builds and pushes :data:`TARGET_IMAGE`. The compiled pipeline
names that image, so each task starts with everything it imports. Because the code is
packaged, a containerized component may import at module level, as below.

(No ``from __future__ import annotations`` here: KFP reads the annotations as types.)
"""

import contextlib
import io
import logging
import shutil
import warnings
from pathlib import Path

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output

from mlops_course.workflows import credit_steps

#: The image the build starts from: a slim Python, pinned to the minor version the course uses.
BASE_IMAGE = "python:3.11-slim"
#: The image ``kfp component build`` builds and pushes, and the compiled pipeline runs.
TARGET_IMAGE = "registry.lender.example/mlops/credit-steps:0.1.0"
#: What the image needs besides KFP: the course package (its dependencies come with it).
PACKAGES = ["mlops-course==0.1.0"]
#: The team's private package index, where ``mlops-course`` is published.
PACKAGE_INDEX = ["https://pypi.lender.example/simple"]

STEP = dict(
    base_image=BASE_IMAGE, target_image=TARGET_IMAGE, packages_to_install=PACKAGES, pip_index_urls=PACKAGE_INDEX
)


@dsl.component(**STEP)
def ingest(seed: int, scenario: str, n_rows: int, applications: Output[Dataset]):
    applications.metadata["rows"] = credit_steps.ingest(applications.path, seed=seed, scenario=scenario, n_rows=n_rows)


@dsl.component(**STEP)
def validate(applications: Input[Dataset], validated: Output[Dataset]):
    validated.metadata["rows"] = credit_steps.validate(applications.path, validated.path)


@dsl.component(**STEP)
def train(validated: Input[Dataset], seed: int, C: float, model: Output[Model]):
    model.metadata["training_rows"] = credit_steps.train(validated.path, model.path, seed=seed, C=C)


@dsl.component(**STEP)
def evaluate(validated: Input[Dataset], model: Input[Model], min_auc: float, metrics: Output[Metrics]) -> bool:
    result = credit_steps.evaluate(validated.path, model.path, metrics.path, min_auc=min_auc)
    for name in ("roc_auc", "average_precision", "brier"):
        metrics.log_metric(name, result[name])
    return bool(result["passed"])


@dsl.component(**STEP)
def track(
    validated: Input[Dataset], metrics: Input[Metrics], seed: int, scenario: str, C: float, min_auc: float
) -> str:
    params = {"seed": seed, "scenario": scenario, "C": C, "min_auc": min_auc}
    return str(credit_steps.track(validated.path, metrics.path, params=params)["run_id"])


@dsl.component(**STEP)
def register(model: Input[Model], model_name: str, run_id: str) -> int:
    return credit_steps.register(model.path, model_name, run_id=run_id)


COMPONENTS = {c.name: c for c in (ingest, validate, train, evaluate, track, register)}
"""The six components by name (``ingest`` ... ``register``)."""


def container_of(component: object) -> dict[str, object]:
    """The image and command a cluster runs for a component: ``{"image", "command", "args"}``."""
    spec = getattr(component, "component_spec", None)
    container = getattr(getattr(spec, "implementation", None), "container", None)
    if container is None:
        raise ValueError("component must be a KFP container component, e.g. one made with @dsl.component.")
    return {"image": container.image, "command": list(container.command or []), "args": list(container.args or [])}


def write_build_context(folder: str | Path) -> dict[str, str]:
    """Run ``kfp component build FOLDER --no-build-image`` on a copy of this file, without Docker.

    The KFP CLI writes the build context (Dockerfile, requirements, component specs, a
    ``kfp_config.ini``) and, without ``--no-build-image``, would build and push the image
    with Docker. Its log lines and warnings are kept out of the notebook.

    Args:
        folder: an empty or new folder for the build context (never the package itself).

    Returns:
        Relative file name -> text of every file the build wrote (the copied source excluded).
    """
    from kfp.cli.component import build

    folder = Path(folder)
    if folder.resolve() == Path(__file__).resolve().parent:
        raise ValueError("folder must be a separate build folder, not the package's own folder.")
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).name
    shutil.copy(__file__, folder / source)
    arguments = [str(folder), "--component-filepattern", source, "--no-build-image"]
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            build.main(args=arguments, standalone_mode=False)
    finally:
        logging.disable(logging.NOTSET)
    return {
        str(path.relative_to(folder)): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != source and "__pycache__" not in path.parts
    }


__all__ = [
    "BASE_IMAGE",
    "COMPONENTS",
    "PACKAGES",
    "PACKAGE_INDEX",
    "TARGET_IMAGE",
    "container_of",
    "write_build_context",
]
