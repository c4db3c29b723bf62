"""Pages kept for signed-in visitors: rendered once per kind of user and address, with holes for what is personal.

The public page cache (app/pagecache.py) never serves a signed-in visitor, whose page carries their name, their
unread messages, CSRF tokens and flashed messages. Yet on a browse page or the bureau's cockpit that is all that is
personal: the rest is alike for everyone who sees the same menu. A view decorated with @kept_for_signed_in is
rendered once with markers where those personal parts go (see `personal`), kept per process under the generations it
depends on and the site menu's key (app/web.menu_key: role and what the menu offers), and each request only fills
the markers in. A kept page is valid at most PUBLIC_PAGE_CACHE_SECONDS, like every kept copy, and not at all when
the page cache is off (then the view renders each time, as in tests that turn it off).

Markers carry a random per-process nonce inside an HTML comment: the page's own text is escaped by Jinja, so no
listing can contain one.
"""
import re
import secrets
from functools import wraps

from flask import current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app import pagecache
from app.web import menu_key

_NONCE = secrets.token_hex(8)
SHELL_MAX = 256  # kept pages per process (a browse page is about 30 kB)


def _unread() -> Markup:
    from app.notifications.services import unread_count
    n = unread_count(current_user)
    return Markup(' <span class="badge bg-danger unread-badge">{}</span>').format(n) if n else Markup("")


def _flashes() -> Markup:
    if "_flashes" not in session:  # the usual case: no template to render
        return Markup("")
    return Markup(render_template("_flashes.html"))


def _csrf() -> str:
    """generate_csrf(), but a token signed for the same session in the last PUBLIC_PAGE_CACHE_SECONDS is handed out
    again: signing (JSON, HMAC, base64) was a twentieth of a kept page's time, and Flask-WTF tokens stay valid for
    WTF_CSRF_TIME_LIMIT and are not single-use."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed = pagecache.kept("signed_csrf_tokens", 10_000)  # raw token (in the session) -> signed token
    raw = session.get(field)
    token = signed.get(None, raw) if raw else None
    if token is not None:
        setattr(g, field, token)  # as generate_csrf keeps it for the rest of the request
        return token
    token = generate_csrf()
    if session.get(field):  # (absent when this request's token came from g, not from this session)
        signed.put(None, session[field], token)
    return token


# The personal parts of a page, each computed per request.
FILL = {
    "who": lambda: escape(f"{current_user.name}（{current_user.role_label}）"),
    "unread": _unread,
    "csrf": lambda: escape(_csrf()),
    "flashes": _flashes,
}


def _marker(name: str) -> str:
    return f"<!--hole:{_NONCE}:{name}-->"


def personal(name: str) -> Markup:
    """A personal part of a page (template global): its value, or its marker while a page is rendered to be kept."""
    if g.get("_pageshell_rendering"):
        return Markup(_marker(name))
    return FILL[name]()


def csrf_token() -> Markup:
    """The `csrf_token()` of templates: a hole in a kept page (each visitor's session has its own token)."""
    return personal("csrf")


_MARKERS = re.compile(f"<!--hole:{_NONCE}:([a-z]+)-->")


def _split(body: str) -> list[str]:
    """The page cut at its markers: text, hole name, text, hole name, …, text."""
    return _MARKERS.split(body)


def _fill(parts: list[str]) -> str:
    values = {}  # a hole that occurs twice (a CSRF token in two forms) is computed once
    for name in parts[1::2]:
        if name not in values:
            values[name] = str(FILL[name]())
    return "".join(values[p] if i % 2 else p for i, p in enumerate(parts))


def kept_for_signed_in(*generations: str, vary=None):
    """View decorator: keep the page for signed-in GET requests while `generations` are unchanged. vary: a function
    giving whatever else the page depends on besides the address and the menu (e.g. today's date)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            cache = current_app.extensions.get("pagecache")
            if (cache is None or current_app.debug or request.method != "GET"
                    or not current_user.is_authenticated):
                return view(*args, **kwargs)
            gens = tuple(cache.current_generation(name) for name in generations)
            if None in gens:  # generations unreadable: no kept copy can be trusted
                return view(*args, **kwargs)
            key = (request.endpoint, request.script_root, request.path, request.query_string, menu_key(),
                   vary() if vary else None)
            kept = pagecache.kept("page_shells", SHELL_MAX)
            hit = kept.get(gens, key)
            if hit is not None:
                parts, mimetype = hit
                return current_app.response_class(_fill(parts), mimetype=mimetype)
            g._pageshell_rendering = True
            try:
                resp = current_app.make_response(view(*args, **kwargs))
            finally:
                g._pageshell_rendering = False
            if resp.mimetype != "text/html" or resp.direct_passthrough:
                return resp  # a file or data: no holes
            body = resp.get_data(as_text=True)
            parts = _split(body)
            # a form built with WTForms puts this visitor's own token in the page (not a hole): never kept
            own_token = g.get("csrf_token")
            if resp.status_code == 200 and not (own_token and own_token in body):  # no error page either
                kept.put(gens, key, (parts, resp.mimetype))
            resp.set_data(_fill(parts))
            return resp
        return wrapper
    return decorate
