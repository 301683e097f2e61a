"""The app's URLs plus the trivial reference view every HTTP measure is divided by."""

from django.http import JsonResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as app_urls

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def trivial_json(request):
    """As little as a Django view can do: the floor under every page of the app."""
    return JsonResponse({"success": True, "data": {"ok": True}})


urlpatterns = [path("__bench__/json", trivial_json), *app_urls]
