"""Everything under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

from core import views

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("sessions_app.api.urls")),
    path("", include("performance.api.urls")),
    path("", include("gamification.api.urls")),
    path("", include("overview.api.urls")),
    # Anything else under /api/v1/ answers in the envelope, never with an HTML page.
    path("<path:rest>", views.api_not_found),
]
