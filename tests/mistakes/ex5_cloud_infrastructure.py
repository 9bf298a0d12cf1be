"""Exercise 5 (cloud infrastructure): plausible mistakes and correct alternatives, written from the task text.

Most mistakes are the reference cell with one misreading edited in (``_mutate``), so each
differs from a correct answer by exactly the slip it names.
"""

from __future__ import annotations

from typing import Any

from mistakes import mutate

STEM = "ex5_cloud_infrastructure"

TASKS = {
    "bucket": ["provision_artifact_bucket"],
    "security_group": ["provision_server_security_group"],
    "role": ["provision_model_role"],
    "fleet": ["provision_fleet"],
    "capacity": ["plan_capacity"],
    "manifests": ["model_manifests"],
}


ALTERNATIVES: list[dict[str, Any]] = [
    {
        "name": "bucket with KMS encryption and a single-statement policy",
        "why": "aws:kms instead of AES256, Statement as one dict, resources in the other order",
        "cells": {
            "provision_artifact_bucket": """def provision_artifact_bucket(s3, name):
    s3.create_bucket(Bucket=name)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")},
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}/*", f"arn:aws:s3:::{name}"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name
"""
        },
    },
    {
        "name": "security group: one authorize call per rule",
        "why": "two calls, the load balancer's group given as a UserIdGroupPair with its id only",
        "cells": {
            "provision_server_security_group": """def provision_server_security_group(ec2, vpc_id, name, *, app_port, lb_group_id, admin_cidr):
    group = ec2.create_security_group(GroupName=name, Description="model servers", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": app_port, "ToPort": app_port, "UserIdGroupPairs": [{"GroupId": lb_group_id}]}],
    )
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp=admin_cidr)
    return group
"""
        },
    },
    {
        "name": "role with a managed policy, object versions readable too",
        "why": "create_policy + attach_role_policy; GetObjectVersion is allowed by the task",
        "cells": {
            "provision_model_role": """def provision_model_role(iam, role_name, bucket):
    trust = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}}
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{bucket}/*"},
        ],
    }
    policy = iam.create_policy(PolicyName=f"{role_name}-read-{bucket}", PolicyDocument=json.dumps(document))["Policy"]
    iam.attach_role_policy(RoleName=role_name, PolicyArn=policy["Arn"])
    iam.create_instance_profile(InstanceProfileName=role_name)
    iam.add_role_to_instance_profile(InstanceProfileName=role_name, RoleName=role_name)
    return role["Arn"]
"""
        },
    },
    {
        "name": "fleet: template by id, a pinned version, subnets in another order",
        "why": "LaunchTemplateId and Version '1' instead of the name and $Latest",
        "cells": mutate(
            STEM,
            "provision_fleet",
            ("    ec2.create_launch_template(\n", "    template = ec2.create_launch_template(\n"),
            (
                'LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"}',
                'LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "1"}',
            ),
            ('VPCZoneIdentifier=",".join(subnet_ids)', 'VPCZoneIdentifier=",".join(reversed(list(subnet_ids)))'),
        ),
    },
    {
        "name": "capacity by counting replicas up",
        "why": "adds replicas until the utilisation fits, with a small tolerance; checks whole numbers with is_integer",
        "cells": {
            "plan_capacity": """def plan_capacity(peak_rps, service_time_s, workers_per_replica, target_utilization, usd_per_hour, min_replicas=2):
    import numpy as np

    def ok(x):
        return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))

    for label, x in (("peak_rps", peak_rps), ("service_time_s", service_time_s), ("usd_per_hour", usd_per_hour)):
        if not ok(x) or not x > 0:
            raise ValueError(f"{label} must be positive")
    for label, x in (("workers_per_replica", workers_per_replica), ("min_replicas", min_replicas)):
        if not ok(x) or not float(x).is_integer() or x < 1:
            raise ValueError(f"{label} must be a whole number >= 1")
    if not ok(target_utilization) or not 0 < target_utilization <= 1:
        raise ValueError("target_utilization must be in (0, 1]")
    in_flight = float(peak_rps) * float(service_time_s)
    replicas = int(min_replicas)
    while in_flight / (replicas * int(workers_per_replica)) > target_utilization * (1 + 1e-12):
        replicas += 1
    return {
        "in_flight": in_flight,
        "replicas": replicas,
        "utilization": in_flight / (replicas * int(workers_per_replica)),
        "monthly_usd": replicas * float(usd_per_hour) * 730,
    }
"""
        },
    },
    {
        "name": "manifests written by hand with a named port",
        "why": "no builders; probes and the Service's targetPort refer to the port by its name",
        "cells": {
            "model_manifests": """def model_manifests(req):
    name, labels = req["name"], {"app": req["name"]}
    probe = lambda path: {"httpGet": {"path": path, "port": "http"}, "periodSeconds": 10}
    container = {
        "name": "server",
        "image": req["image"],
        "ports": [{"name": "http", "containerPort": req["port"]}],
        "resources": {
            "requests": {"cpu": req["cpu_request"], "memory": req["memory_request"]},
            "limits": {"cpu": req["cpu_limit"], "memory": req["memory_limit"]},
        },
        "readinessProbe": probe(req["readiness_path"]),
        "livenessProbe": probe(req["liveness_path"]),
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": req["min_replicas"], "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
    }
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": "http"}]}}
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "minReplicas": req["min_replicas"], "maxReplicas": req["max_replicas"],
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": req["cpu_target"]}}}]},
    }
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": f"{name}-pdb"},
              "spec": {"minAvailable": max(req["min_replicas"] - 1, 1), "selector": {"matchLabels": labels}}}
    return [deployment, service, hpa, budget]
"""
        },
    },
]

MISTAKES: list[dict[str, Any]] = [
    # task 1 · bucket
    {
        "name": "bucket: the TLS rule covers the bucket but not its objects",
        "why": "Resource is only arn:aws:s3:::<name>",
        "cells": mutate(
            STEM,
            "provision_artifact_bucket",
            ('everything = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]', 'everything = f"arn:aws:s3:::{name}"'),
        ),
        "fails": ["test_bucket", "test_bucket_tls_and_hidden"],
    },
    {
        "name": "bucket: denies when SecureTransport is true",
        "why": "reads 'TLS-only' as a condition on TLS being used",
        "cells": mutate(
            STEM,
            "provision_artifact_bucket",
            ('{"Bool": {"aws:SecureTransport": "false"}}', '{"Bool": {"aws:SecureTransport": "true"}}'),
        ),
        "fails": ["test_bucket", "test_bucket_tls_and_hidden"],
    },
    {
        "name": "bucket: only the two Block settings of the public access block",
        "why": "sets BlockPublicAcls and BlockPublicPolicy, not the Ignore/Restrict pair",
        "cells": mutate(
            STEM,
            "provision_artifact_bucket",
            (
                'blocks = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")',
                'blocks = ("BlockPublicAcls", "BlockPublicPolicy")',
            ),
        ),
        "fails": ["test_bucket", "test_bucket_tls_and_hidden"],
    },
    {
        "name": "bucket: versioning suspended",
        "why": "writes the versioning call with the wrong status",
        "cells": mutate(STEM, "provision_artifact_bucket", ('{"Status": "Enabled"}', '{"Status": "Suspended"}')),
        "fails": ["test_bucket", "test_bucket_tls_and_hidden"],
    },
    # task 2 · security group
    {
        "name": "security group: the app port from the load balancer's addresses",
        "why": "keeps a CIDR range for the load balancer (the VPC's range) instead of its security group",
        "cells": mutate(
            STEM,
            "provision_server_security_group",
            (
                'from_lb = {"GroupId": lb_group_id, "Description": "load balancer"}',
                'from_lb = {"CidrIp": "172.31.0.0/16", "Description": "load balancer"}',
            ),
            ('(app_port, {"UserIdGroupPairs": [from_lb]})', '(app_port, {"IpRanges": [from_lb]})'),
        ),
        "fails": ["test_security_group", "test_security_group_hidden"],
    },
    {
        "name": "security group: SSH from the load balancer and the app port from the bastion",
        "why": "swaps the two sources",
        "cells": mutate(
            STEM,
            "provision_server_security_group",
            (
                'rules = [(app_port, {"UserIdGroupPairs": [from_lb]}), (22, {"IpRanges": [from_bastion]})]',
                'rules = [(22, {"UserIdGroupPairs": [from_lb]}), (app_port, {"IpRanges": [from_bastion]})]',
            ),
        ),
        "fails": ["test_security_group", "test_security_group_hidden"],
    },
    {
        "name": "security group: a port range up to the app port",
        "why": "FromPort 0 to ToPort app_port",
        "cells": mutate(
            STEM,
            "provision_server_security_group",
            (
                '{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}',
                '{"IpProtocol": "tcp", "FromPort": 0 if port != 22 else 22, "ToPort": port, **source}',
            ),
        ),
        "fails": ["test_security_group", "test_security_group_hidden"],
    },
    {
        "name": "security group: hard-coded port 8080",
        "why": "copies the platform team's value",
        "cells": mutate(
            STEM,
            "provision_server_security_group",
            ('rules = [(app_port, {"UserIdGroupPairs"', 'rules = [(8080, {"UserIdGroupPairs"'),
        ),
        "fails": ["test_security_group_hidden"],
    },
    # task 3 · role
    {
        "name": "role: actions and resources swapped between the statements",
        "why": "ListBucket on the objects and GetObject on the bucket: the role can read nothing",
        "cells": mutate(
            STEM,
            "provision_model_role",
            (
                '{"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"]}',
                '{"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}',
            ),
            (
                '{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}',
                '{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}"]}',
            ),
        ),
        "fails": ["test_role", "test_role_hidden"],
    },
    {
        "name": "role: s3:Get* for reading",
        "why": "a wildcard that also grants GetBucketPolicy, GetObjectAcl, ...",
        "cells": mutate(STEM, "provision_model_role", ('"Action": ["s3:GetObject"]', '"Action": ["s3:Get*"]')),
        "fails": ["test_role", "test_role_hidden"],
    },
    {
        "name": "role: read on every bucket",
        "why": "Resource '*' for listing",
        "cells": mutate(STEM, "provision_model_role", ('"Resource": [f"arn:aws:s3:::{bucket}"]', '"Resource": ["*"]')),
        "fails": ["test_role", "test_role_hidden"],
    },
    {
        "name": "role: instance profile without the role",
        "why": "creates the profile and forgets add_role_to_instance_profile",
        "cells": mutate(
            STEM,
            "provision_model_role",
            ("    iam.add_role_to_instance_profile(InstanceProfileName=role_name, RoleName=role_name)\n", ""),
        ),
        "fails": ["test_role", "test_role_hidden"],
    },
    # task 4 · fleet
    {
        "name": "fleet: IMDSv2 optional",
        "why": "HttpTokens optional keeps IMDSv1 working",
        "cells": mutate(STEM, "provision_fleet", ('{"HttpTokens": "required"}', '{"HttpTokens": "optional"}')),
        "fails": ["test_fleet", "test_fleet_hidden"],
    },
    {
        "name": "fleet: starts at the maximum size",
        "why": "DesiredCapacity=max_size, 'to be safe'",
        "cells": mutate(STEM, "provision_fleet", ("DesiredCapacity=min_size", "DesiredCapacity=max_size")),
        "fails": ["test_fleet", "test_fleet_hidden"],
    },
    {
        "name": "fleet: CPU target as a fraction",
        "why": "60 % written as 0.6",
        "cells": mutate(
            STEM, "provision_fleet", ('"TargetValue": float(target_cpu)', '"TargetValue": target_cpu / 100')
        ),
        "fails": ["test_fleet", "test_fleet_hidden"],
    },
    {
        "name": "fleet: one subnet only",
        "why": "VPCZoneIdentifier is the first subnet",
        "cells": mutate(
            STEM, "provision_fleet", ('VPCZoneIdentifier=",".join(subnet_ids)', "VPCZoneIdentifier=subnet_ids[0]")
        ),
        "fails": ["test_fleet", "test_fleet_hidden"],
    },
    # task 5 · capacity
    {
        "name": "capacity: ceil without minding floating point",
        "why": "math.ceil(2.1 / 0.7) is 4",
        "cells": mutate(
            STEM,
            "plan_capacity",
            (
                "needed = math.ceil(round(load / (workers * target), 9))",
                "needed = math.ceil(load / (workers * target))",
            ),
        ),
        "fails": ["test_capacity_hidden"],
    },
    {
        "name": "capacity: the floor ignored",
        "why": "returns the replicas the load needs, even below min_replicas",
        "cells": mutate(STEM, "plan_capacity", ("replicas = max(floor, needed)", "replicas = max(1, needed)")),
        "fails": ["test_capacity", "test_capacity_hidden"],
    },
    {
        "name": "capacity: whole numbers must be ints",
        "why": "isinstance(..., int) rejects 2.0 and np.int64(2)",
        "cells": mutate(
            STEM,
            "plan_capacity",
            (
                "if whole and (value != int(value) or value < 1):",
                "if whole and (not isinstance(value, int) or value < 1):",
            ),
        ),
        "fails": ["test_capacity_hidden"],
    },
    {
        "name": "capacity: a month of 720 hours",
        "why": "24 x 30 instead of HOURS_PER_MONTH",
        "cells": mutate(
            STEM,
            "plan_capacity",
            ('"monthly_usd": replicas * price * HOURS_PER_MONTH', '"monthly_usd": replicas * price * 24 * 30'),
        ),
        "fails": ["test_capacity", "test_capacity_hidden"],
    },
    # task 6 · manifests
    {
        "name": "manifests: the budget without a floor of 1",
        "why": "minAvailable = min_replicas - 1, which is 0 for one replica",
        "cells": mutate(
            STEM,
            "model_manifests",
            ('"minAvailable": max(1, req["min_replicas"] - 1)', '"minAvailable": req["min_replicas"] - 1'),
        ),
        "fails": ["test_manifests_hidden"],
    },
    {
        "name": "manifests: the budget as maxUnavailable",
        "why": "maxUnavailable 1 says the same in words, but the task asks for minAvailable",
        "cells": mutate(
            STEM, "model_manifests", ('"minAvailable": max(1, req["min_replicas"] - 1)', '"maxUnavailable": 1')
        ),
        "fails": ["test_manifests", "test_manifests_hidden"],
    },
    {
        "name": "manifests: the Service forwards the container port to port 80",
        "why": "port and targetPort swapped",
        "cells": mutate(
            STEM,
            "model_manifests",
            (
                "service = k8s.service_manifest(name, port=80, target_port=port)",
                "service = k8s.service_manifest(name, port=port, target_port=80)",
            ),
        ),
        "fails": ["test_manifests", "test_manifests_hidden"],
    },
    {
        "name": "manifests: the builder's default probe paths",
        "why": "keeps /health for both probes",
        "cells": mutate(
            STEM,
            "model_manifests",
            ('    container["readinessProbe"]["httpGet"]["path"] = req["readiness_path"]\n', ""),
            ('    container["livenessProbe"]["httpGet"]["path"] = req["liveness_path"]\n', ""),
        ),
        "fails": ["test_manifests", "test_manifests_hidden"],
    },
]

TASKS["fleet_choice"] = ["choose_fleet"]

ALTERNATIVES.append(
    {
        "name": "fleet choice by counting instances up for each offer",
        "why": "adds instances until the utilisation fits, then compares monthly costs",
        "cells": {
            "choose_fleet": """def choose_fleet(peak_rps, service_time_s, offers, *, max_utilization=0.6, min_replicas=2):
    best = None
    for name, offer in sorted(offers.items()):
        n = min_replicas
        while peak_rps * service_time_s / (n * offer["workers"]) > max_utilization + 1e-12:
            n += 1
        monthly = n * offer["usd_per_hour"] * HOURS_PER_MONTH
        if best is None or monthly < best[0]:
            best = (monthly, name, n)
    return {"instance_type": best[1], "replicas": best[2]}
"""
        },
    }
)

MISTAKES += [
    {
        "name": "fleet choice: the lowest price per worker",
        "why": "a shortcut that forgets the floor of instances and the rounding up",
        "cells": {
            "choose_fleet": """def choose_fleet(peak_rps, service_time_s, offers, *, max_utilization=0.6, min_replicas=2):
    name = min(offers, key=lambda k: offers[k]["usd_per_hour"] / offers[k]["workers"])
    n = max(min_replicas, math.ceil(round(peak_rps * service_time_s / (offers[name]["workers"] * max_utilization), 9)))
    return {"instance_type": name, "replicas": n}
"""
        },
        "fails": ["test_choose_fleet_hidden"],
    },
    {
        "name": "fleet choice: the cheapest instance per hour",
        "why": "buys many of the cheapest machine",
        "cells": mutate(
            STEM,
            "choose_fleet",
            (
                "_, kind, count = min(fleets)",
                "_, kind, count = min(fleets, key=lambda f: offers[f[1]]['usd_per_hour'])",
            ),
        ),
        "fails": ["test_choose_fleet_hidden"],
    },
    {
        "name": "fleet choice: full utilisation allowed",
        "why": "sizes for 100 % busy workers, ignoring max_utilization",
        "cells": mutate(
            STEM,
            "choose_fleet",
            (
                'count = max(min_replicas, math.ceil(round(in_flight / (offer["workers"] * max_utilization), 9)))',
                'count = max(min_replicas, math.ceil(round(in_flight / offer["workers"], 9)))',
            ),
        ),
        "fails": ["test_choose_fleet", "test_choose_fleet_hidden"],
    },
    {
        "name": "fleet choice: ceil without minding floating point",
        "why": "2.1 / 0.7 rounds up to 4 instances",
        "cells": mutate(
            STEM,
            "choose_fleet",
            (
                'math.ceil(round(in_flight / (offer["workers"] * max_utilization), 9))',
                'math.ceil(in_flight / (offer["workers"] * max_utilization))',
            ),
        ),
        "fails": ["test_choose_fleet_hidden"],
    },
]
