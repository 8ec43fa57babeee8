"""The binding model: dialects, owners, callables, annotations, declarations."""

from __future__ import annotations

from nbfix.cpp.parsing import parse
from nbfix.model.bindings import ClassBinding, ModuleBinding
from nbfix.model.builder import build_model


def model(source: str):
    content = source.encode()
    return build_model(parse(content), content)


def by_name(m, name):
    return next(b for b in m.bindings if b.python_name == name)


def test_dialects_and_aliases():
    assert model("#include <nanobind/nanobind.h>\nnamespace nb = nanobind;\n").dialect.prefix == "nb::"
    custom = model("#include <nanobind/nanobind.h>\nnamespace bind = nanobind;\nbind::class_<A> a(m, \"A\");")
    assert custom.dialect.name == "nanobind" and "bind" in custom.dialect.namespaces
    assert custom.dialect.prefix == "bind::"
    py = model("#include <pybind11/pybind11.h>\nnamespace py = pybind11;\nPYBIND11_MODULE(x, m) {}")
    assert py.dialect.name == "pybind11" and py.dialect.policy("reference") == "py::return_value_policy::reference"
    qualified = model("NB_MODULE(x, m) { nanobind::class_<A>(m, \"A\"); }")
    assert qualified.dialect.prefix == "nanobind::"


SOURCE = r'''
#include <nanobind/nanobind.h>
namespace nb = nanobind;
using namespace nb::literals;
struct P { C *c(); int n() const; };
void helper(nb::module_ &mod, nb::class_<P> &pc) {
    mod.def("free", &free_fn, nb::rv_policy::reference);
    pc.def("via_param", &P::c);
    nb::module_ sub = mod.def_submodule("sub");
    sub.def("in_sub", &free_fn);
}
NB_MODULE(ext, m) {
    nb::class_<P>(m, "P", R"(doc)")
        .def(nb::init<>())
        .def("c", &P::c, "i"_a, nb::arg("j") = 2, nb::rv_policy::reference, nb::keep_alive<0, 1>(),
             nb::call_guard<nb::gil_scoped_release>(), "docs", nb::kw_only(), nb::sig("def c(self)"))
        .def_static("make", []() { return P(); })
        .def("lam", [](const P &self, int k) -> const C & { return *self.c(); })
        .def("__init__", [](P *self) { new (self) P(); });
    auto q = nb::class_<Q>(m, "Q").def("first", &Q::first);
    q.def("second", &Q::second);
    nb::class_<R> r(m, "R");
    r.def_prop_rw("x", &R::get, &R::set, nb::for_getter(nb::rv_policy::reference));
    m.def("top", &top);
}
'''


def test_owners_chain_variable_parameter_and_modules():
    m = model(SOURCE)
    assert isinstance(by_name(m, "free").owner, ModuleBinding)
    assert by_name(m, "in_sub").owner == ModuleBinding(None, "sub")
    assert isinstance(by_name(m, "top").owner, ModuleBinding)
    via_param = by_name(m, "via_param").owner
    assert isinstance(via_param, ClassBinding) and via_param.cpp_type == "P" and via_param.python_name is None
    for name, cpp_type, python_name in [("c", "P", "P"), ("first", "Q", "Q"), ("second", "Q", "Q"), ("x", "R", "R")]:
        owner = by_name(m, name).owner
        assert isinstance(owner, ClassBinding)
        assert (owner.cpp_type, owner.python_name) == (cpp_type, python_name)
    assert by_name(m, "first").owner is by_name(m, "second").owner
    assert by_name(m, "second").owner.variable == "q"


def test_method_classification():
    m = model(SOURCE)
    assert by_name(m, "c").is_method and by_name(m, "lam").is_method and by_name(m, "x").is_method
    assert not by_name(m, "make").is_method
    assert not by_name(m, "__init__").is_method
    assert not by_name(m, "free").is_method and by_name(m, "free").is_module_function
    init = next(b for b in m.bindings if b.python_name is None and b.method == "def")
    assert init.callable.kind == "init" and not init.is_method


def test_callables_and_annotations():
    m = model(SOURCE)
    c = by_name(m, "c")
    assert (c.callable.kind, c.callable.name, c.callable.scope) == ("member_pointer", "P::c", "P")
    kinds = [e.kind for e in c.extras]
    assert kinds == ["arg", "arg", "policy", "keep_alive", "call_guard", "doc", "kw_only", "sig"]
    assert [e.value for e in c.extras_of("arg")] == ["i", "j"]
    assert c.policy.value == "reference" and c.keeps_alive(0, 1)
    lam = by_name(m, "lam")
    assert lam.callable.kind == "lambda" and lam.callable.declared_return == "const C &"
    assert [(p.type, p.name) for p in lam.callable.params] == [("const P&", "self"), ("int", "k")]
    x = by_name(m, "x")
    assert len(x.callables) == 2 and x.policy.value == "reference" and x.policy.side == "getter"


def test_declarations_make_return_types_visible():
    m = model(SOURCE)
    assert m.return_types(by_name(m, "c")) == ["C*"]
    assert m.returns_value_only(by_name(m, "c")) is False
    n = model("struct P { int n() const; std::vector<C*> v(); };\nNB_MODULE(e, m) {"
              " nb::class_<P>(m, \"P\").def(\"n\", &P::n).def(\"v\", &P::v); }")
    assert m.returns_value_only(by_name(n, "n"))
    assert not n.returns_value_only(by_name(n, "v"))


def test_bindings_in_raw_string_docstrings_are_not_bindings():
    m = model('NB_MODULE(e, m) { nb::class_<P>(m, "P", R"(.def("ghost", &P::g))"); }')
    assert m.bindings == []


def test_bindings_come_in_source_order_even_inside_chains():
    m = model(SOURCE)
    names = [b.python_name for b in m.bindings]
    assert names[:5] == ["free", "via_param", "in_sub", None, "c"]  # None: the init
    assert names.index("make") < names.index("lam") < names.index("__init__") < names.index("first")


def test_exchanged_types_cover_params_results_init_and_fields():
    m = model(
        "struct P { std::vector<std::string> names(const std::map<int, float> &m) const; std::optional<int> o; };\n"
        "NB_MODULE(e, m) { nb::class_<P>(m, \"P\")"
        ".def(nb::init<std::string, std::function<void(int)>>())"
        ".def(\"names\", &P::names).def_rw(\"o\", &P::o)"
        ".def(\"l\", [](P &p, std::complex<double> c) -> std::filesystem::path { return {}; }); }"
    )
    assert [m.exchanged_types(b) for b in m.bindings] == [
        ["std::string", "std::function<void(int)>"],
        ["std::vector<std::string>", "const std::map<int, float>&"],
        ["std::optional<int>"],
        ["P&", "std::complex<double>", "std::filesystem::path"],
    ]


def test_extension_modules_finds_what_the_pattern_finds():
    """`extension_modules` tries the module-macro pattern only where `_MODULE` is: the names must
    be those a scan of the whole text finds, on every fixture and example and on awkward text."""
    from pathlib import Path

    from nbfix.model.facts import _EXTENSION, extension_modules

    root = Path(__file__).resolve().parent.parent
    texts = [p.read_bytes() for folder in ("fixtures", "examples") for p in sorted((root / folder).rglob("*"))
             if p.suffix in (".cpp", ".cc", ".h", ".hpp")]
    texts += [
        b"NB_MODULE(a, m) {}\nPYBIND11_MODULE(b, m) {}", b"NB_MODULE (\n  spaced , m)", b"XNB_MODULE(no, m)",
        b"MY_NB_MODULE(no, m)", b"PYBIND11_MODULE(PYBIND11_MODULE(x, m)", b"NB_MODULE(NB_MODULE(y, m)",
        b"_MODULE(z)", b"B_MODULE(z)", b"NB_MODULE", b"NB_MODULEX(q, m)", b"/* NB_MODULE(c, m) */ NB_MODULE(d, m)",
    ]
    assert len(texts) > 20
    for text in texts:
        assert extension_modules(text) == {m[1].decode() for m in _EXTENSION.finditer(text)}, text[:80]
    assert extension_modules(b"PYBIND11_MODULE(PYBIND11_MODULE(x, m)") == {"PYBIND11_MODULE"}
    assert sum(1 for text in texts if extension_modules(text)) > 10  # the files really define modules


def test_a_variable_made_with_parentheses_from_other_variables_has_its_declared_type():
    # tree-sitter reads `T word(text);` as a function declaration; in a body it is a variable.
    source = """
void f(const std::string &text, int n) {
    std::string_view word(text);
    std::vector<int> sizes(n, 0);
    int helper(int);
    use(word, sizes, helper);
}
"""
    m = model(source)
    at = m.tree.root_node.descendant_for_byte_range(source.index("use(") + 4, source.index("use(") + 8)
    assert m.declared_type("word", at) == "std::string_view"
    assert m.declared_type("sizes", at) == "std::vector<int>"
    assert m.declared_type("helper", at) is None  # a local function declaration stays one


def test_auto_locals_and_range_variables_take_the_type_their_source_is_declared_with():
    source = """
struct Vocab { const std::vector<std::string> &words() const; int size() const; long size(int) const; };
void f(const Vocab &vocab, const std::vector<int> &counts) {
    const auto &words = vocab.words();
    auto n = vocab.size();
    for (const auto &word : words) {
        for (auto count : counts) {
            for (const std::string_view part : words) use(word, count, part, n);
        }
    }
}
"""
    m = model(source)
    at = m.tree.root_node.descendant_for_byte_range(source.index("use(") + 4, source.index("use(") + 8)
    assert m.value_type("words", at) == "const std::vector<std::string>&"  # as the index spells it
    assert m.value_type("word", at) == "std::string"
    assert m.value_type("count", at) == "int"
    assert m.value_type("part", at) == "std::string_view"  # the loop's written type (qualifiers aside)
    assert m.value_type("n", at) is None  # `size`'s overloads return different types: which is not read
    assert m.declared_type("word", at) is None  # the declared type stays what was written
