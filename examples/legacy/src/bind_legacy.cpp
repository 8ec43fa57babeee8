// An older module still on pybind11.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

struct Sensor {
    double value() const { return 21.5; }
    double *calibration() { return &calibration_; }
    double calibration_ = 1.0;
};

struct Station {
    Sensor &sensor(int i) { return sensors[i]; }
    Sensor sensors[4];
};

PYBIND11_MODULE(legacy, m) {
    py::class_<Sensor>(m, "Sensor")
        .def("value", &Sensor::value);

    py::class_<Station>(m, "Station")
        .def(py::init<>())
        .def("sensor", &Station::sensor, py::arg("i"), py::return_value_policy::reference);
}
