"""Report tasks: the monthly report for the county leadership."""
import logging

from celery import shared_task

from tasks.locks import single_run

log = logging.getLogger(__name__)


@shared_task(name="reports.monthly", acks_late=True)
def monthly(year: int | None = None, month: int | None = None, job_id: int | None = None) -> str:
    """Build the report of (year, month) — by default the month before today, as beat runs it on the 1st — and
    follow it on Job job_id (created here when none is given). Idempotent: a second run for the same job rewrites
    the same file. Failures are written on the job (the page shows them), not retried."""
    from app.jobs import services as jobs
    from app.reports import services
    if year is None or month is None:
        year, month = services.previous_month()
    if job_id is None:
        job_id = jobs.create(services.KIND, year=year, month=month).id
    with single_run(f"reports.monthly.{year}-{month:02d}", timeout=1800) as got:
        if not got:
            jobs.failed(job_id, f"{year}年{month}月的报表正在生成中，请稍后再试")
            return ""
        try:
            path = services.build_monthly_report(year, month, job_id=job_id)
        except Exception as err:  # recorded on the job for the page; the log keeps the trace
            log.exception("monthly report %s-%s (job %s) failed", year, month, job_id)
            message = getattr(err, "message", None) or f"生成失败：{err.__class__.__name__}"
            jobs.failed(job_id, message)
            return ""
        services.prune()
        return path.name
