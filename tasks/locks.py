"""A lock so two copies of a periodic task never run at once: Redis when configured, else a file lock."""
import contextlib
import fcntl
import functools
import os
from pathlib import Path

from flask import current_app


@functools.lru_cache(maxsize=4)
def _client(url: str):
    """One client (and connection pool) per Redis URL and process, not a new pool on every run; timeouts so that a
    hung Redis fails the run instead of holding the worker."""
    import redis
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


@contextlib.contextmanager
def single_run(name: str, timeout: int = 3600):
    """Yields True when this process holds the lock, False when another copy is already running."""
    url = current_app.config.get("REDIS_URL")
    if url:
        lock = _client(url).lock(f"techmarket:lock:{name}", timeout=timeout, blocking=False)
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                with contextlib.suppress(Exception):
                    lock.release()
        return
    path = Path(current_app.instance_path) / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
