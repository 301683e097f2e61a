import re
import zoneinfo

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils import timezone

from core.logging import bind_request_id, request_id_var

# Accept a caller's id only when it looks like one, so that logs cannot be forged or bloated.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Binds a request id for logging and echoes it in `X-Request-ID`."""

    async_capable = True
    sync_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _bind(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        token = bind_request_id(incoming if _INCOMING_ID.match(incoming) else None)
        request.request_id = request_id_var.get()
        return token

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        token = self._bind(request)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            return response
        finally:
            request_id_var.reset(token)

    async def __acall__(self, request):
        token = self._bind(request)
        try:
            response = await self.get_response(request)
            response["X-Request-ID"] = request.request_id
            return response
        finally:
            request_id_var.reset(token)


class UserTimezoneMiddleware:
    """Renders dates in the signed-in trainee's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = getattr(getattr(request, "user", None), "timezone", None)
        if tz_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
