"""Channel adapters: one small protocol, one class per outside party. Each maps the provider's throttling and
server errors to `RetryableSendError` (nothing left; retry later) and lets anything else surface."""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError

from proativo.aws import error_code
from proativo.errors import RetryableSendError
from proativo.messaging.templates import Rendered

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient

_RETRYABLE = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServerError",
    "InternalError",
}


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


def _retryable(exc: ClientError) -> bool:
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(exc) in _RETRYABLE or status >= 500 or status == 429


def build_mime(message: Outgoing) -> bytes:
    """A multipart/alternative e-mail (text + HTML) with our ids in headers."""
    mime = EmailMessage()
    mime["From"] = formataddr((message.sender_name, message.sender))
    mime["To"] = message.recipient
    mime["Subject"] = message.content.subject or ""
    mime["Message-ID"] = make_msgid(idstring=message.message_id[:16], domain=message.sender.split("@")[-1])
    mime["X-Proativo-Message-Id"] = message.message_id
    for name, value in message.headers:
        mime[name] = value
    # Quoted-printable keeps the message 7-bit clean for every relay on the way.
    mime.set_content(message.content.text, charset="utf-8", cte="quoted-printable")
    if message.content.html:
        mime.add_alternative(message.content.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return mime.as_bytes()


@dataclass(frozen=True)
class SesEmail:
    """E-mail through SES v2, raw MIME so every header is ours, tagged for delivery events."""

    client: "SESV2Client"
    configuration_set: str

    def send(self, message: Outgoing) -> str:
        """Send one e-mail; returns SES's message id."""
        try:
            answer = self.client.send_email(
                FromEmailAddress=formataddr((message.sender_name, message.sender)),
                Destination={"ToAddresses": [message.recipient]},
                Content={"Raw": {"Data": build_mime(message)}},
                ConfigurationSetName=self.configuration_set,
                EmailTags=[
                    {"Name": "store_id", "Value": message.store_id},
                    {"Name": "customer_id", "Value": message.customer_id},
                    {"Name": "message_id", "Value": message.message_id},
                ],
            )
        except ClientError as exc:
            if _retryable(exc):
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
            if _retryable(exc):
                raise RetryableSendError(f"SNS: {error_code(exc)}") from exc
            raise
        return answer["MessageId"]
