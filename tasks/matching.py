"""Matching tasks: thin wrappers around app.matches.services."""
from celery import shared_task

from tasks.locks import single_run


@shared_task(name="matching.refresh_listing", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def refresh_listing(kind: str, listing_id: int) -> int:
    """Re-index one listing and recompute its suggestions (or retire them when it left the market)."""
    from app.matches import services
    return services.refresh_listing(kind, listing_id)


@shared_task(name="matching.rebuild_index")
def rebuild_index() -> int:
    from app.matches import services
    with single_run("matching.rebuild_index") as got:
        if not got:
            return -1
        return services.rebuild_all()
