"""The trainee's performance summary, and a trainer's review of a team member's scored session
(`performance/review.py`).

A session or team the caller may not review answers 404 exactly as one that does not exist,
before the body is read: a 403 would confirm that the id is real.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from accounts.exceptions import TeamNotFound
from accounts.selectors import team_get_for_trainer
from core.renderers import EnvelopeResponse
from core.schema import documented_error
from performance.api.serializers import (
    PerformanceSummarySerializer,
    ReviewedSessionSerializer,
    ReviewSaveSerializer,
    TeamSessionSerializer,
    reviewed_session_data,
)
from performance.review import (
    Correction,
    ReviewInvalid,
    review_save,
    session_get_for_reviewer,
    sessions_to_review,
)
from performance.selectors import performance_summary
from sessions_app.exceptions import SessionNotFound


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


# --- Reviews -------------------------------------------------------------------------------------


_NOT_YOURS_TO_REVIEW = documented_error(
    SessionNotFound,
    "No scored session of that id of a member of a team you train (the trainee included).",
)
_NOT_YOUR_TEAM = documented_error(TeamNotFound, "No team of that id that you train.")
_INVALID_REVIEW = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "The body did not validate (`details` maps each field to its errors: a score outside "
        "0–100, a missing `corrections`), or the service refused it: `invalid_review` for a "
        "criterion the session was not scored on."
    ),
    examples=[
        OpenApiExample(
            ReviewInvalid.code,
            value={
                "error": "No such criterion in this session: tone",
                "details": {"code": ReviewInvalid.code},
            },
            response_only=True,
        ),
        OpenApiExample(
            "validation",
            value={
                "error": (
                    "Validation failed. corrections: empathy: score: "
                    "Ensure this value is less than or equal to 100."
                ),
                "details": {
                    "corrections": {
                        "empathy": {"score": ["Ensure this value is less than or equal to 100."]}
                    }
                },
            },
            response_only=True,
        ),
    ],
)


class SessionReviewView(APIView):
    @extend_schema(
        tags=["performance"],
        summary="A team member's scored session with its criteria and review (its trainers only)",
        description=(
            "For a trainer of a team the trainee is a member of. `review` is null until the "
            "session is reviewed; a criterion's `machine_score` is null until it is corrected."
        ),
        responses={200: ReviewedSessionSerializer, 404: _NOT_YOURS_TO_REVIEW},
    )
    def get(self, request, pk):
        session = session_get_for_reviewer(reviewer=request.user, session_id=pk)
        return EnvelopeResponse(reviewed_session_data(session))

    @extend_schema(
        tags=["performance"],
        summary="Review a team member's scored session: correct scores, comment, mark reviewed",
        description=(
            "Its trainee's trainers only: anyone else gets 404 whatever the body. Each correction "
            "keeps the machine's score beside it and is audited; the total and `passed` are "
            "recalculated from the scoring's weights and the trainee's XP moves by the "
            "difference. Saving the same body again changes nothing more."
        ),
        request=ReviewSaveSerializer,
        responses={200: ReviewedSessionSerializer, 400: _INVALID_REVIEW, 404: _NOT_YOURS_TO_REVIEW},
    )
    def put(self, request, pk):
        # Who asks is settled before what they sent: a stranger's answer is 404 whatever the body.
        session = session_get_for_reviewer(reviewer=request.user, session_id=pk)
        body = ReviewSaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        corrections = {
            key: Correction(score=value["score"], comment=value["comment"].strip())
            for key, value in body.validated_data["corrections"].items()
        }
        review_save(
            reviewer=request.user,
            session_id=session.pk,
            corrections=corrections,
            comment=body.validated_data["comment"].strip(),
        )
        session = session_get_for_reviewer(reviewer=request.user, session_id=session.pk)
        return EnvelopeResponse(reviewed_session_data(session))


class TeamSessionListView(APIView):
    @extend_schema(
        tags=["performance"],
        summary="A team's members' latest scored sessions, to review (its trainers only)",
        description=(
            "Newest first, at most 30; `reviewed` once a trainer has saved a review. Review one "
            "under `/api/v1/sessions/{id}/review/`."
        ),
        responses={200: TeamSessionSerializer(many=True), 404: _NOT_YOUR_TEAM},
    )
    def get(self, request, team_id):
        team = team_get_for_trainer(user=request.user, team_id=team_id)
        sessions = sessions_to_review(team=team)
        return EnvelopeResponse(
            TeamSessionSerializer(sessions, many=True).data, meta={"total": len(sessions)}
        )
