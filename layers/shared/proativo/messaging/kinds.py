"""What each channel is, in one table: how its address is read, whether it needs an opt-in and keeps quiet at
night, which template parts a message on it has, and the platform flag that states marketing consent for it.

To add a channel: its adapter (a class with `send(Outgoing) -> provider id`, e.g. `messaging/whatsapp.py`), its
entry in `CHANNELS`, and the adapter in `wiring.sender`'s channels. A leaf: the event vocabulary imports it.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator


@dataclass(frozen=True)
class ChannelKind:
    """One channel's rules."""

    name: str
    address: Literal["email", "phone"]
    # Asked for even for order news (Brazil's rules for SMS and WhatsApp; and good manners anywhere a phone rings).
    needs_opt_in: bool
    # Never during the customer's night (quiet hours, in their time zone).
    rings: bool
    # The template files a message on this channel renders (`<locale>/<template>.<part>.j2`).
    parts: tuple[str, ...]
    # The profile flag in which a platform states marketing consent for the channel (dated by `<flag>_at`).
    consent_flag: str | None = None


CHANNELS: dict[str, ChannelKind] = {
    c.name: c
    for c in (
        ChannelKind(
            "email",
            "email",
            needs_opt_in=False,
            rings=False,
            parts=("subject", "txt", "html"),
            consent_flag="accepts_marketing",
        ),
        ChannelKind("sms", "phone", needs_opt_in=True, rings=True, parts=("sms",), consent_flag="accepts_sms"),
        ChannelKind("whatsapp", "phone", needs_opt_in=True, rings=True, parts=("whatsapp",)),
    )
}


def _known(name: str) -> str:
    if name not in CHANNELS:
        raise ValueError(f"unknown channel '{name}' (known: {', '.join(CHANNELS)})")
    return name


# A channel's name wherever one is given (an event, a flow's step, a send request): one of `CHANNELS`.
type ChannelName = Annotated[str, AfterValidator(_known)]
# Every template part any channel renders.
PARTS = tuple(dict.fromkeys(part for c in CHANNELS.values() for part in c.parts))
