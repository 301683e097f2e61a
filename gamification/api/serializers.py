from rest_framework import serializers

from gamification.selectors import (
    LEADERBOARD_DEFAULT_LIMIT,
    LEADERBOARD_MAX_LIMIT,
    PERIOD_ALL,
    PERIODS,
)


class LeaderboardQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default=PERIOD_ALL)
    limit = serializers.IntegerField(min_value=1, default=LEADERBOARD_DEFAULT_LIMIT)

    def validate_limit(self, value):
        # Asking for more than the maximum is not an error: the caller gets the maximum.
        return min(value, LEADERBOARD_MAX_LIMIT)


class LeaderboardEntrySerializer(serializers.Serializer):
    """A ranked trainee as every other trainee sees them: no account id, no e-mail."""

    rank = serializers.IntegerField()
    display_name = serializers.CharField()
    level = serializers.IntegerField()
    xp = serializers.IntegerField(help_text="XP in the period (all time, or this ISO week).")
    total_xp = serializers.IntegerField()
    is_me = serializers.BooleanField(source="is_viewer")


def entry_data(entry) -> dict:
    """`LeaderboardEntrySerializer(entry).data`, built directly: the serializer's per-request
    field copying was most of a warm leaderboard request's own CPU (a test keeps the two
    identical)."""
    return {
        "rank": entry.rank,
        "display_name": entry.display_name,
        "level": entry.level,
        "xp": entry.xp,
        "total_xp": entry.total_xp,
        "is_me": entry.is_viewer,
    }


class AchievementSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    bonus_xp = serializers.IntegerField()
    unlocked = serializers.SerializerMethodField()
    unlocked_at = serializers.DateTimeField(allow_null=True)

    def get_unlocked(self, obj) -> bool:
        return obj.unlocked_at is not None
