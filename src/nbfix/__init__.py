"""nbfix: find and fix defects in nanobind and pybind11 bindings."""

__version__ = "0.1.0"
