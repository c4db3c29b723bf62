"""Domain signals: other domains (matching, tasks) subscribe without the listings code importing them."""
from blinker import Namespace

_signals = Namespace()
listing_changed = _signals.signal("listing-changed")
# sent after the bureau's registration of a contract is committed (sender: the contract id)
contract_registered = _signals.signal("contract-registered")
