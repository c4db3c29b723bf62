"""Who is signed in, without a database round trip on every request.

Every page a signed-in user opened loaded their user row first (Flask-Login's user loader), every API call its token
and user rows: with the pool's ping and the closing rollback, two to four PostgreSQL round trips before the page did
anything, most of what the cockpit and the API cost under load (bench/load.py).

Here each process keeps the column values of the rows it loaded (plain values, never an ORM object shared between
requests or threads) and gives a request its own instance made from them, attached to the request's session without
SQL (make_transient_to_detached): relationships still load lazily, changes still flush. A copy is trusted only while
the "accounts" generation is the one it was loaded under. Every commit that changes a user or an API token bumps that
generation (app/pagecache.WATCHED), and a request takes its current value (pagecache.generation_now: pushed to each
process by Redis, else read from it), never one up to a second old: a role change, a new password or a revoked token
holds on every process from the next request.
Generation unreadable (Redis down) or the page cache off (tests) → the database, as before.
"""
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import joinedload, make_transient_to_detached

from app import pagecache
from app.extensions import db

GENERATION = "accounts"
MAX_ENTRIES = 10_000


def copies() -> pagecache.KeptCopies:
    return pagecache.kept("identity", MAX_ENTRIES)


def values_of(obj) -> dict:
    """The loaded column values of a persistent instance (what a query would fill in). Users and tokens have only
    immutable values (str, int, bool, datetime): the instances made from one copy cannot change it in place."""
    mapper = sa_inspect(obj).mapper
    return {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}


def attach(model, values: dict):
    """The request session's instance of the row with these values: the one already in the session if any, else a
    new instance made persistent without SQL."""
    session = db.session
    key = sa_inspect(model).identity_key_from_primary_key([values[c.key] for c in sa_inspect(model).primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    obj = sa_inspect(model).class_manager.new_instance()  # as a query makes it: no constructor, no change events
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def user(user_id: int):
    """The user with this id (Flask-Login's user loader), or None."""
    from app.accounts.models import User
    generation = pagecache.generation_now(GENERATION)
    if generation is None:
        return db.session.get(User, user_id)
    values = copies().get(generation, ("user", user_id))
    if values is not None:
        return attach(User, values)
    found = db.session.get(User, user_id)
    if found is not None:
        copies().put(generation, ("user", user_id), values_of(found))
    return found


def token_and_user(token_hash: str):
    """(token, its user) for a token hash, or (None, None). Revoked tokens and inactive users are the caller's to
    refuse: what is kept here is the rows as they are."""
    from app.accounts.models import User
    from app.api.models import ApiToken
    generation = pagecache.generation_now(GENERATION)
    if generation is not None:
        hit = copies().get(generation, ("token", token_hash))
        if hit is not None:
            token_values, user_values = hit
            owner = attach(User, user_values)
            return attach(ApiToken, token_values), owner  # token.user: from the session's identity map, no SQL
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash)
                              .options(joinedload(ApiToken.user)))  # one query, not two
    if token is None:
        return None, None  # unknown secrets are not kept: guessing must not fill the memory
    if generation is not None:
        copies().put(generation, ("token", token_hash), (values_of(token), values_of(token.user)))
    return token, token.user


def token_touched(token) -> None:
    """The token's last use was just written: keep this process's copy in step, so that it does not write again on
    every request (that column alone bumps no generation, app/pagecache.UNWATCHED_COLUMNS)."""
    generation = pagecache.generation_now(GENERATION)
    if generation is None:
        return
    hit = copies().get(generation, ("token", token.token_hash))
    if hit is not None:
        copies().put(generation, ("token", token.token_hash), (values_of(token), hit[1]))
