"""tasks/locks.single_run: a second copy of a periodic task is told to skip while the first runs, with Redis (one
client per URL and process) and with the file lock used without it."""
import pytest

from tasks import locks
from tests.conftest import redis_or_skip

REDIS = "redis://127.0.0.1:6379/12"


@pytest.mark.parametrize("redis_url", [None, REDIS], ids=["file", "redis"])
def test_a_second_copy_skips_until_the_first_ends(app, monkeypatch, redis_url):
    if redis_url:
        redis_or_skip(redis_url)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.app_context():
        with locks.single_run("lock-test") as first:
            assert first is True
            with locks.single_run("lock-test") as second:
                assert second is False
            with locks.single_run("another-task") as other:
                assert other is True  # locks are per task
        with locks.single_run("lock-test") as again:
            assert again is True  # released when the first ended


def test_one_redis_client_per_url():
    assert locks._client(REDIS) is locks._client(REDIS)
