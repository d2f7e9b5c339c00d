"""Rules for a resident PIN, checked before anything is sent (contract §4.7).

Pure functions: no database, no network.

- :func:`pin_errors` is ButterflyMX's own rule set and must agree with it (the sandbox implements the
  contract's rules; ``tests/tenants/test_pin_rules.py`` compares the two on 10,000 random PINs).
  ButterflyMX still accepts a 4-digit PIN: legacy PINs are grandfathered there.
- :func:`new_pin_errors` is the portal's policy for a PIN set through it: ButterflyMX's current rules,
  6 digits only. A resident who has a legacy 4-digit PIN keeps it (it is shown, not changed), but no
  new 4-digit PIN is set through the portal (``1234`` and ``1111`` would otherwise pass as "legacy").

The one rule neither can check is ``taken`` (another PIN of the building uses the code): ButterflyMX
answers it with a 422. Every refusal of a code is shown with the same words, :data:`REFUSED`, so the
form cannot tell a taken PIN (someone else's) from a weak one (see ``tenants.profile.pin_set``).
"""

from __future__ import annotations

import secrets

from django.utils.translation import gettext_lazy

# ButterflyMX's own codes and messages, so a local refusal reads like ButterflyMX's.
LOW_ENTROPY = ("low_entropy", "isn't strong enough, try a different value")
WRONG_LENGTH = ("wrong_length", "is the wrong length (should be 6 characters)")
LEGACY_ONLY = ("legacy_length", "4-digit PINs are kept where they exist, but new PINs have 6 digits")
PIN_LENGTH = 6
LEGACY_LENGTH = 4
# The one message for every refused code, whatever the reason (weak, wrong length, taken).
REFUSED = gettext_lazy(
    "Choose a different PIN: 6 digits, not a sequence (123456) or a repeated pattern (111111, 121212)."
)


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
    if not (code.isascii() and code.isdigit()):  # "²" is a Unicode digit, not a keypad one
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


def new_pin_errors(code: str) -> list[tuple[str, str]]:
    """``[(code, message), ...]`` for a PIN to be set through the portal: 6 digits, and strong."""
    if len(code) == LEGACY_LENGTH and code.isdigit():
        return [LEGACY_ONLY]
    return pin_errors(code)


def is_legacy(code: str | None) -> bool:
    """A grandfathered 4-digit PIN (kept as it is; residents type it after their unit label)."""
    return bool(code) and len(code) == LEGACY_LENGTH and code.isdigit()


def generate_pin() -> str:
    """A random 6-digit PIN that passes every rule above (from the OS's CSPRNG)."""
    while True:
        code = f"{secrets.randbelow(10**PIN_LENGTH):06d}"
        if not is_weak(code):
            return code
