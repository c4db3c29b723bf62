"""A real Celery worker on Redis does the matching work that a page action queues."""
from sqlalchemy import func, select

from app.extensions import db
from app.listings import services as listings
from app.matches.models import Match
from tests.conftest import make_listing, make_user
from tests.integration.conftest import wait_for


def test_approval_is_processed_by_the_worker(stack):
    app = stack["app"]
    with app.app_context():
        uni = make_user("university")
        ent = make_user("enterprise")
        bureau = make_user("bureau")
        make_listing("achievement", uni, title="金属硬密封球阀", abstract="激光熔覆密封面，球阀泄漏等级达到VI级。")
        need = make_listing("need", ent, "pending", title="球阀内漏", description="球阀关不严一直漏，需要改进密封面。")
        db.session.commit()
        listings.approve(bureau, need)
        db.session.commit()
        need_id = need.id
        from app.matches.services import on_listing_changed
        on_listing_changed("need", need_id, "approve")  # queues matching.refresh_listing on Redis

        # the web process did not do the work itself: nothing yet, until the worker picks it up
        def done():
            db.session.rollback()
            return db.session.scalar(select(func.count()).select_from(Match).where(Match.need_id == need_id)) > 0

        assert wait_for(done), stack["log"].read_text()[-3000:]
    assert "matching.refresh_listing" in stack["log"].read_text()
