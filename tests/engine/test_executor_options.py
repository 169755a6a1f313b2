"""Run options and the retry policy."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.executor import RetryPolicy, RunOptions, RunScope


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_delay_s=0.5, multiplier=2, max_delay_s=3, jitter=0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_spreads_delays_within_bounds() -> None:
    policy = RetryPolicy(initial_delay_s=1, multiplier=2, max_delay_s=10, jitter=0.25)
    delays = {policy.delay(2) for _ in range(50)}
    assert len(delays) > 1
    assert all(1.5 <= d <= 2.5 for d in delays)


def test_retry_after_is_honoured() -> None:
    assert RetryPolicy(jitter=0.5).delay(1, retry_after=7.0) == 7.0
    assert RetryPolicy().delay(1, retry_after=-1) == 0.0


def test_partial_scopes_need_a_target() -> None:
    with pytest.raises(ValidationError, match="needs a target_node_id"):
        RunOptions(scope=RunScope.ONLY_NODE)
    assert RunOptions(scope=RunScope.FROM_NODE, target_node_id="n").target_node_id == "n"


def test_options_are_frozen_and_validated() -> None:
    options = RunOptions()
    with pytest.raises(ValidationError):
        options.use_cache = False  # type: ignore[misc]
    with pytest.raises(ValidationError):
        RunOptions(max_concurrency=0)
    with pytest.raises(ValidationError):
        RunOptions(budget=-1)
    assert options.execution_id is None and options.node_timeout_s == 900
