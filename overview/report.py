"""The report on an ended session: the score, each criterion with its evidence marked in the
transcript, the coach's notes, the XP and achievements it earned and what to try next."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

from accounts.models import XP_PER_LEVEL
from gamification.models import UserAchievement
from overview.progress import recommended_next_scenario
from performance.evaluators.base import snippet
from performance.models import PerformanceMetric, SessionReview
from performance.selectors import bar_class, criterion_label
from sessions_app.models import ChatMessage, SessionStatus, UserSession


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


def _next_scenario(*, user, current_slug: str):
    """What the trainee should do next, never this very scenario."""
    recommended = recommended_next_scenario(user=user)
    if recommended is None or recommended.slug == current_slug:
        return None
    return recommended


def report_context(*, session: UserSession, user) -> dict:
    """Everything the report page shows for `session` (scored, scoring or abandoned)."""
    snapshot = session.snapshot
    slug = snapshot.slug
    owner = session.user
    context = {
        "session": session,
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
    context.update(
        {
            "review": SessionReview.objects.filter(session=session)
            .select_related("reviewer")
            .first(),
            "metrics": metrics,
            "transcript": transcript,
            "feedback": feedback,
            "tips": [m for m in metrics if m.tip],
            "forbidden": feedback.get("forbidden_phrases") or [],
            "coach": feedback.get("coach"),
            "rewards": feedback.get("rewards") or {},
            "achievements": achievements,
            "score_class": bar_class(session.score),
            "pass_score": feedback.get("pass_score"),
            "owner": owner,
            "xp_per_level": XP_PER_LEVEL,
            "next_scenario": _next_scenario(user=owner, current_slug=slug),
        }
    )
    return context
