"""Vocabulary bridge: a hand-curated thesaurus (``data/thesaurus.txt``) used to expand queries.

File format (see the header of ``data/thesaurus.txt``):

* ``a, b, c`` (commas, 、 or spaces): a group; every term expands to the others.
* ``a, b => c, d``: one-way; ``a``/``b`` expand to ``c``/``d`` but not back.
* ``#`` starts a comment line.

A term is found in a query by substring match on the normalised text when it has two or more CJK characters
(so 关不严 is found in 阀门关不严实 whatever jieba does), and by whole-token match otherwise (漏, 滴, 5g, pu).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from .tokenize import DATA_DIR, normalize, read_list

DEFAULT_THESAURUS = DATA_DIR / "thesaurus.txt"
_SEP = re.compile(r"[,，、;；\s]+")
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


def _terms(part: str) -> list[str]:
    return [normalize(t) for t in _SEP.split(part) if t.strip()]


class Thesaurus:
    def __init__(self, lines: Iterable[str] = ()):
        self._exp: dict[str, set[str]] = {}
        self.groups = 0
        for line in lines:
            self.add_line(line)
        self._finish()

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_THESAURUS) -> Thesaurus:
        th = cls(read_list(path))
        th.source = str(path)
        return th

    @classmethod
    def empty(cls) -> Thesaurus:
        return cls(())

    def add_line(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        if "=>" in line:
            left, right = line.split("=>", 1)
            src, dst = _terms(left), _terms(right)
        else:
            src = dst = _terms(line)
        if not src or not dst:
            return
        self.groups += 1
        for s in src:
            self._exp.setdefault(s, set()).update(d for d in dst if d != s)

    def _finish(self) -> None:
        self._long = sorted((t for t in self._exp if len(t) >= 2 and _CJK.match(t)), key=len, reverse=True)
        self._by_head: dict[str, list[str]] = {}
        for t in self._long:
            self._by_head.setdefault(t[:2], []).append(t)
        self._short = {t for t in self._exp if not (len(t) >= 2 and _CJK.match(t))}
        h = hashlib.sha1()
        for t in sorted(self._exp):
            h.update((t + ":" + ",".join(sorted(self._exp[t])) + "\n").encode())
        self.fingerprint = h.hexdigest()[:16]

    @property
    def terms(self) -> set[str]:
        out = set(self._exp)
        for v in self._exp.values():
            out |= v
        return out

    def __len__(self) -> int:
        return len(self._exp)

    def expansions(self, term: str) -> set[str]:
        return set(self._exp.get(normalize(term), ()))

    def match(self, text: str, tokens: Iterable[str]) -> dict[str, set[str]]:
        """Thesaurus terms present in a query -> the terms they expand to (minus those already in the query)."""
        norm = normalize(text)
        found: dict[str, set[str]] = {}
        heads = {norm[i : i + 2] for i in range(len(norm) - 1)}
        for h in heads:
            for t in self._by_head.get(h, ()):
                if t in norm:
                    found[t] = self._exp[t]
        for tok in set(tokens):
            if tok in self._short:
                found[tok] = self._exp[tok]
        out = {}
        for t, syns in found.items():
            new = {s for s in syns if s not in norm}
            if new:
                out[t] = new
        return out


def default_thesaurus() -> Thesaurus:
    return Thesaurus.load(Path(DEFAULT_THESAURUS))
