"""The composition root: domain objects built from settings and lazy AWS clients, once per container.

Each factory imports what it needs when called, so a function loads only its own part of the package at cold start
(the dispatcher never pays for templates, the sender never for the sequence engine).
"""

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from proativo import aws

if TYPE_CHECKING:
    from proativo.intake.processing import EventProcessor
    from proativo.messaging.sender import Sender
    from proativo.platforms.readback import ReadBack
    from proativo.sequences.dispatch import Dispatcher, TrackingFanOut
    from proativo.settings import DispatcherSettings, EventsSettings, SenderSettings, TrackingSettings
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

    return Dispatcher(aws.table(settings.table_name), aws.sqs(), settings.send_queue_url, settings.due_shards)


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
        http_timeout=settings.carrier_timeout_seconds,
    )


def reset() -> None:
    """Forget every built object (the local stack calls this when it points AWS elsewhere)."""
    for fn in (event_processor, readback, dispatcher, sender, tracking_fan_out, tracker):
        fn.cache_clear()
