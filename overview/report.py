"""The report on an ended session: the score, each criterion with its evidence marked in the
transcript, how it compares with the trainee's earlier attempts, where the most points are to
be gained, the coach's notes, the XP and achievements it earned and what to try next."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q, Subquery, Window

from accounts.models import XP_PER_LEVEL
from core.durations import format_duration, iso_duration
from gamification.models import UserAchievement
from overview.progress import (
    ScenarioProgressList,
    recommended_next_scenario,
    scenario_list_with_progress,
)
from performance.evaluators.base import snippet
from performance.models import PerformanceMetric, SessionReview
from performance.registry import evaluators
from performance.selectors import bar_class, criterion_label
from sessions_app import hints
from sessions_app.models import ChatMessage, SessionHint, SessionStatus, UserSession


@dataclass
class _Span:
    start: int
    end: int
    anchor: str
    criteria: list[str]


def _locate(content: str, quote: str) -> tuple[int, int] | None:
    if not quote:
        return None
    start = content.find(quote)
    if start < 0:
        lowered = content.lower()
        if len(lowered) == len(content):
            start = lowered.find(quote.lower())
    return (start, start + len(quote)) if start >= 0 else None


@dataclass(frozen=True)
class Piece:
    """A run of a message's text; `anchor` is set when it is evidence (a <mark> on the page),
    `criteria` names what it is evidence for."""

    text: str
    anchor: str = ""
    criteria: str = ""


def _pieces(content: str, spans: list[_Span]) -> list[Piece]:
    """The message cut at its evidence spans, for the template to mark (and escape)."""
    pieces, cursor = [], 0
    for span in spans:
        if span.start > cursor:
            pieces.append(Piece(content[cursor : span.start]))
        pieces.append(Piece(content[span.start : span.end], span.anchor, ", ".join(span.criteria)))
        cursor = span.end
    if cursor < len(content) or not pieces:
        pieces.append(Piece(content[cursor:]))
    return pieces


def _is_whole_message(message, quote: str) -> bool:
    """Evidence that points at an agent's message as a whole (its opening words, see
    `Message.evidence`) links to the message instead of marking it, so that it never swallows
    the precise quotes other criteria highlight inside it. A customer's message quoted whole
    (the confirmation that the problem is fixed) is marked like any other quote."""
    return message.role != "customer" and quote == snippet(message.content)


def _evidence_layout(metrics, messages):
    """Where each metric's evidence sits in the transcript: merged, non-overlapping spans per
    message (anchors for the <mark>s) and, for each evidence item, the anchor to link to."""
    by_id = {str(m.id): m for m in messages}
    raw: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for metric in metrics:
        for item in metric.evidence or []:
            message = by_id.get(str(item.get("message_id")))
            if message is None:
                continue
            quote = str(item.get("quote") or "")
            where = None if _is_whole_message(message, quote) else _locate(message.content, quote)
            if where:
                raw[str(message.id)].append((*where, metric.label))

    spans: dict[str, list[_Span]] = {}
    for message_id, found in raw.items():
        merged: list[_Span] = []
        for start, end, label in sorted(found):
            if merged and start < merged[-1].end:
                merged[-1].end = max(merged[-1].end, end)
                if label not in merged[-1].criteria:
                    merged[-1].criteria.append(label)
            else:
                seq = by_id[message_id].seq
                merged.append(_Span(start, end, f"ev-{seq}-{len(merged) + 1}", [label]))
        spans[message_id] = merged

    for metric in metrics:
        links = []
        for item in metric.evidence or []:
            message_id = str(item.get("message_id"))
            message = by_id.get(message_id)
            if message is None:
                continue
            quote = str(item.get("quote") or "")
            where = None if _is_whole_message(message, quote) else _locate(message.content, quote)
            anchor = f"msg-{message.seq}"
            if where:
                starts = [s.start for s in spans[message_id]]
                index = bisect.bisect_right(starts, where[0]) - 1
                if index >= 0:
                    anchor = spans[message_id][index].anchor
            links.append({"anchor": anchor, "quote": quote, "seq": message.seq})
        metric.evidence_links = links
    return spans


def _next_scenario(*, user, current_slug: str, scenarios: ScenarioProgressList):
    """What the trainee should do next, never this very scenario."""
    recommended = recommended_next_scenario(user=user, scenarios=scenarios)
    if recommended is None or recommended.slug == current_slug:
        return None
    return recommended


# --- How long it took -------------------------------------------------------------------------


def time_taken_seconds(session: UserSession) -> int | None:
    """How long the trainee spent on `session`: from its start to its end. A session the idle
    sweep ended (`SESSION_IDLE_MINUTES` after anything last happened in it) counts until that
    last activity, not the sweep. None while it has not ended."""
    if session.ended_at is None or session.started_at is None:
        return None
    end = session.ended_at
    last = session.last_activity_at
    idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    if last is not None and session.started_at <= last and end - last >= idle:
        end = last
    return max(0, int((end - session.started_at).total_seconds()))


# --- This attempt against the earlier ones --------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A score against an earlier one, in a symbol and in words (never colour alone)."""

    direction: str  # "up", "down" or "same"
    symbol: str
    text: str


def _trend(now: int, before: int | None, *, against_best: bool) -> Trend | None:
    if before is None:
        return None
    delta = now - before
    if delta > 0:
        return Trend("up", "▲", f"new best, +{delta}" if against_best else f"up {delta}")
    if delta < 0:
        return Trend("down", "▼", f"{-delta} below best" if against_best else f"down {-delta}")
    return Trend("same", "=", "matches best" if against_best else "no change")


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    criterion: str  # "" for the total
    score: int
    best: int | None
    previous: int | None

    @property
    def vs_best(self) -> Trend | None:
        return _trend(self.score, self.best, against_best=True)

    @property
    def vs_previous(self) -> Trend | None:
        return _trend(self.score, self.previous, against_best=False)


@dataclass(frozen=True)
class AttemptComparison:
    """This attempt beside the same trainee's earlier scored attempts at the same scenario:
    the best before it and the one just before it, for the total and each criterion."""

    earlier_attempts: int
    previous_started_at: dt.datetime
    rows: list[ComparisonRow]


def attempt_comparison(*, session: UserSession, metrics) -> AttemptComparison | None:
    """None for a first attempt. Two queries whether there are no earlier attempts or a
    hundred: the best and the previous score of each criterion, aggregated in the database,
    and the previous attempt with the best total and the count (window aggregates).

    Earlier means started before this one and scored; previews are compared with previews and
    real attempts with real ones, so trying a scenario out never sets a trainee's bar."""
    earlier = UserSession.objects.filter(
        user_id=session.user_id,
        scenario_id=session.scenario_id,
        status=SessionStatus.SCORED,
        is_preview=session.is_preview,
        started_at__lt=session.started_at,
    ).exclude(pk=session.pk)
    newest_first = earlier.order_by("-started_at", "-pk")
    previous_pk = Subquery(newest_first.values("pk")[:1])
    per_criterion = {
        row["criterion"]: row
        for row in PerformanceMetric.objects.filter(
            user_id=session.user_id, session__in=earlier.values("pk")
        )
        .values("criterion")
        .annotate(best=Max("score"), previous=Max("score", filter=Q(session_id=previous_pk)))
        .order_by()
    }
    previous = (
        newest_first.annotate(best=Window(Max("score")), attempts=Window(Count("pk")))
        .values("pk", "score", "started_at", "best", "attempts")
        .first()
    )
    if previous is None:
        return None
    rows = [ComparisonRow("Total", "", session.score, previous["best"], previous["score"])]
    for metric in metrics:
        earlier_scores = per_criterion.get(metric.criterion, {})
        rows.append(
            ComparisonRow(
                metric.label,
                metric.criterion,
                metric.score,
                earlier_scores.get("best"),
                earlier_scores.get("previous"),
            )
        )
    return AttemptComparison(previous["attempts"], previous["started_at"], rows)


# --- How to do better -------------------------------------------------------------------------

MAX_NEXT_STEPS = 3


@dataclass(frozen=True)
class NextStep:
    """One of the few criteria where the total has the most to gain."""

    metric: PerformanceMetric
    points: int  # what the total would gain with 100 on this criterion
    advice: str  # the criterion's general advice; "" when it would repeat a tip on the page
    practise: object | None  # another open scenario that weights this criterion most


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def next_steps(
    metrics, *, scenarios: ScenarioProgressList | None = None, current_slug: str = ""
) -> list[NextStep]:
    """The two or three criteria worth the most points, ranked by weight × shortfall (what
    the total gains from a perfect score there). Each says how many points are at stake and,
    instead of the tip already shown under its criterion, the criterion's general advice and
    a scenario to practise it in. Advice that would repeat any tip word for word is left out.
    """
    tips = [m.tip for m in metrics if m.tip]
    ranked = sorted(
        enumerate(metrics), key=lambda pair: (-pair[1].weight * (100 - pair[1].score), pair[0])
    )
    registered = evaluators()
    steps = []
    suggested = {current_slug}  # each scenario is suggested once, never this one
    for _, metric in ranked:
        points = math.floor(metric.weight * (100 - metric.score) / 100 + 0.5)
        if points < 1:
            break
        advice = getattr(registered.get(metric.criterion), "generic_tip", "") or ""
        if any(_same_text(advice, tip) for tip in tips):
            advice = ""
        practise = _practise(metric.criterion, scenarios, suggested)
        if practise is not None:
            suggested.add(practise.slug)
        steps.append(NextStep(metric, points, advice, practise))
        if len(steps) == MAX_NEXT_STEPS:
            break
    return steps


def _practise(criterion: str, scenarios: ScenarioProgressList | None, skip: set[str]):
    """The open scenario that weights `criterion` most, other than those in `skip` (no query:
    the catalogue and the trainee's standing are already loaded)."""
    if scenarios is None:
        return None
    for scenario in scenarios.catalogue.trains.get(criterion, ()):
        if scenario.slug not in skip and scenarios.is_open(scenario):
            return scenario
    return None


def report_context(*, session: UserSession, user) -> dict:
    """Everything the report page shows for `session` (scored, scoring or abandoned)."""
    snapshot = session.snapshot
    slug = snapshot.slug
    owner = session.user
    seconds = time_taken_seconds(session)
    context = {
        "session": session,
        "time_taken": format_duration(seconds),
        "time_taken_iso": iso_duration(seconds),
        "scenario_title": snapshot.title,
        "scenario_slug": slug,
        "difficulty": snapshot.difficulty,
        "is_scored": session.status == SessionStatus.SCORED,
        "is_scoring": session.status == SessionStatus.SCORING,
        "is_abandoned": session.status == SessionStatus.ABANDONED,
        "is_owner": owner.pk == getattr(user, "pk", None),
    }
    if not context["is_scored"]:
        return context

    order = snapshot.criterion_order
    metrics = sorted(
        PerformanceMetric.objects.filter(session=session),
        key=lambda m: (order.get(m.criterion, len(order)), m.criterion),
    )
    for metric in metrics:
        metric.label = criterion_label(metric.criterion)
        metric.bar_class = bar_class(metric.score)
    messages = list(ChatMessage.objects.filter(session=session).order_by("seq"))
    spans = _evidence_layout(metrics, messages)
    transcript = [
        {
            "id": str(m.id),
            "seq": m.seq,
            "role": m.role,
            "created_at": m.created_at,
            "pieces": _pieces(m.content, spans.get(str(m.id), [])),
        }
        for m in messages
    ]
    achievements = list(
        UserAchievement.objects.filter(session=session, user_id=owner.pk).select_related(
            "achievement"
        )
    )
    feedback = session.feedback or {}
    scenarios = scenario_list_with_progress(user=owner)
    given = list(SessionHint.objects.filter(session=session).order_by("after_seq"))
    context.update(
        {
            "hints": given,
            "hints_xp_percent": hints.xp_percent_lost(len(given)),
            "review": SessionReview.objects.filter(session=session)
            .select_related("reviewer")
            .first(),
            "metrics": metrics,
            "transcript": transcript,
            "feedback": feedback,
            "next_steps": next_steps(metrics, scenarios=scenarios, current_slug=slug),
            "comparison": attempt_comparison(session=session, metrics=metrics),
            "forbidden": feedback.get("forbidden_phrases") or [],
            "coach": feedback.get("coach"),
            "rewards": feedback.get("rewards") or {},
            "achievements": achievements,
            "score_class": bar_class(session.score),
            "pass_score": feedback.get("pass_score"),
            "owner": owner,
            "xp_per_level": XP_PER_LEVEL,
            "next_scenario": _next_scenario(user=owner, current_slug=slug, scenarios=scenarios),
        }
    )
    return context
