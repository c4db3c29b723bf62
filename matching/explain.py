"""Explanations: the query terms that contributed most to a hit's score.

Word features and character-bigram features (``#密封``) are merged by their surface form; a term is folded into a
longer listed term that contains it (``密封`` into ``密封副``) and a bigram that is not a word itself (``封球`` from
密封球阀) is shown only through such a term, so the list reads like a person's reasons. A term counts as expanded
(came from the thesaurus) when every feature behind it was added by the expansion.

The contributions of all hits are computed in one vectorised gather over their rows (``Matcher._row_products``);
only the final merge of at most ``2 * n_terms`` features per hit is Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .tokenize import display_term

if TYPE_CHECKING:  # pragma: no cover
    from .index import Matcher, _Query


def _merge(vocab, feats: list[tuple[str, bool, float]], n_terms: int) -> tuple[list[str], list[str]]:
    """feats: (display term, feature came from the thesaurus, contribution)."""
    by_term: dict[str, float] = {}
    only_expanded: dict[str, bool] = {}
    for t, exp, c in feats:
        by_term[t] = by_term.get(t, 0.0) + c
        only_expanded[t] = only_expanded.get(t, True) and exp
    kept: dict[str, float] = {}
    for t in sorted(by_term, key=lambda t: (-len(t), -by_term[t], t)):
        host = next((h for h in kept if t in h), None)
        if host is not None:
            kept[host] += by_term[t]
            only_expanded[host] = only_expanded[host] and only_expanded[t]
        elif t in vocab or len(t) != 2:
            kept[t] = by_term[t]
    if not kept:  # matched only through bigrams that are not words: show them rather than nothing
        kept = by_term
    terms = sorted(kept, key=lambda t: (-kept[t], t))[:n_terms]
    return terms, [t for t in terms if only_expanded[t]]


def explain_rows(m: Matcher, rows: np.ndarray, q: _Query, n_terms: int = 5) -> list[tuple[list[str], list[str]]]:
    """For each row (in the given order): (terms, expanded terms) of the query ``q``."""
    if len(rows) == 0:
        return []
    rid, qpos, contrib = m._row_products(rows, q.cols, q.qw)
    disp = [display_term(t) for t in q.terms]
    exp = [t in q.expanded for t in q.terms]
    limit = 2 * n_terms  # only the strongest features can make the list
    counts = np.bincount(rid, minlength=len(rows))
    order = np.argsort(rid, kind="stable")
    qpos, contrib = qpos[order], contrib[order]
    out = []
    start = 0
    vocab = m._vocab
    for n in counts.tolist():
        if n == 0:
            out.append(([], []))
            continue
        p, c = qpos[start:start + n], contrib[start:start + n]
        start += n
        if n > limit:
            top = np.argpartition(-c, limit)[:limit]
            p, c = p[top], c[top]
        out.append(_merge(vocab, [(disp[i], exp[i], x) for i, x in zip(p.tolist(), c.tolist(), strict=True)],
                          n_terms))
    return out
