from django.contrib.auth import authenticate
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    TeamCreateSerializer,
    TeamDetailSerializer,
    TeamForMemberSerializer,
    TeamInvitationCreateSerializer,
    TeamInvitationSerializer,
    TeamJoinSerializer,
    TeamSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    team_for_member_data,
    team_for_trainer_data,
)
from accounts.exceptions import (
    InvitationExpired,
    InvitationNotFound,
    LastTrainer,
    NotATrainer,
    TeamNotFound,
)
from accounts.security import LOCKOUT_MESSAGE, axes_retry_after_seconds
from accounts.selectors import (
    is_trainer,
    team_get_for_member,
    team_get_for_trainer,
    team_trainers,
    teams_for_user,
)
from accounts.services import (
    api_token_issue,
    api_token_revoke,
    team_create,
    team_invitation_create,
    team_invitation_email,
    team_join,
    team_member_remove,
)
from core.renderers import EnvelopeResponse
from core.schema import documented_error
from core.throttling import ScopedRateThrottle


class TokenView(APIView):
    """Token issue is public by design: it is how a script logs in."""

    permission_classes = [AllowAny]
    authentication_classes = [TokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        tags=["accounts"],
        summary="Exchange email and password for an API token",
        request=TokenRequestSerializer,
        responses=TokenSerializer,
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            # axes flags the DRF request, which its middleware never sees: answer here.
            raise Throttled(wait=axes_retry_after_seconds(), detail=LOCKOUT_MESSAGE)
        if user is None or not user.is_active:
            raise AuthenticationFailed("Those credentials are not valid.")
        token = api_token_issue(user=user)
        return Response({"token": token.key})


class TokenRevokeView(APIView):
    @extend_schema(tags=["accounts"], summary="Revoke your API token", responses={204: None})
    def delete(self, request):
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Teams ---------------------------------------------------------------------------------------
#
# A team that is not the caller's answers 404 wherever they stand: a 403 would confirm that the
# id exists. Only creating a team is a 403, since it names no team.


_NO_TEAM = documented_error(TeamNotFound, "No team of that id that you train or belong to.")


class TeamListView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Your teams, with your role in each",
        responses={200: TeamSerializer(many=True)},
    )
    def get(self, request):
        teams = teams_for_user(user=request.user)
        return EnvelopeResponse(TeamSerializer(teams, many=True).data, meta={"total": len(teams)})

    @extend_schema(
        tags=["accounts"],
        summary="Create a team (trainers only); you become its first trainer",
        request=TeamCreateSerializer,
        responses={
            201: TeamDetailSerializer,
            403: documented_error(
                NotATrainer, "Only trainers create teams (and cookies need their CSRF token)."
            ),
        },
    )
    def post(self, request):
        # Who asks is settled before what they sent: a trainee gets 403, whatever the body.
        if not is_trainer(request.user):
            raise NotATrainer()
        body = TeamCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = team_create(trainer=request.user, name=body.validated_data["name"])
        team = team_get_for_trainer(user=request.user, team_id=team.pk)
        return EnvelopeResponse(team_for_trainer_data(team), status=status.HTTP_201_CREATED)


class TeamDetailView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="One team: its members for its trainers, its trainers' names for its members",
        description=(
            "A trainer of the team gets the counts and the members (with e-mail addresses); a "
            "member gets the team's name, their role and the trainers' display names only."
        ),
        responses={200: TeamDetailSerializer, 404: _NO_TEAM},
    )
    def get(self, request, team_id):
        try:
            team = team_get_for_trainer(user=request.user, team_id=team_id)
        except TeamNotFound:
            team = team_get_for_member(user=request.user, team_id=team_id)
            return EnvelopeResponse(team_for_member_data(team, trainers=team_trainers(team=team)))
        return EnvelopeResponse(team_for_trainer_data(team))


class TeamMemberView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Take someone off the team (its trainers only)",
        responses={
            204: None,
            404: documented_error(
                TeamNotFound, "No team of that id that you train, or no such member."
            ),
            409: documented_error(LastTrainer, "They are the team's last trainer."),
        },
    )
    def delete(self, request, team_id, user_id):
        # The service refuses anyone who does not train the team, with the same 404.
        team = team_get_for_member(user=request.user, team_id=team_id)
        team_member_remove(team=team, by=request.user, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamInvitationView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Make an invitation link (its trainers only); the link is shown only here",
        description="With `email`, the link is also e-mailed to that address.",
        request=TeamInvitationCreateSerializer,
        responses={
            201: TeamInvitationSerializer,
            404: documented_error(TeamNotFound, "No team of that id that you train."),
        },
    )
    def post(self, request, team_id):
        # A stranger's answer is 404 whatever the body; the service turns members away.
        team = team_get_for_member(user=request.user, team_id=team_id)
        body = TeamInvitationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        email = body.validated_data.get("email", "")
        invitation, token = team_invitation_create(team=team, by=request.user, email=email)
        url = request.build_absolute_uri(reverse("team-join", args=[token]))
        if email:
            team_invitation_email(invitation=invitation, url=url)
        link = {"url": url, "expires_at": invitation.expires_at, "emailed": bool(email)}
        return EnvelopeResponse(TeamInvitationSerializer(link).data, status=status.HTTP_201_CREATED)


class TeamJoinView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Join a team with the token of an invitation link",
        description="Joining twice changes nothing; a trainer of the team stays its trainer.",
        request=TeamJoinSerializer,
        responses={
            200: TeamForMemberSerializer,
            404: documented_error(InvitationNotFound, "No invitation with that token."),
            409: documented_error(
                InvitationExpired, "The invitation has expired or was withdrawn."
            ),
        },
    )
    def post(self, request):
        body = TeamJoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = team_join(user=request.user, token=body.validated_data["token"])
        team = team_get_for_member(user=request.user, team_id=team.pk)
        return EnvelopeResponse(team_for_member_data(team, trainers=team_trainers(team=team)))
