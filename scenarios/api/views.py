from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status

from config.renderers import EnvelopeResponse
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


class ScenarioListView(generics.ListAPIView):
    """Not paginated: the catalogue is small and the contract wants its total and filters."""

    serializer_class = ScenarioListSerializer
    pagination_class = None

    def get_queryset(self):
        return self.scenarios

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
        self.scenarios = scenario_list_with_progress(
            user=request.user,
            difficulty=filters.get("difficulty") or None,
            completed=filters.get("completed"),
            category=filters.get("category") or None,
            search=filters.get("q") or None,
        )
        return EnvelopeResponse(
            self.get_serializer(self.get_queryset(), many=True).data,
            meta={
                "total": len(self.scenarios),
                "difficulty": filters.get("difficulty") or None,
                "completed": filters.get("completed"),
                "category": filters.get("category") or None,
                "q": filters.get("q") or None,
            },
        )


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
