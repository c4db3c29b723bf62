import json
from pathlib import Path

import pytest

from matching import Document, Matcher

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture_docs(name: str, kind: str) -> list[Document]:
    from matching.evaluate import load_documents

    return load_documents(str(FIXTURES / name), kind)


@pytest.fixture(scope="session")
def corpus() -> list[Document]:
    return load_fixture_docs("corpus.jsonl", "achievement")


@pytest.fixture(scope="session")
def needs() -> list[Document]:
    return load_fixture_docs("queries.jsonl", "need")


@pytest.fixture(scope="session")
def both(corpus, needs) -> list[Document]:
    return corpus + needs


@pytest.fixture(scope="session")
def matcher(both) -> Matcher:
    return Matcher.build(both)


def results(m: Matcher, q, **kw):
    return [(h.id, round(h.score, 9), tuple(h.terms), tuple(h.expanded_terms)) for h in m.search(q, **kw)]


def fixture_json(name: str):
    return [json.loads(x) for x in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if x.strip()]
