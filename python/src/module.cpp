// lamina._lamina: the engine (sim::network) for Python. The pure-Python package `lamina`
// (python/lamina/) builds model descriptions and wraps this module; here live only what needs C++:
// the network's methods with numpy in and out, the run loop without the GIL and with Ctrl-C, and
// the translation of lamina's exceptions.
#include "compose.hpp"

#include "lamina/sim/checkpoint.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/network.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace py = pybind11;
using lamina::sim::network;

namespace {

// numpy arrays ---------------------------------------------------------------------------------

// Hands a vector to numpy without copying: the array owns it through a capsule.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
    auto* owned = new std::vector<T>(std::move(v));
    py::capsule free_it(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>({owned->size()}, {sizeof(T)}, owned->data(), free_it);
}
template <class T>
py::array_t<T> copy_to_numpy(const std::vector<T>& v) {
    return to_numpy(std::vector<T>(v));
}

using index_array = py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>;
using double_array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using float_array = py::array_t<float, py::array::c_style | py::array::forcecast>;

template <class T>
std::span<const T> view(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
    if (a.ndim() > 1) throw py::value_error("expected a one-dimensional array");
    return {a.data(), static_cast<std::size_t>(a.size())};
}
template <class T>
std::vector<T> to_vector(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
    auto s = view(a);
    return {s.begin(), s.end()};
}

py::dict spikes_dict(const lamina::sim::spike_record& r) {
    py::dict d;
    d["times"] = copy_to_numpy(r.times_ms);
    d["neurons"] = copy_to_numpy(r.neurons);
    return d;
}

// Ctrl-C during a run ---------------------------------------------------------------------------
// Python's own SIGINT handler only sets a flag that the interpreter looks at between bytecodes,
// which it does not execute while the engine runs without the GIL. So a C handler sits in front
// of Python's: during a run from the main thread it asks the engine to stop at the next window
// boundary (request_stop is async-signal-safe) and the run raises KeyboardInterrupt, with the
// network consistent and able to run on; outside runs it hands the signal to Python's handler, so
// Ctrl-C behaves as before. It is installed once rather than around every run because changing a
// handler is a system call (about 1.2 us here, a third of a 1 ms W1 run's overhead from Python).
std::atomic<network*> running{nullptr};
volatile std::sig_atomic_t interrupted = 0;
struct sigaction python_sigint = {};  // what the handler forwards to outside runs
py::object python_handler;            // Python's SIGINT handler object when it was installed
py::object getsignal;

extern "C" void on_sigint(int sig, siginfo_t* info, void* context) {
    if (network* n = running.load()) {
        interrupted = 1;
        n->request_stop();
    } else if (python_sigint.sa_flags & SA_SIGINFO) {
        python_sigint.sa_sigaction(sig, info, context);
    } else if (python_sigint.sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL);
        raise(sig);
    } else if (python_sigint.sa_handler != SIG_IGN) {
        python_sigint.sa_handler(sig);
    }
}

// Puts the handler in front of the current one; again after Python code changed the handler
// (signal.signal() replaces the one in front).
void install_sigint_handler() {
    py::object current = getsignal(SIGINT);
    if (python_handler && current.is(python_handler)) return;
    struct sigaction ours = {}, previous = {};
    ours.sa_sigaction = on_sigint;
    ours.sa_flags = SA_SIGINFO;
    sigemptyset(&ours.sa_mask);
    sigaction(SIGINT, &ours, &previous);
    if (!((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction == on_sigint)) python_sigint = previous;
    python_handler = current;
}

// Python handles signals in its main thread only; its id is taken once.
unsigned long main_thread_id = 0;

void run_steps(network& net, std::int64_t steps) {
    if (steps < 0) throw py::value_error("run: the number of steps must be >= 0, got " + std::to_string(steps));
    if (PyThread_get_thread_ident() != main_thread_id) {
        py::gil_scoped_release unlocked;
        net.run_steps(steps);
        return;
    }
    install_sigint_handler();
    interrupted = 0;
    running.store(&net);
    struct done {
        ~done() { running.store(nullptr); }
    } guard;
    {
        py::gil_scoped_release unlocked;
        net.run_steps(steps);
    }
    if (interrupted) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        throw py::error_already_set();
    }
}

std::int64_t steps_of(const network& net, double duration_ms) {
    if (!(duration_ms >= 0.0) || !std::isfinite(duration_ms))
        throw py::value_error("run: the duration must be a finite time >= 0 ms, got " + std::to_string(duration_ms));
    return std::llround(duration_ms / net.config().dt_ms);
}

// Bindings --------------------------------------------------------------------------------------

void bind_network(py::module_& m) {
    py::class_<network> c(m, "Engine", "A lamina network (sim::network); made by network_from_text.");
    c.def_property_readonly("dt", [](const network& n) { return n.config().dt_ms; })
        .def_property_readonly("seed", [](const network& n) { return n.config().seed; })
        .def_property_readonly("threads", &network::threads)
        .def_property_readonly("built", &network::built)
        .def_property_readonly("step", &network::current_step)
        .def_property_readonly("time", &network::current_time_ms)
        .def_property_readonly("description", &network::description)
        .def_property_readonly("description_origin", &network::description_origin)
        .def("set_description", &network::set_description)
        .def("build", [](network& n) {
            py::gil_scoped_release unlocked;
            n.build();
        })
        .def("run", [](network& n, double ms) { run_steps(n, steps_of(n, ms)); }, py::arg("ms"))
        .def("run_steps", &run_steps, py::arg("steps"))
        .def_property_readonly("stopped_early", &network::stopped_early)
        .def_property_readonly("synaptic_events", &network::synaptic_events)
        .def_property_readonly("spike_counts", [](const network& n) { return copy_to_numpy(n.spike_counts()); })
        .def("build_statistics", [](const network& n) {
            const auto& s = n.statistics();
            py::dict d;
            d["build_seconds"] = s.build_seconds;
            d["neurons"] = s.neurons;
            d["synapses"] = s.synapses;
            d["synapse_bytes"] = s.synapse_bytes;
            d["state_bytes"] = s.state_bytes;
            d["plasticity_bytes"] = s.plasticity_bytes;
            d["bytes_per_synapse"] = s.bytes_per_synapse();
            d["min_delay_steps"] = s.min_delay_steps;
            d["max_delay_steps"] = s.max_delay_steps;
            return d;
        });

    // Populations
    c.def_property_readonly("population_count", &network::population_count)
        .def("population_info", [](network& n, std::size_t q) {
            const auto& p = n.population_at(q);
            py::dict d;
            d["name"] = p.name();
            d["model"] = std::string(p.model_name());
            d["size"] = p.size();
            std::vector<std::string> states, ports;
            for (auto s : p.state_names()) states.emplace_back(s);
            for (const auto& port : p.ports()) ports.emplace_back(port.name);
            d["state_variables"] = states;
            d["ports"] = ports;
            return d;
        })
        .def("positions", [](const network& n, std::size_t q) {
            // (x, y) of every neuron on its 2D sheet (spatial.hpp); empty without positions.
            const auto& p = n.population_at(q);
            if (!p.layout.has_positions()) return py::make_tuple(py::array_t<double>(0), py::array_t<double>(0));
            auto pos = lamina::sim::make_positions(p.layout, p.size(), n.config().seed, static_cast<std::uint32_t>(q));
            return py::make_tuple(py::array_t<double>(pos.x.size(), pos.x.data()), py::array_t<double>(pos.y.size(), pos.y.data()));
        })
        .def("parameter", [](const network& n, std::size_t q, const std::string& name) {
            return n.population_at(q).parameter(name);
        })
        .def("parameters", [](const network& n, std::size_t q) {
            const auto& p = n.population_at(q);
            py::dict d;
            for (auto name : p.parameter_names()) d[py::str(std::string(name))] = p.parameter(name);
            return d;
        })
        .def("set_parameter", [](network& n, std::size_t q, const std::string& name, double value) {
            n.set_parameter(q, name, value);
        })
        // A writable numpy view of the engine's own array; it keeps the network alive.
        .def("state", [](py::object self, std::size_t q, const std::string& variable) {
            auto values = self.cast<network&>().state_values(q, variable);
            return py::array_t<double>({values.size()}, {sizeof(double)}, values.data(), self);
        })
        .def("set_state", [](network& n, std::size_t q, const std::string& variable, const index_array& neurons,
                             const double_array& values) {
            n.set_state(q, variable, view(neurons), view(values));
        })
        .def("population_statistics", [](const network& n, std::size_t q) {
            const auto s = n.population_statistics(q);
            py::dict d;
            d["spikes"] = s.spikes;
            d["rate_hz"] = s.rate_hz;
            d["mean_cv_isi"] = s.mean_cv_isi;
            d["cv_neurons"] = s.cv_neurons;
            return d;
        });

    // Stimuli
    c.def("add_poisson",
          [](network& n, std::string name, std::string target, const index_array& neurons, double rate, double weight,
             std::string port, bool independent, double start, double stop, const double_array& rate_times,
             const double_array& rate_values, double amplitude, double frequency, double phase,
             const double_array& neuron_rates) {
              lamina::sim::poisson_input_spec s;
              s.name = std::move(name);
              s.target = std::move(target);
              s.neurons = to_vector(neurons);
              s.rate_hz = rate;
              s.weight = weight;
              s.port = std::move(port);
              s.independent = independent;
              s.start_ms = start;
              s.stop_ms = stop;
              s.rate_times_ms = to_vector(rate_times);
              s.rate_values_hz = to_vector(rate_values);
              s.amplitude_hz = amplitude;
              s.frequency_hz = frequency;
              s.phase_deg = phase;
              s.neuron_rates_hz = to_vector(neuron_rates);
              return n.add_poisson_input(std::move(s));
          },
          py::arg("name"), py::arg("target"), py::arg("neurons"), py::arg("rate"), py::arg("weight"), py::arg("port"),
          py::arg("independent"), py::arg("start"), py::arg("stop"), py::arg("rate_times") = double_array(),
          py::arg("rate_values") = double_array(), py::arg("amplitude") = 0.0, py::arg("frequency") = 0.0,
          py::arg("phase") = 0.0, py::arg("neuron_rates") = double_array())
        .def("add_spike_generator", [](network& n, std::string name, std::string target, const index_array& neurons,
                                       const double_array& times, double weight, double delay, std::string port) {
            lamina::sim::spike_generator_spec s{std::move(name), std::move(target), to_vector(neurons),
                                                to_vector(times), weight, delay, std::move(port)};
            return n.add_spike_generator(std::move(s));
        })
        .def("add_current", [](network& n, std::string name, std::string target, const index_array& neurons,
                               const double_array& times, const double_array& amplitudes) {
            lamina::sim::current_input_spec s{std::move(name), std::move(target), to_vector(neurons),
                                              to_vector(times), to_vector(amplitudes)};
            return n.add_current_input(std::move(s));
        })
        .def("add_neuron_currents", [](network& n, std::string name, std::string target, const index_array& neurons,
                                       const double_array& amplitudes) {
            lamina::sim::neuron_currents_spec s{std::move(name), std::move(target), to_vector(neurons),
                                                to_vector(amplitudes)};
            return n.add_neuron_currents(std::move(s));
        })
        .def("add_noise", [](network& n, std::string name, std::string target, const index_array& neurons,
                             double mean, double sd, double dt_noise, double start, double stop) {
            lamina::sim::noise_current_spec s{std::move(name), std::move(target), to_vector(neurons), mean, sd,
                                              dt_noise, start, stop};
            return n.add_noise_current(std::move(s));
        })
        .def("set_noise", &network::set_noise)
        .def("set_poisson_rate", &network::set_poisson_rate)
        .def("set_current_amplitude", &network::set_current_amplitude)
        .def("inject_spikes", [](network& n, std::size_t k, const double_array& times) {
            n.inject_spikes(k, view(times));
        })
        .def("set_neuron_currents", [](network& n, std::size_t k, const double_array& amplitudes) {
            n.set_neuron_currents(k, view(amplitudes));
        });

    // Projections and plasticity
    c.def_property_readonly("projection_names", [](const network& n) {
         std::vector<std::string> out;
         for (const auto& p : n.projections()) out.push_back(p.spec.name);
         return out;
     })
        .def("projection_index", &network::projection_index)
        .def("weights", [](const network& n, std::size_t k) { return to_numpy(n.weights(k)); })
        .def("set_weights", [](network& n, std::size_t k, const float_array& w) {
            n.set_weights(k, view(w));
        })
        .def("synapses", [](const network& n, std::size_t k) {
            auto t = n.synapses(k);
            py::dict d;
            d["source"] = to_numpy(std::move(t.source));
            d["target"] = to_numpy(std::move(t.target));
            d["weight"] = to_numpy(std::move(t.weight));
            d["delay"] = to_numpy(std::move(t.delay_ms));
            return d;
        })
        .def("modulate", &network::modulate)
        .def("set_plasticity_enabled", &network::set_plasticity_enabled)
        .def("plasticity_enabled", &network::plasticity_enabled);

    // Recorders
    c.def("recorder_names", [](const network& n, const std::string& kind) {
         std::vector<std::string> out;
         if (kind == "spikes")
             for (std::size_t r = 0; r < n.spike_recorder_count(); ++r) out.push_back(n.spike_recorder_name(r));
         else if (kind == "state")
             for (std::size_t r = 0; r < n.state_recorder_count(); ++r) out.push_back(n.state_recorder_name(r));
         else if (kind == "rate")
             for (std::size_t r = 0; r < n.rate_recorder_count(); ++r) out.push_back(n.rate_recorder_name(r));
         else if (kind == "weights")
             for (std::size_t r = 0; r < n.weight_recorder_count(); ++r) out.push_back(n.weight_recorder_name(r));
         else if (kind == "signal")
             for (std::size_t r = 0; r < n.signal_recorder_count(); ++r) out.push_back(n.signal_recorder_name(r));
         else
             throw py::value_error("recorder kind must be spikes, state, rate, weights or signal, got '" + kind + "'");
         return out;
     })
        .def("spikes", [](const network& n, std::size_t r) { return spikes_dict(n.spikes(r)); })
        .def("take_spikes", [](network& n, std::size_t r) {
            auto rec = n.take_spikes(r);
            py::dict d;
            d["times"] = to_numpy(std::move(rec.times_ms));
            d["neurons"] = to_numpy(std::move(rec.neurons));
            return d;
        })
        .def("states", [](const network& n, std::size_t r) {
            const auto& s = n.states(r);
            py::dict d;
            d["times"] = copy_to_numpy(s.times_ms);
            d["neurons"] = copy_to_numpy(s.neurons);
            d["variables"] = s.variables;
            // values[sample, neuron, variable], as the record stores them.
            auto values = copy_to_numpy(s.values);
            const auto nn = static_cast<py::ssize_t>(s.neurons.size());
            const auto nv = static_cast<py::ssize_t>(s.variables.size());
            d["values"] = values.reshape({static_cast<py::ssize_t>(s.times_ms.size()), nn, nv});
            return d;
        })
        .def("rates", [](const network& n, std::size_t r) {
            const auto& s = n.rates(r);
            py::dict d;
            d["bin"] = s.bin_ms;
            d["bin_start"] = copy_to_numpy(s.bin_start_ms);
            d["rate"] = copy_to_numpy(s.rate_hz);
            return d;
        })
        .def("weight_samples", [](const network& n, std::size_t r) {
            const auto& s = n.weight_samples(r);
            py::dict d;
            d["times"] = copy_to_numpy(s.times_ms);
            auto values = copy_to_numpy(s.values);
            d["values"] = values.reshape({static_cast<py::ssize_t>(s.times_ms.size()),
                                          static_cast<py::ssize_t>(s.synapses)});
            return d;
        })
        .def("signal", [](const network& n, std::size_t r) {
            const auto& s = n.signal(r);
            py::dict d;
            d["times"] = copy_to_numpy(s.times_ms);
            d["values"] = copy_to_numpy(s.values);
            d["population"] = n.signal_recorder_population(r);
            return d;
        })
        .def_property_readonly("recording_truncated", &network::recording_truncated);

    // Checkpoints: the file is written and read without the GIL (large networks take seconds).
    c.def("save_checkpoint", [](network& n, const std::string& path) {
         py::gil_scoped_release unlocked;
         n.save_checkpoint(path);
     })
        .def("load_checkpoint", [](network& n, const std::string& path) {
            py::gil_scoped_release unlocked;
            n.load_checkpoint(path);
        });
}

void bind_functions(py::module_& m) {
    m.def(
        "network_from_text",
        [](const std::string& text, const std::string& origin, std::optional<int> threads,
           std::optional<std::uint64_t> seed, bool generated) {
            return lamina::python::network_from_text(text, origin, {threads, seed, generated});
        },
        py::arg("text"), py::arg("origin"), py::arg("threads") = py::none(), py::arg("seed") = py::none(),
        py::arg("generated") = false,
        "Creates the network of a model file's text (not yet built); ValueError lists every problem.");
    m.def("read_checkpoint_header", [](const std::string& path) {
        const auto h = lamina::sim::read_checkpoint_header(path);
        py::dict d;
        d["format_version"] = h.format_version;
        d["lamina_version"] = h.lamina_version;
        d["step"] = h.step;
        d["dt"] = h.dt_ms;
        d["time"] = h.time_ms();
        d["seed"] = h.seed;
        d["threads"] = h.threads;
        d["description"] = h.description;
        d["description_origin"] = h.description_origin;
        return d;
    });
    m.def("models", [] {
        py::dict out;
        for (const auto& info : lamina::python::builtin_models()) {
            py::dict d, params;
            for (const auto& [k, v] : info.parameters) params[py::str(k)] = v;
            d["parameters"] = params;
            d["state_variables"] = info.state_variables;
            d["ports"] = info.ports;
            out[py::str(info.name)] = d;
        }
        return out;
    });
    m.def("plasticity_rules", &lamina::python::builtin_plasticity_rules);
    m.def("short_term_models", &lamina::python::builtin_short_term_models);
}

void bind_errors(py::module_& m) {
    // CheckpointError is a ValueError: a bad file is bad input, like a bad model file.
    static py::exception<lamina::sim::checkpoint_error> checkpoint_error(m, "CheckpointError", PyExc_ValueError);
    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (const lamina::sim::checkpoint_error& e) {
            checkpoint_error(e.what());
        } catch (const lamina::sim::parameter_error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const lamina::python::description_error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const lamina::sim::capacity_error& e) {
            PyErr_SetString(PyExc_MemoryError, e.what());
        } catch (const lamina::sim::error& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });
}

} // namespace

void bind_substrate(py::module_& m);  // substrate.cpp

PYBIND11_MODULE(_lamina, m) {
    m.doc() = "lamina's engine; use the package `lamina` (docs/python.md)";
    m.attr("version") = LAMINA_VERSION;
    bind_substrate(m);
    main_thread_id = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
    // _signal's getsignal, not signal's: the latter wraps the answer in an enum (about 3 us a call).
    getsignal = py::module_::import("_signal").attr("getsignal");
    // Dropped before the interpreter finalises (module globals outlive it).
    py::module_::import("atexit").attr("register")(py::cpp_function([] {
        getsignal = py::object();
        python_handler = py::object();
    }));
    bind_errors(m);
    bind_network(m);
    bind_functions(m);
}
