"""gunicorn settings for the load benchmark (bench/load.py passes workers, class and bind on the command line).

The open API limits each token to API_RATE_LIMIT_TOKEN (600 per minute) — a benchmark at hundreds of requests a
second would measure the limiter's 429s, not the API. After each worker has loaded `app:create_app()` (production
config), this hook raises that one limit; the limiter itself still runs and counts in Redis as in production.
"""
import os

accesslog = None
errorlog = "-"
loglevel = "warning"


def post_worker_init(worker):
    app = getattr(worker, "wsgi", None)
    limit = os.environ.get("BENCH_API_RATE_LIMIT")
    if limit and hasattr(app, "config") and "API_RATE_LIMIT_TOKEN" in app.config:
        app.config["API_RATE_LIMIT_TOKEN"] = limit
        app.config["API_RATE_LIMIT_ANON"] = limit
