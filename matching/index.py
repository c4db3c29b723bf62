"""The matcher: sparse TF-IDF index with field weights, thesaurus expansion, incremental updates, persistence.

Scoring (measured on csl_tech, see matching/README.md)::

    d[t]  = sum over fields f of  w_f * (1 + ln count_f(t))          (sublinear tf, field weights)
    d     = d / ||d||                                                  (length normalisation)
    q[t]  = sum_f w_f * (1 + ln count_f(t))  (+ alpha * ... for thesaurus expansions)
    score = sum_{t in q} q[t] * idf(t)^2 * d[t]  /  (||q * idf|| * idf_max)

i.e. the cosine of the idf-weighted vectors, except that the document norm is taken before idf weighting. That
variant scores the same on csl_tech (MRR 0.923 vs 0.920 keyword queries, 0.868 vs 0.871 sentence queries) and
makes document vectors independent of corpus statistics: add/update/remove only change document frequencies, so an
incrementally maintained index gives exactly the results of a fresh build. idf(t) = ln((1+N)/(1+df)) + 1 as in
scikit-learn's ``TfidfTransformer(smooth_idf=True)``. The score is in [0, 1] (Cauchy-Schwarz).

A query touches only the postings of its own terms: ``X_csc[:, q_terms] @ q_weights``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .explain import explain_hits
from .thesaurus import Thesaurus, default_thesaurus
from .tokenize import BIGRAM_PREFIX, Tokenizer, default_tokenizer

FORMAT = "yongjia-matching-index"
FORMAT_VERSION = 1
KINDS = ("need", "achievement")
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}
DTYPE = np.float32


class IndexFormatError(Exception):
    """The file is not an index of a format version this code can read."""


@dataclass
class Document:
    id: str
    kind: str = "achievement"  # "need" or "achievement"
    title: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    industry: str | None = None
    attrs: dict = field(default_factory=dict)  # maturity, town, price_yuan, budget_yuan ...

    def __post_init__(self):
        self.id = str(self.id)
        if self.kind not in _KIND_CODE:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        self.title = self.title or ""
        self.description = self.description or ""
        if isinstance(self.keywords, str):
            self.keywords = [self.keywords]
        self.keywords = [str(k) for k in (self.keywords or []) if k]


@dataclass
class Hit:
    id: str
    score: float
    terms: list[str]  # top contributing terms, best first
    expanded_terms: list[str]  # those among ``terms`` that came from the thesaurus expansion
    kind: str | None = None
    industry: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "score": round(self.score, 4), "terms": self.terms,
                "expanded_terms": self.expanded_terms}


@dataclass
class Config:
    title_weight: float = 2.0
    keywords_weight: float = 2.0
    description_weight: float = 1.0
    expansion_weight: float = 1.0  # a thesaurus term's weight is this / sqrt(number of terms it expands to)
    industry_boost: float = 1.0  # score *= 1 + boost when query and document industries are equal
    max_query_terms: int = 0  # 0 = all; else keep the N heaviest query features (speed lever)
    # two-phase scoring (speed lever): candidates come from query features in at most this fraction of the
    # documents; the top ``rescore`` candidates then get their exact score from all query features. 0 = off.
    max_df_ratio: float = 0.01
    rescore: int = 100
    two_phase_min_docs: int = 20_000  # below this every query is scored exactly (small corpora: pruning hurts)
    explain_terms: int = 5

    def to_dict(self):
        return dict(self.__dict__)


class Matcher:
    """Index of needs and achievements. See the module docstring for the scoring."""

    MERGE_EVERY = 2048  # incremental rows kept in a small delta segment before they are merged

    def __init__(self, tokenizer: Tokenizer | None = None, thesaurus: Thesaurus | None = None,
                 config: Config | None = None, **config_kw):
        self.thesaurus = thesaurus if thesaurus is not None else default_thesaurus()
        self.tokenizer = tokenizer if tokenizer is not None else default_tokenizer(self.thesaurus.terms)
        self.config = config or Config()
        for k, v in config_kw.items():
            if not hasattr(self.config, k):
                raise TypeError(f"unknown option {k}")
            setattr(self.config, k, v)
        self.needs_rebuild = False
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self):
        self._vocab: dict[str, int] = {}
        self._features: list[str] = []
        self._df = np.zeros(1024, dtype=np.int64)
        self._ids: list[str | None] = []
        self._row: dict[str, int] = {}
        self._alive = np.zeros(1024, dtype=bool)
        self._kind = np.zeros(1024, dtype=np.int8)
        self._ind = np.full(1024, -1, dtype=np.int32)
        self._ind_codes: dict[str, int] = {}
        self._ind_names: list[str] = []
        self._attrs: list[dict] = []
        self._n_alive = 0
        # main segment (rows [0, n_main)) as CSR (rows) + CSC (postings); delta rows as (cols, vals)
        self._main = sp.csr_matrix((0, 0), dtype=DTYPE)
        self._main_csc = sp.csc_matrix((0, 0), dtype=DTYPE)
        self._delta: list[tuple[np.ndarray, np.ndarray]] = []
        self._delta_csc = None
        self._masks: dict = {}

    @property
    def n_rows(self) -> int:
        return len(self._ids)

    def __len__(self) -> int:
        return self._n_alive

    def __contains__(self, doc_id) -> bool:
        return str(doc_id) in self._row

    def ids(self) -> list[str]:
        return [i for i in self._ids if i is not None]

    # ------------------------------------------------------------------ featurising
    def _field_vector(self, doc: Document) -> dict[str, float]:
        c = self.config
        vec: dict[str, float] = {}
        tk = self.tokenizer
        fields = ((doc.title, c.title_weight), (" ".join(doc.keywords), c.keywords_weight),
                  (doc.description, c.description_weight))
        for text, w in fields:
            if not text or w <= 0:
                continue
            for t, n in Counter(tk.features(text)).items():
                vec[t] = vec.get(t, 0.0) + w * (1.0 + math.log(n))
        return vec

    def _doc_row(self, vec: dict[str, float], grow_vocab: bool = True) -> tuple[np.ndarray, np.ndarray]:
        vocab = self._vocab
        cols = np.empty(len(vec), dtype=np.int32)
        vals = np.empty(len(vec), dtype=np.float64)
        for i, (t, v) in enumerate(vec.items()):
            j = vocab.get(t)
            if j is None:
                j = len(self._features)
                vocab[t] = j
                self._features.append(t)
            cols[i] = j
            vals[i] = v
        order = np.argsort(cols)
        cols, vals = cols[order], vals[order]
        vals /= np.sqrt(np.dot(vals, vals))
        return cols, vals.astype(DTYPE)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, docs: Iterable[Document], progress: Callable[[int, int], None] | None = None,
              tokenizer: Tokenizer | None = None, thesaurus: Thesaurus | None = None,
              config: Config | None = None, workers: int | None = None, **config_kw) -> Matcher:
        """Full rebuild. ``progress(done, total)`` is called every 1000 documents and at the end."""
        m = cls(tokenizer=tokenizer, thesaurus=thesaurus, config=config, **config_kw)
        m._build(list(docs), progress, workers)
        return m

    def _build(self, docs: list[Document], progress, workers):
        self._reset()
        total = len(docs)
        rows_c, rows_v, keep = [], [], []
        seen: dict[str, int] = {}
        for i, doc in enumerate(docs):
            vec = self._field_vector(doc)
            if progress and (i + 1) % 1000 == 0:
                progress(i + 1, total)
            if not vec:
                continue
            if doc.id in seen:  # later record wins, like add()
                keep[seen[doc.id]] = None
            seen[doc.id] = len(keep)
            keep.append(doc)
            cols, vals = self._doc_row(vec)
            rows_c.append(cols)
            rows_v.append(vals)
        kept = [i for i, d in enumerate(keep) if d is not None]
        n = len(kept)
        self._grow_rows(n)
        for r, i in enumerate(kept):
            self._register(keep[i], r)
        lens = np.array([len(rows_c[i]) for i in kept], dtype=np.int64)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=indptr[1:])
        if len(kept) == len(rows_c):  # no duplicates: let the row arrays go while concatenating
            indices = np.concatenate(rows_c) if n else np.zeros(0, np.int32)
            rows_c.clear()
            data = np.concatenate(rows_v) if n else np.zeros(0, DTYPE)
            rows_v.clear()
        else:
            indices = np.concatenate([rows_c[i] for i in kept]) if n else np.zeros(0, np.int32)
            data = np.concatenate([rows_v[i] for i in kept]) if n else np.zeros(0, DTYPE)
        del rows_c, rows_v, keep
        nf = len(self._features)
        self._main = sp.csr_matrix((data, indices, indptr), shape=(n, nf))
        self._df = np.zeros(max(1024, nf), dtype=np.int64)
        self._df[:nf] = np.bincount(indices, minlength=nf)
        self._main_csc = self._main.tocsc()
        self._n_alive = n
        if progress:
            progress(total, total)

    def _grow_rows(self, n: int):
        cap = len(self._alive)
        if n <= cap:
            return
        new = max(n, cap * 2)
        self._alive = np.concatenate([self._alive, np.zeros(new - cap, dtype=bool)])
        self._kind = np.concatenate([self._kind, np.zeros(new - cap, dtype=np.int8)])
        self._ind = np.concatenate([self._ind, np.full(new - cap, -1, dtype=np.int32)])

    def _grow_df(self):
        nf = len(self._features)
        if nf > len(self._df):
            self._df = np.concatenate([self._df, np.zeros(max(nf, 2 * len(self._df)) - len(self._df), np.int64)])

    def _ind_code(self, industry: str | None) -> int:
        if not industry:
            return -1
        code = self._ind_codes.get(industry)
        if code is None:
            code = len(self._ind_names)
            self._ind_codes[industry] = code
            self._ind_names.append(industry)
        return code

    def _register(self, doc: Document, row: int):
        while len(self._ids) <= row:
            self._ids.append(None)
            self._attrs.append({})
        self._ids[row] = doc.id
        self._row[doc.id] = row
        self._alive[row] = True
        self._kind[row] = _KIND_CODE[doc.kind]
        self._ind[row] = self._ind_code(doc.industry)
        self._attrs[row] = dict(doc.attrs or {})
        self._masks.clear()

    # ------------------------------------------------------------------ incremental
    def add(self, doc: Document) -> bool:
        """Add or update (same id) a document. Returns False when it has no indexable text (then it is not in
        the index afterwards, even if an older version was)."""
        vec = self._field_vector(doc)
        if doc.id in self._row:
            self.remove(doc.id)
        if not vec:
            return False
        cols, vals = self._doc_row(vec)
        self._grow_df()
        np.add.at(self._df, cols, 1)
        row = self.n_rows
        self._grow_rows(row + 1)
        self._register(doc, row)
        self._delta.append((cols, vals))
        self._delta_csc = None
        self._n_alive += 1
        if len(self._delta) >= self.MERGE_EVERY:
            self._merge()
        return True

    def remove(self, doc_id: str) -> bool:
        doc_id = str(doc_id)
        row = self._row.pop(doc_id, None)
        if row is None:
            return False
        cols = self._row_cols(row)
        np.subtract.at(self._df, cols, 1)
        self._alive[row] = False
        self._ids[row] = None
        self._attrs[row] = {}
        self._n_alive -= 1
        self._masks.clear()
        dead = self.n_rows - self._n_alive
        if dead > 1024 and dead > 0.25 * self.n_rows:
            self._merge(compact=True)
        return True

    def _row_cols(self, row: int) -> np.ndarray:
        nm = self._main.shape[0]
        if row < nm:
            return self._main.indices[self._main.indptr[row]:self._main.indptr[row + 1]]
        return self._delta[row - nm][0]

    def _row_vec(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        nm = self._main.shape[0]
        if row < nm:
            a, b = self._main.indptr[row], self._main.indptr[row + 1]
            return self._main.indices[a:b], self._main.data[a:b]
        return self._delta[row - nm]

    def _merge(self, compact: bool = False):
        """Fold the delta rows into the main segment (and drop removed rows when ``compact``)."""
        nf = len(self._features)
        main = self._main
        if self._delta:
            lens = np.array([len(c) for c, _ in self._delta], dtype=np.int64)
            indptr = np.zeros(len(self._delta) + 1, dtype=np.int64)
            np.cumsum(lens, out=indptr[1:])
            d = sp.csr_matrix((np.concatenate([v for _, v in self._delta]),
                               np.concatenate([c for c, _ in self._delta]), indptr),
                              shape=(len(self._delta), nf))
            main.resize((main.shape[0], nf))
            main = sp.vstack([main, d], format="csr", dtype=DTYPE)
        elif main.shape[1] != nf:
            main.resize((main.shape[0], nf))
        if compact:
            keep = np.flatnonzero(self._alive[: self.n_rows])
            main = main[keep]
            ids = [self._ids[i] for i in keep]
            attrs = [self._attrs[i] for i in keep]
            kind, ind = self._kind[keep].copy(), self._ind[keep].copy()
            n = len(keep)
            self._ids, self._attrs = ids, attrs
            self._alive = np.ones(max(n, 1024), dtype=bool)
            self._alive[n:] = False
            self._kind = np.zeros(max(n, 1024), np.int8)
            self._kind[:n] = kind
            self._ind = np.full(max(n, 1024), -1, np.int32)
            self._ind[:n] = ind
            self._row = {d: i for i, d in enumerate(ids)}
        main.sort_indices()
        self._main = main
        self._main_csc = main.tocsc()
        self._delta = []
        self._delta_csc = None
        self._masks.clear()

    # ------------------------------------------------------------------ query
    def _query_vector(self, query: Document | str) -> tuple[dict[str, float], set[str]]:
        """Query features -> tf weight, and the set of features that came only from the thesaurus."""
        if isinstance(query, str):
            query = Document(id="_query", kind="need", title="", description=query)
        vec = self._field_vector(query)
        if not vec:
            return {}, set()
        text = " ".join([query.title, " ".join(query.keywords), query.description])
        words = [t for t in vec if not t.startswith(BIGRAM_PREFIX)]  # the word features, no second tokenization
        matched = self.thesaurus.match(text, words)
        expanded: set[str] = set()
        if matched and self.config.expansion_weight > 0:
            alpha = self.config.expansion_weight
            extra: dict[str, float] = {}
            for term, syns in matched.items():
                # a term the corpus does not know (关不严, 一直滴) is the vocabulary gap itself: its synonyms
                # stand in for it with more weight than the synonyms of a term the corpus already uses
                known = self._vocab.get(term)
                known = known is not None and self._df[known] > 0
                w = alpha / (math.sqrt(len(syns)) if known else len(syns) ** 0.25)
                for s in syns:
                    # words of the synonym, and bigram features only where they are a whole 2-character word:
                    # bigrams of a long synonym (性能 from 密封性能) would match unrelated text
                    ws = self.tokenizer.words(s)
                    for t in set(ws) | {BIGRAM_PREFIX + x for x in ws if len(x) == 2}:
                        if t not in vec:
                            extra[t] = max(extra.get(t, 0.0), w)
            vec.update(extra)
            expanded = set(extra)
        return vec, expanded

    def _mask(self, kind: str | None, industry: str | None) -> np.ndarray:
        key = (kind, industry, self.n_rows)
        m = self._masks.get(key)
        if m is None:
            n = self.n_rows
            m = self._alive[:n].copy()
            if kind is not None:
                m &= self._kind[:n] == _KIND_CODE[kind]
            if industry is not None:
                m &= self._ind[:n] == self._ind_codes.get(industry, -2)
            if len(self._masks) > 16:
                self._masks.clear()
            self._masks[key] = m
        return m

    def _idf(self, cols: np.ndarray) -> np.ndarray:
        n = self._n_alive
        return np.log((1.0 + n) / (1.0 + self._df[cols])) + 1.0

    def search(self, query: Document | str, k: int = 10, kind: str | None = "achievement",
               industry: str | None = None, exclude_ids: Iterable[str] = (),
               filters: dict | None = None) -> list[Hit]:
        """Top-k documents of ``kind`` (None = any) for a query Document or text, best first.

        industry: keep only documents of that industry. filters: exact matches on ``attrs`` (e.g. {"town": "瓯北"}).
        A query Document's own id is excluded from its results.
        """
        if k <= 0 or self._n_alive == 0:
            return []
        if kind is not None and kind not in _KIND_CODE:
            raise ValueError(f"kind must be one of {KINDS} or None")
        vec, expanded = self._query_vector(query)
        items = [(t, w) for t, w in vec.items() if t in self._vocab]
        if not items:
            return []
        items.sort()  # deterministic summation order, independent of insertion history
        cols = np.fromiter((self._vocab[t] for t, _ in items), dtype=np.int64, count=len(items))
        tf = np.fromiter((w for _, w in items), dtype=np.float64, count=len(items))
        live = self._df[cols] > 0
        cols, tf = cols[live], tf[live]
        if len(cols) == 0:
            return []
        idf = self._idf(cols)
        qn = tf * idf
        if self.config.max_query_terms and len(cols) > self.config.max_query_terms:
            top = np.sort(np.argpartition(-qn * idf, self.config.max_query_terms)[: self.config.max_query_terms])
            cols, tf, idf, qn = cols[top], tf[top], idf[top], qn[top]
        qw = qn * idf
        norm = float(np.sqrt(np.dot(qn, qn))) * (math.log(1.0 + self._n_alive) + 1.0)
        mask = self._mask(kind, industry)
        common = None
        if self.config.max_df_ratio > 0 and self._n_alive >= self.config.two_phase_min_docs:
            common = self._df[cols] > self.config.max_df_ratio * self._n_alive
            if not common.any() or common.all():
                common = None
        if common is None:
            scores = self._scores(cols, qw)
        else:  # float32 is enough to pick candidates; their final scores are recomputed below in float64
            scores = self._scores(cols[~common], qw[~common].astype(DTYPE))
        cand = np.flatnonzero(scores)
        cand = cand[mask[cand]]
        excl = {str(x) for x in exclude_ids}
        if isinstance(query, Document):
            excl.add(query.id)
        if excl:
            bad = [self._row[x] for x in excl if x in self._row]
            if bad:
                cand = np.setdiff1d(cand, np.array(bad, dtype=np.int64), assume_unique=False)
        if filters:
            cand = np.array([r for r in cand if all(self._attrs[r].get(a) == v for a, v in filters.items())],
                            dtype=np.int64)
        if len(cand) == 0:
            return []
        if common is not None:
            r = max(self.config.rescore, 4 * k)
            if len(cand) > r:
                cand = cand[np.argpartition(-scores[cand], r - 1)[:r]]
            cand.sort()
            s = self._rows_dot(cand, cols, qw) / norm
        else:
            s = scores[cand].astype(np.float64) / norm
        q_ind = query.industry if isinstance(query, Document) else None
        if self.config.industry_boost and q_ind and q_ind in self._ind_codes:
            s = np.where(self._ind[cand] == self._ind_codes[q_ind], s * (1.0 + self.config.industry_boost), s)
        kk = min(k, len(cand))
        # take a margin for ties, then order by (-score, id) so ties do not depend on insertion order
        m = min(len(cand), kk + 16)
        part = np.argpartition(-s, m - 1)[:m] if m < len(cand) else np.arange(len(cand))
        order = sorted(part.tolist(), key=lambda i: (-s[i], self._ids[cand[i]]))[:kk]
        rows = cand[order]
        hits_terms = explain_hits(self, np.sort(rows), cols, qw, expanded, self.config.explain_terms)
        out = []
        for i, r in zip(order, rows, strict=True):
            terms, exp = hits_terms[int(r)]
            ind = self._ind[r]
            out.append(Hit(id=self._ids[r], score=float(min(1.0, s[i])), terms=terms, expanded_terms=exp,
                           kind=KINDS[self._kind[r]], industry=self._ind_names[ind] if ind >= 0 else None))
        return out

    def _scores(self, cols: np.ndarray, qw: np.ndarray) -> np.ndarray:
        n = self.n_rows
        csc = self._main_csc
        nm = csc.shape[0]
        if not self._delta and nm == n and nm and cols.max() < csc.shape[1]:
            return csc[:, cols] @ qw
        out = np.zeros(n, dtype=qw.dtype)
        if nm:
            inm = cols < csc.shape[1]
            if inm.any():
                sub = csc[:, cols[inm]]
                out[:nm] = sub @ qw[inm]
        if self._delta:
            d = self._delta_mats()[1]
            ind = cols < d.shape[1]
            if ind.any():
                out[nm:] = d[:, cols[ind]] @ qw[ind]
        return out

    def _delta_mats(self):
        if self._delta_csc is None:
            nf = len(self._features)
            lens = np.array([len(c) for c, _ in self._delta], dtype=np.int64)
            indptr = np.zeros(len(self._delta) + 1, dtype=np.int64)
            np.cumsum(lens, out=indptr[1:])
            csr = sp.csr_matrix(
                (np.concatenate([v for _, v in self._delta]), np.concatenate([c for c, _ in self._delta]), indptr),
                shape=(len(self._delta), nf))
            self._delta_csc = (csr, csr.tocsc())
        return self._delta_csc

    def _rows_dot(self, rows: np.ndarray, cols: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Exact partial scores of the given (sorted) rows on the given features."""
        out = np.zeros(len(rows), dtype=np.float64)
        nm = self._main.shape[0]
        split = int(np.searchsorted(rows, nm))
        if split:
            inm = cols < self._main.shape[1]
            if inm.any():
                out[:split] = self._gather_dot(rows[:split], cols[inm], w[inm])
        if split < len(rows):
            csr = self._delta_mats()[0]
            ind = cols < csr.shape[1]
            if ind.any():
                out[split:] = csr[rows[split:] - nm][:, cols[ind]] @ w[ind]
        return out

    def _gather_dot(self, rows: np.ndarray, cols: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Dot products of main-segment CSR rows with a sparse weight vector, via a reusable dense scratch."""
        main = self._main
        nf = main.shape[1]
        buf = getattr(self, "_scratch", None)
        if buf is None or len(buf) < nf:
            buf = self._scratch = np.zeros(nf, dtype=np.float64)
        starts = main.indptr[rows]
        lens = main.indptr[rows + 1] - starts
        total = int(lens.sum())
        out = np.zeros(len(rows), dtype=np.float64)
        if total == 0:
            return out
        offs = np.zeros(len(rows), dtype=np.int64)
        np.cumsum(lens[:-1], out=offs[1:])
        idx = np.arange(total, dtype=np.int64) + np.repeat(starts - offs, lens)
        buf[cols] = w
        try:
            prod = buf[main.indices[idx]] * main.data[idx]
        finally:
            buf[cols] = 0.0
        nz = lens > 0
        out[nz] = np.add.reduceat(prod, offs[nz])
        return out

    def search_many(self, queries: Sequence[Document | str], **kw) -> list[list[Hit]]:
        return [self.search(q, **kw) for q in queries]

    # ------------------------------------------------------------------ persistence
    def fingerprint(self) -> dict:
        return {"dictionary": len(self.tokenizer.dictionary), "thesaurus": self.thesaurus.fingerprint,
                "stopwords": len(self.tokenizer.stopwords), "bigrams": self.tokenizer.bigrams}

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically: a temporary file in the same directory, then os.replace()."""
        if self._delta or self.n_rows != self._n_alive:
            self._merge(compact=self.n_rows != self._n_alive)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT, "version": FORMAT_VERSION, "saved_at": time.time(),
            "config": self.config.to_dict(), "fingerprint": self.fingerprint(),
            "ids": self._ids, "industries": self._ind_names, "attrs": self._attrs,
        }
        nf = len(self._features)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
                    features=np.frombuffer("\n".join(self._features).encode(), dtype=np.uint8),
                    df=self._df[:nf],
                    indptr=self._main.indptr, indices=self._main.indices, data=self._main.data,
                    kind=self._kind[: self.n_rows], industry=self._ind[: self.n_rows],
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    @classmethod
    def load(cls, path: str | os.PathLike, tokenizer: Tokenizer | None = None,
             thesaurus: Thesaurus | None = None) -> Matcher:
        """Load a saved index. Raises IndexFormatError for files of another format or version.

        Loading only reads; save() replaces the file atomically, so concurrent loads see a complete index.
        If the dictionary/thesaurus changed since the index was built, ``needs_rebuild`` is set.
        """
        try:
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
                if "meta" not in z.files:
                    raise IndexFormatError(f"{path}: not a matching index")
                meta = json.loads(bytes(z["meta"]).decode())
                if meta.get("format") != FORMAT:
                    raise IndexFormatError(f"{path}: not a matching index")
                if meta.get("version") != FORMAT_VERSION:
                    raise IndexFormatError(
                        f"{path}: index format version {meta.get('version')!r}, this code reads {FORMAT_VERSION}")
                arrays = {k: z[k] for k in ("features", "df", "indptr", "indices", "data", "kind", "industry")}
        except IndexFormatError:
            raise
        except FileNotFoundError:
            raise
        except Exception as e:  # zip/npy/json damage
            raise IndexFormatError(f"{path}: unreadable index ({e.__class__.__name__}: {e})") from e
        cfg = Config(**{k: v for k, v in meta["config"].items() if hasattr(Config, k)})
        m = cls(tokenizer=tokenizer, thesaurus=thesaurus, config=cfg)
        feats = bytes(arrays["features"]).decode()
        m._features = feats.split("\n") if feats else []
        m._vocab = {t: i for i, t in enumerate(m._features)}
        nf = len(m._features)
        m._df = np.zeros(max(1024, nf), dtype=np.int64)
        m._df[:nf] = arrays["df"]
        ids = meta["ids"]
        n = len(ids)
        m._main = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, nf))
        m._main_csc = m._main.tocsc()
        m._ids = list(ids)
        m._attrs = list(meta["attrs"])
        m._row = {d: i for i, d in enumerate(ids) if d is not None}
        m._grow_rows(n)
        m._alive[:n] = [d is not None for d in ids]
        m._kind[:n] = arrays["kind"]
        m._ind[:n] = arrays["industry"]
        m._ind_names = list(meta["industries"])
        m._ind_codes = {x: i for i, x in enumerate(m._ind_names)}
        m._n_alive = len(m._row)
        m.needs_rebuild = meta.get("fingerprint") != m.fingerprint()
        return m
