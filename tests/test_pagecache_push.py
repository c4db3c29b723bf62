"""Generations pushed to each process (app/pagecache_push.py): read without a Redis round trip while the
subscription is up, yet a bump anywhere holds from the next read, and a lost subscription never serves an old value."""
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app import pagecache_push
from app.pagecache import Generation
from tests.conftest import redis_or_skip

URL = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def client():
    return redis_or_skip(URL)


@pytest.fixture
def direct_reads(monkeypatch):
    """Every time a caller reads the counters from Redis itself (the watcher's own readings are not counted)."""
    calls = []
    real = Generation._read_redis

    def counted(url, keys):
        if threading.current_thread() is threading.main_thread():  # not the watcher's own readings
            calls.append(tuple(keys))
        return real(url, keys)

    monkeypatch.setattr(Generation, "_read_redis", staticmethod(counted))
    return calls


def _pushed_soon(gen: Generation, within: float = 5.0):
    """Wait until the watcher trusts its values (it subscribes in the background after the first read)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if gen.pushed() is not None:
            return gen.pushed()
        time.sleep(0.02)
    raise AssertionError("the generations were never pushed")


def test_reads_take_no_round_trip_while_the_subscription_is_up(client, direct_reads, tmp_path):
    gen = Generation(URL, tmp_path / "unused", "push-quiet")
    first = gen.read()
    _pushed_soon(gen)
    direct_reads.clear()
    assert [gen.read() for _ in range(200)] == [first] * 200
    assert Generation.read_many([gen, Generation(URL, tmp_path / "u", "push-quiet")]) == [first, first]
    assert direct_reads == []


def test_without_push_every_read_asks_redis(client, direct_reads, tmp_path):
    gen = Generation(URL, tmp_path / "unused", "push-off", push=False)
    for _ in range(5):
        gen.read()
    assert len(direct_reads) == 5 and gen.pushed() is None


def test_a_bump_in_this_process_holds_at_once(client, tmp_path):
    gen = Generation(URL, tmp_path / "unused", "push-own")
    gen.read()
    _pushed_soon(gen)
    for _ in range(50):
        gen.bump()
        assert gen.read() == int(client.get(gen.key))


def test_a_bump_in_another_process_holds_from_the_next_read(client, tmp_path):
    gen = Generation(URL, tmp_path / "unused", "push-other")
    before = gen.read()
    _pushed_soon(gen)
    script = ("from pathlib import Path; from app.pagecache import Generation; "
              f"Generation({URL!r}, Path('unused'), 'push-other').bump()")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    assert gen.read() == before + 1 == int(client.get(gen.key))


def test_bumps_published_by_another_client_are_never_missed(client, tmp_path):
    """As another web process bumps (push=False: this process's watcher is not told directly): every read right
    after the bump returns sees the new value."""
    gen = Generation(URL, tmp_path / "unused", "push-race")
    other_process = Generation(URL, tmp_path / "unused", "push-race", push=False)
    gen.read()
    _pushed_soon(gen)
    for _ in range(300):
        before = gen.read()
        other_process.bump()
        assert gen.read() == before + 1


def test_a_lost_subscription_falls_back_to_redis_then_comes_back(client, direct_reads, tmp_path):
    gen = Generation(URL, tmp_path / "unused", "push-lost")
    gen.read()
    _pushed_soon(gen)
    client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    client.incr(gen.key)  # a change no message announces (it was sent while the subscription was down)
    direct_reads.clear()
    assert gen.read() == int(client.get(gen.key))
    assert direct_reads, "read from the dead subscription's values"
    _pushed_soon(gen)  # subscribed again by itself
    direct_reads.clear()
    assert gen.read() == int(client.get(gen.key)) and direct_reads == []


def test_a_change_without_a_message_is_made_good_within_seconds(client, tmp_path):
    """A counter changed with no message (a lost PUBLISH): the watcher reads all values again at least every
    SILENCE_SECONDS, so the value is right again soon after, never for long wrong."""
    gen = Generation(URL, tmp_path / "unused", "push-silent")
    gen.read()
    _pushed_soon(gen)
    client.incr(gen.key)
    wanted = int(client.get(gen.key))
    deadline = time.monotonic() + pagecache_push.TRUST_SECONDS
    while gen.read() != wanted:
        assert time.monotonic() < deadline, "a changed counter was still not read again"
        time.sleep(0.05)


def test_redis_unreachable_means_no_value(tmp_path):
    gen = Generation("redis://127.0.0.1:1/0", tmp_path / "unused", "push-dead")
    assert gen.read() is None and gen.pushed() is None
