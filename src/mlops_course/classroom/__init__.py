"""Classroom mode: one MLflow server for a whole class.

- :mod:`~mlops_course.classroom.services`: PostgreSQL, an S3 object store and MLflow with
  accounts, started and stopped by context managers (``mlops-course classroom up``).
- :mod:`~mlops_course.classroom.learners`: learner accounts from a class list.
- :mod:`~mlops_course.classroom.connection`: :func:`check_connection`, what a learner runs
  (``mlops-course classroom doctor``) to see that their settings work.

Grading in shards lives with the grader (:mod:`mlops_course.grading.sharding`,
:mod:`mlops_course.grading.shard_merge`). Importing this package is cheap; heavy libraries
load only when a service starts.
"""

from mlops_course.classroom.connection import ClassroomConnectionError, ConnectionStatus, check_connection

__all__ = ["ClassroomConnectionError", "ConnectionStatus", "check_connection"]
