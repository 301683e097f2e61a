"""Authoring scenarios in the Django admin: YAML editing with errors beside each field, attempts
and pass rate at a glance, bulk actions, export and a "try it" preview."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.errors import DomainError
from scenarios.forms import YAMLDocumentField
from scenarios.models import JSON_FIELDS, Scenario
from scenarios.reading import read_message
from scenarios.selectors import prerequisite_graph
from scenarios.services import scenario_duplicate, scenarios_export, scenarios_set_active
from scenarios.validation import find_prerequisite_cycle
from sessions_app.models import SessionStatus
from sessions_app.services import session_start

NEW_SCENARIO_SKELETON = {
    "ticket_template": {
        "priority": "medium",
        "category": "connectivity",
        "description": "The customer's opening message.",
        "customer_info": {"name": "Customer Name", "account_id": "AC-00000"},
        "technical_context": {},
    },
    "customer_persona": {
        "name": "Customer Name",
        "technical_level": "novice",
        "personality": {"patience": 3, "temperament": "polite"},
        "communication_style": {"tone": "friendly", "verbosity": "short"},
        "facts": [
            {
                "key": "first_fact",
                "asked_by": ["when", "since"],
                "answer": "What the customer says when the agent asks.",
            }
        ],
        "resolution": {
            "requires": ["kb-fix"],
            "confirm": "That worked, thank you!",
            "unresolved": "This isn't helping.",
        },
    },
    "knowledge_base_entries": [
        {
            "id": "kb-fix",
            "title": "The procedure",
            "body": "What the agent should tell the customer to do.",
            "key_phrases": ["a phrase the agent must say"],
        }
    ],
    "assessment_criteria": {
        "pass_score": 70,
        "criteria": [
            {"key": "greeting", "weight": 10},
            {"key": "empathy", "weight": 20},
            {"key": "information_gathering", "weight": 25},
            {"key": "resolution", "weight": 35},
            {"key": "closing", "weight": 10},
        ],
        "forbidden_phrases": ["calm down"],
    },
}


class ScenarioAdminForm(forms.ModelForm):
    ticket_template = YAMLDocumentField(rows=12, help_text="YAML (or JSON). See CONTRACT §2.")
    customer_persona = YAMLDocumentField(
        rows=28,
        help_text=(
            "Facts are hidden from the trainee until asked for. asked_by takes topic words or "
            "whole example questions; they are matched by meaning (synonyms, word forms). "
            "Use “Check a message” above to see what a sample question asks."
        ),
    )
    knowledge_base_entries = YAMLDocumentField(rows=20, required=False)
    assessment_criteria = YAMLDocumentField(rows=14)

    class Meta:
        model = Scenario
        fields = [
            "title",
            "slug",
            "description",
            "difficulty",
            "estimated_time",
            "xp_reward",
            "is_active",
            "prerequisites",
            *JSON_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "prerequisites" in self.fields and self.instance.pk:
            self.fields["prerequisites"].queryset = Scenario.objects.exclude(pk=self.instance.pk)

    def clean_knowledge_base_entries(self):
        return self.cleaned_data.get("knowledge_base_entries") or []

    def clean_prerequisites(self):
        """Refuse a prerequisite loop here, where the author can fix it, rather than on import."""
        prerequisites = self.cleaned_data.get("prerequisites")
        slug = self.cleaned_data.get("slug") or self.instance.slug
        if prerequisites is None or not slug:
            return prerequisites
        graph = {s: set(p) for s, p in prerequisite_graph().items()}
        if self.instance.pk and self.instance.slug != slug:
            graph.pop(self.instance.slug, None)  # renamed: its old node goes away
        graph[slug] = {prerequisite.slug for prerequisite in prerequisites}
        cycle = find_prerequisite_cycle(graph)
        if cycle and slug in cycle:
            raise ValidationError(
                "These prerequisites would form a cycle: %(cycle)s.",
                code="cycle",
                params={"cycle": " → ".join(cycle)},
            )
        return prerequisites


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    form = ScenarioAdminForm
    list_display = [
        "title",
        "difficulty",
        "category",
        "is_active",
        "attempts",
        "pass_rate",
        "try_it",
    ]
    list_filter = ["difficulty", "category", "is_active"]
    search_fields = ["title", "slug", "description", "category"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["prerequisites"]
    readonly_fields = ["category", "created_at", "updated_at"]
    change_form_template = "scenarios/admin/change_form.html"
    actions = ["activate", "deactivate", "duplicate", "export_yaml"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "description",
                    ("difficulty", "estimated_time", "xp_reward"),
                    "is_active",
                    "prerequisites",
                ]
            },
        ),
        ("Ticket", {"fields": ["ticket_template", "category"]}),
        ("Customer", {"fields": ["customer_persona"]}),
        ("Knowledge base", {"fields": ["knowledge_base_entries"]}),
        ("Assessment", {"fields": ["assessment_criteria"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    class Media:
        css = {"all": ["css/scenarios.css"]}

    def get_changeform_initial_data(self, request):
        """A new scenario starts from a skeleton of the file format rather than `{}`."""
        return {**NEW_SCENARIO_SKELETON, **super().get_changeform_initial_data(request)}

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
        return [
            path(
                "<int:pk>/try/",
                self.admin_site.admin_view(self.try_view),
                name="scenarios_scenario_try",
            ),
            path(
                "<int:pk>/read/",
                self.admin_site.admin_view(self.read_view),
                name="scenarios_scenario_read",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "try_url": reverse("admin:scenarios_scenario_try", args=[object_id]),
            "read_url": reverse("admin:scenarios_scenario_read", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def read_view(self, request, pk):
        """How a sample agent message is read against the saved scenario: what an author
        checks after writing `asked_by` topics or example questions."""
        scenario = get_object_or_404(Scenario, pk=pk)
        if not self.has_view_permission(request, scenario):
            raise PermissionDenied
        message = str(request.GET.get("message") or "")[:4000]
        reading = read_message(scenario.to_document(), message) if message.strip() else None
        return TemplateResponse(
            request,
            "scenarios/admin/read_sample.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "scenario": scenario,
                "title": f"Check a message against “{scenario.title}”",
                "message": message,
                "reading": reading,
                "acts": sorted(reading.acts) if reading else [],
            },
        )

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
        return redirect(f"/sessions/{session.id}/")

    @admin.action(description="Activate the selected scenarios")
    def activate(self, request, queryset):
        changed = scenarios_set_active(scenarios=queryset, is_active=True)
        self.message_user(request, f"Activated {changed} scenario(s).", messages.SUCCESS)

    @admin.action(description="Deactivate the selected scenarios (attempts are kept)")
    def deactivate(self, request, queryset):
        changed = scenarios_set_active(scenarios=queryset, is_active=False)
        self.message_user(request, f"Deactivated {changed} scenario(s).", messages.SUCCESS)

    @admin.action(description="Duplicate the selected scenarios (as inactive copies)")
    def duplicate(self, request, queryset):
        copies = [scenario_duplicate(scenario=scenario) for scenario in queryset]
        self.message_user(
            request,
            "Created " + ", ".join(copy.slug for copy in copies) + " (inactive).",
            messages.SUCCESS,
        )

    @admin.action(description="Export the selected scenarios as YAML")
    def export_yaml(self, request, queryset):
        slugs = sorted(queryset.values_list("slug", flat=True))
        response = HttpResponse(
            scenarios_export(slugs=slugs),
            content_type="application/yaml; charset=utf-8",
        )
        name = f"{slugs[0]}.yaml" if len(slugs) == 1 else "scenarios.yaml"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
