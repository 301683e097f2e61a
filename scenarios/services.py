"""Writes for scenarios: import and export of scenario files, and the authors' bulk actions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction

from scenarios.exceptions import ScenarioImportError
from scenarios.loader import SourcedDocument, dump_documents
from scenarios.models import DOCUMENT_FIELDS, Scenario
from scenarios.selectors import CATALOGUE, prerequisite_graph, scenario_documents
from scenarios.validation import find_prerequisite_problems, validate_scenario_document

# What a file may leave out, and the value it then gets.
DOCUMENT_DEFAULTS = {
    "description": "",
    "estimated_time": 10,
    "xp_reward": 50,
    "is_active": True,
    "prerequisites": [],
    "knowledge_base_entries": [],
}


@dataclass(frozen=True)
class ImportProblem:
    """One reason an import was refused: which file, which scenario, which field.

    `index` is the scenario's position in its file's list (None for a one-scenario file), so
    that a reader holding the file's text can point at the line (`loader.line_of`).
    """

    source: str
    scenario: str
    path: str
    message: str
    index: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.source}: {self.scenario}: {where}{self.message}"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedScenario:
    """What importing one document would do to the stored scenario with its slug."""

    slug: str
    title: str
    changed_fields: tuple[str, ...] = ()


@dataclass
class ImportPlan:
    """An import's dry run: nothing written, the same checks as `scenarios_import`."""

    created: list[PlannedScenario] = field(default_factory=list)
    updated: list[PlannedScenario] = field(default_factory=list)
    unchanged: list[PlannedScenario] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)

    @property
    def fingerprint(self) -> str:
        """Names what the plan would do, so that a confirmation can tell whether the stored
        scenarios moved since the author read the plan."""
        rows = [
            f"{kind}:{item.slug}:{','.join(item.changed_fields)}"
            for kind in ("created", "updated", "unchanged")
            for item in getattr(self, kind)
        ]
        return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _prerequisite_slugs(document: dict) -> list[str]:
    prerequisites = document.get("prerequisites") or []
    if not isinstance(prerequisites, list):
        return []
    return [slug for slug in prerequisites if isinstance(slug, str)]


def _check_documents(documents: list[SourcedDocument]) -> tuple[dict, list[ImportProblem], list]:
    problems: list[ImportProblem] = []
    warnings: list[str] = []
    by_slug: dict[str, SourcedDocument] = {}
    for item in documents:
        for problem in validate_scenario_document(item.document):
            problems.append(
                ImportProblem(item.source, item.label, problem.path, problem.message, item.index)
            )
        if not isinstance(item.document, dict) or item.slug is None:
            continue
        if item.slug in by_slug:
            problems.append(
                ImportProblem(
                    item.source,
                    item.label,
                    "slug",
                    f"the slug is also used in {by_slug[item.slug].source}",
                    item.index,
                )
            )
            continue
        by_slug[item.slug] = item
        unknown = [key for key in item.document if key not in DOCUMENT_FIELDS]
        if unknown:
            warnings.append(
                f"{item.source}: {item.label}: ignored unknown field(s) {', '.join(unknown)}"
            )

    graph = prerequisite_graph()
    # A self-prerequisite is already reported by the document's own validation.
    graph.update(
        {
            slug: [p for p in _prerequisite_slugs(item.document) if p != slug]
            for slug, item in by_slug.items()
        }
    )
    prerequisite_problems = find_prerequisite_problems(
        graph, known_slugs=set(graph), checked_slugs=set(by_slug)
    )
    for slug, found in prerequisite_problems.items():
        item = by_slug[slug]
        problems.extend(
            ImportProblem(item.source, item.label, p.path, p.message, item.index) for p in found
        )
    return by_slug, problems, warnings


def scenarios_import(*, documents: list[SourcedDocument]) -> ImportResult:
    """Create or update every scenario by slug, all or nothing.

    Every document is validated, and prerequisites are resolved against the imported set plus
    the scenarios already stored, before anything is written; any problem raises
    ScenarioImportError listing them all, and the database is left as it was.
    """
    by_slug, problems, warnings = _check_documents(documents)
    if problems:
        raise ScenarioImportError(problems)

    result = ImportResult(warnings=warnings)
    with transaction.atomic():
        saved: dict[str, Scenario] = {}
        for slug, item in by_slug.items():
            document = {**DOCUMENT_DEFAULTS, **item.document}
            values = {
                key: document[key]
                for key in DOCUMENT_FIELDS
                if key not in ("slug", "prerequisites")
            }
            scenario, created = Scenario.objects.update_or_create(slug=slug, defaults=values)
            (result.created if created else result.updated).append(slug)
            saved[slug] = scenario
        wanted = {slug: _prerequisite_slugs(item.document) for slug, item in by_slug.items()}
        needed = {p for slugs in wanted.values() for p in slugs} - set(saved)
        ids = dict(Scenario.objects.filter(slug__in=needed).values_list("slug", "id"))
        ids.update({slug: scenario.id for slug, scenario in saved.items()})
        for slug, prerequisites in wanted.items():
            saved[slug].prerequisites.set([ids[p] for p in prerequisites])
    return result


def _stored_values(document: dict) -> dict:
    """A document as the import would store it: defaults filled in, prerequisites as a set."""
    full = {**DOCUMENT_DEFAULTS, **document}
    values = {key: full.get(key) for key in DOCUMENT_FIELDS if key != "slug"}
    values["prerequisites"] = sorted(set(_prerequisite_slugs(full)))
    return values


def scenarios_import_plan(*, documents: list[SourcedDocument]) -> ImportPlan:
    """What `scenarios_import` would do with these documents, writing nothing.

    The same checks run first and raise the same ScenarioImportError, so a file the dry run
    accepts is one the import accepts, unless stored scenarios change in between. Each
    scenario is then compared with the stored one field by field, as the import would write
    it (defaults filled in; prerequisites compared as a set, since their order is not kept).
    """
    by_slug, problems, warnings = _check_documents(documents)
    if problems:
        raise ScenarioImportError(problems)
    stored = {
        scenario.slug: scenario.to_document()
        for scenario in Scenario.objects.filter(slug__in=by_slug).prefetch_related("prerequisites")
    }
    plan = ImportPlan(warnings=warnings)
    for slug, item in by_slug.items():
        incoming = _stored_values(item.document)
        title = str(item.document.get("title", slug))
        if slug not in stored:
            plan.created.append(PlannedScenario(slug, title))
            continue
        current = _stored_values(stored[slug])
        changed = tuple(key for key in incoming if incoming[key] != current[key])
        target = plan.updated if changed else plan.unchanged
        target.append(PlannedScenario(slug, title, changed))
    return plan


def scenarios_export(*, slugs: list[str] | None = None) -> str:
    """The scenarios (all, or those slugs) as YAML in the import format.

    One slug gives a one-scenario file, otherwise a list; exporting what an import wrote gives
    the same bytes again. Raises ScenarioNotFound for an unknown slug.
    """
    documents = scenario_documents(slugs=slugs)
    return dump_documents(documents, as_list=not (slugs and len(slugs) == 1))


def scenarios_set_active(*, scenarios, is_active: bool) -> int:
    """Activate or deactivate many scenarios; deactivating hides them, attempts are kept."""
    changed = scenarios.exclude(is_active=is_active).update(is_active=is_active)
    CATALOGUE.bump(now=True)  # `update()` sends no signal
    return changed


def _free_copy_slug(slug: str) -> str:
    base = f"{slug[:90]}-copy"
    taken = set(Scenario.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


@transaction.atomic
def scenario_duplicate(*, scenario: Scenario) -> Scenario:
    """An inactive copy (`<slug>-copy`) an author can rework without trainees seeing it."""
    copy = Scenario.objects.create(
        slug=_free_copy_slug(scenario.slug),
        title=f"{scenario.title} (copy)"[:200],
        description=scenario.description,
        difficulty=scenario.difficulty,
        estimated_time=scenario.estimated_time,
        xp_reward=scenario.xp_reward,
        is_active=False,
        ticket_template=scenario.ticket_template,
        customer_persona=scenario.customer_persona,
        knowledge_base_entries=scenario.knowledge_base_entries,
        assessment_criteria=scenario.assessment_criteria,
    )
    copy.prerequisites.set(scenario.prerequisites.all())
    return copy
