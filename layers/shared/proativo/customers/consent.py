"""Who may be contacted, on which channel, for what. Pure rules over the customer's recorded state."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proativo.aws import keys
from proativo.messaging.kinds import CHANNELS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# E-mail is allowed unless refused (the customer bought or started a purchase: legitimate interest); SMS and
# WhatsApp only after an explicit opt-in, for any purpose: a phone number given at checkout is not consent
# (`ChannelKind.needs_opt_in`). The profile's flags in which a platform states marketing consent for a channel.
PLATFORM_CONSENT_FLAGS = {c.name: c.consent_flag for c in CHANNELS.values() if c.consent_flag}


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
    own = consents.get(f"{channel}#{purpose}")
    if purpose != "marketing" and own is not None:
        return Verdict(True) if own.get("granted") else Verdict(False, "opted_out")
    marketing = latest_word(profile, consents, channel)
    if purpose == "marketing" and marketing is False:
        return Verdict(False, "opted_out")
    # Whoever agreed to marketing on a channel agreed to hear about their own orders there too.
    if CHANNELS[channel].needs_opt_in and marketing is not True:
        return Verdict(False, "no_opt_in")
    return Verdict(True)


def latest_word(profile: dict[str, Any], consents: dict[str, dict[str, Any]], channel: str) -> bool | None:
    """The customer's newest statement on marketing over `channel`: their recorded consent (an unsubscribe link, a
    consent event) or the platform's flag on the profile, whichever is dated later; a withdrawal wins a tie. None
    when nothing was ever said."""
    said: list[tuple[str, bool]] = []
    recorded = consents.get(f"{channel}#marketing")
    if recorded is not None:
        said.append((str(recorded.get("at") or ""), bool(recorded.get("granted"))))
    flag = PLATFORM_CONSENT_FLAGS.get(channel)
    if flag and profile.get(flag) is not None:
        # Profiles written before flags were dated carry the time of their last contact.
        said.append((str(profile.get(f"{flag}_at") or profile.get("contact_at") or ""), bool(profile[flag])))
    if not said:
        return None
    return max(said, key=lambda word: (word[0], not word[1]))[1]


def e164(raw: str | None, region: str) -> str | None:
    """A phone number in E.164 (+5511987654321), read as a number of `region` when it has no country code; None
    when it is not a possible number."""
    if not raw:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def dnc_pk(store_id: str) -> str:
    """Partition of a store's do-not-contact list (one item per phone number or e-mail address)."""
    return f"{keys.store_pk(store_id)}#DNC"


def dnc_sk(recipient: str) -> str:
    """Sort key of one entry: PHONE#+55… or EMAIL#…"""
    return f"EMAIL#{recipient.strip().lower()}" if "@" in recipient else f"PHONE#{recipient}"


@dataclass(frozen=True)
class Imported:
    """What a do-not-contact import did."""

    added: int
    refused: list[str]


def import_dnc(table: "Table", store_id: str, entries: Iterable[str], region: str, source: str) -> Imported:
    """Add phone numbers (normalised to E.164) and e-mail addresses to the store's do-not-contact list; entries
    that are neither are reported, not guessed."""
    added, refused = 0, []
    with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            value = entry.lower() if "@" in entry else e164(entry, region)
            if value is None:
                refused.append(entry)
                continue
            batch.put_item(Item={"pk": dnc_pk(store_id), "sk": dnc_sk(value), "kind": "dnc", "source": source})
            added += 1
    return Imported(added, refused)


def on_dnc_list(table: "Table", store_id: str, recipient: str) -> bool:
    """Whether the store's do-not-contact list names this recipient."""
    return "Item" in table.get_item(Key={"pk": dnc_pk(store_id), "sk": dnc_sk(recipient)}, ConsistentRead=True)
