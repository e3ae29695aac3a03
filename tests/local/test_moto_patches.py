"""The embedded DynamoDB's cheaper transaction rollback keeps DynamoDB's all-or-nothing promise."""

import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Harness


def _put(key: str, condition: str | None = None, **extra: Any) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": "proativo-local-Table", "Item": {"pk": "T", "sk": key, **extra}}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def test_a_failed_transaction_changes_nothing_and_a_good_one_everything(harness: Harness) -> None:
    table = harness.table()
    client = table.meta.client
    table.put_item(Item={"pk": "T", "sk": "existing", "v": 1})
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(
            TransactItems=[
                _put("new", v=2),
                {
                    "Update": {
                        "TableName": "proativo-local-Table",
                        "Key": {"pk": "T", "sk": "existing"},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": 3},
                    }
                },
                _put("guard", "attribute_exists(pk)", v=4),  # fails: the whole transaction must not happen
            ]
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in table.get_item(Key={"pk": "T", "sk": "new"})
    assert table.get_item(Key={"pk": "T", "sk": "existing"})["Item"]["v"] == 1
    # Nor does the table's stream show what it wrote before it failed (its readers would act on writes that never were).
    streams = harness.stack.client("dynamodbstreams")
    arn = harness.stack.arns["Table.StreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    start = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=start["ShardIterator"])["Records"]
    assert [
        (r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "T"
    ] == [("INSERT", "existing")]
    client.transact_write_items(TransactItems=[_put("new", v=2), _put("other", v=5)])
    assert table.get_item(Key={"pk": "T", "sk": "new"})["Item"]["v"] == 2


def test_a_send_still_counts_and_deduplicates_as_sqs_does(harness: Harness) -> None:
    sqs = harness.stack.client("sqs")
    url = harness.stack.physical["EventsQueue"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "3"
    fifo = sqs.create_queue(
        QueueName="dedup.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    counted = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert counted["ApproximateNumberOfMessages"] == "1"


def test_item_answers_come_back_as_dynamodb_sends_them(harness: Harness) -> None:
    table = harness.table()
    item = {
        "pk": "J",
        "sk": "1",
        "n": Decimal("12.50"),
        "s": "ação",
        "l": [1, "x", {"m": True}],
        "ss": {"a", "b"},
        "b": b"\x00\x01",
        "none": None,
    }
    table.put_item(Item=item)
    assert table.get_item(Key={"pk": "J", "sk": "1"})["Item"] == item
    (queried,) = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "J"})["Items"]
    assert queried == item
    previous = table.put_item(Item={"pk": "J", "sk": "1"}, ReturnValues="ALL_OLD")["Attributes"]
    assert previous == item


def test_an_item_over_dynamodb_400_kb_is_still_refused_whole(harness: Harness) -> None:
    """Items are size-checked once, whole: one over the limit is refused (by put and in a transaction) and nothing of
    it is stored; one just under it, made of many attributes and nested scans, is stored as sent."""
    table = harness.table()
    client = table.meta.client
    big = {f"a{n:03d}": "x" * 4_100 for n in range(100)}  # ≈ 410 KB
    with pytest.raises(ClientError) as caught:
        table.put_item(Item={"pk": "S", "sk": "big", **big})
    assert "Item size has exceeded the maximum allowed size" in str(caught.value)
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[_put("big-t", **big)])
    for sk in ("big", "big-t"):
        assert "Item" not in table.get_item(Key={"pk": "S", "sk": sk})
    timeline = [{"at": f"2026-11-{d:02d}", "description": "y" * 3_000, "n": d} for d in range(1, 31)]
    near = {**{f"a{n:03d}": "x" * 3_000 for n in range(100)}, "timeline": timeline}  # ≈ 390 KB
    table.put_item(Item={"pk": "S", "sk": "near", **near})
    stored = table.get_item(Key={"pk": "S", "sk": "near"})["Item"]
    assert stored["timeline"][29]["n"] == 30 and len(stored) == 103


def test_item_requests_taken_as_sent_read_as_moto_parser_reads_them(harness: Harness) -> None:
    """The embedded DynamoDB takes an item operation's JSON body as it is, skipping moto's shape parser: for every
    kind of value and expression the tracker, the engine and the sender send, both read the same parameters."""
    import botocore.session
    from botocore.serialize import create_serializer
    from moto.core.parse import PROTOCOL_PARSERS

    model = botocore.session.get_session().get_service_model("dynamodb")
    serializer = create_serializer("json")
    item = {
        "pk": {"S": "STORE#s|C#c"},
        "sk": {"S": "PARCEL#correios#BE000000010BR"},
        "n": {"N": "12.50"},
        "l": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"ok": {"BOOL": True}}}]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "none": {"NULL": True},
        "quote": {"S": 'say "B": no'},
    }
    requests = {
        "PutItem": {
            "TableName": "t",
            "Item": item,
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": "0"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
        "UpdateItem": {
            "TableName": "t",
            "Key": {"pk": item["pk"], "sk": item["sk"]},
            "UpdateExpression": "SET #d = :d ADD c :one",
            "ExpressionAttributeNames": {"#d": "due_at"},
            "ExpressionAttributeValues": {":d": {"S": "2026"}, ":one": {"N": "1"}},
        },
        "Query": {
            "TableName": "t",
            "IndexName": "due",
            "KeyConditionExpression": "due_shard = :s AND due_at <= :n",
            "ExpressionAttributeValues": {":s": {"S": "track#1"}, ":n": {"S": "2026"}},
            "Limit": 100,
            "ConsistentRead": False,
            "ExclusiveStartKey": {"pk": item["pk"], "sk": item["sk"]},
        },
        "BatchGetItem": {
            "RequestItems": {"t": {"Keys": [{"pk": item["pk"], "sk": item["sk"]}], "ConsistentRead": True}}
        },
        "TransactWriteItems": {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": item}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": item["pk"], "sk": item["sk"]},
                        "UpdateExpression": "ADD c :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        },
    }
    for operation, params in requests.items():
        op = model.operation_model(operation)
        body = serializer.serialize_to_request(params, op)["body"]
        request: Any = {"method": "POST", "values": {}, "headers": {}, "body": body, "url_path": "/", "url_params": {}}
        parsed = PROTOCOL_PARSERS["json"](op, map_type=dict).parse(request)
        assert json.loads(body) == parsed, operation
    # And through the stack: an item with every kind of value, conditions and updates, stored and read back as sent.
    table = harness.table()
    table.put_item(Item={"pk": "P", "sk": "1", "v": 0, "s": 'say "B": no', "l": [Decimal("1.5"), {"m": None}]})
    table.update_item(
        Key={"pk": "P", "sk": "1"},
        UpdateExpression="SET v = v + :one",
        ConditionExpression="v = :zero",
        ExpressionAttributeValues={":one": 1, ":zero": 0},
    )
    stored = table.get_item(Key={"pk": "P", "sk": "1"})["Item"]
    assert stored == {"pk": "P", "sk": "1", "v": 1, "s": 'say "B": no', "l": [Decimal("1.5"), {"m": None}]}
