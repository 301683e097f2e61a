import uuid
import zoneinfo

import pytest
from django.utils import timezone

from sessions_app.api.serializers import MessageSerializer
from sessions_app.broadcast import message_data
from tests.factories import ChatMessageFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("client_id", [None, uuid.uuid4()])
def test_message_frames_are_the_serializer_shape(zone, client_id):
    message = ChatMessageFactory(role="agent", client_id=client_id, content="<b>Hi</b> ✓")
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        assert message_data(message) == MessageSerializer(message).data
