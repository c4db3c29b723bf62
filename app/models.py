"""Import every domain's models so that Alembic and create_app see the whole schema."""
from app.accounts.models import Organization, User  # noqa: F401
from app.api.models import ApiToken  # noqa: F401,E402
from app.auctions.models import Auction, AuctionEvent, Bid  # noqa: F401,E402
from app.audit.models import AuditEvent  # noqa: F401,E402
from app.brokers.models import BrokerProfile, BrokerTraining  # noqa: F401,E402
from app.calls.models import CallApplication, CallLog, ChallengeCall  # noqa: F401,E402
from app.contracts.models import Contract, ContractEvent  # noqa: F401,E402
from app.deals.models import Deal, DealEvent  # noqa: F401,E402
from app.events.models import (  # noqa: F401,E402
    EventListing,
    EventLog,
    EventPair,
    EventRegistration,
    MatchmakingEvent,
)
from app.inquiries.models import Inquiry, InquiryMessage  # noqa: F401,E402
from app.jobs.models import Job  # noqa: F401,E402
from app.listings.models import Achievement, Need, Patent, ReviewEvent  # noqa: F401
from app.mail.models import OutboxEmail  # noqa: F401,E402
from app.matches.models import Match, MatchFeedback  # noqa: F401,E402
from app.notifications.models import Notification  # noqa: F401,E402
from app.reference import Industry, Town  # noqa: F401
from app.stats.models import (  # noqa: F401,E402
    BrokerStat,
    ContractRollup,
    ContractStat,
    Indicator,
    IndicatorValue,
    YearlyTarget,
)
from app.targets.models import (  # noqa: F401,E402
    MajorPatentSelection,
    PatentIndustrialization,
    ServiceAgencyCertification,
)
