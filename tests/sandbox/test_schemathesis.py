"""schemathesis with ButterflyMX's published document against the running sandbox: no 5xx, ever.

Every operation of ``sandbox/contract/butterflymx-openapi.json`` is called with generated input, valid
(positive) and invalid (negative), as the building admin of the demo portfolio, over real HTTP. Whatever
comes in, the sandbox answers it, refuses it (401/404/405/400/422) or fails a business rule; it never
answers 5xx. Bounded: a few examples per operation and mode, well under a minute.

The generated requests are sent with ``X-Sandbox-Expect-Refusal: 1``: refusing invalid input is the point.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.plugins.sandbox import EXPECT_REFUSAL_HEADER

DOCUMENT = Path(__file__).resolve().parents[2] / "sandbox" / "contract" / "butterflymx-openapi.json"
EXAMPLES = 8  # per operation and mode

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_generated_requests_never_get_a_server_error(sandbox, mode):
    # Given the published document and a building admin's token
    schema = schemathesis.openapi.from_path(DOCUMENT)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 57
    token = sandbox.password_token("admin@sandbox.test")
    headers = {"Authorization": f"Bearer {token}", EXPECT_REFUSAL_HEADER: "1"}
    server_errors: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case):
            # When the operation is called with generated input
            response = case.call(base_url=sandbox.url, headers=headers, timeout=30)
            # Then the sandbox never answers 5xx
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.method} {case.formatted_path} query={case.query} body={case.body!r:.300}"
                    f" -> {response.status_code} {response.text[:300]}"
                )

        call()

    assert not server_errors, "\n".join(server_errors[:20])
