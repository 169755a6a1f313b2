"""The one implementation behind every hosted model node.

``make_hosted_node(spec)`` returns the async callable the catalog registers for a
hosted :class:`~engine.catalog.spec.NodeSpec`. At run time it:

1. in preview mode (``ctx.preview``) returns :func:`engine.preview.preview_outputs`
   — offline, no key, nothing charged;
2. otherwise looks up the key by the adapter's credential reference (or
   ``provider_options["credential"]``) with :func:`engine.credentials.lookup_credential`
   — environment variable, then OS keyring; never from the workflow file;
3. runs the provider adapter (:mod:`engine.providers.registry`) and returns its
   outputs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.catalog.spec import NodeSpec
from engine.credentials import lookup_credential
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext, NodeImplementation, Outputs
from engine.providers.base import ProviderCall
from engine.providers.http import PollPolicy
from engine.providers.registry import UnknownProviderError, get_provider_class

__all__ = ["make_hosted_node", "missing_key_message"]


def missing_key_message(provider: str, reference: str) -> str:
    """What a user reads when a hosted node has no key."""
    return (
        f"No API key for {provider}: set the {reference} environment variable or store it in "
        f"the OS keyring (python -m keyring set patchbay {reference}), or run in preview mode"
    )


def make_hosted_node(spec: NodeSpec, *, poll: PollPolicy | None = None) -> NodeImplementation:
    """The implementation of the hosted node ``spec`` (see the module docstring).

    ``poll`` overrides the adapter's status-poll backoff (tests use a fast one).
    """

    async def run_hosted_node(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
        params = dict(ctx.params)
        if ctx.preview:
            from engine.preview import preview_outputs  # written alongside; imported late

            previewed: Outputs = await preview_outputs(spec, params, inputs, ctx)
            return previewed
        try:
            provider_class = get_provider_class(spec.provider)
        except UnknownProviderError as exc:
            raise PermanentNodeError(str(exc), details={"code": "unknown_provider"}) from None
        override = spec.provider_options.get("credential")
        reference = override if isinstance(override, str) and override else None
        reference = reference or provider_class.credential
        api_key = await asyncio.to_thread(lookup_credential, reference) if reference else None
        if api_key is None and reference and provider_class.key_required:
            raise PermanentNodeError(
                missing_key_message(provider_class.label or spec.provider, reference),
                details={
                    "code": "missing_credential",
                    "provider": spec.provider,
                    "credential": reference,
                },
            )
        async with provider_class(api_key=api_key, poll=poll) as provider:
            return await provider.run(ProviderCall(spec, params, inputs, ctx))

    run_hosted_node.__qualname__ = run_hosted_node.__name__ = f"hosted[{spec.type}]"
    return run_hosted_node
