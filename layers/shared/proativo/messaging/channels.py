"""Channel adapters: one small protocol, one class per outside party. Each maps the provider's throttling and
server errors to `RetryableSendError` (nothing left; retry later) and lets anything else surface."""

from dataclasses import dataclass
from email.utils import formataddr
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError

from proativo.aws import error_code, transient
from proativo.errors import RetryableSendError
from proativo.events import plain_text
from proativo.messaging.templates import Rendered

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sesv2.type_defs import BodyTypeDef, EmailContentTypeDef
    from mypy_boto3_sns import SNSClient


@dataclass(frozen=True)
class Outgoing:
    """Who a rendered message goes to, and the tags that let delivery feedback find it again."""

    message_id: str
    store_id: str
    customer_id: str
    recipient: str
    sender: str
    sender_name: str
    content: Rendered
    transactional: bool
    headers: tuple[tuple[str, str], ...] = ()
    template: str = ""
    locale: str = "pt-BR"


class Channel(Protocol):
    """Sends one message; returns the provider's message id."""

    def send(self, message: Outgoing) -> str: ...


def simple_content(message: Outgoing) -> "EmailContentTypeDef":
    """SES v2 `Simple` content: subject, text and HTML parts, and our headers (the message id, the one-click
    unsubscribe); SES builds the MIME message (multipart/alternative, its own Message-ID and Date)."""
    body: BodyTypeDef = {"Text": {"Data": message.content.text, "Charset": "UTF-8"}}
    if message.content.html:
        body["Html"] = {"Data": message.content.html, "Charset": "UTF-8"}
    headers = [("X-Proativo-Message-Id", message.message_id), *message.headers]
    # Whatever reached the words (a name, an order number), a header holds one line of text: no CR, LF, NUL or
    # bidirectional override can add a header or turn a subject around.
    return {
        "Simple": {
            "Subject": {"Data": plain_text(message.content.subject or ""), "Charset": "UTF-8"},
            "Body": body,
            "Headers": [{"Name": plain_text(name), "Value": plain_text(value)} for name, value in headers],
        }
    }


@dataclass(frozen=True)
class SesEmail:
    """E-mail through SES v2 (SES builds the MIME from our parts and headers), tagged for delivery events."""

    client: "SESV2Client"
    configuration_set: str

    def send(self, message: Outgoing) -> str:
        """Send one e-mail; returns SES's message id."""
        try:
            answer = self.client.send_email(
                FromEmailAddress=formataddr((plain_text(message.sender_name), plain_text(message.sender))),
                Destination={"ToAddresses": [message.recipient]},
                Content=simple_content(message),
                ConfigurationSetName=self.configuration_set,
                EmailTags=[
                    {"Name": "store_id", "Value": message.store_id},
                    {"Name": "customer_id", "Value": message.customer_id},
                    {"Name": "message_id", "Value": message.message_id},
                ],
            )
        except ClientError as exc:
            if transient(exc):
                raise RetryableSendError(f"SES: {error_code(exc)}") from exc
            raise
        return answer["MessageId"]


@dataclass(frozen=True)
class SnsSms:
    """SMS through SNS; transactional messages get the transactional route."""

    client: "SNSClient"

    def send(self, message: Outgoing) -> str:
        """Send one SMS; returns SNS's message id."""
        try:
            answer = self.client.publish(
                PhoneNumber=message.recipient,
                Message=message.content.text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {
                        "DataType": "String",
                        "StringValue": "Transactional" if message.transactional else "Promotional",
                    }
                },
            )
        except ClientError as exc:
            if transient(exc):
                raise RetryableSendError(f"SNS: {error_code(exc)}") from exc
            raise
        return answer["MessageId"]
