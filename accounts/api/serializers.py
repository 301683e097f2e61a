import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import TeamRole, User, validate_timezone

# PostgreSQL's jsonb refuses NUL characters, and unpaired surrogates cannot be encoded at all:
# either would turn a client's odd input into a 500 instead of a 400.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value) -> bool:
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


class UserSerializer(serializers.ModelSerializer):
    xp_into_level = serializers.IntegerField(read_only=True)
    xp_for_next_level = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "public_name",
            "display_name",
            "on_leaderboard",
            "paced_replies",
            "level",
            "xp",
            "xp_into_level",
            "xp_for_next_level",
            "timezone",
            "preferences",
            "created_at",
        ]
        read_only_fields = ["id", "email", "level", "xp", "created_at"]


class UserUpdateSerializer(serializers.Serializer):
    """What a trainee may change about themselves; unknown keys (xp, is_staff…) are ignored."""

    public_name = serializers.CharField(max_length=40, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    on_leaderboard = serializers.BooleanField(required=False)
    paced_replies = serializers.BooleanField(
        required=False, help_text="Whether the customer types at a human pace in the chat."
    )
    preferences = serializers.DictField(required=False)

    def validate_timezone(self, value):
        try:
            validate_timezone(value)
        except Exception as exc:
            raise serializers.ValidationError(f"“{value}” is not a known time zone.") from exc
        return value

    def validate_preferences(self, value):
        if len(str(value)) > 4000:
            raise serializers.ValidationError("Preferences are limited to 4000 characters.")
        if _unstorable(value):
            raise serializers.ValidationError("Preferences may not contain NUL or lone surrogates.")
        return value


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


# --- Teams ---------------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "pattern": "^(trainer|member)$", "description": "`trainer` or `member`."}
)
class TeamRoleField(serializers.CharField):
    """A pattern, not an enum: a second `role` enum beside the chat messages' would rename
    their schema component (`RoleEnum`) under the clients already generated from it."""


class TeamSerializer(serializers.Serializer):
    """A team in the caller's list: counts, never the people."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    role = TeamRoleField(read_only=True, help_text="Your role in the team.")
    member_count = serializers.IntegerField(read_only=True)
    trainer_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class TeamMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    role = TeamRoleField(read_only=True)
    joined_at = serializers.DateTimeField(read_only=True)


class TeamForMemberSerializer(serializers.Serializer):
    """What a member may know of their team: who trains it, by display name (no addresses)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    role = TeamRoleField(read_only=True, help_text="Your role in the team.")
    trainers = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The trainers' display names."
    )


class TeamDetailSerializer(TeamForMemberSerializer):
    """A team as its trainers see it; its members see only the fields that are always present."""

    # One schema for both answers of the detail route. The trainers-only fields are declared
    # writable-but-optional (this serializer never reads input) because drf-spectacular marks
    # every read-only field required, and the member's answer really does leave them out.
    _TRAINERS_ONLY = "Only in a trainer's view of the team."

    member_count = serializers.IntegerField(required=False, help_text=_TRAINERS_ONLY)
    trainer_count = serializers.IntegerField(required=False, help_text=_TRAINERS_ONLY)
    created_at = serializers.DateTimeField(required=False, help_text=_TRAINERS_ONLY)
    members = TeamMemberSerializer(many=True, required=False, help_text=_TRAINERS_ONLY)


def team_for_member_data(team, *, trainers) -> dict:
    """`team` from `team_get_for_member` (it carries the caller's `.role`)."""
    return TeamForMemberSerializer(
        {
            "id": team.pk,
            "name": team.name,
            "role": team.role,
            "trainers": [trainer.display_name for trainer in trainers],
        }
    ).data


def team_for_trainer_data(team) -> dict:
    """`team` from `team_get_for_trainer`: its memberships are prefetched with their users, so
    the trainers' names cost no query however large the team."""
    memberships = list(team.memberships.all())
    return TeamDetailSerializer(
        {
            "id": team.pk,
            "name": team.name,
            "role": TeamRole.TRAINER,
            "trainers": [m.user.display_name for m in memberships if m.role == TeamRole.TRAINER],
            "member_count": team.member_count,
            "trainer_count": team.trainer_count,
            "created_at": team.created_at,
            "members": memberships,
        }
    ).data


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, help_text="1–80 characters, trimmed.")


class TeamInvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="Who the link is for: it is e-mailed there. Anyone holding the link can join.",
    )


class TeamInvitationSerializer(serializers.Serializer):
    url = serializers.URLField(
        read_only=True, help_text="The invitation link. Shown once: only a digest is stored."
    )
    expires_at = serializers.DateTimeField(read_only=True)
    emailed = serializers.BooleanField(read_only=True, help_text="Whether it was e-mailed.")


class TeamJoinSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100, help_text="The last part of the link.")
