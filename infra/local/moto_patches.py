"""Make the embedded DynamoDB cost what DynamoDB costs: the work, not the table.

- moto rolls a failed TransactWriteItems back by deep-copying every table it names, once per item, before it runs:
  each transaction costs O(table size). We snapshot only the items the transaction names and restore those on
  failure; moto's own whole-table copy is skipped (made an identity) for the duration of the call only. moto also
  leaves on the table's stream the writes a failed transaction made before it failed (DynamoDB's stream holds
  committed writes only): they are taken off again.
- moto answers a Query on the base table by sorting *every* item of the table and keeping the partition's. We hand
  it the partition only (the same items, in the same order). A Query on an index (the due index, every minute)
  compared every item's key with the queried one through moto's typed values (Decimal casts, ~16 µs an item): we
  hand it only the items whose index key has the queried type and value (the same items it would keep; moto then
  checks and sorts them as before).
- moto's SendMessage reads the queue's attributes to learn whether it deduplicates by content, and computing them
  counts every message in the queue twice: each send costs O(queue depth) (1.5 ms more per 100 messages waiting).
  While a send to a standard queue runs, the queue answers that question without counting (FIFO queues as before).
- moto's DynamoDB is not safe under concurrent writers: a transaction that fails restores the items it named as they
  were before it ran, undoing what another thread wrote to them meanwhile (DynamoDB isolates transactions). Writes
  to the embedded DynamoDB take one lock, as the one table server they stand for would serialise them per item.
- moto writes every DynamoDB answer through its generic botocore-shape serializer, which walks each attribute of
  each item against the service model (≈ 3 ms for a Query of a customer with a few enrolments). The item
  operations' answers are already DynamoDB's wire JSON (`{"S": …}` values, plain dicts and lists), so they are
  dumped as they are; anything JSON cannot carry as is (binary values) goes through moto's serializer as before. The
  stream's GetRecords answers likewise (the relay and the stats function poll them all day; ≈ 45 ms each through
  the generic serializer), their creation times as epoch seconds, as the JSON protocol carries them.
- Every request pays for machinery the embedded AWS does not need, about a quarter of a DynamoDB put or an SQS send
  here: SigV4-signing it (moto checks no signature; it reads the region from the URL, the account from its default),
  and moto listing its response class's methods through `inspect` to find the action's handler (the same list for
  a class every time: computed once). Presigned URLs are still signed.
- Every stack makes its clients anew (a new botocore session each), and each session's loader read the services'
  JSON models from disk again: a suite that starts a stack per test read them hundreds of times. One loader (its
  caches) serves every session in the process; the models are read-only.
- moto checks an item's 400 KB limit as each attribute is put in it, summing the sizes of all the attributes set so
  far every time (and a list or map's size walks all of it): a put costs O(attributes² x nesting). A parcel, with
  its timeline of scans, paid that on every check. An item is built whole, its size summed once, and refused as
  before when it is over the limit (updates to a stored item are checked as moto checks them).
- moto reads every DynamoDB request through its generic botocore-shape parser, walking each attribute of each item
  against the service model, to rebuild what the JSON body already is. An item operation's body without binary
  values (which the parser base64-decodes) is taken as it is (`json.loads`); others are parsed as before.
- moto's SES v2 keeps only one part of a `Simple` e-mail (the HTML, else the text) and drops its headers. SES
  builds the MIME message from all of them; `raw_mime` builds it the same way when the outbox or a test reads it
  (the message keeps its parts and headers; nothing is built at send time, as nothing is in our Lambda).
"""

import copy
import json
import re
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

_local = threading.local()
_installed = False


class _CopyShim:
    """Stands in for the `copy` module inside moto's DynamoDB models: identity while a transaction runs."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if getattr(_local, "in_transaction", False):
            return value
        return copy.deepcopy(value, memo)


_writes = threading.RLock()


def _serialised(method: Any) -> Any:
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _writes:
            return method(self, *args, **kwargs)

    return locked


def install() -> None:
    """Patch moto's DynamoDB backend once per process."""
    global _installed
    if _installed:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = models.DynamoDBBackend.transact_write_items
    models.copy = _CopyShim()  # type: ignore[assignment,attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.has_range_key and range_key is None:
                continue
            current = table.get_item(hash_key, range_key)
            snapshots.append((table, hash_key, range_key, copy.deepcopy(current)))
        streams = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, *_ in snapshots if t.stream_shard}
        _local.in_transaction = True
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(snapshots):
                if table.has_range_key:
                    bucket = table.items[hash_key]
                    if item is None:
                        bucket.pop(range_key, None)
                    else:
                        bucket[range_key] = item
                elif item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            _local.in_transaction = False

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
        setattr(models.DynamoDBBackend, name, _serialised(getattr(models.DynamoDBBackend, name)))
    _install_partition_query()
    _install_plain_item_answers()
    _install_plain_item_requests()
    _install_plain_stream_records()
    _install_cheap_send()
    _install_item_size_once()
    _install_simple_email()
    _install_cheap_requests()
    _install_shared_loader()
    _installed = True


def _install_item_size_once() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    def built_whole(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        typed = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        # moto's own bound (DynamoDB's 400 KB, measured between 409 and 410 KB), on the same sum it makes.
        if sum(bytesize(key) + value.size() for key, value in typed.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict()
        dict.update(self.attrs, typed)

    dynamo_type.Item.__init__ = built_whole  # type: ignore[method-assign]


def _install_shared_loader() -> None:
    import botocore.session
    from botocore.loaders import create_loader

    loaders: dict[Any, Any] = {}

    def shared(search_path_string: Any = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = shared


def _install_cheap_requests() -> None:
    import functools

    from botocore.signers import RequestSigner
    from moto.core import responses

    responses.method_names_from_class = functools.cache(responses.method_names_from_class)  # type: ignore[attr-defined]
    sign = RequestSigner.sign

    def sign_unless_standard(self: Any, *args: Any, **kwargs: Any) -> None:
        signing_type = args[3] if len(args) > 3 else kwargs.get("signing_type", "standard")
        if signing_type != "standard":  # a presigned URL or POST carries its signature: still signed
            sign(self, *args, **kwargs)

    RequestSigner.sign = sign_unless_standard  # type: ignore[method-assign]


def _install_simple_email() -> None:
    from moto.ses.models import ses_backends
    from moto.sesv2.responses import SESV2Response

    send_email = SESV2Response.send_email

    def keeping_parts(self: Any) -> str:
        answer = send_email(self)
        params = json.loads(self.body)
        simple = (params.get("Content") or {}).get("Simple")
        if simple:
            message_id = json.loads(answer)["MessageId"]
            sent = ses_backends[self.current_account][self.region].sent_messages
            message = next(m for m in reversed(sent) if m.id == message_id)
            message.simple = {**simple, "From": params.get("FromEmailAddress"), "To": params.get("Destination", {})}
        return answer

    SESV2Response.send_email = keeping_parts  # type: ignore[method-assign]


def raw_mime(message: Any) -> str:
    """The MIME text of an e-mail the embedded SES accepted: as sent (raw), or as SES builds it from `Simple` parts
    (multipart/alternative text + HTML, quoted-printable, with the sender's headers)."""
    simple = getattr(message, "simple", None)
    if simple is None:
        return str(getattr(message, "raw_data", ""))
    mime = EmailMessage()
    mime["From"] = simple["From"]
    mime["To"] = ", ".join(simple["To"].get("ToAddresses", []))
    mime["Subject"] = simple["Subject"]["Data"]
    mime["Message-ID"] = f"<{message.id}@email.amazonses.com>"
    for header in simple.get("Headers", []):
        mime[header["Name"]] = header["Value"]
    body = simple["Body"]
    mime.set_content(body["Text"]["Data"], charset="utf-8", cte="quoted-printable")
    if "Html" in body:
        mime.add_alternative(body["Html"]["Data"], subtype="html", charset="utf-8", cte="quoted-printable")
    return mime.as_string()


_ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


# A binary value's type key ("B" or "BS"): a string's own quotes are escaped in JSON, so this matches only a key (an
# attribute named B too: that request is parsed as before).
_BINARY = re.compile(rb'"BS?"\s*:')


def _install_plain_item_requests() -> None:
    from moto.dynamodb.responses import DynamoHandler

    parse_parameters = DynamoHandler.parse_parameters

    def plain(self: Any, request: Any) -> None:
        body = request.data
        if self._get_action() in _ITEM_OPERATIONS and not _BINARY.search(body):
            self.params = json.loads(body)
            return
        parse_parameters(self, request)

    DynamoHandler.parse_parameters = plain  # type: ignore[method-assign]


def _install_plain_item_answers() -> None:
    from moto.dynamodb.responses import DynamoHandler

    serialized = DynamoHandler.serialized

    def plain(self: Any, action_result: Any) -> Any:
        result = getattr(action_result, "result", None)
        if isinstance(result, dict) and self._get_action() in _ITEM_OPERATIONS:
            try:
                body = json.dumps(result)
            except TypeError:
                return serialized(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
            return 200, headers, body
        return serialized(self, action_result)

    DynamoHandler.serialized = plain  # type: ignore[method-assign]


def _epoch(value: Any) -> float:
    """A timestamp as the JSON protocols carry it (epoch seconds); moto keeps naive UTC datetimes."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _install_plain_stream_records() -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    serialized = DynamoDBStreamsHandler.serialized

    def plain(self: Any, action_result: Any) -> Any:
        result = getattr(action_result, "result", None)
        if isinstance(result, dict) and self._get_action() == "GetRecords":
            try:
                body = json.dumps(result, default=_epoch)
            except TypeError:
                return serialized(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
            return 200, headers, body
        return serialized(self, action_result)

    DynamoDBStreamsHandler.serialized = plain  # type: ignore[method-assign]


def _install_cheap_send() -> None:
    from moto.sqs.models import Queue, SQSBackend

    full_attributes, send_message = Queue.attributes, SQSBackend.send_message

    def attributes(self: Any) -> dict[str, Any]:
        if getattr(_local, "in_send", False) and not self.fifo_queue:
            return {}  # a standard queue never deduplicates: nothing a send reads
        return full_attributes.fget(self)  # type: ignore[attr-defined,no-any-return]

    def cheap_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        _local.in_send = True
        try:
            return send_message(self, *args, **kwargs)
        finally:
            _local.in_send = False

    Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]
    SQSBackend.send_message = cheap_send  # type: ignore[method-assign]


_INDEX = object()  # the partition hint of a Query on an index


def _same(found: Any, wanted: Any) -> bool:
    """Whether an item's key attribute equals the queried value, as moto's typed comparison would say, without
    casting strings (numbers are cast: "1" and "1.0" are one number)."""
    if found is None or found.type != wanted.type:
        return False
    return bool(found.value == wanted.value or (found.type == "N" and found.cast_value == wanted.cast_value))


def _install_partition_query() -> None:
    from moto.dynamodb.models.table import Table

    all_items, query = Table.all_items, Table.query

    def partition_items(self: Any) -> Any:
        hint = getattr(_local, "partition", None)
        if hint is None or hint[0] is not self:
            return all_items(self)
        if hint[1] is _INDEX:
            buckets = self.items.values()
            every = (i for b in buckets for i in (b.values() if self.range_key_attr else [b]))
            return [i for i in every if all(_same(i.attrs.get(name), value) for name, value in hint[2])]
        bucket = self.items.get(hint[1])
        if bucket is None:
            return []
        return list(bucket.values()) if self.range_key_attr else [bucket]

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        if index_name and conditions:
            _local.partition = (self, _INDEX, conditions)
        elif index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        else:
            _local.partition = (self, hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _local.partition = None

    Table.all_items = partition_items  # type: ignore[method-assign]
    Table.query = partition_query  # type: ignore[method-assign]
