"""Kubernetes for the model server: manifests and their offline validation (the Dockerfile: :mod:`.containers`).

Nothing here needs Docker or a cluster. Manifests are plain dicts (what ``kubectl apply``
reads as YAML) checked offline against the Kubernetes OpenAPI schemas that the
``kubernetes-validate`` package ships, plus the rules a schema cannot express (requests
not above limits, a selector that matches the pod labels, an autoscaler that points at
the Deployment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlops_course.checks import BadType, check_count, describe

# The Dockerfile lives in containers.py; its names stay importable from here.
from mlops_course.infra.containers import EXAMPLE_BASE_DIGEST, lint_dockerfile, render_dockerfile

#: The Kubernetes version whose schemas the course validates against.
K8S_VERSION = "1.31.0"

_CPU = re.compile(r"^(\d+(\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_UNITS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class ManifestError(ValueError):
    """A manifest the API server would reject; the message says where and why.

    ``problems`` lists each schema error (``"at <path>: <what>"``) when there are several.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [message]


def parse_cpu(quantity: str | int | float) -> float:
    """CPU quantity in cores: ``"250m"`` -> 0.25, ``"2"`` -> 2.0, ``1.5`` -> 1.5."""
    match = _CPU.match(str(quantity).strip())
    if isinstance(quantity, bool) or match is None:
        raise ValueError(f"CPU quantity must look like '250m' or '1.5' (cores), got {quantity!r}.")
    value = float(match.group(1))
    return value / 1000 if match.group(3) else value


def parse_memory(quantity: str | int) -> int:
    """Memory quantity in bytes: ``"512Mi"`` -> 536870912, ``"1G"`` -> 10**9."""
    match = _MEMORY.match(str(quantity).strip())
    if isinstance(quantity, bool) or match is None:
        raise ValueError(f"memory quantity must look like '512Mi', '1Gi' or '500M', got {quantity!r}.")
    return int(float(match.group(1)) * _MEMORY_UNITS[match.group(3)])


def _pinned(image: str) -> bool:
    """Whether an image reference names a version tag (not ``latest``) or a digest."""
    if not isinstance(image, str) or not image:
        return False
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and not last.endswith(":latest")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _DNS_LABEL.match(name):
        raise ValueError(f"name must be a DNS label (lowercase letters, digits, '-', at most 63), got {name!r}.")


def deployment_manifest(
    name: str,
    image: str,
    *,
    replicas: int = 2,
    port: int = 8080,
    cpu_request: str = "250m",
    cpu_limit: str = "500m",
    memory_request: str = "256Mi",
    memory_limit: str = "512Mi",
    health_path: str = "/health",
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Deployment running ``replicas`` copies of the model server, with resources and probes.

    Args:
        name: the app name (also the ``app`` label the Service and autoscaler use).
        image: the container image, pinned to a version tag or digest (not ``latest``).
        replicas: starting number of pods (the autoscaler takes over after).
        port: the port the server listens on in the container.
        cpu_request, cpu_limit, memory_request, memory_limit: Kubernetes quantities.
        health_path: the HTTP path for readiness and liveness probes.
        env: environment variables for the container (no secrets: use a Secret).

    Returns:
        The manifest as a dict.
    """
    _check_name(name)
    replicas = check_count("replicas", replicas, low=0)
    port = check_count("port", port, low=1, high=65535)
    if not _pinned(image):
        raise ValueError(f"image must be pinned to a tag or digest (e.g. 'credit-model:1.4.0'), got {image!r}.")
    if parse_cpu(cpu_request) > parse_cpu(cpu_limit) or parse_memory(memory_request) > parse_memory(memory_limit):
        raise ValueError(
            f"requests must not exceed limits: cpu {cpu_request} vs {cpu_limit}, memory {memory_request} vs {memory_limit}."
        )
    labels = {"app": name}

    def probe(initial_delay: int) -> dict[str, Any]:  # a fresh dict each: callers may edit one probe
        return {
            "httpGet": {"path": health_path, "port": port},
            "periodSeconds": 10,
            "timeoutSeconds": 2,
            "initialDelaySeconds": initial_delay,
        }

    container = {
        "name": name,
        "image": image,
        "ports": [{"name": "http", "containerPort": port}],
        "env": [{"name": k, "value": str(v)} for k, v in (env or {}).items()],
        "resources": {
            "requests": {"cpu": cpu_request, "memory": memory_request},
            "limits": {"cpu": cpu_limit, "memory": memory_limit},
        },
        "readinessProbe": probe(5),
        "livenessProbe": {**probe(15), "failureThreshold": 3},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def service_manifest(name: str, *, port: int = 80, target_port: int = 8080) -> dict[str, Any]:
    """A ClusterIP Service that load-balances ``port`` over the pods labelled ``app=name``."""
    _check_name(name)
    port = check_count("port", port, low=1, high=65535)
    target_port = check_count("target_port", target_port, low=1, high=65535)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": target_port, "protocol": "TCP"}],
        },
    }


def hpa_manifest(
    name: str, *, min_replicas: int = 2, max_replicas: int = 10, cpu_utilization: int = 70
) -> dict[str, Any]:
    """An autoscaling/v2 HorizontalPodAutoscaler on average CPU utilisation of the Deployment ``name``."""
    _check_name(name)
    min_replicas = check_count("min_replicas", min_replicas, low=1)
    max_replicas = check_count("max_replicas", max_replicas, low=1)
    cpu_utilization = check_count("cpu_utilization (a percentage of the CPU request)", cpu_utilization, low=1, high=100)
    if not 1 <= min_replicas <= max_replicas:
        raise ValueError(f"need 1 <= min_replicas <= max_replicas, got {min_replicas} and {max_replicas}.")
    if not 1 <= cpu_utilization <= 100:
        raise ValueError(f"cpu_utilization is a percentage of the CPU request, 1-100, got {cpu_utilization!r}.")
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": cpu_utilization},
                    },
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def _schema_errors(manifest: Mapping[str, Any], version: str) -> tuple[str, list[Any]]:
    """Every schema error of one manifest (not only the first), and the schema version used."""
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    desired = version.removeprefix("v")
    if utils.major_minor(desired) > utils.latest_version():
        raise utils.VersionNotSupportedError(version=utils.major_minor(desired))
    used = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(desired)][-1]
    api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", str(manifest["apiVersion"]))
    folder = f"kubernetes-json-schema/v{used}-local-strict"  # strict: unknown fields are errors
    try:
        schema = utils.schema_contents(f"{folder}/{str(manifest['kind']).lower()}-{api_version}.json", desired)
    except FileNotFoundError:
        raise utils.SchemaNotFoundError(
            version=utils.major_minor(desired), kind=manifest["kind"], api_version=manifest["apiVersion"]
        ) from None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", desired)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    errors = sorted(validator.iter_errors(dict(manifest)), key=lambda e: [str(p) for p in e.path])
    return utils.major_minor(used), errors


def validate_manifest(manifest: Mapping[str, Any], version: str = K8S_VERSION) -> str:
    """Validate one manifest against the Kubernetes schema (strict: unknown fields are errors).

    Every error is reported, not only the first, one per field path.

    Returns:
        ``"<kind>/<name> is valid for Kubernetes <version>"``.

    Raises:
        ManifestError: naming each field path and what is wrong there (``.problems`` lists them).
    """
    if not isinstance(manifest, Mapping) or "kind" not in manifest or "apiVersion" not in manifest:
        raise ManifestError("a manifest is a dict with at least 'apiVersion', 'kind' and 'metadata'.")
    from kubernetes_validate import utils  # slow to import: only for a manifest worth validating

    label = f"{manifest['kind']}/{manifest.get('metadata', {}).get('name', '?')}"
    try:
        checked, errors = _schema_errors(manifest, version)
    except (utils.SchemaNotFoundError, utils.VersionNotSupportedError) as exc:
        raise ManifestError(f"{label}: {exc.message}") from None
    if errors:
        problems = [f"at {'.'.join(str(p) for p in e.path) or '(top level)'}: {e.message}" for e in errors]
        raise ManifestError(f"{label}: " + "; ".join(problems), problems=problems)
    return f"{label} is valid for Kubernetes {checked}"


def _containers(deployment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []))


def check_manifests(manifests: Sequence[Mapping[str, Any]], version: str = K8S_VERSION) -> list[str]:
    """Schema-validate each manifest and check the rules between them; return the problems found.

    Beyond the schema: every container has CPU and memory requests and limits with
    requests not above limits, readiness and liveness probes, an image not tagged
    ``latest``; each Deployment's selector matches its pod labels; each Service selects
    some Deployment's pods; each autoscaler targets a Deployment in the list; replicas are
    not negative and ports are in 1-65535 (the API server's own checks, beyond the schema).
    """
    if isinstance(manifests, (Mapping, str)) or not all(isinstance(m, Mapping) for m in manifests):
        raise BadType(f"manifests must be a list of manifests (dicts), got {describe(manifests)}; wrap one in [ ].")
    problems: list[str] = []
    for manifest in manifests:
        try:
            validate_manifest(manifest, version)
        except ManifestError as exc:
            problems.append(str(exc))
    deployments = {m["metadata"]["name"]: m for m in manifests if m.get("kind") == "Deployment"}
    pod_labels = []
    for name, deployment in deployments.items():
        labels = deployment.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
        pod_labels.append(labels)
        selector = deployment.get("spec", {}).get("selector", {}).get("matchLabels", {})
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"Deployment/{name}: selector {selector} does not match the pod labels {labels}")
        replicas = deployment.get("spec", {}).get("replicas", 1)
        if isinstance(replicas, int) and replicas < 0:
            problems.append(f"Deployment/{name}: replicas {replicas} is negative")
        for container in _containers(deployment):
            for port in container.get("ports", []):
                if isinstance(port.get("containerPort"), int) and not 1 <= port["containerPort"] <= 65535:
                    problems.append(f"Deployment/{name}: containerPort {port['containerPort']} is not in 1-65535")
        for container in _containers(deployment):
            where = f"Deployment/{name} container {container.get('name')}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(kind, {}):
                        problems.append(f"{where}: no {resource} in resources.{kind}")
            try:
                req, lim = resources.get("requests", {}), resources.get("limits", {})
                if "cpu" in req and "cpu" in lim and parse_cpu(req["cpu"]) > parse_cpu(lim["cpu"]):
                    problems.append(f"{where}: cpu request {req['cpu']} is above the limit {lim['cpu']}")
                if "memory" in req and "memory" in lim and parse_memory(req["memory"]) > parse_memory(lim["memory"]):
                    problems.append(f"{where}: memory request {req['memory']} is above the limit {lim['memory']}")
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.append(f"{where}: no {probe}")
            image = str(container.get("image", ""))
            if not _pinned(image):
                problems.append(f"{where}: image {image!r} is not pinned to a version")
    for manifest in manifests:
        name = manifest.get("metadata", {}).get("name")
        if manifest.get("kind") == "Service":
            for port in manifest.get("spec", {}).get("ports", []):
                if isinstance(port.get("port"), int) and not 1 <= port["port"] <= 65535:
                    problems.append(f"Service/{name}: port {port['port']} is not in 1-65535")
            selector = manifest.get("spec", {}).get("selector", {})
            if not any(selector and all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels):
                problems.append(f"Service/{name}: selector {selector} matches no Deployment's pods")
        if manifest.get("kind") == "HorizontalPodAutoscaler":
            target = manifest.get("spec", {}).get("scaleTargetRef", {})
            if target.get("kind") != "Deployment" or target.get("name") not in deployments:
                problems.append(
                    f"HorizontalPodAutoscaler/{name}: scaleTargetRef {target} is not a Deployment in the list"
                )
    return problems


def to_yaml(manifests: Iterable[Mapping[str, Any]]) -> str:
    """The manifests as one multi-document YAML text, as ``kubectl apply -f`` reads it."""
    import yaml

    return yaml.safe_dump_all([dict(m) for m in manifests], sort_keys=False)


def from_yaml(text: str) -> list[dict[str, Any]]:
    """Parse multi-document YAML into manifests (empty documents skipped)."""
    import yaml

    return [doc for doc in yaml.safe_load_all(text) if doc]


__all__ = [
    "EXAMPLE_BASE_DIGEST",
    "K8S_VERSION",
    "ManifestError",
    "check_manifests",
    "deployment_manifest",
    "from_yaml",
    "hpa_manifest",
    "lint_dockerfile",
    "parse_cpu",
    "parse_memory",
    "render_dockerfile",
    "service_manifest",
    "to_yaml",
    "validate_manifest",
]
