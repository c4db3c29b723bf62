"""Evaluation against graded relevance judgements, for our engine and two baselines in the same run.

Metrics (relevant = grade >= 1; queries without any relevant document in the qrels are skipped and counted):
P@5, Recall@10, MRR (reciprocal rank of the first relevant document within the top 10), nDCG@10 with linear gain
(= grade) and log2 discount.

Baselines:
* ``tfidf``: plain jieba (default dictionary, no domain words, no thesaurus, no boosts) + scikit-learn
  ``TfidfVectorizer(sublinear_tf=True)`` cosine over title + keywords + description.
* ``bm25``: the ``bm25s`` package (Lucene BM25, k1=1.5, b=0.75) on default-jieba ``cut_for_search`` tokens.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .index import Document, Matcher

_WORDY = re.compile(r"\w", re.U)


# ---------------------------------------------------------------------------------------------- reading
def read_jsonl(path: str) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{path}:{n}: skipped, not JSON ({e.msg})", file=sys.stderr)
                continue
            if isinstance(rec, dict):
                out.append(rec)
            else:
                print(f"{path}:{n}: skipped, not a JSON object", file=sys.stderr)
    return out


def record_to_document(rec: dict, kind: str) -> Document:
    """A JSON record -> Document. ``id`` (or ``query_id``), ``title``, ``description`` (or ``text`` / ``abstract``),
    optional ``keywords`` (list or string), ``industry``, ``kind``; other fields go to attrs."""
    rid = rec.get("query_id", rec.get("id"))
    kw = rec.get("keywords") or []
    if isinstance(kw, str):
        kw = [k for k in re.split(r"[,，、;；\s]+", kw) if k]
    desc = rec.get("description")
    if desc is None:
        desc = rec.get("text", rec.get("abstract", ""))
    rk = rec.get("kind")
    attrs = {k: rec[k] for k in ("maturity", "town", "price_yuan", "budget_yuan") if k in rec}
    return Document(
        id=str(rid), kind=rk if rk in ("need", "achievement") else kind,
        title=_s(rec.get("title")), description=_s(desc), keywords=[_s(k) for k in kw if k],
        industry=_s(rec.get("industry")) or None, attrs=attrs,
    )


def _s(x) -> str:
    if x is None:
        return ""
    return x if isinstance(x, str) else str(x)


def load_documents(path: str, kind: str) -> list[Document]:
    docs = []
    for i, rec in enumerate(read_jsonl(path)):
        if rec.get("query_id", rec.get("id")) is None:
            print(f"{path}: record {i + 1} has no id, skipped", file=sys.stderr)
            continue
        docs.append(record_to_document(rec, kind))
    return docs


def doc_text(d: Document) -> str:
    return " ".join(x for x in (d.title, " ".join(d.keywords), d.description) if x)


def read_qrels(path: str) -> dict[str, dict[str, int]]:
    """``query_id<TAB>doc_id<TAB>grade`` lines; a header line (non-numeric grade) and blank lines are skipped."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                parts = line.split()
            if len(parts) < 3:
                continue
            try:
                g = int(float(parts[2]))
            except ValueError:
                continue  # header
            qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = g
    return qrels


# ---------------------------------------------------------------------------------------------- metrics
def query_metrics(ranked: list[str], judged: dict[str, int], k: int = 10) -> dict[str, float]:
    rel = {d for d, g in judged.items() if g >= 1}
    top = ranked[:k]
    p5 = sum(1 for d in ranked[:5] if d in rel) / 5.0
    r10 = sum(1 for d in top if d in rel) / len(rel)
    mrr = 0.0
    for i, d in enumerate(top):
        if d in rel:
            mrr = 1.0 / (i + 1)
            break
    dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return {"P@5": p5, "Recall@10": r10, "MRR": mrr, "nDCG@10": dcg / idcg if idcg else 0.0}


def mean_metrics(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> dict:
    per = [query_metrics(rankings.get(q, []), j, k) for q, j in qrels.items() if any(g >= 1 for g in j.values())]
    if not per:
        return {"P@5": 0.0, "Recall@10": 0.0, "MRR": 0.0, "nDCG@10": 0.0, "queries": 0}
    out = {m: round(float(np.mean([p[m] for p in per])), 4) for m in per[0]}
    out["queries"] = len(per)
    return out


# ---------------------------------------------------------------------------------------------- systems
@dataclass
class System:
    name: str
    rank: Callable[[list[Document], int], dict[str, list[str]]]


def ours_system(corpus: list[Document], kind: str | None = None, **config) -> System:
    m = Matcher.build(corpus, **config)

    def rank(queries, k):
        return {q.id: [h.id for h in m.search(q, k=k, kind=kind)] for q in queries}

    return System("ours", rank)


def _plain_jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


def tfidf_system(corpus: list[Document]) -> System:
    from sklearn.feature_extraction.text import TfidfVectorizer

    tk = _plain_jieba()

    def analyzer(text: str) -> list[str]:
        return [w.lower() for w in tk.lcut(text) if _WORDY.search(w)]

    vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)
    X = vec.fit_transform([doc_text(d) for d in corpus])
    ids = np.array([d.id for d in corpus])

    def rank(queries, k):
        out = {}
        Q = vec.transform([doc_text(q) for q in queries])
        S = (Q @ X.T).tocsr()
        for i, q in enumerate(queries):
            row = S.getrow(i)
            if row.nnz == 0:
                out[q.id] = []
                continue
            order = np.argsort(-row.data, kind="stable")[:k]
            out[q.id] = [str(x) for x in ids[row.indices[order]] if x != q.id][:k]
        return out

    return System("tfidf", rank)


def bm25_system(corpus: list[Document]) -> System:
    import bm25s

    tk = _plain_jieba()

    def toks(text: str) -> list[str]:
        return [w.lower() for w in tk.lcut_for_search(text) if _WORDY.search(w)]

    corpus_tokens = [toks(doc_text(d)) or ["\x00empty"] for d in corpus]
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    vocab = retriever.vocab_dict
    ids = [d.id for d in corpus]

    def rank(queries, k):
        out = {}
        kk = min(k + 1, len(ids))
        for q in queries:
            qt = [t for t in toks(doc_text(q)) if t in vocab]
            if not qt:
                out[q.id] = []
                continue
            docs, scores = retriever.retrieve([qt], k=kk, show_progress=False)
            out[q.id] = [ids[j] for j, s in zip(docs[0], scores[0], strict=True) if s > 0 and ids[j] != q.id][:k]
        return out

    return System("bm25", rank)


def evaluate(corpus: list[Document], queries: list[Document], qrels: dict[str, dict[str, int]],
             k: int = 10, systems: Iterable[str] = ("ours", "tfidf", "bm25"), kind: str | None = None,
             **config) -> dict:
    """Metrics per system, plus differences of ours against each baseline."""
    corpus = [d for d in corpus if doc_text(d).strip()]
    judged_queries = [q for q in queries if q.id in qrels]
    makers = {"ours": lambda c: ours_system(c, kind=kind, **config), "tfidf": tfidf_system, "bm25": bm25_system}
    results = {}
    for name in systems:
        sysm = makers[name](corpus)
        results[name] = mean_metrics(sysm.rank(judged_queries, k), qrels, k)
    out = {"corpus": len(corpus), "queries": len(judged_queries), "k": k, "systems": results}
    if "ours" in results:
        for b in ("tfidf", "bm25"):
            if b in results:
                out[f"ours-{b}"] = {m: round(results["ours"][m] - results[b][m], 4)
                                    for m in ("P@5", "Recall@10", "MRR", "nDCG@10")}
    return out


def format_table(res: dict) -> str:
    lines = [f"corpus={res['corpus']} queries={res['queries']} (judged)",
             f"{'system':<8} {'P@5':>7} {'Recall@10':>10} {'MRR':>7} {'nDCG@10':>8}"]
    for name, m in res["systems"].items():
        lines.append(f"{name:<8} {m['P@5']:>7.4f} {m['Recall@10']:>10.4f} {m['MRR']:>7.4f} {m['nDCG@10']:>8.4f}")
    for key in ("ours-tfidf", "ours-bm25"):
        if key in res:
            d = res[key]
            lines.append(f"{key:<10} nDCG@10 {d['nDCG@10']:+.4f}  P@5 {d['P@5']:+.4f}  MRR {d['MRR']:+.4f}")
    return "\n".join(lines)
