from matching import Document, Matcher, Thesaurus
from matching.thesaurus import DEFAULT_THESAURUS, default_thesaurus


def test_file_has_format_header_and_many_groups():
    text = DEFAULT_THESAURUS.read_text(encoding="utf-8")
    assert text.startswith("#") and "格式" in text and "=>" in text
    th = default_thesaurus()
    assert th.groups >= 150


def test_groups_expand_both_ways_and_one_way_lines_do_not():
    th = Thesaurus(["# comment", "泄漏, 渗漏、漏水 密封失效", "关不严 => 内漏, 密封失效", ""])
    assert th.expansions("渗漏") == {"泄漏", "漏水", "密封失效"}
    assert "关不严" not in th.expansions("内漏")
    assert th.expansions("关不严") == {"内漏", "密封失效"}
    assert th.expansions("无关") == set()


def test_seed_vocabulary_present():
    th = default_thesaurus()
    assert {"泄漏", "内漏", "密封失效"} <= th.expansions("渗漏") | {"渗漏"}
    assert "泄漏" in th.expansions("漏")
    assert "摩擦系数" in th.expansions("打滑") and "防滑" in th.expansions("止滑")
    assert "卡涩" in th.expansions("卡死")
    assert "腐蚀" in th.expansions("生锈")


def test_match_finds_phrases_regardless_of_segmentation():
    th = default_thesaurus()
    found = th.match("阀门关不严实，管道一直滴", ["阀门", "关不严", "实", "管道", "滴"])
    assert "关不严" in found and "密封失效" in found["关不严"]
    assert "滴" in found


def test_expansion_bridges_factory_words_to_academic_terms(corpus):
    with_th = Matcher.build(corpus)
    without = Matcher.build(corpus, thesaurus=Thesaurus.empty())
    q = "阀门关不严，一直滴水"
    hits = {h.id: h for h in with_th.search(q, k=3)}
    assert "A01" in hits  # the sealing-pair achievement shares no word with the need
    assert set(hits["A01"].expanded_terms) & {"内漏", "泄漏", "泄漏率", "密封副", "密封面"}
    assert set(hits["A01"].expanded_terms) <= set(hits["A01"].terms)
    assert "A01" not in [h.id for h in without.search(q, k=20)]
    # colloquial needs that share no word with the right achievement
    assert with_th.search("鞋子开胶，胶水味大")[0].id == "A05"
    assert "A05" not in [h.id for h in without.search("鞋子开胶，胶水味大")][:1]
    assert with_th.search("纽扣靠人眼看次品多")[0].id == "A09"


def test_shoe_slip_need_finds_antislip_sole_not_valves(corpus):
    m = Matcher.build(corpus)
    hits = m.search(Document(id="q", kind="need", title="鞋子在瓷砖上打滑", description="老人容易滑倒"))
    assert hits[0].id == "A04"
    assert "摩擦系数" in hits[0].terms or "防滑" in hits[0].terms


def test_expansion_weight_zero_disables(corpus):
    m = Matcher.build(corpus, expansion_weight=0)
    hits = m.search("阀门关不严，一直滴水")
    assert all(h.expanded_terms == [] for h in hits)
