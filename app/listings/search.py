"""Keyword search for Chinese text that behaves the same on SQLite and PostgreSQL.

The query is cut into words with jieba; a listing matches when its search_text contains the whole query, or every
word of it anywhere (球阀 finds 金属硬密封球阀; 阀门密封 finds a text with 阀门 … 密封). LIKE works on both databases.
"""
import logging
import re

import jieba
from sqlalchemy import and_, or_

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


def keyword_condition(column, query: str):
    """SQL condition for `column` (lower-cased text) matching `query`; None when the query has no words."""
    words = terms(query)
    if not words:
        return None
    whole = (query or "").strip().lower()[:MAX_QUERY]
    all_words = and_(*[column.like(f"%{_escape_like(w)}%", escape="\\") for w in words])
    return or_(column.like(f"%{_escape_like(whole)}%", escape="\\"), all_words)
