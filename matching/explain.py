"""Explanations: the query terms that contributed most to a hit's score.

Word features and character-bigram features (``#密封``) are merged by their surface form; a term is folded into a
longer listed term that contains it (``密封`` into ``密封副``) and a bigram that is not a word itself (``封球`` from
密封球阀) is shown only through such a term, so the list reads like a person's reasons. A term counts as expanded
(came from the thesaurus) when every feature behind it was added by the expansion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .tokenize import display_term

if TYPE_CHECKING:  # pragma: no cover
    from .index import Matcher


def _terms_from_contributions(m: Matcher, feats: list[int], contrib: list[float], expanded: set[str],
                              n_terms: int) -> tuple[list[str], list[str]]:
    by_term: dict[str, float] = {}
    only_expanded: dict[str, bool] = {}
    for j, c in zip(feats, contrib, strict=True):
        feat = m._features[j]
        t = display_term(feat)
        by_term[t] = by_term.get(t, 0.0) + c
        only_expanded[t] = only_expanded.get(t, True) and feat in expanded
    kept: dict[str, float] = {}
    for t in sorted(by_term, key=lambda t: (-len(t), -by_term[t], t)):
        host = next((h for h in kept if t in h), None)
        if host is not None:
            kept[host] += by_term[t]
            only_expanded[host] = only_expanded[host] and only_expanded[t]
        elif t in m._vocab or len(t) != 2:
            kept[t] = by_term[t]
    if not kept:  # matched only through bigrams that are not words: show them rather than nothing
        kept = by_term
    terms = sorted(kept, key=lambda t: (-kept[t], t))[:n_terms]
    return terms, [t for t in terms if only_expanded[t]]


def explain_hits(m: Matcher, rows: np.ndarray, cols: np.ndarray, qw: np.ndarray, expanded: set[str],
                 n_terms: int = 5) -> dict[int, tuple[list[str], list[str]]]:
    """rows: sorted row numbers; cols/qw: the query's feature columns and weights. -> {row: (terms, expanded)}"""
    out: dict[int, tuple[list[str], list[str]]] = {}
    limit = 2 * n_terms  # only the strongest features can make the list
    for r in rows.tolist():
        rc, rv = m._row_vec(r)
        pos = np.searchsorted(rc, cols)
        pos[pos >= len(rc)] = 0
        hit = rc[pos] == cols if len(rc) else np.zeros(len(cols), bool)
        if not hit.any():
            out[r] = ([], [])
            continue
        contrib = rv[pos[hit]].astype(np.float64) * qw[hit]
        feats = cols[hit]
        if len(contrib) > limit:
            top = np.argpartition(-contrib, limit)[:limit]
            feats, contrib = feats[top], contrib[top]
        out[r] = _terms_from_contributions(m, feats.tolist(), contrib.tolist(), expanded, n_terms)
    return out
