"""The team hears of its cases where it already is: a notice to the store's webhook (a Slack-compatible incoming
webhook or any URL, signed like the store API) when a case opens, is escalated, reopened or goes past its deadline;
the ouvidoria's e-mail with the case's whole history when it is escalated; and a daily digest e-mail (new, due soon,
overdue) at the store's hour.

The engine writes a notice item in the case's own transaction (`notice_item`), on the due index; the dispatcher
moves it to the team queue; the team function delivers it (`TeamDesk.deliver`): at least once (a webhook answering
5xx or 429 is retried by the queue; a 4xx is a bad URL, logged and dropped). The digest is a per-store item on the
due index that the dispatcher hands over and moves to the next day."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from aws_lambda_powertools import Logger

from proativo.cases.desk import inbox, overdue, show
from proativo.clock import as_utc, parse_utc
from proativo.edge.signing import sign_request
from proativo.errors import RetryableSendError
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
    due_soon: timedelta = timedelta(days=1)

    def deliver(self, message: dict[str, Any], now: datetime) -> dict[str, str]:
        """Deliver one team queue message; what was done (and the e-mail's SES id, if one was sent), for the log."""
        if "digest" in message:
            digest = message["digest"]
            return self._digest(str(digest["store_id"]), parse_utc(str(digest.get("due_at") or as_utc(now))), now)
        return self._notice(dict(message["notice"]), now)

    def _notice(self, notice: dict[str, Any], now: datetime) -> dict[str, str]:
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
