"""AWS without an account: a local emulator, clients that point at it or at AWS, a security audit.

The emulator is moto's server mode, run in a background thread on loopback and on a free
port. boto3 talks to it over HTTP exactly as it talks to AWS, so provisioning code written
against it runs unchanged against a real account: only the endpoint and the credentials
change (see :func:`aws_client`).

    with AWSEmulator() as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="ml-artifacts")

The audit functions read resources back through the API and return :class:`Finding` s,
one per broken rule: a bucket that is public, unencrypted or unversioned; a security
group open to the world on an admin port; an IAM policy with wildcard actions.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from mlops_course.environment import environment_variables

DEFAULT_REGION = "us-east-1"
#: Fake credentials: the emulator accepts anything, real AWS rejects these.
FAKE_CREDENTIALS: dict[str, str] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
PUBLIC_ACCESS_BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
#: Ports that must never be reachable from the whole internet (SSH, RDP, databases).
ADMIN_PORTS: dict[int, str] = {22: "SSH", 3389: "RDP", 3306: "MySQL", 5432: "PostgreSQL", 6379: "Redis"}
_WORLD = ("0.0.0.0/0", "::/0")
_PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def aws_client(
    service: str, *, endpoint_url: str | None = None, session: Any = None, region: str = DEFAULT_REGION
) -> Any:
    """A boto3 client for ``service``: the emulator when ``endpoint_url`` is given, AWS when it is None.

    Args:
        service: a boto3 service name, e.g. ``"s3"``, ``"ec2"``, ``"iam"``, ``"autoscaling"``.
        endpoint_url: the emulator's URL, or ``None`` for the real AWS endpoints.
        session: a ``boto3.session.Session`` carrying the credentials; by default one from
            the usual chain (environment, profile, instance role).
        region: the region, used when a new session is made.

    Returns:
        The boto3 client.
    """
    import boto3

    if not service or not isinstance(service, str):
        raise ValueError(f"service must be a boto3 service name such as 's3' or 'ec2', got {service!r}.")
    session = session or boto3.session.Session(region_name=region)
    return session.client(service, endpoint_url=endpoint_url)


class AWSEmulator:
    """A local AWS (S3, EC2, IAM, Auto Scaling, ...) on loopback: ``start()``, ``endpoint_url``, ``stop()``.

    Args:
        host: a loopback address; the emulator never listens on other interfaces.
        port: 0 (the default) picks a free port.
        region: the region clients made by :meth:`client` use.

    The emulator's state lives in this Python process: resources created through one
    emulator are visible to any other started in the same process (call :meth:`reset`
    to start from an empty account).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = DEFAULT_REGION) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"host must be a loopback address ({', '.join(LOOPBACK_HOSTS)}), got {host!r}.")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (pick a free one) or a port number up to 65535, got {port!r}.")
        if not region or not isinstance(region, str):
            raise ValueError(f"region must be an AWS region name such as 'us-east-1', got {region!r}.")
        self.host, self.port, self.region = host, port, region
        self._server: Any = None

    @property
    def running(self) -> bool:
        """Whether the emulator is serving."""
        return self._server is not None

    @property
    def endpoint_url(self) -> str:
        """The URL boto3 (and MLflow) should use instead of AWS's endpoints."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it in a `with` block.")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> AWSEmulator:
        """Start serving in a background thread; returns ``self``."""
        if self._server is not None:
            return self
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Delete every resource in the emulated account."""
        import requests

        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()

    def session(self) -> Any:
        """A boto3 session with fake credentials in the emulator's region."""
        import boto3

        return boto3.session.Session(region_name=self.region, **FAKE_CREDENTIALS)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` pointed at the emulator."""
        return aws_client(service, endpoint_url=self.endpoint_url, session=self.session())

    def environment(self) -> dict[str, str]:
        """Environment variables that point boto3-based tools (MLflow's S3 store) at the emulator."""
        return {
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": self.region,
        }

    def __enter__(self) -> AWSEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def create_artifact_bucket(s3: Any, name: str, region: str = DEFAULT_REGION) -> str:
    """Create a private artifact bucket: versioned, encrypted by default, public access blocked.

    Args:
        s3: a boto3 S3 client (emulator or AWS).
        name: the bucket name (3-63 lowercase letters, digits, dots, hyphens).
        region: the bucket's region.

    Returns:
        The bucket name.
    """
    if not isinstance(name, str) or not 3 <= len(name) <= 63 or name != name.lower() or " " in name:
        raise ValueError(f"bucket name must be 3-63 lowercase characters without spaces, got {name!r}.")
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration={flag: True for flag in PUBLIC_ACCESS_BLOCK_FLAGS}
    )
    return name


def default_network(ec2: Any) -> tuple[str, dict[str, str]]:
    """The default VPC and its subnets.

    Returns:
        ``(vpc_id, {subnet_id: availability_zone})``.
    """
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        raise LookupError("the account has no default VPC; create a VPC and subnets first.")
    vpc_id = vpcs[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return vpc_id, {s["SubnetId"]: s["AvailabilityZone"] for s in sorted(subnets, key=lambda s: s["AvailabilityZone"])}


# ----------------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class Finding:
    """One broken security rule on one resource."""

    resource: str
    rule: str
    detail: str


def _client_error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def audit_bucket(s3: Any, name: str) -> list[Finding]:
    """Check a bucket is versioned, encrypted by default, has all public access blocked and no public grant."""
    from botocore.exceptions import ClientError

    found: list[Finding] = []
    resource = f"s3://{name}"
    if s3.get_bucket_versioning(Bucket=name).get("Status") != "Enabled":
        found.append(Finding(resource, "versioning", "versioning is not enabled: an overwritten model is lost"))
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]
        if not any(algorithms):
            found.append(Finding(resource, "encryption", "no default encryption algorithm"))
    except ClientError as exc:
        if "ServerSideEncryptionConfigurationNotFound" not in _client_error_code(exc):
            raise
        found.append(Finding(resource, "encryption", "default encryption is off"))
    try:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if "NoSuchPublicAccessBlockConfiguration" not in _client_error_code(exc):
            raise
        block = {}
    missing = [flag for flag in PUBLIC_ACCESS_BLOCK_FLAGS if not block.get(flag)]
    if missing:
        found.append(Finding(resource, "public-access-block", f"not blocked: {', '.join(missing)}"))
    grants = s3.get_bucket_acl(Bucket=name).get("Grants", [])
    if any(g.get("Grantee", {}).get("URI") in _PUBLIC_GRANTEES for g in grants):
        found.append(Finding(resource, "public-acl", "the ACL grants access to everyone"))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def audit_policy_document(document: Mapping[str, Any] | str, name: str = "policy") -> list[Finding]:
    """Check an IAM policy document grants no wildcard actions and no ``Allow`` on every resource.

    Args:
        document: the policy as a dict or JSON text (URL-encoded text is accepted too).
        name: how findings name the policy.

    Returns:
        One finding per offending statement and rule.
    """
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{name}: document is not a JSON policy document ({exc.msg}), got {str(document)[:60]!r}."
            ) from None
    if not isinstance(document, Mapping) or "Statement" not in document:
        raise ValueError(f"{name}: a policy document is a dict with a 'Statement' list, got {document!r}.")
    found: list[Finding] = []
    for index, statement in enumerate(_as_list(document["Statement"])):
        if statement.get("Effect") != "Allow":
            continue
        where = f"{name} statement {index}"
        if "NotAction" in statement or "NotResource" in statement:
            found.append(Finding(where, "not-action", "Allow with NotAction/NotResource grants almost everything"))
        wild = [a for a in _as_list(statement.get("Action", [])) if "*" in str(a) or "?" in str(a)]
        if wild:
            found.append(Finding(where, "wildcard-action", f"wildcard actions {wild}: list the exact actions needed"))
        if "*" in _as_list(statement.get("Resource", [])):
            found.append(Finding(where, "wildcard-resource", "Resource '*': name the bucket/objects the role needs"))
    return found


def audit_role(iam: Any, role_name: str) -> list[Finding]:
    """Audit every inline and attached (customer-managed or AWS-managed) policy of a role."""
    found: list[Finding] = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        found += audit_policy_document(document, f"role {role_name} inline {policy_name}")
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        found += audit_policy_document(
            version["PolicyVersion"]["Document"], f"role {role_name} {attached['PolicyName']}"
        )
    return found


def _port_range(permission: Mapping[str, Any]) -> range:
    if str(permission.get("IpProtocol")) == "-1":
        return range(0, 65536)
    return range(int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535)) + 1)


def audit_security_group(ec2: Any, group_id: str) -> list[Finding]:
    """Check no ingress rule opens an admin port (SSH, RDP, databases) or all ports to the world."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    found: list[Finding] = []
    resource = f"security group {group.get('GroupName', group_id)}"
    for permission in group.get("IpPermissions", []):
        cidrs = [r["CidrIp"] for r in permission.get("IpRanges", [])] + [
            r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])
        ]
        if not any(c in _WORLD or ipaddress.ip_network(c, strict=False).prefixlen == 0 for c in cidrs):
            continue
        ports = _port_range(permission)
        if len(ports) > 1000:
            found.append(
                Finding(resource, "world-open-ports", f"ports {ports.start}-{ports.stop - 1} open to the internet")
            )
            continue
        for port, service in ADMIN_PORTS.items():
            if port in ports:
                found.append(
                    Finding(resource, "world-open-admin-port", f"{service} (port {port}) open to the internet")
                )
    return found


def findings_table(findings: list[Finding]) -> Any:
    """The findings as a small pandas table (one row each)."""
    import pandas as pd

    if isinstance(findings, (str, Mapping)) or not isinstance(findings, (list, tuple)):
        raise TypeError(
            f"findings must be a list of findings (what the audit_* functions return), got {findings!r:.60}."
        )
    return pd.DataFrame([f.__dict__ for f in findings], columns=["resource", "rule", "detail"])


__all__ = [
    "ADMIN_PORTS",
    "AWSEmulator",
    "DEFAULT_REGION",
    "FAKE_CREDENTIALS",
    "Finding",
    "audit_bucket",
    "audit_policy_document",
    "audit_role",
    "audit_security_group",
    "aws_client",
    "create_artifact_bucket",
    "default_network",
    "environment_variables",
    "findings_table",
]
