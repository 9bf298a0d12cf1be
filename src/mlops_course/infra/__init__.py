"""Module 5, managing ML infrastructure: architecture, containers and Kubernetes, the cloud, capacity.

- :mod:`~mlops_course.infra.architecture`: the reference architecture of an ML platform.
- :mod:`~mlops_course.infra.containers`: the model server's Dockerfile (generated, never built) and its lint.
- :mod:`~mlops_course.infra.k8s`: Kubernetes manifests for the model, validated offline.
- :mod:`~mlops_course.infra.cloud`: AWS through boto3 against a local emulator, and a security audit.
- :mod:`~mlops_course.infra.capacity`: latency and memory, fleet sizing, autoscaling and cost.
"""
