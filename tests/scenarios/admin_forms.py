"""The scenario admin's change form as tests post it."""

import re

from django.urls import reverse

from scenarios.loader import dump_yaml


def change_url(scenario):
    return reverse("admin:scenarios_scenario_change", args=[scenario.pk])


def form_data(scenario, **overrides):
    data = {
        "title": scenario.title,
        "slug": scenario.slug,
        "description": scenario.description,
        "difficulty": scenario.difficulty,
        "estimated_time": scenario.estimated_time,
        "xp_reward": scenario.xp_reward,
        "is_active": "on" if scenario.is_active else "",
        "prerequisites": [p.pk for p in scenario.prerequisites.all()],
        "ticket_template": dump_yaml(scenario.ticket_template),
        "customer_persona": dump_yaml(scenario.customer_persona),
        "knowledge_base_entries": dump_yaml(scenario.knowledge_base_entries),
        "assessment_criteria": dump_yaml(scenario.assessment_criteria),
        "_save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def field_row(html: str, field: str) -> str:
    """The admin's row for one field: its errors are rendered inside it, next to the input."""
    match = re.search(rf'<div class="form-row[^"]*field-{field}[^"]*">(.*?)</textarea>', html, re.S)
    assert match, f"no row for {field}"
    return match.group(1)
