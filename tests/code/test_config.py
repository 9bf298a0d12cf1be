"""Unit tests of mlops_course.cicd.config: merging, validation, secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_course.cicd.config import ConfigError, build_config, deep_merge, find_secrets, load_config


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_deep_merge_overrides_nested_keys_and_keeps_inputs():
    base = {"gate": {"min_roc_auc": 0.7, "max_roc_auc_drop": 0.02}, "model": {"C": 1.0}}
    actual = deep_merge(base, {"gate": {"min_roc_auc": 0.6}})
    assert actual == {"gate": {"min_roc_auc": 0.6, "max_roc_auc_drop": 0.02}, "model": {"C": 1.0}}
    assert base["gate"]["min_roc_auc"] == 0.7


def test_environment_override_wins(tmp_path):
    write(tmp_path, "base.yaml", "data:\n  n_rows: 9000\nserving:\n  replicas: 1\n")
    write(tmp_path, "prod.yaml", "serving:\n  replicas: 4\n")
    assert load_config(tmp_path, "prod", environ={}).serving.replicas == 4
    assert load_config(tmp_path, "dev", environ={}).serving.replicas == 1  # no dev.yaml: base only
    assert load_config(tmp_path, "dev", environ={}).data.n_rows == 9000


def test_invalid_values_are_rejected_with_the_key_named(tmp_path):
    write(tmp_path, "base.yaml", "gate:\n  min_roc_auc: 1.7\nmodel:\n  kind: deep_net\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, "staging", environ={})
    assert "gate.min_roc_auc" in str(caught.value) and "model.kind" in str(caught.value)


def test_unknown_keys_and_environments_are_rejected():
    with pytest.raises(ConfigError, match="gate.min_auc"):
        build_config({"gate": {"min_auc": 0.7}}, {}, "dev", environ={})
    with pytest.raises(ConfigError, match="environment must be one of"):
        build_config({}, {}, "production", environ={})


def test_committed_secret_is_refused(tmp_path):
    write(tmp_path, "base.yaml", "serving:\n  api_token: hunter2\n")
    with pytest.raises(ConfigError, match="serving.api_token"):
        load_config(tmp_path, "dev", environ={})
    assert find_secrets({"serving": {"require_token": True, "api_token_env": "X", "db_password": "p"}}) == [
        "serving.db_password"
    ]


def test_secret_comes_from_the_environment_and_is_never_dumped():
    config = build_config({}, {"serving": {"require_token": True}}, "prod", environ={"CREDIT_API_TOKEN": "s3cr3t"})
    assert config.serving.api_token is not None
    assert config.serving.api_token.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in str(config.model_dump())


def test_required_secret_missing_names_the_variable():
    with pytest.raises(ConfigError, match="CREDIT_API_TOKEN"):
        build_config({}, {"serving": {"require_token": True}}, "prod", environ={})


def test_malformed_yaml_and_missing_base(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path, "dev", environ={})
    write(tmp_path, "base.yaml", "data: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path, "dev", environ={})
