"""Every marketing e-mail carries its way out (a footer link and RFC 8058 one-click headers); using it stops
marketing on that channel at once, and only marketing."""

import email
from email import policy
from urllib.parse import urlsplit

from moto.ses.models import ses_backends

from infra.local.moto_patches import raw_mime
from infra.local.stack import ACCOUNT, REGION
from tests.conftest import Harness, cart, generic

HOUR = 3600


def _unsubscribe_link(raw: str) -> str:
    message = email.message_from_string(raw, policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return str(message["List-Unsubscribe"]).strip("<>")


def _call(harness: Harness, method: str, link: str, body: bytes = b"") -> tuple[int, str]:
    parts = urlsplit(link)
    headers = {"content-type": "application/x-www-form-urlencoded"} if body else {}
    status, _, answer = harness.stack.http(method, parts.path, headers, body, parts.query)
    harness.stack.drain()
    return status, answer.decode()


def test_one_click_unsubscribe_stops_marketing_email_and_nothing_else(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(HOUR + 300)
    (reminder,) = harness.outbox.entries
    raw = raw_mime(ses_backends[ACCOUNT][REGION].sent_messages[-1])
    link = _unsubscribe_link(raw)
    assert link in reminder.text  # and in the text a person reads
    status, page = _call(harness, "GET", link)
    assert status == 200 and '<form method="post"' in page
    assert harness.items("c-1", "CONSENT#") == []  # a GET (a mail scanner's) changes nothing
    _, headers, _ = harness.stack.http("GET", urlsplit(link).path, {}, b"", urlsplit(link).query)
    # The link's token is in its URL: the page is never cached and never sends it on as a referrer.
    assert {headers["Referrer-Policy"], headers["Cache-Control"]} == {"no-referrer", "no-store"}
    status, page = _call(harness, "POST", link, b"List-Unsubscribe=One-Click")
    assert status == 200 and "não vai mais receber" in page
    (consent,) = harness.items("c-1", "CONSENT#")
    assert (consent["sk"], consent["granted"], consent["source"]) == (
        "CONSENT#email#marketing",
        False,
        "unsubscribe_link",
    )
    harness.stack.jump(2 * 24 * HOUR)
    assert len(harness.outbox.entries) == 1  # the 24 h reminder and the coupon are not sent
    harness.post(generic("order.paid", "p1", "2026-11-26T13:00:00Z", {"order_id": "o1"}))
    harness.stack.advance(10 * 60)
    assert harness.outbox.entries[-1].template == "order_thanks"  # about their own order: still told


def test_an_edited_unsubscribe_link_changes_nothing(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(HOUR + 300)
    (reminder,) = harness.outbox.entries
    link = next(word for word in reminder.text.split() if "/links/unsubscribe?t=" in word)
    status, _ = _call(harness, "POST", link.replace("t=", "t=x"), b"List-Unsubscribe=One-Click")
    assert status == 401
    assert harness.items("c-1", "CONSENT#") == []
