"""The real URLconf plus one API view that fails, to see how a bug is answered and logged."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from config.urls import urlpatterns as real_urlpatterns


class ExplodingView(APIView):
    @extend_schema(exclude=True)
    def get(self, request):
        raise ZeroDivisionError("secret internals: do not show this to the client")


urlpatterns = [path("api/v1/__explode__/", ExplodingView.as_view()), *real_urlpatterns]
