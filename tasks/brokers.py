"""Broker performance task: rebuild the broker_stats table the leaderboard reads."""
from celery import shared_task

from tasks.locks import single_run


@shared_task(name="stats.recompute_brokers", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def recompute_brokers() -> int:
    """Every certified broker's KPIs. Idempotent; a lock keeps two copies from running at once (and the service
    locks the table, for a run started some other way)."""
    from app.stats.brokers import recompute_broker_stats
    with single_run("stats.recompute_brokers", timeout=1800) as got:
        if not got:
            return -1
        return recompute_broker_stats()
