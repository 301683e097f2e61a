"""Session and message shapes shared by the REST API and the WebSocket consumer (docs/api.md,
docs/architecture.md).

The consumer serialises with `MessageSerializer` too, so a MESSAGE looks the same on both paths.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sessions_app.models import ChatMessage, SessionOutcome, SessionStatus, UserSession

MESSAGE_FIELDS = ["id", "seq", "role", "content", "created_at", "client_id"]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatMessage
        fields = MESSAGE_FIELDS
        read_only_fields = MESSAGE_FIELDS


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
    metrics = serializers.SerializerMethodField()

    class Meta(SessionListSerializer.Meta):
        fields = [*SESSION_LIST_FIELDS, "messages", "metrics"]
        read_only_fields = fields

    @extend_schema_field(MetricSerializer(many=True))
    def get_metrics(self, session) -> list:
        if session.status != SessionStatus.SCORED:
            return []
        return MetricSerializer(session.metrics.all(), many=True).data


class AgentMessageRequestSerializer(serializers.Serializer):
    """Validates shape only; length and blankness are the service's rules, shared with the
    consumer, so both interfaces reject the same inputs with the same sentence."""

    content = serializers.CharField(trim_whitespace=False, allow_blank=True)
    client_id = serializers.UUIDField(required=False, allow_null=True)


class MessagePairSerializer(serializers.Serializer):
    agent_message = MessageSerializer(read_only=True)
    customer_message = MessageSerializer(read_only=True, allow_null=True)
