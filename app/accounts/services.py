"""Registration, authentication, password change, organization verification."""
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import permissions as perm
from app.accounts.models import ROLE_FOR_ORG_KIND, Organization, User
from app.errors import InvalidTransition, ValidationError
from app.extensions import db
from app.models_base import utcnow


def hash_password(pw: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(pw, method=method)


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def register(data: dict) -> User:
    """A new user together with the organization they represent (not verified yet)."""
    email = data["email"].strip().lower()
    errors = {}
    if find_user(email) is not None:
        errors["email"] = "该邮箱已注册，请直接登录"
    if db.session.scalar(select(Organization).where(Organization.credit_code == data["credit_code"])):
        errors["credit_code"] = "该统一社会信用代码已注册，请联系本单位已注册的用户"
    if db.session.scalar(select(Organization).where(func.lower(Organization.name) == data["org_name"].strip().lower())):
        errors["org_name"] = "该单位名称已注册"
    if data["org_kind"] not in ROLE_FOR_ORG_KIND or data["org_kind"] == "service_agency":
        errors["org_kind"] = "请选择企业、高校或科研院所"
    if errors:
        raise ValidationError("注册信息有误", errors)
    org = Organization(name=data["org_name"].strip(), kind=data["org_kind"], credit_code=data["credit_code"],
                       town_code=data.get("town_code") or None, region=data.get("region") or "浙江省温州市永嘉县",
                       industry_code=data.get("industry_code") or None, contact_person=data["name"].strip(),
                       contact_phone=data.get("phone") or "", description=data.get("description") or "")
    user = User(email=email, name=data["name"].strip(), phone=data.get("phone") or "",
                password_hash=hash_password(data["password"]), role=ROLE_FOR_ORG_KIND[data["org_kind"]],
                organization=org)
    db.session.add_all([org, user])
    db.session.flush()
    return user


class LockedOut(ValidationError):
    def __init__(self):
        super().__init__("登录失败次数过多，请15分钟后再试")


def authenticate(email: str, password: str) -> User | None:
    """The user, or None for a wrong e-mail/password. Raises LockedOut after too many failures (audit log)."""
    from app.audit import services as audit
    subject = (email or "").strip().lower()[:120]
    if audit.is_locked(subject):
        audit.record("login_locked", subject=subject)
        raise LockedOut()
    user = find_user(subject)
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password or ""):
        audit.record("login_failed", subject=subject, target=user)
        return None
    user.last_login_at = utcnow()
    audit.record("login_success", actor=user, subject=subject)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ValidationError("当前密码不正确", {"current": "当前密码不正确"})
    user.password_hash = hash_password(new)
    from app.audit import services as audit
    audit.record("password_change", actor=user, subject=user.email)


def verify_organization(actor, org: Organization) -> None:
    perm.require_bureau(actor)
    if org.verified_at is not None:
        raise InvalidTransition("该单位已认证")
    org.verified_at = utcnow()
    org.verified_by_id = actor.id
    from app.audit import services as audit
    audit.record("org_verified", actor=actor, subject=org.name, target=org)


BUREAU_ORG = {"name": "永嘉县科学技术局", "kind": "government", "credit_code": "11330324002596888X"}


def bureau_organization() -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.kind == "government"))
    if org is None:
        org = Organization(name=BUREAU_ORG["name"], kind="government", credit_code=BUREAU_ORG["credit_code"],
                           town_code=None, region="浙江省温州市永嘉县", verified_at=utcnow())
        db.session.add(org)
    return org


def create_staff(email: str, name: str, password: str, role: str = "bureau") -> User:
    if find_user(email):
        raise ValidationError("该邮箱已注册", {"email": "该邮箱已注册"})
    user = User(email=email.strip().lower(), name=name, password_hash=hash_password(password), role=role,
                organization=bureau_organization())
    db.session.add(user)
    db.session.flush()
    from app.audit import services as audit
    audit.record("admin_created", actor=user, subject=user.email, target=user, detail=role)
    return user
