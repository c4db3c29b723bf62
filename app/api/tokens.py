"""Token lifecycle: create (the secret is returned once), revoke, authenticate a Bearer header."""
import hashlib
import secrets
from datetime import UTC, timedelta

from sqlalchemy import select

from app.accounts import identity
from app.accounts import permissions as perm
from app.api.models import ApiToken
from app.errors import InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models_base import utcnow

PREFIX = "yjtm_"
NAME_MAX = 50
MAX_ACTIVE = 10
# last_used_at is written at most once per this interval: a busy client must not turn every GET into a write
TOUCH_EVERY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def active_tokens(user) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create(user, name: str) -> tuple[ApiToken, str]:
    """A new token for user. Returns (token row, secret): the secret is shown once and never stored."""
    perm.require(perm.is_authenticated(user), "请先登录")
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写令牌名称", {"name": "请填写令牌名称，例如“高校成果同步”"})
    if len(name) > NAME_MAX:
        raise ValidationError(f"名称不能超过{NAME_MAX}个字", {"name": f"名称不能超过{NAME_MAX}个字"})
    if len(active_tokens(user)) >= MAX_ACTIVE:
        raise InvalidTransition(f"最多同时保留{MAX_ACTIVE}个有效令牌，请先吊销不用的令牌")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret), prefix=secret[:12],
                     created_at=utcnow())
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke(user, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != getattr(user, "id", None):
        raise NotFound("未找到该令牌")  # other people's tokens do not exist for you
    if token.revoked_at is not None:
        raise InvalidTransition("该令牌已吊销")
    token.revoked_at = utcnow()
    return token


def authenticate(secret: str):
    """The active token and its active user for a presented secret, or (None, None)."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None, None
    # kept per process while no user or token changes (app/accounts/identity.py): no query on most API requests
    token, owner = identity.token_and_user(hash_secret(secret))
    if token is None or token.revoked_at is not None or not owner.is_active:
        return None, None
    now = utcnow()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite returns naive UTC
        last = last.replace(tzinfo=UTC)
    if last is None or now - last >= TOUCH_EVERY:
        token.last_used_at = now  # the request hook commits it
        identity.token_touched(token)
    return token, owner
