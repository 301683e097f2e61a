"""Assignments: what a trainer sets a team or a person to practise, and by when.

Writes (`assignment_create`, `assignment_reminders_send`) and the reads that go with them
(`assignments_for_trainee`, `assignment_progress`) live together here: an assignment's status
is worked out from the trainee's own scored sessions, which this app owns.

An assignment also unlocks its scenarios for the people it names, whatever the prerequisites.
An assigned scenario counts as done for a person once they have a scored, non-preview attempt
at or above the assignment's `min_score` that started after it was set.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.exceptions import TeamNotFound
from accounts.models import Team, TeamMembership, TeamRole, User
from core.errors import DomainError
from core.live import notify_user
from scenarios.models import Scenario
from sessions_app.models import Assignment, AssignmentReminder, SessionStatus, UserSession
from sessions_app.signals import assignment_created

#: How long before the due date the reminder e-mail goes out.
REMINDER_BEFORE = dt.timedelta(hours=24)


class AssignmentInvalid(DomainError):
    code = "invalid_assignment"
    default_message = "That assignment cannot be set."


# --- writes --------------------------------------------------------------------------------------


def _people_of(assignment: Assignment) -> list[int]:
    if assignment.assignee_id:
        return [assignment.assignee_id]
    members = TeamMembership.objects.filter(team_id=assignment.team_id, role=TeamRole.MEMBER)
    return list(members.values_list("user_id", flat=True))


@transaction.atomic
def assignment_create(
    *,
    by: User,
    team: Team,
    scenarios: list[Scenario],
    due_at: dt.datetime,
    assignee: User | None = None,
    min_score: int = 70,
) -> Assignment:
    """Set `scenarios` for a team `by` trains, or for one member of it (`assignee`); each
    person it names is told on their open pages once it is saved. Only that team's trainers
    see it: a trainee in two teams is not shown one team's work in the other."""
    if not TeamMembership.objects.filter(user=by, team=team, role=TeamRole.TRAINER).exists():
        raise TeamNotFound()
    if assignee is not None:
        member = TeamMembership.objects.filter(user=assignee, team=team, role=TeamRole.MEMBER)
        if not member.exists():
            raise TeamNotFound("No such member of this team.")
    if not scenarios or any(not s.is_active for s in scenarios):
        raise AssignmentInvalid("Choose one or more active scenarios.")
    if due_at <= timezone.now():
        raise AssignmentInvalid("The due date must be in the future.")
    if not 0 <= int(min_score) <= 100:
        raise AssignmentInvalid("The minimum score is between 0 and 100.")
    assignment = Assignment.objects.create(
        team=team, assignee=assignee, due_at=due_at, min_score=min_score, created_by=by
    )
    assignment.scenarios.set(scenarios)
    event = {
        "type": "assignment.new",
        "titles": [s.title for s in scenarios],
        "due_at": due_at.isoformat(),
        "min_score": int(min_score),
    }
    people = _people_of(assignment)
    assignment_created.send(sender=Assignment, assignment=assignment, user_ids=people)
    for user_id in people:
        transaction.on_commit(partial(notify_user, user_id, event), robust=True)
    return assignment


def assignment_reminders_send(*, now: dt.datetime | None = None) -> int:
    """E-mail each person whose assignment is due within REMINDER_BEFORE and not done yet,
    once per assignment (a second run, or a second worker, sends nothing again)."""
    now = now or timezone.now()
    due_soon = Assignment.objects.filter(due_at__gt=now, due_at__lte=now + REMINDER_BEFORE)
    sent = 0
    for progress in assignments_progress(list(due_soon.prefetch_related("scenarios"))):
        assignment = progress.assignment
        for person in progress.people:
            if progress.done_by(person.pk):
                continue
            try:
                with transaction.atomic():
                    AssignmentReminder.objects.create(assignment=assignment, user=person)
                    send_mail(
                        subject="Reminder: training due " + f"{assignment.due_at:%d %b %Y}",
                        message=_reminder_text(assignment, person),
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=[person.email],
                    )
            except IntegrityError:
                continue  # already reminded
            sent += 1
    return sent


def _reminder_text(assignment: Assignment, person: User) -> str:
    titles = "\n".join(f"- {scenario.title}" for scenario in assignment.scenarios.all())
    return (
        f"Hello {person.display_name},\n\n"
        f"Your trainer asked you to pass these scenarios with at least {assignment.min_score} "
        f"by {assignment.due_at:%d %b %Y %H:%M} UTC:\n\n{titles}\n\n"
        "Open Support Dojo to practise them.\n"
    )


# --- reads ---------------------------------------------------------------------------------------


def _naming(user):
    """Assignments that name `user`: to them, or to the whole of a team they are a member of."""
    teams = TeamMembership.objects.filter(user=user, role=TeamRole.MEMBER).values("team_id")
    return Assignment.objects.filter(Q(assignee=user) | Q(assignee=None, team_id__in=teams))


def assigned_scenario_ids(*, user) -> set[int]:
    """Scenarios some assignment sets `user`: they may start them whatever the prerequisites."""
    through = Assignment.scenarios.through.objects.filter(assignment__in=_naming(user))
    return set(through.values_list("scenario_id", flat=True))


@dataclass(frozen=True)
class AssignedScenario:
    assignment: Assignment
    scenario: Scenario
    best_score: int | None
    done: bool
    due_at: dt.datetime

    @property
    def overdue(self) -> bool:
        return not self.done and self.due_at < timezone.now()


def _scored(user_ids, scenario_ids, since):
    """(user, scenario, started_at, score) of scored, non-preview attempts since `since`."""
    return UserSession.objects.filter(
        user_id__in=user_ids,
        scenario_id__in=scenario_ids,
        status=SessionStatus.SCORED,
        is_preview=False,
        started_at__gte=since,
    ).values_list("user_id", "scenario_id", "started_at", "score")


def _best_since(rows, since) -> dict[tuple[int, int], int]:
    """(user, scenario) -> the best score among `rows` of attempts started since `since`."""
    best: dict[tuple[int, int], int] = {}
    for user_id, scenario_id, started_at, score in rows:
        if started_at >= since and score is not None:
            key = (user_id, scenario_id)
            best[key] = max(best.get(key, score), score)
    return best


def assignments_for_trainee(*, user) -> list[AssignedScenario]:
    """Every scenario assigned to `user` (directly or through a team they are a member of),
    not done first, soonest due first: three queries whatever the history."""
    assignments = list(_naming(user).prefetch_related("scenarios"))
    if not assignments:
        return []
    since = min(a.created_at for a in assignments)
    scenario_ids = {s.pk for a in assignments for s in a.scenarios.all()}
    scored = list(_scored([user.pk], scenario_ids, since))
    rows = []
    for assignment in assignments:
        best = _best_since(scored, assignment.created_at)
        for scenario in assignment.scenarios.all():
            score = best.get((user.pk, scenario.pk))
            rows.append(
                AssignedScenario(
                    assignment=assignment,
                    scenario=scenario,
                    best_score=score,
                    done=score is not None and score >= assignment.min_score,
                    due_at=assignment.due_at,
                )
            )
    rows.sort(key=lambda row: (row.done, row.due_at, row.scenario.title))
    return rows


@dataclass
class AssignmentProgress:
    assignment: Assignment
    people: list[User]
    scenarios: list[Scenario]
    best: dict[tuple[int, int], int]

    def done_by(self, user_id: int) -> bool:
        return all(
            self.best.get((user_id, s.pk), -1) >= self.assignment.min_score for s in self.scenarios
        )

    @property
    def done_count(self) -> int:
        return sum(1 for person in self.people if self.done_by(person.pk))


def assignment_progress(*, assignment: Assignment) -> AssignmentProgress:
    """Who an assignment names and how far each of them is, in a fixed number of queries."""
    return assignments_progress([assignment])[0]


def assignments_progress(assignments: list[Assignment]) -> list[AssignmentProgress]:
    """`assignment_progress` for several at once: the same queries whatever their number
    (team members, people, scored attempts), with `scenarios` prefetched by the caller."""
    if not assignments:
        return []
    team_ids = {a.team_id for a in assignments if not a.assignee_id}
    members = defaultdict(list)
    for team_id, user_id in TeamMembership.objects.filter(
        team_id__in=team_ids, role=TeamRole.MEMBER
    ).values_list("team_id", "user_id"):
        members[team_id].append(user_id)
    named = {a.pk: [a.assignee_id] if a.assignee_id else members[a.team_id] for a in assignments}
    everyone = {user_id for ids in named.values() for user_id in ids}
    people = {user.pk: user for user in User.objects.filter(pk__in=everyone)}
    scenario_ids = {s.pk for a in assignments for s in a.scenarios.all()}
    since = min(a.created_at for a in assignments)
    scored = list(_scored(everyone, scenario_ids, since))
    return [
        AssignmentProgress(
            assignment=a,
            people=sorted((people[i] for i in named[a.pk] if i in people), key=lambda u: u.email),
            scenarios=list(a.scenarios.all()),
            best=_best_since(scored, a.created_at),
        )
        for a in assignments
    ]


def assignments_of_team(*, team: Team) -> list[AssignmentProgress]:
    """A team's assignments (to the whole team or to one of its members) with their progress."""
    assignments = (
        Assignment.objects.filter(team=team)
        .select_related("assignee")
        .prefetch_related("scenarios")
        .order_by("due_at", "id")
    )
    return assignments_progress(list(assignments))
