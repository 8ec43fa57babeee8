"""The rule API: what a rule plugin imports (`from nbfix.rules import Rule, Context, ...`)."""

from nbfix.core.findings import Edit, Finding, Fix, Priority, PythonMove, Safety
from nbfix.rules.porting import TARGET_VERSION, PortContext, PortedFile, PortRule
from nbfix.rules.rule import Context, Option, Rule

__all__ = [
    "Context", "Edit", "Finding", "Fix", "Option", "PortContext", "PortRule", "PortedFile", "Priority", "PythonMove",
    "Rule", "Safety", "TARGET_VERSION",
]
