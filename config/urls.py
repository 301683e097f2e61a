from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views

admin.site.site_header = "Support Dojo — authoring"
admin.site.site_title = "Support Dojo admin"
admin.site.index_title = "Scenarios, trainees and achievements"

urlpatterns = [
    # The pages that combine several apps: home, the catalogue, a session's chat or report.
    path("", include("overview.urls")),
    path("", include("sessions_app.urls")),
    path("", include("gamification.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("teams/", include("accounts.team_urls")),
    path("performance/", include("performance.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script as a file: the CSP forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", views.healthz, name="healthz"),
    # The scenario file format, rendered from docs/scenarios.md (linked from the admin's help).
    path("", include("scenarios.urls")),
    # Browsers ask for /favicon.ico whatever the page says; the static file's name is hashed.
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=lazy(static, str)("img/favicon.ico"), http_method_names=["get", "head"]
        ),
        name="favicon",
    ),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

if settings.DEBUG:
    urlpatterns.append(path("__errors__/500", views.trigger_error))
