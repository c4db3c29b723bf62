"""Progress reporting for long work that runs in a task and is followed by a page (`/jobs/<id>`)."""
from collections.abc import Callable

from app.jobs import services as jobs


def reporter(job_id: int, every_percent: int = 2) -> Callable[[int, int], None]:
    """A progress(done, total) callback that writes the job's progress at most every `every_percent` percent (and at
    the end), so a loop over thousands of items makes a few dozen short writes, not thousands.

    Note: jobs.progress commits the session, so work the caller has pending is committed with it; callers whose
    work is safe to commit piece by piece (e.g. one listing's suggestions at a time) may use it."""
    state = {"last": -every_percent}

    def report(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if done >= total or percent - state["last"] >= every_percent:
            state["last"] = percent
            jobs.progress(job_id, done, total)

    return report
