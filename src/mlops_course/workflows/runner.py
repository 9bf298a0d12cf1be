"""A small local orchestrator: named steps, their inputs, retries, and a record of each run.

It runs the same shape of workflow that Kubeflow Pipelines runs (a DAG of steps that pass
outputs to each other, stop at the first failure, retry flaky steps), in the current
process and in a few milliseconds of overhead, so exercises and tests can wire and run a
pipeline without subprocesses. Module 2 runs the real thing with the KFP local runner.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_course.checks import BadType, describe
from mlops_course.util import topological_order

STATUSES = ("succeeded", "failed", "skipped")


class DataValidationError(ValueError):
    """A batch of data broke the data contract; the message says which column and how."""


class StepFailed(RuntimeError):
    """A workflow step failed; ``step`` names it and ``__cause__`` is the original error."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"step {step!r} failed: {type(error).__name__}: {error}")
        self.step = step
        self.error = error


@dataclass(frozen=True)
class Step:
    """One step of a workflow.

    Args:
        name: unique name of the step (letters, digits, ``_`` and ``-``).
        func: the function the step runs; called with keyword arguments only.
        inputs: argument name -> name of the upstream step whose output it receives.
        params: argument names taken from the workflow's run parameters.
        retries: how many times to re-run the step after an exception (0 = no retry).
    """

    name: str
    func: Callable[..., Any]
    inputs: Mapping[str, str] = field(default_factory=dict)
    params: Sequence[str] = ()
    retries: int = 0


@dataclass
class StepRecord:
    """What happened to one step: ``status`` (see :data:`STATUSES`), attempts and the error."""

    name: str
    status: str = "skipped"
    attempts: int = 0
    error: BaseException | None = None


@dataclass
class WorkflowResult:
    """The record of one workflow run: each step's record and output, in execution order."""

    params: dict[str, Any]
    records: dict[str, StepRecord]
    outputs: dict[str, Any]

    @property
    def succeeded(self) -> bool:
        """True when every step succeeded."""
        return all(r.status == "succeeded" for r in self.records.values())

    @property
    def failed_step(self) -> str | None:
        """The name of the step that failed, or ``None``."""
        return next((n for n, r in self.records.items() if r.status == "failed"), None)

    @property
    def error(self) -> BaseException | None:
        """The exception of the failed step, or ``None``."""
        step = self.failed_step
        return None if step is None else self.records[step].error

    def status(self, step: str) -> str:
        """The status of ``step``; ValueError names the known steps if it is not one."""
        if step not in self.records:
            raise ValueError(f"no step named {step!r}; the workflow has: {', '.join(self.records)}.")
        return self.records[step].status

    def summary(self) -> list[tuple[str, str, int]]:
        """``(step, status, attempts)`` for each step, in execution order."""
        return [(r.name, r.status, r.attempts) for r in self.records.values()]


def _check_steps(steps: Sequence[Step], params: Mapping[str, Any]) -> list[Step]:
    """Validate the steps and return them in a dependency-respecting order."""
    if not steps:
        raise ValueError("steps must be a non-empty list of Step objects.")
    by_name: dict[str, Step] = {}
    for step in steps:
        if not isinstance(step, Step):
            raise ValueError(f"every step must be a mlops_course.workflows.Step, got {type(step).__name__}.")
        if not step.name or not all(ch.isalnum() or ch in "_-" for ch in step.name):
            raise ValueError(f"step name {step.name!r} must be non-empty letters, digits, '_' or '-'.")
        if step.name in by_name:
            raise ValueError(f"step name {step.name!r} is used twice; step names must be unique.")
        if not callable(step.func):
            raise ValueError(f"step {step.name!r}: func must be callable, got {type(step.func).__name__}.")
        if not isinstance(step.retries, int) or isinstance(step.retries, bool) or not 0 <= step.retries <= 10:
            raise ValueError(f"step {step.name!r}: retries must be a whole number from 0 to 10, got {step.retries!r}.")
        by_name[step.name] = step
    for step in steps:
        for arg, upstream in step.inputs.items():
            if upstream not in by_name:
                raise ValueError(
                    f"step {step.name!r}: input {arg!r} comes from {upstream!r}, which is not a step "
                    f"(steps: {', '.join(by_name)})."
                )
        missing = [p for p in step.params if p not in params]
        if missing:
            raise ValueError(f"step {step.name!r} needs run parameter(s) {missing}; pass them in params.")
        _check_signature(step)
    return _topological_order(steps)


def _check_signature(step: Step) -> None:
    """Fail before running when the function cannot take the arguments the step gives it."""
    given = [*step.inputs, *step.params]
    try:
        signature = inspect.signature(step.func)
    except (TypeError, ValueError):  # builtins without a signature: trust the caller
        return
    try:
        signature.bind(**{name: None for name in given})
    except TypeError as exc:
        raise ValueError(f"step {step.name!r}: {step.func!r} cannot be called with arguments {given}: {exc}.") from exc


def _topological_order(steps: Sequence[Step]) -> list[Step]:
    """Order steps so each runs after its inputs; declaration order breaks ties; cycles are an error."""
    by_name = {step.name: step for step in steps}
    try:
        order = topological_order(list(by_name), {s.name: set(s.inputs.values()) for s in steps})
    except ValueError as exc:
        raise ValueError(f"the steps {exc} A workflow must be a DAG.") from None
    return [by_name[name] for name in order]


def run_workflow(
    steps: Iterable[Step],
    params: Mapping[str, Any] | None = None,
    *,
    raise_on_error: bool = False,
    log: Callable[[str], None] | None = None,
) -> WorkflowResult:
    """Run the steps in dependency order, passing outputs along; stop at the first failure.

    Args:
        steps: the workflow's steps (any order; each runs after the steps it takes inputs from).
        params: the run parameters (e.g. ``{"seed": 7, "scenario": "baseline"}``).
        raise_on_error: raise :class:`StepFailed` when a step fails (after its retries);
            by default the failure is recorded in the result and the later steps are skipped.
        log: called with one line per step (e.g. ``print``), for progress.

    Returns:
        The :class:`WorkflowResult`: each step's status, attempts, error and output.

    Raises:
        ValueError: the steps are malformed (duplicate names, unknown inputs, missing
            parameters, a cycle, a function that cannot take the step's arguments).
        StepFailed: only with ``raise_on_error=True``.
    """
    if isinstance(steps, (str, Step)) or not isinstance(steps, Iterable):
        raise BadType(f"steps must be a list of Step objects, got {describe(steps)}.")
    if params is not None and not isinstance(params, Mapping):
        raise BadType(f"params must be a dict of run parameters (name -> value), got {describe(params)}.")
    params = dict(params or {})
    ordered = _check_steps(list(steps), params)
    result = WorkflowResult(params=params, records={s.name: StepRecord(s.name) for s in ordered}, outputs={})
    for step in ordered:
        record = result.records[step.name]
        if result.failed_step is not None:
            if log:
                log(f"- {step.name}: skipped (an earlier step failed)")
            continue
        kwargs = {arg: result.outputs[upstream] for arg, upstream in step.inputs.items()}
        kwargs.update({name: params[name] for name in step.params})
        for attempt in range(1, step.retries + 2):
            record.attempts = attempt
            try:
                result.outputs[step.name] = step.func(**kwargs)
            except Exception as exc:
                record.error = exc
                if attempt <= step.retries:
                    continue
                record.status = "failed"
                if log:
                    log(f"✗ {step.name}: failed after {attempt} attempt(s): {type(exc).__name__}: {exc}")
                if raise_on_error:
                    raise StepFailed(step.name, exc) from exc
            else:
                record.status, record.error = "succeeded", None
                if log:
                    log(f"✓ {step.name}: succeeded" + (f" on attempt {attempt}" if attempt > 1 else ""))
            break
    return result


__all__ = ["DataValidationError", "STATUSES", "Step", "StepFailed", "StepRecord", "WorkflowResult", "run_workflow"]
