from config.errors import Conflict, DomainError, LimitExceeded, NotFound


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
