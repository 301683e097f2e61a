"""API reads that combine several apps: the scenarios with the caller's progress, and the
caller's own profile with their streak."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import UserUpdateSerializer
from accounts.services import user_update_profile
from core.api import EnvelopePagination
from overview.api.serializers import (
    ScenarioDetailSerializer,
    ScenarioListSerializer,
    TraineeSerializer,
    scenario_rows,
)
from overview.progress import scenario_get_with_progress, scenario_list_with_progress
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
