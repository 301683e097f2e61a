from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.errors import DomainError
from scenarios.admin import ScenarioAdmin
from scenarios.models import Scenario
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import session_start


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    fields = ["seq", "role", "content", "client_id", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "scenario", "status", "outcome", "score", "passed", "started_at"]
    list_filter = ["status", "outcome", "passed", "is_preview", "scenario__difficulty"]
    search_fields = ["user__email", "scenario__slug", "scenario__title"]
    list_select_related = ["user", "scenario"]
    raw_id_fields = ["user", "scenario"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "id",
        "engine",
        "engine_state",
        "scenario_snapshot",
        "started_at",
        "last_activity_at",
        "ended_at",
        "scored_at",
        "score",
        "passed",
        "xp_awarded",
        "feedback",
        "tokens_used",
        "created_at",
        "updated_at",
    ]
    inlines = [ChatMessageInline]


class PlayedScenarioAdmin(ScenarioAdmin):
    """The scenario admin plus what needs sessions: attempts and pass rate at a glance, and a
    "try it" preview that opens the chat as a trainee would see it."""

    list_display = [*ScenarioAdmin.list_display, "attempts", "pass_rate", "try_it"]

    def get_queryset(self, request):
        # Previews are staff trying things out: they never count as attempts.
        real = Q(sessions__is_preview=False)
        scored = real & Q(sessions__status=SessionStatus.SCORED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                attempt_count=Count("sessions", filter=real),
                scored_count=Count("sessions", filter=scored),
                passed_count=Count("sessions", filter=scored & Q(sessions__passed=True)),
            )
        )

    @admin.display(description="Attempts", ordering="attempt_count")
    def attempts(self, scenario):
        return scenario.attempt_count

    @admin.display(description="Pass rate")
    def pass_rate(self, scenario):
        if not scenario.scored_count:
            return "—"
        return f"{round(100 * scenario.passed_count / scenario.scored_count)}%"

    @admin.display(description="Preview")
    def try_it(self, scenario):
        # A POST button inside the changelist form: it carries that form's CSRF token.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post" '
            'formnovalidate title="Open a preview session as a trainee">Try it</button>',
            reverse("admin:scenarios_scenario_try", args=[scenario.pk]),
        )

    def get_urls(self):
        try_it = path(
            "<int:pk>/try/",
            self.admin_site.admin_view(self.try_view),
            name="scenarios_scenario_try",
        )
        return [try_it, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "try_url": reverse("admin:scenarios_scenario_try", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def try_view(self, request, pk):
        """GET asks for confirmation; POST starts a preview and opens the chat as a trainee."""
        scenario = get_object_or_404(Scenario, pk=pk)
        if not self.has_view_permission(request, scenario):
            raise PermissionDenied
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if request.method == "GET":
            return TemplateResponse(
                request,
                "scenarios/admin/try_it.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "scenario": scenario,
                    "title": f"Try “{scenario.title}”",
                },
            )
        try:
            session = session_start(user=request.user, scenario=scenario, is_preview=True)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect("admin:scenarios_scenario_changelist")
        return redirect("session-detail", session_id=session.id)


admin.site.unregister(Scenario)
admin.site.register(Scenario, PlayedScenarioAdmin)
