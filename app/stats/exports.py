"""Excel exports (openpyxl) of the contract list and of every cockpit breakdown. Amounts in 元 as exact integers
(number format shows thousands), so a sum in Excel equals the page's figure."""
from openpyxl import Workbook
from openpyxl.styles import Font

YUAN = "#,##0"


def _sheet(wb, title: str, header: list[str], rows: list[list]):
    ws = wb.create_sheet(title)
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            if isinstance(cell.value, int) and header[cell.column - 1].endswith("（元）"):
                cell.number_format = YUAN
    for i, h in enumerate(header, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(h) * 2 + 2)
    return ws


def contracts_workbook(contracts, description: str) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    rows = [[c.registration_number, c.title, c.type_label, c.buyer_name, c.buyer_region, c.seller_name,
             c.seller_region, c.contract_amount_yuan, c.tech_amount_yuan, c.signed_on, c.counted_on]
            for c in contracts]
    _sheet(wb, "已登记技术合同", ["登记号", "合同名称", "类型", "买方", "买方地区", "卖方", "卖方地区", "合同金额（元）",
                           "技术交易额（元）", "签订日期", "登记日期"], rows)
    ws = wb.create_sheet("说明")
    ws.append(["范围", description])
    ws.append(["合同数", len(rows)])
    ws.append(["合同金额合计（元）", sum(r[7] for r in rows)])
    ws.append(["技术交易额合计（元）", sum(r[8] for r in rows)])
    return wb


def cockpit_workbook(c: dict) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
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
