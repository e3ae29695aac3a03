"""`make demo`: replay a scripted store day from events/ through the local stack and show what happened."""

import json
import re
import shutil
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from infra.local.gateway import make_server, serve_forever_in_background
from infra.local.outbox import Outbox
from infra.local.samples import EVENTS, raw_body, request_time
from infra.local.stack import DEMO_STORE, LocalStack
from infra.local.timeline import Timeline

SCENARIO = EVENTS / "demo" / "day.json"
_PAGE_LINK = re.compile(r"https?://[^\s/]+(/t/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


def _sample(scenario_path: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((scenario_path.parent.parent / name).read_text(encoding="utf-8"))
    return loaded


def _post(http: httpx.Client, name: str, event: dict[str, Any]) -> None:
    answer = http.post(event["rawPath"], headers=event["headers"], content=raw_body(event))
    if answer.status_code >= 300:
        raise RuntimeError(f"{name} answered {answer.status_code}: {answer.text}")


def _click(http: httpx.Client, outbox: Outbox, step: dict[str, Any]) -> None:
    """A customer clicks a link in the last message of a kind they got (the survey: the link of their score)."""
    received = [e for e in outbox.entries if e.template == step["click"] and step["recipient"] in e.recipient]
    if not received:
        raise RuntimeError(f"nobody matching {step['recipient']!r} got a {step['click']} message to click in")
    link = next(
        line.split(": ", 1)[1] for line in received[-1].text.splitlines() if line.startswith(f"{step['score']}: ")
    )
    url = httpx.URL(link)
    answer = http.get(url.path, params=url.params)
    if answer.status_code != 200:
        raise RuntimeError(f"the {step['click']} link answered {answer.status_code}: {answer.text}")


def _open_page(http: httpx.Client, outbox: Outbox, step: dict[str, Any], out: Path) -> None:
    """A customer opens their order's own page from the last message of a kind they got; the page is kept."""
    received = [e for e in outbox.entries if e.template == step["open"] and step["recipient"] in e.recipient]
    links = [m.group(1) for e in received for m in [_PAGE_LINK.search(e.text)] if m]
    if not links:
        raise RuntimeError(f"nobody matching {step['recipient']!r} got a {step['open']} message with a page link")
    answer = http.get(links[-1], headers={"accept-language": "pt-BR"})
    if answer.status_code != 200:
        raise RuntimeError(f"the order page answered {answer.status_code}: {answer.text[:200]}")
    pages = out / "pages"
    pages.mkdir(exist_ok=True)
    (pages / f"{step['save']}.html").write_text(answer.text, encoding="utf-8")


def _follow_up(
    stack: LocalStack,
    timeline: Timeline,
    outbox: Outbox,
    http: httpx.Client,
    scenario_path: Path,
    follow: dict[str, Any],
    out: Path,
) -> None:
    """The days after, an hour at a time (idle minutes skipped, and hours in which nothing falls due passed at once):
    the parcels' journeys play out, the store's later moves are posted at their minute (their samples are signed for
    it) and customers click what they got."""
    timeline.add(stack.clock.now(), f"> {follow['note']}")
    later = sorted(
        (
            (
                datetime.fromisoformat(s["at"]) if "post" not in s else request_time(_sample(scenario_path, s["post"])),
                n,
                s,
            )
            for n, s in enumerate(follow.get("story", []))
        ),
        key=lambda t: (t[0], t[1]),
    )
    until = datetime.fromisoformat(follow["until"])
    while stack.clock.now() < until:
        if later and later[0][0] <= stack.clock.now() + timedelta(hours=1):
            at, _, step = later.pop(0)
            stack.run_until(at)
            timeline.add(at, f"> {step['note']}")
            if "click" in step:
                _click(http, outbox, step)
            elif "open" in step:
                _open_page(http, outbox, step, out)
            elif "post" in step:
                _post(http, step["post"], _sample(scenario_path, step["post"]))
            elif "complaint" in step:
                # On the complaint site from now on; the store's connection reads it at its next turn.
                stack.fake_hugme.add({k: v for k, v in step["complaint"].items() if k != "site"})
            # (a step with a note only says what the stack did by itself by then)
            stack.advance(600)  # what the post sets off goes out at once, not at the next hour
        else:
            # Up to the hour before the next story step, at most: the step is taken at its minute.
            limit = min([until, *(at - timedelta(hours=1) for at, _, _ in later[:1])])
            stack.jump(3600 * stack.quiet_hours(limit), settle=120)


def _configure(stack: LocalStack, settings: dict[str, Any]) -> None:
    """The demo store's settings for the day (its team's addresses, its own case rules), as `proativo cases settings`
    and `proativo cases rules set` keep them."""
    if not settings:
        return
    from proativo import aws, stores
    from proativo.cases import kinds, notices, sources

    from infra.local.fake_hugme import credentials

    table = aws.table(stack.physical["Table"])
    own = dict(settings)
    rules = own.pop("case_rules", None)
    for site in own.pop("complaint_sites", []):
        # As `proativo cases sources connect demo <site>` keeps it: the access in SSM, the turns on the due index.
        prefix = str(stack.resolve({"Fn::Sub": "/proativo/${Stage}"}))
        aws.ssm().put_parameter(
            Name=sources.credentials_name(prefix, DEMO_STORE, site),
            Value=json.dumps(credentials(stack.hugme_url)),
            Type="SecureString",
            Overwrite=True,
        )
        table.put_item(Item=sources.site_item(DEMO_STORE, site, stack.clock.now()))
    if rules:
        kinds.save(table, DEMO_STORE, rules, stack.clock.now())
    current = stores.get_profile(table, DEMO_STORE)
    profile = stores.StoreProfile.model_validate({**current.model_dump(), **own})
    stores.put_profile(table, profile, stack.clock.now())
    if profile.team_email:
        table.put_item(Item=notices.digest_item(profile, stack.clock.now(), shards=1))


def run_demo(
    out: Path,
    scenario_path: Path = SCENARIO,
    quiet: bool = False,
    watch: Callable[[LocalStack], AbstractContextManager[Any]] | None = None,
) -> tuple[Timeline, Outbox]:
    """Replay the scenario; write the outbox and the timeline under `out`. `watch`: something held open over the
    stack while the day plays (the cost benchmark's meter)."""
    scenario = json.loads(scenario_path.read_text(encoding="utf-8"))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.monotonic()
    # The port is held from here until the server takes it: the stack's own fake services, which bind any free
    # port while it starts, cannot be handed this one meanwhile.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = int(holder.getsockname()[1])
    # Links in the messages (the survey) point at this run's HTTP server, so the story can click them.
    with (
        LocalStack(start=datetime.fromisoformat(scenario["start"]), public_url=f"http://127.0.0.1:{port}") as stack,
        (watch or (lambda _: nullcontext()))(stack),
    ):
        outbox = Outbox(stack, out)
        timeline = Timeline(stack, outbox)
        _configure(stack, scenario.get("store_settings", {}))
        holder.close()
        server = make_server(stack, outbox, port)
        serve_forever_in_background(server)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                for step in scenario["story"]:
                    event = _sample(scenario_path, step["post"])
                    at = request_time(event)
                    stack.run_until(at)
                    timeline.add(at, f"> {step['note']}")
                    _post(http, step["post"], event)
                stack.run_until(datetime.fromisoformat(scenario["end"]))
                if "follow_up" in scenario:
                    _follow_up(stack, timeline, outbox, http, scenario_path, scenario["follow_up"], out)
        finally:
            server.shutdown()
        # The store's report of the replayed period, from the counters the functions wrote as they worked.
        from proativo import aws
        from proativo.reporting import reports

        until_at = datetime.fromisoformat(scenario.get("follow_up", {}).get("until", scenario["end"]))
        figures = reports.report(
            aws.table(stack.physical["Table"]),
            DEMO_STORE,
            datetime.fromisoformat(scenario["start"]).astimezone(UTC).date(),
            until_at.astimezone(UTC).date(),
        )
        (out / "report.html").write_text(reports.as_html(figures), encoding="utf-8")
        (out / "report.json").write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
        report_text = reports.as_table(figures)
        (out / "report.txt").write_text(report_text, encoding="utf-8")
        if stack.fake_hugme.answers:  # what the store said in public, as the complaint site shows it
            answers = json.dumps(stack.fake_hugme.answers, indent=2, ensure_ascii=False)
            (out / "reclameaqui-answers.json").write_text(answers + "\n", encoding="utf-8")
        with (out / "logs.jsonl").open("w", encoding="utf-8") as logs:
            for inv in stack.invocations:
                for line in inv.logs:
                    logs.write(
                        json.dumps({"virtual_time": inv.at.isoformat(), "function": inv.function, **line}) + "\n"
                    )
    text = timeline.render()
    (out / "timeline.txt").write_text(text, encoding="utf-8")
    if not quiet:
        print(f"\n{scenario['title']}\n")
        print(text)
        print(report_text)
        print(f"{len(outbox.entries)} messages in {out / 'index.html'} (timeline: {out / 'timeline.txt'})")
        print(f"the report, with charts: {out / 'report.html'}")
        if (out / "pages").exists():
            print(f"the order pages customers opened: {out / 'pages'}")
        if outbox.team:
            print(f"{len(outbox.team)} e-mails to the store's team (digests, the ouvidoria): {out / 'team'}")
        until = scenario.get("follow_up", {}).get("until", scenario["end"])
        print(f"replayed {scenario['start']} .. {until} in {time.monotonic() - started:.1f} s")
    return timeline, outbox
