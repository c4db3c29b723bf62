import pytest

from matching.tokenize import DEFAULT_DICT, Tokenizer, default_tokenizer, load_dictionary


@pytest.fixture(scope="module")
def tk():
    return default_tokenizer()


@pytest.mark.parametrize("text,token", [
    ("DN50球阀", "dn50"), ("压力等级PN16", "pn16"), ("316L不锈钢阀杆", "316l"), ("基于NB-IoT的远程抄表", "nb-iot"),
    ("5G工业互联网", "5g"), ("ＤＮ１００全角型号", "dn100"), ("Q235B钢板", "q235b"), ("0.5mm镀层", "0.5mm"),
])
def test_model_numbers_and_mixed_tokens_kept_whole(tk, text, token):
    words = tk.words(text)
    assert token in words, words


def test_short_pure_numbers_dropped_grade_numbers_kept(tk):
    words = tk.words("304不锈钢用了2年")
    assert "304" in words and "2" not in words


@pytest.mark.parametrize("term", ["金属硬密封", "密封副", "超临界发泡", "无动力游乐设施", "剩余电流保护器", "稻鱼共生",
                                  "水肥一体化", "磁力驱动泵", "无氰电镀", "鞋用胶粘剂"])
def test_domain_dictionary_terms_are_single_tokens(tk, term):
    assert term in tk.words(f"本项目研究{term}关键技术"), tk.words(f"本项目研究{term}关键技术")


def test_domain_dictionary_without_it_jieba_splits(tk):
    plain = Tokenizer(dict_paths=(), backend="jieba")
    assert "金属硬密封" not in plain.words("金属硬密封球阀")
    assert "金属硬密封" in tk.words("金属硬密封球阀")


def test_dictionary_size_and_industries():
    terms = [t for t, _ in load_dictionary(DEFAULT_DICT)]
    assert len(terms) >= 800
    assert len(set(terms)) == len(terms)
    for t in ("球阀", "鞋底", "拉链", "纽扣", "滑梯", "断路器", "工业互联网", "医疗器械", "新材料", "食用菌"):
        assert t in terms


def test_stopwords_removed(tk):
    words = tk.words("我们的阀门一直都是这样的")
    assert "的" not in words and "我们" not in words and "阀门" in words


def test_features_add_bigrams(tk):
    f = tk.features("密封失效")
    assert "#密封" in f and "#失效" in f


@pytest.mark.parametrize("text", ["", "   ", "！！！。。。", "😀🎉👍", "hello world", "x" * 10, None])
def test_odd_text_does_not_crash(tk, text):
    assert isinstance(tk.words(text), list)
    assert isinstance(tk.features(text), list)


def test_rjieba_segments_like_jieba():
    pytest.importorskip("rjieba")
    tk = Tokenizer(backend="rjieba")
    text = ("针对高温高压工况下球阀密封面冲蚀磨损导致内漏的问题，采用激光熔覆司太立合金强化密封副。"
            "运动鞋大底高耐磨防滑橡胶配方，鞋用水性聚氨酯胶粘剂替代溶剂型胶粘剂。永嘉县教玩具产业创新服务综合体，"
            "酶解魔芋葡甘聚糖最弱，地基弹模对厂房自振频率的影响度最大。")
    assert tk.backend == "rjieba"
    cjk = [w for w in tk.words(text) if not w.isascii()]
    assert cjk == tk.jieba_words(text)
