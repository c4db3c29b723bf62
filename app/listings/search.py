"""Keyword search for Chinese text that behaves the same on SQLite and PostgreSQL.

The query is cut into words with jieba; a listing matches when its search_text contains every word of it anywhere
(球阀 finds 金属硬密封球阀; 阀门密封 finds a text with 阀门 … 密封; the whole query is then contained too, since
each word is a piece of it). LIKE works on both databases. On PostgreSQL the words' character grams are also asked
of the GIN index over yj_grams(search_text) (migration 0010), so the LIKEs only recheck candidates instead of
scanning every listing.
"""
import logging
import re

import jieba
from sqlalchemy import Text, and_, cast, func
from sqlalchemy.dialects import postgresql

jieba.setLogLevel(logging.WARNING)

# Words that carry no meaning for a search; dropping them keeps 的/和 from matching everything.
_STOP = set("的 了 和 与 及 或 在 是 有 对 等 为 把 被 个 中 上 下 我 我们 公司 需要 一种 一个 进行".split())
_SPLIT = re.compile(r"[\s,，、;；。.!！?？:：/|()（）\[\]【】\"'“”‘’]+")
MAX_QUERY = 100


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def terms(query: str) -> list[str]:
    query = (query or "").strip().lower()[:MAX_QUERY]
    out: list[str] = []
    for chunk in _SPLIT.split(query):
        if not chunk:
            continue
        for w in jieba.cut(chunk):
            w = w.strip()
            if w and w not in _STOP and w not in out:
                out.append(w)
    return out


def grams(words: list[str]) -> list[str]:
    """The character grams every text containing all `words` must have: the pairs of each word (a 1-character word:
    itself), as yj_grams() makes them in migration 0010."""
    out: list[str] = []
    for w in words:
        for g in ([w] if len(w) == 1 else [w[i:i + 2] for i in range(len(w) - 1)]):
            if g not in out:
                out.append(g)
    return out


def keyword_condition(column, query: str, dialect: str = "sqlite"):
    """SQL condition for `column` (lower-cased search_text) matching `query`; None when the query has no words.
    With dialect "postgresql" the condition also names the indexed grams, so the GIN index finds the candidates."""
    words = terms(query)
    if not words:
        return None
    conds = [column.like(f"%{_escape_like(w)}%", escape="\\") for w in words]
    if dialect == "postgresql":
        conds.insert(0, func.yj_grams(column).op("@>")(cast(postgresql.array(grams(words)), postgresql.ARRAY(Text))))
    return and_(*conds)
