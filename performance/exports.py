"""Downloads of what the pages show: one scored session's report and transcript as PDF and CSV,
and a team's results over a date range as CSV.

Who may download is who may open the page: a session's owner (and staff, as on the report page)
or a trainer of a team the trainee is a member of; a team's results, its trainers only. Only a
scored session has a report, so nothing else can be downloaded.

The session CSV reads top to bottom like the report: three blocks, each under a one-cell title
row and its own header row, separated by an empty row — the summary (field, value), the criteria
(one row each) and the transcript (one row per message). A spreadsheet shows them as they are,
and each block can be selected as a table on its own. The team CSV is one table (one row per
session, one column per criterion) so that it sorts, filters and pivots without editing.

Trainees write the transcripts and their display names, so every text cell a spreadsheet would
run as a formula (one starting with = + - @, a tab or a carriage return) gets a leading
apostrophe. Dates are in the viewer's time zone, which each file names. The reads run a fixed
number of queries whatever the transcript's length or the team's size.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from accounts.models import TeamRole
from core.errors import DomainError
from performance.models import PerformanceMetric, SessionReview
from performance.review import session_get_for_reviewer, session_review_detail
from performance.selectors import criterion_label
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import ChatMessage, SessionHint, SessionStatus, UserSession
from sessions_app.selectors import session_get_for_user

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}
FONT = "DejaVu"
#: What stands in for a character the font cannot draw (an emoji it lacks, CJK, …).
MISSING_GLYPH = "\ufffd"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RESULTS_DEFAULT_DAYS = 30
#: Bounds of a team export's range: a typo such as year 20250 is an error, not a 500.
RESULTS_FIRST_DAY = date(2000, 1, 1)
RESULTS_LAST_DAY = date(2999, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

SPEAKERS = {"agent": "Trainee", "customer": "Customer", "system": "System"}


class ExportRangeInvalid(DomainError):
    code = "invalid_range"
    default_message = "That date range cannot be exported."


# --- who may download what ------------------------------------------------------------------


def session_get_for_export(*, user, session_id) -> UserSession:
    """A scored session whose report `user` may open: their own (any, for staff, as on the
    report page) or a team member's for the team's trainer. SessionNotFound otherwise, the same
    answer as for a session that does not exist; an active or unscored one has no report yet."""
    try:
        session = session_get_for_user(user=user, session_id=session_id)
    except SessionNotFound:
        return session_get_for_reviewer(reviewer=user, session_id=session_id)
    if session.status != SessionStatus.SCORED:
        raise SessionNotFound()
    return session


# --- one session: the data ------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    quote: str
    seq: int | None  # the message quoted, if it is still in the transcript


@dataclass(frozen=True)
class CriterionResult:
    key: str
    label: str
    score: int
    weight: float
    machine_score: int | None  # set only when a reviewer corrected the score
    rationale: str
    evidence: tuple[Evidence, ...]
    tip: str
    review_comment: str


@dataclass(frozen=True)
class TranscriptLine:
    seq: int
    speaker: str
    content: str
    created_at: datetime


@dataclass(frozen=True)
class SessionReport:
    session: UserSession
    title: str
    slug: str
    trainee: str
    pass_score: int
    criteria: list[CriterionResult]
    review: SessionReview | None
    transcript: list[TranscriptLine]
    #: the hints the trainee asked for: (replies sent by then, what the hint said)
    hints: tuple[tuple[int, str], ...] = ()

    @property
    def reviewer(self) -> str:
        reviewer = self.review.reviewer if self.review else None
        return reviewer.display_name if reviewer else "a trainer"


def session_report(*, session: UserSession) -> SessionReport:
    """What a session's exports hold, as the report shows it: four queries (criteria, review,
    messages, hints) whatever the transcript's length."""
    detail = session_review_detail(session=session)
    messages = list(
        ChatMessage.objects.filter(session=session)
        .order_by("seq")
        .only("id", "seq", "role", "content", "created_at")
    )
    seq_of = {str(m.id): m.seq for m in messages}
    criteria = [
        CriterionResult(
            key=metric.criterion,
            label=criterion_label(metric.criterion),
            score=metric.score,
            weight=metric.weight,
            machine_score=metric.machine_score,
            rationale=metric.rationale,
            evidence=tuple(
                Evidence(str(item.get("quote") or ""), seq_of.get(str(item.get("message_id"))))
                for item in metric.evidence or []
                if isinstance(item, dict) and item.get("quote")
            ),
            tip=metric.tip,
            review_comment=metric.review_comment,
        )
        for metric in detail.metrics
    ]
    snapshot = session.snapshot
    pass_score = (session.feedback or {}).get("pass_score")
    return SessionReport(
        session=session,
        title=snapshot.title or session.scenario.title,
        slug=snapshot.slug or session.scenario.slug,
        trainee=session.user.display_name,
        pass_score=snapshot.pass_score if pass_score is None else pass_score,
        criteria=criteria,
        review=detail.review,
        transcript=[
            TranscriptLine(m.seq, SPEAKERS.get(m.role, m.role), m.content, m.created_at)
            for m in messages
        ],
        hints=tuple(session.hints.order_by("after_seq").values_list("replies", "text")),
    )


# --- one session: the files -----------------------------------------------------------------


def _local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt) if moment else ""


def _minutes(started: datetime | None, ended: datetime | None) -> float | None:
    if not (started and ended):
        return None
    return round(max(0.0, (ended - started).total_seconds()) / 60, 1)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _evidence_text(evidence: Iterable[Evidence]) -> str:
    return " | ".join(
        f"“{item.quote}”" + (f" (message {item.seq})" if item.seq else "") for item in evidence
    )


def session_filename(report: SessionReport, extension: str) -> str:
    """`<scenario slug>-<started date>.<ext>`: ASCII only, nothing a header could choke on."""
    day = _local(report.session.started_at, "%Y-%m-%d")
    return f"{slugify(report.slug) or 'session'}-{day}.{extension}"


def _facts(report: SessionReport) -> list[tuple[str, object]]:
    session = report.session
    facts: list[tuple[str, object]] = [
        ("Trainee", report.trainee),
        ("Started", _local(session.started_at)),
        ("Ended", _local(session.ended_at)),
        ("Duration (minutes)", _minutes(session.started_at, session.ended_at)),
        ("Score", session.score),
        ("Pass mark", report.pass_score),
        ("Passed", _yes_no(session.passed)),
        ("Outcome", session.get_outcome_display() if session.outcome else ""),
    ]
    if session.is_preview:
        facts.append(("Preview", "yes (no XP)"))
    facts.append(("Hints used", len(report.hints)))
    facts += [
        (f"Hint {number} (after reply {replies})", text)
        for number, (replies, text) in enumerate(report.hints, start=1)
    ]
    facts.append(("Time zone", timezone.get_current_timezone_name()))
    return facts


def _review_facts(report: SessionReport) -> list[tuple[str, object]]:
    review = report.review
    if review is None:
        return [("Reviewed", "no")]
    return [
        ("Reviewed by", report.reviewer),
        ("Reviewed", _local(review.reviewed_at)),
        ("Machine score", review.machine_score),
        ("Review comment", review.comment),
    ]


def csv_safe(value) -> object:
    """A cell as a spreadsheet should show it: text that it would run as a formula is quoted
    with an apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv(rows: Iterable[Iterable]) -> str:
    # The byte-order mark makes Excel read UTF-8 rather than the system's code page.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()


def session_csv(report: SessionReport) -> str:
    tz = timezone.get_current_timezone_name()
    rows: list[list] = [["Session report"]]
    rows += [["Scenario", report.title]]
    rows += [[field, value] for field, value in _facts(report) + _review_facts(report)]
    rows += [[], ["Criteria"]]
    rows.append(
        [
            "Criterion",
            "Key",
            "Score",
            "Weight (%)",
            "Machine score",
            "Rationale",
            "Evidence",
            "Tip",
            "Reviewer comment",
        ]
    )
    rows += [
        [
            c.label,
            c.key,
            c.score,
            round(c.weight, 1),
            c.machine_score,
            c.rationale,
            _evidence_text(c.evidence),
            c.tip,
            c.review_comment,
        ]
        for c in report.criteria
    ]
    rows += [[], ["Transcript"], ["#", f"Time ({tz})", "Speaker", "Message"]]
    rows += [
        [line.seq, _local(line.created_at, "%Y-%m-%d %H:%M:%S"), line.speaker, line.content]
        for line in report.transcript
    ]
    return _csv(rows)


@functools.cache
def _drawable() -> frozenset[int]:
    """Code points both vendored fonts draw (read once per process)."""
    regular, bold = (frozenset(TTFont(path).getBestCmap()) for path in FONT_FILES.values())
    return regular & bold


def pdf_text(text: str) -> str:
    """`text` as the PDF can draw it: each character the font lacks becomes U+FFFD (fpdf2
    would draw an empty box and log a warning for each), tabs become spaces and other control
    characters go."""
    drawable = _drawable()
    out = []
    for char in str(text).replace("\r\n", "\n").replace("\r", "\n").expandtabs(4):
        if char == "\n":
            out.append(char)
        elif unicodedata.category(char) == "Cc":
            continue
        else:
            out.append(char if ord(char) in drawable else MISSING_GLYPH)
    return "".join(out)


class _ReportPDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)


def _write(pdf: FPDF, text: str, *, size: float = 10, style: str = "", gap: float = 0) -> None:
    text = pdf_text(text)
    if not text.strip():
        return
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if gap:
        pdf.ln(gap)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(4)
    _write(pdf, text, size=13, style="B", gap=1)


def session_pdf(report: SessionReport) -> bytes:
    """The report as a document to file or send: summary, review, criteria, then the whole
    transcript. The fonts are subset, so a short session stays a few tens of kilobytes."""
    session = report.session
    pdf = _ReportPDF(footer_text=pdf_text(f"{report.title} · {report.trainee}"))
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT, style, str(path))
    pdf.set_title(pdf_text(f"Session report: {report.title}"))
    pdf.set_author(pdf_text(report.trainee))
    pdf.set_creator("Support Dojo")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    _write(pdf, "Session report", size=9, gap=1)
    _write(pdf, report.title, size=18, style="B", gap=2)
    for field, value in _facts(report):
        if value not in (None, ""):
            _write(pdf, f"{field}: {value}{'/100' if field == 'Score' else ''}")

    if report.review:
        review = report.review
        _heading(pdf, f"Reviewed by {report.reviewer}")
        _write(pdf, f"Reviewed {_local(review.reviewed_at)}.")
        if review.machine_score != session.score:
            _write(
                pdf,
                f"The machine scored {review.machine_score}; the reviewer's corrections make "
                f"it {session.score}.",
            )
        _write(pdf, review.comment, gap=1)

    _heading(pdf, "Criteria")
    for criterion in report.criteria:
        _write(
            pdf,
            f"{criterion.label}: {criterion.score}/100 (weight {criterion.weight:.0f}%)",
            size=11,
            style="B",
            gap=0.5,
        )
        if criterion.machine_score is not None:
            _write(pdf, f"Corrected by the reviewer (the machine gave {criterion.machine_score}).")
        _write(pdf, criterion.rationale)
        if criterion.evidence:
            _write(pdf, "Evidence: " + _evidence_text(criterion.evidence), size=9)
        if criterion.tip:
            _write(pdf, f"Tip: {criterion.tip}")
        if criterion.review_comment:
            _write(pdf, f"Reviewer: {criterion.review_comment}")
        pdf.ln(2)

    _heading(pdf, "Transcript")
    _write(pdf, f"Times in {timezone.get_current_timezone_name()}.", size=8, gap=1)
    for line in report.transcript:
        _write(
            pdf,
            f"{_local(line.created_at, '%H:%M:%S')} · {line.speaker}",
            size=9,
            style="B",
        )
        _write(pdf, line.content, gap=1.5)
    if not report.transcript:
        _write(pdf, "No messages.")
    return bytes(pdf.output())


# --- a team's results -----------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    """Midnight of `day` in the active (the viewer's) time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _parse_day(value: str, name: str) -> date:
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise ExportRangeInvalid(f"“{value}” is not a date: write {name} as YYYY-MM-DD.") from None
    if not RESULTS_FIRST_DAY <= day <= RESULTS_LAST_DAY:
        raise ExportRangeInvalid(
            f"Dates go from {RESULTS_FIRST_DAY.isoformat()} to {RESULTS_LAST_DAY.isoformat()}."
        )
    return day


def results_range(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    """The days a team export covers, both included: `from` and `to` as the form sends them
    (YYYY-MM-DD, either may be empty), by default the last 30 days up to today."""
    today = timezone.localdate()
    date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
    end = _parse_day(date_to, "“to”") if date_to else today
    start = (
        _parse_day(date_from, "“from”")
        if date_from
        else end - timedelta(days=RESULTS_DEFAULT_DAYS - 1)
    )
    if start > end:
        raise ExportRangeInvalid(
            f"“From” ({start.isoformat()}) is after “to” ({end.isoformat()}): swap them."
        )
    return start, end


@dataclass(frozen=True)
class ResultRow:
    trainee: str
    email: str
    scenario: str
    started_at: datetime
    ended_at: datetime | None
    score: int | None
    machine_score: int | None
    passed: bool | None
    reviewed: bool
    criteria: dict[str, int]
    hints: int = 0


@dataclass(frozen=True)
class TeamResults:
    team_name: str
    start: date
    end: date
    rows: list[ResultRow]
    criteria: list[tuple[str, str]]  # (key, label) of each criterion column, by key


def team_results(*, team, start: date, end: date) -> TeamResults:
    """The scored, non-preview sessions of the team's members started from `start` to `end`
    (whole days in the viewer's time zone), oldest first. Two queries whatever the number of
    members or sessions, the members coming with the team (`team_get_for_trainer`)."""
    members = {m.user_id: m.user for m in team.memberships.all() if m.role == TeamRole.MEMBER}
    sessions = UserSession.objects.filter(
        user_id__in=list(members),
        status=SessionStatus.SCORED,
        is_preview=False,
        started_at__gte=_day_start(start),
        started_at__lt=_day_start(end + timedelta(days=1)),
    )
    scores: dict = {}
    for session_id, criterion, score in PerformanceMetric.objects.filter(
        session__in=sessions.values("pk")
    ).values_list("session_id", "criterion", "score"):
        scores.setdefault(session_id, {})[criterion] = score
    found = (
        sessions.annotate(
            reviewed=Exists(SessionReview.objects.filter(session=OuterRef("pk"))),
            review_machine_score=F("review__machine_score"),
            scenario_title=F("scenario__title"),
            hints_used=Coalesce(
                Subquery(
                    SessionHint.objects.filter(session=OuterRef("pk"))
                    .values("session")
                    .annotate(count=Count("pk"))
                    .values("count")
                ),
                0,
            ),
        )
        .order_by("started_at", "pk")
        .values(
            "pk",
            "user_id",
            "scenario_title",
            "started_at",
            "ended_at",
            "score",
            "passed",
            "reviewed",
            "review_machine_score",
            "hints_used",
        )
    )
    rows = []
    for found_row in found:
        user = members[found_row["user_id"]]
        rows.append(
            ResultRow(
                trainee=user.display_name,
                email=user.email,
                scenario=found_row["scenario_title"],
                started_at=found_row["started_at"],
                ended_at=found_row["ended_at"],
                score=found_row["score"],
                machine_score=(
                    found_row["review_machine_score"]
                    if found_row["reviewed"]
                    else found_row["score"]
                ),
                passed=found_row["passed"],
                reviewed=found_row["reviewed"],
                criteria=scores.get(found_row["pk"], {}),
                hints=found_row["hints_used"],
            )
        )
    keys = sorted({key for row in rows for key in row.criteria})
    return TeamResults(
        team_name=team.name,
        start=start,
        end=end,
        rows=rows,
        criteria=[(key, criterion_label(key)) for key in keys],
    )


def team_results_filename(results: TeamResults) -> str:
    name = slugify(results.team_name) or "team"
    return f"{name}-results-{results.start.isoformat()}-to-{results.end.isoformat()}.csv"


def team_results_csv(results: TeamResults) -> str:
    tz = timezone.get_current_timezone_name()
    header = [
        "Trainee",
        "E-mail",
        "Scenario",
        f"Started ({tz})",
        f"Ended ({tz})",
        "Duration (minutes)",
        "Score",
        "Machine score",
        "Passed",
        "Reviewed",
        "Hints",
        *(label for _key, label in results.criteria),
    ]
    rows = [header]
    rows += [
        [
            row.trainee,
            row.email,
            row.scenario,
            _local(row.started_at),
            _local(row.ended_at),
            _minutes(row.started_at, row.ended_at),
            row.score,
            row.machine_score,
            row.passed,
            row.reviewed,
            row.hints,
            *(row.criteria.get(key) for key, _label in results.criteria),
        ]
        for row in results.rows
    ]
    return _csv(rows)
