"""nbfix's built-in rules. Each module is one rule; each registers in the `nbfix.transforms`
entry-point group (see pyproject.toml), exactly as a third-party rule package would."""
