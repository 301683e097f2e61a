"""The API's envelope: `{"success": true, "data", "meta"}` on success, `{"error", "details"}` on
every failure, whatever raised it (DRF, Django, a domain error or a bug)."""

import logging
import math

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError
from core.logging import request_id_var
from core.renderers import EnvelopeResponse

logger = logging.getLogger(__name__)


class EnvelopePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        return EnvelopeResponse(
            data,
            meta={
                "total": self.page.paginator.count,
                "page": self.page.number,
                "pages": self.page.paginator.num_pages,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            },
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["success", "data", "meta"],
            "properties": {
                "success": {"type": "boolean", "enum": [True]},
                "data": schema,
                "meta": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "pages": {"type": "integer"},
                        "next": {"type": "string", "nullable": True, "format": "uri"},
                        "previous": {"type": "string", "nullable": True, "format": "uri"},
                    },
                },
            },
        }


def _sentence(detail) -> str:
    """The first human-readable message in a DRF error detail, as a sentence."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _sentence(value)
            return text if key == "non_field_errors" else f"{key}: {text}"
        return "Invalid input."
    if isinstance(detail, list):
        return _sentence(detail[0]) if detail else "Invalid input."
    return str(detail)


def error_body(message: str, details=None) -> dict:
    return {"error": message, "details": details if details is not None else {}}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class TooManyFields(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request has too many parameters or fields."
    default_code = "too_many_fields"


def client_fault(exc) -> exceptions.APIException | None:
    """What a request over Django's upload limits is answered with, API and pages alike.

    Django raises these while reading the query or the body, wherever that happens (a view,
    DRF's negotiation, a middleware); they are the client's doing, so a 4xx, never a 500.
    """
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return TooManyFields()
    return None


def envelope_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        response = Response(
            error_body(exc.message, {"code": exc.code, **exc.details}), status=exc.status
        )
        if exc.status == status.HTTP_429_TOO_MANY_REQUESTS and "retry_after" in exc.details:
            response["Retry-After"] = str(exc.details["retry_after"])
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    else:
        exc = client_fault(exc) or exc

    response = exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        # The id is also on the record itself (not only added by the handler's filter), so the
        # line can be matched with the `X-Request-ID` the client saw whatever handler runs.
        logger.error(
            "Unhandled API error on %s %s",
            getattr(request, "method", "-"),
            getattr(request, "path", "-"),
            exc_info=exc,
            extra={"request_id": request_id_var.get()},
        )
        return Response(
            error_body(
                "Something went wrong on our side. It has been logged.",
                {"code": "error", "request_id": request_id_var.get()},
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        message = "Validation failed. " + _sentence(exc.detail)
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        message = _sentence(exc.detail)
        details = {"code": getattr(exc, "default_code", "error")}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            # Rounded up, and the header says the same: DRF's own header rounds down (even to 0).
            details["retry_after"] = max(1, math.ceil(exc.wait))
            response["Retry-After"] = str(details["retry_after"])
    response.data = error_body(message, details)
    return response
