"""A session's life as the apps above sessions_app hear of it. Those apps are never imported
from below (the layers in pyproject.toml), so an effect such as scoring or an XP award follows
from a signal they connect to.

    session_ended   sessions_app, after commit  ->  performance enqueues the scoring
    session_scored  performance, in its scoring transaction  ->  gamification awards XP
    session_rescored  performance, in a review's transaction  ->  gamification corrects the XP
    assignment_created  sessions_app, in its transaction  ->  overview refreshes what is unlocked
"""

from django.dispatch import Signal

#: A session moved to `scoring` and that change is committed. Sent with `session_id`.
session_ended = Signal()

#: A session was scored. Sent with `session` inside the scoring transaction, so what receivers
#: write (the XP award) commits or rolls back with the score.
session_scored = Signal()

#: A reviewer changed a scored session's total. Sent with `session` inside the review's
#: transaction.
session_rescored = Signal()

#: An assignment was set. Sent with `assignment` and `user_ids` (the people it names) inside
#: the transaction that saves it.
assignment_created = Signal()
