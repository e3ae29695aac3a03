"""`proativo stores add|rotate-secret|list` against the embedded AWS, and what it means for the webhook route."""

import io
import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters
from proativo.cli.main import main

from tests.conftest import WHERE, Harness, cart


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_a_store_added_by_the_cli_can_post_with_its_new_secret(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    added = run(capsys, "stores", "add", "minha-loja", "--platform", "generic", "--name", "Minha Loja", *WHERE)
    assert added["webhook_path"] == "/webhooks/generic/minha-loja"
    assert len(added["secret"]) == 64
    assert harness.post(cart("e1", "2026-11-24T12:00:00Z"), store="minha-loja", secret=added["secret"]).status == 202
    assert harness.post(cart("e2", "2026-11-24T12:00:00Z"), store="minha-loja").status == 401  # the demo secret


def test_rotating_a_secret_retires_the_old_one(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    old = run(capsys, "stores", "add", "minha-loja", "--platform", "generic", *WHERE)["secret"]
    new = run(capsys, "stores", "rotate-secret", "minha-loja", "--platform", "generic", *WHERE)["secret"]
    assert new != old
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # the function caches secrets for SECRET_CACHE_SECONDS: the rotation's grace period
    assert harness.post(cart("e1", "2026-11-24T12:00:00Z"), store="minha-loja", secret=old).status == 401
    assert harness.post(cart("e1", "2026-11-24T12:00:00Z"), store="minha-loja", secret=new).status == 202


def test_a_platform_secret_can_come_from_stdin_and_is_never_printed(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("shpss_0123456789abcdef0123456789\n"))
    added = run(capsys, "stores", "add", "loja-shopify", "--platform", "shopify", "--secret-stdin", *WHERE)
    assert added["secret"] is None
    listed = run(capsys, "stores", "list", *WHERE)
    assert {"store_id": "loja-shopify", "name": "loja-shopify", "platforms": ["shopify"]} in listed
    assert any(s["store_id"] == "demo" for s in listed)


def test_bad_input_is_refused_with_a_reason(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stores", "add", "Loja Errada!", "--platform", "generic", *WHERE]) == 2
    assert "store_id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["stores", "rotate-secret", "nao-existe", "--platform", "generic", *WHERE])


def test_the_cli_finds_a_deployment_by_its_stack_name(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    # A real account's stack, as CloudFormation describes it: the table comes from the outputs, the stage from the
    # parameters (a one-resource stand-in for the full template; the CLI reads nothing else).
    template = {
        "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"TableName": {"Value": "proativo-local-Table"}},
    }
    harness.stack.client("cloudformation").create_stack(
        StackName="proativo",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "local"}],
    )
    added = run(capsys, "stores", "add", "loja-da-nuvem", "--platform", "generic", "--stack", "proativo")
    assert harness.post(cart("e1", "2026-11-24T12:00:00Z"), store="loja-da-nuvem", secret=added["secret"]).status == 202
    assert "loja-da-nuvem" in {s["store_id"] for s in run(capsys, "stores", "list", "--stack", "proativo")}
