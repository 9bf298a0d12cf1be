"""Module 3, managing models in production: the registry, serving, load tests, monitoring and safe rollouts.

- :mod:`~mlops_course.production.registry`: versions, aliases, tags and lineage in MLflow's registry.
- :mod:`~mlops_course.production.serving`: the HTTP model server and its client.
- :mod:`~mlops_course.production.loadtest`: latency percentiles, throughput and errors under load.
- :mod:`~mlops_course.production.monitoring`: prediction drift and quality per window (Evidently).
- :mod:`~mlops_course.production.rollout`: shadow, canary and A/B, and rollback by moving an alias.

Importing this package imports none of them (MLflow and Evidently are slow to import).
"""
