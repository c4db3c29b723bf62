"""The app's one door to the matching engine (matching/): index upkeep, stored suggestions, feedback.

One index holds approved needs and achievements (ids "N12", "A34"). It is persisted at MATCHING_INDEX_PATH; every
process (gunicorn workers, Celery worker) loads it and reloads when the file changes. Writers take a file lock,
reload, apply their change and save atomically, so two processes never lose each other's updates.
"""
import contextlib
import fcntl
import logging
import threading
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from app.accounts import permissions as perm
from app.errors import ValidationError
from app.extensions import db
from app.listings.models import Achievement, Need
from app.matches.models import VERDICTS, Match, MatchFeedback
from app.models_base import utcnow
from matching import Document, IndexFormatError, Matcher

log = logging.getLogger(__name__)
TOP_K = 10
UNSOLVED_BELOW = 0.12  # a need whose best suggestion scores below this has no good match
MODELS = {"need": Need, "achievement": Achievement}
OTHER = {"need": "achievement", "achievement": "need"}

_mem = threading.local()
_process = {"matcher": None, "key": None}
_process_lock = threading.Lock()


def doc_id(kind: str, listing_id: int) -> str:
    return ("N" if kind == "need" else "A") + str(listing_id)


def parse_doc_id(value: str) -> tuple[str, int]:
    return ("need" if value[0] == "N" else "achievement"), int(value[1:])


def to_document(listing) -> Document:
    attrs = ({"town": listing.town_code, "budget_yuan": listing.budget_yuan} if listing.kind == "need"
             else {"maturity": listing.maturity, "price_yuan": listing.price_yuan})
    return Document(id=doc_id(listing.kind, listing.id), kind=listing.kind, title=listing.title,
                    description=listing.description, keywords=listing.keyword_list, industry=listing.industry_code,
                    attrs=attrs)


def _path() -> Path:
    return Path(current_app.config["MATCHING_INDEX_PATH"])


def _file_key(path: Path):
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def _write_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def engine() -> Matcher:
    """The current index, loaded from disk (or built from the database when there is none yet)."""
    path = _path()
    with _process_lock:
        key = _file_key(path)
        if _process["matcher"] is not None and key is not None and _process["key"] == key:
            return _process["matcher"]
    if key is None:
        return rebuild_index()
    try:
        m = Matcher.load(path)
    except (IndexFormatError, FileNotFoundError) as err:
        log.warning("matching index unusable (%s); rebuilding", err)
        return rebuild_index()
    if m.needs_rebuild:  # dictionary or thesaurus changed since the index was built
        return rebuild_index()
    with _process_lock:
        _process["matcher"], _process["key"] = m, key
    return m


def _save(m: Matcher, path: Path) -> None:
    m.save(path)
    with _process_lock:
        _process["matcher"], _process["key"] = m, _file_key(path)


def _approved(model):
    return db.session.scalars(select(model).where(model.status == "approved").order_by(model.id)).all()


def rebuild_index(progress=None) -> Matcher:
    """Full rebuild from the approved listings in the database."""
    path = _path()
    with _write_lock(path):
        docs = [to_document(x) for x in _approved(Need) + _approved(Achievement)]
        m = Matcher.build(docs, progress=progress)
        _save(m, path)
    return m


def rebuild_all(progress=None) -> int:
    """Rebuild the index and recompute the suggestions of every approved listing. Returns listings done."""
    m = rebuild_index()
    listings = _approved(Need) + _approved(Achievement)
    for i, listing in enumerate(listings, 1):
        _store(listing, m.search(to_document(listing), k=TOP_K * 2, kind=OTHER[listing.kind]))
        if progress:
            progress(i, len(listings))
    db.session.commit()
    return len(listings)


def refresh_listing(kind: str, listing_id: int) -> int:
    """Bring one listing's index entry and suggestions up to date. Idempotent. Returns the suggestions kept."""
    listing = db.session.get(MODELS[kind], listing_id)
    path = _path()
    did = doc_id(kind, listing_id)
    live = listing is not None and listing.status == "approved"
    m = engine()
    with _write_lock(path):
        if _file_key(path) != _process["key"]:
            m = Matcher.load(path)
        changed = m.add(to_document(listing)) if live else m.remove(did)
        if changed or _file_key(path) is None:
            _save(m, path)
    if not live:
        _retire(kind, listing_id)
        db.session.commit()
        return 0
    kept = _store(listing, m.search(to_document(listing), k=TOP_K * 2, kind=OTHER[kind]))
    db.session.commit()
    return kept


def _explains(term: str) -> bool:
    """Terms worth showing a person as the reason for a match: not a lone letter, digit run or single character
    (they do score — 540 in 540℃ — but explain nothing)."""
    t = term.strip()
    return len(t) >= 2 and not t.replace(".", "").isdigit()


def _retire(kind: str, listing_id: int) -> None:
    col = Match.need_id if kind == "need" else Match.achievement_id
    for row in db.session.scalars(select(Match).where(col == listing_id)):
        row.in_need_top = row.in_achievement_top = False


def _store(listing, hits) -> int:
    """Upsert the listing's top list; pairs that dropped out of it lose this side's flag."""
    kind = listing.kind
    other_model = MODELS[OTHER[kind]]
    wanted = [(parse_doc_id(h.id)[1], h) for h in hits if parse_doc_id(h.id)[0] == OTHER[kind]]
    # the index may lag behind the database: keep only counterparts that are approved now
    ok_ids = set(db.session.scalars(select(other_model.id).where(
        other_model.id.in_([i for i, _ in wanted]), other_model.status == "approved")))
    top = [(i, h) for i, h in wanted if i in ok_ids][:TOP_K]
    mine, theirs = ("need_id", "achievement_id") if kind == "need" else ("achievement_id", "need_id")
    flag = "in_need_top" if kind == "need" else "in_achievement_top"
    existing = {getattr(r, theirs): r for r in db.session.scalars(
        select(Match).where(getattr(Match, mine) == listing.id))}
    for row in existing.values():
        setattr(row, flag, False)
    for other_id, hit in top:
        row = existing.get(other_id)
        if row is None:
            row = Match(**{mine: listing.id, theirs: other_id}, in_need_top=False, in_achievement_top=False)
            db.session.add(row)
        row.score = round(float(hit.score), 6)
        row.terms = [t for t in hit.terms if _explains(t)] or list(hit.terms)[:1]
        row.expanded_terms = [t for t in hit.expanded_terms if t in row.terms]
        setattr(row, flag, True)
    return len(top)


# --- reading suggestions ---

def can_see_matches(user, listing) -> bool:
    return perm.owns(user, listing) or perm.is_bureau(user) or (
        perm.is_authenticated(user) and user.role == "broker")


def suggestions(user, listing, k: int = TOP_K) -> list[dict]:
    """Top suggestions for a listing as this user should see them (dismissed by their organization hidden)."""
    if not can_see_matches(user, listing):
        return []
    kind = listing.kind
    mine, other_model = (Match.need_id, Achievement) if kind == "need" else (Match.achievement_id, Need)
    other_fk = Match.achievement_id if kind == "need" else Match.need_id
    rows = db.session.execute(
        select(Match, other_model).join(other_model, other_model.id == other_fk)
        .where(mine == listing.id, or_(Match.in_need_top.is_(True), Match.in_achievement_top.is_(True)),
               other_model.status == "approved", other_model.hidden_stale_at.is_(None))
        .order_by(Match.score.desc(), Match.id).limit(k * 2)
    ).all()
    verdicts = {}
    if rows:
        verdicts = {f.match_id: f.verdict for f in db.session.scalars(select(MatchFeedback).where(
            MatchFeedback.match_id.in_([m.id for m, _ in rows]), MatchFeedback.user_id == user.id))}
        if user.organization_id and not perm.is_bureau(user):
            org_dismissed = set(db.session.scalars(select(MatchFeedback.match_id).where(
                MatchFeedback.match_id.in_([m.id for m, _ in rows]),
                MatchFeedback.organization_id == user.organization_id, MatchFeedback.verdict == "dismissed")))
            rows = [(m, o) for m, o in rows if m.id not in org_dismissed]
    return [{"match": m, "listing": o, "verdict": verdicts.get(m.id)} for m, o in rows[:k]]


def give_feedback(user, match: Match, verdict: str) -> MatchFeedback:
    if verdict not in dict(VERDICTS):
        raise ValidationError("无效的反馈")
    need, ach = db.session.get(Need, match.need_id), db.session.get(Achievement, match.achievement_id)
    perm.require(perm.owns(user, need) or perm.owns(user, ach) or perm.is_bureau(user)
                 or (perm.is_authenticated(user) and user.role == "broker"), "只有相关单位、技术经纪人和科技局可以反馈")
    fb = db.session.scalar(select(MatchFeedback).where(MatchFeedback.match_id == match.id,
                                                       MatchFeedback.user_id == user.id))
    if fb is None:
        fb = MatchFeedback(match_id=match.id, user_id=user.id, organization_id=user.organization_id)
        db.session.add(fb)
    fb.verdict = verdict
    fb.updated_at = utcnow()
    return fb


def feedback_summary() -> list[tuple[Match, int, int]]:
    """Every pair with feedback, for the bureau: (match, useful, dismissed)."""
    out: dict[int, list] = {}
    for fb in db.session.scalars(select(MatchFeedback).order_by(MatchFeedback.updated_at.desc())):
        entry = out.setdefault(fb.match_id, [fb.match, 0, 0])
        entry[1 if fb.verdict == "useful" else 2] += 1
    return [tuple(v) for v in out.values()]


def unsolved_needs_query(threshold: float = UNSOLVED_BELOW):
    """(Need, best score) rows: approved needs whose best live suggestion scores below the threshold, the seed of a
    揭榜挂帅 call; the worst matched first. A statement, so the pages can show it a page at a time."""
    from sqlalchemy import func
    from sqlalchemy.orm import selectinload
    best = (select(Match.need_id, func.max(Match.score).label("best"))
            .where(Match.in_need_top.is_(True)).group_by(Match.need_id).subquery())
    return (select(Need, best.c.best).outerjoin(best, best.c.need_id == Need.id)
            .where(Need.status == "approved", or_(best.c.best.is_(None), best.c.best < threshold))
            .order_by(best.c.best.asc().nulls_first(), Need.published_at.desc(), Need.id.desc())
            .options(selectinload(Need.organization), selectinload(Need.industry)))


def enqueue_refresh(kind: str, listing_id: int) -> bool:
    """Ask for a refresh after a change; runs in-process when no broker is configured or the broker is down.
    Returns False when the queue was unavailable (the work was done now, or is left to the nightly rebuild)."""
    from tasks import dispatch
    try:
        return dispatch("matching.refresh_listing", kind, listing_id)
    except Exception:  # suggestions are derived data: the nightly rebuild catches up; never fail the user's request
        db.session.rollback()
        log.exception("matching refresh failed for %s %s", kind, listing_id)
        return False


def on_listing_changed(kind: str, listing_id: int, action: str) -> bool:
    if action in ("approve", "withdraw", "archive"):
        return enqueue_refresh(kind, listing_id)
    return True
