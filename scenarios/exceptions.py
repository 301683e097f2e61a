from config.errors import Conflict, NotFound


class ScenarioNotFound(NotFound):
    code = "scenario_not_found"
    default_message = "No such scenario."


class ScenarioLocked(Conflict):
    code = "scenario_locked"
    default_message = "Complete the prerequisite scenarios first."
