"""The composition root: domain objects built from settings and lazy AWS clients, once per container.

Each factory imports what it needs when called, so a function loads only its own part of the package at cold start
(the dispatcher never pays for templates, the sender never for the sequence engine).
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from proativo import aws

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb.service_resource import Table

    from proativo.cases.fold import CaseDesk
    from proativo.cases.team import TeamDesk
    from proativo.edge.storeapi import StoreApi
    from proativo.intake.clicks import Clicks
    from proativo.intake.deliveries import Relay
    from proativo.intake.processing import EventProcessor
    from proativo.intake.webhooks import Webhooks
    from proativo.messaging.sender import Sender
    from proativo.platforms.readback import ReadBack
    from proativo.selfservice.web import OrderPages
    from proativo.sequences.dispatch import Dispatcher, TrackingFanOut
    from proativo.settings import (
        ApiSettings,
        DispatcherSettings,
        EventsSettings,
        LinksSettings,
        PagesSettings,
        RelaySettings,
        SenderSettings,
        SignalsSettings,
        TeamSettings,
        TrackingSettings,
        WebhookSettings,
    )
    from proativo.signals.web import SignalsDesk
    from proativo.tracking.tracker import Tracker


@cache
def event_processor(settings: "EventsSettings") -> "EventProcessor":
    """The event processor for these settings."""
    from proativo.customers.profile import CustomerRepository
    from proativo.intake.processing import EventProcessor
    from proativo.sequences.overrides import FlowCache
    from proativo.sequences.store import SequenceStore
    from proativo.tracking.registry import ParcelRegistry

    table = aws.table(settings.table_name)
    return EventProcessor(
        customers=CustomerRepository(table),
        sequences=SequenceStore(table.name, settings.due_shards),
        parcels=ParcelRegistry(table, settings.due_shards),
        flows_for=FlowCache(table),
        read_back=lambda: readback(settings),
        case_desks=case_desks(table, settings.due_shards),
        pseudonym=_pseudonym(settings.link_signing_secret),
    )


def case_desks(table: "Table", shards: int) -> "Callable[[str], CaseDesk]":
    """A store's case rules (its own over the built-ins) and ouvidoria, read with its profile and kept a minute."""
    from proativo import stores
    from proativo.cases.fold import CaseDesk
    from proativo.cases.kinds import RULES_SK, built_in, rules_from
    from proativo.errors import NotFound

    reads = stores.StoreReads(table, RULES_SK, rules_from)

    def desk(store_id: str) -> CaseDesk:
        try:
            profile, rules = reads.get(store_id)
        except NotFound:  # events of a store not registered (yet): the built-in rules
            return CaseDesk(built_in(), "Ouvidoria", shards)
        return CaseDesk(
            rules, profile.ouvidoria_name, shards, bool(profile.cases_webhook_url), bool(profile.ouvidoria_email)
        )

    return desk


def _pseudonym(secret_id: str) -> "Callable[[str, str], str]":
    """A store's buyer's tax id → its digest keyed from the deployment's secret (`customers.identity`)."""
    from proativo.customers import identity
    from proativo.messaging import links

    def pseudonym(store_id: str, tax_id: str) -> str:
        return identity.digest(links.signing_key(secret_id), store_id, tax_id)

    return pseudonym


def _outbox(table_name: str) -> "Callable[[str, str, list[str], datetime], bool]":
    """Record events through the deliveries outbox (each key once; the relay queues them): for what a function
    other than the webhooks takes in (the store API's requests, a complaint site's complaints)."""
    from proativo.intake import deliveries

    def record(key: str, store_id: str, events: list[str], now: "datetime") -> bool:
        return deliveries.record(aws.dynamodb(), table_name, key, store_id, events, now)

    return record


@cache
def team(settings: "TeamSettings") -> "TeamDesk":
    """What the store's teams hear: one pooled HTTP client and SES client per container, each store's profile read
    at most once a minute."""
    import time

    import httpx

    from proativo import stores
    from proativo.cases.team import TeamDesk

    table = aws.table(settings.table_name)
    kept: dict[str, tuple[float, stores.StoreProfile]] = {}

    def profile_of(store_id: str) -> stores.StoreProfile:
        found = kept.get(store_id)
        if found is None or found[0] < time.monotonic():
            found = (time.monotonic() + 60, stores.get_profile(table, store_id))
            kept[store_id] = found
        return found[1]

    def secret_of(store_id: str) -> str:
        return stores.webhook_secret(settings.secrets_prefix, store_id, "generic", 300)

    from proativo.cases import sources

    http = httpx.Client(timeout=settings.webhook_timeout_seconds)

    def access_of(store_id: str, site: str) -> Any:
        return sources.access(settings.secrets_prefix, store_id, site)

    def enqueue(turns: list[dict[str, Any]]) -> int:
        import json

        from proativo.aws.queues import send_each

        messages = [(json.dumps(t), str(t["poll"]["store_id"])) for t in turns]
        return sum(send_each(aws.sqs(), settings.team_queue_url, messages))

    return TeamDesk(
        table,
        aws.sesv2(),
        http,
        profile_of,
        secret_of,
        settings.default_sender,
        pulled={name: adapter(http) for name, adapter in sources.PULLED.items()},
        access_of=access_of,
        record=_outbox(settings.deliveries_table_name),
        enqueue=enqueue,
        pseudonym=_pseudonym(settings.link_signing_secret),
    )


@cache
def readback(settings: "EventsSettings") -> "ReadBack":
    """Reads resources back from notify-only platforms, with one pooled HTTP client per container."""
    import httpx

    from proativo.platforms.readback import ReadBack

    return ReadBack(settings.secrets_prefix, httpx.Client(timeout=settings.platform_api_timeout_seconds))


@cache
def dispatcher(settings: "DispatcherSettings") -> "Dispatcher":
    """The dispatcher for these settings."""
    from proativo.sequences.dispatch import Dispatcher

    return Dispatcher(
        aws.table(settings.table_name),
        aws.sqs(),
        settings.send_queue_url,
        settings.due_shards,
        settings.events_queue_url,
        settings.team_queue_url,
    )


@cache
def sender(settings: "SenderSettings") -> "Sender":
    """The sender for these settings, with every channel we can reach."""
    import httpx

    from proativo import stores
    from proativo.messaging import links
    from proativo.messaging.channels import SesEmail, SnsSms
    from proativo.messaging.sender import Sender
    from proativo.messaging.store_templates import StoreTemplates
    from proativo.messaging.whatsapp import WhatsAppCloud

    whatsapp = WhatsAppCloud(
        httpx.Client(timeout=settings.provider_timeout_seconds),
        lambda store_id: stores.whatsapp_credentials(settings.secrets_prefix, store_id, max_age=300),
        settings.whatsapp_api_url,
    )

    return Sender(
        table=aws.table(settings.table_name),
        channels={
            "email": SesEmail(aws.sesv2(), settings.ses_configuration_set),
            "sms": SnsSms(aws.sns()),
            "whatsapp": whatsapp,
        },
        default_sender=settings.default_sender,
        links=links.LinkSigner(lambda: links.signing_key(settings.link_signing_secret), settings.public_url),
        due_shards=settings.due_shards,
        templates_for=StoreTemplates(aws.table(settings.table_name)),
    )


@cache
def tracking_fan_out(settings: "TrackingSettings") -> "TrackingFanOut":
    """The tracking schedule's fan-out for these settings."""
    from proativo.sequences.dispatch import TrackingFanOut

    return TrackingFanOut(aws.table(settings.table_name), aws.sqs(), settings.tracking_queue_url, settings.due_shards)


@cache
def tracker(settings: "TrackingSettings") -> "Tracker":
    """The carrier checker for these settings: carriers with each store's own credentials, announcements to the
    events queue."""
    from proativo.aws import queues
    from proativo.events import Event, dump_event
    from proativo.tracking.carriers import CarrierDirectory
    from proativo.tracking.claims import ClaimBook
    from proativo.tracking.policy import PolicyCache
    from proativo.tracking.registry import ParcelRegistry
    from proativo.tracking.tracker import Tracker

    table = aws.table(settings.table_name)

    def publish(events: "Sequence[Event]") -> None:
        for store_id in {e.store_id for e in events}:
            mine = tuple(dump_event(e) for e in events if e.store_id == store_id)
            queues.enqueue_events(aws.sqs(), settings.events_queue_url, mine, store_id)

    directory = CarrierDirectory(settings.secrets_prefix)
    return Tracker(
        ParcelRegistry(table, settings.due_shards),
        carriers=directory,
        policies=PolicyCache(table),
        publish=publish,
        claims=ClaimBook(table, settings.due_shards),
        claim_channels=directory.claims,
        registrars=directory.registrar,
        http_timeout=settings.carrier_timeout_seconds,
        workers=settings.tracker_workers,
    )


@cache
def store_api(settings: "ApiSettings") -> "StoreApi":
    """The store API's operations, each store's requests checked against its own secret."""
    from proativo import stores
    from proativo.edge.storeapi import StoreApi

    def secret_of(store_id: str) -> str:
        return stores.webhook_secret(settings.secrets_prefix, store_id, "generic", settings.secret_cache_seconds)

    from proativo.cases.kinds import RULES_SK, rules_from

    table = aws.table(settings.table_name)
    rules = stores.StoreReads(table, RULES_SK, rules_from)

    return StoreApi(
        table,
        secret_of,
        settings.signature_tolerance_seconds,
        record=_outbox(settings.deliveries_table_name),
        pseudonym=_pseudonym(settings.link_signing_secret),
        case_rules=lambda store_id: rules.get(store_id)[1],
    )


@cache
def relay(settings: "RelaySettings") -> "Relay":
    """The deliveries stream's relay to the queues."""
    from proativo.intake.deliveries import Relay

    return Relay(
        aws.sqs(),
        aws.dynamodb(),
        settings.events_queue_url,
        settings.tracking_queue_url,
        settings.deliveries_table_name,
    )


@cache
def clicks(settings: "LinksSettings") -> "Clicks":
    """What the links in our messages do when clicked."""
    from proativo.intake.clicks import Clicks
    from proativo.messaging import links

    return Clicks(
        aws.dynamodb(), settings.deliveries_table_name, lambda: links.signing_key(settings.link_signing_secret)
    )


@cache
def pages(settings: "PagesSettings") -> "OrderPages":
    """The customer's own order page, its help form and the order look-up."""
    from proativo.messaging import links
    from proativo.selfservice.web import OrderPages

    return OrderPages(
        aws.table(settings.table_name),
        aws.dynamodb(),
        aws.sqs(),
        settings.events_queue_url,
        settings.deliveries_table_name,
        # Addresses it gives are relative: the page is served from the same place as the look-up.
        links.LinkSigner(lambda: links.signing_key(settings.link_signing_secret), ""),
    )


@cache
def webhooks(settings: "WebhookSettings") -> "Webhooks":
    """The webhook routes, each store's deliveries checked against its own secrets."""
    from proativo import stores
    from proativo.intake.webhooks import Webhooks

    def secret_of(store_id: str, platform: str) -> str:
        return stores.webhook_secret(settings.secrets_prefix, store_id, platform, settings.secret_cache_seconds)

    return Webhooks(
        aws.dynamodb(),
        settings.deliveries_table_name,
        secret_of,
        settings.max_body_bytes,
        settings.signature_tolerance_seconds,
    )


@cache
def signals(settings: "SignalsSettings") -> "SignalsDesk":
    """The browsing-signals routes, each store's customers vouched for with its own secret."""
    from proativo import stores
    from proativo.signals.web import SignalsDesk

    def secret_of(store_id: str, platform: str) -> str:
        return stores.webhook_secret(settings.secrets_prefix, store_id, platform, settings.secret_cache_seconds)

    return SignalsDesk(aws.table(settings.table_name), secret_of, aws.sqs(), settings.events_queue_url)


def reset() -> None:
    """Forget every built object (the local stack calls this when it points AWS elsewhere)."""
    for fn in (
        event_processor,
        readback,
        dispatcher,
        sender,
        tracking_fan_out,
        tracker,
        store_api,
        relay,
        clicks,
        webhooks,
        pages,
        signals,
        team,
    ):
        fn.cache_clear()
