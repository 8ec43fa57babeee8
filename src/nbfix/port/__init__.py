"""`nbfix port`: rewrite a pybind11 project to nanobind, side by side (C++ here; build files and
Python code plug in as further sides), then lint the result with the other rules."""
