"""Stale listings: an approved listing its owner has not confirmed for LISTING_STALE_MONTHS is hidden until the
owner confirms it is still valid; a reminder goes out one month before. Run by the periodic task."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.accounts import permissions as perm
from app.errors import InvalidTransition
from app.extensions import db
from app.listings.models import Achievement, Need, ReviewEvent
from app.models_base import utcnow
from app.timeutil import as_utc

MONTH = timedelta(days=30)


def last_confirmed(listing) -> datetime | None:
    return listing.confirmed_at or listing.published_at


def expire_stale(now: datetime | None = None) -> dict:
    from app.notifications.services import notify, org_members
    now = now or utcnow()
    months = int(current_app.config.get("LISTING_STALE_MONTHS", 6))
    hide_before = now - months * MONTH
    remind_before = now - max(0, months - 1) * MONTH
    out = {"reminded": 0, "hidden": 0}
    for model in (Need, Achievement):
        since = func.coalesce(model.confirmed_at, model.published_at)
        rows = db.session.scalars(select(model).where(
            model.status == "approved", model.hidden_stale_at.is_(None), since < remind_before)).all()
        for listing in rows:
            # a task runs outside any request: build the path, not an absolute URL
            url = f"/{'needs' if listing.kind == 'need' else 'achievements'}/{listing.id}"
            members = org_members(listing.organization_id)
            if as_utc(last_confirmed(listing)) < hide_before:
                listing.hidden_stale_at = now
                notify(members, "listing_hidden", f"“{listing.title}”超过{months}个月未确认，已暂停公开；确认仍有效后恢复。", url)
                out["hidden"] += 1
            elif listing.stale_reminded_at is None or as_utc(listing.stale_reminded_at) < as_utc(last_confirmed(listing)):
                listing.stale_reminded_at = now
                notify(members, "listing_stale", f"“{listing.title}”即将超过{months}个月未确认，请确认是否仍然有效。", url)
                out["reminded"] += 1
    db.session.commit()
    return out


def confirm(user, listing) -> None:
    """The owner confirms the listing is still valid: it is public again and the clock restarts."""
    perm.require_owner(user, listing)
    if listing.status != "approved":
        raise InvalidTransition("只有已发布的信息需要确认")
    listing.confirmed_at = utcnow()
    listing.hidden_stale_at = None
    listing.stale_reminded_at = None
    db.session.add(ReviewEvent(listing_kind=listing.kind, listing_id=listing.id, action="confirm",
                               actor_id=user.id, created_at=utcnow()))

