"""The monthly report for the county leadership (issue 5 §6): an Excel workbook built by the task `reports.monthly`.

Figures come from the same places as the bureau's pages, so the report and the pages agree:
- contract volume from the cockpit's summary table (`app.stats.services.cockpit` / `breakdown` / `totals`), as of
  the last `stats.recompute` (the time is written in the report);
- the 专栏13 targets from `app.targets.services.progress()`;
- the broker leaderboard from `broker_stats` (`app.stats.brokers.leaderboard`);
- listings and deals activity of the month straight from the listings and the deal log.

The file is written under REPORTS_DIR (app config or environment; default `instance/reports/`) through a temporary file and an atomic rename,
so a reader never sees half a workbook. Its name (`Job.result_path` holds only the name) carries the job id, so two
reports of the same month never overwrite each other.
"""
import calendar
import os
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import distinct, func, select

from app.deals.models import OPEN_STAGES, Deal, DealEvent
from app.errors import ValidationError
from app.extensions import db
from app.jobs import services as jobs
from app.listings.models import Achievement, Need
from app.models_base import utcnow
from app.stats import brokers as broker_stats
from app.stats import services as stats
from app.targets import services as targets
from app.timeutil import BEIJING, fmt_local, local_today

KIND = "reports.monthly"
FIRST_YEAR = 2021  # the plan's first year
YUAN = "#,##0"
STEPS = ["合同成交额", "分类统计", "专栏13目标", "经纪人排行", "供需与对接", "写入文件"]
DIMENSIONS = {"industry_code": "产业", "town_code": "街镇", "contract_type": "合同类型", "seller_kind": "卖方类型",
              "source": "对接来源"}


def reports_dir() -> Path:
    configured = current_app.config.get("REPORTS_DIR") or os.environ.get("REPORTS_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def previous_month(today: date | None = None) -> tuple[int, int]:
    today = today or local_today()
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def check_month(year: int, month: int, today: date | None = None) -> None:
    today = today or local_today()
    if not (isinstance(year, int) and isinstance(month, int)) or not 1 <= month <= 12:
        raise ValidationError("请选择年份和月份", {"month": "请选择年份和月份"})
    if year < FIRST_YEAR or (year, month) > (today.year, today.month):
        msg = f"只能生成{FIRST_YEAR}年1月至本月的报表"
        raise ValidationError(msg, {"month": msg})


def file_name(year: int, month: int, job_id: int | None) -> str:
    return f"monthly-{year}-{month:02d}-{job_id if job_id else utcnow().strftime('%Y%m%d%H%M%S')}.xlsx"


def download_name(year: int, month: int) -> str:
    return f"永嘉县技术市场月报-{year}年{month:02d}月.xlsx"


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month in Beijing time, as UTC instants [start, end)."""
    start = datetime.combine(date(year, month, 1), time(), BEIJING)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return start.astimezone(UTC), datetime.combine(nxt, time(), BEIJING).astimezone(UTC)


# --- the figures ---

def contract_figures(year: int, month: int, today: date | None = None) -> dict:
    """The month's and the year-to-date (to the month's end) registered volume against the year's target."""
    today = today or local_today()
    c = stats.cockpit(year, today)
    m = c["months"][month - 1]
    ytd = {k: sum(r[k] for r in c["months"][:month]) for k in ("count", "amount", "tech")}
    month_end = date(year, month, calendar.monthrange(year, month)[1])
    pace = stats.pace(ytd["amount"], c["target"], min(month_end, today), year)
    return {"cockpit": c, "month": {k: m[k] for k in ("count", "amount", "tech")}, "ytd": ytd, "pace": pace,
            "target": c["target"], "target_note": c["target_note"], "as_of": min(month_end, today)}


def breakdowns(year: int, month: int) -> dict:
    """Per dimension: the month's rows and the year-to-date rows (months 1..month summed), with labels."""
    out = {}
    for dim in DIMENSIONS:
        labels = stats.LABELS[dim]
        month_rows = [{**r, "label": labels.get(r["key"], r["key"])}
                      for r in stats.breakdown(stats.Drill(year=year, month=month), dim)]
        acc: dict = {}
        for m in range(1, month + 1):
            for r in stats.breakdown(stats.Drill(year=year, month=m), dim):
                a = acc.setdefault(r["key"], {"key": r["key"], "count": 0, "amount": 0, "tech": 0})
                for k in ("count", "amount", "tech"):
                    a[k] += r[k]
        ytd_rows = [{**r, "label": labels.get(r["key"], r["key"])} for r in sorted(acc.values(), key=lambda r: r["key"])]
        out[dim] = {"month": month_rows, "ytd": ytd_rows}
    flows = []
    for code, name in stats.FLOWS:
        t_month = stats.totals(stats.Drill(year=year, month=month, flow=code))
        t_ytd = {"count": 0, "amount": 0, "tech": 0}
        for m in range(1, month + 1):
            t = stats.totals(stats.Drill(year=year, month=m, flow=code))
            for k in t_ytd:
                t_ytd[k] += t[k]
        flows.append({"key": code, "label": name, "month": t_month, "ytd": t_ytd})
    out["flows"] = flows
    return out


def activity(year: int, month: int) -> list[tuple[str, int]]:
    """What happened on the market in the month (Beijing time), and what stands at the time of the report."""
    start, end = _month_bounds(year, month)

    def count(stmt) -> int:
        return int(db.session.scalar(stmt) or 0)

    def published(model):
        return count(select(func.count(model.id)).where(model.published_at >= start, model.published_at < end))

    def reached(stage):
        return count(select(func.count(distinct(DealEvent.deal_id))).where(
            DealEvent.to_stage == stage, DealEvent.kind.in_(("open", "stage")),
            DealEvent.created_at >= start, DealEvent.created_at < end))

    return [
        ("本月新发布技术需求（项）", published(Need)),
        ("本月新发布科技成果（项）", published(Achievement)),
        ("本月新建对接项目（个）", count(select(func.count(Deal.id)).where(Deal.created_at >= start,
                                                                 Deal.created_at < end))),
        ("本月进入洽谈的项目（个）", reached("negotiating")),
        ("本月进入签约的项目（个）", reached("signed")),
        ("本月合同登记的项目（个）", reached("registered")),
        ("本月终止的项目（个）", reached("terminated")),
        ("报表生成时在架技术需求（项）", count(select(func.count(Need.id)).where(Need.status == "approved"))),
        ("报表生成时在架科技成果（项）", count(select(func.count(Achievement.id)).where(Achievement.status == "approved"))),
        ("报表生成时进行中的对接项目（个）", count(select(func.count(Deal.id)).where(Deal.stage.in_(OPEN_STAGES)))),
    ]


# --- the workbook ---

def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], heading: str | None = None):
    ws = wb.create_sheet(title)
    if heading:
        ws.append([heading])
        ws.cell(ws.max_row, 1).font = Font(bold=True, size=13)
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    money_cols = {i for i, h in enumerate(header, 1) if h.endswith("（元）")}
    for r in rows:
        ws.append(r)
        for i in money_cols:
            if isinstance(ws.cell(ws.max_row, i).value, int):
                ws.cell(ws.max_row, i).number_format = YUAN
    for i, h in enumerate(header, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(h) * 2 + 2)
    return ws


def _workbook(year: int, month: int, fig: dict, bd: dict, tg: list[dict], board, act, generated: datetime,
              computed: str) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    p, mo, ytd = fig["pace"], fig["month"], fig["ytd"]
    title = f"永嘉县技术市场月度报告 · {year}年{month}月"
    ws = _sheet(wb, "概览", ["指标", "数值", "说明"], [
        ["本月登记技术合同（份）", mo["count"], ""],
        ["本月合同成交额（元）", mo["amount"], "已认定登记的技术合同，按首次登记日期计入月份"],
        ["本月技术交易额（元）", mo["tech"], ""],
        ["年初至本月末登记技术合同（份）", ytd["count"], f"{year}年1月1日至{fig['as_of'].isoformat()}"],
        ["年初至本月末合同成交额（元）", ytd["amount"], ""],
        ["年初至本月末技术交易额（元）", ytd["tech"], ""],
        ["年度目标（元）", fig["target"], fig["target_note"]],
        ["目标完成率（%）", round(p["percent"], 2), "年初至本月末成交额 ÷ 年度目标"],
        ["按截至本月末进度年末预计（元）", p["projection"], "是否达标：" + ("是" if p["on_track"] else "否")],
        ["距年度目标还差（元）", p["remaining"], ""],
        [f"其余{p['months_left']}个月每月需完成（元）", p["monthly_needed"], ""],
    ], heading=title)
    ws.append([])
    ws.append(["报表生成时间", fmt_local(generated), ""])
    ws.append(["合同统计更新时间", computed, "来自科技局驾驶舱的统计表（每10分钟更新）"])
    ws.column_dimensions["A"].width, ws.column_dimensions["C"].width = 34, 48
    for row in ws.iter_rows(min_row=3):
        row[2].alignment = Alignment(wrap_text=True)

    c = fig["cockpit"]
    _sheet(wb, "按月", ["月份", "合同数", "合同金额（元）", "技术交易额（元）"],
           [[f"{m['key']}月", m["count"], m["amount"], m["tech"]] for m in c["months"]],
           heading=f"{year}年各月已登记技术合同")

    rows = []
    for dim, name in DIMENSIONS.items():
        month_by_key = {r["key"]: r for r in bd[dim]["month"]}
        for r in bd[dim]["ytd"]:
            m = month_by_key.get(r["key"], {"count": 0, "amount": 0, "tech": 0})
            rows.append([name, r["label"], m["count"], m["amount"], m["tech"], r["count"], r["amount"], r["tech"]])
    for f in bd["flows"]:
        rows.append(["技术流向", f["label"], f["month"]["count"], f["month"]["amount"], f["month"]["tech"],
                     f["ytd"]["count"], f["ytd"]["amount"], f["ytd"]["tech"]])
    _sheet(wb, "分类统计", ["维度", "分类", "本月合同数", "本月合同金额（元）", "本月技术交易额（元）", "年累计合同数",
                        "年累计合同金额（元）", "年累计技术交易额（元）"], rows,
           heading=f"{year}年{month}月及年初至本月末分类统计")

    _sheet(wb, "专栏13目标", ["目标", "当前", "目标值", "单位", "完成率（%）", "说明"],
           [[t["name"] + (f"（{t['year']}年）" if t.get("year") else ""), t["current"], t["goal"], t["unit"],
             t["percent"], t["text"]] for t in tg],
           heading="技术市场建设行动计划（专栏13）目标进度（截至报表生成时）")

    rows = []
    for i, (s, u, prof) in enumerate(board, 1):
        rows.append([i, u.name, prof.organization.name if prof and prof.organization else "", s.deals_opened,
                     s.deals_negotiating, s.deals_signed, s.deals_terminated, s.contracts_registered,
                     s.contract_amount_yuan,
                     float(s.median_days_to_sign) if s.median_days_to_sign is not None else None,
                     float(s.median_response_hours) if s.median_response_hours is not None else None,
                     s.overdue_followups, float(s.score)])
    ws = _sheet(wb, "经纪人排行", ["名次", "经纪人", "单位", "项目数", "洽谈", "签约", "终止", "已登记合同数",
                              "已登记合同金额（元）", "意向到签约中位天数", "响应中位小时", "逾期跟进", "得分"], rows,
                heading="技术经纪人业绩排行（按得分）")
    ws.append([])
    ws.append(["得分公式"])
    for rule in broker_stats.SCORE_RULES:
        ws.append([rule])

    _sheet(wb, "供需与对接", ["指标", "数值"], [[k, v] for k, v in act], heading=f"{year}年{month}月供需与对接情况")
    return wb


def _write_atomically(wb: Workbook, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            wb.save(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_monthly_report(year: int, month: int, job_id: int | None = None, today: date | None = None) -> Path:
    """Build the month's workbook under reports_dir() and return its path; with job_id, the job's progress moves
    step by step (STEPS) and its result_path is set when done. Re-running for the same job rewrites the same file."""
    today = today or local_today()
    check_month(year, month, today)
    total = len(STEPS)

    def step(i: int) -> None:
        if job_id is not None:
            jobs.progress(job_id, i, total)

    if job_id is not None:
        jobs.started(job_id, total=total)
    fig = contract_figures(year, month, today)
    step(1)
    bd = breakdowns(year, month)
    step(2)
    tg = targets.progress(year)
    step(3)
    board = broker_stats.leaderboard("score")
    step(4)
    act = activity(year, month)
    step(5)
    last = stats.last_recompute()
    computed = fmt_local(last.finished_at) if last is not None and last.finished_at else "尚未统计"
    wb = _workbook(year, month, fig, bd, tg, board, act, utcnow(), computed)
    path = reports_dir() / file_name(year, month, job_id)
    _write_atomically(wb, path)
    if job_id is not None:
        jobs.finished(job_id, message=f"{year}年{month}月报表已生成", result_path=path.name)
    return path


def report_path(job) -> Path | None:
    """The file of a finished report job, only inside reports_dir() (never a path from elsewhere)."""
    if job is None or job.kind != KIND or job.status != "done" or not job.result_path:
        return None
    name = Path(job.result_path).name
    path = reports_dir() / name
    return path if name == job.result_path and path.is_file() else None


def prune() -> None:
    """Keep the latest jobs.KEEP_PER_KIND report jobs, and delete the files of those dropped."""
    from app.jobs.models import Job
    keep = set(db.session.scalars(select(Job.id).where(Job.kind == KIND).order_by(Job.id.desc())
                                  .limit(jobs.KEEP_PER_KIND)))
    for job in db.session.scalars(select(Job).where(Job.kind == KIND)):
        if job.id not in keep and job.result_path and Path(job.result_path).name == job.result_path:
            (reports_dir() / job.result_path).unlink(missing_ok=True)
    jobs.prune(KIND)
