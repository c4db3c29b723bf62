"""The event's agenda as an Excel workbook (openpyxl): the first sheet is the programme in roadshow order and the
pairs to meet; then one sheet per listing, its one-page summary. Only public fields of approved listings (never the
confidential part of an achievement)."""
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app import money
from app.events.models import MatchmakingEvent
from app.timeutil import fmt_local

_BAD_SHEET_CHARS = re.compile(r"[\[\]\*\?/\\:]")
_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)


def _sheet_title(n: int, title: str) -> str:
    return _BAD_SHEET_CHARS.sub(" ", f"{n:02d} {title}")[:31]


def _summary_rows(listing) -> list[tuple[str, str]]:
    rows = [("名称", listing.title), ("类型", listing.kind_label), ("单位", listing.organization.name),
            ("产业领域", listing.industry.name if listing.industry else "")]
    if listing.kind == "need":
        rows += [("所在街道/乡镇", listing.town.name if listing.town else ""),
                 ("预算", money(listing.budget_yuan)), ("期望合作方式", listing.cooperation_label),
                 ("期望解决日期", listing.deadline.isoformat() if listing.deadline else ""),
                 ("需求描述", listing.description)]
    else:
        rows += [("成熟度", listing.maturity_label), ("转化方式", listing.transfer_label),
                 ("参考价格", money(listing.price_yuan)), ("团队负责人", listing.leader),
                 ("成果简介", listing.abstract), ("应用领域", listing.application),
                 ("相关专利", "；".join(f"{p.number} {p.title}（{p.status_label}）"
                                     for p in listing.patents if p.active))]
    rows.append(("关键词", "、".join(listing.keyword_list)))
    return rows


def agenda_workbook(event: MatchmakingEvent) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "议程"
    ws.append([event.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"时间：{fmt_local(event.starts_at)} 至 {fmt_local(event.ends_at)}（北京时间）"])
    ws.append([f"地点：{event.venue or '线上'}" + (f"    线上链接：{event.online_url}" if event.online_url else "")])
    ws.append([f"产业聚焦：{event.industry.name}" + (f"（{event.focus_keywords}）" if event.focus_keywords else "")])
    ws.append([])
    header = ["路演顺序", "类型", "名称", "单位", "成熟度/合作方式", "价格/预算", "摘要页"]
    ws.append(header)
    for c in ws[ws.max_row]:
        c.font = _BOLD
    items = [i for i in event.items if i.listing is not None and i.listing.status == "approved"]
    for n, item in enumerate(items, 1):
        listing = item.listing
        if listing.kind == "need":
            mode, price = listing.cooperation_label, money(listing.budget_yuan)
        else:
            mode, price = f"{listing.maturity_label} · {listing.transfer_label}", money(listing.price_yuan)
        ws.append([n, item.kind_label, listing.title, listing.organization.name, mode, price, _sheet_title(n, listing.title)])
    pairs = [p for p in event.pairs if p.need.status == "approved" and p.achievement.status == "approved"]
    if pairs:
        ws.append([])
        ws.append(["对接洽谈安排"])
        ws.cell(ws.max_row, 1).font = _BOLD
        ws.append(["序号", "技术需求", "需求单位", "科技成果", "成果单位", "匹配依据"])
        for c in ws[ws.max_row]:
            c.font = _BOLD
        for n, p in enumerate(pairs, 1):
            ws.append([n, p.need.title, p.need.organization.name, p.achievement.title,
                       p.achievement.organization.name, "、".join((p.terms or [])[:6])])
    for col, width in zip(range(1, 8), (10, 10, 40, 30, 20, 14, 24), strict=True):
        ws.column_dimensions[get_column_letter(col)].width = width

    for n, item in enumerate(items, 1):
        listing = item.listing
        sheet = wb.create_sheet(_sheet_title(n, listing.title))
        sheet.append([f"路演 {n}：{listing.title}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([])
        for k, v in _summary_rows(listing):
            sheet.append([k, v or ""])
            sheet.cell(sheet.max_row, 1).font = _BOLD
            sheet.cell(sheet.max_row, 2).alignment = _WRAP
        sheet.column_dimensions["A"].width = 16
        sheet.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
