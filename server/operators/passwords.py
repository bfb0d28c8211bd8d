"""Password hashing for operator accounts: argon2id through `argon2-cffi`.

The hasher's parameters are the library's defaults (RFC 9106 low-memory profile); stored hashes carry
their own parameters, so raising them later only needs `needs_rehash` at the next login.
"""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one login request can cause


class WeakPassword(ValueError):
    """A new password that does not meet the policy; the message is fit to show."""


def check_policy(password: str, *, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    if username and password.casefold() == username.casefold():
        raise WeakPassword("the password must differ from the username")


class Passwords:
    """Hash and verify; `verify` is constant-time in the password and never raises on a bad hash."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    @cached_property
    def dummy_hash(self) -> str:
        """A hash to verify against when the username is unknown, so both cases cost the same time."""
        return self._hasher.hash("kefu-no-such-operator")
