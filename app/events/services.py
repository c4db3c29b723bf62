"""Matchmaking events (供需对接会/专场): create, propose (the matcher), invite, register, agenda, outcomes, finish.

Who may act: the bureau creates, invites, records outcomes and attendance, cancels; a user of a verified organization
registers it (once, within capacity, before the deadline). Functions check permission first, raise a DomainError with
a Chinese message on refusal and never commit (the view commits once).

Capacity under concurrency: `register` moves `registered_count` with one conditional UPDATE
(`status = 'scheduled' AND registered_count < capacity AND registration_deadline > now`). On PostgreSQL the UPDATE
takes the event's row lock, so registrations of one event queue behind each other and re-check the condition on the
committed row: no overbooking. The duplicate check runs after the lock, and the unique constraint
(event_id, organization_id) backs it. SQLite serialises writers, so the same code is safe there too.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts import permissions as perm
from app.accounts.models import Organization
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.events.models import (
    MAX_CAPACITY,
    EventListing,
    EventLog,
    EventPair,
    EventRegistration,
    MatchmakingEvent,
)
from app.extensions import db
from app.listings.models import Achievement, Need
from app.models_base import utcnow
from app.notifications.services import notify, org_members
from app.reference import Industry
from app.timeutil import as_utc, fmt_local

TITLE_MAX = 100
TEXT_MAX = 5000
NOTE_MAX = 1000
MAX_DURATION = timedelta(days=7)
MAX_ATTENDEES = 20
URL_RE = re.compile(r"^https?://[^\s]+$")
PAIR_MIN_SCORE = 0.03  # a proposed pair below this shares too little to be worth a meeting


def event_url(event: MatchmakingEvent) -> str:
    return f"/events/{event.id}"


def get_event(event_id: int) -> MatchmakingEvent:
    event = db.session.get(MatchmakingEvent, event_id)
    if event is None:
        raise NotFound("未找到该对接活动")
    return event


def _log(event: MatchmakingEvent, actor, action: str, note: str = "", now: datetime | None = None) -> None:
    db.session.add(EventLog(event_id=event.id, action=action, note=note[:2000], actor_id=getattr(actor, "id", None),
                            created_at=now or utcnow()))


def phase(event: MatchmakingEvent, now: datetime | None = None) -> str:
    """registration / closed_registration / running / past / finished / cancelled, as time has it."""
    now = as_utc(now or utcnow())
    if event.status in ("finished", "cancelled"):
        return event.status
    if now < as_utc(event.registration_deadline):
        return "registration"
    if now < as_utc(event.starts_at):
        return "closed_registration"
    if now < as_utc(event.ends_at):
        return "running"
    return "past"


PHASE_LABELS = {"registration": "报名中", "closed_registration": "报名已截止", "running": "进行中",
                "past": "已结束，待记录结果", "finished": "已举办", "cancelled": "已取消"}


# --- create ---

def _text(data: dict, name: str) -> str:
    v = data.get(name)
    return v.strip() if isinstance(v, str) else ""


def validate(data: dict, now: datetime | None = None) -> dict:
    """Check an event's fields; ValidationError with a Chinese message per field. Times are aware (UTC)."""
    now = as_utc(now or utcnow())
    errors: dict[str, str] = {}
    title = _text(data, "title")
    if not title:
        errors["title"] = "请填写活动名称"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"活动名称不能超过{TITLE_MAX}个字"
    industry_code = data.get("industry_code") or ""
    if not industry_code or db.session.get(Industry, industry_code) is None:
        errors["industry_code"] = "请选择活动聚焦的产业"
    kw = _text(data, "focus_keywords")
    kw = "、".join(k.strip() for k in re.split(r"[、，,\s]+", kw) if k.strip())
    if len(kw) > 200:
        errors["focus_keywords"] = "聚焦关键词总长度不能超过200个字"
    description = _text(data, "description")
    if len(description) > TEXT_MAX:
        errors["description"] = f"活动介绍不能超过{TEXT_MAX}个字"
    starts_at, ends_at = as_utc(data.get("starts_at")), as_utc(data.get("ends_at"))
    deadline = as_utc(data.get("registration_deadline"))
    if not isinstance(starts_at, datetime):
        errors["starts_at"] = "请填写开始时间"
    elif starts_at <= now:
        errors["starts_at"] = "开始时间已过，请填写将来的时间"
    if not isinstance(ends_at, datetime):
        errors["ends_at"] = "请填写结束时间"
    elif isinstance(starts_at, datetime):
        if ends_at <= starts_at:
            errors["ends_at"] = "结束时间必须晚于开始时间"
        elif ends_at - starts_at > MAX_DURATION:
            errors["ends_at"] = "一场活动不能超过7天"
    if not isinstance(deadline, datetime):
        errors["registration_deadline"] = "请填写报名截止时间"
    elif deadline <= now:
        errors["registration_deadline"] = "报名截止时间已过，请填写将来的时间"
    elif isinstance(starts_at, datetime) and deadline > starts_at:
        errors["registration_deadline"] = "报名截止时间不能晚于活动开始时间"
    venue, online_url = _text(data, "venue"), _text(data, "online_url")
    if not venue and not online_url:
        errors["venue"] = "请填写活动地点或线上会议链接（至少一项）"
    if len(venue) > 200:
        errors["venue"] = "活动地点不能超过200个字"
    if online_url and (len(online_url) > 300 or not URL_RE.match(online_url)):
        errors["online_url"] = "线上会议链接应以 http:// 或 https:// 开头，且不超过300个字符"
    capacity = data.get("capacity")
    if capacity is None or isinstance(capacity, bool) or not isinstance(capacity, int):
        errors["capacity"] = "请填写名额（单位数）"
    elif capacity < 1:
        errors["capacity"] = "名额至少为1家单位"
    elif capacity > MAX_CAPACITY:
        errors["capacity"] = f"名额不能超过{MAX_CAPACITY}家单位"
    if errors:
        raise ValidationError("活动信息有误，请检查标红的字段", errors)
    return {"title": title, "industry_code": industry_code, "focus_keywords": kw, "description": description,
            "starts_at": starts_at, "ends_at": ends_at, "registration_deadline": deadline, "venue": venue,
            "online_url": online_url, "capacity": capacity}


def create(actor, data: dict, now: datetime | None = None) -> MatchmakingEvent:
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    values = validate(data, now)
    event = MatchmakingEvent(**values, registered_count=0, status="scheduled", cancel_reason="",
                             created_by_id=actor.id)
    db.session.add(event)
    db.session.flush()
    _log(event, actor, "create", f"{fmt_local(event.starts_at)}，名额{event.capacity}家", now)
    return event


# --- proposals from the matcher ---

@dataclass
class Proposal:
    kind: str
    listing: object
    score: float
    terms: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        from app.matches.services import doc_id
        return doc_id(self.kind, self.listing.id)


@dataclass
class PairProposal:
    need: Need
    achievement: Achievement
    score: float
    terms: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.need.id}-{self.achievement.id}"


def _approved(model, ids) -> dict:
    if not ids:
        return {}
    return {x.id: x for x in db.session.scalars(select(model).where(model.id.in_(ids), model.status == "approved"))}


def propose(event: MatchmakingEvent, k: int = 12, k_pairs: int = 12) -> dict:
    """What the matcher suggests for this event: needs and achievements that fit its focus (industry, then the
    focus keywords and title), and need × achievement pairs worth putting in the same room. Listings and pairs
    already on the event are left out."""
    from app.matches.services import engine, parse_doc_id, to_document
    m = engine()
    query = " ".join([event.title, event.focus_keywords.replace("、", " "), event.description])
    on_stage = {(i.listing_kind, i.need_id or i.achievement_id) for i in event.items}
    have_pairs = {(p.need_id, p.achievement_id) for p in event.pairs}
    out: dict[str, list] = {"need": [], "achievement": [], "pairs": []}
    for kind, model in (("need", Need), ("achievement", Achievement)):
        hits = m.search(query, k=k * 3, kind=kind, industry=event.industry_code)
        by_id = {parse_doc_id(h.id)[1]: h for h in hits}
        rows = _approved(model, list(by_id))
        props = [Proposal(kind, rows[i], float(h.score), list(h.terms)) for i, h in by_id.items()
                 if i in rows and (kind, i) not in on_stage]
        if len(props) < k:  # few words of the focus are in the index: fill with the industry's newest listings
            seen = {p.listing.id for p in props}
            more = db.session.scalars(select(model).where(
                model.status == "approved", model.industry_code == event.industry_code)
                .order_by(model.published_at.desc(), model.id.desc()).limit(k * 3)).all()
            props += [Proposal(kind, x, 0.0) for x in more if x.id not in seen and (kind, x.id) not in on_stage]
        out[kind] = props[:k]
    # pairs: for each need of the industry that fits the focus, its best achievements of the industry
    pair_props: list[PairProposal] = []
    for prop in out["need"] + [p for p in _programme_needs(event)]:
        need = prop.listing if isinstance(prop, Proposal) else prop
        hits = m.search(to_document(need), k=3, kind="achievement", industry=event.industry_code)
        rows = _approved(Achievement, [parse_doc_id(h.id)[1] for h in hits])
        for h in hits:
            aid = parse_doc_id(h.id)[1]
            if aid in rows and h.score >= PAIR_MIN_SCORE and (need.id, aid) not in have_pairs \
                    and rows[aid].organization_id != need.organization_id:
                pair_props.append(PairProposal(need, rows[aid], float(h.score), list(h.terms)))
    seen_pairs = set()
    for p in sorted(pair_props, key=lambda p: -p.score):
        if (p.need.id, p.achievement.id) not in seen_pairs:
            seen_pairs.add((p.need.id, p.achievement.id))
            out["pairs"].append(p)
    out["pairs"] = out["pairs"][:k_pairs]
    return out


def _programme_needs(event: MatchmakingEvent) -> list[Need]:
    return [i.need for i in event.items if i.listing_kind == "need" and i.need is not None]


def _pair_score(need: Need, achievement: Achievement) -> tuple[float | None, list[str]]:
    from app.matches.models import Match
    row = db.session.scalar(select(Match).where(Match.need_id == need.id, Match.achievement_id == achievement.id))
    if row is not None:
        return row.score, list(row.terms or [])
    from app.matches.services import doc_id, engine, to_document
    for h in engine().search(to_document(need), k=50, kind="achievement"):
        if h.id == doc_id("achievement", achievement.id):
            return float(h.score), list(h.terms)
    return None, []


# --- invitations ---

def _require_active(event: MatchmakingEvent, now: datetime, what: str) -> None:
    if event.status == "cancelled":
        raise InvalidTransition(f"活动已取消，不能{what}")
    if event.status == "finished":
        raise InvalidTransition(f"活动已结束，不能{what}")
    if what in ("邀请", "报名") and now >= as_utc(event.starts_at):
        raise InvalidTransition(f"活动已开始，不能再{what}")


def _add_to_programme(event: MatchmakingEvent, actor, listing, now) -> EventListing | None:
    kind = listing.kind
    for item in event.items:
        if item.listing_kind == kind and (item.need_id if kind == "need" else item.achievement_id) == listing.id:
            return None
    order = (max((i.roadshow_order for i in event.items), default=0)) + 1
    item = EventListing(event=event, listing_kind=kind, need_id=listing.id if kind == "need" else None,
                        achievement_id=listing.id if kind == "achievement" else None,
                        organization_id=listing.organization_id, roadshow_order=order, invited_at=now,
                        invited_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    return item


def _parse_refs(listing_refs, pair_refs) -> tuple[list[tuple[str, int]], list[tuple[int, int]]]:
    from app.matches.services import parse_doc_id
    listings, pairs = [], []
    try:
        for ref in listing_refs or []:
            if not ref or ref[0] not in "NA":
                raise ValueError
            listings.append(parse_doc_id(ref))
        for ref in pair_refs or []:
            need_id, ach_id = ref.split("-")
            pairs.append((int(need_id), int(ach_id)))
    except (ValueError, IndexError):
        raise ValidationError("选择的内容无效，请刷新页面后重试") from None
    return listings, pairs


def invite(actor, event: MatchmakingEvent, listing_refs=(), pair_refs=(), now: datetime | None = None) -> dict:
    """Put the chosen listings (refs "N12", "A34") and pairs ("12-34": need-achievement) on the event and invite
    their organizations. Returns how many listings and pairs were added."""
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    _require_active(event, now, "邀请")
    listing_ids, pair_ids = _parse_refs(listing_refs, pair_refs)
    if not listing_ids and not pair_ids:
        raise ValidationError("请至少选择一项需求、成果或对接组合")
    needs = _approved(Need, [i for k, i in listing_ids if k == "need"] + [n for n, _ in pair_ids])
    achs = _approved(Achievement, [i for k, i in listing_ids if k == "achievement"] + [a for _, a in pair_ids])
    missing = [i for k, i in listing_ids if i not in (needs if k == "need" else achs)]
    missing += [p for p in pair_ids if p[0] not in needs or p[1] not in achs]
    if missing:
        raise ValidationError("所选信息中有未发布或已下架的内容，请刷新页面后重试")
    added, new_orgs = [], {}
    for kind, i in listing_ids:
        listing = needs[i] if kind == "need" else achs[i]
        if _add_to_programme(event, actor, listing, now):
            added.append(listing)
            new_orgs.setdefault(listing.organization_id, []).append(listing.title)
    pairs_added = 0
    existing = {(p.need_id, p.achievement_id) for p in event.pairs}
    for need_id, ach_id in pair_ids:
        need, ach = needs[need_id], achs[ach_id]
        if need.organization_id == ach.organization_id:
            raise ValidationError(f"「{need.title}」与「{ach.title}」属于同一单位，不能组成对接组合")
        for listing in (need, ach):
            if _add_to_programme(event, actor, listing, now):
                added.append(listing)
                new_orgs.setdefault(listing.organization_id, []).append(listing.title)
        if (need_id, ach_id) in existing:
            continue
        score, terms = _pair_score(need, ach)
        db.session.add(EventPair(event=event, need_id=need_id, achievement_id=ach_id, score=score, terms=terms,
                                 outcome="pending", outcome_note="", created_at=now))
        existing.add((need_id, ach_id))
        pairs_added += 1
    db.session.flush()
    for org_id, titles in new_orgs.items():
        notify(org_members(org_id), "event_invited",
               f"科技局邀请贵单位携「{'」「'.join(titles[:3])}」参加「{event.title}」"
               f"（{fmt_local(event.starts_at)}），请于{fmt_local(event.registration_deadline)}前报名",
               event_url(event))
    if added or pairs_added:
        _log(event, actor, "invite", f"新增路演/发布{len(added)}项、对接组合{pairs_added}组", now)
    return {"listings": len(added), "pairs": pairs_added}


# --- registration ---

def can_register(user) -> bool:
    org = getattr(user, "organization", None) if perm.is_authenticated(user) else None
    return org is not None and org.verified and org.kind != "government" and not perm.is_bureau(user)


def registration_of(event: MatchmakingEvent, org_id: int | None) -> EventRegistration | None:
    if org_id is None:
        return None
    return db.session.scalar(select(EventRegistration).where(EventRegistration.event_id == event.id,
                                                             EventRegistration.organization_id == org_id))


ALREADY = "贵单位已报名该活动，无需重复报名"


def register(user, event_id: int, attendees: int = 1, contact: str = "",
             now: datetime | None = None) -> EventRegistration:
    """Register the user's organization: once, within capacity, before the deadline (see the module doc)."""
    if not can_register(user):
        raise PermissionDenied("只有已认证单位的用户可以报名参加对接活动")
    now = as_utc(now or utcnow())
    if isinstance(attendees, bool) or not isinstance(attendees, int) or not 1 <= attendees <= MAX_ATTENDEES:
        raise ValidationError(f"参会人数应为1到{MAX_ATTENDEES}人", {"attendees": f"参会人数应为1到{MAX_ATTENDEES}人"})
    contact = (contact or "").strip()
    if len(contact) > 100:
        raise ValidationError("联系人及电话不能超过100个字", {"contact": "联系人及电话不能超过100个字"})
    event = get_event(event_id)
    if registration_of(event, user.organization_id) is not None:
        raise InvalidTransition(ALREADY)
    result = db.session.execute(
        update(MatchmakingEvent)
        .where(MatchmakingEvent.id == event_id, MatchmakingEvent.status == "scheduled",
               MatchmakingEvent.registered_count < MatchmakingEvent.capacity,
               MatchmakingEvent.registration_deadline > now)
        .values(registered_count=MatchmakingEvent.registered_count + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(event)
        if event.status == "cancelled":
            raise InvalidTransition("活动已取消，不能报名")
        if event.status == "finished":
            raise InvalidTransition("活动已结束，不能报名")
        if now >= as_utc(event.registration_deadline):
            raise InvalidTransition(f"报名已于{fmt_local(event.registration_deadline)}（北京时间）截止")
        raise InvalidTransition(f"名额已满（共{event.capacity}家单位），不能再报名")
    # the event's row is locked by the UPDATE now: a registration of this organization committed meanwhile is seen
    if registration_of(event, user.organization_id) is not None:
        raise InvalidTransition(ALREADY)
    reg = EventRegistration(event_id=event.id, organization_id=user.organization_id, registered_by_id=user.id,
                            status="registered", attendees=attendees, contact=contact, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(reg)
            db.session.flush()
    except IntegrityError:
        raise InvalidTransition(ALREADY) from None
    db.session.refresh(event)
    _log(event, user, "register", user.organization.name, now)
    notify(org_members(user.organization_id), "event_registered",
           f"贵单位已报名「{event.title}」：{fmt_local(event.starts_at)}，"
           f"{event.venue or '线上'}。可在活动页面下载议程。", event_url(event))
    return reg


def can_download_agenda(user, event: MatchmakingEvent) -> bool:
    if perm.is_bureau(user):
        return True
    if not perm.is_authenticated(user) or user.organization_id is None:
        return False
    if registration_of(event, user.organization_id) is not None:
        return True
    return any(i.organization_id == user.organization_id for i in event.items)


# --- after the event: outcomes, deals, attendance ---

def _require_started(event: MatchmakingEvent, now: datetime) -> None:
    if event.status == "cancelled":
        raise InvalidTransition("活动已取消，不能记录结果")
    if now < as_utc(event.starts_at):
        raise InvalidTransition("活动开始后才能记录对接结果")


def get_pair(event: MatchmakingEvent, pair_id: int) -> EventPair:
    pair = db.session.get(EventPair, pair_id)
    if pair is None or pair.event_id != event.id:
        raise NotFound("未找到该对接组合")
    return pair


RECORDABLE = ("no_interest", "intent")


def record_outcome(actor, pair: EventPair, outcome: str, note: str = "", now: datetime | None = None) -> EventPair:
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    _require_started(pair.event, now)
    if outcome not in RECORDABLE:
        raise ValidationError("请选择对接结果：无意向或有合作意向（建立对接项目请用“建立对接项目”）",
                              {"outcome": "请选择对接结果"})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"备注不能超过{NOTE_MAX}个字", {"note": f"备注不能超过{NOTE_MAX}个字"})
    if pair.outcome == "deal_opened":
        raise InvalidTransition("该组合已建立对接项目，结果不能再修改")
    pair.outcome, pair.outcome_note = outcome, note
    pair.recorded_by_id, pair.recorded_at = actor.id, now
    _log(pair.event, actor, "outcome",
         f"{pair.need.title} × {pair.achievement.title}：{pair.outcome_label}" + (f"（{note}）" if note else ""), now)
    return pair


def open_deal_from_pair(actor, pair: EventPair, note: str = "", now: datetime | None = None):
    """The pair agreed to go on: open a deal (source "event", source_id = the pair's id) and record it."""
    from app.deals import services as deals
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    _require_started(pair.event, now)
    if pair.deal_id is not None:
        raise InvalidTransition(f"该组合已建立对接项目（编号{pair.deal_id}）")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"备注不能超过{NOTE_MAX}个字", {"note": f"备注不能超过{NOTE_MAX}个字"})
    deal = deals.open_deal(actor, need_id=pair.need_id, achievement_id=pair.achievement_id,
                           buyer_org_id=pair.need.organization_id, seller_org_id=pair.achievement.organization_id,
                           source="event", source_id=pair.id, stage="intent",
                           note=note or f"来自对接活动「{pair.event.title}」")
    pair.deal_id, pair.outcome = deal.id, "deal_opened"
    pair.outcome_note = note or pair.outcome_note
    pair.recorded_by_id, pair.recorded_at = actor.id, now
    db.session.flush()
    _log(pair.event, actor, "deal", f"{pair.need.title} × {pair.achievement.title}：对接项目{deal.id}", now)
    return deal


def add_pair(actor, event: MatchmakingEvent, need_id, achievement_id, now: datetime | None = None) -> EventPair:
    """A pair formed on the day (not proposed beforehand): any approved need and achievement."""
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    if event.status == "cancelled":
        raise InvalidTransition("活动已取消")
    need = _approved(Need, [need_id]).get(need_id) if isinstance(need_id, int) else None
    ach = _approved(Achievement, [achievement_id]).get(achievement_id) if isinstance(achievement_id, int) else None
    errors = {}
    if need is None:
        errors["need_id"] = "请选择已发布的技术需求"
    if ach is None:
        errors["achievement_id"] = "请选择已发布的科技成果"
    if errors:
        raise ValidationError("；".join(errors.values()), errors)
    if need.organization_id == ach.organization_id:
        raise ValidationError("需求和成果属于同一单位，不能组成对接组合")
    if any(p.need_id == need.id and p.achievement_id == ach.id for p in event.pairs):
        raise InvalidTransition("该对接组合已在活动中")
    score, terms = _pair_score(need, ach)
    pair = EventPair(event=event, need_id=need.id, achievement_id=ach.id, score=score, terms=terms,
                     outcome="pending", outcome_note="", created_at=now)
    db.session.add(pair)
    db.session.flush()
    _log(event, actor, "pair", f"{need.title} × {ach.title}", now)
    return pair


def finish(actor, event: MatchmakingEvent, attended_org_ids, now: datetime | None = None) -> int:
    """Close the event after it started: record which registered organizations came. Returns how many came."""
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    if event.status != "scheduled":
        raise InvalidTransition("活动已结束或已取消")
    if now < as_utc(event.starts_at):
        raise InvalidTransition("活动开始后才能记录出席情况")
    came = {int(i) for i in attended_org_ids or []}
    registered = {r.organization_id for r in event.registrations}
    if came - registered:
        raise ValidationError("只能为已报名的单位记录出席")
    for reg in event.registrations:
        reg.attended = reg.organization_id in came
    event.status, event.finished_at = "finished", now
    _log(event, actor, "finish", f"报名{len(registered)}家，出席{len(came)}家", now)
    return len(came)


def cancel(actor, event: MatchmakingEvent, reason: str, now: datetime | None = None) -> None:
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("取消活动必须填写原因", {"reason": "请填写取消原因"})
    if len(reason) > NOTE_MAX:
        raise ValidationError(f"取消原因不能超过{NOTE_MAX}个字", {"reason": f"取消原因不能超过{NOTE_MAX}个字"})
    if event.status != "scheduled":
        raise InvalidTransition("活动已结束或已取消，不能再取消")
    if now >= as_utc(event.starts_at):
        raise InvalidTransition("活动已开始，不能取消")
    event.status, event.cancel_reason = "cancelled", reason
    orgs = {r.organization_id for r in event.registrations} | {i.organization_id for i in event.items}
    people = [u for o in sorted(orgs) for u in org_members(o)]
    notify(people, "event_cancelled", f"对接活动「{event.title}」已取消：{reason}", event_url(event), exclude=actor)
    _log(event, actor, "cancel", reason, now)


# --- lists ---

def upcoming(now: datetime | None = None) -> list[MatchmakingEvent]:
    now = as_utc(now or utcnow())
    return list(db.session.scalars(select(MatchmakingEvent).where(
        MatchmakingEvent.status == "scheduled", MatchmakingEvent.ends_at > now)
        .order_by(MatchmakingEvent.starts_at, MatchmakingEvent.id)))


def past(now: datetime | None = None) -> list[MatchmakingEvent]:
    """Held events, and scheduled ones whose end has passed (waiting for their results), newest first."""
    now = as_utc(now or utcnow())
    return list(db.session.scalars(select(MatchmakingEvent).where(
        (MatchmakingEvent.status == "finished")
        | ((MatchmakingEvent.status == "scheduled") & (MatchmakingEvent.ends_at <= now)))
        .order_by(MatchmakingEvent.starts_at.desc(), MatchmakingEvent.id.desc())))


def registered_orgs(event: MatchmakingEvent) -> list[Organization]:
    return [r.organization for r in event.registrations]


def count_registrations(event_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(EventRegistration)
                             .where(EventRegistration.event_id == event_id)) or 0
