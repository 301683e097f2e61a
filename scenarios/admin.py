"""Authoring scenarios in the Django admin: YAML editing with errors beside each field (and
their line), importing a file after a dry run, bulk actions, export and a check of how a sample
message is read. What trainees did with each scenario (attempts, pass rate) and the "try it"
preview need sessions: `sessions_app.admin` adds them to this admin."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils.text import format_lazy

from scenarios import admin_import
from scenarios.forms import LocatedErrorsMixin, YAMLDocumentField
from scenarios.models import JSON_FIELDS, Scenario
from scenarios.reading import read_message
from scenarios.selectors import category_label, prerequisite_graph
from scenarios.services import scenario_duplicate, scenarios_export, scenarios_set_active
from scenarios.validation import find_prerequisite_cycle

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


def _with_format_link(text: str):
    """Help text ending in a link to the format page the site serves (a new tab, so that the
    author's unsaved edits stay where they are). Rendered unescaped by the admin: `text` is
    ours and holds no markup."""
    return format_lazy(
        '{} <a href="{}" target="_blank" rel="noopener">The scenario file format '
        "(opens in a new tab)</a>.",
        text,
        reverse_lazy("scenario-format"),
    )


class ScenarioAdminForm(LocatedErrorsMixin, forms.ModelForm):
    located_fields = JSON_FIELDS

    ticket_template = YAMLDocumentField(
        rows=12, help_text=_with_format_link("YAML or JSON; errors give the line.")
    )
    customer_persona = YAMLDocumentField(
        rows=28,
        help_text=_with_format_link(
            "Facts are hidden from the trainee until asked for. asked_by takes topic words or "
            "whole example questions; they are matched by meaning (synonyms, word forms). "
            "Use “Check a message” above to see what a sample question asks."
        ),
    )
    knowledge_base_entries = YAMLDocumentField(
        rows=20,
        required=False,
        help_text=_with_format_link(
            "The articles the trainee can search; the persona's resolution names their ids."
        ),
    )
    assessment_criteria = YAMLDocumentField(
        rows=14, help_text=_with_format_link("The rubric's criteria, their weights and pass mark.")
    )

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
        "category_name",
        "is_active",
    ]
    list_filter = ["difficulty", "category", "is_active"]
    search_fields = ["title", "slug", "description", "category"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["prerequisites"]
    readonly_fields = ["category", "created_at", "updated_at"]
    change_form_template = "scenarios/admin/change_form.html"
    change_list_template = "scenarios/admin/change_list.html"
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
        css = {"all": ["css/scenarios.css", "css/admin-scenarios.css"]}

    @admin.display(description="category", ordering="category")
    def category_name(self, scenario) -> str:
        """The label trainees see ("SaaS bug"), not the stored slug."""
        return category_label(scenario.category)

    def get_changeform_initial_data(self, request):
        """A new scenario starts from a skeleton of the file format rather than `{}`."""
        return {**NEW_SCENARIO_SKELETON, **super().get_changeform_initial_data(request)}

    def get_urls(self):
        return [
            path(
                "<int:pk>/read/",
                self.admin_site.admin_view(self.read_view),
                name="scenarios_scenario_read",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="scenarios_scenario_import",
            ),
            path(
                "import/preview/",
                self.admin_site.admin_view(self.import_preview_view),
                name="scenarios_scenario_import_preview",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        return admin_import.upload_view(self, request)

    def import_preview_view(self, request):
        return admin_import.preview_view(self, request)

    def changelist_view(self, request, extra_context=None):
        can_import = self.has_add_permission(request) and self.has_change_permission(request)
        extra_context = {
            **(extra_context or {}),
            "import_url": reverse("admin:scenarios_scenario_import") if can_import else None,
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
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
