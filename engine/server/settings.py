"""Server configuration: tiers, limits and callback policy, read from TOML.

The defaults ship in ``engine/server/defaults.toml``; ``patchbay serve --config FILE``
merges a user file over them table by table, so an operator changes only what they
name. Everything here is a frozen model: the server reads it, never mutates it.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import PatchbayError

#: The SQLite database's file name inside the data directory.
DATABASE_FILE = "server.sqlite3"


class ConfigError(PatchbayError):
    """A configuration file that cannot be read or does not fit the schema."""


class Tier(StrEnum):
    """An account's plan; its limits come from the configuration."""

    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TierLimits(_Frozen):
    """Limits of one tier. ``executions_per_day=None`` means unlimited."""

    executions_per_day: int | None = Field(default=None)
    requests_per_minute: int = Field(default=60, ge=1)

    @property
    def unlimited_executions(self) -> bool:
        """Whether this tier may start any number of executions a day."""
        return self.executions_per_day is None or self.executions_per_day < 0


class AnonymousLimits(_Frozen):
    """Limits of requests that carry no valid key (per client IP)."""

    requests_per_minute: int = Field(default=120, ge=1)


class Limits(_Frozen):
    """Request, payload and concurrency limits."""

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_webhook_body_bytes: int = Field(default=262_144, ge=1024)
    max_webhook_multipart_bytes: int = Field(default=10_485_760, ge=1024)
    max_webhook_files: int = Field(default=8, ge=0)
    max_webhook_fields: int = Field(default=100, ge=1)
    max_concurrent_runs: int = Field(default=16, ge=1)
    max_queued_runs: int = Field(default=10_000, ge=0)
    max_node_concurrency: int = Field(default=8, ge=1)
    node_timeout_s: float = Field(default=900.0, gt=0)
    idempotency_ttl_s: int = Field(default=86_400, ge=1)
    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=200, ge=1)


class CallbackPolicy(_Frozen):
    """Where ``callbackUrl`` may point, and how delivery is retried.

    ``allowed_hosts`` empty: any public host; otherwise only those hosts (names or
    literal addresses). Loopback and private addresses are refused unless
    ``allow_loopback`` / ``allow_private`` is set (a listed host is still checked).
    """

    allowed_hosts: tuple[str, ...] = ()
    allow_loopback: bool = False
    allow_private: bool = False
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    initial_backoff_s: float = Field(default=1.0, ge=0)
    max_backoff_s: float = Field(default=60.0, ge=0)


class ServerSection(_Frozen):
    """How the server names itself in URLs it hands out."""

    public_url: str = ""


class TestingHooks(_Frozen):
    """Knobs only the test suite turns."""

    accept_delay_s: float = Field(default=0.0, ge=0, le=30)


class ServerConfig(_Frozen):
    """The whole configuration file."""

    tiers: dict[Tier, TierLimits]
    anonymous: AnonymousLimits = Field(default_factory=AnonymousLimits)
    limits: Limits = Field(default_factory=Limits)
    callbacks: CallbackPolicy = Field(default_factory=CallbackPolicy)
    server: ServerSection = Field(default_factory=ServerSection)
    testing: TestingHooks = Field(default_factory=TestingHooks)

    def tier(self, tier: Tier) -> TierLimits:
        """The limits of ``tier`` (a tier missing from the file gets the defaults)."""
        return self.tiers.get(tier, TierLimits())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def default_config_text() -> str:
    """The shipped ``defaults.toml``."""
    return resources.files("engine.server").joinpath("defaults.toml").read_text("utf-8")


def load_config(path: str | Path | None = None) -> ServerConfig:
    """The defaults, with the TOML file at ``path`` merged over them."""
    data = tomllib.loads(default_config_text())
    if path is not None:
        try:
            user = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        data = _merge(data, user)
    try:
        return ServerConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc


class ServerSettings(_Frozen):
    """What one server process runs with: its data directory and configuration.

    ``extra_nodes`` names ``module:function`` callables that receive the server's
    :class:`~engine.catalog.Catalog` and register more node types (plugins, and the
    test suite's priced and slow nodes). The CLI also reads them from the
    ``PATCHBAY_EXTRA_NODES`` environment variable (comma-separated).
    """

    data_dir: Path
    config: ServerConfig = Field(default_factory=load_config)
    extra_nodes: tuple[str, ...] = ()

    @property
    def database_path(self) -> Path:
        """The SQLite database file."""
        return self.data_dir / DATABASE_FILE

    @property
    def artifacts_dir(self) -> Path:
        """Where run outputs and uploaded inputs are stored (by content hash)."""
        return self.data_dir / "artifacts"

    @property
    def runs_dir(self) -> Path:
        """Scratch space of runs (files nodes write for the user)."""
        return self.data_dir / "runs"
