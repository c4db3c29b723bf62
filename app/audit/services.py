"""Record and read security-relevant actions. Login throttling reads the same log."""
from datetime import timedelta

from flask import has_request_context, request
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.models_base import utcnow

ACTION_LABELS = {
    "login_success": "登录成功", "login_failed": "登录失败", "login_locked": "登录被锁定", "logout": "退出登录",
    "register": "注册账号", "password_change": "修改密码", "org_verified": "认证单位", "role_change": "角色变更",
    "broker_certified": "认证技术经纪人", "contract_registered": "技术合同认定登记", "contract_returned": "技术合同退回",
    "token_created": "创建API令牌", "token_revoked": "撤销API令牌", "admin_created": "创建管理员",
}
# Lockout: this many failed logins for one account (or from one address) within the window lock it for the window.
MAX_FAILED_PER_ACCOUNT = 5
MAX_FAILED_PER_IP = 30
WINDOW = timedelta(minutes=15)


def client_ip() -> str:
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:64]


def record(action: str, actor=None, subject: str = "", target=None, detail: str = "") -> AuditEvent:
    ev = AuditEvent(action=action, actor_id=getattr(actor, "id", None), subject=(subject or "")[:120],
                    target_type=type(target).__name__ if target is not None else "",
                    target_id=getattr(target, "id", None), ip=client_ip(), detail=(detail or "")[:2000],
                    created_at=utcnow())
    db.session.add(ev)
    return ev


def failed_logins(subject: str, ip: str) -> tuple[int, int]:
    since = utcnow() - WINDOW
    base = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_failed",
                                                              AuditEvent.created_at >= since)
    by_account = db.session.scalar(base.where(AuditEvent.subject == subject)) or 0
    by_ip = db.session.scalar(base.where(AuditEvent.ip == ip)) if ip else 0
    return by_account, by_ip or 0


def is_locked(subject: str) -> bool:
    by_account, by_ip = failed_logins(subject, client_ip())
    return by_account >= MAX_FAILED_PER_ACCOUNT or by_ip >= MAX_FAILED_PER_IP


def recent(action: str | None = None, limit: int = 300):
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return db.session.scalars(stmt).all()
