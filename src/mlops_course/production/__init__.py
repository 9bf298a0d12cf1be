"""Module 3, managing models in production: the registry, serving, load tests, monitoring and safe rollouts.

- :mod:`~mlops_course.production.registry`: versions, aliases, tags and lineage in MLflow's registry.
- :mod:`~mlops_course.production.serving`: the HTTP model server and its client.
- :mod:`~mlops_course.production.loadtest`: latency percentiles, throughput and errors under load.
- :mod:`~mlops_course.production.monitoring`: prediction drift and quality per window (Evidently).
- :mod:`~mlops_course.production.rollout`: shadow, canary and A/B, and rollback by moving an alias.
- :mod:`~mlops_course.production.metrics`: the server's Prometheus metrics, scraping them, checking alert rules.
- :mod:`~mlops_course.production.batch`: a batch job that scores a month with the model behind an alias.
- :mod:`~mlops_course.production.fairness`: approval and error rates by group (Fairlearn's ``MetricFrame``).
- :mod:`~mlops_course.production.model_card`: a model card written from the registry's metadata.

Importing this package imports none of them (MLflow and Evidently are slow to import).
"""
