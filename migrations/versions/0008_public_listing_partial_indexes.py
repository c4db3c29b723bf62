"""partial indexes for the public listings (PostgreSQL): counts and newest-first pages without a table scan

The home page's headline figures, the API's `total` and every browse page count the approved, visible listings
(`status = 'approved' AND hidden_stale_at IS NULL`). With 100,000 listings that is a sequential scan of the wide
needs/achievements tables per figure (60–80 ms each, bench/load.py); an index-only scan of these small partial
indexes takes about 6 ms and also serves the default order (published_at DESC, id DESC). budget_yuan is carried in
the needs index for the home page's budget sum. PostgreSQL only (partial + INCLUDE); on SQLite nothing changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PUBLIC = sa.text("status = 'approved' AND hidden_stale_at IS NULL")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_needs_public_published", "needs", ["published_at", "id"], unique=False,
                    postgresql_where=PUBLIC, postgresql_include=["budget_yuan"])
    op.create_index("ix_achievements_public_published", "achievements", ["published_at", "id"], unique=False,
                    postgresql_where=PUBLIC)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_achievements_public_published", table_name="achievements")
    op.drop_index("ix_needs_public_published", table_name="needs")
