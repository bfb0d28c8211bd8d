"""Sign-in throttling per (client address, username), so that guessing cannot lock an operator out.

Each attempt at a username from an address counts against the `login_failures` rate limit (moving window,
`KEFU_LIMITS_LOGIN_FAILURES`, default 5 per 15 minutes; in Redis across workers); a successful sign-in
starts that count afresh. Over it, that address gets `429 too_many_attempts` with `Retry-After` for that
username, whatever the password, while the account itself is untouched: its operator signs in from any
other address. The count never looks at the accounts, so unknown usernames are throttled exactly like real
ones and the answer reveals nothing. The per-address limit on all sign-ins (`login_ip`) stays in front;
`KEFU_RATE_LIMITS=off` lifts both.
"""

from __future__ import annotations

import hashlib
import math

from server.infra.rate_limits import RateLimited, RateLimits
from server.operators.accounts import LoginError, normalize_username

KIND = "login_failures"


class TooManyAttempts(LoginError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"Too many failed sign-in attempts for this username from your address; try again in "
                         f"{minutes} minute{'s' if minutes != 1 else ''}.")
        self.retry_after = retry_after


def _key(ip: str, username: str) -> str:
    # Hashed: usernames are whatever a stranger typed, and keys end up in Redis.
    return hashlib.sha256(f"{ip}\n{normalize_username(username)}".encode()).hexdigest()[:32]


async def attempt(limits: RateLimits, ip: str, username: str) -> None:
    """Count one sign-in attempt; `TooManyAttempts` when this address has used up its attempts at `username`."""
    try:
        await limits.hit(KIND, _key(ip, username))
    except RateLimited as exc:
        raise TooManyAttempts(exc.retry_after) from exc


async def succeeded(limits: RateLimits, ip: str, username: str) -> None:
    """The right password: this address's count for `username` starts afresh."""
    await limits.reset(KIND, _key(ip, username))
