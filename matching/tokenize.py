"""Tokenizer: jieba (or rjieba when it segments identically) + domain dictionary + stopwords.

Text is NFKC-normalised (full-width ＤＮ５０ -> DN50) and split into two kinds of runs:

* ASCII/number runs such as ``DN50``, ``PN16``, ``316L``, ``NB-IoT``, ``5G``, ``0.5mm`` are kept whole and
  lower-cased (``dn50``). Pure numbers shorter than three digits are dropped (``2`` 个, ``12`` 月), while
  grade numbers like ``304``/``2205`` are kept.
* CJK runs are segmented by jieba with our domain dictionary (``data/domain_dict.txt``) plus any extra words
  (the thesaurus terms), then stopwords (``data/stopwords.txt``) are removed.

``features()`` additionally emits character bigrams of every CJK run, prefixed with ``#`` (``#密封``). They are
the index's second signal (see README figures: +0.01 MRR on keyword queries, +0.025 on sentence queries on
csl_tech) and make the match robust to segmentation differences (密封失效 vs 密封 / 失效).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_DICT = DATA_DIR / "domain_dict.txt"
DEFAULT_STOPWORDS = DATA_DIR / "stopwords.txt"
BIGRAM_PREFIX = "#"
#: Each text field is cut to this many characters before tokenizing (keeps a 1 MB paste from stalling a worker).
MAX_CHARS = 200_000

_SPLIT = re.compile(
    r"(?P<ascii>[a-z0-9]+(?:[-_.+/][a-z0-9]+)*)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)
_PURE_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")


def read_list(path: str | os.PathLike) -> list[str]:
    """Lines of a data file without comments (``#``) and blanks."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def load_dictionary(path: str | os.PathLike) -> list[tuple[str, int | None]]:
    """Domain dictionary entries ``(term, freq or None)``; format ``term [freq]`` one a line."""
    entries = []
    for line in read_list(path):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        entries.append((parts[0], freq))
    return entries


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _jieba_segmenter(words: list[tuple[str, int | None]]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    resolved = []
    for w, f in words:
        # Words jieba already knows keep their corpus frequency: re-adding them changes ``total`` in ways jieba
        # and rjieba account for differently (measured: 13 of ~40k CSL runs then segment differently).
        if tk.FREQ.get(w):
            continue
        tk.add_word(w, f)
        resolved.append((w, tk.FREQ[w]))

    def cut(run: str) -> list[str]:
        return tk.lcut(run, HMM=True)

    return cut, resolved


def _rjieba_segmenter(resolved: list[tuple[str, int]]):
    import rjieba

    rj = rjieba.Jieba()
    for w, f in resolved:
        rj.add_word(w, f, None)

    def cut(run: str) -> list[str]:
        return rj.cut(run, True)

    return cut


class Tokenizer:
    """Segmenter with domain dictionary and stopwords.

    backend: ``"jieba"``, ``"rjieba"`` or ``"auto"`` (rjieba if installed, else jieba). rjieba is used only
    with exactly the same dictionary entries and frequencies as jieba (resolved by jieba first), and
    ``tests/matching/test_tokenize.py`` checks that both segment the same.
    """

    def __init__(
        self,
        dict_paths: Iterable[str | os.PathLike] = (DEFAULT_DICT,),
        stopwords_path: str | os.PathLike | None = DEFAULT_STOPWORDS,
        extra_words: Iterable[str] = (),
        backend: str = "auto",
        bigrams: bool = True,
        cache_size: int = 20_000,
    ):
        entries: list[tuple[str, int | None]] = []
        for p in dict_paths:
            entries.extend(load_dictionary(p))
        seen = {w for w, _ in entries}
        for w in extra_words:
            w = normalize(w).strip()
            if w and w not in seen and _is_cjk_word(w):
                entries.append((w, None))
                seen.add(w)
        # dictionary terms are matched against normalised (NFKC, lower-cased) text
        entries = [(normalize(w), f) for w, f in entries if _is_cjk_word(normalize(w))]
        self.dictionary = [w for w, _ in entries]
        self.stopwords = frozenset(normalize(w) for w in read_list(stopwords_path)) if stopwords_path else frozenset()
        self.bigrams = bigrams
        jcut, resolved = _jieba_segmenter(entries)
        self.backend = "jieba"
        cut = jcut
        if backend in ("auto", "rjieba"):
            try:
                cut = _rjieba_segmenter(resolved)
                self.backend = "rjieba"
            except ImportError:
                if backend == "rjieba":
                    raise
        self._jieba_cut = jcut
        self._cut_run = functools.lru_cache(maxsize=cache_size)(self._make_run_cutter(cut))

    def _make_run_cutter(self, cut):
        stop = self.stopwords

        def cut_run(run: str) -> tuple[str, ...]:
            return tuple(w for w in cut(run) if w not in stop and w.strip())

        return cut_run

    # -- public -------------------------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """Word tokens (what a person would call the terms of the text), stopwords removed."""
        out: list[str] = []
        for m in _SPLIT.finditer(normalize(text[:MAX_CHARS] if text else "")):
            a = m.group("ascii")
            if a is not None:
                if _keep_ascii(a) and a not in self.stopwords:
                    out.append(a)
            else:
                out.extend(self._cut_run(m.group("cjk")))
        return out

    def features(self, text: str) -> list[str]:
        """Index features: word tokens plus ``#``-prefixed character bigrams of the CJK runs."""
        out: list[str] = []
        for m in _SPLIT.finditer(normalize(text[:MAX_CHARS] if text else "")):
            a = m.group("ascii")
            if a is not None:
                if _keep_ascii(a) and a not in self.stopwords:
                    out.append(a)
                continue
            run = m.group("cjk")
            out.extend(self._cut_run(run))
            if self.bigrams and len(run) > 1:
                out.extend([BIGRAM_PREFIX + run[i : i + 2] for i in range(len(run) - 1)])
        return out

    def jieba_words(self, text: str) -> list[str]:
        """Words from the pure-Python jieba backend (used to check that rjieba segments the same)."""
        out: list[str] = []
        for m in _SPLIT.finditer(normalize(text[:MAX_CHARS] if text else "")):
            if m.group("cjk") is not None:
                out.extend(w for w in self._jieba_cut(m.group("cjk")) if w not in self.stopwords and w.strip())
        return out

    def __getstate__(self):  # pragma: no cover - tokenizers are rebuilt, not pickled
        raise TypeError("Tokenizer is not picklable; build a new one")


def display_term(feature: str) -> str:
    return feature[1:] if feature.startswith(BIGRAM_PREFIX) else feature


def _keep_ascii(tok: str) -> bool:
    if _PURE_NUMBER.match(tok):
        return len(tok) >= 3 and "." not in tok
    return True


def _is_cjk_word(w: str) -> bool:
    """Only pure-CJK dictionary terms go to jieba; ASCII/mixed tokens are kept whole by the splitter."""
    return bool(w) and all(_SPLIT.fullmatch(c) and "\u3400" <= c for c in w)


_DEFAULT: dict[str, Tokenizer] = {}


def default_tokenizer(extra_words: Iterable[str] = ()) -> Tokenizer:
    """Process-wide shared tokenizer (building one costs ~1 s)."""
    extra = tuple(sorted(set(extra_words)))
    key = str(hash(extra))
    if key not in _DEFAULT:
        _DEFAULT[key] = Tokenizer(extra_words=extra)
    return _DEFAULT[key]
