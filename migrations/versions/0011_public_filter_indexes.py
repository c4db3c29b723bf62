"""covering partial indexes for the public browse filters (PostgreSQL): counts and sorted pages without the wide rows

A filter that keeps a large share of the listings (成熟度 中试 keeps about a third) made PostgreSQL read the whole
needs/achievements heap — titles, abstracts, search text — to count and to sort: about 40 ms a query at 100,000
listings (bench/load.py). These indexes hold only what the browse filters and sorts name, for the public rows only,
so the count and the page's ids come from an index-only scan (app/listings/queries.IdFirstPagination), and only the
20 rows shown are read. PostgreSQL only (partial + INCLUDE); on SQLite nothing changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 05:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

PUBLIC = sa.text("status = 'approved' AND hidden_stale_at IS NULL")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_needs_public_filter", "needs", ["industry_code", "town_code"], unique=False,
                    postgresql_where=PUBLIC,
                    postgresql_include=["cooperation_mode", "budget_yuan", "deadline", "published_at", "id"])
    op.create_index("ix_achievements_public_filter", "achievements", ["industry_code", "maturity", "transfer_mode"],
                    unique=False, postgresql_where=PUBLIC, postgresql_include=["price_yuan", "published_at", "id"])


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_achievements_public_filter", table_name="achievements")
    op.drop_index("ix_needs_public_filter", table_name="needs")
