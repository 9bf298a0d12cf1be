"""environment_variables sets, unsets and restores, even when the block fails."""

from __future__ import annotations

import os

import pytest

from mlops_course.environment import environment_variables


def test_sets_unsets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_KEEP", "before")
    monkeypatch.setenv("COURSE_DROP", "present")
    monkeypatch.delenv("COURSE_NEW", raising=False)
    with (
        pytest.raises(RuntimeError),
        environment_variables({"COURSE_KEEP": "inside", "COURSE_DROP": None, "COURSE_NEW": "1"}),
    ):
        assert os.environ["COURSE_KEEP"] == "inside"
        assert "COURSE_DROP" not in os.environ
        assert os.environ["COURSE_NEW"] == "1"
        raise RuntimeError("the block fails")
    assert os.environ["COURSE_KEEP"] == "before"
    assert os.environ["COURSE_DROP"] == "present"
    assert "COURSE_NEW" not in os.environ
