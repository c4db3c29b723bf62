"""Import every domain's models so that Alembic and create_app see the whole schema."""
from app.accounts.models import Organization, User  # noqa: F401
from app.listings.models import Achievement, Need, Patent, ReviewEvent  # noqa: F401
from app.reference import Industry, Town  # noqa: F401
from app.matches.models import Match, MatchFeedback  # noqa: F401,E402
from app.brokers.models import BrokerProfile, BrokerTraining  # noqa: F401,E402
from app.inquiries.models import Inquiry, InquiryMessage  # noqa: F401,E402
from app.deals.models import Deal, DealEvent  # noqa: F401,E402
from app.notifications.models import Notification  # noqa: F401,E402
from app.events.models import EventListing, EventLog, EventPair, EventRegistration, MatchmakingEvent  # noqa: F401,E402
from app.calls.models import CallApplication, CallLog, ChallengeCall  # noqa: F401,E402
