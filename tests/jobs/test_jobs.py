"""Following long work: /jobs/<id> for its creator and the bureau only, the progress page, the throttled progress
callback, and the full matching rebuild started from the web."""
import pytest

from app.jobs import services as jobs
from app.jobs.progress import reporter
from app.matches import services as matches
from tests.conftest import csrf_token, login, make_listing, make_user
from tests.transaction_factories import make_broker


def test_status_json_for_the_creator_and_the_bureau_only(app, client):
    broker, other = make_broker(), make_broker()
    job = jobs.create("reports.monthly", broker, year=2026, month=3)
    url = f"/jobs/{job.id}"
    assert client.get(url).status_code == 401
    login(client, broker)
    body = client.get(url).get_json()
    assert body["status"] == "queued" and body["percent"] == 0 and not body["finished"]
    assert body["result_url"] is None and client.get(url).headers["Cache-Control"] == "no-store"
    jobs.started(job.id, total=4)
    jobs.progress(job.id, 1, 4)
    assert client.get(url).get_json()["percent"] == 25
    jobs.finished(job.id, message="好了", result_path="x.xlsx")
    body = client.get(url).get_json()
    assert body["status"] == "done" and body["percent"] == 100 and body["message"] == "好了"
    assert body["result_url"] is None  # reports are downloaded by the bureau only

    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(url).status_code == 403
    assert other_client.get(f"{url}/progress").status_code == 403
    bureau_client = app.test_client()
    login(bureau_client, make_user("bureau"))
    assert bureau_client.get(url).get_json()["result_url"] == f"/bureau/reports/{job.id}/download"
    assert bureau_client.get("/jobs/999999").status_code == 404


def test_reporter_writes_a_few_times_and_always_the_end(monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "progress", lambda job_id, done, total: calls.append((done, total)))
    report = reporter(1)
    for i in range(1, 1001):
        report(i, 1000)
    assert 40 <= len(calls) <= 51 and calls[-1] == (1000, 1000)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.fixture
def fresh_index(app, tmp_path):
    old = app.config["MATCHING_INDEX_PATH"]
    app.config["MATCHING_INDEX_PATH"] = str(tmp_path / "matching.idx")
    matches._process.update(matcher=None, key=None)
    yield
    app.config["MATCHING_INDEX_PATH"] = old
    matches._process.update(matcher=None, key=None)


def test_full_matching_rebuild_from_the_web_shows_progress(app, client, fresh_index):
    uni = make_user("university")
    for title in ("金属硬密封球阀密封副优化", "离心泵叶轮抗汽蚀设计", "高防滑鞋底橡胶配方"):
        make_listing("achievement", uni, title=title)
    make_listing("need")
    make_listing("need", status="pending")  # not on the market: not rebuilt
    bureau = make_user("bureau")
    login(client, bureau)
    resp = client.post("/bureau/matching/rebuild", data={"csrf_token": csrf_token(client, "/bureau/unsolved-needs")})
    assert resp.status_code == 302 and "/progress" in resp.headers["Location"]
    job_id = int(resp.headers["Location"].split("/")[2])
    body = client.get(f"/jobs/{job_id}").get_json()
    assert body["kind"] == "matching.rebuild_all" and body["status"] == "done"
    assert body["progress"] == body["total"] == 4 and body["percent"] == 100
    assert "更新 4 条信息的推荐" in body["message"] and body["result_url"] == "/bureau/unsolved-needs"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "重建匹配索引与推荐" in page and "<progress" in page and "js/jobs.js" in page
    assert "已完成" in page


def test_only_the_bureau_starts_a_rebuild(app, client, fresh_index):
    login(client, make_broker())
    assert client.post("/bureau/matching/rebuild", data={"csrf_token": csrf_token(client, "/")}).status_code == 403
