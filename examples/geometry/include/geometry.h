#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace geo {

struct Point {
    double x = 0, y = 0;
};

class Shape {
public:
    explicit Shape(std::string name) : name_(std::move(name)) {}
    virtual ~Shape() = default;
    virtual double area() const = 0;
    const std::string &name() const { return name_; }
    Point &anchor() { return anchor_; }

private:
    std::string name_;
    Point anchor_;
};

class Circle : public Shape {
public:
    Circle(std::string name, double r) : Shape(std::move(name)), radius(r) {}
    double area() const override { return 3.14159265358979 * radius * radius; }
    double radius;
};

class Layer {
public:
    explicit Layer(std::string name) : name_(std::move(name)) {}
    Layer(const Layer &) = delete;
    Layer &operator=(const Layer &) = delete;
    Circle *add_circle(const std::string &name, double r);
    Shape *shape(size_t i) { return shapes_.at(i).get(); }
    std::vector<Shape *> shapes() const;
    size_t size() const { return shapes_.size(); }
    const std::string &name() const { return name_; }

private:
    std::string name_;
    std::vector<std::unique_ptr<Shape>> shapes_;
};

class Scene {
public:
    Scene() = default;
    Scene(const Scene &) = delete;
    Scene &operator=(const Scene &) = delete;
    Layer &layer(const std::string &name);
    const std::map<std::string, Layer *> &layers() const { return index_; }
    Layer *background() { return &background_; }
    double total_area() const;
    std::vector<std::string> layer_names() const;

private:
    Layer background_{"background"};
    std::vector<std::unique_ptr<Layer>> layers_;
    std::map<std::string, Layer *> index_;
};

Scene &default_scene();

}  // namespace geo
