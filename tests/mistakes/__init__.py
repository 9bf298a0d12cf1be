"""Plausible mistakes and correct alternatives for each exercise, kept as data.

One module per exercise, ``tests/mistakes/<stem>.py``, defines:

- ``TASKS``: task name -> the grade ids of the solution cells that make up the task. Every
  auto-graded solution cell of the exercise belongs to exactly one task.
- ``ALTERNATIVES``: correct solutions written differently from the reference. Each is a dict
  ``{"name", "why", "cells": {grade_id: full cell source}}`` and must score full marks.
- ``MISTAKES``: plausible wrong answers, written from the task text as a learner could
  misread it. Each is ``{"name", "why", "cells": {grade_id: source}, "fails": [test grade ids]}``
  and must lose points: at least one of the tests in ``fails`` must fail, and the score must
  be below the maximum.

Cells not named in ``cells`` keep the reference solution. ``tests/grading/test_mistakes.py``
packs variants whose cells (and, for mistakes, ``fails``) do not overlap into one submission,
so one graded notebook can carry one mistake per task, then grades them all in one run.
"""
