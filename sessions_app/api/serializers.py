"""Session and message shapes shared by the REST API and the WebSocket consumer (docs/api.md,
docs/architecture.md).

The consumer serialises with `MessageSerializer` too, so a MESSAGE looks the same on both paths.
"""

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import TeamRole
from scenarios.exceptions import ScenarioNotFound
from scenarios.selectors import scenario_get_active
from sessions_app import hints
from sessions_app.models import (
    ChatMessage,
    SessionHint,
    SessionOutcome,
    SessionStatus,
    UserSession,
)

MESSAGE_FIELDS = ["id", "seq", "role", "content", "created_at", "client_id"]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatMessage
        fields = MESSAGE_FIELDS
        read_only_fields = MESSAGE_FIELDS


HINT_FIELDS = ["id", "kind", "text", "replies", "created_at"]


class HintSerializer(serializers.ModelSerializer):
    """A hint the trainee asked for; `replies` is how many replies they had sent by then."""

    class Meta:
        model = SessionHint
        fields = HINT_FIELDS
        read_only_fields = HINT_FIELDS


class HintGivenSerializer(serializers.Serializer):
    hint = HintSerializer()
    hints_used = serializers.IntegerField(min_value=1, max_value=hints.LIMIT)
    hints_left = serializers.IntegerField(min_value=0, max_value=hints.LIMIT)
    xp_cost_percent = serializers.IntegerField(
        help_text="XP each hint takes off the session's reward, in percent."
    )


class SessionScenarioSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    difficulty = serializers.CharField(read_only=True)


class MetricSerializer(serializers.Serializer):
    criterion = serializers.CharField(read_only=True)
    score = serializers.IntegerField(read_only=True)
    weight = serializers.FloatField(read_only=True)
    rationale = serializers.CharField(read_only=True)
    evidence = serializers.JSONField(read_only=True)
    tip = serializers.CharField(read_only=True)
    machine_score = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="What the machine gave, once a trainer changed it.",
    )
    review_comment = serializers.CharField(read_only=True, help_text="The trainer's reason.")


class SessionReviewSummarySerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.display_name", default="", read_only=True)
    comment = serializers.CharField(read_only=True)
    machine_score = serializers.IntegerField(
        read_only=True, help_text="The machine's total before any correction."
    )
    reviewed_at = serializers.DateTimeField(read_only=True)


SESSION_LIST_FIELDS = [
    "id",
    "scenario",
    "status",
    "outcome",
    "is_preview",
    "started_at",
    "ended_at",
    "score",
    "passed",
    "xp_awarded",
]


class SessionListSerializer(serializers.ModelSerializer):
    """A session without its transcript: cheap enough for paginated lists."""

    scenario = SessionScenarioSerializer(read_only=True)
    # Blank while the conversation is going on; the schema must say so.
    outcome = serializers.ChoiceField(
        choices=SessionOutcome.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = UserSession
        fields = SESSION_LIST_FIELDS
        read_only_fields = SESSION_LIST_FIELDS


class SessionSerializer(SessionListSerializer):
    """One session with its messages; once scored, with the per-criterion metrics.

    Metrics are hidden until the status is `scored`: a half-written set during scoring would
    mislead the trainee.
    """

    messages = MessageSerializer(many=True, read_only=True)
    hints = HintSerializer(many=True, read_only=True)
    metrics = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()

    class Meta(SessionListSerializer.Meta):
        fields = [*SESSION_LIST_FIELDS, "messages", "hints", "metrics", "review"]
        read_only_fields = fields

    @extend_schema_field(MetricSerializer(many=True))
    def get_metrics(self, session) -> list:
        if session.status != SessionStatus.SCORED:
            return []
        return MetricSerializer(session.metrics.all(), many=True).data

    @extend_schema_field(SessionReviewSummarySerializer(allow_null=True))
    def get_review(self, session) -> dict | None:
        """A trainer's review, as the trainee reads it on the report; null until there is one."""
        try:
            review = session.review
        except ObjectDoesNotExist:
            return None
        return SessionReviewSummarySerializer(review).data


class AgentMessageRequestSerializer(serializers.Serializer):
    """Validates shape only; length and blankness are the service's rules, shared with the
    consumer, so both interfaces reject the same inputs with the same sentence."""

    content = serializers.CharField(trim_whitespace=False, allow_blank=True)
    client_id = serializers.UUIDField(required=False, allow_null=True)


class MessagePairSerializer(serializers.Serializer):
    agent_message = MessageSerializer(read_only=True)
    customer_message = MessageSerializer(read_only=True, allow_null=True)


# --- Assignments ---------------------------------------------------------------------------------
#
# What a trainer sets a team (or one of its members) to practise, and how far each person is
# (sessions_app/assignments.py). Built from the selectors' rows, never from querysets.


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(due|overdue|done)$",
        "description": "`due`, `overdue` (past its date, not done) or `done`.",
    }
)
class AssignedStatusField(serializers.CharField):
    """A pattern, not an enum: a second `status` enum beside the sessions' would rename their
    schema component (`StatusEnum`) under the clients already generated from it."""


class AssignmentScenarioSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


def assigned_status(row) -> str:
    """`row` from `assignments_for_trainee`."""
    if row.done:
        return "done"
    return "overdue" if row.overdue else "due"


class AssignedScenarioSerializer(serializers.Serializer):
    """One scenario of one assignment that names the caller (directly or through a team)."""

    assignment_id = serializers.IntegerField(source="assignment.pk", read_only=True)
    scenario = AssignmentScenarioSerializer(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    min_score = serializers.IntegerField(source="assignment.min_score", read_only=True)
    best_score = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Your best score on it since it was set; null before a scored attempt.",
    )
    status = serializers.SerializerMethodField()

    @extend_schema_field(AssignedStatusField())
    def get_status(self, row) -> str:
        return assigned_status(row)


class AssignmentPersonSerializer(serializers.Serializer):
    display_name = serializers.CharField(read_only=True)
    done = serializers.BooleanField(
        read_only=True, help_text="Every scenario passed at `min_score` or better since it was set."
    )


class TeamAssignmentSerializer(serializers.Serializer):
    """An assignment as the team's trainers see it, with each person's progress."""

    id = serializers.IntegerField(read_only=True)
    scenarios = AssignmentScenarioSerializer(many=True, read_only=True)
    assignee = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The one member it is for (display name); null when it is for the whole team.",
    )
    due_at = serializers.DateTimeField(read_only=True)
    min_score = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(
        read_only=True, help_text="Only attempts started since then count."
    )
    done_count = serializers.IntegerField(read_only=True)
    people_count = serializers.IntegerField(read_only=True)
    people = AssignmentPersonSerializer(many=True, read_only=True)


def team_assignments_data(progress_list) -> list:
    """`AssignmentProgress` rows (from `assignments_of_team` or `assignment_progress`) as the
    API shows them: everything they need is loaded, so this costs no query."""
    rows = []
    for progress in progress_list:
        assignment = progress.assignment
        rows.append(
            {
                "id": assignment.pk,
                "scenarios": progress.scenarios,
                "assignee": assignment.assignee.display_name if assignment.assignee_id else None,
                "due_at": assignment.due_at,
                "min_score": assignment.min_score,
                "created_at": assignment.created_at,
                "done_count": progress.done_count,
                "people_count": len(progress.people),
                "people": [
                    {"display_name": person.display_name, "done": progress.done_by(person.pk)}
                    for person in progress.people
                ],
            }
        )
    return TeamAssignmentSerializer(rows, many=True).data


#: At most this many scenarios in one assignment (each slug is looked up on its own).
MAX_ASSIGNED_SCENARIOS = 20


class AssignmentCreateSerializer(serializers.Serializer):
    """Scenarios for the whole team, or for one of its members, to pass by a date."""

    # Needs `context={"team": team}`, a team from `team_get_for_trainer`: its memberships are
    # loaded with their users, so checking the assignee costs no query. `validated_data` then
    # holds `scenarios` (Scenario objects, each once, in the order given), `due_at`, `min_score`
    # and `assignee` (a member, or None for the whole team).

    scenarios = serializers.ListField(
        child=serializers.SlugField(max_length=100),
        min_length=1,
        max_length=MAX_ASSIGNED_SCENARIOS,
        help_text=f"Slugs of active scenarios, 1–{MAX_ASSIGNED_SCENARIOS}.",
    )
    due_at = serializers.DateTimeField(
        help_text="ISO 8601, in the future; without an offset it is read as UTC."
    )
    min_score = serializers.IntegerField(
        min_value=0,
        max_value=100,
        default=70,
        help_text="The score each scenario must reach to count as done (default 70).",
    )
    assignee_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The id of one member of the team (`members[].user_id` of the team); "
        "omit it (or send null) to assign to the whole team.",
    )

    def validate_scenarios(self, slugs):
        chosen, unknown = [], []
        for slug in dict.fromkeys(slugs):  # each once, in the order given
            try:
                chosen.append(scenario_get_active(slug=slug))
            except ScenarioNotFound:
                unknown.append(slug)
        if unknown:
            raise serializers.ValidationError(
                "No active scenario with the slug " + ", ".join(unknown) + "."
            )
        return chosen

    def validate_assignee_id(self, user_id):
        if user_id is None:
            return None
        team = self.context["team"]
        for membership in team.memberships.all():
            if membership.user_id == user_id and membership.role == TeamRole.MEMBER:
                return membership.user
        raise serializers.ValidationError("No member of this team has that id.")

    def validate(self, attrs):
        attrs["assignee"] = attrs.pop("assignee_id", None)
        return attrs
