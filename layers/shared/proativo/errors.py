"""Typed errors raised by domain code; only the edges map them to HTTP answers or batch failures."""


class ProativoError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(ProativoError):
    """The store, platform or item named does not exist."""


class Unauthorized(ProativoError):
    """A signature or credential did not verify."""


class Forbidden(ProativoError):
    """The caller is known not to be allowed here (a browser on a site that is not the store's)."""


class InvalidPayload(ProativoError):
    """The input was readable but not acceptable; `field` names where."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Conflict(ProativoError):
    """The request is readable but the thing it acts on is not in a state that allows it (a resolved case assigned)."""


class PayloadTooLarge(ProativoError):
    """The body exceeds what we accept."""


class Unavailable(ProativoError):
    """A dependency failed for now (throttled, timed out, a 5xx): nothing was decided, the caller should retry. An
    HTTP route answers 503, never "unknown store" or "bad signature"."""


class RetryableSendError(ProativoError):
    """The channel refused for now (throttling, 5xx): nothing was sent, try again later."""


class ChannelRefused(ProativoError):
    """The provider refused this message for good (not retried): e.g. a WhatsApp template Meta has not approved."""
