"""API reads that combine several apps: the scenarios with the caller's progress, the caller's
own profile with their streak, and a team's analytics for its trainers."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import UserUpdateSerializer
from accounts.exceptions import TeamNotFound
from accounts.selectors import team_get_for_trainer
from accounts.services import user_update_profile
from core.api import EnvelopePagination
from core.renderers import EnvelopeResponse
from core.schema import documented_error
from overview.api.serializers import (
    ScenarioDetailSerializer,
    ScenarioListSerializer,
    TeamAnalyticsQuerySerializer,
    TeamAnalyticsSerializer,
    TraineeSerializer,
    scenario_rows,
)
from overview.progress import scenario_get_with_progress, scenario_list_with_progress
from overview.team_analytics import team_analytics_for
from scenarios.api.serializers import ScenarioQuerySerializer


class MeView(APIView):
    @extend_schema(tags=["accounts"], summary="The signed-in trainee", responses=TraineeSerializer)
    def get(self, request):
        return Response(TraineeSerializer(request.user).data)

    @extend_schema(
        tags=["accounts"],
        summary="Update name, time zone or preferences",
        request=UserUpdateSerializer,
        responses=TraineeSerializer,
    )
    def patch(self, request):
        serializer = UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, data=serializer.validated_data)
        return Response(TraineeSerializer(user).data)


class ScenarioPagination(EnvelopePagination):
    """Pages of 100 by default (up to 500 with `page_size`): every scenario of a normal
    library on one page, while a 1,000-scenario one does not cost half a megabyte a call."""

    page_size = 100
    max_page_size = 500


class ScenarioListView(generics.ListAPIView):
    serializer_class = ScenarioListSerializer
    pagination_class = ScenarioPagination

    @extend_schema(
        tags=["scenarios"],
        summary="Active scenarios with your progress (attempts, best score, completed, locked)",
        parameters=[ScenarioQuerySerializer],
        responses={200: ScenarioListSerializer(many=True), 400: OpenApiResponse()},
    )
    def get(self, request, *args, **kwargs):
        query = ScenarioQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        scenarios = scenario_list_with_progress(
            user=request.user,
            difficulty=filters.get("difficulty") or None,
            completed=filters.get("completed"),
            category=filters.get("category") or None,
            search=filters.get("q") or None,
        )
        page = self.paginate_queryset(scenarios.scenarios)
        paginated = self.get_paginated_response(scenario_rows(scenarios, page))
        paginated.meta.update(
            difficulty=filters.get("difficulty") or None,
            completed=filters.get("completed"),
            category=filters.get("category") or None,
            q=filters.get("q") or None,
        )
        return paginated


class ScenarioDetailView(generics.RetrieveAPIView):
    serializer_class = ScenarioDetailSerializer

    def get_object(self):
        return scenario_get_with_progress(user=self.request.user, slug=self.kwargs["slug"])

    @extend_schema(
        tags=["scenarios"],
        summary="One scenario: the ticket, the customer, the knowledge base and your progress",
        responses={200: ScenarioDetailSerializer, 404: OpenApiResponse()},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TeamAnalyticsView(APIView):
    @extend_schema(
        tags=["performance"],
        summary="A team's analytics over a period (its trainers only)",
        description=(
            "Over this ISO week and the `weeks - 1` before it (default 12, in your time zone), "
            "from the members' scored sessions (staff previews excluded): each trainee's score on "
            "each criterion (`view=latest`: the latest in the period; `average`), pass rate and "
            "average score by scenario, the team's average per week, its weakest criteria with "
            "how many trainees average under 70, each trainee's time in sessions, who is past an "
            "assignment's due date without having passed it, and the members ranked by XP "
            "(including those hidden from the global leaderboard). A team you do not train, as a "
            "member too, answers 404 before the query is read."
        ),
        parameters=[TeamAnalyticsQuerySerializer],
        responses={
            200: TeamAnalyticsSerializer,
            400: OpenApiResponse(description="`weeks` outside 1–52, or an unknown `view`."),
            404: documented_error(TeamNotFound, "No team of that id that you train."),
        },
    )
    def get(self, request, team_id):
        # Who asks is settled before what they sent: a stranger's answer is 404 whatever the query.
        team = team_get_for_trainer(user=request.user, team_id=team_id)
        query = TeamAnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        analytics = team_analytics_for(team=team, **query.validated_data)
        return EnvelopeResponse(
            TeamAnalyticsSerializer(analytics).data,
            meta={
                "weeks": analytics.performance.period.weeks,
                "view": analytics.performance.view,
                "members": len(analytics.members),
            },
        )
