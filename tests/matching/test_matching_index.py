import multiprocessing as mp
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from matching import Document, Hit, IndexFormatError, Matcher
from matching.index import FORMAT_VERSION

from .conftest import results


def test_public_api_shape(matcher, corpus, needs):
    assert len(matcher) == len(corpus) + len(needs) - 2  # A12 and N04 have no text
    assert "A01" in matcher and "N01" in matcher and "A12" not in matcher and "N04" not in matcher
    hits = matcher.search("球阀密封", k=3)
    assert 1 <= len(hits) <= 3 and all(isinstance(h, Hit) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0 < h.score <= 1 for h in hits)


def test_every_hit_is_explained(matcher, needs):
    for q in needs:
        for h in matcher.search(q):
            assert h.terms, (q.id, h.id)
            assert set(h.expanded_terms) <= set(h.terms)
            assert all(not t.startswith("#") for t in h.terms)


def test_explanation_names_the_shared_terms(matcher):
    h = matcher.search("球阀密封副激光熔覆")[0]
    assert h.id == "A01"
    assert {"球阀", "密封副", "激光熔覆"} <= set(h.terms)
    assert h.expanded_terms == [] or set(h.expanded_terms).isdisjoint({"球阀", "激光熔覆"})


def test_both_directions(matcher, corpus, needs):
    need = next(d for d in needs if d.id == "N05")
    ach = next(d for d in corpus if d.id == "A07")
    fwd = matcher.search(need, kind="achievement")
    assert fwd[0].id == "A07" and all(h.kind == "achievement" for h in fwd)
    back = matcher.search(ach, kind="need")
    assert back[0].id == "N05" and all(h.kind == "need" for h in back)
    anyk = matcher.search(ach, kind=None, k=50)
    assert "A07" not in [h.id for h in anyk]  # a query document never matches itself


def test_filters_and_exclusions(matcher):
    ids = [h.id for h in matcher.search("密封", k=20, industry="鞋革")]
    assert ids and all(i in {"A04", "A05", "A06"} for i in ids)
    assert "A01" not in [h.id for h in matcher.search("球阀密封副", exclude_ids=["A01"])]
    assert matcher.search("球阀", industry="不存在的行业") == []
    with pytest.raises(ValueError):
        matcher.search("球阀", kind="patent")


def test_attr_filters():
    m = Matcher.build([Document("a", "achievement", "球阀密封", attrs={"town": "瓯北"}),
                       Document("b", "achievement", "球阀密封", attrs={"town": "桥头"})])
    assert [h.id for h in m.search("球阀", filters={"town": "桥头"})] == ["b"]


QUERIES = ["阀门关不严，一直滴水", "鞋底打滑", "滑梯褪色开裂", "拉链电镀", "断路器误跳闸", "球阀 DN50 NB-IoT", "杨梅保鲜"]


def _all_results(m):
    out = {}
    for q in QUERIES:
        out[q] = results(m, q, kind=None, k=20)
    return out


def test_incremental_add_update_remove_equals_fresh_build(corpus, needs):
    docs = corpus + needs
    m = Matcher.build(docs[:5])
    for d in docs[5:]:
        m.add(d)
    edited = Document("A02", "achievement", "离心泵叶轮汽蚀改进", "降低汽蚀余量，提高效率", ["离心泵"], "泵阀")
    m.add(edited)  # update
    m.remove("A11")
    m.add(Document("A99", "achievement", "临时条目", "将被删除"))
    m.remove("A99")
    assert m.remove("nope") is False
    final = [d for d in docs if d.id not in ("A02", "A11")] + [edited]
    fresh = Matcher.build(final)
    assert len(m) == len(fresh)
    assert sorted(m.ids()) == sorted(fresh.ids())
    got, want = _all_results(m), _all_results(fresh)
    for q in QUERIES:
        assert [r[0] for r in got[q]] == [r[0] for r in want[q]], q
        np.testing.assert_allclose([r[1] for r in got[q]], [r[1] for r in want[q]], rtol=1e-6)
        assert [r[2] for r in got[q]] == [r[2] for r in want[q]], q
    assert m.search("临时条目") == []


def test_incremental_across_segment_merge(corpus):
    Matcher.MERGE_EVERY, old = 3, Matcher.MERGE_EVERY
    try:
        m = Matcher.build([])
        for d in corpus:
            m.add(d)
        m.remove("A04")
        fresh = Matcher.build([d for d in corpus if d.id != "A04"])
        assert _all_results(m) == _all_results(fresh) or all(
            [r[0] for r in a] == [r[0] for r in b] for a, b in zip(_all_results(m).values(),
                                                                   _all_results(fresh).values(), strict=True))
    finally:
        Matcher.MERGE_EVERY = old


def test_add_empty_document_removes_old_version(matcher):
    m = Matcher.build([Document("x", "achievement", "球阀")])
    assert m.add(Document("x", "achievement", "", "")) is False
    assert "x" not in m and len(m) == 0 and m.search("球阀") == []


def test_build_progress_callback(corpus):
    calls = []
    Matcher.build(corpus, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (len(corpus), len(corpus))


def test_save_load_round_trip(tmp_path, matcher):
    p = tmp_path / "idx" / "matching.npz"
    matcher.save(p)
    assert p.exists() and not list(p.parent.glob("*.tmp"))
    m2 = Matcher.load(p)
    assert len(m2) == len(matcher) and not m2.needs_rebuild
    assert _all_results(m2) == _all_results(matcher)
    m2.add(Document("A50", "achievement", "阀门密封圈快速更换结构"))
    assert "A50" in m2 and "A50" not in matcher


def test_load_refuses_other_versions_and_garbage(tmp_path, matcher):
    p = tmp_path / "m.npz"
    matcher.save(p)
    with np.load(p) as z:
        arrays = {k: z[k] for k in z.files}
    import json
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["version"] = FORMAT_VERSION + 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    bad = tmp_path / "future.npz"
    np.savez(bad, **arrays)
    with pytest.raises(IndexFormatError, match="version"):
        Matcher.load(bad)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an index at all")
    with pytest.raises(IndexFormatError):
        Matcher.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.arange(3))
    with pytest.raises(IndexFormatError):
        Matcher.load(other)
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(p.read_bytes()[:200])
    with pytest.raises(IndexFormatError):
        Matcher.load(trunc)
    assert zipfile.is_zipfile(p)


def test_changed_thesaurus_flags_rebuild(tmp_path, matcher):
    from matching import Thesaurus
    p = tmp_path / "m.npz"
    matcher.save(p)
    assert Matcher.load(p, thesaurus=Thesaurus(["新词甲, 新词乙"])).needs_rebuild


_LOADER = """
import sys
from matching import Matcher
ok = 0
for _ in range(15):
    m = Matcher.load(sys.argv[1])
    assert len(m) in (int(sys.argv[2]), int(sys.argv[3])), len(m)
    assert m.search("球阀密封")
    ok += 1
print(ok)
"""


def test_concurrent_loads_while_saving(tmp_path, corpus):
    p = tmp_path / "shared.npz"
    small = Matcher.build(corpus[:6])
    big = Matcher.build(corpus)
    small.save(p)
    procs = [subprocess.Popen([sys.executable, "-c", _LOADER, str(p), str(len(small)), str(len(big))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for i in range(30):  # rewrite the file under the readers' feet
        (big if i % 2 else small).save(p)
    for pr in procs:
        out, err = pr.communicate(timeout=120)
        assert pr.returncode == 0, err
        assert out.strip() == "15"


def _load_in_child(path, q):
    m = Matcher.load(path)
    q.put(len(m))


def test_two_processes_load_at_once(tmp_path, matcher):
    p = tmp_path / "m.npz"
    matcher.save(p)
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ps = [ctx.Process(target=_load_in_child, args=(str(p), q)) for _ in range(2)]
    for x in ps:
        x.start()
    got = [q.get(timeout=60), q.get(timeout=60)]
    for x in ps:
        x.join(30)
    assert got == [len(matcher)] * 2


@pytest.mark.parametrize("query", [
    "", "   ", "！？。，、", "😀🎉👍🔥", "hello world", "The valve leaks at DN50",
    "阀门leak漏水😀 DN50／PN16 ①②③ ＡＢＣ", "\x00\x01\t\n", "ｱｲｳｴｵ", "Привет мир", "밸브 누수",
])
def test_robust_queries(matcher, query):
    hits = matcher.search(query)
    assert isinstance(hits, list)
    for h in hits:
        assert h.terms and 0 < h.score <= 1


def test_mixed_script_query_finds_model_numbers(matcher):
    hits = matcher.search("need NB-IoT valve monitoring for DN50 pipes")
    assert hits and hits[0].id == "A03"
    assert "nb-iot" in hits[0].terms or "dn50" in hits[0].terms


def test_one_megabyte_text(matcher):
    big = ("阀门泄漏问题" * 60000) + "😀" * 1000  # > 1 MB in UTF-8
    assert len(big.encode()) > 1_000_000
    hits = matcher.search(big)
    assert hits and hits[0].kind == "achievement"
    m = Matcher.build([Document("big", "achievement", "大文本", big), Document("s", "achievement", "球阀")])
    assert "big" in m and m.search("阀门泄漏")[0].id == "big"


def test_robust_documents():
    docs = [Document("e1", "achievement", "", ""), Document("e2", "achievement", "😀😀", "！！"),
            Document("en", "achievement", "Valve sealing", "metal seated ball valve"),
            Document("zh", "achievement", "球阀", "密封")]
    m = Matcher.build(docs)
    assert "e1" not in m and "e2" not in m and "en" in m
    assert m.search("ball valve")[0].id == "en"
    assert Matcher.build([]).search("球阀") == []
    with pytest.raises(ValueError):
        Document("x", "patent", "t")


def test_k_and_empty_index(matcher):
    assert matcher.search("阀门", k=0) == []
    assert len(matcher.search("阀门 鞋 拉链 滑梯 断路器 杨梅", k=2)) == 2
