"""Error pages that answer in the API's envelope under /api/ and as HTML elsewhere."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.api import client_fault, error_body
from core.logging import request_id_var

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _error(request, status: int, message: str, template: str, code: str | None = None):
    if _is_api(request):
        return JsonResponse(error_body(message, {"code": code or str(status)}), status=status)
    return render(request, template, {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    fault = client_fault(exception)
    if fault is not None:
        # A body over the upload limit is a 413, not the generic 400 Django asks for.
        return _error(
            request, fault.status_code, str(fault.detail), "errors/error.html", fault.default_code
        )
    return _error(request, 400, "The request could not be understood.", "errors/error.html")


def permission_denied(request, exception=None):
    return _error(request, 403, "You do not have permission to do that.", "errors/error.html")


def page_not_found(request, exception=None):
    return _error(request, 404, "There is nothing at this address.", "errors/error.html")


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            error_body(
                "Something went wrong on our side. It has been logged.",
                {"code": "500", "request_id": request_id_var.get()},
            ),
            status=500,
        )
    # No template context processors here: the database may be what failed.
    return render(request, "errors/500.html", status=500)


@csrf_exempt
def api_not_found(request, rest=""):
    return JsonResponse(
        error_body("There is no API endpoint at this address.", {"code": "not_found"}), status=404
    )


def trigger_error(request):
    raise RuntimeError("Deliberate error to check the 500 page (DEBUG only).")


@never_cache
def healthz(request):
    """Liveness plus a database round trip, for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
