"""Powertools Idempotency, built lazily so no AWS client exists before the first call (cold starts stay light).

One persistence layer per operation: Powertools keeps the first configuration a layer was used with.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

# The events function applies a message once per store and event id (two stores' platforms number their orders
# alike, and each store's fact is its own), remembering what it did for 14 days.
EVENTS = IdempotencyConfig(event_key_jmespath="[store_id, event_id]", expires_after_seconds=14 * 24 * 3600)


def once(
    table_name: Callable[[], str], config: IdempotencyConfig, data_keyword: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate `fn` so that calls with the same key (per `config`) run it once and replay its result after."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        built: list[Callable[..., Any]] = []

        @wraps(fn)
        def call(**kwargs: Any) -> Any:
            if not built:
                persistence = DynamoDBPersistenceLayer(table_name=table_name())
                built.append(
                    idempotent_function(
                        data_keyword_argument=data_keyword, config=config, persistence_store=persistence
                    )(fn)
                )
            return built[0](**kwargs)

        return call

    return decorate
