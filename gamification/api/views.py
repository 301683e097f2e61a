from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from core.renderers import EnvelopeResponse
from gamification.api.serializers import (
    AchievementSerializer,
    LeaderboardEntrySerializer,
    LeaderboardQuerySerializer,
    entry_data,
)
from gamification.selectors import PERIODS, achievements_for_user, leaderboard


class LeaderboardView(APIView):
    @extend_schema(
        tags=["gamification"],
        summary="Leaderboard: all time or this ISO week (UTC)",
        parameters=[
            OpenApiParameter("period", str, enum=list(PERIODS), default="all"),
            OpenApiParameter("limit", int, default=10, description="1–100"),
        ],
        responses=LeaderboardEntrySerializer(many=True),
    )
    def get(self, request):
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        board = leaderboard(**query.validated_data, viewer=request.user)
        me = entry_data(board.me) if board.me else None
        return EnvelopeResponse(
            [entry_data(entry) for entry in board.entries],
            meta={
                "period": board.period,
                "limit": board.limit,
                "total": board.total,
                "since": board.since.isoformat() if board.since else None,
                "me": me or _unranked(request.user),
            },
        )


class AchievementListView(APIView):
    @extend_schema(
        tags=["gamification"],
        summary="Every achievement, with when you unlocked it (null while locked)",
        responses=AchievementSerializer(many=True),
    )
    def get(self, request):
        achievements = list(achievements_for_user(user=request.user))
        return EnvelopeResponse(
            AchievementSerializer(achievements, many=True).data,
            meta={
                "total": len(achievements),
                "unlocked": sum(1 for a in achievements if a.unlocked_at is not None),
            },
        )


def _unranked(user) -> dict:
    """Staff, or a trainee without XP this week: shown, but without a rank."""
    return {
        "rank": None,
        "display_name": user.display_name,
        "level": user.level,
        "xp": 0,
        "total_xp": user.xp,
        "is_me": True,
    }
