from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import ChatMessage, SessionStatus
from tests.factories import UserSessionFactory


@pytest.fixture
def make_session(db):
    """A session of `user` at `scenario` holding `turns` ([(role, content)…]) one minute apart,
    in `status` (default `scoring`, i.e. ended and waiting for the scorer)."""

    def make(
        *,
        user,
        scenario,
        turns,
        outcome="resolved",
        status=SessionStatus.SCORING,
        is_preview=False,
        started_at=None,
        **fields,
    ):
        started_at = started_at or timezone.now() - timedelta(minutes=len(turns) + 1)
        session = UserSessionFactory(
            user=user,
            scenario=scenario,
            status=status,
            outcome=outcome,
            is_preview=is_preview,
            started_at=started_at,
            ended_at=started_at + timedelta(minutes=len(turns)),
            **fields,
        )
        ChatMessage.objects.bulk_create(
            ChatMessage(
                session=session,
                seq=index + 1,
                role=role,
                content=content,
                created_at=started_at + timedelta(minutes=index),
            )
            for index, (role, content) in enumerate(turns)
        )
        return session

    return make
