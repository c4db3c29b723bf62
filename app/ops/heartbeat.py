"""Celery worker heartbeats in Redis, written by the worker (tasks/heartbeat.py) and read by /readyz.

One sorted set: member = the worker's hostname (celery@host), score = the time of its last beat. Times come from
the Redis server's clock (TIME), so web and worker hosts need not agree on the time. The key expires a day after
the last beat of any worker, and beats older than that are pruned, so dead workers do not pile up.
"""
import redis

KEY = "techmarket:worker-heartbeats"
KEEP_SECONDS = 24 * 3600


def _server_time(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1_000_000


def beat(client: redis.Redis, hostname: str) -> float:
    """Record that `hostname` is alive now; returns the time written."""
    now = _server_time(client)
    pipe = client.pipeline(transaction=True)
    pipe.zadd(KEY, {hostname: now})
    pipe.zremrangebyscore(KEY, "-inf", now - KEEP_SECONDS)
    pipe.expire(KEY, KEEP_SECONDS)
    pipe.execute()
    return now


def forget(client: redis.Redis, hostname: str) -> None:
    """A worker shutting down cleanly takes itself off at once rather than going stale."""
    client.zrem(KEY, hostname)


def newest(client: redis.Redis, max_age: float) -> dict:
    """{"age_s": seconds since the newest beat (None when there is none), "workers": workers beating within
    max_age}. One round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.time()
    pipe.zrange(KEY, 0, -1, withscores=True)
    (seconds, micros), beats = pipe.execute()
    now = seconds + micros / 1_000_000
    if not beats:
        return {"age_s": None, "workers": 0}
    latest = max(score for _, score in beats)
    return {"age_s": round(max(0.0, now - latest), 1),
            "workers": sum(1 for _, score in beats if now - score <= max_age)}
