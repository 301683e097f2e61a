"""Reads about scenarios and a trainee's progress through them.

Lists come from the catalogue each process keeps (`Catalogue`, `core.memo`) plus the
trainee's standing (`trainee_standing`: their progress per scenario and average per criterion,
two queries over their own sessions, kept in the shared cache until one of those sessions
changes), from which attempts, best scores, completion, every lock and the recommendation are
worked out in Python, whatever the size of the library.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)

from core.memo import SharedVersionMemo, bump_version, shared_version
from scenarios.exceptions import ScenarioNotFound
from scenarios.models import DIFFICULTY_ORDER, Scenario


def _passed_sessions(*, user):
    from sessions_app.models import SessionStatus, UserSession

    return UserSession.objects.filter(
        user=user, status=SessionStatus.SCORED, passed=True, is_preview=False
    )


def missing_prerequisites(*, user, scenario: Scenario) -> list[Scenario]:
    """The active prerequisites of `scenario` the trainee has not passed yet, in title order.

    A deactivated prerequisite no longer locks anything: trainees cannot play it, so it must not
    hold back the scenarios that build on it.
    """
    passed = _passed_sessions(user=user).filter(scenario=OuterRef("pk"))
    return list(
        scenario.prerequisites.active()
        .annotate(done=Exists(passed))
        .filter(done=False)
        .order_by("title")
    )


def scenario_get_active(*, slug: str) -> Scenario:
    try:
        return Scenario.objects.active().get(slug=slug)
    except Scenario.DoesNotExist:
        raise ScenarioNotFound() from None


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


# --- Progress --------------------------------------------------------------------------------


@dataclass
class ScenarioProgress:
    attempts: int = 0
    best_score: int | None = None
    completed: bool = False
    missing_prerequisites: list[Scenario] = field(default_factory=list)

    @property
    def locked(self) -> bool:
        return bool(self.missing_prerequisites)

    @property
    def missing_prerequisite_slugs(self) -> list[str]:
        return [scenario.slug for scenario in self.missing_prerequisites]


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

    Shared by every request and thread of a process (see `core.memo`): never mutate it or its
    scenarios; per-trainee progress goes on `ScenarioWithProgress` wrappers instead.
    """

    def __init__(self, scenarios: list[Scenario]):
        self.scenarios = tuple(scenarios)
        self.categories = sorted({s.category for s in scenarios if s.category})
        self._search_text = {
            s.id: " ".join((s.title, s.description, s.category, s.slug)).casefold()
            for s in scenarios
        }
        self.locking_prerequisites = {s.id: _locking_prerequisites(s) for s in scenarios}
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

        # Derived views of this catalogue that pages keep (rendered cards, the filter form):
        # they are dropped with it when the catalogue changes.
        self.rendered: dict = {}

    def matches(self, scenario: Scenario, search: str) -> bool:
        return search.casefold() in self._search_text[scenario.id]

    @functools.cached_property
    def api_rows(self) -> dict[int, dict]:
        """Each scenario as the list API shows it, minus progress: serialised once per
        catalogue rather than on every call (DRF spends ~50 µs a field)."""
        from scenarios.api.serializers import ScenarioCatalogueSerializer

        rows = ScenarioCatalogueSerializer(self.scenarios, many=True).data
        return {row["id"]: dict(row) for row in rows}

    @functools.cached_property
    def untouched_api_rows(self) -> dict[int, dict]:
        """The list API's whole row for a trainee who never tried the scenario, for scenarios
        that no prerequisite can lock: the same for everyone, so built once per catalogue."""
        from scenarios.api.serializers import progress_data

        untouched = progress_data(ScenarioProgress())
        return {
            scenario.id: {**self.api_rows[scenario.id], "progress": untouched}
            for scenario in self.scenarios
            if not self.locking_prerequisites.get(scenario.id)
        }


def _with_prerequisites(queryset):
    prerequisites = Scenario.objects.only("id", "slug", "title", "is_active").order_by("title")
    return queryset.prefetch_related(Prefetch("prerequisites", queryset=prerequisites))


def _locking_prerequisites(scenario: Scenario) -> tuple[Scenario, ...]:
    """The prerequisites that can lock `scenario`: active ones (a deactivated one cannot be
    played, so it must not hold anything back), in title order (`_with_prerequisites`)."""
    return tuple(p for p in scenario.prerequisites.all() if p.is_active)


def _build_catalogue() -> Catalogue:
    # Lists never show the persona or the knowledge base: not decoding those JSON documents
    # halves the time a 1,000-scenario list spends in the database driver (`make bench`).
    scenarios = _with_prerequisites(
        Scenario.objects.active()
        .defer("customer_persona", "knowledge_base_entries")
        .annotate(difficulty_order=_difficulty_rank())
        .order_by("difficulty_order", "title", "id")
    )
    return Catalogue(list(scenarios))


catalogue_memo = SharedVersionMemo(
    "scenarios.catalogue", _build_catalogue, max_age_setting="CATALOGUE_CACHE_SECONDS"
)


def scenario_catalogue() -> Catalogue:
    return catalogue_memo.get()


def catalogue_changed() -> None:
    """Call after any write that changes what the catalogue shows (signals cover saves).
    The writer's own next read, in the same transaction, already sees the change."""
    catalogue_memo.invalidate(now=True)


class ScenarioWithProgress:
    """A shared catalogue scenario seen by one trainee: reads fall through to the scenario."""

    def __init__(self, scenario: Scenario, progress: ScenarioProgress, recommendation=None):
        self.scenario = scenario
        self.progress = progress
        self.recommendation = recommendation

    def __getattr__(self, name):
        return getattr(self.scenario, name)

    def __repr__(self):
        return f"<ScenarioWithProgress {self.scenario.slug}>"


def progress_by_scenario(*, user) -> dict[int, tuple[int, int | None, bool]]:
    """`scenario id -> (attempts, best score, completed)` over the trainee's own sessions:
    one query whose cost follows their history, not the size of the library."""
    from sessions_app.models import SessionStatus, UserSession

    if not user.is_authenticated:
        return {}
    scored = Q(status=SessionStatus.SCORED)
    rows = (
        UserSession.objects.filter(user=user, is_preview=False)
        .order_by()
        .values("scenario_id")
        .annotate(
            attempts=Count("pk"),
            best=Max("score", filter=scored),
            passes=Count("pk", filter=scored & Q(passed=True)),
        )
        .values_list("scenario_id", "attempts", "best", "passes")
    )
    return {sid: (attempts, best, passes > 0) for sid, attempts, best, passes in rows}


# --- A trainee's standing, in the shared cache -------------------------------------------------

_STANDING_VERSION_SECONDS = 24 * 3600


def _standing_keys(user_id) -> tuple[str, str]:
    return f"scenarios:standing:{user_id}:version", f"scenarios:standing:{user_id}"


def trainee_standing(*, user) -> tuple[dict, dict[str, float]]:
    """`(progress_by_scenario, criterion_averages)` for `user`.

    Both are read on every catalogue, scenario list and dashboard request and change only when
    one of the trainee's sessions starts, ends or is scored, so they are kept in the shared
    cache with the trainee's version number, and `standing_changed` moves that number on. A
    value built from data older than the last change carries an older number and is never
    used: one round trip to the cache instead of two queries (`make bench`).
    `STANDING_CACHE_SECONDS` bounds changes that bypass the ORM's signals.
    """
    if not user.is_authenticated:
        return {}, {}
    seconds = settings.STANDING_CACHE_SECONDS
    if seconds <= 0:
        return progress_by_scenario(user=user), criterion_averages(user=user)
    version_key, value_key = _standing_keys(user.pk)
    held = cache.get_many([version_key, value_key])
    version = held.get(version_key)
    value = held.get(value_key)
    if version is not None and value is not None and value[0] == version:
        return value[1], value[2]
    if version is None:
        version = shared_version(version_key, timeout=_STANDING_VERSION_SECONDS)
    progress, averages = progress_by_scenario(user=user), criterion_averages(user=user)
    cache.set(value_key, (version, progress, averages), timeout=seconds)
    return progress, averages


def standing_changed(user_id) -> None:
    """Call when a trainee's sessions change what `trainee_standing` returns (signals cover
    saves of sessions). Takes effect at once and again after commit."""
    bump_version(_standing_keys(user_id)[0], now=True)


def _completed_ids(progress: dict) -> set[int]:
    return {sid for sid, (_, _, done) in progress.items() if done}


def _missing(locking, completed_ids: set[int]) -> list[Scenario]:
    return [p for p in locking if p.id not in completed_ids]


def _progress_of(scenario, progress: dict, missing: list[Scenario]) -> ScenarioProgress:
    attempts, best, done = progress.get(scenario.id, (0, None, False))
    return ScenarioProgress(
        attempts=attempts, best_score=best, completed=done, missing_prerequisites=missing
    )


class ScenarioProgressList(Sequence):
    """Catalogue scenarios as one trainee sees them. Progress is attached only to the rows
    actually read (a page of 24 out of 1,000), so listing costs little more than the page."""

    def __init__(self, catalogue: Catalogue, progress: dict, averages=None, scenarios=None):
        self.catalogue = catalogue
        # The scenarios themselves, without progress attached (to page through cheaply).
        self.scenarios = catalogue.scenarios if scenarios is None else scenarios
        self._progress = progress
        # The trainee's average per criterion, for `recommended_next_scenario`.
        self.averages = averages
        self.completed_ids = _completed_ids(progress)

    def __len__(self):
        return len(self.scenarios)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.with_progress(scenario) for scenario in self.scenarios[index]]
        return self.with_progress(self.scenarios[index])

    def api_row(self, scenario: Scenario) -> dict:
        """`scenario`'s row in the list API, with this trainee's progress."""
        from scenarios.api.serializers import progress_data

        if scenario.id not in self._progress:
            row = self.catalogue.untouched_api_rows.get(scenario.id)
            if row is not None:
                return row
        progress = self.with_progress(scenario).progress
        return {**self.catalogue.api_rows[scenario.id], "progress": progress_data(progress)}

    def missing_prerequisites(self, scenario: Scenario) -> list[Scenario]:
        locking = self.catalogue.locking_prerequisites.get(scenario.id, ())
        return _missing(locking, self.completed_ids)

    def is_open(self, scenario: Scenario) -> bool:
        """Neither completed nor locked: something the trainee can do next."""
        return scenario.id not in self.completed_ids and not self.missing_prerequisites(scenario)

    def with_progress(self, scenario: Scenario, recommendation=None) -> ScenarioWithProgress:
        progress = _progress_of(scenario, self._progress, self.missing_prerequisites(scenario))
        return ScenarioWithProgress(scenario, progress, recommendation)

    def filtered(
        self,
        *,
        difficulty: str | None = None,
        completed: bool | None = None,
        category: str | None = None,
        search: str | None = None,
    ) -> ScenarioProgressList:
        """The same trainee's view narrowed by the catalogue's filters, without a query."""
        scenarios = self.scenarios
        search = (search or "").strip()
        if difficulty:
            scenarios = [s for s in scenarios if s.difficulty == difficulty]
        if category:
            scenarios = [s for s in scenarios if s.category == category]
        if search:
            scenarios = [s for s in scenarios if self.catalogue.matches(s, search)]
        if completed is not None:
            scenarios = [s for s in scenarios if (s.id in self.completed_ids) == completed]
        return ScenarioProgressList(self.catalogue, self._progress, self.averages, scenarios)


def scenario_list_with_progress(*, user, **filters) -> ScenarioProgressList:
    """Active scenarios, easiest first, each with `.progress` for `user`: the shared catalogue
    plus one query for the trainee's own sessions, whatever the size of the library. Filters
    as `ScenarioProgressList.filtered`."""
    progress, averages = trainee_standing(user=user)
    everything = ScenarioProgressList(scenario_catalogue(), progress, averages)
    return everything.filtered(**filters) if filters else everything


def scenario_get_with_progress(*, user, slug: str) -> Scenario:
    """One active scenario with `.progress`; ScenarioNotFound if inactive or unknown."""
    try:
        scenario = _with_prerequisites(Scenario.objects.active()).get(slug=slug)
    except Scenario.DoesNotExist:
        raise ScenarioNotFound() from None
    progress, _ = trainee_standing(user=user)
    missing = _missing(_locking_prerequisites(scenario), _completed_ids(progress))
    scenario.progress = _progress_of(scenario, progress, missing)
    return scenario


# --- Recommendation --------------------------------------------------------------------------


def criterion_averages(*, user) -> dict[str, float]:
    """The trainee's average score per criterion over real (non-preview) sessions."""
    from performance.models import PerformanceMetric

    if not user.is_authenticated:
        return {}
    rows = (
        PerformanceMetric.objects.filter(user=user, session__is_preview=False)
        .values("criterion")
        .annotate(average=Avg("score"))
        .order_by()
    )
    return {row["criterion"]: float(row["average"]) for row in rows}


def _criterion_shares(scenario: Scenario) -> dict[str, float]:
    """How much of the scenario's score rests on each criterion (weights are normalised)."""
    weights = {c.get("key"): float(c.get("weight") or 0) for c in scenario.criteria}
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()} if total else {}


@dataclass(frozen=True)
class Recommendation:
    criterion: str | None
    average_score: float | None

    @property
    def reason(self) -> str:
        if self.criterion is None:
            return "The easiest scenario you have not completed yet."
        label = self.criterion.replace("_", " ")
        return f"Trains {label}, your weakest criterion so far (average {self.average_score:.0f})."


def recommended_next_scenario(*, user, scenarios: ScenarioProgressList | None = None):
    """The unlocked, uncompleted scenario that best trains the trainee's weakest criterion.

    Criteria are tried from the weakest up; among scenarios that score a criterion, the one that
    weights it most wins (then the easiest). With no history, or when nothing trains a weak
    criterion, the easiest unlocked uncompleted scenario. None when nothing is left to do.
    The chosen scenario carries `.recommendation` (a Recommendation, with a human `reason`).
    Pass `scenarios` (from `scenario_list_with_progress`, unfiltered) to save the queries.
    """
    if scenarios is None:
        scenarios = scenario_list_with_progress(user=user)
    catalogue = scenarios.catalogue
    easiest = next((s for s in catalogue.by_ease if scenarios.is_open(s)), None)
    if easiest is None:
        return None
    averages = scenarios.averages
    if averages is None:
        averages = trainee_standing(user=user)[1]
    for criterion, average in sorted(averages.items(), key=lambda item: (item[1], item[0])):
        best = next((s for s in catalogue.trains.get(criterion, ()) if scenarios.is_open(s)), None)
        if best is not None:
            return scenarios.with_progress(best, Recommendation(criterion, average))
    return scenarios.with_progress(easiest, Recommendation(None, None))
