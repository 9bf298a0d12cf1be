"""Helpers shared by the test suites (importable as ``helpers`` through pytest's ``pythonpath``)."""
