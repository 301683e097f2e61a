"""A request id on every log line, whether it comes from HTTP, a WebSocket or a Celery task.

The id lives in a context variable, so it follows the request through async code and
`sync_to_async` threads (asgiref copies the context) without being passed around.
"""

import contextvars
import logging
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def bind_request_id(value: str | None = None) -> contextvars.Token:
    """Set the current request id (a fresh one when none is given); returns the reset token."""
    return request_id_var.set(value or new_request_id())


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ClientFaultFilter(logging.Filter):
    """Django logs a request over its upload limits (`django.security.RequestDataTooBig` and
    the like) as an ERROR with a traceback, as if the server had failed. The client gets a 4xx
    and nothing on our side is broken: a WARNING, without the traceback, pages nobody."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True
