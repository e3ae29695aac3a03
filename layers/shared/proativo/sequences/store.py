"""Enrolments and scheduled steps in DynamoDB. Every write is conditional: duplicates and races change nothing."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from proativo import keys
from proativo.aws import error_code
from proativo.clock import as_utc, parse_utc
from proativo.sequences.engine import Decision, Enrol, Enrolment, Exit, Restart, schedule
from proativo.sequences.flows import Step
from proativo.sequences.items import cancel_step, enrolment_sk, step_item, step_sk
from proativo.stats import increment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_CONFLICTS = {"ConditionalCheckFailedException", "TransactionCanceledException"}


def enrolment_from_item(item: dict[str, Any]) -> Enrolment:
    """Rebuild an enrolment from its DynamoDB item."""
    return Enrolment(
        flow_id=str(item["flow_id"]),
        key=str(item["key"]),
        version=int(item["version"]),
        purpose=str(item["purpose"]),
        priority=int(item.get("priority", 0)),
        status=item["status"],
        anchor_at=parse_utc(str(item["anchor_at"])),
        next_index=int(item["next_index"]),
        steps=tuple(
            Step(
                id=s["id"],
                delay=timedelta(seconds=int(s["delay_seconds"])) if "delay_seconds" in s else None,
                at_deadline=timedelta(seconds=int(s["at_deadline_seconds"])) if "at_deadline_seconds" in s else None,
                channel=s["channel"],
                template=s["template"],
            )
            for s in item["steps"]
        ),
        exit_on=tuple(item.get("exit_on", ())),
        context=dict(item.get("context", {})),
        exit_reason=item.get("exit_reason"),
        deadline_at=parse_utc(str(item["deadline_at"])) if item.get("deadline_at") else None,
    )


def _step_dict(step: Step, due_at: datetime, deadline_at: datetime | None) -> dict[str, Any]:
    timing: dict[str, Any]
    if step.at_deadline is not None and deadline_at is not None:
        # A deadline step's time is absolute: the dispatcher schedules it as is.
        timing = {"at_deadline_seconds": int(step.at_deadline.total_seconds()), "due_at": as_utc(due_at)}
    else:
        timing = {"delay_seconds": int((step.delay or timedelta(0)).total_seconds())}
    return {"id": step.id, **timing, "channel": step.channel, "template": step.template}


@dataclass(frozen=True)
class SequenceStore:
    """Persistence of enrolments and steps for one table."""

    table: "Table"
    due_shards: int

    def enrolments(self, store_id: str, customer_id: str) -> dict[tuple[str, str], Enrolment]:
        """Every enrolment of a customer (one Query on their partition)."""
        found: dict[tuple[str, str], Enrolment] = {}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": keys.customer_pk(store_id, customer_id), ":p": "ENROL#"},
            "ConsistentRead": True,
        }
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                enrolment = enrolment_from_item(item)
                found[(enrolment.flow_id, enrolment.key)] = enrolment
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def apply(self, store_id: str, customer_id: str, decisions: list[Decision], now: datetime) -> list[Decision]:
        """Persist the engine's decisions; returns those that took effect (a lost race is not an error)."""
        applied: list[Decision] = []
        for decision in decisions:
            try:
                match decision:
                    case Enrol():
                        self._enrol(store_id, customer_id, decision, now)
                    case Restart():
                        self._restart(store_id, customer_id, decision)
                    case Exit():
                        self._exit(store_id, customer_id, decision, now)
            except ClientError as exc:
                if error_code(exc) not in _CONFLICTS:
                    raise
                continue
            applied.append(decision)
        return applied

    def _enrol(self, store_id: str, customer_id: str, decision: Enrol, now: datetime) -> None:
        e = decision.enrolment
        dues = schedule(e.steps, e.anchor_at, e.deadline_at)
        steps = [_step_dict(s, due, e.deadline_at) for s, due in zip(e.steps, dues, strict=True)]
        first = e.next_index
        item: dict[str, Any] = {
            "pk": keys.customer_pk(store_id, customer_id),
            "sk": enrolment_sk(e.flow_id, e.key),
            "kind": "enrolment",
            "store_id": store_id,
            "customer_id": customer_id,
            "flow_id": e.flow_id,
            "key": e.key,
            "version": e.version,
            "purpose": e.purpose,
            "priority": e.priority,
            "status": e.status,
            "anchor_at": as_utc(e.anchor_at),
            "entered_at": as_utc(now),
            "next_index": first,
            "steps": steps,
            "exit_on": list(e.exit_on),
            "context": e.context,
            **({"deadline_at": as_utc(e.deadline_at)} if e.deadline_at else {}),
        }
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": step_item(
                        store_id=store_id,
                        customer_id=customer_id,
                        flow_id=e.flow_id,
                        key=e.key,
                        purpose=e.purpose,
                        priority=e.priority,
                        index=0,
                        step=steps[0],
                        following=steps[1:],
                        due_at=decision.due_at,
                        due_shards=self.due_shards,
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            increment(self.table.name, store_id, e.anchor_at, f"FLOW#{e.flow_id}", enrolled=1),
        ]
        self.table.meta.client.transact_write_items(TransactItems=items)

    def _restart(self, store_id: str, customer_id: str, decision: Restart) -> None:
        e = decision.enrolment
        pk = keys.customer_pk(store_id, customer_id)
        sk = step_sk(e.flow_id, e.key, 0)
        due = keys.due_keys("send", f"{pk}|{sk}", decision.due_at, self.due_shards)
        client = self.table.meta.client
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": {"pk": pk, "sk": enrolment_sk(e.flow_id, e.key)},
                        "UpdateExpression": "SET anchor_at = :a, context = :c",
                        "ConditionExpression": "#s = :active AND next_index = :zero AND anchor_at < :a",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":a": as_utc(e.anchor_at),
                            ":c": e.context,
                            ":active": "active",
                            ":zero": 0,
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": {"pk": pk, "sk": sk},
                        "UpdateExpression": "SET due_shard = :shard, due_at = :due, scheduled_for = :due",
                        "ConditionExpression": "#s = :pending",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":shard": due["due_shard"],
                            ":due": due["due_at"],
                            ":pending": "pending",
                        },
                    }
                },
            ]
        )

    def _exit(self, store_id: str, customer_id: str, decision: Exit, now: datetime) -> None:
        e = decision.enrolment
        pk = keys.customer_pk(store_id, customer_id)
        # The exit itself is the truth the sender checks; cancelling the pending step only saves work later.
        self.table.update_item(
            Key={"pk": pk, "sk": enrolment_sk(e.flow_id, e.key)},
            UpdateExpression="SET #s = :exited, exit_reason = :r, exited_at = :t",
            ConditionExpression="#s = :active",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":exited": "exited",
                ":r": decision.reason,
                ":t": as_utc(now),
                ":active": "active",
            },
        )
        self.cancel_step(pk, step_sk(e.flow_id, e.key, e.next_index))

    def cancel_step(self, pk: str, sk: str) -> None:
        """Take a pending step off the due index for good (no-op if it already left)."""
        cancel_step(self.table, pk, sk)
