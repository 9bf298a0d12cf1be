"""Module 6, data problems in production: quality rules and contracts, drift, a stream handler.

- :mod:`~mlops_course.dataquality.quality`: quality dimensions, schema and value checks, data contracts.
- :mod:`~mlops_course.dataquality.drift`: KS and Evidently drift (PSI itself is :mod:`mlops_course.psi`).
- :mod:`~mlops_course.dataquality.stream`: micro-batches quarantined, imputed, alerted on, lossless.
"""
