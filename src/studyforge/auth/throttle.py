"""Throttling of sign-in: per account and address, and per address across accounts.

After `max_failures` wrong passwords for one username from one address, that pair is locked
for `lockout_seconds`, doubling with each further failure up to `max_lockout_seconds`; an
address with `max_address_failures` failures over any usernames is locked the same way. A
locked attempt is refused (429 `TOO_MANY_ATTEMPTS` with `Retry-After`) before the password is
looked at. The per-account lock keys on the address too, so an attacker can lock out only
their own addresses, never the real user signing in from elsewhere. Failures are forgotten
`window_seconds` after the last one (and a correct password clears its account's count).

The counts live in this process's memory, in tables bounded to `max_entries` keys each (the
least recently failed are dropped first), which suits the embedded single-process mode.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from studyforge.auth.models import User
from studyforge.auth.service import authenticate
from studyforge.config import Settings
from studyforge.errors import AppError, Unauthorized


class TooManyAttempts(AppError):
    """Too many failed sign-ins from this address (for this account or overall)."""

    status = 429
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"Too many failed sign-in attempts. Please wait {_wait_text(self.retry_after)} "
            "and try again.",
            headers={"Retry-After": str(self.retry_after)},
        )


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class _Counter:
    """Failures per key with a lockout after `limit`; bounded, least recently failed go first."""

    def __init__(self, limit: int, policy: ThrottlePolicy) -> None:
        self.limit, self.policy = limit, policy
        self._entries: OrderedDict[tuple[str, ...], _Failures] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def retry_after(self, key: tuple[str, ...], now: float) -> float:
        """Seconds until `key` may try again (0 when it is not locked)."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        if self._expired(entry, now):
            del self._entries[key]
            return 0.0
        return max(0.0, entry.locked_until - now)

    def fail(self, key: tuple[str, ...], now: float) -> None:
        """Count one failure; lock the key once it reaches the limit."""
        entry = self._entries.pop(key, None)
        if entry is None or self._expired(entry, now):
            entry = _Failures()
        entry.count += 1
        entry.last = now
        if entry.count >= self.limit:
            doublings = min(entry.count - self.limit, 32)
            lockout = min(self.policy.lockout_seconds * 2**doublings, self.policy.max_lockout)
            entry.locked_until = now + lockout
        self._entries[key] = entry  # the most recent failure goes to the end
        while len(self._entries) > self.policy.max_entries:
            self._entries.popitem(last=False)

    def reset(self, key: tuple[str, ...]) -> None:
        """Forget the failures of `key`."""
        self._entries.pop(key, None)

    def _expired(self, entry: _Failures, now: float) -> bool:
        return now >= entry.locked_until and now - entry.last >= self.policy.window_seconds


@dataclass(frozen=True)
class ThrottlePolicy:
    """The limits of `SignInThrottle` (from Settings in the app)."""

    max_failures: int = 5
    max_address_failures: int = 50
    lockout_seconds: float = 30.0
    max_lockout: float = 900.0
    window_seconds: float = 900.0
    max_entries: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        """The policy the settings describe."""
        return cls(
            max_failures=settings.signin_max_failures,
            max_address_failures=settings.signin_max_address_failures,
            lockout_seconds=settings.signin_lockout_seconds,
            max_lockout=settings.signin_max_lockout_seconds,
            window_seconds=settings.signin_window_seconds,
        )


class SignInThrottle:
    """Counts failed sign-ins per (username, address) and per address; refuses locked ones."""

    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy, self.clock = policy, clock
        self._accounts = _Counter(policy.max_failures, policy)
        self._addresses = _Counter(policy.max_address_failures, policy)
        self._lock = threading.Lock()

    def size(self) -> int:
        """How many keys are remembered (both tables)."""
        return len(self._accounts) + len(self._addresses)

    def check(self, username: str, address: str) -> None:
        """Raise TooManyAttempts if this username from this address may not try now."""
        now = self.clock()
        with self._lock:
            wait = max(
                self._accounts.retry_after((username, address), now),
                self._addresses.retry_after((address,), now),
            )
        if wait > 0:
            raise TooManyAttempts(wait)

    def failed(self, username: str, address: str) -> None:
        """Record a wrong password (or unknown username) from `address`."""
        now = self.clock()
        with self._lock:
            self._accounts.fail((username, address), now)
            self._addresses.fail((address,), now)

    def succeeded(self, username: str, address: str) -> None:
        """A correct password clears the account's count from this address (not the address's)."""
        with self._lock:
            self._accounts.reset((username, address))


def sign_in(
    session: Session, throttle: SignInThrottle, username: str, password: str, address: str
) -> User:
    """The user for valid credentials; raises TooManyAttempts (429) or Unauthorized (401)."""
    throttle.check(username, address)
    try:
        user = authenticate(session, username, password)
    except Unauthorized:
        throttle.failed(username, address)
        raise
    throttle.succeeded(username, address)
    return user


def request_sign_in(request: Request, session: Session, username: str, password: str) -> User:
    """`sign_in` with the app's throttle and the caller's address."""
    throttle: SignInThrottle = request.app.state.signin_throttle
    address = request.client.host if request.client else "unknown"
    return sign_in(session, throttle, username, password, address)
