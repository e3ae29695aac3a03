"""The customer's own page (`GET /t/{token}`), served by the pages function through the local stack's HTTP routes.

tracking_page_requests: DynamoDB requests the pages function makes per page view, over `VIEWS` views of one order
(the order's partition in one Query; the store's profile and answers in one read, cached a minute per container).
tracking_page_ms: the median server time of a view (the function invoked with API Gateway's event, routing,
rendering and all). tracking_page_ratio: that median over the median of one bare Query of the same partition in the
same run (the least any page of this order must cost here).

The customer is a realistic one after a troubled journey: an order with two items, a parcel with a full timeline,
the journal of what was seen and done, the messages sent, an enrolment and the event log beside them."""

import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from infra.local.stack import DEMO_STORE, LocalStack

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
VIEWS = 200


def _partition(store_id: str, customer_id: str) -> list[dict[str, Any]]:
    from proativo.aws import keys

    pk = keys.customer_pk(store_id, customer_id)
    at = "2026-11-2{}T1{}:00:00Z"
    items: list[dict[str, Any]] = [
        {"pk": pk, "sk": "PROFILE", "kind": "profile", "name": "Davi Lima", "locale": "pt-BR"},
        {
            "pk": pk,
            "sk": "ORDER#6001",
            "kind": "order",
            "order_id": "6001",
            "status": "shipped",
            "status_rank": 5,
            "total": "129.90",
            "currency": "BRL",
            "items": [{"name": "Camiseta Algodão", "quantity": 2}, {"name": "Boné", "quantity": 1}],
        },
        {
            "pk": pk,
            "sk": "PARCEL#correios#QD314159268BR",
            "kind": "parcel",
            "order_id": "6001",
            "carrier": "correios",
            "tracking_code": "QD314159268BR",
            "status": "exception",
            "open_episodes": ["lost"],
            "promised_at": "2026-12-01T02:59:59Z",
            "shipped_at": "2026-11-25T14:30:00Z",
            "last_location": "CAJAMAR/SP",
            "timeline": [
                {
                    "at": at.format(5 + i // 4, i % 4),
                    "status": "in_transit",
                    "description": "Objeto em transferência",
                    "location": "CAJAMAR/SP",
                }
                for i in range(12)
            ],
        },
    ]
    for i, (what, fields) in enumerate(
        [
            ("detected#stalled#QD314159268BR", {"trouble": "stalled"}),
            ("detected#lost#QD314159268BR", {"trouble": "lost"}),
            ("claim#open#QD314159268BR", {"status": "open", "protocol": "000000001", "carrier": "correios"}),
        ]
    ):
        note = {"kind": "note", "order_id": "6001", "what": what, "at": at.format(7 + i, 1), **fields}
        items.append({"pk": pk, "sk": f"NOTE#6001#{note['at']}#{what}", **note})
    for i in range(8):
        message = {"kind": "message", "status": "sent", "channel": "email", "key": "QD314159268BR"}
        items.append(
            {"pk": pk, "sk": f"MSG#m{i}", **message, "template": "parcel_exception", "sent_at": at.format(7, i)}
        )
    items.append(
        {
            "pk": pk,
            "sk": "ENROL#win_back#6001",
            "kind": "enrolment",
            "flow_id": "win_back",
            "key": "6001",
            "version": 1,
            "purpose": "marketing",
            "status": "active",
            "anchor_at": "2026-11-25T14:30:00Z",
            "next_index": 0,
            "steps": [{"id": "come_back", "delay_seconds": 15_552_000, "channel": "email", "template": "win_back"}],
        }
    )
    return items


def measure() -> dict[str, float]:
    """Views of one order's page: DynamoDB requests and server time each, against a bare Query of its partition."""
    with LocalStack(start=NOW, log_level="ERROR") as stack:
        from proativo import aws, wiring
        from proativo.aws import keys
        from proativo.settings import PagesSettings

        import infra.local.faults as faults

        table = aws.table(stack.physical["Table"])
        with table.batch_writer() as batch:
            for item in _partition(DEMO_STORE, "c-davi"):
                batch.put_item(Item=item)
        with stack.running_as("PagesFunction"):
            signer = wiring.pages(PagesSettings.from_env()).signer
            path = signer.order_page(DEMO_STORE, "c-davi", "6001", "pt-BR", NOW)
        requests: Counter[str] = Counter()
        original = faults._original

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if stack._running == "PagesFunction" and client.meta.service_model.service_name == "dynamodb":
                requests[operation] += 1
            return original(client, operation, params)

        faults._original = counted
        try:
            served = []
            for _ in range(VIEWS):
                started = time.perf_counter()
                status, _, body = stack.http("GET", path, {"accept-language": "pt-BR"}, b"")
                served.append(time.perf_counter() - started)
                assert status == 200 and b"000000001" in body, (status, body[:300])
                # The visit is applied as deployed (within a second): the next views within the visit's gap are
                # the same visit and announce nothing.
                stack.drain()
        finally:
            faults._original = original
        bare = []
        for _ in range(VIEWS):
            started = time.perf_counter()
            table.query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": keys.customer_pk(DEMO_STORE, "c-davi")},
            )
            bare.append(time.perf_counter() - started)
    page_ms, query_ms = statistics.median(served) * 1000, statistics.median(bare) * 1000
    return {
        "tracking_page_requests": sum(requests.values()) / VIEWS,
        "tracking_page_ms": page_ms,
        "tracking_page_ratio": page_ms / query_ms,
        "tracking_page_query_ms": query_ms,
        "tracking_page_views": VIEWS,
        **{f"tracking_page_requests_{k}": v for k, v in sorted(requests.items())},
    }
