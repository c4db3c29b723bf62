"""Demo contract history for the cockpit: registered technology contracts 2024-01 … 2026-11 between the demo
organizations and outside parties, plus two auctions. Deterministic (fixed seed, fixed dates); yearly volumes
chosen to look like the county's path toward 20亿元 (2024 ≈ 15.3亿, 2025 ≈ 20.6亿, 2026 to November ≈ 17.4亿)."""
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Organization, User
from app.auctions.models import Auction
from app.contracts.models import Contract
from app.extensions import db
from app.listings.models import Achievement
from app.models_base import utcnow

YEARS = {2024: (1_530_000_000, 12), 2025: (2_060_000_000, 12), 2026: (1_740_000_000, 11)}
PER_MONTH = (14, 26)
TYPES = [("development", 45), ("service", 25), ("transfer", 12), ("license", 8), ("consulting", 10)]
TYPE_WORD = {"development": "技术开发", "service": "技术服务", "transfer": "技术转让", "license": "技术许可",
             "consulting": "技术咨询"}
OUTSIDE_SELLERS = [("兰州理工大学", "甘肃省兰州市"), ("浙江大学", "浙江省杭州市"), ("上海交通大学", "上海市"),
                   ("江苏大学", "江苏省镇江市"), ("中国计量大学", "浙江省杭州市"), ("陕西科技大学", "陕西省西安市"),
                   ("四川大学", "四川省成都市"), ("合肥通用机械研究院有限公司", "安徽省合肥市")]
OUTSIDE_BUYERS = [("宁波甬港阀门有限公司", "浙江省宁波市"), ("台州东海泵业有限公司", "浙江省台州市"),
                  ("温州龙湾流体设备有限公司", "浙江省温州市龙湾区"), ("丽水青瓷智造有限公司", "浙江省丽水市"),
                  ("福建闽江鞋业有限公司", "福建省泉州市"), ("安徽江淮电气有限公司", "安徽省合肥市")]
TOPICS = {
    "pump_valve": ["高压球阀密封副", "离心泵叶轮水力模型", "智能阀门定位器", "调节阀流量特性", "阀体铸件缺陷控制"],
    "fashion": ["鞋底防滑配方", "服装智能裁剪", "拉链表面处理", "纽扣电镀工艺", "皮革环保鞣制"],
    "edu_toys": ["游乐设备结构安全", "玩具材料检测", "户外滑梯耐候塑料"],
    "electrical": ["开关柜温升监测", "低压断路器灭弧", "智能电表通信模块"],
    "digital": ["泵阀行业工业互联网平台", "车间MES系统", "数字孪生产线"],
    "health": ["医用敷料", "康复器械", "中药材提取工艺"],
    "materials": ["耐磨堆焊合金", "高分子密封材料", "表面纳米涂层"],
    "agriculture": ["早香柚保鲜", "乌牛早茶加工", "稻鱼共生养殖"],
}


def _weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def load_contracts(reviewer: User) -> dict:
    rng = random.Random(20240101)
    orgs = db.session.scalars(select(Organization).order_by(Organization.id)).all()
    enterprises = [o for o in orgs if o.kind == "enterprise" and o.verified_at]
    sellers = [o for o in orgs if o.kind in ("university", "institute") and o.verified_at]
    broker = db.session.scalar(select(User).where(User.email == "broker@demo.yjtm.cn"))
    achs_by_org: dict[int, list[Achievement]] = {}
    for a in db.session.scalars(select(Achievement).where(Achievement.status == "approved").order_by(Achievement.id)):
        achs_by_org.setdefault(a.organization_id, []).append(a)
    # continue after registration numbers already given (the demo activities register one contract)
    seq: dict[int, int] = {}
    for number in db.session.scalars(select(Contract.registration_number).where(
            Contract.registration_number.is_not(None))):
        y, n = int(number[6:10]), int(number[10:])
        seq[y] = max(seq.get(y, 0), n)
    n_total = 0
    for year, (volume, months) in YEARS.items():
        drafts = []
        for month in range(1, months + 1):
            for _ in range(rng.randint(*PER_MONTH)):
                drafts.append((month, rng.lognormvariate(14.4, 1.0)))  # median ≈ 180万元, a long tail
        scale = volume / sum(a for _, a in drafts)
        for month, raw in drafts:
            amount = max(20_000, int(raw * scale) // 100 * 100)
            drafts_day = rng.randint(1, 28)
            counted = date(year, month, drafts_day)
            ctype = _weighted(rng, TYPES)
            buyer = rng.choice(enterprises)
            buyer_name, buyer_region, buyer_in = buyer.name, buyer.region, True
            r = rng.random()
            seller_org, ach = None, None
            if r < 0.62:
                seller_org = rng.choice(sellers)
                seller_name, seller_region, seller_in = seller_org.name, seller_org.region, "永嘉" in (seller_org.region or "")
                if ctype in ("transfer", "license") and achs_by_org.get(seller_org.id):
                    ach = rng.choice(achs_by_org[seller_org.id])
            elif r < 0.85:
                seller_name, seller_region = rng.choice(OUTSIDE_SELLERS)
                seller_in = False
            else:  # a county enterprise supplies technology to a buyer outside the county
                seller_org = buyer
                seller_name, seller_region, seller_in = buyer.name, buyer.region, True
                buyer = None
                buyer_name, buyer_region = rng.choice(OUTSIDE_BUYERS)
                buyer_in = False
            industry = (ach.industry_code if ach else (seller_org or buyer).industry_code) or "pump_valve"
            topic = ach.title if ach else rng.choice(TOPICS.get(industry, TOPICS["pump_valve"]))
            seq[year] = seq.get(year, 0) + 1
            registered_on = counted
            c = Contract(
                title=f"{topic}{TYPE_WORD[ctype]}合同", contract_type=ctype,
                buyer_org_id=buyer.id if buyer else None, buyer_name=buyer_name, buyer_region=buyer_region or "",
                buyer_in_county=buyer_in, seller_org_id=seller_org.id if seller_org else None,
                seller_name=seller_name, seller_region=seller_region or "", seller_in_county=seller_in,
                contract_amount_yuan=amount, tech_amount_yuan=max(1, amount * rng.randint(70, 100) // 100),
                signed_on=counted - timedelta(days=rng.randint(3, 40)), achievement_id=ach.id if ach else None,
                broker_id=broker.id if broker and rng.random() < 0.18 else None, recorded_by_id=reviewer.id,
                status="registered", version=1, registration_number=f"330324{year}{seq[year]:05d}",
                registered_on=registered_on, counted_on=counted, registered_by_id=reviewer.id,
                submitted_at=datetime(year, month, drafts_day, 9, 0), created_at=datetime(year, month, drafts_day, 9, 0),
                updated_at=datetime(year, month, drafts_day, 9, 0))
            db.session.add(c)
            n_total += 1
    db.session.flush()
    return {"已登记技术合同": n_total, **_auctions(reviewer), **_targets(reviewer)}


def _targets(reviewer: User) -> dict:
    """The bureau's records behind the other 专栏13 targets: verified industrialisation of granted invention
    patents (those their owners marked), two certified service agencies, three major-contribution patents."""
    from app.listings.models import Patent
    from app.targets.models import MajorPatentSelection, PatentIndustrialization, ServiceAgencyCertification
    claimed = db.session.scalars(select(Patent).where(
        Patent.industrialized.is_(True), Patent.patent_type == "invention", Patent.status == "granted")
        .order_by(Patent.id)).all()
    verified = claimed[: max(0, len(claimed) * 3 // 4)]
    for i, p in enumerate(verified):
        db.session.add(PatentIndustrialization(
            patent_id=p.id, industrialized_on=date(2023 + i % 3, 1 + i % 12, 10),
            evidence="企业出具的产品销售发票与生产记录，县科技局现场核查", recorded_by_id=reviewer.id))
    agencies = db.session.scalars(select(Organization).where(Organization.kind == "service_agency",
                                                             Organization.verified_at.is_not(None))
                                  .order_by(Organization.id).limit(2)).all()
    for year, org in zip((2024, 2025), agencies, strict=False):
        db.session.add(ServiceAgencyCertification(organization_id=org.id, year=year, certified_by_id=reviewer.id,
                                                  note="年度优秀科技服务机构评选"))
    for year, p in zip((2023, 2024, 2025), verified[:3], strict=False):
        db.session.add(MajorPatentSelection(patent_id=p.id, year=year, selected_by_id=reviewer.id,
                                            citation="原创性强，已形成批量生产，对县内产业技术进步贡献突出"))
    db.session.flush()
    return {"产业化专利": len(verified)}


def _auctions(reviewer: User) -> dict:
    """One auction running now and one starting next week, on the demo university's achievements."""
    uni_user = db.session.scalar(select(User).where(User.email == "university@demo.yjtm.cn"))
    if uni_user is None:
        return {}
    achs = db.session.scalars(select(Achievement).where(Achievement.organization_id == uni_user.organization_id,
                                                        Achievement.status == "approved")
                              .order_by(Achievement.id)).all()
    if len(achs) < 3:
        return {}
    now = utcnow().replace(second=0, microsecond=0)
    specs = [(achs[1], now - timedelta(days=1), now + timedelta(days=3), "open"),
             (achs[2], now + timedelta(days=7), now + timedelta(days=10), "scheduled")]
    for ach, start, end, status in specs:
        db.session.add(Auction(
            achievement_id=ach.id, organization_id=ach.organization_id, created_by_id=uni_user.id, status=status,
            start_price_yuan=300_000, reserve_price_yuan=500_000, increment_yuan=20_000, starts_at=start,
            ends_at=end, scheduled_end_at=end, extension_minutes=5,
            description=f"“{ach.title}”专利技术所有权公开竞价，欢迎县内企业参与。"))
    db.session.flush()
    return {"竞价拍卖": len(specs)}
