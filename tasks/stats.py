"""Statistics tasks: rebuild the summary tables the dashboards read."""
from celery import shared_task

from tasks.locks import single_run


@shared_task(name="stats.recompute", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def recompute() -> int:
    """Registered-contract summary table. Idempotent; a lock keeps two copies from running at once."""
    from app.stats import services
    with single_run("stats.recompute") as got:
        return services.recompute_and_record() if got else -1
