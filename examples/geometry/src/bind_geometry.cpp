// Python bindings for the geometry library (nanobind).
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "geometry.h"

namespace nb = nanobind;
using namespace nb::literals;

// Every shape exposes the same read-only basics.
#define BIND_SHAPE_BASICS(cls)                                      \
    cls.def_prop_ro("name", &geo::Shape::name)                      \
        .def("area", &geo::Shape::area, "Area in square units.")

void bind_io(nb::module_ &m);

// Accepts any Python list of (x, y) pairs.
static std::vector<geo::Point> to_points(nb::list pairs) {
    std::vector<geo::Point> points;
    for (nb::handle pair : pairs) {
        auto xy = nb::cast<std::pair<double, double>>(pair);
        points.push_back(geo::Point{xy.first, xy.second});
    }
    return points;
}

static void bind_shapes(nb::module_ &m) {
    nb::class_<geo::Point>(m, "Point")
        .def(nb::init<>())
        .def_rw("x", &geo::Point::x)
        .def_rw("y", &geo::Point::y);

    auto shape = nb::class_<geo::Shape>(m, "Shape", R"doc(
        Base class of everything drawable.

        Shapes are owned by their layer: never keep one longer than the layer.
    )doc");
    BIND_SHAPE_BASICS(shape);
    shape.def("anchor", &geo::Shape::anchor, nb::rv_policy::reference);

    nb::class_<geo::Circle, geo::Shape>(m, "Circle")
        .def_rw("radius", &geo::Circle::radius);
}

NB_MODULE(geometry, m) {
    m.doc() = "2D scenes made of layers of shapes.";
    bind_shapes(m);
    nb::module_ io = m.def_submodule("io", "Reading and writing scenes.");
    bind_io(io);

    nb::class_<geo::Layer>(m, "Layer")
        .def(nb::init<std::string>(), "name"_a)
        .def("add_circle", &geo::Layer::add_circle, "name"_a, "radius"_a,
             nb::rv_policy::reference)
        .def("shape", &geo::Layer::shape, "i"_a, nb::rv_policy::reference)
        .def("shapes", &geo::Layer::shapes, nb::rv_policy::reference)
        .def("__len__", &geo::Layer::size)
        .def_prop_ro("name", &geo::Layer::name);

    nb::class_<geo::Scene> scene(m, "Scene");
    scene.def(nb::init<>())
        .def("layer", &geo::Scene::layer, "name"_a, nb::rv_policy::reference_internal)
        .def("layers", &geo::Scene::layers, nb::rv_policy::reference)
        .def("background", [](geo::Scene &self) -> geo::Layer * { return self.background(); },
             nb::rv_policy::reference)
        .def("total_area", [](const geo::Scene &self) {
            nb::gil_scoped_release release;  // may take a while on big scenes
            return self.total_area();
        }, nb::call_guard<nb::gil_scoped_release>())
        .def("layer_names", &geo::Scene::layer_names, nb::keep_alive<0, 1>());

    // The default scene is a global: `reference` is right for a module function.
    m.def("default_scene", &geo::default_scene, nb::rv_policy::reference);
    m.def("centroid", [](nb::list pairs) {
        auto points = to_points(pairs);
        geo::Point c;
        for (auto &p : points) { c.x += p.x / points.size(); c.y += p.y / points.size(); }
        return c;
    }, "pairs"_a);
}
