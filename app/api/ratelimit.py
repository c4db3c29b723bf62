"""The API's rate-limit counts, taken from Redis in small leases by a client that calls fast (limits' Redis storage,
Flask-Limiter's fixed window).

Every API call counted its hit with one Redis round trip (a Lua INCRBY): without it the API served 28 % more calls a
second under bench/load.py. A hit's count is its position in the window's shared order, and the hit is allowed when
that position is within the limit. Here a process that receives many calls of one client takes several positions at
once (INCRBY n) and hands them out itself, in order, one per call:

* Each position still goes to one call only, so across all processes no more calls than the limit are ever allowed.
* Positions a process took but did not hand out before the window ended are lost: such a client may be refused up
  to n − 1 calls early per web process. n starts at 1 — a client this process has not seen calling fast is counted
  exactly as before. It doubles while the client calls this process at least FAST_CALLS_PER_SECOND (a lease of n
  used up within n / FAST_CALLS_PER_SECOND seconds) and halves when it calls slower, up to 1/100 of the limit (at
  most MAX_LEASE). For the 600 a minute per token, that is 6 per lease, at most 5 calls early per process.
* A lease ends with its window (the counter's TTL, read with it): a position is never handed out in the next one.

Storage URI: redis+leased://… (and rediss+leased://, redis+unix+leased://), else as limits' own Redis storage.
"""
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from limits.storage import RedisStorage

FAST_CALLS_PER_SECOND = 20  # a client calling one process this fast gets leases
MAX_LEASE = 16
MAX_KEYS = 10_000  # leases kept per process (least recently used out first)

# as limits' incr_expire.lua, which starts the window on the first hit, but also returns the window's time left
LEASE_SCRIPT = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("pttl", KEYS[1])}
"""


def leased_uri(redis_url: str | None) -> str | None:
    """The storage URI for a REDIS_URL (redis://, rediss://, unix://), or None without one."""
    if not redis_url:
        return None
    scheme, sep, rest = redis_url.partition("://")
    scheme = {"unix": "redis+unix"}.get(scheme, scheme)
    return f"{scheme}+leased{sep}{rest}"


@dataclass
class Lease:
    next: int  # the next position to hand out
    last: int  # the last position taken
    until: float  # monotonic time the window ends
    size: int
    taken: float  # monotonic time it was taken


def limit_of(key: str) -> int | None:
    """The limit's amount, from limits' key (…/<amount>/<multiples>/<granularity>); None if it is not there."""
    try:
        return int(key.rsplit("/", 3)[1])
    except (IndexError, ValueError):
        return None


class LeasedRedisStorage(RedisStorage):
    STORAGE_SCHEME = ["redis+leased", "rediss+leased", "redis+unix+leased"]

    def __init__(self, uri: str, **options):
        super().__init__(uri.replace("+leased", "", 1), **options)
        self._leases: OrderedDict[str, Lease] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share a process
        self.lua_lease = self.get_connection().register_script(LEASE_SCRIPT)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        if amount != 1:  # a call that costs more than one: counted directly
            return super().incr(key, expiry, amount)
        now = time.monotonic()
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.next <= lease.last and now < lease.until:
                lease.next += 1
                self._leases.move_to_end(key)
                return lease.next - 1
            size = self._next_size(key, lease, now)
        current, ttl_ms = self.lua_lease([self.prefixed_key(key)], [expiry, size])
        current, first = int(current), int(current) - size + 1
        with self._lock:
            # a window without a TTL (not one this storage started) gets no lease: every hit counted in Redis
            until = now + int(ttl_ms) / 1000 if int(ttl_ms) > 0 else now
            self._leases[key] = Lease(next=first + 1, last=current, until=until, size=size, taken=now)
            self._leases.move_to_end(key)
            while len(self._leases) > MAX_KEYS:
                self._leases.popitem(last=False)
        return first

    @staticmethod
    def _next_size(key: str, lease: Lease | None, now: float) -> int:
        limit = limit_of(key)
        cap = max(1, min(MAX_LEASE, (limit or 0) // 100))
        if lease is None or now >= lease.until:
            return 1
        if now - lease.taken <= lease.size / FAST_CALLS_PER_SECOND:
            return min(cap, lease.size * 2)
        return max(1, lease.size // 2)

    def clear(self, key: str) -> None:
        with self._lock:
            self._leases.pop(key, None)
        super().clear(key)

    def reset(self) -> int | None:
        with self._lock:
            self._leases.clear()
        return super().reset()
