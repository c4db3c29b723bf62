"""Small helpers shared by the page views."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination

from app.errors import DomainError

PER_PAGE = 50


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination for a statement that selects several things per row (an entity and a figure):
    the page's items are the rows, not only their first column."""

    def _query_items(self) -> list:
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(stmt).all())


def _page_number(arg: str) -> int:
    return max(1, request.args.get(arg, 1, type=int) or 1)


def paginate(stmt, page_arg: str = "page", per_page: int = PER_PAGE, total: int | None = None):
    """The page of `stmt` a list page shows: its number from ?page_arg= (past the end: an empty page, not an
    error), PER_PAGE rows. `total`, when the view has counted the rows already, saves the count query."""
    from app.extensions import db
    p = db.paginate(stmt, page=_page_number(page_arg), per_page=per_page, max_per_page=per_page, error_out=False,
                    count=total is None)
    if total is not None:
        p.total = total
    return p


def paginate_rows(stmt, per_page: int = PER_PAGE) -> RowPagination:
    """paginate() for a statement selecting an entity and a figure per row."""
    from app.extensions import db
    return RowPagination(select=stmt, session=db.session, page=_page_number("page"), per_page=per_page,
                         error_out=False)


def field_errors_to_form(form, err: DomainError) -> None:
    for name, message in err.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
    if not err.field_errors or not any(hasattr(form, n) for n in err.field_errors):
        flash(err.message, "danger")


def _commit(call, refused):
    """Run a service call and commit. On a DomainError roll back; permission and not-found errors go on to the
    error pages, other refusals to `refused(err)`. Returns (result, True) or (None, False)."""
    from app.extensions import db
    try:
        result = call()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status_code in (403, 404):
            raise
        refused(err)
        return None, False
    return result, True


def commit_or_show(form, call):
    """_commit, with a refusal's messages put on the form."""
    return _commit(call, lambda err: field_errors_to_form(form, err))


def commit_or_flash(call, conflict_category: str = "warning"):
    """_commit, for a post without a form to show the refusal on: it is flashed (bad input as danger, a refused
    transition as `conflict_category`)."""
    return _commit(call, lambda err: flash(err.message, "danger" if err.status_code == 400 else conflict_category))


def safe_next(default_endpoint: str = "home.index") -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    # only same-site paths: never redirect to another host
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return url_for(default_endpoint)


def back(default_endpoint: str = "home.index", **values):
    ref = request.referrer or ""
    parts = urlsplit(ref)
    if parts.netloc == request.host:
        return redirect(parts.path + (f"?{parts.query}" if parts.query else ""))
    return redirect(url_for(default_endpoint, **values))


def login_required_or_401():
    if not current_user.is_authenticated:
        abort(401)


def _menu() -> tuple[tuple, dict]:
    """The site menu's key and what it shows for the current user. What a user may post reads their organization:
    that is kept per user while neither the accounts nor the units change (the generations read this request anyway,
    pagecache.generation_now), so a kept page (app/pageshell.py) costs no query for it."""
    from app import pagecache
    from app.accounts import permissions as perm
    user = current_user._get_current_object()
    signed_in = perm.is_authenticated(user)
    gens = (pagecache.generation_now("accounts"), pagecache.generation_now("public")) if signed_in else (None,)
    kept = pagecache.kept("menu_of_user", 10_000) if None not in gens else None
    m = kept.get(gens, user.id) if kept is not None else None
    if m is None:
        bureau = signed_in and perm.is_bureau(user)
        work = signed_in and not bureau
        m = {"signed_in": signed_in, "bureau": bureau, "role": user.role if work else None,
             "post_need": work and perm.can_post(user, "need"),
             "post_achievement": work and perm.can_post(user, "achievement"),
             "broker_id": user.id if work and user.role == "broker" else None}
        if kept is not None:
            kept.put(gens, user.id, m)
    return (request.script_root, *sorted(m.items())), m  # its links are paths: the Host header plays no part


def menu_key() -> tuple:
    """What the site menu depends on: the kind of user (role, what they may post, a broker's own link)."""
    return _menu()[0]


def nav_menu():
    """The site menu (templates/_nav_menu.html) for the current user's kind: rendered once per kind and process, as it
    is on every page and is mostly links (dozens of url_for). Its key is everything it shows."""
    from flask import current_app, render_template
    from markupsafe import Markup

    from app import pagecache
    key, m = _menu()
    kept = pagecache.kept("nav_menu", 5_000)
    html = None if current_app.debug else kept.get(None, key)  # debug reloads templates: render each time
    if html is None:
        html = Markup(render_template("_nav_menu.html", m=m))
        kept.put(None, key, html)
    return html
