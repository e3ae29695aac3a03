"""The team hears of its cases where it already is: a notice to the store's webhook (a Slack-compatible incoming
webhook or any URL, signed like the store API) when a case opens, is escalated, reopened or goes past its deadline;
the ouvidoria's e-mail with the case's whole history when it is escalated; and a daily digest e-mail (new, due soon,
overdue) at the store's hour; and, for a store connected to a complaint site's API (`proativo.cases.sources`), its
turns at that API — new complaints opened as cases — and the public answers a person approved, posted there once.

The engine writes a notice item in the case's own transaction (`notice_item`), on the due index; the dispatcher
moves it to the team queue; the team function delivers it (`TeamDesk.deliver`): at least once (a webhook answering
5xx or 429 is retried by the queue; a 4xx is a bad URL, logged and dropped). The digest is a per-store item on the
due index that the dispatcher hands over and moves to the next day."""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from proativo.aws import error_code
from proativo.cases import complaints
from proativo.cases.desk import inbox, overdue, show
from proativo.cases.hugme import Refused
from proativo.cases.notices import team_pk
from proativo.cases.sources import connected, site_key, source_of, turn_of
from proativo.clock import as_utc, expires, parse_utc
from proativo.edge.signing import sign_request
from proativo.errors import RetryableSendError
from proativo.events import CaseChanged, Customer, dump_event
from proativo.stores import StoreProfile

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sesv2 import SESV2Client

logger = Logger(child=True)


# The team's words (the store's own language: pt-BR, else en).
_WORDS = {
    "pt-BR": {
        "opened": "Novo atendimento {protocol} ({kind}): {subject}. Resposta até {due}.",
        "escalated": "Atendimento {protocol} ({kind}) foi para a {ouvidoria}: {subject}. Nova resposta até {due}.",
        "reopened": "Atendimento {protocol} ({kind}) foi reaberto: {subject}. Resposta até {due}.",
        "overdue": "Atendimento {protocol} ({kind}) passou do prazo ({due}): {subject}.",
        "digest_subject": "{store}: {new} novos, {soon} vencem em breve, {late} atrasados",
        "new": "Novos (desde o resumo anterior)",
        "soon": "Vencem em breve",
        "late": "Atrasados",
        "line": "{protocol} · {kind} · {status} · até {due} · {subject}",
        "ouvidoria_subject": "Atendimento {protocol} escalado para a {ouvidoria}",
        "history": "Histórico",
        "answer_approved": "Resposta pública do atendimento {protocol} aprovada por {by}: publique-a em {site}.",
    },
    "en": {
        "opened": "New case {protocol} ({kind}): {subject}. Answer due by {due}.",
        "escalated": "Case {protocol} ({kind}) went to the {ouvidoria}: {subject}. New answer due by {due}.",
        "reopened": "Case {protocol} ({kind}) was reopened: {subject}. Answer due by {due}.",
        "overdue": "Case {protocol} ({kind}) is past its deadline ({due}): {subject}.",
        "digest_subject": "{store}: {new} new, {soon} due soon, {late} overdue",
        "new": "New (since the last digest)",
        "soon": "Due soon",
        "late": "Overdue",
        "line": "{protocol} · {kind} · {status} · by {due} · {subject}",
        "ouvidoria_subject": "Case {protocol} escalated to the {ouvidoria}",
        "history": "History",
        "answer_approved": "The public answer to case {protocol} was approved by {by}: post it on {site}.",
    },
}


# A case's history, in the team's words.
_ACTIONS = {
    "pt-BR": {
        "opened": "aberto",
        "assign": "atribuído",
        "note": "nota",
        "wait_customer": "aguardando o cliente",
        "wait_carrier": "aguardando a transportadora",
        "resolve": "resolvido",
        "escalate": "escalado",
        "reopen": "reaberto",
        "draft_answer": "resposta pública redigida",
        "approve_answer": "resposta pública aprovada",
        "answer_published": "resposta pública publicada",
    },
    "en": {
        "opened": "opened",
        "assign": "assigned",
        "note": "note",
        "wait_customer": "waiting on the customer",
        "wait_carrier": "waiting on the carrier",
        "resolve": "resolved",
        "escalate": "escalated",
        "reopen": "reopened",
        "draft_answer": "public answer drafted",
        "approve_answer": "public answer approved",
        "answer_published": "public answer published",
    },
}


def _words(profile: StoreProfile) -> dict[str, str]:
    return _WORDS["pt-BR"] if profile.locale.startswith("pt") else _WORDS["en"]


def _when(value: Any, profile: StoreProfile) -> str:
    return parse_utc(str(value)).astimezone(ZoneInfo(profile.timezone)).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class TeamDesk:
    """Delivers what the team is to hear: notices to the store's webhook (and an escalation to its ouvidoria's
    e-mail), digests to its team's e-mail."""

    table: "Table"
    sesv2: "SESV2Client"
    http: httpx.Client
    profile_of: Callable[[str], StoreProfile]
    secret_of: Callable[[str], str]
    default_sender: str
    # A complaint site's adapter by name, and a store's access to it (None: not connected).
    pulled: Mapping[str, Any] = field(default_factory=dict)
    access_of: Callable[[str, str], Any] = lambda store_id, site: None
    # The deliveries outbox: what a poll finds goes to the engine as events, each once.
    record: Callable[[str, str, list[str], datetime], bool] | None = None
    # Connections' turns handed to the team queue when there are too many to poll in one run (how many it took).
    enqueue: Callable[[list[dict[str, Any]]], int] | None = None
    # A buyer's tax id → its keyed digest (a complaint giving one is matched by it).
    pseudonym: Callable[[str, str], str] | None = None
    due_soon: timedelta = timedelta(days=1)
    inline_turns: int = 20

    def deliver(self, message: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Deliver one team queue message; what was done (and the e-mail's SES id, if one was sent), for the log."""
        if "digest" in message:
            digest = message["digest"]
            return self._digest(str(digest["store_id"]), parse_utc(str(digest.get("due_at") or as_utc(now))), now)
        if "poll" in message:
            return self._poll(dict(message["poll"]), now)
        return self._notice(dict(message["notice"]), now)

    def turn(self, now: datetime) -> dict[str, Any]:
        """The schedule's turn at every store's complaint sites: one Query of the connections; each polled here
        (a site that fails now is tried again next turn), or, past `inline_turns`, handed to the team queue one
        message each. A turn that finds nothing new writes nothing. `new`: the complaints found new, or the turns
        handed to the queue (what is worth a line in the log)."""
        sites = connected(self.table)
        if len(sites) > self.inline_turns and self.enqueue is not None:
            queued = self.enqueue([turn_of(s) for s in sites])
            return {"done": f"{queued} of {len(sites)} turns queued", "new": queued}
        found, new = [], 0
        for site in sites:
            try:
                polled = self._poll(turn_of(site)["poll"], now)
            except RetryableSendError as exc:
                logger.warning("complaint site unavailable", extra={"store_id": site["store_id"], "reason": str(exc)})
                continue
            found.append(str(polled["done"]))
            new += int(polled.get("new", 0))
        return {"done": "; ".join(found) or "no complaint site connected", "new": new}

    def _poll(self, poll: dict[str, Any], now: datetime) -> dict[str, Any]:
        """One turn at a complaint site: its new complaints become cases (each once: the case's event id is the
        complaint's), and the cursor moves to the newest one seen (those seen at that very instant are kept with
        it, so the next turn, asking from that instant on, skips them without a write)."""
        store_id, site = str(poll["store_id"]), str(poll["source"])
        adapter, access = self.pulled.get(site), self.access_of(store_id, site)
        if adapter is None or access is None:
            return {"done": f"{site}: not connected"}
        since = parse_utc(str(poll["since"])) if poll.get("since") else None
        seen = set(poll.get("seen") or ())
        try:
            polled = adapter.poll(store_id, access, since, now)
        except Refused as exc:
            logger.warning("complaint site refused", extra={"store_id": store_id, "site": site, "reason": str(exc)})
            return {"done": f"{site}: refused ({exc})"}
        assert self.record is not None, "the team desk was built without the deliveries outbox"
        fresh = [c for c in polled.complaints if not (since and c.created_at == since and c.id in seen)]
        opened = 0
        for complaint in fresh:
            event, _ = complaints.opening(self.table, site, store_id, complaint, now, self.pseudonym)
            opened += int(self.record(event.event_id, store_id, [dump_event(event)], event.occurred_at))
        if polled.newest is not None and fresh:
            newest = polled.newest
            at_newest = {c.id for c in polled.complaints if c.created_at == newest}
            self._moved(store_id, site, as_utc(newest), sorted(at_newest | (seen if newest == since else set())))
        done = f"{site}: {len(fresh)} new complaints, {opened} opened, {polled.refused} unreadable"
        return {"done": done, "new": len(fresh)}

    def _moved(self, store_id: str, site: str, newest: str, seen: list[str]) -> None:
        """The connection's cursor, only forward (a turn retried after a later one moved it changes nothing)."""
        try:
            self.table.update_item(
                Key=site_key(store_id, site),
                UpdateExpression="SET since = :s, seen = :seen",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(since) OR since <= :s)",
                ExpressionAttributeValues={":s": newest, ":seen": seen},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def _publish(self, notice: dict[str, Any], now: datetime) -> dict[str, str]:
        """Post on the complaint's site the answer a person approved — once: a claim is written first, released
        only when the site did not take it (the queue retries), so a retry after the site took it posts nothing."""
        store_id, protocol = str(notice["store_id"]), str(notice["protocol"])
        case = show(self.table, store_id, protocol)
        answer = case.get("public_answer") or {}
        if answer.get("status") != "approved":
            return {"done": "no approved answer (any more)"}
        site, complaint_id = source_of(str(notice.get("source_ref") or "")) or ("", "")
        adapter, access = self.pulled.get(site), self.access_of(store_id, site) if site else None
        if adapter is None or access is None:
            # A site we do not speak: the team posts the approved words itself.
            profile = self.profile_of(store_id)
            if profile.cases_webhook_url:
                text = _words(profile)["answer_approved"].format(
                    protocol=protocol, by=notice.get("by") or "-", site=site or "-"
                )
                self._post(profile, {"text": text, "proativo": {**notice, "answer": answer.get("text")}}, now)
            return {"done": f"approved; the team posts it on {site or 'the site'}"}
        claim = {"pk": team_pk(store_id), "sk": f"ANSWERED#{protocol}#{answer.get('approved_at')}"}
        try:
            self.table.put_item(
                Item={**claim, "kind": "team_answer", "ttl": expires(now, timedelta(days=400))},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return {"done": "posted before"}
        try:
            adapter.answer(store_id, access, complaint_id, str(answer["text"]), now)
        except RetryableSendError:
            self.table.delete_item(Key=claim)  # the site did not take it: free to try again
            raise
        except Refused as exc:
            # Retrying changes nothing (access revoked, complaint closed): a new draft and approval try again.
            self.table.delete_item(Key=claim)
            logger.warning("complaint site refused the answer", extra={"store_id": store_id, "reason": str(exc)})
            return {"done": f"{site} refused the answer ({exc})"}
        assert self.record is not None, "the team desk was built without the deliveries outbox"
        published = CaseChanged(
            event_id=f"case:{protocol}:answer_published:{answer.get('approved_at')}",
            store_id=store_id,
            source="team",
            customer=Customer(id=str(case["customer_id"])),
            occurred_at=now,
            protocol=protocol,
            action="answer_published",
            by=site,
        )
        self.record(published.event_id, store_id, [dump_event(published)], now)
        return {"done": f"answer published on {site}"}

    def _notice(self, notice: dict[str, Any], now: datetime) -> dict[str, str]:
        if notice.get("to") == "site":
            return self._publish(notice, now)
        profile = self.profile_of(str(notice["store_id"]))
        words = _words(profile)
        text = words[str(notice["what"])].format(
            protocol=notice["protocol"],
            kind=notice["case_kind"],
            subject=notice.get("subject") or "-",
            due=_when(notice["answer_by"], profile),
            ouvidoria=profile.ouvidoria_name,
        )
        if notice.get("to") == "ouvidoria":
            if not profile.ouvidoria_email:
                return {"done": "no ouvidoria e-mail (any more)"}
            return {"done": "ouvidoria", "message_id": self._to_ouvidoria(profile, str(notice["protocol"]), text)}
        if not profile.cases_webhook_url:
            return {"done": "no webhook (any more)"}
        self._post(profile, {"text": text, "proativo": {k: v for k, v in notice.items() if k != "to"}}, now)
        return {"done": "webhook"}

    def _post(self, profile: StoreProfile, body: dict[str, Any], now: datetime) -> None:
        assert profile.cases_webhook_url is not None
        raw = json.dumps(body, ensure_ascii=False).encode()
        parts = urlsplit(profile.cases_webhook_url)
        path = f"{parts.path or '/'}{'?' + parts.query if parts.query else ''}"
        headers = {
            "content-type": "application/json",
            **sign_request(self.secret_of(profile.store_id), "POST", path, now, raw),
        }
        try:
            answer = self.http.post(profile.cases_webhook_url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryableSendError(f"the store's webhook did not answer ({type(exc).__name__})") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise RetryableSendError(f"the store's webhook answered {answer.status_code}")
        if answer.status_code >= 400:
            # A wrong URL or a revoked hook: retrying changes nothing; the operator sees it in the log.
            logger.warning("team webhook refused", extra={"store_id": profile.store_id, "status": answer.status_code})

    def _to_ouvidoria(self, profile: StoreProfile, protocol: str, text: str) -> str:
        assert profile.ouvidoria_email is not None
        case = show(self.table, profile.store_id, protocol)
        words = _words(profile)
        lines = [text, "", words["history"] + ":"]
        for entry in case.get("history") or ():
            note = f" — {entry['note']}" if entry.get("note") else ""
            action = str(entry.get("action"))
            said = _ACTIONS["pt-BR" if profile.locale.startswith("pt") else "en"].get(action, action)
            lines.append(f"  {_when(entry['at'], profile)} {said} ({entry.get('by') or '-'}){note}")
        if case.get("detail"):
            lines += ["", str(case["detail"])]
        if case.get("whatsapp_link"):
            lines += ["", str(case["whatsapp_link"])]
        subject = words["ouvidoria_subject"].format(protocol=protocol, ouvidoria=profile.ouvidoria_name)
        return self._email(profile, profile.ouvidoria_email, subject, "\n".join(lines))

    def _digest(self, store_id: str, due_at: datetime, now: datetime) -> dict[str, str]:
        """The digest due at `due_at`: cases opened since the one before (a day earlier), those due soon, overdue."""
        profile = self.profile_of(store_id)
        if not profile.team_email:
            return {"done": "no team e-mail"}
        cases = inbox(self.table, store_id, now, "open", limit=500)
        since, soon = as_utc(due_at - timedelta(days=1)), as_utc(now + self.due_soon)
        late = [c for c in cases if overdue(c, now)]
        new = [c for c in cases if str(c.get("opened_at")) >= since and c not in late]
        due = [c for c in cases if c not in late and c not in new and str(c.get("answer_by")) <= soon]
        if not (new or due or late):
            return {"done": "nothing to tell"}
        words = _words(profile)
        lines: list[str] = []
        for title, group in ((words["late"], late), (words["soon"], due), (words["new"], new)):
            if group:
                lines += [f"{title} ({len(group)}):"]
                lines += [
                    "  "
                    + words["line"].format(
                        protocol=c["protocol"],
                        kind=c.get("case_kind"),
                        status=c.get("status"),
                        due=_when(c["answer_by"], profile),
                        subject=c.get("subject") or "-",
                    )
                    for c in group
                ]
                lines.append("")
        subject = words["digest_subject"].format(store=profile.name, new=len(new), soon=len(due), late=len(late))
        sent = self._email(profile, profile.team_email, subject, "\n".join(lines))
        return {"done": f"digest: {len(new)} new, {len(due)} due soon, {len(late)} overdue", "message_id": sent}

    def _email(self, profile: StoreProfile, to: str, subject: str, text: str) -> str:
        answer = self.sesv2.send_email(
            FromEmailAddress=profile.sender_email or self.default_sender,
            Destination={"ToAddresses": [to]},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                }
            },
        )
        return str(answer["MessageId"])
