"""API rate-limit counts taken in leases (app/api/ratelimit.py), on the real Redis: never more calls allowed than the
limit across processes, a client calling slowly counted exactly, a fast one with few round trips."""
import time

import pytest
from flask import Flask
from flask_limiter import Limiter
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.api import ratelimit
from app.api.ratelimit import LeasedRedisStorage, leased_uri
from tests.conftest import redis_or_skip

URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_client():
    client = redis_or_skip(URL)
    client.flushdb()
    yield client
    client.flushdb()


def _process():
    """One web process's storage (its own leases) and limiter."""
    storage = storage_from_string(leased_uri(URL), key_prefix="lease-test")
    assert isinstance(storage, LeasedRedisStorage)
    return storage, FixedWindowRateLimiter(storage)


def _count_round_trips(storage):
    calls = []
    script = storage.lua_lease

    def counted(keys, args):
        calls.append(args)
        return script(keys, args)

    storage.lua_lease = counted
    return calls


def test_the_uri_follows_redis_url():
    assert leased_uri("redis://127.0.0.1:6379/0") == "redis+leased://127.0.0.1:6379/0"
    assert leased_uri("rediss://h:6380/1") == "rediss+leased://h:6380/1"
    assert leased_uri("unix:///run/redis.sock") == "redis+unix+leased:///run/redis.sock"
    assert leased_uri(None) is None and leased_uri("") is None


def test_never_more_allowed_than_the_limit_across_processes(redis_client):
    limit = parse("600 per minute")  # leases of up to 6
    processes = [_process() for _ in range(4)]
    allowed = 0
    for _round in range(100):  # bursts of eight calls to each process in turn
        for _, limiter in processes:
            allowed += sum(limiter.hit(limit, "token-a") for _ in range(8))
    assert allowed <= 600
    assert allowed >= 600 - 4 * 5  # at most lease - 1 positions lost per process
    key = limit.key_for("token-a")
    assert int(redis_client.get(f"lease-test:{key}")) >= 800  # every call took a position, refused ones too


def test_a_slow_client_is_counted_exactly(redis_client):
    limit = parse("600 per minute")
    storage, limiter = _process()
    round_trips = _count_round_trips(storage)
    key = f"lease-test:{limit.key_for('token-slow')}"
    for n in range(1, 5):
        assert limiter.hit(limit, "token-slow")
        assert int(redis_client.get(key)) == n  # no position taken ahead
        time.sleep(1.2 / ratelimit.FAST_CALLS_PER_SECOND)
    assert len(round_trips) == 4


def test_a_fast_client_costs_few_round_trips_and_is_refused_at_the_limit(redis_client):
    limit = parse("2000 per minute")  # leases of up to 16
    storage, limiter = _process()
    round_trips = _count_round_trips(storage)
    results = [limiter.hit(limit, "token-fast") for _ in range(2100)]
    assert results[:2000] == [True] * 2000 and not any(results[2000:])
    assert len(round_trips) < 2100 / 8
    assert max(args[1] for args in round_trips) == 16


def test_a_lease_ends_with_its_window(redis_client):
    limit = parse("200 per 1 second")  # leases of up to 2, windows of a second
    storage, limiter = _process()
    for _ in range(50):
        limiter.hit(limit, "token-w")
    key = f"lease-test:{limit.key_for('token-w')}"
    taken = int(redis_client.get(key))
    assert 50 <= taken <= 51
    deadline = time.monotonic() + 3
    while redis_client.exists(key):  # the window ends in Redis
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert limiter.hit(limit, "token-w")
    assert int(redis_client.get(key)) >= 1  # counted in the new window, not from the old lease
    assert storage.get(limit.key_for("token-w")) <= 2


def test_flask_limiter_refuses_at_the_limit_and_resets(redis_client):
    app = Flask(__name__)
    limiter = Limiter(key_func=lambda: "one-client", app=app, storage_uri=leased_uri(URL),
                      key_prefix="lease-flask", default_limits=["30 per minute"])

    @app.get("/")
    def index():
        return "ok"

    client = app.test_client()
    codes = [client.get("/").status_code for _ in range(40)]
    assert codes == [200] * 30 + [429] * 10
    limiter.reset()
    assert client.get("/").status_code == 200
