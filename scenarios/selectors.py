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


# --- Category labels ---------------------------------------------------------------------------

#: Whole categories whose label no word-by-word rule would find.
CATEGORY_LABELS = {
    "billing-refunds": "Billing & refunds",
    "shipping-returns": "Shipping & returns",
    "returns-exchanges": "Returns & exchanges",
    "orders-delivery": "Orders & delivery",
}
#: Words written other than in lower case: acronyms and brand-like spellings.
CATEGORY_WORDS = {
    "2fa": "2FA",
    "ai": "AI",
    "api": "API",
    "b2b": "B2B",
    "crm": "CRM",
    "dns": "DNS",
    "faq": "FAQ",
    "gdpr": "GDPR",
    "id": "ID",
    "ios": "iOS",
    "it": "IT",
    "mfa": "MFA",
    "saas": "SaaS",
    "sla": "SLA",
    "sms": "SMS",
    "sso": "SSO",
    "tv": "TV",
    "ui": "UI",
    "vat": "VAT",
    "vpn": "VPN",
    "wifi": "Wi-Fi",
}
#: Word pairs written with a hyphen ("de-escalation", not "de escalation").
CATEGORY_COMPOUNDS = {
    ("de", "escalation"): "de-escalation",
    ("e", "mail"): "e-mail",
    ("e", "commerce"): "e-commerce",
    ("two", "factor"): "two-factor",
    ("wi", "fi"): "Wi-Fi",
    ("log", "in"): "log-in",
    ("sign", "in"): "sign-in",
    ("self", "service"): "self-service",
}


def category_label(category: str | None) -> str:
    """What a trainee reads for a ticket category: "de-escalation" is "De-escalation",
    "saas-bug" is "SaaS bug", "billing-refunds" is "Billing & refunds". Every page that shows a
    category shows this, never the slug.

    Known categories and words come from the tables above; any other slug reads as a sentence
    (words split at hyphens and underscores, the first one capitalised, "and" as "&"). A
    category an author already wrote as words ("Account Security") is shown as written."""
    text = str(category or "").strip()
    if not text:
        return ""
    key = text.casefold()
    if key in CATEGORY_LABELS:
        return CATEGORY_LABELS[key]
    if not any(sep in text for sep in "-_") and text != text.casefold():
        return text  # written by hand, in words: the author's spelling stands
    words = [w for w in key.replace("_", "-").replace(" ", "-").split("-") if w]
    spelled: list[str] = []
    index = 0
    while index < len(words):
        pair = tuple(words[index : index + 2])
        if pair in CATEGORY_COMPOUNDS:
            spelled.append(CATEGORY_COMPOUNDS[pair])
            index += 2
            continue
        word = words[index]
        between = 0 < index < len(words) - 1
        spelled.append("&" if word == "and" and between else CATEGORY_WORDS.get(word, word))
        index += 1
    first = spelled[0]
    if first == first.casefold():  # an acronym or brand keeps its own spelling
        spelled[0] = first[:1].upper() + first[1:]
    return " ".join(spelled)


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
            s.id: " ".join(
                (s.title, s.description, s.category, category_label(s.category), s.slug)
            ).casefold()
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
