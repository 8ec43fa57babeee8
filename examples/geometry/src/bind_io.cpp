// Scene files. Split out of bind_geometry.cpp to keep compile times down.
#include <nanobind/nanobind.h>

#include "geometry.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace geo {
Scene load_scene(const std::string &path);
void save_scene(const Scene &scene, const std::string &path);
std::vector<std::string> supported_formats();
}  // namespace geo

void bind_io(nb::module_ &io) {
    io.def("load", &geo::load_scene, "path"_a, R"doc(
        Load a scene from `path`. The format is taken from the file extension.
    )doc");
    io.def("save", &geo::save_scene, "scene"_a, "path"_a);
    io.def("formats", &geo::supported_formats);
}
