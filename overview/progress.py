"""A trainee's progress through the scenarios: the catalogue as they see it, and what to do next.

Lists come from the scenarios app's shared catalogue (`scenarios.selectors.scenario_catalogue`)
plus the trainee's standing (`trainee_standing`: their progress per scenario and average per
criterion, two queries over their own sessions and scores, kept in the shared cache until one
of those sessions changes), from which attempts, best scores, completion, every lock and the
recommendation are worked out in Python, whatever the size of the library.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Max, Q

from core.cache import Version
from performance.models import PerformanceMetric
from scenarios.exceptions import ScenarioNotFound
from scenarios.models import Scenario
from scenarios.selectors import (
    Catalogue,
    locking_prerequisites,
    scenario_catalogue,
    with_prerequisites,
)
from sessions_app.assignments import assigned_scenario_ids
from sessions_app.models import SessionStatus, UserSession


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

#: One number per trainee, moved on when one of their sessions starts, ends, is scored or is
#: deleted, when an assignment names them and when their teams change (`overview.signals`).
STANDING = Version("overview.standing", timeout=24 * 3600)


def trainee_standing(*, user) -> tuple[dict, dict[str, float]]:
    """`(progress_by_scenario, criterion_averages)` for `user`.

    Both are read on every catalogue, scenario list and dashboard request and change only when
    one of the trainee's sessions starts, ends or is scored, so they are kept in the shared
    cache under the trainee's `STANDING` number: one round trip to the cache instead of two
    queries (`make bench`). `STANDING_CACHE_SECONDS` bounds changes that bypass the signals.
    """
    if not user.is_authenticated:
        return {}, {}
    return STANDING.cached(
        user.pk,
        lambda: (progress_by_scenario(user=user), criterion_averages(user=user)),
        timeout=settings.STANDING_CACHE_SECONDS,
    )


#: One number per trainee, moved on with their standing, when an assignment names them and
#: when their teams change (`overview.signals`).
ASSIGNED = Version("overview.assigned", timeout=24 * 3600)


class Unlocked:
    """The scenarios assignments set a trainee, open to them whatever the prerequisites. Read
    (from the shared cache, else one query) only when some scenario is locked for them."""

    def __init__(self, user):
        self.user = user

    def __contains__(self, scenario_id) -> bool:
        return scenario_id in self._ids

    @functools.cached_property
    def _ids(self) -> frozenset[int]:
        if not self.user.is_authenticated:
            return frozenset()
        return ASSIGNED.cached(
            self.user.pk,
            lambda: frozenset(assigned_scenario_ids(user=self.user)),
            timeout=settings.STANDING_CACHE_SECONDS,
        )


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

    def __init__(
        self,
        catalogue: Catalogue,
        progress: dict,
        averages=None,
        scenarios=None,
        unlocked: Unlocked | frozenset = frozenset(),
    ):
        self.catalogue = catalogue
        # Scenarios an assignment sets this trainee: open whatever their prerequisites.
        self.unlocked = unlocked
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

    def attempted(self, scenario: Scenario) -> bool:
        """Whether the trainee ever started `scenario` (else its progress is the same for all)."""
        return scenario.id in self._progress

    def missing_prerequisites(self, scenario: Scenario) -> list[Scenario]:
        locking = self.catalogue.locking_prerequisites.get(scenario.id, ())
        missing = _missing(locking, self.completed_ids)
        return [] if missing and scenario.id in self.unlocked else missing

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
        return ScenarioProgressList(
            self.catalogue, self._progress, self.averages, scenarios, self.unlocked
        )


def scenario_list_with_progress(*, user, **filters) -> ScenarioProgressList:
    """Active scenarios, easiest first, each with `.progress` for `user`: the shared catalogue
    plus one query for the trainee's own sessions, whatever the size of the library. Filters
    as `ScenarioProgressList.filtered`."""
    progress, averages = trainee_standing(user=user)
    unlocked = Unlocked(user)
    everything = ScenarioProgressList(scenario_catalogue(), progress, averages, None, unlocked)
    return everything.filtered(**filters) if filters else everything


def scenario_get_with_progress(*, user, slug: str) -> Scenario:
    """One active scenario with `.progress`; ScenarioNotFound if inactive or unknown."""
    try:
        scenario = with_prerequisites(Scenario.objects.active()).get(slug=slug)
    except Scenario.DoesNotExist:
        raise ScenarioNotFound() from None
    progress, _ = trainee_standing(user=user)
    missing = _missing(locking_prerequisites(scenario), _completed_ids(progress))
    if missing and scenario.pk in Unlocked(user):
        missing = []
    scenario.progress = _progress_of(scenario, progress, missing)
    return scenario


# --- Recommendation --------------------------------------------------------------------------


def criterion_averages(*, user) -> dict[str, float]:
    """The trainee's average score per criterion over real (non-preview) sessions."""
    if not user.is_authenticated:
        return {}
    rows = (
        PerformanceMetric.objects.filter(user=user, session__is_preview=False)
        .values("criterion")
        .annotate(average=Avg("score"))
        .order_by()
    )
    return {row["criterion"]: float(row["average"]) for row in rows}


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
