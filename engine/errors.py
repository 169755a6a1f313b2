"""The engine's exception hierarchy.

User mistakes (an invalid workflow, a bad input value) are reported as data
(:class:`engine.validation.Violation` records); exceptions are for conditions the
caller must handle::

    PatchbayError
    ├── WorkflowFileError        a file that cannot be read or parsed as a workflow
    ├── InvalidWorkflowError     a workflow with violations (carries them)
    ├── InputError               a run input that does not fit the workflow
    ├── UnknownNodeTypeError     a catalog lookup for a type that is not registered
    ├── BudgetExceededError      the credit estimate exceeds the budget (per-node breakdown)
    ├── ArtifactNotFoundError    an artifact id with no stored file
    ├── CredentialStoreError     no OS keyring backend could store a secret
    ├── NodeError                raised by a node implementation while it runs
    │   ├── TransientNodeError   worth retrying (rate limits, 5xx, timeouts)
    │   └── PermanentNodeError   retrying will not help (bad parameters, refusals)
    └── ClientError              talking to a Patchbay server (engine.client.errors)
        ├── ServerUnreachable    connection refused / DNS / timeout, after retries
        │   └── StreamInterrupted  an event stream broke mid-way
        ├── ProtocolError        an answer that is not the API's
        └── ApiError             an error answer: status, type, code, message, request_id
            ├── AuthenticationFailed  401
            ├── InsufficientCredits   402 (required, available, breakdown)
            ├── NotFoundError         404, 410
            ├── ConflictError         409
            ├── InvalidRequest        400/405/413/415/422 (violations, problems)
            ├── RateLimited           429 (retry_after, limit)
            └── ServerError           5xx
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.credits import CreditEstimate
    from engine.validation import Violation


class PatchbayError(Exception):
    """Base class of every error the engine raises on purpose."""


class WorkflowFileError(PatchbayError):
    """A workflow file could not be read or is not a workflow document."""


class InvalidWorkflowError(PatchbayError):
    """A workflow failed validation; ``violations`` lists every problem."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        summary = "; ".join(v.message for v in self.violations[:3])
        more = f" (+{len(self.violations) - 3} more)" if len(self.violations) > 3 else ""
        super().__init__(f"invalid workflow: {summary}{more}")


class InputError(PatchbayError):
    """A run input is unknown or has a value of the wrong type."""


class UnknownNodeTypeError(PatchbayError, KeyError):
    """No node type with this id is registered in the catalog."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown node type"


class BudgetExceededError(PatchbayError):
    """The estimated credits of a run exceed the available budget."""

    def __init__(self, estimate: CreditEstimate, available: float) -> None:
        self.estimate = estimate
        self.available = available
        super().__init__(
            f"this run needs {estimate.total:g} credits but only {available:g} are available"
        )


class ArtifactNotFoundError(PatchbayError):
    """An artifact id does not resolve to a stored file."""


class CredentialStoreError(PatchbayError):
    """A secret could not be stored: no usable OS keyring backend (the message says why)."""


class NodeError(PatchbayError):
    """Raised by a node implementation; the node is marked FAILED unless retried."""

    transient: bool = False

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})


class TransientNodeError(NodeError):
    """A failure that may succeed when retried (429, 5xx, timeouts).

    ``retry_after`` (seconds), when known, overrides the backoff delay.
    """

    transient = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class PermanentNodeError(NodeError):
    """A failure that retrying cannot fix (bad parameters, refusal, missing file)."""
