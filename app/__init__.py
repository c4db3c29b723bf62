"""永嘉科技大市场 — application factory."""
import os
from decimal import Decimal
from pathlib import Path

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import event

from app.extensions import bootstrap, csrf, db, login_manager, migrate
from config import BASE_DIR, CONFIGS


def create_app(config_class: type | None = None) -> Flask:
    """config_class defaults to APP_CONFIG from the environment: development (default), production or test."""
    if config_class is None:
        config_class = CONFIGS[os.environ.get("APP_CONFIG", "development")]
    app = Flask(__name__, template_folder=str(BASE_DIR / "templates"), static_folder=str(BASE_DIR / "static"),
                instance_path=str(BASE_DIR / "instance"))
    app.config.from_object(config_class)
    if hasattr(config_class, "check"):
        config_class.check()
    Path(app.instance_path).mkdir(exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    with app.app_context():
        _sqlite_transactions(db.engine)
        _postgres_settings(db.engine)

    from app import models  # noqa: F401  (register every model with the metadata)
    from app.accounts.cli import bp as accounts_cli
    from app.accounts.views import bp as accounts_bp
    from app.demo.cli import bp as demo_cli
    from app.home.views import bp as home_bp
    from app.listings.views import bp as listings_bp
    from app.matches.views import bp as matches_bp

    for bp in (home_bp, accounts_bp, listings_bp, accounts_cli, demo_cli, matches_bp):
        app.register_blueprint(bp)
    from app.brokers.views import bp as brokers_bp
    from app.deals.views import bp as deals_bp
    from app.inquiries.views import bp as inquiries_bp
    from app.notifications.views import bp as notifications_bp
    for bp in (brokers_bp, deals_bp, inquiries_bp, notifications_bp):
        app.register_blueprint(bp)
    from app.auctions.views import bp as auctions_bp
    from app.auctions.views import cli as auctions_cli
    from app.contracts.views import bp as contracts_bp
    from app.targets.views import bp as targets_bp
    for bp in (auctions_bp, auctions_cli, contracts_bp, targets_bp):
        app.register_blueprint(bp)
    from app.calls.views import bp as calls_bp
    from app.events.views import bp as events_bp
    for bp in (events_bp, calls_bp):
        app.register_blueprint(bp)

    from app.api import init_api
    from app.api.settings import bp as api_tokens_bp
    app.register_blueprint(api_tokens_bp)
    init_api(app)  # /api/v1: its own blueprints, token auth, rate limits, OpenAPI document

    from app import signals
    from tasks import celery_init_app
    celery_init_app(app)
    signals.listing_changed.connect(_matching_receiver, weak=False)
    signals.contract_registered.connect(_contract_registered, weak=False)

    from app.audit.views import bp as audit_bp
    from app.mail.views import bp as mail_bp
    from app.stats.views import bp as stats_bp
    app.register_blueprint(stats_bp)
    app.register_blueprint(mail_bp)
    from app.jobs.views import bp as jobs_bp
    from app.reports.views import bp as reports_bp
    from app.stats.broker_views import bp as broker_stats_bp
    for bp in (broker_stats_bp, reports_bp, jobs_bp):
        app.register_blueprint(bp)
    app.register_blueprint(audit_bp)

    from app import security
    security.init_app(app)
    from app import ops
    ops.init_app(app)  # /healthz, /readyz, request ids and JSON logs, `flask ops backup|restore`
    from app import pagecache
    pagecache.init_app(app)  # last: it wraps the whole WSGI app
    _register_filters(app)
    _register_errors(app)
    return app


def _matching_receiver(kind: str, listing_id: int, action: str) -> None:
    from app.matches.services import on_listing_changed
    if not on_listing_changed(kind, listing_id, action):
        flash("后台任务服务暂不可用，推荐结果已直接更新或将稍后更新。", "info")


def _contract_registered(contract_id: int, actor_id: int) -> None:
    """A registration changes the totals: audit it and have the summary tables recomputed."""
    from app.accounts.models import User
    from app.audit import services as audit
    from app.contracts.models import Contract
    c = db.session.get(Contract, contract_id)
    audit.record("contract_registered", actor=db.session.get(User, actor_id), subject=c.registration_number or "",
                 target=c, detail=f"{c.title}：{c.contract_amount_yuan}元")
    db.session.commit()
    from tasks import dispatch
    try:
        queued = dispatch("stats.recompute")
    except Exception:  # the periodic recompute catches up; never fail the registration the user just made
        db.session.rollback()
        queued = False
    if not queued:
        flash("后台任务服务暂不可用，统计数据将稍后更新。", "info")


@login_manager.user_loader
def _load_user(session_id: str):
    """The signed-in user for the session's id (User.get_id): signed out when the account was deactivated or its
    password changed since (the stamp no longer matches), or when the session predates stamps."""
    import hmac

    from app.accounts import identity
    user_id, _, stamp = session_id.partition(":")
    try:
        found = identity.user(int(user_id))
    except ValueError:
        return None
    if found is None or not found.is_active or not hmac.compare_digest(stamp, found.session_stamp()):
        return None
    return found


def _postgres_settings(engine) -> None:
    """Requests are short and every core is busy serving them: a parallel plan's extra processes cost more than they
    save (search under 32 connections: 91 → 139 req/s, bench/load.py). Bulk work asks for them back (SET LOCAL in
    stats.services.recompute_contract_stats)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _rec):
        with dbapi_conn.cursor() as cur:
            cur.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_conn.commit()


def _sqlite_transactions(engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN (SQLAlchemy SQLite docs)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _rec):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        # WAL: readers do not block the writer (gunicorn workers and in-process tasks share the file)
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def money(yuan: int | None, empty: str = "面议") -> str:
    """Integer 元 shown to people as 元/万元/亿元, exactly (no float rounding)."""
    if yuan is None:
        return empty
    d = Decimal(yuan)
    if abs(d) >= 100_000_000:
        return f"{(d / 100_000_000).quantize(Decimal('0.01')).normalize():f}亿元"
    if abs(d) >= 10_000:
        return f"{(d / 10_000).quantize(Decimal('0.01')).normalize():f}万元"
    return f"{yuan}元"


def _register_filters(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    from app import pageshell
    # a page kept for signed-in visitors has holes where each visitor's own parts go (app/pageshell.py)
    # (csrf_token also as a global: macros imported without context see only the globals)
    app.jinja_env.globals.update(personal=pageshell.personal, csrf_token=pageshell.csrf_token)

    @app.template_filter("date_cn")
    def date_cn(value):
        return value.strftime("%Y年%m月%d日") if value else ""

    @app.context_processor
    def _perm():
        from app.accounts import permissions
        from app.web import nav_menu
        # csrf_token: Flask-WTF's context processor (registered before this one) is overridden
        return {"perm": permissions, "nav_menu": nav_menu, "csrf_token": pageshell.csrf_token}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_errors(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from app.api import problems
    from app.api.problems import is_api_request
    from app.errors import DomainError

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        db.session.rollback()
        if is_api_request():
            return problems.from_domain_error(err)
        if _wants_json():
            return jsonify(error=err.message, fields=err.field_errors), err.status_code
        if err.status_code in (403, 404):
            return render_template("error.html", code=err.status_code, message=err.message), err.status_code
        flash(err.message, "danger")
        return redirect(request.referrer or url_for("home.index"))

    @app.errorhandler(CSRFError)
    def _csrf(err):
        msg = "表单已过期或缺少安全令牌，请刷新页面后重试"
        if _wants_json():
            return jsonify(error=msg), 400
        return render_template("error.html", code=400, message=msg), 400

    messages = {400: "请求有误", 401: "请先登录", 403: "您没有权限访问此页面", 404: "页面不存在",
                405: "不支持该请求方式", 500: "服务器出错了，请稍后再试"}
    for code, msg in messages.items():
        def handler(err, code=code, msg=msg):
            if code == 500:
                db.session.rollback()
            if is_api_request():
                return problems.from_http_exception(err)
            if code == 401 and not _wants_json():
                return redirect(url_for("accounts.login", next=request.full_path))
            if _wants_json():
                return jsonify(error=msg), code
            return render_template("error.html", code=code, message=msg), code
        app.register_error_handler(code, handler)

    @app.errorhandler(HTTPException)
    def _other_http(err):
        """Statuses without a page of their own (412, 422, 428, 429 …): problem+json under /api/v1, else as is."""
        if is_api_request():
            resp = problems.from_http_exception(err)
            if err.code == 429:
                from app.api import retry_after
                resp.headers["Retry-After"] = str(retry_after(app))
            return resp
        return err
