"""word index for Chinese keyword search (PostgreSQL): a GIN index over the character grams of search_text

Search keeps its meaning (every jieba word of the query is a substring of search_text, checked with LIKE, the same
on both databases) but on PostgreSQL the LIKEs no longer scan the table. pg_trgm cannot help: most Chinese words
are two characters (阀门, 密封) and a trigram index cannot serve a pattern shorter than three. So yj_grams() gives
every single character and every pair of neighbouring characters of the text; a word is contained only if all its
pairs are (a 1-character word: that character), and `yj_grams(search_text) @> ARRAY[...]` is answered by the GIN
expression index; the LIKEs then recheck the few candidates. No column to keep in step: the index follows every
insert and update. The function is declared costly (it is: a row's grams take ~0.1 ms) so that the planner asks
the index rather than walking the newest-first index and computing grams row by row (300 ms for 球阀 in needs).
On SQLite nothing changes (a plain LIKE scan, fine for the embedded default).

bench/load.py (100,000 listings): search p95 3.1 s before this index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 04:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION yj_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM (
    SELECT substr(t, i, 2) AS g FROM generate_series(1, char_length(t) - 1) AS i
    UNION ALL
    SELECT substr(t, i, 1) FROM generate_series(1, char_length(t)) AS i
  ) grams WHERE g !~ '\s'
$$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GRAMS_FUNCTION)
    op.execute("CREATE INDEX ix_needs_search_grams ON needs USING gin (yj_grams(search_text))")
    op.execute("CREATE INDEX ix_achievements_search_grams ON achievements USING gin (yj_grams(search_text))")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_achievements_search_grams")
    op.execute("DROP INDEX ix_needs_search_grams")
    op.execute("DROP FUNCTION yj_grams(text)")
