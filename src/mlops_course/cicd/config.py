"""Configuration as typed, validated files: a base file, per-environment overrides, secrets from the environment.

A project keeps ``config/base.yaml`` and one override file per environment
(``config/dev.yaml``, ``config/staging.yaml``, ``config/prod.yaml``). :func:`load_config`
merges the override into the base, validates the result against :class:`ProjectConfig`
(unknown keys, wrong types and out-of-range values are rejected with a message naming the
file, the key and what is allowed) and reads secrets from environment variables: a config
file names the *variable* (``api_token_env: CREDIT_API_TOKEN``), never the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api_key|access_key)$", re.IGNORECASE)
_ENV_VAR = re.compile(r"^[A-Z][A-Z0-9_]*$")


class ConfigError(ValueError):
    """A configuration file is missing, malformed, invalid, or holds a secret."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Which applications to train and evaluate on."""

    n_rows: int = Field(6_000, ge=500, le=200_000, description="applications to generate")
    n_months: int = Field(12, ge=2, le=60)
    seed: int = Field(7, ge=0)
    first_holdout_month: str = Field(
        "2024-10", pattern=r"^\d{4}-\d{2}$", description="first month held out for evaluation"
    )


class ModelConfig(_Section):
    """The estimator and its hyper-parameters."""

    kind: Literal["logistic", "gradient_boosting", "random_forest"] = "logistic"
    C: float = Field(1.0, gt=0, le=1_000, description="inverse regularisation strength (logistic only)")
    random_state: int = Field(42, ge=0)


class GateConfig(_Section):
    """The quality gate a candidate must pass before it is registered."""

    min_roc_auc: float = Field(0.70, ge=0.5, le=1.0, description="absolute floor")
    max_roc_auc_drop: float = Field(0.02, ge=0.0, le=0.5, description="largest allowed drop versus the champion")


class RegistryConfig(_Section):
    """Where the model goes once it passes the gate."""

    model_name: str = Field("module4-credit-model", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    alias: str = Field("champion", pattern=r"^[a-z][a-z0-9_-]*$")


class ServingConfig(_Section):
    """How the model is served; the API token comes from the environment only."""

    replicas: int = Field(1, ge=1, le=50)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    api_token_env: str = Field("CREDIT_API_TOKEN", description="name of the environment variable holding the token")
    require_token: bool = False
    api_token: SecretStr | None = Field(
        None, exclude=True, description="filled from the environment, never from a file"
    )

    @field_validator("api_token_env")
    @classmethod
    def _env_var_name(cls, value: str) -> str:
        if not _ENV_VAR.match(value):
            raise ValueError(f"must be an environment variable name in CAPITALS like CREDIT_API_TOKEN, got {value!r}")
        return value


class ProjectConfig(_Section):
    """The whole configuration of the credit project, for one environment."""

    environment: Literal["dev", "staging", "prod"]
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    gate: GateConfig = GateConfig()
    registry: RegistryConfig = RegistryConfig()
    serving: ServingConfig = ServingConfig()


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` recursively (override wins; neither input is changed)."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def find_secrets(mapping: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose name says "secret" (password, token, api_key, ...) and that hold a literal value."""
    found: list[str] = []
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found.extend(find_secrets(value, f"{dotted}."))
        elif _SECRET_KEY.search(str(key)) and not isinstance(value, bool) and value not in (None, ""):
            found.append(dotted)
    return found


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping; an empty file is an empty mapping."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path.name} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path.name} must hold a mapping of sections, got {type(loaded).__name__}")
    secrets = find_secrets(loaded)
    if secrets:
        raise ConfigError(
            f"{path.name} holds a secret value at {', '.join(secrets)}: never commit secrets. "
            "Put the name of an environment variable in '<name>_env' and set the variable in your CI's secret store."
        )
    return loaded


def _explain(error: ValidationError, source: str) -> str:
    lines = [f"invalid configuration ({source}):"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        got = item.get("input")
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"  - {where}: {item['msg']}{shown}")
    return "\n".join(lines)


def build_config(
    base: Mapping[str, Any], override: Mapping[str, Any], environment: str, environ: Mapping[str, str] | None = None
) -> ProjectConfig:
    """Validate ``base`` merged with ``override`` for ``environment`` and read secrets from ``environ``.

    Args:
        base: the base settings (sections ``data``, ``model``, ``gate``, ``registry``, ``serving``).
        override: the environment's settings, merged over ``base``.
        environment: one of :data:`ENVIRONMENTS`.
        environ: where secrets come from; defaults to ``os.environ``.

    Returns:
        The validated, frozen configuration.

    Raises:
        ConfigError: unknown environment, invalid values, or a required secret missing.
    """
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"environment must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    environ = os.environ if environ is None else environ
    merged = deep_merge(base, override)
    merged["environment"] = environment
    try:
        config = ProjectConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, f"base + {environment}")) from None
    token = environ.get(config.serving.api_token_env, "")
    if config.serving.require_token and not token:
        raise ConfigError(
            f"serving.require_token is true for {environment} but the environment variable "
            f"{config.serving.api_token_env} is not set; set it from your secret store (never in a file)"
        )
    serving = config.serving.model_copy(update={"api_token": SecretStr(token) if token else None})
    return config.model_copy(update={"serving": serving})


def load_config(config_dir: str | Path, environment: str, environ: Mapping[str, str] | None = None) -> ProjectConfig:
    """Load ``config_dir/base.yaml`` with ``config_dir/<environment>.yaml`` over it (see :func:`build_config`).

    A missing override file means "no overrides"; a missing base file is an error.
    """
    folder = Path(config_dir)
    base = read_yaml(folder / "base.yaml")
    override_path = folder / f"{environment}.yaml"
    override = read_yaml(override_path) if override_path.exists() else {}
    return build_config(base, override, environment, environ)


__all__ = [
    "ENVIRONMENTS",
    "ConfigError",
    "DataConfig",
    "GateConfig",
    "ModelConfig",
    "ProjectConfig",
    "RegistryConfig",
    "ServingConfig",
    "build_config",
    "deep_merge",
    "find_secrets",
    "load_config",
    "read_yaml",
]
