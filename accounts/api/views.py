from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    TokenRequestSerializer,
    TokenSerializer,
)
from accounts.security import LOCKOUT_MESSAGE, axes_retry_after_seconds
from accounts.services import api_token_issue, api_token_revoke
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
