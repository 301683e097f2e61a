"""The REST path to a session (docs/api.md): the same services as the WebSocket consumer.

Posting a message returns the customer's whole reply in the response; open chat tabs of the
same session see both messages through the channel layer as they are stored.

Assignments (`sessions_app/assignments.py`): a trainee's own under /assignments/, and a team's
under /teams/<id>/assignments/ for that team's trainers only.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.views import APIView

from accounts.exceptions import TeamNotFound
from accounts.selectors import team_get_for_trainer
from core.errors import DomainError
from core.renderers import EnvelopeResponse
from core.schema import documented_error
from core.throttling import ScopedRateThrottle, UserRateThrottle
from scenarios.selectors import scenario_get_active
from sessions_app import hints
from sessions_app.api.serializers import (
    AgentMessageRequestSerializer,
    AssignedScenarioSerializer,
    AssignmentCreateSerializer,
    HintGivenSerializer,
    HintSerializer,
    MessagePairSerializer,
    SessionListSerializer,
    SessionSerializer,
    TeamAssignmentSerializer,
    team_assignments_data,
)
from sessions_app.assignments import (
    AssignmentInvalid,
    assignment_create,
    assignment_progress,
    assignments_for_trainee,
    assignments_of_team,
)
from sessions_app.broadcast import broadcast, hint_payload, message_data, status_payload
from sessions_app.selectors import (
    session_detail_for_user,
    session_get_for_user,
    session_list_for_user,
)
from sessions_app.services import (
    customer_reply,
    message_post_agent,
    session_end,
    session_hint,
    session_start,
)

_ERRORS = {
    400: OpenApiResponse(description="Invalid message (blank, too long, bad client_id)"),
    404: OpenApiResponse(description="No such session of yours"),
    409: OpenApiResponse(description="Session not active, or the customer is still answering"),
    429: OpenApiResponse(description="Too many messages"),
    503: OpenApiResponse(description="The customer engine failed; your message is stored"),
}


class SessionListView(generics.ListAPIView):
    serializer_class = SessionListSerializer

    def get_queryset(self):
        return session_list_for_user(user=self.request.user)

    @extend_schema(
        tags=["sessions"],
        summary="Your sessions, newest first (paginated)",
        responses={200: SessionListSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SessionDetailView(generics.RetrieveAPIView):
    serializer_class = SessionSerializer

    def get_object(self):
        return session_detail_for_user(user=self.request.user, session_id=self.kwargs["pk"])

    @extend_schema(
        tags=["sessions"],
        summary="One session with its messages; score, passed, XP and metrics once scored",
        responses={200: SessionSerializer, 404: _ERRORS[404]},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SessionMessageView(generics.GenericAPIView):
    serializer_class = AgentMessageRequestSerializer
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "messages"

    @extend_schema(
        tags=["sessions"],
        summary="Send the customer a message and get their whole reply",
        description=(
            "The agent's message is stored before the customer engine runs. Sending the same "
            "`client_id` again stores nothing twice and returns the stored pair (200)."
        ),
        request=AgentMessageRequestSerializer,
        responses={
            201: MessagePairSerializer,
            200: MessagePairSerializer,
            **{code: _ERRORS[code] for code in (400, 404, 409, 429, 503)},
        },
    )
    def post(self, request, pk):
        session = session_get_for_user(user=request.user, session_id=pk)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        posted = message_post_agent(
            session=session,
            content=body.validated_data["content"],
            client_id=body.validated_data.get("client_id"),
        )
        if not posted.awaiting_reply:
            pair = {"agent_message": posted.message, "customer_message": posted.reply}
            return EnvelopeResponse(MessagePairSerializer(pair).data, status=status.HTTP_200_OK)

        if posted.created:
            broadcast(session.pk, {"type": "message", "message": message_data(posted.message)})
        try:
            turn = customer_reply(session=session, reply_to=posted.message)
        except DomainError as error:
            # The trainee's words are stored; say which message is waiting for an answer.
            error.details = {**error.details, "agent_message_id": str(posted.message.pk)}
            raise
        if turn.message is not None:
            broadcast(session.pk, {"type": "customer.done", "message": message_data(turn.message)})
        if turn.status_changed or turn.message is None:
            frame = {"type": "session.status", "status": turn.status, "outcome": turn.outcome}
            broadcast(session.pk, frame)
        pair = {"agent_message": posted.message, "customer_message": turn.message}
        return EnvelopeResponse(
            MessagePairSerializer(pair).data,
            # A retried answer stores no new agent message: 200, as for any resend.
            status=status.HTTP_201_CREATED if posted.created else status.HTTP_200_OK,
            meta={"status": turn.status, "outcome": turn.outcome, "mood": turn.mood},
        )


class SessionCompleteView(generics.GenericAPIView):
    serializer_class = SessionSerializer

    @extend_schema(
        tags=["sessions"],
        summary="End the session; it is scored in the background",
        request=None,
        responses={202: SessionListSerializer, 404: _ERRORS[404], 409: _ERRORS[409]},
    )
    def post(self, request, pk):
        session = session_get_for_user(user=request.user, session_id=pk)
        session_end(session=session, by=request.user)
        session = session_get_for_user(user=request.user, session_id=pk)
        broadcast(session.pk, status_payload(session))
        return EnvelopeResponse(
            SessionListSerializer(session).data, status=status.HTTP_202_ACCEPTED
        )


class SessionHintView(APIView):
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "messages"

    @extend_schema(
        tags=["sessions"],
        summary="Your hints in this session",
        responses={200: HintSerializer(many=True), 404: _ERRORS[404]},
    )
    def get(self, request, pk):
        session = session_get_for_user(user=request.user, session_id=pk)
        given = session.hints.order_by("after_seq")
        return EnvelopeResponse(HintSerializer(given, many=True).data)

    @extend_schema(
        tags=["sessions"],
        summary="Ask for a hint: what is worth doing next",
        description=(
            f"Each hint takes {hints.XP_COST_PERCENT}% off the XP the session earns and is "
            f"listed in the report; a session allows {hints.LIMIT}. Asking again before "
            "anything new is said returns the same hint (200) and costs nothing more."
        ),
        request=None,
        responses={
            201: HintGivenSerializer,
            200: HintGivenSerializer,
            404: _ERRORS[404],
            409: OpenApiResponse(description="Session not active, or no hints left"),
        },
    )
    def post(self, request, pk):
        session = session_get_for_user(user=request.user, session_id=pk)
        given = session_hint(session=session)
        payload = hint_payload(given.hint, used=given.used)
        if given.created:
            broadcast(session.pk, payload)
        body = {key: value for key, value in payload.items() if key != "type"}
        return EnvelopeResponse(
            HintGivenSerializer(body).data,
            status=status.HTTP_201_CREATED if given.created else status.HTTP_200_OK,
        )


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


# --- Assignments ---------------------------------------------------------------------------------
#
# A team's assignments are its trainers' business: anyone else (a member, another trainer, a
# stranger) gets the same 404 `team_not_found` as for a team that does not exist, before the
# body is even read. What a trainee is set to practise is theirs, under /assignments/.


_NOT_YOUR_TEAM = documented_error(TeamNotFound, "No team of that id that you train.")

_INVALID_ASSIGNMENT = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "The body did not validate (`details` maps each field to its errors: an unknown or "
        "inactive scenario slug, a `min_score` outside 0–100, an `assignee_id` that is no member "
        "of the team), or the service refused it: `invalid_assignment` for a due date that is "
        "not in the future."
    ),
    examples=[
        OpenApiExample(
            AssignmentInvalid.code,
            value={
                "error": "The due date must be in the future.",
                "details": {"code": AssignmentInvalid.code},
            },
            response_only=True,
        ),
        OpenApiExample(
            "validation",
            value={
                "error": "Validation failed. scenarios: No active scenario with the slug nope.",
                "details": {"scenarios": ["No active scenario with the slug nope."]},
            },
            response_only=True,
        ),
    ],
)


class AssignmentListView(APIView):
    @extend_schema(
        tags=["sessions"],
        summary="What you are assigned to practise: not done first, soonest due first",
        description=(
            "One row per scenario of each assignment that names you, directly or through a team "
            "you are a member of. A scenario is `done` once you have a scored attempt at "
            "`min_score` or better that started after it was set; `overdue` when its date has "
            "passed first."
        ),
        responses={200: AssignedScenarioSerializer(many=True)},
    )
    def get(self, request):
        rows = assignments_for_trainee(user=request.user)
        return EnvelopeResponse(
            AssignedScenarioSerializer(rows, many=True).data, meta={"total": len(rows)}
        )


class TeamAssignmentListView(APIView):
    @extend_schema(
        tags=["sessions"],
        summary="A team's assignments with each person's progress (its trainers only)",
        description=(
            "Assignments to the whole team and to any one of its members, soonest due first. "
            "`people` are the members it names (everyone for a team assignment), each `done` "
            "once every scenario has a scored attempt at `min_score` or better since it was set."
        ),
        responses={200: TeamAssignmentSerializer(many=True), 404: _NOT_YOUR_TEAM},
    )
    def get(self, request, team_id):
        team = team_get_for_trainer(user=request.user, team_id=team_id)
        progress = assignments_of_team(team=team)
        return EnvelopeResponse(team_assignments_data(progress), meta={"total": len(progress)})

    @extend_schema(
        tags=["sessions"],
        summary="Set the team, or one of its members, scenarios to pass by a date",
        description=(
            "Its trainers only: anyone else gets 404 whatever the body. Omit `assignee_id` to "
            "assign to the whole team (members who join later are included). Everyone it names "
            "is told on their open pages, sees it on their dashboard and under "
            "`GET /api/v1/assignments/`, and gets an e-mail reminder a day before it is due "
            "unless done by then."
        ),
        request=AssignmentCreateSerializer,
        responses={201: TeamAssignmentSerializer, 400: _INVALID_ASSIGNMENT, 404: _NOT_YOUR_TEAM},
    )
    def post(self, request, team_id):
        # Who asks is settled before what they sent: a stranger's answer is 404 whatever the body.
        team = team_get_for_trainer(user=request.user, team_id=team_id)
        body = AssignmentCreateSerializer(data=request.data, context={"team": team})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignment = assignment_create(
            by=request.user,
            team=team,
            assignee=data["assignee"],
            scenarios=data["scenarios"],
            due_at=data["due_at"],
            min_score=data["min_score"],
        )
        [created] = team_assignments_data([assignment_progress(assignment=assignment)])
        return EnvelopeResponse(created, status=status.HTTP_201_CREATED)
