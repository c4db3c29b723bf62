"""Operations: health and readiness probes, structured request logs, database backup and restore (`flask ops`).

create_app calls init_app(app) once; see README → Operations.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from app.ops import logs
    from app.ops.cli import bp as cli_bp
    from app.ops.views import bp

    logs.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(cli_bp)
