"""Convert ../shared/data/csl_tech (CSL paper metadata, Apache-2.0) into the CLI's file formats.

    python -m matching.csl --src ../shared/data/csl_tech --out /tmp/csl [--doc-fields title|title+keywords]

Writes, per query type (``keywords``, ``problem``): ``corpus.jsonl`` (2,000 paper titles + 8,000 distractor titles,
``industry`` = CSL 门类), ``queries_<type>.jsonl`` (``industry`` = the source paper's 门类) and ``qrels_<type>.tsv``.
Known-item retrieval: the source paper is the one relevant document (grade 2). The abstract is never indexed, since
the problem-sentence queries are cut from it.
"""

from __future__ import annotations

import argparse
import json
import os


def convert(src: str, out: str, doc_fields: str = "title") -> dict:
    os.makedirs(out, exist_ok=True)
    papers = [json.loads(x) for x in open(os.path.join(src, "papers.jsonl"), encoding="utf-8")]
    distr = [json.loads(x) for x in open(os.path.join(src, "distractor_titles.jsonl"), encoding="utf-8")]
    cat = {p["id"]: p["category"] for p in papers}
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as fh:
        for p in papers:
            rec = {"id": p["id"], "title": p["title"], "description": "", "industry": p["category"]}
            if doc_fields == "title+keywords":
                rec["keywords"] = p["keywords"]
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        for d in distr:
            fh.write(json.dumps({"id": d["id"], "title": d["title"], "description": "",
                                 "industry": d["category"]}, ensure_ascii=False) + "\n")
    counts = {}
    queries = [json.loads(x) for x in open(os.path.join(src, "queries.jsonl"), encoding="utf-8")]
    for typ, short in (("keywords", "keywords"), ("problem_sentence", "problem")):
        qs = [q for q in queries if q["type"] == typ]
        with open(os.path.join(out, f"queries_{short}.jsonl"), "w", encoding="utf-8") as fq, \
                open(os.path.join(out, f"qrels_{short}.tsv"), "w", encoding="utf-8") as fr:
            fr.write("query_id\tdoc_id\trelevance\n")
            for q in qs:
                fq.write(json.dumps({"query_id": q["query_id"], "title": "", "description": q["text"],
                                     "industry": cat[q["source_id"]]}, ensure_ascii=False) + "\n")
                fr.write(f"{q['query_id']}\t{q['source_id']}\t2\n")
        counts[short] = len(qs)
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m matching.csl", description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "csl_tech"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--doc-fields", choices=["title", "title+keywords"], default="title")
    a = ap.parse_args(argv)
    print(json.dumps(convert(a.src, a.out, a.doc_fields)))


if __name__ == "__main__":
    main()
