"""Manifests the course builds validate offline; broken ones are rejected with a useful message."""

from __future__ import annotations

import copy

import pytest

from mlops_course.infra import k8s


@pytest.fixture()
def manifests() -> list[dict]:
    return [
        k8s.deployment_manifest("credit-model", "registry.example.com/credit-model:1.2.0"),
        k8s.service_manifest("credit-model"),
        k8s.hpa_manifest("credit-model", min_replicas=2, max_replicas=8, cpu_utilization=60),
    ]


@pytest.mark.parametrize("quantity, expected", [("250m", 0.25), ("2", 2.0), (1.5, 1.5), ("1500m", 1.5)])
def test_parse_cpu(quantity: object, expected: float) -> None:
    assert k8s.parse_cpu(quantity) == pytest.approx(expected)


@pytest.mark.parametrize(
    "quantity, expected", [("512Mi", 512 * 2**20), ("1Gi", 2**30), ("500M", 500 * 10**6), ("1024", 1024)]
)
def test_parse_memory(quantity: object, expected: int) -> None:
    assert k8s.parse_memory(quantity) == expected


@pytest.mark.parametrize("bad", ["", "one", "-1", "250x", True])
def test_bad_quantities_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="CPU quantity"):
        k8s.parse_cpu(bad)
    with pytest.raises(ValueError, match="memory quantity"):
        k8s.parse_memory(bad)


def test_built_manifests_validate_and_pass_the_cross_checks(manifests: list[dict]) -> None:
    for manifest in manifests:
        assert k8s.validate_manifest(manifest).endswith("is valid for Kubernetes 1.31")
    assert k8s.check_manifests(manifests) == []
    assert manifests[2]["apiVersion"] == "autoscaling/v2"


def test_probes_can_be_changed_independently(manifests: list[dict]) -> None:
    container = manifests[0]["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["path"] = "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_schema_errors_name_the_field(manifests: list[dict]) -> None:
    broken = copy.deepcopy(manifests[0])
    broken["spec"]["replicas"] = "three"
    with pytest.raises(k8s.ManifestError, match=r"Deployment/credit-model: at spec\.replicas: 'three' is not of type"):
        k8s.validate_manifest(broken)
    typo = copy.deepcopy(manifests[0])
    typo["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerport"] = 8080
    with pytest.raises(k8s.ManifestError, match="containerport"):
        k8s.validate_manifest(typo)
    with pytest.raises(k8s.ManifestError, match="kind"):
        k8s.validate_manifest({"metadata": {}})


def test_every_schema_error_is_reported_not_only_the_first(manifests: list[dict]) -> None:
    broken = copy.deepcopy(manifests[0])
    broken["spec"]["replicas"] = "3"
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerport"] = 8080
    with pytest.raises(k8s.ManifestError) as caught:
        k8s.validate_manifest(broken)
    assert len(caught.value.problems) == 2
    assert "spec.replicas" in caught.value.problems[0] and "containerport" in caught.value.problems[1]
    assert "spec.replicas" in str(caught.value) and "containerport" in str(caught.value)


def test_cross_checks_catch_what_the_schema_cannot(manifests: list[dict]) -> None:
    deployment, service, hpa = copy.deepcopy(manifests)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["requests"]["cpu"] = "2"
    del container["resources"]["limits"]["memory"]
    del container["livenessProbe"]
    container["image"] = "credit-model:latest"
    service["spec"]["selector"] = {"app": "other"}
    hpa["spec"]["scaleTargetRef"]["name"] = "missing"
    problems = "\n".join(k8s.check_manifests([deployment, service, hpa]))
    for expected in (
        "cpu request 2 is above the limit",
        "no memory in resources.limits",
        "no livenessProbe",
        "not pinned",
        "Service/credit-model: selector",
        "HorizontalPodAutoscaler/credit-model: scaleTargetRef",
    ):
        assert expected in problems


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image": "credit-model:latest"}, "pinned"),
        ({"image": "credit-model"}, "pinned"),
        ({"cpu_request": "2", "cpu_limit": "1"}, "requests must not exceed limits"),
        ({"name": "Credit_Model"}, "DNS label"),
    ],
)
def test_deployment_builder_rejects_bad_input(kwargs: dict, message: str) -> None:
    arguments = {"name": "credit-model", "image": "credit-model:1.0.0", **kwargs}
    with pytest.raises(ValueError, match=message):
        k8s.deployment_manifest(arguments.pop("name"), arguments.pop("image"), **arguments)


def test_hpa_builder_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match="min_replicas"):
        k8s.hpa_manifest("credit-model", min_replicas=5, max_replicas=2)
    with pytest.raises(ValueError, match="percentage"):
        k8s.hpa_manifest("credit-model", cpu_utilization=150)


def test_yaml_round_trip(manifests: list[dict]) -> None:
    text = k8s.to_yaml(manifests)
    assert text.count("\n---\n") == 2
    assert k8s.from_yaml(text) == manifests


def test_generated_dockerfile_passes_lint_and_bad_one_fails() -> None:
    dockerfile = k8s.render_dockerfile(python_version="3.11", port=9000)
    assert k8s.lint_dockerfile(dockerfile) == []
    assert "FROM python:3.11-slim" in dockerfile and "EXPOSE 9000" in dockerfile
    problems = " ".join(
        k8s.lint_dockerfile("FROM python:latest\nCOPY . .\nRUN pip install -r requirements.txt\nENV API_TOKEN=abc\n")
    )
    for expected in ("not pinned", "root", "HEALTHCHECK", "secret", "copied before pip install"):
        assert expected in problems
    with pytest.raises(ValueError, match="python_version"):
        k8s.render_dockerfile(python_version="latest")


def test_dockerfile_base_is_pinned_by_digest_not_tag() -> None:
    digest = "sha256:" + "ab" * 32
    assert k8s.render_dockerfile(base_digest=digest).startswith(f"FROM python:3.11-slim@{digest}\n")
    assert "pin it by digest" in " ".join(k8s.lint_dockerfile("FROM python:3.11-slim\nUSER 10001\nHEALTHCHECK CMD x\n"))
    assert k8s.lint_dockerfile(f"FROM python:3.11-slim@{digest}\nUSER 10001\nHEALTHCHECK CMD x\n") == []
    with pytest.raises(ValueError, match="base_digest"):
        k8s.render_dockerfile(base_digest="3.11-slim")
