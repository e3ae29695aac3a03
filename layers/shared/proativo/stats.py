"""Daily counters per store, written when the work happens (never computed by scanning): enrolments and
recoveries per flow today; the reports read them back by day."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from proativo import keys


def stats_key(store_id: str, day: datetime, scope: str) -> dict[str, str]:
    """The counter item of one store, one UTC day, one scope (e.g. 'FLOW#cart_abandonment')."""
    return {"pk": f"{keys.store_pk(store_id)}#STATS", "sk": f"DAY#{day:%Y-%m-%d}#{scope}"}


def increment(table_name: str, store_id: str, day: datetime, scope: str, **amounts: int | Decimal) -> dict[str, Any]:
    """A TransactWriteItems `Update` adding `amounts` to a counter (so it commits with the fact it counts)."""
    return {
        "Update": {
            "TableName": table_name,
            "Key": stats_key(store_id, day, scope),
            "UpdateExpression": "ADD " + ", ".join(f"#{k} :{k}" for k in amounts),
            "ExpressionAttributeNames": {f"#{k}": k for k in amounts},
            "ExpressionAttributeValues": {f":{k}": v for k, v in amounts.items()},
        }
    }
