"""The API's envelope: `{"success": true, "data", "meta"}` on success, `{"error", "details"}` on
every failure, whatever raised it (DRF, Django, a domain error or a bug)."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.errors import DomainError
from config.renderers import EnvelopeResponse

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


def envelope_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.message, {"code": exc.code, **exc.details}), status=exc.status
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body("Something went wrong on our side. It has been logged.", {"code": "error"}),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        message = "Validation failed. " + _sentence(exc.detail)
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        message = _sentence(exc.detail)
        details = {"code": getattr(exc, "default_code", "error")}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details["retry_after"] = int(exc.wait + 0.999)
    response.data = error_body(message, details)
    return response
