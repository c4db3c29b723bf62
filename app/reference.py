"""Reference vocabularies shared by models, forms, demo data and the migration that seeds them.

Codes are stable identifiers (stored in the database); labels are what people see.
"""

# 产业 — the county's industry chains (plan 第三章 and design.md glossary)
INDUSTRIES: list[tuple[str, str]] = [
    ("pump_valve", "系统流程装备（泵阀）"),
    ("fashion", "时尚智造（鞋服/纽扣拉链）"),
    ("edu_toys", "教玩装备"),
    ("electrical", "智能电子电气"),
    ("digital", "数字经济"),
    ("health", "生命健康"),
    ("materials", "新材料"),
    ("agriculture", "现代农业"),
]

# 街道/乡镇 of Yongjia County
TOWNS: list[tuple[str, str]] = [
    ("oubei", "瓯北街道"),
    ("dongcheng", "东城街道"),
    ("nancheng", "南城街道"),
    ("beicheng", "北城街道"),
    ("jiangbei", "江北街道"),
    ("huangtian", "黄田街道"),
    ("wuniu", "乌牛街道"),
    ("sanjiang", "三江街道"),
    ("qiaotou", "桥头镇"),
    ("qiaoxia", "桥下镇"),
    ("daruoyan", "大若岩镇"),
    ("bilian", "碧莲镇"),
    ("xunzhai", "巽宅镇"),
    ("yantou", "岩头镇"),
    ("fenglin", "枫林镇"),
    ("yantan", "岩坦镇"),
    ("shatou", "沙头镇"),
    ("hesheng", "鹤盛镇"),
    ("jinxi", "金溪镇"),
    ("yunling", "云岭乡"),
    ("xixia", "溪下乡"),
    ("jiekeng", "界坑乡"),
]

# 成熟度
MATURITIES: list[tuple[str, str]] = [
    ("lab", "实验室"),
    ("small_pilot", "小试"),
    ("pilot", "中试"),
    ("industrial", "产业化"),
]

# 成果转化方式
TRANSFER_MODES: list[tuple[str, str]] = [
    ("transfer", "转让"),
    ("license", "许可"),
    ("equity", "作价入股"),
    ("co_develop", "合作开发"),
    ("service", "技术服务"),
]

# 需求的期望合作方式
COOPERATION_MODES: list[tuple[str, str]] = [
    ("transfer", "技术转让"),
    ("license", "技术许可"),
    ("co_develop", "合作开发"),
    ("commissioned", "委托开发"),
    ("service", "技术服务"),
    ("consulting", "技术咨询"),
    ("talent", "人才引进"),
]

PATENT_TYPES: list[tuple[str, str]] = [
    ("invention", "发明专利"),
    ("utility", "实用新型"),
    ("design", "外观设计"),
]

PATENT_STATUSES: list[tuple[str, str]] = [
    ("applied", "申请中"),
    ("granted", "已授权"),
]

ORG_KINDS: list[tuple[str, str]] = [
    ("enterprise", "企业"),
    ("university", "高校"),
    ("institute", "科研院所"),
    ("service_agency", "科技服务机构"),
    ("government", "政府部门"),
]


def codes(pairs: list[tuple[str, str]]) -> list[str]:
    return [c for c, _ in pairs]


def label(pairs: list[tuple[str, str]], code: str | None) -> str:
    return dict(pairs).get(code or "", code or "")


# --- reference tables (seeded by migration 0001; codes above are the source of truth for new rows) ---
from sqlalchemy import Integer, String  # noqa: E402
from sqlalchemy.orm import Mapped, mapped_column  # noqa: E402

from app.extensions import db  # noqa: E402


class Industry(db.Model):
    __tablename__ = "industries"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Town(db.Model):
    __tablename__ = "towns"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
