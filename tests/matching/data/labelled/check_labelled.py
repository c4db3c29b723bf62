"""Validate the labelled matching set and measure need/achievement word overlap.

Run from anywhere:  python tests/matching/data/labelled/check_labelled.py
Standard library only; independent of the matcher under test.
"""
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
INDUSTRIES = {"pump_valve", "fashion", "edu_toys", "electrical", "digital",
              "health", "materials", "agriculture"}
# Generic bigrams that carry no topical meaning in either register.
STOP_BIGRAMS = set("""
技术 问题 提高 采用 研究 使用 可以 一个 我们 没有 适用 有效 以上 降低 进行 实现
结合 通过 提出 方法 工艺 设计 优化 系统 性能 显著 明显 要求 满足 条件 过程 影响
以下 小于 大于 不能 就是 时候 什么 怎么 这样 那里 一下 一点 知道 现在 还是 里面
出来 起来 下来 一样 已经 不到 不了 几个 好几 之后 以后 能不 有没 不知 道是 应用
相结 合的 的问 的影 基于 建立 分析 研制 开发 制备 提升 改善 改进 控制 检测 试验
""".split())

CJK = re.compile(r"[\u4e00-\u9fff]+")
ASCII = re.compile(r"[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)*")


def load_jsonl(name):
    rows = []
    for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            sys.exit(f"{name}:{n}: bad JSON: {e}")
    return rows


def text_of(d):
    return " ".join([d["title"], d["description"], " ".join(d["keywords"])])


def units(text):
    """Distinct 2-character CJK substrings plus whole ASCII tokens (DN50, 316L)."""
    out = set()
    for run in CJK.findall(text):
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    out.update(t.lower() for t in ASCII.findall(text) if len(t) >= 2)
    return out - STOP_BIGRAMS


def main():
    errors = []
    ach = load_jsonl("achievements.jsonl")
    needs = load_jsonl("needs.jsonl")
    for name, rows, lo, hi in (("achievements", ach, 80, 250), ("needs", needs, 1, 10_000)):
        ids = [r["id"] for r in rows]
        dup = [i for i, c in collections.Counter(ids).items() if c > 1]
        if dup:
            errors.append(f"{name}: duplicate ids {dup}")
        for r in rows:
            for f in ("id", "title", "description", "industry", "keywords"):
                if f not in r:
                    errors.append(f"{r.get('id')}: missing {f}")
            if r["industry"] not in INDUSTRIES:
                errors.append(f"{r['id']}: bad industry {r['industry']}")
            if not 3 <= len(r["keywords"]) <= 5 and name == "achievements":
                errors.append(f"{r['id']}: {len(r['keywords'])} keywords")
            if not 1 <= len(r["keywords"]) <= 5 and name == "needs":
                errors.append(f"{r['id']}: {len(r['keywords'])} keywords")
            if not lo <= len(r["description"]) <= hi:
                errors.append(f"{r['id']}: description length {len(r['description'])}")
    A = {r["id"]: r for r in ach}
    N = {r["id"]: r for r in needs}

    qrels = []
    seen = set()
    for n, line in enumerate((HERE / "qrels.tsv").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            errors.append(f"qrels:{n}: expected 3 tab-separated fields")
            continue
        q, d, g = parts
        if q not in N:
            errors.append(f"qrels:{n}: unknown need {q}")
        if d not in A:
            errors.append(f"qrels:{n}: unknown achievement {d}")
        if g not in ("0", "1", "2"):
            errors.append(f"qrels:{n}: bad grade {g}")
        if (q, d) in seen:
            errors.append(f"qrels:{n}: duplicate pair {q} {d}")
        seen.add((q, d))
        qrels.append((q, d, int(g)))
    for q in N:
        if not any(qq == q and g == 2 for qq, _, g in qrels):
            errors.append(f"{q}: no grade-2 achievement")

    grades = collections.Counter(g for _, _, g in qrels)
    print(f"needs: {len(needs)}  achievements: {len(ach)}  judged pairs: {len(qrels)}")
    print("pairs per grade:", {g: grades[g] for g in (2, 1, 0)})
    print("achievements by industry:", dict(collections.Counter(r["industry"] for r in ach)))
    print("needs by industry:", dict(collections.Counter(r["industry"] for r in needs)))
    rel_per_need = collections.Counter(q for q, _, g in qrels if g >= 1)
    print("needs with >1 relevant achievement:", sum(1 for c in rel_per_need.values() if c > 1))
    relevant_docs = {d for _, d, g in qrels if g >= 1}
    print(f"achievements relevant to no need: {len(A) - len(relevant_docs)} of {len(A)}")

    # Overlap: shared content units between the need text and the achievement text.
    low_threshold = 2
    buckets = {}
    for label, sel in (("relevant (grade>=1)", lambda g: g >= 1), ("grade 2", lambda g: g == 2),
                       ("grade 1", lambda g: g == 1), ("grade 0", lambda g: g == 0)):
        pairs = [(q, d) for q, d, g in qrels if sel(g)]
        shared = [len(units(text_of(N[q])) & units(text_of(A[d]))) for q, d in pairs]
        low = sum(1 for s in shared if s <= low_threshold)
        none = sum(1 for s in shared if s == 0)
        med = sorted(shared)[len(shared) // 2] if shared else 0
        buckets[label] = (low, len(pairs))
        print(f"{label:20s} n={len(pairs):3d}  shared<= {low_threshold}: {low:3d} "
              f"({low / max(1, len(pairs)):.0%})  shared=0: {none:3d}  median shared: {med}")
    if "-v" in sys.argv:
        for q, d, g in qrels:
            s = sorted(units(text_of(N[q])) & units(text_of(A[d])))
            print(q, d, g, len(s), " ".join(s))
    if errors:
        print("\nERRORS:")
        for e in errors:
            print(" ", e)
        sys.exit(1)
    low, total = buckets["relevant (grade>=1)"]
    if low * 3 < total:
        sys.exit(f"\nFAIL: only {low}/{total} relevant pairs have low overlap (need >= 1/3)")
    print("\nOK")


if __name__ == "__main__":
    main()
