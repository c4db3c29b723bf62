"""Domain signals: other domains (matching, tasks) subscribe without the listings code importing them."""
from blinker import Namespace

_signals = Namespace()
listing_changed = _signals.signal("listing-changed")
