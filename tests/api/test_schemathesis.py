"""Fuzz the live API with schemathesis: every operation, with a token of each role and without one.

The app runs in its own process (tests/api/live_server.py: migrations, demo market, a token per role) and is
reached over HTTP on 127.0.0.1. For every operation and every caller, schemathesis generates requests from the
OpenAPI document and checks the responses: no 5xx, and status code, content type, headers and body all as the
document says. Bounded: a few examples per operation and caller (about a minute in all).
"""
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    work = tmp_path_factory.mktemp("live-api")
    port = _free_port()
    log = open(work / "server.log", "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen([sys.executable, "-m", "tests.api.live_server", "--dir", str(work), "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 480  # migrations, demo market and matching index; slow on a busy CI runner
        while not (work / "ready").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("live server did not start:\n" + (work / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):  # the socket is bound before `ready` is written; wait until it answers
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base, json.loads((work / "tokens.json").read_text())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _fuzz(operation, base: str, headers: dict) -> None:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=30)

    run()


def test_fuzz_every_operation_with_every_role(live):
    base, secrets = live
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    callers = {"anonymous": None, **secrets}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for role, secret in callers.items():
            headers = {"Authorization": f"Bearer {secret}"} if secret else {}

            try:
                _fuzz(operation, base, headers)
            except BaseException as err:  # noqa: B036  (collect all, report together; FailureGroup is one)
                if isinstance(err, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} as {role}: {type(err).__name__}: {str(err)[:1500]}")
    assert operations >= 20, operations
    assert not failures, "\n\n".join(failures)
