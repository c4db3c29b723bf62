"""Periodic upkeep. Each task is idempotent and guarded by a lock; the work itself lives in the domain services."""
from celery import shared_task

from tasks.locks import single_run


@shared_task(name="auctions.close_due", acks_late=True)
def close_due_auctions() -> dict:
    from app.auctions.services import close_due_auctions as close
    from app.extensions import db
    with single_run("auctions.close_due", timeout=300) as got:
        if not got:
            return {"skipped": True}
        result = close()
        db.session.commit()
        return result


@shared_task(name="deals.mark_overdue")
def mark_overdue_deals() -> int:
    from app.deals.services import mark_overdue_deals as mark
    from app.extensions import db
    with single_run("deals.mark_overdue") as got:
        if not got:
            return -1
        n = mark()
        db.session.commit()
        return n


@shared_task(name="listings.expire_stale")
def expire_stale_listings() -> dict:
    from app.listings.staleness import expire_stale
    with single_run("listings.expire_stale") as got:
        return expire_stale() if got else {"skipped": True}


@shared_task(name="mail.send_pending", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_pending_mail() -> dict:
    from app.mail.services import send_pending
    with single_run("mail.send_pending", timeout=600) as got:
        return send_pending() if got else {"skipped": True}
