"""The portal's PIN check agrees with ButterflyMX's rules (the sandbox's) on 10,000 random PINs."""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants.pin_rules import generate_pin, is_legacy, new_pin_errors, pin_errors

DIGITS = "0123456789"
# Mostly 4 to 7 digits (the interesting lengths), some weak-looking shapes, some non-digits.
pins = st.one_of(
    st.text(DIGITS, min_size=4, max_size=7),
    st.text(DIGITS, min_size=6, max_size=6),
    st.builds(lambda d, n: d * n, st.sampled_from(DIGITS), st.integers(1, 8)),
    st.builds(lambda start, n: "".join(str((start + i) % 10) for i in range(n)), st.integers(0, 9), st.integers(3, 7)),
    st.builds(lambda block, n: block * n, st.text(DIGITS, min_size=2, max_size=3), st.integers(2, 3)),
    st.text("0123456789ab ", min_size=0, max_size=8),
)
BATCH = 500
BATCHES = 20  # 20 x 500 = 10,000 PINs, in 20 round trips


def sandbox_verdicts(url: str, codes: list[str]) -> dict[str, list[str]]:
    answer = requests.post(f"{url}/_sandbox/pin_rules", json={"codes": codes}, timeout=60)
    answer.raise_for_status()
    return answer.json()["results"]


def test_the_pin_check_agrees_with_butterflymx_on_10000_random_pins(sandbox_server):
    checked = []

    @settings(max_examples=BATCHES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
    @given(st.lists(pins, min_size=BATCH, max_size=BATCH))
    def agree(codes):
        theirs = sandbox_verdicts(sandbox_server.url, codes)
        mismatches = {c: (sorted(e for e, _ in pin_errors(c)), sorted(theirs[c])) for c in codes}
        mismatches = {c: pair for c, pair in mismatches.items() if pair[0] != pair[1]}
        assert mismatches == {}
        checked.extend(codes)

    agree()

    assert len(checked) >= 10_000


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("123456", ["low_entropy"]),
        ("654321", ["low_entropy"]),
        ("890123", ["low_entropy"]),
        ("111111", ["low_entropy"]),
        ("121212", ["low_entropy"]),
        ("123123", ["low_entropy"]),
        ("12345", ["low_entropy", "wrong_length"]),
        ("1234", []),  # a grandfathered 4-digit PIN is accepted as it is
        ("4821", []),
        ("502718", []),
        ("50271a", ["low_entropy", "wrong_length"][:1]),
    ],
)
def test_the_documented_examples(code, expected):
    assert [c for c, _ in pin_errors(code)] == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1111", ["legacy_length"]),  # ButterflyMX would take it as a "legacy" PIN; the portal sets none
        ("1234", ["legacy_length"]),
        ("4821", ["legacy_length"]),
        ("123456", ["low_entropy"]),
        ("111111", ["low_entropy"]),
        ("12345", ["low_entropy", "wrong_length"]),
        ("502718", []),
    ],
)
def test_a_new_pin_set_through_the_portal_has_six_strong_digits(code, expected):
    assert [c for c, _ in new_pin_errors(code)] == expected


def test_a_four_digit_pin_a_resident_has_is_recognised_as_legacy():
    assert is_legacy("4821") and not is_legacy("482193") and not is_legacy("") and not is_legacy(None)


def test_a_generated_pin_passes_every_rule():
    assert all(pin_errors(generate_pin()) == [] == new_pin_errors(generate_pin()) for _ in range(200))
