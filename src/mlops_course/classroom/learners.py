"""Learner accounts on the class server: read a class list, create the accounts.

The class list is a CSV with a ``username`` column and, optionally, ``password``. Blank
passwords are generated; :func:`write_credentials` saves them for the instructor to hand
out (the file is readable by its owner only, and belongs nowhere near git).
"""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

CREATE_USER_PATH = "/api/2.0/mlflow/users/create"
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 12  # MLflow refuses shorter passwords


class HttpPoster(Protocol):
    """What :func:`add_learners` needs from ``requests`` (a session or the module)."""

    def post(self, url: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Learner:
    """One account: a username and its password."""

    username: str
    password: str = field(repr=False)


def read_learners(path: str | Path) -> list[Learner]:
    """Read the class list; blank passwords are generated.

    Raises:
        ValueError: no ``username`` column, a bad or repeated username, a short password.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"class list {source} does not exist; write a CSV with a 'username' column.")
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if "username" not in (reader.fieldnames or []):
            raise ValueError(f"{source}: the first line must name a 'username' column (and optionally 'password').")
        learners: list[Learner] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            username = (row.get("username") or "").strip()
            if not USERNAME_PATTERN.match(username):
                raise ValueError(
                    f"{source}:{line}: username {username!r} must be 1-64 letters, digits, '.', '_', '@' or '-'."
                )
            if username in seen:
                raise ValueError(f"{source}:{line}: username {username!r} appears twice.")
            seen.add(username)
            password = (row.get("password") or "").strip() or secrets.token_urlsafe(12)
            if len(password) < MIN_PASSWORD_LENGTH:
                raise ValueError(
                    f"{source}:{line}: the password of {username!r} must have at least {MIN_PASSWORD_LENGTH} characters."
                )
            learners.append(Learner(username, password))
    return learners


def write_credentials(learners: Sequence[Learner], path: str | Path) -> Path:
    """Write ``username,password`` for each learner to a file only its owner can read."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600, exist_ok=True)
    target.chmod(0o600)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["username", "password"])
        writer.writerows([learner.username, learner.password] for learner in learners)
    return target


@dataclass
class AddReport:
    """Which accounts were created and which existed already (left unchanged)."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def add_learners(
    tracking_uri: str,
    learners: Sequence[Learner],
    *,
    admin_username: str,
    admin_password: str,
    http: HttpPoster | None = None,
    timeout: float = 60.0,
) -> AddReport:
    """Create an account for each learner on the class server (existing accounts are kept as they are).

    Args:
        tracking_uri: the class server, e.g. ``http://mlflow.example.edu:5000``.
        learners: the accounts to create.
        admin_username, admin_password: an admin login of the server.
        http: something with ``post(url, json=, auth=, timeout=)`` like ``requests``; for tests.
        timeout: seconds per request (creating an account hashes its password: slow on purpose).
    """
    if not tracking_uri.startswith(("http://", "https://")):
        raise ValueError(f"tracking_uri must be the class server's http(s) address, got {tracking_uri!r}.")
    import requests

    client: HttpPoster = http if http is not None else cast(HttpPoster, requests)  # the module posts like a session
    report = AddReport()
    url = tracking_uri.rstrip("/") + CREATE_USER_PATH
    for learner in learners:
        answer = client.post(
            url,
            json={"username": learner.username, "password": learner.password},
            auth=(admin_username, admin_password),
            timeout=timeout,
        )
        if answer.status_code == 200:
            report.created.append(learner.username)
        elif answer.status_code == 400 and "RESOURCE_ALREADY_EXISTS" in answer.text:
            report.existing.append(learner.username)
        elif answer.status_code in (401, 403):
            raise PermissionError(
                f"The server refused to create accounts for {admin_username!r} ({answer.status_code}): use an admin login."
            )
        else:
            raise RuntimeError(
                f"Creating the account {learner.username!r} failed ({answer.status_code}): {answer.text[:300]}"
            )
    return report


LIST_USERS_PATH = "/api/2.0/mlflow/users/list"
GRANT_PERMISSION_PATH = "/api/3.0/mlflow/users/permissions/grant"


def hide_experiment(
    tracking_uri: str,
    experiment_id: str,
    *,
    admin_username: str,
    admin_password: str,
    usernames: Sequence[str] | None = None,
    timeout: float = 60.0,
) -> list[str]:
    """Hide an experiment from learners: grant each of them ``DENY`` on it (MLflow 3's permissions API).

    A class server's default permission is ``READ``, so classmates can read each other's runs.
    ``DENY`` removes that for this experiment: its runs, metrics, parameters and artifacts
    (through the proxy). It does not hide the experiment's *name* from ``users/list``-style
    listings of other resources, nor anything already downloaded, nor models registered from
    it before the change; admins still see everything.

    Args:
        tracking_uri: the class server.
        experiment_id: the experiment to hide.
        admin_username, admin_password: an admin login.
        usernames: whom to hide it from; ``None``: every non-admin account on the server.
        timeout: seconds per request.

    Returns:
        The usernames it is now hidden from.
    """
    import requests

    if not tracking_uri.startswith(("http://", "https://")):
        raise ValueError(f"tracking_uri must be the class server's http(s) address, got {tracking_uri!r}.")
    if not str(experiment_id).strip().isdigit():
        raise ValueError(f"experiment_id must be the experiment's number (see the MLflow UI), got {experiment_id!r}.")
    base, auth = tracking_uri.rstrip("/"), (admin_username, admin_password)
    if usernames is None:
        answer = requests.get(f"{base}{LIST_USERS_PATH}", auth=auth, timeout=timeout)
        if answer.status_code != 200:
            raise PermissionError(
                f"listing the accounts failed ({answer.status_code}): is {admin_username!r} an admin?"
            )
        usernames = [u["username"] for u in answer.json().get("users", []) if not u.get("is_admin")]
    hidden = []
    for username in usernames:
        payload = {"username": username, "resource_type": "experiment", "resource_id": str(experiment_id).strip()}
        answer = requests.post(
            f"{base}{GRANT_PERMISSION_PATH}", json={**payload, "permission": "DENY"}, auth=auth, timeout=timeout
        )
        if answer.status_code != 200:
            raise RuntimeError(
                f"hiding experiment {experiment_id} from {username!r} failed ({answer.status_code}): {answer.text[:200]}"
            )
        hidden.append(username)
    return hidden
