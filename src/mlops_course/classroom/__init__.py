"""Classroom mode: one MLflow server for a whole class, and grading in shards.

- :mod:`~mlops_course.classroom.services`: PostgreSQL, an S3 object store and MLflow with
  accounts, started and stopped by context managers (``mlops-course classroom up``).
- :mod:`~mlops_course.classroom.learners`: learner accounts from a class list.
- :mod:`~mlops_course.classroom.connection`: :func:`check_connection`, what a learner runs
  (``mlops-course classroom doctor``) to see that their settings work.
- :mod:`~mlops_course.classroom.sharding` and :mod:`~mlops_course.classroom.gradebook`:
  :func:`shard_of`, :func:`select_shard`, :func:`merge_gradebooks` for grading at scale.

Importing this package is cheap; heavy libraries load only when a service starts.
"""

from mlops_course.classroom.connection import ClassroomConnectionError, ConnectionStatus, check_connection
from mlops_course.classroom.gradebook import MergeReport, merge_gradebooks
from mlops_course.classroom.sharding import parse_shard, select_shard, shard_of

__all__ = [
    "ClassroomConnectionError",
    "ConnectionStatus",
    "MergeReport",
    "check_connection",
    "merge_gradebooks",
    "parse_shard",
    "select_shard",
    "shard_of",
]
