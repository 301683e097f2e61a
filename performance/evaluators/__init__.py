"""Built-in evaluators; each module registers its classes with `performance.registry`."""
