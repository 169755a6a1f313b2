"""Acceptance 2: a bounded schemathesis run against /openapi.json.

Every operation is called with generated requests (valid and invalid); no answer
may be a 5xx, and every answer must match the documented status codes, content
types, headers and schemas.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.conftest import (
    Key,
    Server,
    create_workflow,
    greeting_workflow,
    paint_workflow,
    wait_for_end,
)


@pytest.fixture(scope="module")
def fuzz_key(server: Server) -> Key:
    # Its own account: the run rotates its callback secret and deletes its workflows.
    return server.create_key("fuzz", tier="enterprise", credits=1000)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Examples per operation: schema-valid requests, and requests that break the schema.
GENERATION_MODES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}


@pytest.fixture(scope="module")
def real_ids(server: Server, fuzz_key: Key) -> dict[str, str]:
    """Ids of resources that exist, so generated requests also reach the happy paths."""
    with server.client(fuzz_key) as client:
        workflow_id = create_workflow(client, paint_workflow())
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        final = wait_for_end(client, execution_id)
        hooked = create_workflow(client, greeting_workflow())
        webhook_id = client.post(f"/api/v1/workflows/{hooked}/publish").json()["webhookId"]
    return {
        "workflow_id": workflow_id,
        "execution_id": execution_id,
        "artifact_id": final["outputs"]["poster"]["$artifact"]["id"],
        "webhook_id": webhook_id,
    }


def test_every_operation_conforms_to_the_schema(
    server: Server, fuzz_key: Key, real_ids: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    failures: list[str] = []
    statuses: set[int] = set()
    for operation, mode in itertools.product(operations, GENERATION_MODES):

        @given(case=operation.as_strategy(mode), use_real=st.booleans())
        @settings(
            max_examples=GENERATION_MODES[mode],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case, use_real: bool) -> None:
            if use_real and case.path_parameters:
                for name in case.path_parameters:
                    if name in real_ids:
                        case.path_parameters[name] = real_ids[name]
                if case.method == "DELETE" and case.path == "/api/v1/workflows/{workflow_id}":
                    with server.client(fuzz_key) as client:
                        case.path_parameters["workflow_id"] = create_workflow(
                            client, greeting_workflow()
                        )
            response = case.call_and_validate(headers=fuzz_key.headers, checks=CHECKS, timeout=30)
            statuses.add(response.status_code)

        try:
            call()
        except Unsatisfiable:
            # No invalid request exists for an operation without parameters.
            assert mode is GenerationMode.NEGATIVE
        except Exception as exc:  # collect every operation's failure, then report
            failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    # The run reached real resources, not only 404s.
    assert {200, 201, 404, 422} <= statuses
