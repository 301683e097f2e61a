from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from core.renderers import EnvelopeResponse
from performance.api.serializers import PerformanceSummarySerializer
from performance.selectors import performance_summary


class PerformanceSummaryView(APIView):
    @extend_schema(
        tags=["performance"],
        summary="The trainee's per-criterion averages and trends, sessions count and pass rate",
        description=(
            "Scored sessions only; staff previews are excluded. `trend` compares the average of "
            "the last 5 sessions with the 5 before; `points` list every score in time order."
        ),
        responses=PerformanceSummarySerializer,
    )
    def get(self, request):
        summary = performance_summary(user=request.user)
        data = PerformanceSummarySerializer(summary).data
        return EnvelopeResponse(data, meta={"sessions_count": summary["sessions_count"]})
