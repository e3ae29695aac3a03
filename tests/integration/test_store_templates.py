"""A store edits its templates without code: checked in the sandbox with every flow's sample data when saved (a
missing variable or an escape attempt never reaches a customer), in force at the next send; `proativo preview`
renders them all to files."""

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError
from proativo.cli.main import main as cli
from proativo.messaging.templates import make_environment, render

from tests.conftest import WHERE, Harness, generic

NAME = "pt-BR/order_thanks.subject.j2"


def _set(tmp_path: Path, source: str) -> int:
    path = tmp_path / "template.j2"
    path.write_text(source, encoding="utf-8")
    return cli(["templates", "set", "demo", NAME, str(path), *WHERE])


def test_a_store_template_is_used_at_the_next_send(harness: Harness, tmp_path: Path) -> None:
    assert _set(tmp_path, "Valeu, {{ customer.first_name or 'cliente' }}! Pedido {{ context.order_id }} pago") == 0
    harness.post(generic("order.paid", "p1", "2026-11-24T12:00:00Z", {"order_id": "o1"}))
    harness.stack.advance(10 * 60)
    (thanks,) = harness.outbox.entries
    assert thanks.subject == "Valeu, Maria! Pedido o1 pago"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Olá {{ customer.nickname }}", "no attribute 'nickname'"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "reaches outside the sandbox"),
        ("{{ cycler.__init__.__globals__.os }}", "reaches outside the sandbox"),
        ("{% for x in %}", "does not compile"),
    ],
)
def test_a_template_that_would_fail_or_escape_is_refused_when_saved(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, reason: str
) -> None:
    assert _set(tmp_path, source) == 2
    assert reason in capsys.readouterr().err
    harness.post(generic("order.paid", "p1", "2026-11-24T12:00:00Z", {"order_id": "o1"}))
    harness.stack.advance(10 * 60)
    assert harness.outbox.entries[0].subject == "Obrigado pela compra! Pedido o1 confirmado"  # ours, unchanged


def test_an_escape_attempt_that_got_in_anyway_is_stopped_at_render() -> None:
    env = make_environment({NAME: "{{ context.order_id.__class__.__base__.__subclasses__() }}"})
    with pytest.raises(SecurityError):
        render("order_thanks", "email", "pt-BR", {"context": {"order_id": "o1"}, "store": {}, "customer": {}}, env)


def test_preview_writes_every_template_to_files_a_person_can_open(tmp_path: Path) -> None:
    assert cli(["preview", "--out", str(tmp_path)]) == 0
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Obrigado pela compra! Pedido 5001 confirmado" in index
    assert (tmp_path / "en-cart_abandoned_3-email.html").read_text(encoding="utf-8").count("VOLTA-ABCD2345") == 1
    assert (tmp_path / "pt-BR-order_shipped-whatsapp.txt").exists()
