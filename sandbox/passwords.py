"""Password hashes for seeded users: PBKDF2 with few iterations, because a reset re-seeds many users per
test and these are throwaway sandbox passwords. Uses Django's hasher format so ``check_password`` works."""

from functools import cache

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class SandboxPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000


@cache
def hash_password(raw: str) -> str:
    return SandboxPBKDF2PasswordHasher().encode(raw, "sandboxsalt")
