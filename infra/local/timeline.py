"""A readable account of what the local stack did, built from what the functions logged and answered."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.outbox import Outbox, OutboxEntry
from infra.local.stack import Invocation, LocalStack


def mask(recipient: str) -> str:
    """a***@example.com, +55*******4321: enough to tell messages apart, not enough to reuse."""
    if "@" in recipient:
        user, domain = recipient.split("@", 1)
        return f"{user[:1]}***@{domain}"
    return recipient[:3] + "*" * max(0, len(recipient) - 7) + recipient[-4:]


@dataclass
class Timeline:
    """Lines stamped with virtual time, in the store's time zone."""

    stack: LocalStack
    outbox: Outbox
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Sao_Paulo"))
    lines: list[tuple[datetime, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stack.listeners.append(self._invocation)
        self._seen_outbox = 0

    def add(self, at: datetime, text: str) -> None:
        """One line at `at`."""
        self.lines.append((at, text))

    def _invocation(self, inv: Invocation) -> None:
        if isinstance(inv.event, dict) and "routeKey" in inv.event and isinstance(inv.result, dict):
            try:
                status = json.loads(inv.result.get("body") or "{}").get("status", "")
            except ValueError:
                status = ""
            method, path = inv.event["routeKey"].split()[0], inv.event["rawPath"]
            self.add(inv.at, f"     {method} {path} -> {inv.result.get('statusCode')} {status or _offered(inv.result)}")
        if inv.error:
            self.add(inv.at, f"   ! {inv.function} failed: {inv.error.splitlines()[0]}")
        for log in inv.logs:
            message = log.get("message")
            if message == "event applied":
                decisions = ", ".join(log.get("decisions", [])) or "no sequence change"
                self.add(inv.at, f"     {log.get('event_type')} for {log.get('customer_id')} -> {decisions}")
                if log.get("recovered_by"):
                    value, by = log["recovered_value"], log["recovered_by"]
                    self.add(inv.at, f"     $$ recovered {value} by {by}")
                for note in log.get("notes", []):
                    self.add(inv.at, f"     !! {note}")
            elif message == "team told" and _worth_a_line(str(log.get("done", ""))):
                self.add(inv.at, f"     team: {log.get('done')}")
            elif message == "invitation":
                shown = "offered" if log.get("shown") else "held out (recorded, not shown: the lift's control)"
                self.add(inv.at, f"     signals: {log.get('rule')} -> {log.get('channel')} invitation {shown}")
            elif message == "browse abandoned":
                self.add(inv.at, f"     signals: {log.get('customer_id')} looked twice at {log.get('product_id')}")
            elif message == "dispatch run" and log.get("due"):
                self.add(inv.at, f"     dispatcher: {log['due']} step(s) due -> {log['enqueued']} to the send queue")
            elif message == "claim step" and log.get("announced"):
                status = log.get("status")
                won = f" ({log['amount']} to the store)" if status == "won" and log.get("amount") else ""
                self.add(inv.at, f"     claims: {log.get('claim')} -> {status}{won}")
            elif message == "parcel checked" and log.get("announced"):
                said = ", ".join(log["announced"])
                parcel = f"{log.get('carrier')} parcel of order {log.get('order_id')}"
                self.add(inv.at, f"     tracker: {parcel} now {log.get('outcome')} -> {said}")
            elif log.get("level") == "ERROR" or log.get("exception"):
                self.add(inv.at, f"   ! {inv.function}: {str(message).splitlines()[0]}")
            elif isinstance(message, str) and message.startswith("message skipped"):
                self.add(inv.at, f"     {log.get('template')} not sent: {log.get('reason')}")
        for entry in self.outbox.entries[self._seen_outbox :]:
            self.add(inv.at, self._sent(entry))
        self._seen_outbox = len(self.outbox.entries)

    @staticmethod
    def _sent(entry: OutboxEntry) -> str:
        return f'  >> {entry.channel} to {mask(entry.recipient)}: "{entry.preview}" [{entry.template}] {entry.file}'

    def render(self) -> str:
        """The whole timeline as text, a date header whenever the day changes."""
        out: list[str] = []
        day = None
        for at, text in sorted(self.lines, key=lambda line: line[0]):
            local = at.astimezone(self.tz)
            if local.date() != day:
                day = local.date()
                out.append(f"\n{local:%A %d %B %Y} ({self.tz.key})")
            out.append(f"{local:%H:%M} {text}")
        return "\n".join(out).lstrip("\n") + "\n"


def _offered(result: dict[str, Any]) -> str:
    """What a signals answer offered ('' for any other route's answer)."""
    try:
        actions = json.loads(result.get("body") or "{}").get("actions")
    except (ValueError, AttributeError):
        return ""
    if actions is None:
        return ""
    return ", ".join(f"invite {a.get('channel')} ({a.get('rule')})" for a in actions) or "nothing offered"


def _worth_a_line(done: str) -> bool:
    """What the team function did that the story shows: a complaint site's turn that found something new, an answer
    posted in public (digests and e-mails have their own files)."""
    return "published" in done or re.search(r"\b[1-9][0-9]* new complaints", done) is not None
