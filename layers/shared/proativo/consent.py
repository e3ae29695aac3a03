"""Who may be contacted, on which channel, for what. Pure rules over the customer's recorded state."""

from dataclasses import dataclass
from typing import Any

# E-mail is allowed unless refused (the customer bought or started a purchase: legitimate interest); SMS and
# WhatsApp only after an explicit opt-in, for any purpose: a phone number given at checkout is not consent.
OPT_IN_CHANNELS = frozenset({"sms", "whatsapp"})


@dataclass(frozen=True)
class Verdict:
    """Whether a message may go, and why not."""

    allowed: bool
    reason: str = "ok"


def may_contact(
    profile: dict[str, Any], consents: dict[str, dict[str, Any]], suppressed: set[str], channel: str, purpose: str
) -> Verdict:
    """Decide for one message. `consents` maps "channel#purpose" to the latest consent item."""
    if channel in suppressed:
        return Verdict(False, "suppressed")
    recorded = consents.get(f"{channel}#{purpose}")
    if recorded is not None:
        return Verdict(True) if recorded.get("granted") else Verdict(False, "opted_out")
    marketing = consents.get(f"{channel}#marketing")
    if channel in OPT_IN_CHANNELS:
        # Whoever agreed to marketing on a channel agreed to hear about their own orders there too.
        platform_opt_in = profile.get("accepts_sms") is True and channel == "sms"
        opted_in = (marketing is not None and marketing.get("granted")) or (marketing is None and platform_opt_in)
        return Verdict(True) if opted_in else Verdict(False, "no_opt_in")
    if purpose == "marketing" and profile.get("accepts_marketing") is False:
        return Verdict(False, "opted_out")
    return Verdict(True)
