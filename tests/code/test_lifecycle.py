"""Unit tests for mlops_course.lifecycle: pictures, self-assessment, code version, logged recipes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib import pyplot as plt

from mlops_course import lifecycle
from mlops_course.lifecycle import MATURITY_QUESTIONS, pictures

ALL_TRUE = {key: True for key in MATURITY_QUESTIONS}
ALL_FALSE = {key: False for key in MATURITY_QUESTIONS}


def _texts(fig) -> str:
    parts = [t.get_text() for ax in fig.axes for t in ax.texts]
    parts += [ax.get_title(loc=loc) for ax in fig.axes for loc in ("left", "center")]
    parts += [label.get_text() for ax in fig.axes for label in ax.get_xticklabels() + ax.get_yticklabels()]
    return " ".join(parts).replace("\n", " ")


@pytest.mark.parametrize(
    ("draw", "expected_words"),
    [
        (lifecycle.draw_lifecycle, [*lifecycle.LIFECYCLE_STAGES, "retrain on new data"]),
        (lifecycle.draw_maturity_levels, ["Level 0", "Level 1", "Level 2", "Model registry"]),
        (lifecycle.draw_hidden_debt, ["ML code", "Monitoring", "Configuration"]),
        (lifecycle.draw_tool_landscape, [*lifecycle.TOOLS, "Monitor"]),
    ],
)
def test_each_picture_has_a_title_and_names_its_parts(draw, expected_words) -> None:
    fig = draw()
    try:
        actual = _texts(fig)
        assert any(ax.get_title(loc="left") or ax.get_title() for ax in fig.axes)
        for word in expected_words:
            assert word.replace("\n", " ") in actual, f"{draw.__name__} does not show {word!r}"
    finally:
        plt.close(fig)


def test_tool_landscape_axes_are_labelled() -> None:
    fig = lifecycle.draw_tool_landscape()
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "lifecycle stage" and ax.get_ylabel() == "tool"
    finally:
        plt.close(fig)


def test_runs_group_contiguous_stages() -> None:
    assert pictures._runs([6, 2, 3, 4]) == [(2, 4), (6, 6)]
    assert pictures._runs([1]) == [(1, 1)]


def test_tool_landscape_covers_the_course_tools_and_real_stages() -> None:
    table = lifecycle.tool_landscape_table()
    expected_tools = {
        "MLflow",
        "Kubeflow Pipelines",
        "Evidently",
        "scikit-learn",
        "Kubernetes",
        "GitHub Actions / GitLab CI / Jenkins",
        "boto3 / AWS",
        "Airflow / Prefect",
    }
    assert expected_tools <= set(table["tool"])
    for stages in table["lifecycle stages"]:
        assert stages and all(s in lifecycle.LIFECYCLE_STAGES for s in stages.split(", "))


def test_score_counts_practices_per_area() -> None:
    answers = {**ALL_FALSE, "experiments_tracked": True, "data_fingerprinted": True, "runs_reproducible": True}
    scores = lifecycle.score_self_assessment(answers).set_index("area")
    assert int(scores.loc["Experiments", "score"]) == 100
    assert int(scores.loc["Data", "score"]) == 50
    assert int(scores.loc["CI/CD", "score"]) == 0
    assert int(scores["practices"].sum()) == len(MATURITY_QUESTIONS)
    assert int(scores["in place"].sum()) == 3


def test_scores_span_zero_to_hundred() -> None:
    assert set(lifecycle.score_self_assessment(ALL_TRUE)["score"]) == {100}
    assert set(lifecycle.score_self_assessment(ALL_FALSE)["score"]) == {0}


def test_level_needs_every_practice_of_that_level_and_below() -> None:
    level1_only = {k: q.level == 1 for k, q in MATURITY_QUESTIONS.items()}
    assert lifecycle.maturity_level(ALL_TRUE) == 2
    assert lifecycle.maturity_level(level1_only) == 1
    assert lifecycle.maturity_level(ALL_FALSE) == 0
    missing_one_level1 = {**ALL_TRUE, "drift_alerts": False}
    assert lifecycle.maturity_level(missing_one_level1) == 0


def test_next_steps_name_missing_practices_of_the_next_level() -> None:
    answers = {**ALL_FALSE, "experiments_tracked": True}
    steps = lifecycle.next_steps(answers, limit=2)
    assert steps == [MATURITY_QUESTIONS["data_fingerprinted"].text, MATURITY_QUESTIONS["data_validated"].text]
    level1_only = {k: q.level == 1 for k, q in MATURITY_QUESTIONS.items()}
    assert lifecycle.next_steps(level1_only, limit=5) == [
        MATURITY_QUESTIONS["ml_tests_in_ci"].text,
        MATURITY_QUESTIONS["pipeline_cd"].text,
    ]
    assert lifecycle.next_steps(ALL_TRUE) == []
    with pytest.raises(ValueError, match="limit"):
        lifecycle.next_steps(ALL_TRUE, limit=0)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({**ALL_TRUE, "uses_spreadsheets": True}, "unknown question.*uses_spreadsheets"),
        ({k: v for k, v in ALL_TRUE.items() if k != "pipeline_cd"}, "lacks question.*pipeline_cd"),
        ({**ALL_TRUE, "drift_alerts": "yes"}, "True or False.*drift_alerts"),
        ({**ALL_TRUE, "drift_alerts": 1}, "True or False.*drift_alerts"),
    ],
)
def test_bad_answers_are_rejected_with_the_question_named(answers, message) -> None:
    with pytest.raises(ValueError, match=message):
        lifecycle.score_self_assessment(answers)
    with pytest.raises(ValueError, match=message):
        lifecycle.maturity_level(answers)


def test_self_assessment_plot_is_titled_with_the_level() -> None:
    fig = lifecycle.plot_self_assessment(lifecycle.score_self_assessment(ALL_FALSE), level=0)
    try:
        ax = fig.axes[0]
        assert "level 0" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert len(ax.patches) == len({q.area for q in MATURITY_QUESTIONS.values()})
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="area"):
        lifecycle.plot_self_assessment(lifecycle.score_self_assessment(ALL_FALSE).drop(columns="area"), 0)


def first_recipe(x: int) -> int:
    return x + 1


def second_recipe(x: int) -> int:
    return x + 2


def test_source_hash_is_stable_and_tells_code_apart() -> None:
    actual = lifecycle.source_hash(first_recipe)
    assert actual == lifecycle.source_hash(first_recipe)
    assert re.fullmatch(r"[0-9a-f]{16}", actual), actual
    assert actual != lifecycle.source_hash(second_recipe)


def test_source_hash_of_code_without_source_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="cannot read the source"):
        lifecycle.source_hash(len)


def test_outside_a_repository_the_code_version_is_the_source_hash(tmp_path: Path) -> None:
    assert lifecycle.git_commit(tmp_path) is None
    tags = lifecycle.code_version(first_recipe, tmp_path)
    assert tags == {"code.source_sha256": lifecycle.source_hash(first_recipe), "code.version_kind": "source hash"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_inside_a_repository_the_code_version_is_the_commit(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "train.py").write_text("print('train')\n")
    git("add", "train.py")
    git("-c", "user.name=Course", "-c", "user.email=course@example.com", "commit", "-q", "-m", "first")
    expected_commit = git("rev-parse", "HEAD")
    tags = lifecycle.code_version(first_recipe, tmp_path)
    assert tags["code.git_commit"] == expected_commit
    assert tags["code.version_kind"] == "git commit"
    assert tags["code.source_sha256"] == lifecycle.source_hash(first_recipe)


def test_logged_params_get_their_types_back() -> None:
    template = {"n_rows": 6000, "C": 1.0, "first_test_month": "2024-05", "balanced": False}
    logged = {"n_rows": "4000", "C": "0.25", "first_test_month": "2024-03", "balanced": "True", "extra": "x"}
    actual = lifecycle.parse_logged_params(logged, template)
    assert actual == {"n_rows": 4000, "C": 0.25, "first_test_month": "2024-03", "balanced": True}
    assert type(actual["n_rows"]) is int and type(actual["C"]) is float and type(actual["balanced"]) is bool
    assert lifecycle.parse_logged_params({"balanced": "False"}, {"balanced": True}) == {"balanced": False}


@pytest.mark.parametrize(
    ("logged", "message"),
    [
        ({"C": "1.0"}, r"did not log parameter\(s\) \['n_rows'\]"),
        ({"n_rows": "many", "C": "1.0"}, "n_rows='many' is not a int"),
        ({"n_rows": "10", "C": "one"}, "C='one' is not a float"),
    ],
)
def test_unusable_logged_params_are_named(logged, message) -> None:
    with pytest.raises(ValueError, match=message):
        lifecycle.parse_logged_params(logged, {"n_rows": 1, "C": 1.0})


def test_bool_params_accept_only_python_spellings() -> None:
    with pytest.raises(ValueError, match="flag='yes' is not a bool"):
        lifecycle.parse_logged_params({"flag": "yes"}, {"flag": True})


def test_compare_metrics_flags_each_difference() -> None:
    logged = {"roc_auc": 0.7162, "brier": 0.0734}
    table = lifecycle.compare_metrics(logged, {"roc_auc": 0.7162, "brier": 0.0750}).set_index("metric")
    assert bool(table.loc["roc_auc", "match"]) is True
    assert bool(table.loc["brier", "match"]) is False
    assert float(table.loc["brier", "reproduced"]) == pytest.approx(0.0750)
    loose = lifecycle.compare_metrics(logged, {"roc_auc": 0.7162, "brier": 0.0750}, tolerance=0.01)
    assert bool(loose["match"].all()) is True


def test_compare_metrics_rejects_missing_metrics_and_negative_tolerance() -> None:
    with pytest.raises(ValueError, match=r"lack \['brier'\]"):
        lifecycle.compare_metrics({"roc_auc": 0.7, "brier": 0.1}, {"roc_auc": 0.7})
    with pytest.raises(ValueError, match="tolerance"):
        lifecycle.compare_metrics({"roc_auc": 0.7}, {"roc_auc": 0.7}, tolerance=-1)
