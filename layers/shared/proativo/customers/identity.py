"""A buyer's tax id (CPF or CNPJ in Brazil, RUT, CUIT, NIF elsewhere), kept only as a keyed digest: enough to tell
that a public complaint giving the same digits is that buyer's, useless to anyone who reads the table without the
deployment's key. An unkeyed hash would not do: a CPF has nine free digits, so every one of them can be hashed in
seconds.

The key is derived from the deployment's link-signing secret (Secrets Manager), under a label of its own, so that a
digest and a link signature never share a key. The engine replaces the id with its digest before anything is
written (`EventProcessor`'s first step); the complaint matcher computes the same digest from what a complaint
gives."""

import hashlib
import hmac
import re

PREFIX = "h1:"  # a digest, as the engine keeps it (and as a replayed event may carry it already)
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def normalized(tax_id: str) -> str:
    """The id as the digest takes it: letters and digits only, upper case ("123.456.789-09" → "12345678909")."""
    return _NOT_ALNUM.sub("", tax_id).upper()


def digest(key: str, store_id: str, tax_id: str) -> str:
    """The keyed digest of a store's buyer's tax id (a digest given again is returned as it is)."""
    if tax_id.startswith(PREFIX):
        return tax_id
    derived = hmac.new(key.encode(), b"proativo tax id v1", hashlib.sha256).digest()
    mac = hmac.new(derived, f"{store_id}\n{normalized(tax_id)}".encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX}{mac}"
