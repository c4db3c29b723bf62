"""A live app for the schemathesis run: its own SQLite database built by the migrations, the demo market loaded,
one API token per role written to a JSON file, served on 127.0.0.1 by werkzeug until the parent stops it.

python -m tests.api.live_server --dir DIR --port PORT   (run by tests/api/test_schemathesis.py)
"""
import argparse
import json
import os
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    work = Path(args.dir)

    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from app import create_app
    from config import TestConfig

    class LiveConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{work / 'live.sqlite3'}"
        MATCHING_INDEX_PATH = str(work / "matching.idx")
        # the fuzzer sends thousands of requests; the limits themselves are tested in test_rate_limit.py
        API_RATE_LIMIT_TOKEN = "1000000 per minute"
        API_RATE_LIMIT_ANON = "1000000 per minute"
        PROPAGATE_EXCEPTIONS = False  # a server error must reach the client as a 500, as in production

    app = create_app(LiveConfig)
    with app.app_context():
        from app.accounts.models import User
        from app.api import tokens
        from app.demo import loader
        from app.extensions import db
        from app.matches import services as matches

        upgrade()
        loader.load()
        db.session.commit()
        matches.rebuild_all()
        secrets = {}
        for role, email, *_ in loader.ACCOUNTS:
            user = db.session.scalar(select(User).where(User.email == email))
            secrets[role] = tokens.create(user, "schemathesis")[1]
        db.session.commit()
    (work / "tokens.json").write_text(json.dumps(secrets), encoding="utf-8")

    server = make_server("127.0.0.1", args.port, app, threaded=True)
    (work / "ready").write_text(str(os.getpid()), encoding="utf-8")
    server.serve_forever()


if __name__ == "__main__":
    main()
