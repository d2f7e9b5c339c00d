"""ButterflyMX's rules for a resident PIN, checked before anything is sent (contract §4.7).

A pure function: no database, no network. It must agree with ButterflyMX (the sandbox implements the
contract's rule set; ``tests/tenants/test_pin_rules.py`` compares the two on 10,000 random PINs). The
one rule it cannot check is ``taken`` (another PIN of the building uses the code): ButterflyMX answers
that with a 422, which the PIN form shows as a field error.
"""

from __future__ import annotations

import secrets

# ButterflyMX's own codes and messages, so a local refusal reads like ButterflyMX's.
LOW_ENTROPY = ("low_entropy", "isn't strong enough, try a different value")
WRONG_LENGTH = ("wrong_length", "is the wrong length (should be 6 characters)")
PIN_LENGTH = 6
LEGACY_LENGTH = 4


def _is_run(code: str) -> bool:
    """Ascending or descending by one, wrapping 9 -> 0 (``123456``, ``890123``, ``654321``)."""
    digits = [int(c) for c in code]
    steps = {(b - a) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({1}, {9})


def _is_repeated_block(code: str) -> bool:
    """One digit, or a block of two or three digits, repeated (``111111``, ``121212``, ``123123``)."""
    return any(
        len(code) % size == 0 and code == code[:size] * (len(code) // size) for size in (1, 2, 3) if size < len(code)
    )


def is_weak(code: str) -> bool:
    """Sequences, repeated digits or blocks, or two distinct digits or fewer ("additional rules")."""
    if not code.isdigit():
        return True
    return _is_run(code) or _is_repeated_block(code) or len(set(code)) <= 2


def pin_errors(code: str) -> list[tuple[str, str]]:
    """``[(code, message), ...]`` for a resident PIN; empty when ButterflyMX should accept it.

    A 4-digit PIN is a grandfathered legacy PIN: accepted as it is (residents enter it with their unit).
    """
    if len(code) == LEGACY_LENGTH and code.isdigit():
        return []
    errors = []
    if is_weak(code):
        errors.append(LOW_ENTROPY)
    if len(code) != PIN_LENGTH:
        errors.append(WRONG_LENGTH)
    return errors


def generate_pin() -> str:
    """A random 6-digit PIN that passes every rule above (from the OS's CSPRNG)."""
    while True:
        code = f"{secrets.randbelow(10**PIN_LENGTH):06d}"
        if not is_weak(code):
            return code
