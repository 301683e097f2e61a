from core.errors import Conflict, DomainError, NotFound


class ScenarioNotFound(NotFound):
    code = "scenario_not_found"
    default_message = "No such scenario."


class ScenarioLocked(Conflict):
    code = "scenario_locked"
    default_message = "Complete the prerequisite scenarios first."


class ScenarioImportError(DomainError):
    """A set of scenario files that cannot be imported; nothing of it was saved."""

    code = "scenario_import_invalid"
    default_message = "The scenario files are invalid; nothing was imported."

    def __init__(self, problems: list, message: str | None = None):
        self.problems = problems
        super().__init__(message, problems=[str(problem) for problem in problems])

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems) or self.message
