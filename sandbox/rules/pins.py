"""PIN rules (§4.7): resident PINs (6 digits, or 4-digit legacy) and virtual-key PINs (exactly 6).

"Some additional rules apply" is all ButterflyMX says; the PROPOSED set of the contract is implemented.
"""

import random
import secrets

from sandbox.models import AccessTool, VirtualKey

LOW_ENTROPY = ("code", "low_entropy", "isn't strong enough, try a different value")
WRONG_LENGTH = ("code", "wrong_length", "is the wrong length (should be 6 characters)")
TAKEN = ("code", "taken", "has already been taken")


def _is_run(code: str) -> bool:
    """Strictly ascending or descending by one, with wrap-around (``890123``, ``321098``)."""
    digits = [int(c) for c in code]
    steps = {(b - a) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({1}, {9})


def _is_repeated_block(code: str) -> bool:
    return any(
        len(code) % size == 0 and code == code[:size] * (len(code) // size) for size in (1, 2, 3) if size < len(code)
    )


def is_weak(code: str) -> bool:
    """True for sequences, repeated digits or blocks, or two distinct digits or fewer."""
    if not code.isdigit():
        return True
    return _is_run(code) or _is_repeated_block(code) or len(set(code)) <= 2


def in_use(code: str, building_id: int, exclude_tool: int | None = None, exclude_key: int | None = None) -> bool:
    """Another active resident PIN or virtual-key PIN of the same building already uses this code."""
    tools = AccessTool.objects.filter(building_id=building_id, type="pin", code=code)
    keys = VirtualKey.objects.filter(building_id=building_id, pin_code=code)
    if exclude_tool:
        tools = tools.exclude(id=exclude_tool)
    if exclude_key:
        keys = keys.exclude(id=exclude_key)
    return tools.exists() or keys.exists()


def resident_pin_errors(code: str, building_id: int, exclude_tool: int | None = None) -> list[tuple]:
    """Errors for a resident PIN: 4-digit legacy PINs skip the strength rules (CONFIRMED-DOC)."""
    if len(code) == 4 and code.isdigit():
        return [TAKEN] if in_use(code, building_id, exclude_tool=exclude_tool) else []
    errors = []
    if is_weak(code):
        errors.append(LOW_ENTROPY)
    if len(code) != 6:
        errors.append(WRONG_LENGTH)
    if not errors and in_use(code, building_id, exclude_tool=exclude_tool):
        errors.append(TAKEN)
    return errors


def virtual_key_pin_errors(code: str, building_id: int) -> list[tuple]:
    """Errors for a visitor PIN: ``"1234"`` gives ``low_entropy`` and ``wrong_length`` (CONFIRMED-DOC)."""
    errors = []
    if len(code) != 6 or is_weak(code):
        errors.append(LOW_ENTROPY)
    if len(code) != 6:
        errors.append(WRONG_LENGTH)
    if not errors and in_use(code, building_id):
        errors.append(TAKEN)
    return errors


def generate(building_id: int, rng: random.Random | None = None) -> str:
    """A random 6-digit PIN that passes every rule."""
    pick = rng.randrange if rng else secrets.randbelow
    while True:
        code = f"{(pick(1000000) if rng else pick(1000000)):06d}"
        if not is_weak(code) and not in_use(code, building_id):
            return code
