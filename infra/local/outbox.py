"""The outbox: every e-mail and SMS the functions sent through the embedded SES and SNS, as files a person can
open (.html, .txt, .eml) with an index.html listing them all; and, apart (`team/`), what the stores' teams were
sent about their cases (digests, escalations to the ouvidoria).

What left is read from the embedded AWS itself (what SES and SNS accepted), and matched to our message records
through the send queue's requests the stack delivered, so nothing here is a second account of what was sent.
"""

import email
import html
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from infra.local.stack import ACCOUNT, REGION, Invocation, LocalStack


@dataclass
class OutboxEntry:
    """One message as the outbox lists it."""

    seq: int
    at: str
    channel: str
    recipient: str
    template: str
    subject: str
    preview: str
    store_id: str
    flow_id: str
    file: str
    text_file: str
    text: str = ""  # the plain-text part (an SMS: its text), for tests and the local API


@dataclass
class TeamMail:
    """One e-mail to a store's team (a digest, an escalation to its ouvidoria)."""

    at: str
    to: str
    subject: str
    text: str


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return str(part.get_content()) if part is not None else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


class Outbox:
    """Collects sent messages after each sender invocation and writes them under `directory`."""

    def __init__(self, stack: LocalStack, directory: Path | None) -> None:
        self.stack = stack
        self.directory = directory
        self.entries: list[OutboxEntry] = []
        self.team: list[TeamMail] = []
        self._seen: set[str] = set()
        stack.listeners.append(self._after)
        if directory:
            (directory / "messages").mkdir(parents=True, exist_ok=True)

    def _after(self, invocation: Invocation) -> None:
        records = invocation.event.get("Records") if isinstance(invocation.event, dict) else None
        if records and records[0].get("eventSourceARN") == self.stack.arns.get("TeamQueue"):
            self._team(invocation)
            return
        if not records or records[0].get("eventSourceARN") != self.stack.arns.get("SendQueue"):
            return
        from proativo import aws
        from proativo.aws import keys

        table = aws.table(self.stack.physical["Table"])
        for record in records:
            request = json.loads(record["body"])
            item = table.get_item(
                Key={
                    "pk": keys.customer_pk(request["store_id"], request["customer_id"]),
                    "sk": f"MSG#{request['message_id']}",
                }
            ).get("Item")
            if not item or item.get("status") != "sent" or item["message_id"] in self._seen:
                continue
            self._seen.add(str(item["message_id"]))
            self._write(dict(item), invocation.at)

    def _write(self, item: dict[str, Any], at: datetime) -> None:
        seq = len(self.entries) + 1
        channel = str(item["channel"])
        stem = f"{seq:03d}-{channel}-{_slug(str(item['template']))}"
        subject, text, body_html, raw = "", "", "", ""
        if channel == "email":
            raw = self._ses_raw(str(item["provider_id"]))
            message = email.message_from_bytes(raw.encode("utf-8"), policy=policy.default)
            assert isinstance(message, EmailMessage)
            subject = str(message["Subject"] or "")
            text, body_html = _part(message, "plain"), _part(message, "html")
        elif channel == "whatsapp":
            text = self.stack.fake_whatsapp.text_of(str(item["provider_id"]))
        else:
            text = self._sms_text(str(item["provider_id"]))
        entry = OutboxEntry(
            seq=seq,
            at=at.isoformat(),
            channel=channel,
            recipient=str(item.get("recipient", "")),
            template=str(item["template"]),
            subject=subject,
            preview=subject or " ".join(text.split())[:90],
            text=text,
            store_id=str(item["store_id"]),
            flow_id=str(item.get("flow_id", "")),
            file=f"messages/{stem}.html" if body_html else f"messages/{stem}.txt",
            text_file=f"messages/{stem}.txt",
        )
        self.entries.append(entry)
        if self.directory:
            folder = self.directory / "messages"
            (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
            if body_html:
                (folder / f"{stem}.html").write_text(body_html, encoding="utf-8")
            if raw:
                (folder / f"{stem}.eml").write_text(raw, encoding="utf-8")
            self.write_index()

    def _team(self, invocation: Invocation) -> None:
        """The e-mails the team function sent (their SES ids are in its log lines)."""
        for line in invocation.logs:
            message_id = line.get("message_id")
            if line.get("message") != "team told" or not message_id:
                continue
            raw = self._ses_raw(str(message_id))
            message = email.message_from_bytes(raw.encode("utf-8"), policy=policy.default)
            assert isinstance(message, EmailMessage)
            entry = TeamMail(
                at=invocation.at.isoformat(),
                to=str(message["To"] or ""),
                subject=str(message["Subject"] or ""),
                text=_part(message, "plain"),
            )
            self.team.append(entry)
            if self.directory:
                folder = self.directory / "team"
                folder.mkdir(exist_ok=True)
                name = f"{len(self.team):03d}-{_slug(entry.subject)}.txt"
                (folder / name).write_text(
                    f"To: {entry.to}\nSubject: {entry.subject}\n\n{entry.text}", encoding="utf-8"
                )

    @staticmethod
    def _ses_raw(provider_id: str) -> str:
        from moto.ses.models import ses_backends

        from infra.local.moto_patches import raw_mime

        for message in ses_backends[ACCOUNT][REGION].sent_messages:
            if message.id == provider_id:
                return raw_mime(message)
        return ""

    @staticmethod
    def _sms_text(provider_id: str) -> str:
        from moto.sns.models import sns_backends

        found = sns_backends[ACCOUNT][REGION].sms_messages.get(provider_id)
        return found[1] if found else ""

    def as_json(self) -> list[dict[str, Any]]:
        """Every message so far, as `GET /_local/outbox` returns it."""
        return [asdict(e) for e in self.entries]

    def write_index(self) -> None:
        """index.html (and outbox.json) listing every message."""
        if not self.directory:
            return
        rows = "\n".join(
            f"<tr><td>{e.seq}</td><td>{html.escape(e.at[:16].replace('T', ' '))}</td><td>{e.channel}</td>"
            f"<td>{html.escape(e.recipient)}</td><td>{html.escape(e.template)}</td>"
            f'<td><a href="{e.file}">{html.escape(e.preview)}</a></td>'
            f'<td><a href="{e.text_file}">text</a></td></tr>'
            for e in self.entries
        )
        page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Proativo outbox</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:2rem;color:#18181b}}table{{border-collapse:collapse}}
td,th{{padding:.4rem .8rem;border-bottom:1px solid #e4e4e7;text-align:left}}th{{background:#f4f4f5}}</style></head>
<body><h1>Outbox</h1><p>{len(self.entries)} messages sent by the local stack (times are UTC, virtual).</p>
<table><tr><th>#</th><th>when</th><th>channel</th><th>to</th><th>template</th><th>message</th><th></th></tr>
{rows}
</table></body></html>
"""
        (self.directory / "index.html").write_text(page, encoding="utf-8")
        (self.directory / "outbox.json").write_text(json.dumps(self.as_json(), indent=2), encoding="utf-8")
