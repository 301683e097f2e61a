"""The base of every domain error that services raise.

Services never raise `Http404` or DRF exceptions; each interface (page, API, WebSocket) translates
a `DomainError` itself. `status` is the HTTP status the API answers with and `code` the stable
machine-readable name the WebSocket `error` frame and the API `details` carry.
"""


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details):
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class Forbidden(DomainError):
    """Signed in, but this is not theirs to do (a trainee creating a team, say)."""

    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do that."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "That is not possible in the current state."


class ServiceUnavailable(DomainError):
    """A service the request needs (Redis, say) is down; nothing was done, so trying again
    later is safe."""

    status = 503
    code = "unavailable"
    default_message = "This is unavailable for a moment. Nothing was lost: try again shortly."


class LimitExceeded(DomainError):
    status = 429
    code = "limit_exceeded"
    default_message = "Limit reached. Try again later."
