"""Who may be contacted, on which channel, for what. Pure rules over the customer's recorded state."""

from dataclasses import dataclass
from typing import Any

# E-mail marketing is allowed unless refused (the customer bought or started a purchase: legitimate interest);
# SMS and WhatsApp marketing only after an explicit opt-in.
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
    if purpose == "transactional":
        if recorded is not None and not recorded.get("granted", True):
            return Verdict(False, "opted_out")
        return Verdict(True)
    if recorded is not None:
        return Verdict(bool(recorded.get("granted")), "ok" if recorded.get("granted") else "opted_out")
    platform_says = profile.get("accepts_marketing")
    if platform_says is False:
        return Verdict(False, "opted_out")
    if channel in OPT_IN_CHANNELS and platform_says is not True:
        return Verdict(False, "no_opt_in")
    return Verdict(True)
