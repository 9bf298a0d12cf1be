"""Load run of the class server: up to 300 simulated learners logging runs and metrics at once.

Starts the class services on loopback (PostgreSQL, MLflow with accounts and the course's
guard, artifacts on disk behind its proxy), as ``mlops-course classroom up`` does,
creates one account per learner, then lets every learner, in its own thread and with its
own login, create an experiment and log runs (parameters, a metric history, a finished
status) through MLflow's REST API. It stops by itself: after each learner's fixed amount
of work, or at the deadline, whichever comes first. Prints throughput, latency percentiles
(p50, p95, p99), the server's peak memory (all its processes) and errors grouped by cause;
exits 1 if any request failed.

    .venv/bin/python benchmarks/classroom_load.py [--learners 30] [--runs 3] [--steps 10] [--workers 2]

A timing script, not a test: figures go into notes, not asserts.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

API = "/api/2.0/mlflow"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class MemorySampler:
    """Peak resident memory of the MLflow server's processes (the one listening on ``port`` and its children)."""

    def __init__(self, port: int) -> None:
        self.port, self.peak, self._stop = port, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self) -> list:
        import psutil

        roots = [
            p for p in psutil.process_iter(["cmdline"]) if f"--port {self.port}" in " ".join(p.info["cmdline"] or [])
        ]
        found = {p.pid: p for root in roots for p in [root, *root.children(recursive=True)]}
        return list(found.values())

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(1.0):
            total = 0
            for process in self._processes():
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cause(detail: str) -> str:
    """An error grouped by its cause: the request kind and status, without ids or numbers."""
    return re.sub(r"[0-9a-f]{32}|\d+", "N", detail)[:120]


class Recorder:
    """Thread-safe log of (request kind, seconds, ok)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: list[tuple[str, float, bool]] = []
        self.errors: Counter[str] = Counter()

    def call(self, session, method: str, url: str, kind: str, deadline: float, **kwargs):
        if time.monotonic() > deadline:
            raise TimeoutError("deadline reached")
        started = time.perf_counter()
        try:
            answer = session.request(method, url, timeout=60, **kwargs)
            ok = answer.status_code == 200
            detail = f"{kind}: HTTP {answer.status_code} {answer.text[:80]}"
        except Exception as exc:
            answer, ok, detail = None, False, f"{kind}: {type(exc).__name__}"
        with self.lock:
            self.samples.append((kind, time.perf_counter() - started, ok))
            if not ok:
                self.errors[_cause(detail)] += 1
        return answer


def learner_session(
    uri: str, username: str, password: str, runs: int, steps: int, recorder: Recorder, deadline: float
) -> int:
    """One learner: an experiment of their own, ``runs`` runs of ``steps`` metric logs each."""
    import requests

    session = requests.Session()
    session.auth = (username, password)
    done = 0
    try:
        created = recorder.call(
            session,
            "POST",
            f"{uri}{API}/experiments/create",
            "experiments/create",
            deadline,
            json={"name": f"{username}-load-{secrets.token_hex(3)}"},
        )
        if created is None or created.status_code != 200:
            return done
        experiment_id = created.json()["experiment_id"]
        for run_number in range(runs):
            started = recorder.call(
                session,
                "POST",
                f"{uri}{API}/runs/create",
                "runs/create",
                deadline,
                json={"experiment_id": experiment_id, "start_time": int(time.time() * 1000)},
            )
            if started is None or started.status_code != 200:
                continue
            run_id = started.json()["run"]["info"]["run_id"]
            recorder.call(
                session,
                "POST",
                f"{uri}{API}/runs/log-parameter",
                "runs/log-parameter",
                deadline,
                json={"run_id": run_id, "key": "C", "value": str(0.1 * (run_number + 1))},
            )
            for step in range(steps):
                recorder.call(
                    session,
                    "POST",
                    f"{uri}{API}/runs/log-metric",
                    "runs/log-metric",
                    deadline,
                    json={
                        "run_id": run_id,
                        "key": "loss",
                        "value": 1.0 / (step + 1),
                        "timestamp": int(time.time() * 1000),
                        "step": step,
                    },
                )
            recorder.call(
                session,
                "POST",
                f"{uri}{API}/runs/update",
                "runs/update",
                deadline,
                json={"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)},
            )
            done += 1
    except TimeoutError:
        pass
    finally:
        session.close()
    return done


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3, help="runs per learner")
    parser.add_argument("--steps", type=int, default=10, help="metric logs per run")
    parser.add_argument("--workers", type=int, default=2, help="MLflow server worker processes")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds after which learners stop")
    args = parser.parse_args(argv)
    if not 1 <= args.learners <= 300:
        parser.error("--learners must be from 1 to 300")

    from mlops_course.classroom.learners import Learner, add_learners
    from mlops_course.classroom.services import classroom_services

    admin_password = secrets.token_urlsafe(16)
    learners = [Learner(f"learner{n:03d}", secrets.token_urlsafe(16)) for n in range(args.learners)]
    clock = time.perf_counter()
    with classroom_services(admin_password=admin_password, workers=args.workers) as services:
        uri = services.tracking_uri
        print(f"class services up in {time.perf_counter() - clock:.1f} s ({args.workers} MLflow workers)", flush=True)
        clock = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:  # creating an account hashes its password: CPU-bound
            chunks = [learners[i::4] for i in range(4)]
            list(
                pool.map(
                    lambda chunk: add_learners(uri, chunk, admin_username="admin", admin_password=admin_password),
                    chunks,
                )
            )
        print(f"{len(learners)} accounts created in {time.perf_counter() - clock:.1f} s", flush=True)

        import requests

        clock = time.perf_counter()
        for learner in learners:  # first login per worker pays the password hash; not part of the figures
            requests.get(f"{uri}{API}/users/current", auth=(learner.username, learner.password), timeout=60)
        print(f"first logins (password checks) in {time.perf_counter() - clock:.1f} s", flush=True)

        recorder = Recorder()
        deadline = time.monotonic() + args.deadline
        clock = time.perf_counter()
        port = int(uri.rsplit(":", 1)[1])
        with MemorySampler(port) as memory, ThreadPoolExecutor(max_workers=len(learners)) as pool:
            finished = list(
                pool.map(
                    lambda learner: learner_session(
                        uri, learner.username, learner.password, args.runs, args.steps, recorder, deadline
                    ),
                    learners,
                )
            )
        elapsed = time.perf_counter() - clock

    latencies = [seconds for _, seconds, _ in recorder.samples]
    print(
        f"\n{len(learners)} learners, {sum(finished)} runs finished of {len(learners) * args.runs}, in {elapsed:.1f} s"
    )
    print(
        f"requests: {len(latencies)}, throughput {len(latencies) / elapsed:.1f} req/s, errors {sum(recorder.errors.values())}"
    )
    if latencies:
        print(
            f"latency: p50 {1000 * statistics.median(latencies):.0f} ms, p95 {1000 * _percentile(latencies, 0.95):.0f} ms, "
            f"p99 {1000 * _percentile(latencies, 0.99):.0f} ms, max {1000 * max(latencies):.0f} ms"
        )
    print(f"server memory (all MLflow processes, peak): {memory.peak / 2**30:.2f} GiB")
    for kind in sorted({kind for kind, _, _ in recorder.samples}):
        values = [seconds for k, seconds, _ in recorder.samples if k == kind]
        print(f"  {kind:<20} n={len(values):<5} p95 {1000 * _percentile(values, 0.95):.0f} ms")
    for cause, count in recorder.errors.most_common():
        print(f"  error x{count}: {cause}")
    return 1 if recorder.errors else 0


if __name__ == "__main__":
    sys.exit(main())
