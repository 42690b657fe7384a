// lamina._lamina.Substrate: the agent substrate (bridges/substrate.hpp) for Python. Observations,
// idle periods and saves release the GIL; triggers come back as dicts (and through a callback).
#include "lamina/bridges/embeddings.hpp"
#include "lamina/bridges/substrate.hpp"
#include "lamina/compose/substrate_file.hpp"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fstream>
#include <sstream>

namespace py = pybind11;
using lamina::bridges::substrate;

namespace {

py::dict trigger_dict(const lamina::bridges::trigger_event& e) {
    py::dict d;
    d["time_ms"] = e.time_ms;
    d["layer"] = e.layer;
    d["strength"] = e.strength;
    d["labels"] = e.labels;
    d["strengths"] = e.strengths;
    return d;
}

py::list association_list(const std::vector<lamina::bridges::association>& a) {
    py::list l;
    for (const auto& x : a) l.append(py::make_tuple(x.label, x.strength));
    return l;
}

std::vector<double> to_vector(const py::array_t<double, py::array::c_style | py::array::forcecast>& a) {
    if (a.ndim() != 1) throw py::value_error("an embedding is a one-dimensional array");
    return {a.data(), a.data() + a.size()};
}

std::unique_ptr<substrate> make(const std::string& model, const std::string& preset) {
    std::string text = "[substrate]\npreset = \"" + preset + "\"\n";
    if (!model.empty()) {
        std::ifstream in(model, std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        text = ss.str();
        return std::make_unique<substrate>(lamina::compose::load_substrate_file(model), text);
    }
    return std::make_unique<substrate>(lamina::compose::parse_substrate_text(text, "<preset>"), text);
}

} // namespace

void bind_substrate(py::module_& m) {
    py::class_<substrate>(m, "Substrate", "the agent substrate (docs/substrate.md)")
        .def(py::init(&make), py::arg("model") = "", py::arg("preset") = "default",
             "a substrate from a model file with a [substrate] section, or from a preset (\"default\", \"small\")")
        .def_static(
            "from_state",
            [](const std::string& path) {
                const auto text = substrate::saved_model_text(path);
                auto s = std::make_unique<substrate>(lamina::compose::parse_substrate_text(text, path), text);
                s->load(path);
                return s;
            },
            py::arg("path"), "a substrate restored from a save(), without its model file")
        .def(
            "load_words",
            [](substrate& s, const std::string& path, std::size_t max_words) {
                lamina::bridges::load_options o;
                o.max_words = max_words;
                const std::string p = path.empty() ? lamina::bridges::default_wink_path() : path;
                s.set_text_embedder(std::make_shared<lamina::bridges::text_embedder>(lamina::bridges::load_embeddings(p, o)));
            },
            py::arg("path") = "", py::arg("max_words") = 0, "word vectors for text (default: the wink GloVe vectors)")
        .def(
            "observe",
            [](substrate& s, py::object item, std::vector<std::string> labels, double duration_ms) {
                if (item.is_none()) {
                    py::gil_scoped_release g;
                    s.observe({}, labels, duration_ms);
                } else if (py::isinstance<py::str>(item)) {
                    const auto text = item.cast<std::string>();
                    py::gil_scoped_release g;
                    s.observe_text(text, labels, duration_ms);
                } else {
                    const auto e = to_vector(item.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>());
                    py::gil_scoped_release g;
                    s.observe(e, labels, duration_ms);
                }
            },
            py::arg("item"), py::arg("labels") = std::vector<std::string>{}, py::arg("duration_ms") = 100.0,
            "present a text (str), an embedding (array) or None (labels only)")
        .def("reward", &substrate::reward, py::arg("value"))
        .def(
            "idle",
            [](substrate& s, double ms) {
                std::vector<lamina::bridges::trigger_event> ev;
                {
                    py::gil_scoped_release g;
                    ev = s.idle(ms);
                }
                py::list l;
                for (const auto& e : ev) l.append(trigger_dict(e));
                return l;
            },
            py::arg("duration_ms"), "run without input; returns the trigger events")
        .def(
            "set_trigger_callback",
            [](substrate& s, py::object cb) {
                if (cb.is_none()) return s.set_trigger_callback({});
                s.set_trigger_callback([cb](const lamina::bridges::trigger_event& e) {
                    py::gil_scoped_acquire g;
                    cb(trigger_dict(e));
                });
            },
            py::arg("callback"))
        .def(
            "associations",
            [](const substrate& s, py::object cue, std::size_t k) {
                if (py::isinstance<py::str>(cue)) {
                    const auto text = cue.cast<std::string>();
                    if (s.labels().find(text)) return association_list(s.associations(text, k));
                    return association_list(s.associations_text(text, k));
                }
                const auto e = to_vector(cue.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>());
                return association_list(s.associations(e, k));
            },
            py::arg("cue"), py::arg("k") = 3,
            "[(label, strength)] for a label, a text (when it is not a label) or an embedding")
        .def_property("learning", &substrate::learning, &substrate::set_learning)
        .def(
            "save",
            [](substrate& s, const std::string& p) {
                py::gil_scoped_release g;
                s.save(p);
            },
            py::arg("path"))
        .def(
            "load",
            [](substrate& s, const std::string& p) {
                py::gil_scoped_release g;
                s.load(p);
            },
            py::arg("path"))
        .def_property_readonly("time_ms", &substrate::time_ms)
        .def_property_readonly("labels", [](const substrate& s) {
            std::vector<std::string> l;
            for (std::size_t a = 0; a < s.labels().size(); ++a) l.push_back(s.labels().label_of(a));
            return l;
        })
        .def("stats", [](const substrate& s) {
            const auto st = s.stats();
            py::dict d, rates;
            d["time_ms"] = st.time_ms;
            d["neurons"] = st.neurons;
            d["synapses"] = st.synapses;
            d["labels"] = st.labels;
            d["observations"] = st.observations;
            d["rewards"] = st.rewards;
            d["replays"] = st.replays;
            d["triggers"] = st.triggers;
            for (const auto& r : st.rates) rates[py::str(r.population)] = r.rate_hz;
            d["rates_hz"] = rates;
            d["mean_lateral_mV"] = st.mean_lateral_mV;
            d["max_lateral_mV"] = st.max_lateral_mV;
            d["memory_bytes"] = st.memory_bytes;
            d["learning"] = st.learning;
            return d;
        });
}
