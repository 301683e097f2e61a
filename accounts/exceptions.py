from core.errors import Conflict, Forbidden, NotFound


class TeamNotFound(NotFound):
    code = "team_not_found"
    default_message = "No such team."


class NotATrainer(Forbidden):
    code = "not_a_trainer"
    default_message = "Only trainers can do that."


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = "This invitation link is not valid. Ask your trainer for a new one."


class InvitationExpired(Conflict):
    code = "invitation_expired"
    default_message = (
        "This invitation has expired or was withdrawn. Ask your trainer for a new one."
    )


class LastTrainer(Conflict):
    code = "last_trainer"
    default_message = "A team needs at least one trainer."
