"""The page cache's generations pushed to each process by Redis, instead of read from Redis on every request.

Who is signed in, the unread badge and the menu are kept per process under generations (app/pagecache.py) that a
request must read afresh: a revoked token or a new role holds from the next request. Read with one MGET per
request, that round trip was about half of a kept signed-in page's time in a sync worker (py-spy under bench/load.py).

Here one thread per process and Redis URL subscribes to CHANNEL, on which every bump publishes (Generation.bump),
and keeps the values it last read. A request takes them without I/O when all of these hold:

* the subscription is up and Redis answered within TRUST_SECONDS (the thread pings after SILENCE_SECONDS of quiet
  and reads all values again on every word it hears, so a lost message is also made good within about a second);
* nothing is waiting unread on the subscription's socket (a poll with no timeout, a few microseconds): a bump
  published before this request is either still on the socket — then the request reads Redis itself — or has been
  taken in, and the thread drops the values *before* it takes anything in and keeps new ones only after reading
  them again; a bump in this process drops them at once (invalidate()).

Otherwise the caller reads Redis as before, and with Redis unreachable the copies are bypassed as before. Bumps, and
so messages, are rare (a commit that changes a watched table); reading is on every request.
"""
import logging
import os
import select
import threading
import time

log = logging.getLogger(__name__)

CHANNEL = "yjtm:pagecache:bumped"
SILENCE_SECONDS = 1.0  # after this long with no word, ping (its answer makes the thread read the values again)
TRUST_SECONDS = 3.0  # values not confirmed for this long are not used (a hung Redis or a dead subscription)
RETRY_SECONDS = 1.0  # between attempts to subscribe again


def _readable(sock, timeout: float = 0.0) -> bool:
    """Something (data, an error, a close) waits on the socket; a closed or odd socket counts as readable."""
    try:
        poller = select.poll()  # one per call: a poll object must not be used by two threads at once
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(timeout * 1000))
    except (OSError, ValueError, TypeError):
        return True


class Watcher:
    """The generation counters of one Redis URL, as last read by this process's subscriber thread."""

    def __init__(self, url: str, read):
        """read(url, keys) -> their values (ints), reading Redis directly; raises when Redis cannot be read."""
        self.url = url
        self._read = read
        self._keys: set[str] = set()  # counters some caller has asked for; read again on every word
        self._values: dict[str, int] | None = None
        self._sock = None
        self._heard = float("-inf")
        self._epoch = 0  # bumped by invalidate(): a reading begun before it is not kept
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"pagecache-push {url}", daemon=True)
        self._thread.start()

    def values(self, keys: list[str]) -> list[int] | None:
        """The counters' values without I/O, or None when they cannot be trusted right now (read Redis instead)."""
        epoch = self._epoch  # before the values: a word taken off the socket after this changes it (see below)
        found, sock = self._values, self._sock
        if found is None or sock is None or time.monotonic() - self._heard > TRUST_SECONDS:
            self._want(keys)
            return None
        try:
            result = [found[k] for k in keys]
        except KeyError:  # a counter not asked for before: read with the others from the next word on
            self._want(keys)
            return None
        # a word not yet taken in (perhaps a bump), or one the thread took in since these values were read: the
        # thread invalidates (a new epoch) before it takes anything off the socket
        if _readable(sock) or self._epoch != epoch:
            return None
        return result

    def invalidate(self) -> None:
        """A bump in this process: the values are not used until read again after it."""
        with self._lock:
            self._epoch += 1
            self._values = None

    def _want(self, keys) -> None:
        if not self._keys.issuperset(keys):
            with self._lock:
                self._keys = self._keys | set(keys)

    def _sync(self) -> None:
        with self._lock:
            epoch, keys = self._epoch, sorted(self._keys)
        values = self._read(self.url, keys) if keys else []
        with self._lock:
            if epoch == self._epoch:
                self._values = dict(zip(keys, values, strict=True))
                self._heard = time.monotonic()

    def _run(self) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        while True:
            try:
                # no silent reconnects inside redis-py: a new connection is a new subscription, read again from the
                # start here (messages sent while it was down are lost)
                client = redis.Redis.from_url(self.url, socket_timeout=TRUST_SECONDS,
                                              socket_connect_timeout=TRUST_SECONDS, retry=Retry(NoBackoff(), 0))
                pubsub = client.pubsub()
                try:
                    self._listen(pubsub)
                finally:
                    self._sock = None
                    self.invalidate()
                    pubsub.close()
                    client.close()
            except Exception:  # Redis away or restarted: the callers read it themselves meanwhile
                log.debug("page cache subscription lost", exc_info=True)
            time.sleep(RETRY_SECONDS)

    def _listen(self, pubsub) -> None:
        pubsub.subscribe(CHANNEL)
        confirmed = pubsub.get_message(timeout=TRUST_SECONDS)
        if not confirmed or confirmed.get("type") != "subscribe":
            raise ConnectionError("no subscription confirmed")
        self._sock = pubsub.connection._sock
        self._sync()  # after the subscription: no bump can fall between the reading and the first message
        while True:
            if not _readable(self._sock, SILENCE_SECONDS):
                if time.monotonic() - self._heard > TRUST_SECONDS:
                    raise ConnectionError("Redis silent")
                pubsub.ping()
                continue
            self.invalidate()  # before anything is taken off the socket (see the module docstring)
            while pubsub.get_message(timeout=0) is not None:
                pass
            if pubsub.connection is None or pubsub.connection._sock is not self._sock:
                raise ConnectionError("subscription connection replaced")
            self._sync()


_watchers: dict[tuple[int, str], Watcher] = {}
_watchers_lock = threading.Lock()


def watcher(url: str, read) -> Watcher:
    """This process's watcher for url, started on first use (after a fork, the child starts its own)."""
    key = (os.getpid(), url)
    found = _watchers.get(key)
    if found is None:
        with _watchers_lock:
            found = _watchers.get(key)
            if found is None:
                found = _watchers[key] = Watcher(url, read)
    return found
