"""Protocol doubles: small HTTP servers on 127.0.0.1 speaking each provider's protocol.

:mod:`.server` is the reusable base (routing, request recording, scripted
failures, file serving); one module per provider implements its documented
endpoints, auth header and response shapes.
"""

from __future__ import annotations

from tests.engine.providers.doubles.fal import FalDouble
from tests.engine.providers.doubles.replicate import ReplicateDouble
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

__all__ = ["DoubleServer", "FalDouble", "Recorded", "ReplicateDouble", "Reply"]
