"""The success envelope, kept apart from core.api: DRF imports renderers while loading its
own views module, so this file must not import rest_framework.views."""

from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class EnvelopeResponse(Response):
    """A success response that carries `meta` beside its data."""

    def __init__(self, data=None, *, meta=None, **kwargs):
        super().__init__(data, **kwargs)
        self.meta = meta


class EnvelopeJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            return super().render(data, accepted_media_type, renderer_context)
        if response is not None and response.status_code == 204:
            return b""
        body = {"success": True, "data": data}
        meta = getattr(response, "meta", None)
        if meta is not None:
            body["meta"] = meta
        return super().render(body, accepted_media_type, renderer_context)
