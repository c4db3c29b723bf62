"""Configuration, read from the environment.

Embedded default: an SQLite file under instance/, no Redis, tasks run in-process — one command, no servers.
Production: DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY are required.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _db_url(value: str | None, default: str) -> str:
    url = value or default
    # Accept the common short forms and use psycopg 3 for PostgreSQL.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _db_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{BASE_DIR / 'instance' / 'techmarket.sqlite3'}"
    )
    # pre_ping: recover by itself after a database restart
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = None
    WTF_I18N_ENABLED = False  # use WTForms' own Chinese messages (forms_common.Form)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    LISTINGS_PER_PAGE = 20
    # an approved listing not confirmed by its owner for this many months is hidden until confirmed
    LISTING_STALE_MONTHS = int(os.environ.get("LISTING_STALE_MONTHS", "6"))
    # e-mail: with MAIL_SERVER unset, messages stay in the outbox the bureau can read (development)
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "noreply@yjtm.example.cn")
    MATCHING_INDEX_PATH = os.environ.get("MATCHING_INDEX_PATH", str(BASE_DIR / "instance" / "matching.idx"))
    # logs (app/ops/logs.py): one line per request and a request id on every record; json or text, to stderr
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_STDERR = True
    # /readyz: seconds allowed to each check; a worker heartbeat older than WORKER_HEARTBEAT_MAX_AGE is stale
    READYZ_TIMEOUT = float(os.environ.get("READYZ_TIMEOUT", "2"))
    READYZ_REQUIRE_WORKER = os.environ.get("READYZ_REQUIRE_WORKER", "1") not in ("0", "false", "no")
    WORKER_HEARTBEAT_INTERVAL = float(os.environ.get("WORKER_HEARTBEAT_INTERVAL", "10"))
    WORKER_HEARTBEAT_MAX_AGE = float(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", "60"))
    # anonymous GETs of the public pages served from memory for this many seconds (app/pagecache.py; 0 = off)
    PUBLIC_PAGE_CACHE_SECONDS = float(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "30"))
    PUBLIC_PAGE_CACHE_MAX_BYTES = int(os.environ.get("PUBLIC_PAGE_CACHE_MAX_BYTES", str(32 * 1024 * 1024)))
    # with REDIS_URL, rendered copies are shared by the web processes through Redis (0 = each process its own)
    PUBLIC_PAGE_CACHE_SHARED = os.environ.get("PUBLIC_PAGE_CACHE_SHARED", "1") != "0"
    # with REDIS_URL, the generations are pushed to each process (app/pagecache_push.py) instead of read from Redis on
    # every signed-in request (0 = read on every request, as before)
    PUBLIC_PAGE_CACHE_PUSH = os.environ.get("PUBLIC_PAGE_CACHE_PUSH", "1") != "0"
    # where the API's rate-limit counts live (a limits storage URI); unset: REDIS_URL with leases for fast callers
    # (app/api/ratelimit.py), memory without Redis
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        RATELIMIT_STORAGE_URI = os.environ["RATELIMIT_STORAGE_URI"]
    TESTING = False


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    # one SQLite file per test process, so that parallel runs on one machine never share a database
    SQLALCHEMY_DATABASE_URI = _db_url(
        os.environ.get("TEST_DATABASE_URL"), f"sqlite:///{BASE_DIR / 'instance' / f'test-{os.getpid()}.sqlite3'}"
    )
    REDIS_URL = None
    PUBLIC_PAGE_CACHE_SECONDS = 0  # tests see every change at once; tests/test_pagecache.py turns it on
    MATCHING_INDEX_PATH = str(BASE_DIR / "instance" / f"matching-test-{os.getpid()}.idx")
    # hashing cost is not what tests measure
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # pytest collects log records itself (caplog); no handler of ours on the root logger
    LOG_STDERR = False


class ProductionConfig(Config):
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls) -> None:
        missing = [k for k in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(k)]
        if missing:
            raise RuntimeError(f"production needs environment variables: {', '.join(missing)}")


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}
