"""Reads about scenarios: one by slug, the file format, the prerequisite graph and the
catalogue every process keeps (`Catalogue`, `core.cache.ProcessMemo`). A trainee's progress
through them is read one app up, in `overview.progress`, which has their sessions and scores."""

from __future__ import annotations

import json
import secrets

from django.db.models import Case, IntegerField, Prefetch, Value, When

from core.cache import ProcessMemo, Version
from scenarios.exceptions import ScenarioNotFound
from scenarios.models import DIFFICULTY_ORDER, Scenario


def scenario_get_active(*, slug: str) -> Scenario:
    try:
        return Scenario.objects.active().get(slug=slug)
    except Scenario.DoesNotExist:
        raise ScenarioNotFound() from None


def ticket_rows(mapping) -> list[tuple[str, str]]:
    """A ticket's free-form details (`customer_info`, `technical_context`) as label/value pairs
    for a definition list; anything but a mapping has none."""
    if not isinstance(mapping, dict):
        return []
    return [
        (
            str(key).replace("_", " ").capitalize(),
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False),
        )
        for key, value in mapping.items()
    ]


def prerequisite_graph() -> dict[str, list[str]]:
    """Every scenario's prerequisite slugs, `slug -> [slugs]`, in two queries."""
    slugs = Scenario.objects.values_list("slug", flat=True)
    graph: dict[str, list[str]] = {slug: [] for slug in slugs}
    through = Scenario.prerequisites.through.objects.values_list(
        "from_scenario__slug", "to_scenario__slug"
    )
    for slug, prerequisite in through:
        graph[slug].append(prerequisite)
    return graph


def scenario_documents(*, slugs: list[str] | None = None) -> list[dict]:
    """Scenarios in the file format, easiest first, then by slug (a stable export order).

    Raises ScenarioNotFound naming any slug that does not exist.
    """
    queryset = Scenario.objects.prefetch_related(
        Prefetch("prerequisites", queryset=Scenario.objects.only("id", "slug"))
    )
    if slugs:
        queryset = queryset.filter(slug__in=slugs)
    scenarios = list(queryset)
    if slugs:
        unknown = sorted(set(slugs) - {scenario.slug for scenario in scenarios})
        if unknown:
            raise ScenarioNotFound("No scenario with the slug " + ", ".join(unknown) + ".")
    scenarios.sort(key=lambda s: (s.difficulty_rank, s.slug))
    return [scenario.to_document() for scenario in scenarios]


def _difficulty_rank():
    return Case(
        *[When(difficulty=value, then=Value(rank)) for value, rank in DIFFICULTY_ORDER.items()],
        default=Value(len(DIFFICULTY_ORDER)),
        output_field=IntegerField(),
    )


# --- The catalogue: every active scenario, shared by all requests of a process ---------------


class Catalogue:
    """The active scenarios in catalogue order (easiest first, then title), as loaded once,
    with what every request would otherwise recompute for each of them.

    Shared by every request and thread of a process (`core.cache.ProcessMemo`): never mutate
    it or its scenarios; a trainee's progress goes on `overview.progress` wrappers.
    """

    def __init__(self, scenarios: list[Scenario]):
        self.scenarios = tuple(scenarios)
        self.categories = sorted({s.category for s in scenarios if s.category})
        self._search_text = {
            s.id: " ".join((s.title, s.description, s.category, s.slug)).casefold()
            for s in scenarios
        }
        self.locking_prerequisites = {s.id: locking_prerequisites(s) for s in scenarios}
        self.by_ease = sorted(scenarios, key=lambda s: (s.difficulty_rank, s.title, s.id))
        # criterion -> the scenarios that score it, most weight first, then easiest: the
        # recommendation is the first one of these the trainee can play.
        ease = {s.id: index for index, s in enumerate(self.by_ease)}
        shares = {s.id: _criterion_shares(s) for s in scenarios}
        criteria = {key for scenario_shares in shares.values() for key in scenario_shares}
        self.trains = {
            criterion: sorted(
                (s for s in scenarios if shares[s.id].get(criterion, 0) > 0),
                key=lambda s, c=criterion: (-shares[s.id][c], ease[s.id]),
            )
            for criterion in criteria
        }

        # Names this build in fragment cache keys (`{% cache %}` of the cards and filters).
        self.stamp = secrets.token_hex(8)

    def matches(self, scenario: Scenario, search: str) -> bool:
        return search.casefold() in self._search_text[scenario.id]


def with_prerequisites(queryset):
    prerequisites = Scenario.objects.only("id", "slug", "title", "is_active").order_by("title")
    return queryset.prefetch_related(Prefetch("prerequisites", queryset=prerequisites))


def locking_prerequisites(scenario: Scenario) -> tuple[Scenario, ...]:
    """The prerequisites that can lock `scenario`: active ones (a deactivated one cannot be
    played, so it must not hold anything back), in title order (`with_prerequisites`)."""
    return tuple(p for p in scenario.prerequisites.all() if p.is_active)


def _build_catalogue() -> Catalogue:
    # Lists never show the persona or the knowledge base: not decoding those JSON documents
    # halves the time a 1,000-scenario list spends in the database driver (`make bench`).
    scenarios = with_prerequisites(
        Scenario.objects.active()
        .defer("customer_persona", "knowledge_base_entries")
        .annotate(difficulty_order=_difficulty_rank())
        .order_by("difficulty_order", "title", "id")
    )
    return Catalogue(list(scenarios))


#: Moved on by any save of a scenario or its prerequisites (`scenarios.signals`) and by the
#: services' bulk updates.
CATALOGUE = Version("scenarios.catalogue")
catalogue_memo = ProcessMemo(CATALOGUE, _build_catalogue, max_age_setting="CATALOGUE_CACHE_SECONDS")


def scenario_catalogue() -> Catalogue:
    return catalogue_memo.get()


def _criterion_shares(scenario: Scenario) -> dict[str, float]:
    """How much of the scenario's score rests on each criterion (weights are normalised)."""
    weights = {c.get("key"): float(c.get("weight") or 0) for c in scenario.criteria}
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()} if total else {}
