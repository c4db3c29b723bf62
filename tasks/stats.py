"""Statistics tasks: rebuild the summary tables the dashboards read."""
from celery import shared_task

from tasks.locks import single_run


@shared_task(name="stats.recompute", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def recompute() -> int:
    """Registered-contract summary table. Idempotent; a lock keeps two copies from running at once."""
    from app.jobs import services as jobs
    from app.stats import services
    with single_run("stats.recompute") as got:
        if not got:
            return -1
        job = jobs.create("stats.recompute")
        jobs.started(job.id)
        n = services.recompute_contract_stats()
        jobs.finished(job.id, message=f"{n} 行")
        jobs.prune("stats.recompute")
        return n
