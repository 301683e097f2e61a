from core.errors import Conflict, DomainError, LimitExceeded, NotFound


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_message = "No such session."


class SessionNotActive(Conflict):
    code = "session_not_active"
    default_message = "This session has ended; start a new one to keep practising."


class TooManyActiveSessions(LimitExceeded):
    status = 409
    code = "too_many_active_sessions"
    default_message = "You have too many sessions open. Finish or end one first."


class MessageInvalid(DomainError):
    code = "invalid_message"
    default_message = "That message cannot be sent."


class MessageEmpty(MessageInvalid):
    code = "empty"
    default_message = "Type a message before sending."


class MessageTooLong(MessageInvalid):
    code = "too_long"
    default_message = "Messages are limited to 4000 characters."


class TurnLimitReached(Conflict):
    code = "turn_limit"
    default_message = "This conversation has reached its message limit. End it to get your report."


class EngineBusy(Conflict):
    """Another tab (or process) is already waiting for the customer's answer in this session."""

    code = "busy"
    default_message = (
        "The customer is still answering your previous message. Your message is saved; "
        "wait for the reply before sending another."
    )


class RateLimited(LimitExceeded):
    code = "rate_limited"
    default_message = "You are sending messages too fast. Wait a moment and try again."


class HintLimitReached(LimitExceeded):
    status = 409
    code = "hint_limit"
    default_message = "You have used every hint this session allows. You can do the rest!"
