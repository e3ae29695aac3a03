"""Templates: locale-aware, strict about missing variables, and sandboxed against store-edited code."""

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError
from proativo.messaging.templates import environment, money, render

CONTEXT = {
    "store": {"name": "Loja Demo", "url": None},
    "customer": {"first_name": "Ana", "timezone": "America/Sao_Paulo"},
    "context": {
        "cart_id": "c1",
        "currency": "BRL",
        "total": "409.70",
        "items": [{"name": "Tênis", "quantity": 1, "unit_price": "349.90", "url": None}],
        "recovery_url": "https://loja.test/c1",
    },
}


def test_the_cart_reminder_speaks_brazilian_portuguese_and_reais() -> None:
    rendered = render("cart_abandoned_1", "email", "pt-BR", CONTEXT)
    assert rendered.subject == "Ana, seu carrinho na Loja Demo está guardado"
    assert "R$\xa0409,70" in rendered.text
    assert 'href="https://loja.test/c1"' in (rendered.html or "")


def test_english_customers_get_english() -> None:
    rendered = render("cart_abandoned_1", "email", "en-US", CONTEXT)
    assert rendered.subject == "Ana, your cart at Loja Demo is saved"
    assert "R$409.70" in rendered.text


def test_html_is_escaped() -> None:
    context = {**CONTEXT, "customer": {"first_name": "<script>x</script>", "timezone": "UTC"}}
    rendered = render("cart_abandoned_1", "email", "pt-BR", context)
    assert "<script>" not in (rendered.html or "")
    assert "&lt;script&gt;" in (rendered.html or "")


def test_a_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError):
        render("order_shipped", "email", "pt-BR", CONTEXT)


def test_template_code_cannot_reach_python_internals() -> None:
    with pytest.raises(SecurityError):
        environment().from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_money_formats_per_locale() -> None:
    assert money("1234.5", "BRL", "pt-BR") == "R$\xa01.234,50"
    assert money("1234.5", "USD", "en") == "$1,234.50"
