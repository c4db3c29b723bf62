"""Who may do what (design.md §2). Every service calls these; templates only use them to hide buttons."""
from app.errors import PermissionDenied

LISTING_ROLES = {"need": {"enterprise"}, "achievement": {"university", "institute"}}
ORG_KINDS_FOR = {"need": {"enterprise"}, "achievement": {"university", "institute"}}


def is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_bureau(user) -> bool:
    return is_authenticated(user) and user.role in ("bureau", "admin")


def can_post(user, kind: str) -> bool:
    return (
        is_authenticated(user)
        and user.role in LISTING_ROLES[kind]
        and user.organization is not None
        and user.organization.kind in ORG_KINDS_FOR[kind]
    )


def owns(user, listing) -> bool:
    return is_authenticated(user) and user.organization_id is not None and user.organization_id == listing.organization_id


def can_view(user, listing) -> bool:
    return listing.is_public or owns(user, listing) or is_bureau(user)


def can_see_confidential(user, listing) -> bool:
    """The confidential part of an achievement and its owner's contact details: the owner, the bureau, and an
    enterprise whose inquiry about this achievement the owner accepted. Nobody else, on any page."""
    if owns(user, listing) or is_bureau(user):
        return True
    if getattr(listing, "kind", None) != "achievement" or not is_authenticated(user):
        return False
    from app.inquiries.services import has_accepted_inquiry
    return has_accepted_inquiry(user.organization_id, listing.id)


def require(condition: bool, message: str = "您没有权限执行此操作") -> None:
    if not condition:
        raise PermissionDenied(message)


def require_post(user, kind: str) -> None:
    who = "企业用户" if kind == "need" else "高校或科研院所用户"
    require(can_post(user, kind), f"只有{who}可以发布{'技术需求' if kind == 'need' else '科技成果'}")


def require_owner(user, listing) -> None:
    require(owns(user, listing) and can_post(user, listing.kind), "只能管理本单位发布的信息")


def require_bureau(user) -> None:
    require(is_bureau(user), "只有科技局工作人员可以执行此操作")
