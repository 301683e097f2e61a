from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status

from core.api import EnvelopePagination
from core.renderers import EnvelopeResponse
from scenarios.api.serializers import (
    ScenarioDetailSerializer,
    ScenarioListSerializer,
    ScenarioQuerySerializer,
)
from scenarios.selectors import (
    scenario_get_active,
    scenario_get_with_progress,
    scenario_list_with_progress,
)
from sessions_app.api.serializers import SessionSerializer
from sessions_app.services import session_start


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
        paginated = self.get_paginated_response([scenarios.api_row(s) for s in page])
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


class ScenarioStartView(generics.GenericAPIView):
    serializer_class = SessionSerializer

    @extend_schema(
        tags=["scenarios"],
        summary="Start a new session on this scenario",
        request=None,
        responses={
            201: SessionSerializer,
            404: OpenApiResponse(description="No such active scenario."),
            409: OpenApiResponse(
                description="Locked by prerequisites, or too many sessions already open."
            ),
        },
    )
    def post(self, request, slug):
        scenario = scenario_get_active(slug=slug)
        session = session_start(user=request.user, scenario=scenario)
        return EnvelopeResponse(self.get_serializer(session).data, status=status.HTTP_201_CREATED)
