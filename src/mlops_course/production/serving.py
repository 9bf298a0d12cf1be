"""Serve registered models over HTTP: a small FastAPI app around MLflow pyfunc models.

The server answers for *aliases*, not versions: ``POST /predict/champion`` uses whatever
version ``models:/<name>@champion`` points to. It resolves each alias once and keeps the
answer (and the loaded model, per version) until ``POST /reload``, so moving an alias in
the registry and then calling ``/reload`` is how a deployment or a rollback reaches the
running service, without a restart.

:func:`serve_registered_model` starts the app as a real server process
(``python -m mlops_course.production.serving``) on 127.0.0.1 and a free port, waits until it answers,
and stops it on exit. :class:`ModelHttpClient` talks to it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from mlops_course.i18n import tr
from mlops_course.production.metrics import ServiceMetrics
from mlops_course.util import free_port, wait_until_healthy

HOST = "127.0.0.1"
MAX_RECORDS_PER_REQUEST = 1000
#: Loads a model version: ``loader(model_name, version)`` -> object with ``predict(frame)``.
Loader = Callable[[str, int], Any]


class PredictRequest(BaseModel):
    """The body of ``POST /predict/{alias}``: one record (a dict of features) per application."""

    records: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_RECORDS_PER_REQUEST)


def _mlflow_loader(model_name: str, version: int) -> Any:
    import mlflow

    return mlflow.pyfunc.load_model(f"models:/{model_name}/{version}")


def _default_probability(raw: Any) -> np.ndarray:
    """The probability of default from a model's output (2-column probabilities or 1 column)."""
    values = np.asarray(raw.to_numpy() if hasattr(raw, "to_numpy") else raw, dtype=float)
    if values.ndim == 2:
        values = values[:, -1]
    return values.reshape(-1)


class AliasModelCache:
    """Models of one registered model, looked up by alias and cached until :meth:`reload`.

    Args:
        model_name: the registered model.
        aliases: the aliases this cache answers for, e.g. ``("champion", "challenger")``.
        client: an ``mlflow.MlflowClient`` (or a fake with ``get_registered_model``).
        loader: loads one version; defaults to ``mlflow.pyfunc.load_model``.
    """

    def __init__(
        self, model_name: str, aliases: Sequence[str], client: Any = None, loader: Loader | None = None
    ) -> None:
        if not model_name:
            raise ValueError("model_name must be a non-empty registered model name.")
        if isinstance(aliases, str) or not aliases:
            raise ValueError(f"aliases must be a non-empty list of alias names, got {aliases!r}.")
        if client is None:
            import mlflow

            client = mlflow.MlflowClient()
        self.model_name = model_name
        self.aliases = tuple(aliases)
        self._client = client
        self._loader = loader or _mlflow_loader
        self._versions: dict[str, int | None] = {}
        self._models: dict[int, Any] = {}
        self._lock = threading.Lock()
        self.reload()

    def reload(self) -> dict[str, int | None]:
        """Look every alias up again in the registry and load new versions; returns ``{alias: version or None}``."""
        try:
            registered = self._client.get_registered_model(self.model_name).aliases
        except Exception as exc:  # not registered yet: serve nothing until the next reload
            if (
                "RESOURCE_DOES_NOT_EXIST" not in str(getattr(exc, "error_code", ""))
                and "not found" not in str(exc).lower()
            ):
                raise
            registered = {}
        with self._lock:
            self._versions = {a: (int(registered[a]) if a in registered else None) for a in self.aliases}
            for version in self._versions.values():
                if version is not None and version not in self._models:
                    self._models[version] = self._loader(self.model_name, version)
            return dict(self._versions)

    def versions(self) -> dict[str, int | None]:
        """The cached ``{alias: version}`` (``None`` where the alias is not set)."""
        with self._lock:
            return dict(self._versions)

    def model(self, alias: str) -> tuple[int, Any]:
        """The version ``alias`` resolved to and its loaded model (loaded once per version).

        Raises:
            KeyError: the alias is not served by this cache.
            LookupError: the alias is not set in the registry.
        """
        if alias not in self.aliases:
            raise KeyError(f"alias {alias!r} is not served; served aliases: {', '.join(self.aliases)}.")
        with self._lock:
            version = self._versions.get(alias)
            if version is None:
                raise LookupError(f"alias {alias!r} is not set on model {self.model_name!r}.")
            if version not in self._models:
                self._models[version] = self._loader(self.model_name, version)
            return version, self._models[version]

    def predict(self, alias: str, frame: pd.DataFrame) -> tuple[int, np.ndarray]:
        """Predict default probabilities with the version behind ``alias``; returns ``(version, probabilities)``."""
        version, model = self.model(alias)
        return version, _default_probability(model.predict(frame))


def create_app(cache: AliasModelCache, metrics: ServiceMetrics | None = None) -> Any:
    """The FastAPI app: ``GET /health``, ``POST /predict/{alias}``, ``POST /reload``, ``GET /metrics``.

    Every ``/predict`` request is counted and timed in ``metrics`` (by alias, version and
    status code, including requests rejected before they reach the model), and
    ``GET /metrics`` serves them in Prometheus' text format.
    """
    from fastapi import FastAPI, HTTPException, Response

    metrics = metrics or ServiceMetrics(cache.aliases)
    metrics.set_versions(cache.versions())
    app = FastAPI(title=f"{cache.model_name} model server")

    @app.middleware("http")
    async def measure(request: Any, call_next: Any) -> Any:
        if not request.url.path.startswith("/predict/"):
            return await call_next(request)
        started = time.perf_counter()
        response = await call_next(request)
        alias = request.url.path.removeprefix("/predict/")
        version = cache.versions().get(alias)  # the version the alias resolved to when it answered
        metrics.observe(alias, version, response.status_code, time.perf_counter() - started)
        return response

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": cache.model_name, "aliases": cache.versions()}

    @app.get("/metrics")
    def metrics_page() -> Response:
        body, content_type = metrics.exposition()
        return Response(content=body, media_type=content_type)

    @app.post("/reload")
    def reload() -> dict[str, Any]:
        versions = cache.reload()
        metrics.set_versions(versions)
        return {"aliases": versions}

    @app.post("/predict/{alias}")
    def predict(alias: str, request: PredictRequest) -> dict[str, Any]:
        try:
            version, model = cache.model(alias)
        except (KeyError, LookupError) as exc:
            raise HTTPException(status_code=404, detail=str(exc.args[0])) from exc
        try:
            probabilities = _default_probability(model.predict(pd.DataFrame.from_records(request.records)))
        except Exception as exc:  # the model rejected the input: the client's fault
            raise HTTPException(status_code=400, detail=f"the model could not score these records: {exc}") from exc
        return {"alias": alias, "version": version, "probabilities": [round(float(p), 6) for p in probabilities]}

    return app


@dataclass
class ServerHandle:
    """A running model server: its base URL, its process and its log file."""

    url: str
    process: subprocess.Popen
    log_path: str

    def wait_until_healthy(self, timeout: float = 90.0) -> None:
        """Block until ``GET /health`` answers 200 (bounded by ``timeout`` seconds).

        Raises:
            RuntimeError: the server exited or did not answer in time; the message shows its log.
        """
        wait_until_healthy(
            f"{self.url}/health", self.process, timeout=timeout, log_path=self.log_path, what="the model server"
        )


@contextlib.contextmanager
def serve_registered_model(
    model_name: str,
    aliases: Sequence[str] = ("champion",),
    *,
    port: int | None = None,
    tracking_uri: str | None = None,
    startup_timeout: float = 90.0,
    wait: bool = True,
) -> Iterator[ServerHandle]:
    """Run the model server in its own process on 127.0.0.1 for the duration of a ``with`` block.

    Args:
        model_name: the registered model to serve.
        aliases: the aliases it answers for.
        port: a port to listen on; a free one by default.
        tracking_uri: the registry; defaults to the one MLflow uses in this process.
        startup_timeout: seconds to wait for ``/health`` before giving up.
        wait: wait for ``/health`` before yielding; with ``False`` the server boots in the
            background and the caller calls ``handle.wait_until_healthy()`` before using it.

    Yields:
        A :class:`ServerHandle`; the process is stopped (terminate, then kill) on exit.
    """
    if isinstance(aliases, str) or not aliases:
        raise ValueError(f"aliases must be a non-empty list such as ['champion'], got {aliases!r}.")
    if not startup_timeout > 0:
        raise ValueError(f"startup_timeout must be a positive number of seconds, got {startup_timeout!r}.")
    if tracking_uri is None:
        import mlflow

        tracking_uri = mlflow.get_tracking_uri()
    port = port or free_port()
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri, MLFLOW_ALLOW_PICKLE_DESERIALIZATION="true")
    # The server writes to this file for as long as it runs; it is closed in the `finally` below.
    log = tempfile.NamedTemporaryFile(prefix="model-server-", suffix=".log", delete=False)  # noqa: SIM115 (open while the server runs)
    command = [
        sys.executable,
        "-m",
        "mlops_course.production.serving",
        "--model-name",
        model_name,
        "--port",
        str(port),
        "--aliases",
        *aliases,
    ]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    handle = ServerHandle(url=f"http://{HOST}:{port}", process=process, log_path=log.name)
    try:
        if wait:
            handle.wait_until_healthy(startup_timeout)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


class ModelHttpClient:
    """A small client of the model server (one ``requests.Session``, safe to share across threads)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        import requests

        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {url!r}.")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def health(self) -> dict[str, Any]:
        """``GET /health``: the served aliases and the versions they resolve to."""
        response = self.session.get(f"{self.url}/health", timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def reload(self) -> dict[str, int | None]:
        """``POST /reload``: the server looks its aliases up again; returns ``{alias: version}``."""
        # loading a new version can take several seconds on a busy machine
        response = self.session.post(f"{self.url}/reload", timeout=max(self.timeout, 120.0))
        response.raise_for_status()
        return response.json()["aliases"]

    def predict(self, frame: pd.DataFrame, alias: str = "champion") -> tuple[int, np.ndarray]:
        """``POST /predict/{alias}`` with the rows of ``frame``; returns ``(version, probabilities)``."""
        records = frame.to_dict(orient="records")
        response = self.session.post(f"{self.url}/predict/{alias}", json={"records": records}, timeout=self.timeout)
        if response.status_code != 200:
            raise RuntimeError(f"the server answered {response.status_code}: {response.text[:300]}")
        body = response.json()
        return int(body["version"]), np.asarray(body["probabilities"], dtype=float)

    def predictor(self, alias: str) -> Callable[[pd.DataFrame], tuple[int, np.ndarray]]:
        """A function ``frame -> (version, probabilities)`` bound to one alias."""
        return lambda frame: self.predict(frame, alias)


def draw_production_setup(ax=None):
    """Draw the module's setup: registry aliases, the model server, the router and monitoring."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.4), dpi=80)
    boxes = {
        "registry": (0.02, 0.55, "MLflow registry\nv1, v2, v3 ...\naliases: champion,\nchallenger, previous"),
        "server": (0.36, 0.55, "model server (HTTP)\n/predict/{alias}\n/reload /health /metrics"),
        "router": (0.70, 0.55, "traffic router\nshadow / canary / A-B"),
        "clients": (0.70, 0.08, "loan applications\n(clients)"),
        "monitor": (0.36, 0.08, "monitoring\ndrift now, quality\nwhen labels arrive"),
        "decide": (0.02, 0.08, "decide: retrain,\npromote, roll back\n(move an alias)"),
    }
    for x, y, text in boxes.values():
        ax.add_patch(plt.Rectangle((x, y), 0.26, 0.34, facecolor="#e8f0fb", edgecolor="#2b5d9b"))
        ax.text(x + 0.13, y + 0.17, text, ha="center", va="center", fontsize=9)
    arrows = [
        ((0.28, 0.72), (0.36, 0.72), "load by alias"),
        ((0.70, 0.72), (0.62, 0.72), "requests"),
        ((0.83, 0.42), (0.83, 0.55), ""),
        ((0.70, 0.25), (0.62, 0.25), "predictions, labels later"),
        ((0.36, 0.25), (0.28, 0.25), "alerts"),
        ((0.15, 0.42), (0.15, 0.55), ""),
    ]
    for start, end, label in arrows:
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#444"})
        if label:
            ax.text((start[0] + end[0]) / 2, start[1] + 0.03, label, ha="center", fontsize=7.5, color="#444")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title(tr("plot.serving_title"))
    return ax


def _exit_with_parent(poll_s: float = 1.0) -> None:
    """Stop this server if the process that started it dies (no orphaned servers)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: serve ``--model-name`` for ``--aliases`` on 127.0.0.1:``--port``."""
    parser = argparse.ArgumentParser(description="Serve a registered MLflow model by alias over HTTP.")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--aliases", nargs="+", default=["champion"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    import uvicorn

    from mlops_course.tracking import quiet_logs

    quiet_logs()
    _exit_with_parent()
    import mlflow.sklearn  # noqa: F401  (import the model flavour now, not on the first /reload)

    app = create_app(AliasModelCache(args.model_name, args.aliases))
    uvicorn.run(app, host=HOST, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
