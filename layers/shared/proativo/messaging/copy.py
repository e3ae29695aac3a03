"""The words shown to people outside the message templates, as data: `copy.yaml` here (the pages behind our links,
an agent's first WhatsApp words), the customer's order page's own file beside it (`selfservice/page.yaml`). One
lookup for all of them, pt-BR the fallback."""

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

FALLBACK = "pt-BR"


@dataclass(frozen=True)
class Phrasebook:
    """A file of words by locale (`package`/`name`): every key in pt-BR, other locales where written."""

    package: str
    name: str

    def _all(self) -> dict[str, dict[str, str]]:
        return _load(self.package, self.name)

    def words(self, key: str, locale: object, **fields: object) -> str:
        """The text `key` in `locale` (or the fallback), its placeholders filled."""
        found = self._all().get(locale_of(locale)) or self._all()[FALLBACK]
        return (found.get(key) or self._all()[FALLBACK][key]).format(**fields)


@cache
def _load(package: str, name: str) -> dict[str, dict[str, str]]:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


COPY = Phrasebook("proativo.messaging", "copy.yaml")


def locale_of(wanted: object) -> str:
    """`wanted` if we have words in it, else one of its language ("en-US" → en), else the fallback."""
    if not isinstance(wanted, str):
        return FALLBACK
    known = COPY._all()
    if wanted in known:
        return wanted
    language = wanted.split("-")[0].lower()
    return next((have for have in known if have.split("-")[0].lower() == language), FALLBACK)


def words(key: str, locale: object, **fields: object) -> str:
    """The text `key` of `copy.yaml` in `locale` (or the fallback), its placeholders filled."""
    return COPY.words(key, locale, **fields)
