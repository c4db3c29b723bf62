"""Excel exports (openpyxl) of the contract list and of every cockpit breakdown. Amounts in 元 as exact integers
(number format shows thousands), so a sum in Excel equals the page's figure.

Workbooks are written in openpyxl's write-only mode, row by row: a year's drill-down can hold a hundred thousand
contracts, which the normal mode kept as cell objects (a month of 13,000 took 3 s; a year ran past the worker's
timeout)."""
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.contracts.models import CONTRACT_TYPES

YUAN = "#,##0"
# the most contracts one export holds (openpyxl writes about 10,000 rows a second here: a few seconds at most);
# a wider drill-down is asked to narrow (by month or category). A county year is a few thousand contracts.
MAX_EXPORT_ROWS = 50_000
CONTRACT_HEADER = ["登记号", "合同名称", "类型", "买方", "买方地区", "卖方", "卖方地区", "合同金额（元）", "技术交易额（元）",
                   "签订日期", "登记日期"]
# the contract columns an export reads, in CONTRACT_HEADER's order (the type's code becomes its label)
CONTRACT_COLUMNS = ("registration_number", "title", "contract_type", "buyer_name", "buyer_region", "seller_name",
                    "seller_region", "contract_amount_yuan", "tech_amount_yuan", "signed_on", "counted_on")


def _sheet(wb, title: str, header: list[str], rows):
    """A sheet of rows (any iterable, consumed once) under a bold header; 元 columns with thousands separators."""
    ws = wb.create_sheet(title)
    for i, h in enumerate(header, 1):
        ws.column_dimensions[_letter(i)].width = max(12, len(h) * 2 + 2)
    bold = Font(bold=True)
    ws.append([_cell(ws, h, font=bold) for h in header])
    money = [h.endswith("（元）") for h in header]
    for r in rows:
        ws.append([_cell(ws, v, number_format=YUAN) if money[i] and isinstance(v, int) else v
                   for i, v in enumerate(r)])
    return ws


def _cell(ws, value, **style):
    c = WriteOnlyCell(ws, value=value)
    for k, v in style.items():
        setattr(c, k, v)
    return c


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i)


def contracts_workbook(rows, description: str) -> Workbook:
    """rows: tuples of CONTRACT_COLUMNS (a query's result, read as the sheet is written)."""
    wb = Workbook(write_only=True)
    types = dict(CONTRACT_TYPES)
    totals = {"count": 0, "amount": 0, "tech": 0}

    def lines():
        for r in rows:
            r = list(r)
            r[2] = types.get(r[2], r[2])
            totals["count"] += 1
            totals["amount"] += r[7]
            totals["tech"] += r[8]
            yield r
    _sheet(wb, "已登记技术合同", CONTRACT_HEADER, lines())
    ws = wb.create_sheet("说明")
    ws.append(["范围", description])
    ws.append(["合同数", totals["count"]])
    ws.append(["合同金额合计（元）", totals["amount"]])
    ws.append(["技术交易额合计（元）", totals["tech"]])
    return wb


def cockpit_workbook(c: dict) -> Workbook:
    wb = Workbook(write_only=True)
    t = c["totals"]
    _sheet(wb, "总览", ["年份", "合同数", "合同金额（元）", "技术交易额（元）", "年度目标（元）", "完成率%", "年末预测（元）",
                      "剩余月份每月需完成（元）"],
           [[c["year"], t["count"], t["amount"], t["tech"], c["target"], round(c["pace"]["percent"], 2),
             c["pace"]["projection"], c["pace"]["monthly_needed"]]])
    _sheet(wb, "按月", ["月份", "合同数", "合同金额（元）", "技术交易额（元）"],
           [[m["key"], m["count"], m["amount"], m["tech"]] for m in c["months"]])
    names = {"industry_code": "按产业", "town_code": "按街镇", "contract_type": "按合同类型", "seller_kind": "按卖方类型",
             "source": "按对接来源"}
    for dim, title in names.items():
        _sheet(wb, title, ["分类", "合同数", "合同金额（元）", "技术交易额（元）"],
               [[r["label"], r["count"], r["amount"], r["tech"]] for r in c["breakdowns"][dim]])
    _sheet(wb, "技术流向", ["流向", "合同数", "合同金额（元）", "技术交易额（元）"],
           [[f["label"], f["count"], f["amount"], f["tech"]] for f in c["flows"]])
    _sheet(wb, "历年", ["年份", "合同金额（元）", "来源"], [[s["year"], s["amount"], s["source"]] for s in c["series"]])
    return wb
