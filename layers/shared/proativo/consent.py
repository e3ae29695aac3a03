"""Who may be contacted, on which channel, for what. Pure rules over the customer's recorded state."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proativo import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

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
