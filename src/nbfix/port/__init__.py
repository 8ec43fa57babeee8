"""`nbfix port`: rewrite a pybind11 project to nanobind, side by side (the C++ sources, the build
files, the Python code that uses the bindings), then lint the result with the other rules."""
