"""The WhatsApp Cloud API adapter, against recorded answers (respx): the template message it posts, and how it
reads Meta's answers."""

import httpx
import pytest
import respx
from proativo.errors import ChannelRefused, RetryableSendError
from proativo.messaging.channels import Outgoing
from proativo.messaging.links import click_to_send
from proativo.messaging.templates import Rendered
from proativo.messaging.whatsapp import WhatsAppCloud

URL = "https://graph.test/v21.0/1234/messages"


def _message() -> Outgoing:
    return Outgoing(
        message_id="m1",
        store_id="s",
        customer_id="c",
        recipient="+5511987654321",
        sender="",
        sender_name="Loja",
        content=Rendered(subject=None, text="Ana\n5001\nCORREIOS\nAA123456785BR", html=None),
        transactional=True,
        template="order_shipped",
        locale="pt-BR",
    )


def _channel() -> WhatsAppCloud:
    return WhatsAppCloud(
        httpx.Client(), lambda store: {"phone_number_id": "1234", "access_token": "tok"}, "https://graph.test/v21.0"
    )


@respx.mock
def test_a_template_message_names_the_approved_template_and_fills_its_parameters() -> None:
    route = respx.post(URL).respond(200, json={"messages": [{"id": "wamid.ABC"}]})
    assert _channel().send(_message()) == "wamid.ABC"
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer tok"
    body = httpx.Response(200, content=sent.content).json()
    assert body["to"] == "5511987654321" and body["type"] == "template"
    assert body["template"]["name"] == "proativo_order_shipped"
    assert body["template"]["language"]["code"] == "pt_BR"
    assert [p["text"] for p in body["template"]["components"][0]["parameters"]] == [
        "Ana",
        "5001",
        "CORREIOS",
        "AA123456785BR",
    ]


@respx.mock
@pytest.mark.parametrize(
    ("status", "error"),
    [(429, RetryableSendError), (503, RetryableSendError), (400, ChannelRefused), (401, ChannelRefused)],
)
def test_throttling_is_retried_and_a_refusal_is_not(status: int, error: type[Exception]) -> None:
    respx.post(URL).respond(status, json={"error": {"code": 132001, "message": "Template does not exist"}})
    with pytest.raises(error):
        _channel().send(_message())


def test_a_click_to_send_link_opens_whatsapp_with_the_text_filled_in() -> None:
    link = click_to_send("+5521988887777", "Olá Carla, é da Loja Demo: vamos resolver o pedido 5003?")
    assert link.startswith("https://wa.me/5521988887777?text=Ol%C3%A1%20Carla")
