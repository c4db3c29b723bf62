import json
import subprocess
import sys
from pathlib import Path

FIX = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def run(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "matching", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_rank_contract():
    p = run("rank", "--corpus", str(FIX / "corpus.jsonl"), "--queries", str(FIX / "queries.jsonl"), "--k", "3")
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [x["query_id"] for x in lines] == ["N01", "N02", "N03", "N04", "N05", "N06"]
    by = {x["query_id"]: x["results"] for x in lines}
    assert by["N04"] == []
    assert "N04" in p.stderr and "A12" in p.stderr  # empty records reported, not a crash
    for res in by.values():
        assert len(res) <= 3
        assert [r["score"] for r in res] == sorted((r["score"] for r in res), reverse=True)
        for r in res:
            assert set(r) >= {"id", "score", "terms"} and r["terms"]
            assert r["id"] != "A12"
    assert by["N02"][0]["id"] == "A04"
    assert by["N05"][0]["id"] == "A07"


def test_rank_tolerates_bad_lines(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "A1", "title": "球阀密封"}\nnot json\n[1,2]\n{"title": "no id"}\n\n'
                      '{"id": 7, "title": "鞋底防滑", "keywords": "防滑 摩擦系数"}\n', encoding="utf-8")
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query_id": "q1", "text": "鞋子打滑"}\n{"id": "q2", "title": "😀"}\n', encoding="utf-8")
    p = run("rank", "--corpus", str(corpus), "--queries", str(queries))
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert lines[0]["results"][0]["id"] == "7"
    assert lines[1] == {"query_id": "q2", "results": []}
    assert "not JSON" in p.stderr


def test_evaluate_reports_ours_and_both_baselines():
    p = run("evaluate", "--corpus", str(FIX / "corpus.jsonl"), "--queries", str(FIX / "queries.jsonl"),
            "--qrels", str(FIX / "qrels.tsv"), "--json")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert set(res["systems"]) == {"ours", "tfidf", "bm25"}
    assert res["queries"] == 5  # N04 is empty, the qrels header line is skipped
    for m in res["systems"].values():
        assert set(m) >= {"P@5", "Recall@10", "MRR", "nDCG@10"}
        assert all(0 <= m[k] <= 1 for k in ("P@5", "Recall@10", "MRR", "nDCG@10"))
    assert res["systems"]["ours"]["nDCG@10"] > res["systems"]["tfidf"]["nDCG@10"]
    table = run("evaluate", "--corpus", str(FIX / "corpus.jsonl"), "--queries", str(FIX / "queries.jsonl"),
                "--qrels", str(FIX / "qrels.tsv"))
    assert table.returncode == 0 and "nDCG@10" in table.stdout and "bm25" in table.stdout


def test_bench_prints_one_json_object():
    p = run("bench", "--docs", "400", "--queries", "30", "--semantic-docs", "12")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    for side in ("ours", "bm25s"):
        for k in ("build_s", "tokenize_docs_per_s", "query_p50_ms", "query_p95_ms", "batch_queries_per_s",
                  "peak_rss_mb", "index_size_mb"):
            assert res[side][k] is not None and res[side][k] > 0, (side, k)
    assert res["ours"]["add_ms_per_doc"] > 0
    assert "query_p50_ms" in res["ratio_ours_over_bm25s"]
    sem = res["semantic_reranker"]
    if sem["available"]:
        assert sem["embed_ms_per_doc"] > 0 and sem["query_p50_ms"] > 0 and sem["estimated_for_docs"]["build_s"] > 0
