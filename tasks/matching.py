"""Matching tasks: thin wrappers around app.matches.services."""
from celery import shared_task

from tasks.locks import single_run


@shared_task(name="matching.refresh_listing", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def refresh_listing(kind: str, listing_id: int) -> int:
    """Re-index one listing and recompute its suggestions (or retire them when it left the market)."""
    from app.matches import services
    return services.refresh_listing(kind, listing_id)


@shared_task(name="matching.rebuild_index")
def rebuild_index() -> int:
    from app.matches import services
    with single_run("matching.rebuild_index") as got:
        if not got:
            return -1
        return services.rebuild_all()


@shared_task(name="matching.rebuild_all_job")
def rebuild_all_job(job_id: int) -> int:
    """The full rebuild started from the web: index and every listing's suggestions, progress on Job job_id."""
    import logging

    from app.jobs import services as jobs
    from app.jobs.progress import reporter
    from app.matches import services
    with single_run("matching.rebuild_index") as got:  # the same lock as the nightly rebuild
        if not got:
            jobs.failed(job_id, "匹配索引正在重建中，请稍后再看结果")
            return -1
        jobs.started(job_id)
        try:
            n = services.rebuild_all(progress=reporter(job_id))
        except Exception as err:
            logging.getLogger(__name__).exception("matching rebuild (job %s) failed", job_id)
            jobs.failed(job_id, f"重建失败：{err.__class__.__name__}")
            return -1
        jobs.finished(job_id, message=f"已重建索引（{len(services.engine())} 条），更新 {n} 条信息的推荐")
        return n
