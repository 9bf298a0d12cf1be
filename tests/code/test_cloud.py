"""The AWS emulator starts on loopback and stops; the audit finds exactly the insecure settings."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator

import pytest

from mlops_course.infra import cloud


@pytest.fixture(scope="module")
def aws() -> Iterator[cloud.AWSEmulator]:
    with cloud.AWSEmulator() as emulator:
        yield emulator


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def test_emulator_listens_on_loopback_free_port_and_stops() -> None:
    emulator = cloud.AWSEmulator().start()
    url = emulator.endpoint_url
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    assert _listening(url)
    emulator.stop()
    emulator.stop()  # twice is fine
    assert not emulator.running and not _listening(url)
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.endpoint_url


@pytest.mark.parametrize(
    "kwargs, message", [({"host": "0.0.0.0"}, "loopback"), ({"port": 70000}, "port"), ({"region": ""}, "region")]
)
def test_emulator_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cloud.AWSEmulator(**kwargs)


def test_aws_client_uses_given_endpoint_and_session(aws: cloud.AWSEmulator) -> None:
    s3 = cloud.aws_client("s3", endpoint_url=aws.endpoint_url, session=aws.session())
    assert s3.meta.endpoint_url == aws.endpoint_url
    assert s3.meta.region_name == "us-east-1"
    with pytest.raises(ValueError, match="service"):
        cloud.aws_client("")


def test_secure_bucket_passes_and_plain_bucket_fails_audit(aws: cloud.AWSEmulator) -> None:
    s3 = aws.client("s3")
    cloud.create_artifact_bucket(s3, "unit-secure-bucket")
    assert cloud.audit_bucket(s3, "unit-secure-bucket") == []
    s3.create_bucket(Bucket="unit-plain-bucket")
    s3.put_bucket_acl(Bucket="unit-plain-bucket", ACL="public-read")
    actual_rules = {f.rule for f in cloud.audit_bucket(s3, "unit-plain-bucket")}
    assert actual_rules == {"versioning", "encryption", "public-access-block", "public-acl"}
    with pytest.raises(ValueError, match="bucket name"):
        cloud.create_artifact_bucket(s3, "Bad Name")


def test_security_group_audit_flags_world_open_admin_ports_only(aws: cloud.AWSEmulator) -> None:
    ec2 = aws.client("ec2")
    vpc_id, subnets = cloud.default_network(ec2)
    assert len(set(subnets.values())) >= 2
    group = ec2.create_security_group(GroupName="unit-sg", Description="unit", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/24"}]},
        ],
    )
    assert cloud.audit_security_group(ec2, group) == []  # HTTPS to the world and SSH from inside are fine
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 20, "ToPort": 23, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    findings = cloud.audit_security_group(ec2, group)
    assert [(f.rule, f.detail) for f in findings] == [("world-open-admin-port", "SSH (port 22) open to the internet")]


@pytest.mark.parametrize(
    "statement, expected_rules",
    [
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}, set()),
        ({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}, {"wildcard-action"}),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"wildcard-resource"}),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}, {"not-action"}),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, set()),
    ],
)
def test_policy_audit(statement: dict, expected_rules: set[str]) -> None:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    assert {f.rule for f in cloud.audit_policy_document(document)} == expected_rules
    assert {f.rule for f in cloud.audit_policy_document(json.dumps(document))} == expected_rules


def test_policy_audit_rejects_non_policies() -> None:
    with pytest.raises(ValueError, match="Statement"):
        cloud.audit_policy_document({"Version": "2012-10-17"})


def test_role_audit_reads_inline_and_attached_policies(aws: cloud.AWSEmulator) -> None:
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="unit-role", AssumeRolePolicyDocument=json.dumps(trust))
    good = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
    }
    iam.put_role_policy(RoleName="unit-role", PolicyName="good", PolicyDocument=json.dumps(good))
    assert cloud.audit_role(iam, "unit-role") == []
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="unit-bad", PolicyDocument=json.dumps(bad))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="unit-role", PolicyArn=arn)
    assert {f.rule for f in cloud.audit_role(iam, "unit-role")} == {"wildcard-action", "wildcard-resource"}


def test_environment_variables_are_restored(aws: cloud.AWSEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with cloud.environment_variables(aws.environment()):
        assert os.environ["MLFLOW_S3_ENDPOINT_URL"] == aws.endpoint_url
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "MLFLOW_S3_ENDPOINT_URL" not in os.environ
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_findings_table_has_one_row_per_finding() -> None:
    findings = [cloud.Finding("a", "r1", "d1"), cloud.Finding("b", "r2", "d2")]
    table = cloud.findings_table(findings)
    assert list(table.columns) == ["resource", "rule", "detail"]
    assert table["rule"].tolist() == ["r1", "r2"]
