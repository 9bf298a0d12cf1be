"""Is this learner connected to the class server? One clear message when not.

``check_connection()`` reads the same settings MLflow does (``MLFLOW_TRACKING_URI``,
``MLFLOW_TRACKING_USERNAME``, ``MLFLOW_TRACKING_PASSWORD``), asks the server who the learner
is, and either returns a :class:`ConnectionStatus` or raises :class:`ClassroomConnectionError`
whose message says what to set. In a notebook that error shows as its message only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol, cast

from mlops_course.tracking_store import is_server
from mlops_course.tracking_store import tracking_uri as course_uri

HEALTH_PATH = "/health"
CURRENT_USER_PATH = "/api/2.0/mlflow/users/current"
SET_CREDENTIALS = "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"


class HttpGetter(Protocol):
    """What :func:`check_connection` needs from ``requests`` (a session or the module)."""

    def get(self, url: str, **kwargs: Any) -> Any: ...


class ClassroomConnectionError(RuntimeError):
    """The class server cannot be used as configured; the message says what to set."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: the message alone."""
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True)
class ConnectionStatus:
    """Where the learner's runs go, and as whom."""

    tracking_uri: str
    mode: str  # "local" (a file on this machine) or "server"
    username: str | None = None
    authenticated: bool = False
    is_admin: bool = False

    def describe(self) -> str:
        """One line for the learner."""
        if self.mode == "local":
            return (
                f"Runs go to the local store {self.tracking_uri}. To use a class server, set "
                f"MLFLOW_TRACKING_URI (the server's address) and {SET_CREDENTIALS}."
            )
        if not self.authenticated:
            return f"Connected to {self.tracking_uri} (no login: the server does not ask for one)."
        role = "instructor (admin)" if self.is_admin else "learner"
        return f"Connected to {self.tracking_uri} as {self.username} ({role})."


def check_connection(
    tracking_uri: str | None = None,
    username: str | None = None,
    password: str | None = None,
    *,
    require_auth: bool | None = None,
    timeout: float = 5.0,
    http: HttpGetter | None = None,
) -> ConnectionStatus:
    """Check that MLflow can log to the configured store as the configured learner.

    Args:
        tracking_uri: defaults to ``MLFLOW_TRACKING_URI`` (unset: the course's local store).
        username, password: default to ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``.
        require_auth: whether a server without accounts is an error; ``None`` (default): it is when
            a username is set (the learner expects a class server, and a class server has accounts).
        timeout: seconds per request.
        http: something with ``get(url, auth=, timeout=)`` like ``requests``; for tests.

    Returns:
        The connection's status when it works.

    Raises:
        ClassroomConnectionError: unreachable server, missing or wrong credentials, or no
            authentication where it is required; the message says what to set.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    uri = (tracking_uri if tracking_uri is not None else os.environ.get("MLFLOW_TRACKING_URI", "")).strip()
    if not uri or not is_server(uri):
        return ConnectionStatus(tracking_uri=uri or course_uri(), mode="local")
    uri = uri.rstrip("/")
    username = username if username is not None else os.environ.get("MLFLOW_TRACKING_USERNAME") or None
    password = password if password is not None else os.environ.get("MLFLOW_TRACKING_PASSWORD") or None
    if bool(username) != bool(password):
        missing = "MLFLOW_TRACKING_PASSWORD" if username else "MLFLOW_TRACKING_USERNAME"
        raise ClassroomConnectionError(
            f"{missing} is not set: set both {SET_CREDENTIALS} to the account your instructor gave you."
        )
    import requests

    client: HttpGetter = http if http is not None else cast(HttpGetter, requests)  # the module gets like a session

    try:
        health = client.get(f"{uri}{HEALTH_PATH}", timeout=timeout)
        auth = (username, password) if username else None
        answer = client.get(f"{uri}{CURRENT_USER_PATH}", auth=auth, timeout=timeout)
    except requests.Timeout:
        raise ClassroomConnectionError(
            f"The class server at {uri} did not answer within {timeout:g} s. Check MLFLOW_TRACKING_URI "
            "(the address your instructor gave you) and your network, then try again."
        ) from None
    except requests.ConnectionError:
        raise ClassroomConnectionError(
            f"Cannot reach the class server at {uri}. Check MLFLOW_TRACKING_URI (the address your instructor "
            "gave you, e.g. http://mlflow.example.edu:5000) and that the server is running; "
            "unset MLFLOW_TRACKING_URI to work on your own machine."
        ) from None
    if health.status_code != 200:
        raise ClassroomConnectionError(
            f"{uri} answered {health.status_code} to a health check: it is not an MLflow server. "
            "Check MLFLOW_TRACKING_URI (the address your instructor gave you)."
        )
    if require_auth is None:
        require_auth = bool(username)
    if answer.status_code == 404:
        if require_auth:
            raise ClassroomConnectionError(
                f"The server at {uri} has no accounts (MLflow authentication is off), so anyone could change "
                "your work. Check MLFLOW_TRACKING_URI is the class server's address, or ask your instructor to "
                "start it with accounts on (`mlops-course classroom up`). If it is your own practice server, "
                f"unset {SET_CREDENTIALS}."
            )
        return ConnectionStatus(tracking_uri=uri, mode="server", username=username)
    if answer.status_code == 401:
        if not username:
            raise ClassroomConnectionError(
                f"The class server at {uri} needs a login: set {SET_CREDENTIALS} to the account your instructor gave you."
            )
        raise ClassroomConnectionError(
            f"The class server at {uri} rejected the login of {username!r}: check {SET_CREDENTIALS} "
            "(ask your instructor to reset your password if you lost it)."
        )
    if answer.status_code != 200:
        raise ClassroomConnectionError(
            f"The class server at {uri} answered {answer.status_code} when asked who you are; tell your instructor."
        )
    user = (answer.json() or {}).get("user", {})
    return ConnectionStatus(
        tracking_uri=uri,
        mode="server",
        username=str(user.get("username", username)),
        authenticated=True,
        is_admin=bool(user.get("is_admin", False)),
    )
