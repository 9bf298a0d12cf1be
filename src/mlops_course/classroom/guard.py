"""The class server's own guard: learners write only through the artifact proxy, into their own runs.

MLflow's basic-auth checks *who* may change an experiment or a model, but not *where* the
server writes or reads: a learner could create an experiment whose ``artifact_location``
is another learner's folder (or any path on the server's disk), then upload into it
through the proxy; or register a model version whose ``source`` is a hidden experiment's
artifacts, then download it. This app wraps basic-auth (MLflow's ``mlflow.app`` entry
point ``classroom-auth``) and refuses both, in the server, whatever client is used:

- ``experiments/create`` with an ``artifact_location``: 400; the server picks the location.
- ``model-versions/create`` whose ``source`` is not the server's own (``models:/``,
  ``runs:/``, ``mlflow-artifacts:/``): 400; one that points at a run, logged model or
  experiment the learner may not read: 403.
"""

from __future__ import annotations

import json
import re
from typing import Any

ALLOWED_SOURCE_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")
_EXPERIMENTS_CREATE = re.compile(r"/mlflow/experiments/create$")
_MODEL_VERSIONS_CREATE = re.compile(r"/mlflow/model-versions/create$")


def _error(status: int, code: str, message: str) -> Any:
    from flask import Response

    body = json.dumps({"error_code": code, "message": message})
    return Response(body, status=status, mimetype="application/json")


def _experiment_of_source(source: str) -> str | None:
    """The experiment a server-side ``source`` belongs to, or ``None`` when it names none."""
    from mlflow.server.handlers import _get_tracking_store

    store = _get_tracking_store()
    if source.startswith("runs:/"):
        run_id = source[len("runs:/") :].split("/", 1)[0]
        return str(store.get_run(run_id).info.experiment_id)
    if source.startswith("models:/m-"):
        model_id = source[len("models:/") :].split("/", 1)[0]
        return str(store.get_logged_model(model_id).experiment_id)
    if source.startswith("mlflow-artifacts:/"):
        match = re.match(r"mlflow-artifacts:/+(?:workspaces/[^/]+/)?(\d+)/", source)
        return match.group(1) if match else None
    return None  # models:/<name>/<version>: a registered model, whose own permissions apply


def check_request() -> Any:
    """Flask ``before_request`` hook: ``None`` lets the request through, a response refuses it."""
    from flask import request

    if request.method != "POST":
        return None
    is_experiment = bool(_EXPERIMENTS_CREATE.search(request.path))
    is_version = bool(_MODEL_VERSIONS_CREATE.search(request.path))
    if not (is_experiment or is_version):
        return None
    payload = request.get_json(silent=True) or {}
    if is_experiment:
        if payload.get("artifact_location"):
            return _error(
                400,
                "INVALID_PARAMETER_VALUE",
                "artifact_location is chosen by the class server (artifacts go through its proxy); "
                "create the experiment without it.",
            )
        return None
    source = str(payload.get("source") or "")
    if not source.startswith(ALLOWED_SOURCE_SCHEMES):
        return _error(
            400,
            "INVALID_PARAMETER_VALUE",
            f"source {source!r} is not the server's own: register a model logged to this server "
            f"(a source starting with {', '.join(ALLOWED_SOURCE_SCHEMES)}).",
        )
    from mlflow.server import auth

    if auth.sender_is_admin():
        return None
    try:
        experiment_id = _experiment_of_source(source)
    except Exception:  # an unknown run or model: let MLflow answer with its own error
        return None
    if experiment_id is None:
        return None
    from flask import g

    username = str(getattr(g, "mlflow_authenticated_user", ""))  # set by basic-auth's hook, which ran first
    if not auth._get_experiment_permission(experiment_id, username).can_read:
        return _error(403, "PERMISSION_DENIED", f"you may not read the experiment that {source!r} belongs to.")
    return None


def create_app(app: Any = None) -> Any:
    """MLflow's basic-auth app with :func:`check_request` running after authentication."""
    from mlflow.server import app as flask_app
    from mlflow.server.auth import create_app as create_auth_app

    flask_app.before_request_funcs.setdefault(None, [])
    wrapped = create_auth_app(flask_app)
    flask_app.before_request(check_request)  # after basic-auth's own hook: the user is known
    return wrapped
