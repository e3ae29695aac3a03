"""Delivering one scheduled message: re-check that it may still go, render it, send it at most once, record it.

A message is claimed (a conditional put on its deterministic id) before the provider is called. If the provider
refuses for now, the claim is released and the queue retries; if the function dies after the provider accepted,
the claim stays and the redelivered message is dropped: never twice.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from proativo import keys
from proativo.aws import error_code, written
from proativo.clock import as_utc
from proativo.consent import may_contact
from proativo.errors import NotFound, RetryableSendError
from proativo.messaging.channels import Channel, Outgoing
from proativo.messaging.templates import render, resolve_locale
from proativo.sequences.items import enrolment_sk, step_sk
from proativo.stores import StoreProfile, get_profile

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class SendRequest(BaseModel):
    """The send queue's message: which step of which enrolment to deliver."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str
    store_id: str
    customer_id: str
    flow_id: str
    key: str
    index: int
    step_id: str
    channel: Literal["email", "sms", "whatsapp"]
    template: str
    purpose: Literal["marketing", "transactional"]


@dataclass(frozen=True)
class Outcome:
    """What became of one request."""

    status: Literal["sent", "skipped", "failed"]
    reason: str = ""
    provider_id: str | None = None


def message_sk(message_id: str) -> str:
    """Sort key of a message record in the customer's partition."""
    return f"MSG#{message_id}"


@dataclass(frozen=True)
class Sender:
    """Delivers send requests over the configured channels."""

    table: "Table"
    channels: Mapping[str, Channel]
    default_sender: str

    def deliver(self, request: SendRequest, now: datetime) -> Outcome:
        """Deliver one request, or say why it was skipped."""
        pk = keys.customer_pk(request.store_id, request.customer_id)
        items = self._partition_items(pk, request)
        enrolment = items.get(enrolment_sk(request.flow_id, request.key))
        step = items.get(step_sk(request.flow_id, request.key, request.index))
        if enrolment is None or step is None:
            return Outcome("skipped", "unknown_step")
        if enrolment["status"] == "exited" or step["status"] == "canceled":
            return Outcome("skipped", f"exited:{enrolment.get('exit_reason', 'canceled')}")
        existing = items.get(message_sk(request.message_id))
        if existing is not None:
            return Outcome("skipped", "duplicate")
        profile = items.get("PROFILE", {})
        consents = {k.removeprefix("CONSENT#"): v for k, v in items.items() if k.startswith("CONSENT#")}
        suppressed = {k.removeprefix("SUPPRESS#") for k in items if k.startswith("SUPPRESS#")}
        verdict = may_contact(profile, consents, suppressed, request.channel, request.purpose)
        if not verdict.allowed:
            return Outcome("skipped", verdict.reason)
        recipient = profile.get("email") if request.channel == "email" else profile.get("phone")
        if not recipient:
            return Outcome("skipped", f"no_{request.channel}_address")
        channel = self.channels.get(request.channel)
        if channel is None:
            return Outcome("skipped", f"channel_unavailable:{request.channel}")
        try:
            store = get_profile(self.table, request.store_id)
        except NotFound:
            return Outcome("skipped", "unknown_store")

        content = render(
            request.template, request.channel, self._locale(profile, store), self._context(profile, store, enrolment)
        )
        if not self._claim(pk, request, now):
            return Outcome("skipped", "duplicate")
        outgoing = Outgoing(
            message_id=request.message_id,
            store_id=request.store_id,
            customer_id=request.customer_id,
            recipient=str(recipient),
            sender=store.sender_email or self.default_sender,
            sender_name=store.name,
            content=content,
            transactional=request.purpose == "transactional",
        )
        try:
            provider_id = channel.send(outgoing)
        except RetryableSendError:
            self._release(pk, request)
            raise
        except ClientError as exc:
            self._finish(pk, request, now, {"status": "failed", "error": error_code(exc) or "error"})
            return Outcome("failed", error_code(exc))
        self._finish(
            pk,
            request,
            now,
            {"status": "sent", "provider_id": provider_id, "subject": content.subject or "", "recipient": recipient},
        )
        return Outcome("sent", provider_id=provider_id)

    def _partition_items(self, pk: str, request: SendRequest) -> dict[str, dict[str, Any]]:
        wanted = [
            "PROFILE",
            enrolment_sk(request.flow_id, request.key),
            step_sk(request.flow_id, request.key, request.index),
            message_sk(request.message_id),
        ]
        found: dict[str, dict[str, Any]] = {}
        answer: Any = self.table.meta.client.batch_get_item(
            RequestItems={self.table.name: {"Keys": [{"pk": pk, "sk": sk} for sk in wanted], "ConsistentRead": True}}
        )
        if answer.get("UnprocessedKeys"):
            # Throttled: deciding on a partial read could skip a message for good. Let the queue retry it.
            raise RetryableSendError("DynamoDB left keys unprocessed")
        for item in answer["Responses"].get(self.table.name, []):
            found[str(item["sk"])] = dict(item)
        # Consent and suppression items are few per customer; one Query reads them all.
        for prefix in ("CONSENT#", "SUPPRESS#"):
            page = self.table.query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                ExpressionAttributeValues={":pk": pk, ":p": prefix},
                ConsistentRead=True,
            )
            for row in page.get("Items", []):
                found[str(row["sk"])] = dict(row)
        return found

    @staticmethod
    def _locale(profile: dict[str, Any], store: StoreProfile) -> str:
        return resolve_locale(str(profile.get("locale") or store.locale))

    @staticmethod
    def _context(profile: dict[str, Any], store: StoreProfile, enrolment: dict[str, Any]) -> dict[str, Any]:
        name = str(profile.get("name") or "")
        return {
            "store": {"name": store.name, "url": store.site_url, "currency": store.currency},
            "customer": {
                "first_name": name.split()[0] if name else None,
                "timezone": profile.get("timezone") or store.timezone,
            },
            "context": enrolment.get("context", {}),
        }

    def _claim(self, pk: str, request: SendRequest, now: datetime) -> bool:
        return written(
            lambda: self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": message_sk(request.message_id),
                    "kind": "message",
                    "status": "sending",
                    "message_id": request.message_id,
                    "store_id": request.store_id,
                    "customer_id": request.customer_id,
                    "flow_id": request.flow_id,
                    "step_id": request.step_id,
                    "channel": request.channel,
                    "template": request.template,
                    "purpose": request.purpose,
                    "claimed_at": as_utc(now),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    def _release(self, pk: str, request: SendRequest) -> None:
        self.table.delete_item(
            Key={"pk": pk, "sk": message_sk(request.message_id)},
            ConditionExpression="#s = :sending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sending": "sending"},
        )

    def _finish(self, pk: str, request: SendRequest, now: datetime, fields: dict[str, Any]) -> None:
        fields = {**fields, "sent_at": as_utc(now)}
        self.table.update_item(
            Key={"pk": pk, "sk": message_sk(request.message_id)},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            ExpressionAttributeNames={f"#{k}": k for k in fields},
            ExpressionAttributeValues={f":{k}": v for k, v in fields.items()},
        )
