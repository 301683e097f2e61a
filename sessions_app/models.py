import functools
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from scenarios.documents import ScenarioDocument


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SCORING = "scoring", "Scoring"
    SCORED = "scored", "Scored"
    ABANDONED = "abandoned", "Abandoned"


class SessionOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated"
    ENDED = "ended", "Ended by the trainee"


class UserSession(models.Model):
    """One attempt of a trainee at a scenario, from the opening message to the report.

    `scenario_snapshot` freezes the scenario document at start: the customer engine and the
    scoring use it, so an author editing the scenario mid-attempt changes nothing for the trainee.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_sessions"
    )
    # PROTECT: a scenario with attempts is deactivated, never deleted, or reports would break.
    scenario = models.ForeignKey(
        "scenarios.Scenario", on_delete=models.PROTECT, related_name="sessions"
    )
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.ACTIVE
    )
    outcome = models.CharField(max_length=16, choices=SessionOutcome.choices, blank=True)
    is_preview = models.BooleanField(
        default=False, help_text="Started by staff to try a scenario; never counts toward XP."
    )
    engine = models.CharField(max_length=32, default="offline")
    engine_state = models.JSONField(default=dict, blank=True)
    scenario_snapshot = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    xp_awarded = models.PositiveIntegerField(default=0)
    feedback = models.JSONField(default=dict, blank=True)
    tokens_used = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="session_user_recent_idx"),
            models.Index(fields=["user", "scenario", "status"], name="session_user_scenario_idx"),
            models.Index(fields=["status", "last_activity_at"], name="session_status_idle_idx"),
            models.Index(fields=["status", "-scored_at"], name="session_scored_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="session_score_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.scenario} · {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status == SessionStatus.ACTIVE

    @property
    def scenario_document(self) -> dict:
        """The scenario as this session knows it: the snapshot frozen at start, or for a row
        that has none (made before snapshots, or by hand) the scenario as it is now."""
        return self.scenario_snapshot or self.scenario.to_document(include_prerequisites=False)

    @functools.cached_property
    def snapshot(self) -> ScenarioDocument:
        """`scenario_document` with typed fields, for pages and rewards."""
        return ScenarioDocument.read(self.scenario_document)

    @property
    def duration_seconds(self) -> int:
        end = self.ended_at or timezone.now()
        return max(0, int((end - self.started_at).total_seconds()))


class MessageRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


class ChatMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(UserSession, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=MessageRole.choices)
    content = models.TextField()
    # Set by the client for agent messages: resending after a reconnect stores nothing twice.
    client_id = models.UUIDField(null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["session", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_unique_client_id",
            ),
        ]

    def __str__(self):
        return f"#{self.seq} {self.role}: {self.content[:40]}"


class SessionHint(models.Model):
    """A hint the trainee asked for during a session (`sessions_app.hints`): what it said and
    when. Each one costs part of the session's XP and is listed in the report.

    `after_seq` is the last message of the conversation when it was given: asking again
    before anything new is said gives the same hint back, not a second one to pay for.
    """

    session = models.ForeignKey(UserSession, on_delete=models.CASCADE, related_name="hints")
    after_seq = models.PositiveIntegerField()
    #: the agent's replies so far, as the report says it ("after your 2nd reply")
    replies = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "after_seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "after_seq"], name="hint_once_per_moment"),
        ]

    def __str__(self):
        return f"Hint after #{self.after_seq}: {self.text[:40]}"


class Assignment(models.Model):
    """Scenarios a trainer sets for a team, or for one member of it (`assignee`), to pass by a
    date: each counts as done once the person has a scored attempt at or above `min_score`
    since it was set. The team is kept for a one-person assignment too: it is what decides
    which trainers see it, so a trainee in two teams is not shown one team's work in the other."""

    # Always set since migration 0003 (`assignment_create` requires it). Nullable only so that
    # the release before it keeps inserting during a deploy (django-migration-linter).
    team = models.ForeignKey(
        "accounts.Team", null=True, on_delete=models.CASCADE, related_name="assignments"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    scenarios = models.ManyToManyField("scenarios.Scenario", related_name="assignments")
    due_at = models.DateTimeField()
    min_score = models.PositiveSmallIntegerField(default=70)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(min_score__lte=100), name="assignment_score_0_100"),
        ]
        indexes = [models.Index(fields=["due_at"], name="assignment_due_idx")]

    def __str__(self):
        return f"Assignment due {self.due_at:%Y-%m-%d}"


class AssignmentReminder(models.Model):
    """The one reminder a person gets before an assignment is due."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="assignment_reminder_once"),
        ]

    def __str__(self):
        return f"Reminder to {self.user_id} for {self.assignment_id}"
