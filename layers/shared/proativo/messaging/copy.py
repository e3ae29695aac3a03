"""The words shown to people outside the message templates, as data (`copy.yaml`): one lookup, pt-BR the fallback."""

from functools import cache
from importlib import resources

import yaml

FALLBACK = "pt-BR"


@cache
def _all() -> dict[str, dict[str, str]]:
    text = resources.files("proativo.messaging").joinpath("copy.yaml").read_text(encoding="utf-8")
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


def locale_of(wanted: object) -> str:
    """`wanted` if we have words in it, else one of its language ("en-US" → en), else the fallback."""
    if not isinstance(wanted, str):
        return FALLBACK
    if wanted in _all():
        return wanted
    language = wanted.split("-")[0].lower()
    return next((known for known in _all() if known.split("-")[0].lower() == language), FALLBACK)


def words(key: str, locale: object, **fields: object) -> str:
    """The text `key` in `locale` (or the fallback), its placeholders filled."""
    found = _all()[locale_of(locale)]
    return (found.get(key) or _all()[FALLBACK][key]).format(**fields)
