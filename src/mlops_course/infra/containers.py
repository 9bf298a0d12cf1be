"""A container image for the model server: the Dockerfile, generated (never built here), and its lint.

The base image is pinned by digest: a tag such as ``python:3.11-slim`` moves when it is
rebuilt, a digest names one image for good.
"""

from __future__ import annotations

import re

from mlops_course.checks import BadType, describe

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

#: An example digest for ``python:3.11-slim`` (look up today's with
#: ``docker buildx imagetools inspect python:3.11-slim``; Renovate or Dependabot keep it current).
EXAMPLE_BASE_DIGEST = "sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7"


def render_dockerfile(
    *,
    python_version: str = "3.11",
    port: int = 8080,
    requirements: str = "requirements.txt",
    model_dir: str = "model",
    app_module: str = "serve:app",
    base_digest: str = EXAMPLE_BASE_DIGEST,
) -> str:
    """A Dockerfile for the model server: slim base pinned by digest, dependencies first, non-root, health check.

    Args:
        base_digest: the ``sha256:...`` digest of ``python:<version>-slim``: a tag moves when the
            image is rebuilt, a digest names one image forever.
    """
    if not re.match(r"^3\.\d+$", python_version):
        raise ValueError(f"python_version must look like '3.11', got {python_version!r}.")
    if not 1 <= port <= 65535:
        raise ValueError(f"port must be 1-65535, got {port!r}.")
    if not isinstance(base_digest, str) or not _DIGEST.match(base_digest):
        raise ValueError(f"base_digest must be 'sha256:' and 64 hex digits, got {base_digest!r}.")
    return f"""\
FROM python:{python_version}-slim@{base_digest}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY {requirements} .
RUN pip install --no-cache-dir -r {requirements}
COPY {model_dir}/ ./{model_dir}/
COPY serve.py .
RUN useradd --create-home --uid 10001 model
USER 10001
EXPOSE {port}
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health')"
CMD ["uvicorn", "{app_module}", "--host", "0.0.0.0", "--port", "{port}", "--workers", "2"]
"""


def lint_dockerfile(text: str) -> list[str]:
    """A few production rules for a model image; returns the ones the Dockerfile breaks."""
    if not isinstance(text, str):
        raise BadType(f"text must be a Dockerfile's text (see render_dockerfile), got {describe(text)}.")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    problems = []
    base = next((line.split()[1] for line in lines if line.upper().startswith("FROM ")), "")
    if not base or "@sha256:" not in base:
        problems.append(
            f"base image {base or '(none)'!r} is not pinned: a tag moves when the image is rebuilt,"
            " pin it by digest (name:tag@sha256:...)"
        )
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1] in ("root", "0"):
        problems.append("the container runs as root: add a USER with a non-root uid")
    if not any(line.upper().startswith("HEALTHCHECK ") for line in lines):
        problems.append(
            "no HEALTHCHECK: docker run and Compose cannot tell a hung server from a healthy one"
            " (Kubernetes ignores it and uses the Deployment's probes)"
        )
    if any(
        re.search(r"(AWS_SECRET|PASSWORD|TOKEN)\s*=", line, re.I)
        for line in lines
        if line.upper().startswith(("ENV ", "ARG "))
    ):
        problems.append("a secret is baked into the image (ENV/ARG): pass it at run time")
    copies = [i for i, line in enumerate(lines) if line.upper().startswith("COPY ")]
    installs = [i for i, line in enumerate(lines) if "pip install" in line]
    if installs and copies and any(". ." in lines[i] or lines[i].split()[1] == "." for i in copies if i < installs[0]):
        problems.append("the whole source is copied before pip install: every code change reinstalls dependencies")
    return problems


__all__ = ["EXAMPLE_BASE_DIGEST", "lint_dockerfile", "render_dockerfile"]
