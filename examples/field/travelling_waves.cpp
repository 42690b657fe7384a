// Runner of examples/field/travelling_waves.py: a rows x cols sheet of Jansen-Rit masses coupled
// by a diffusive Gaussian kernel with conduction delays, with noisy afferent rates. Every node
// starts on the limit cycle at a phase that winds once around the centre (a spiral); the coupling
// keeps the spiral coherent against the noise and its arms travel outwards (with strength=0 the
// nodes drift apart and the pattern dissolves). An optional "pacemaker" disc in the centre gets
// an extra afferent rate.
// Writes the pyramidal potential y1 - y2 (mV) of every node at every snapshot as a float32 .npy
// array of shape (snapshots, rows, cols), and the spatial mean (the EEG-like signal) at 1 kHz as a
// second .npy array (samples,) from t = 0.
//
//   field_travelling_waves OUT_PREFIX [key=value ...]
//
// keys (defaults): rows=128 cols=128 dt=0.1 (ms) T=1500 (ms) warmup=500 (ms) every=10 (ms between
// snapshots) strength=20 (Hz/Hz) length=1.5 (mm) radius=3 (mm) velocity=0.5 (m/s) p_mean=220 (Hz)
// p_sd=57.7 (Hz) pacemaker=0 (Hz extra drive) pacemaker_radius=6 (nodes) threads=2 seed=1
// twist=1 (turns of the initial phase around the centre) rings=1 (periods from centre to edge)
// jitter=0.5 (mV, uniform noise added to y1).
// Output: OUT_PREFIX_field.npy, OUT_PREFIX_mean.npy; a summary line on stdout.
#include "lamina/models/mass/lattice.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace mass = lamina::models::mass;

namespace {

void write_npy(const std::string& path, const std::vector<float>& data, const std::vector<std::size_t>& shape) {
    std::string dims;
    for (std::size_t k = 0; k < shape.size(); ++k) dims += std::to_string(shape[k]) + (shape.size() == 1 || k + 1 < shape.size() ? "," : "");
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    const std::size_t total = 10 + header.size() + 1;
    header += std::string((64 - total % 64) % 64, ' ') + "\n";
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    out.put(static_cast<char>(len & 0xff));
    out.put(static_cast<char>(len >> 8));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
    if (!out) throw std::runtime_error("cannot write " + path);
}

} // namespace

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::cerr << "usage: field_travelling_waves OUT_PREFIX [key=value ...]\n";
        return 2;
    }
    std::map<std::string, double> o{{"rows", 128},       {"cols", 128},     {"dt", 0.1},       {"T", 1500},
                                    {"warmup", 500},     {"every", 10},     {"strength", 20},  {"length", 1.5},
                                    {"radius", 3},       {"velocity", 0.5}, {"p_mean", 220},   {"p_sd", 57.7},
                                    {"pacemaker", 0},    {"pacemaker_radius", 6}, {"threads", 2}, {"seed", 1},
                                    {"twist", 1},        {"rings", 1},      {"jitter", 0.5}};
    for (int a = 2; a < argc; ++a) {
        const std::string s = argv[a];
        const auto eq = s.find('=');
        if (eq == std::string::npos || !o.count(s.substr(0, eq))) {
            std::cerr << "unknown option " << s << "\n";
            return 2;
        }
        o[s.substr(0, eq)] = std::stod(s.substr(eq + 1));
    }
    mass::lattice_config cfg;
    cfg.rows = static_cast<std::size_t>(o["rows"]);
    cfg.cols = static_cast<std::size_t>(o["cols"]);
    cfg.dt = o["dt"];
    cfg.threads = static_cast<int>(o["threads"]);
    cfg.seed = static_cast<std::uint64_t>(o["seed"]);
    mass::jansen_rit::parameters p;
    p.p_mean = o["p_mean"];
    p.p_sd = o["p_sd"];
    mass::kernel_coupling k;
    k.strength = o["strength"];
    k.length = o["length"];
    k.radius = o["radius"];
    k.conduction_velocity = o["velocity"];
    k.diffusive = true;  // input relative to the node's own rate: a uniform sheet feels no coupling
    mass::recording_config rec;
    rec.interval = static_cast<std::size_t>(std::lround(1.0 / cfg.dt));  // 1 kHz spatial mean
    rec.capacity = 1u << 22;
    mass::lattice<mass::jansen_rit> sheet(cfg, p, k, rec, "travelling_waves");

    // Initial phases: every node starts on the limit cycle of an uncoupled mass (recorded here
    // over one period), at a phase that winds `twist` times around the centre and advances with
    // the distance from it (`rings` periods across the sheet): a spiral (twist != 0) or target
    // pattern whose phase gradients the coupling then turns into travelling waves.
    {
        mass::lattice_config one;
        one.dt = cfg.dt;
        mass::jansen_rit::parameters q = p;
        q.p_sd = 0.0;
        mass::lattice<mass::jansen_rit> m(one, q);
        m.run(2000.0);
        // One period: from an upward crossing of the mean potential to the next.
        std::vector<std::array<double, 6>> cycle;
        double prev = m.observable_field()[0];
        const double level = 7.5;
        bool started = false;
        for (int s = 0; s < 200000; ++s) {
            m.step(1);
            const double v = m.observable_field()[0];
            const bool up = prev < level && v >= level;
            prev = v;
            if (up && started) break;
            if (up) started = true;
            if (started) {
                std::array<double, 6> x;
                for (std::size_t k = 0; k < 6; ++k) x[k] = m.state(k)[0];
                cycle.push_back(x);
            }
        }
        const double twist = o["twist"], rings = o["rings"];
        std::array<std::span<double>, 6> st;
        for (std::size_t k = 0; k < 6; ++k) st[k] = sheet.mutable_state(k);
        for (std::size_t r = 0; r < cfg.rows; ++r)
            for (std::size_t c = 0; c < cfg.cols; ++c) {
                const double dr = double(r) - 0.5 * double(cfg.rows - 1), dc = double(c) - 0.5 * double(cfg.cols - 1);
                const double dist = std::sqrt(dr * dr + dc * dc) / (0.5 * double(std::max(cfg.rows, cfg.cols)));
                double phase = twist * std::atan2(dr, dc) / (2.0 * M_PI) - rings * dist;
                phase -= std::floor(phase);
                const auto& x = cycle[std::min(cycle.size() - 1, static_cast<std::size_t>(phase * double(cycle.size())))];
                for (std::size_t k = 0; k < 6; ++k) st[k][sheet.index(r, c)] = x[k];
            }
    }
    // Pacemaker disc in the centre (extra afferent rate); small random initial potentials.
    const double R = o["pacemaker_radius"];
    auto drive = sheet.drive();
    for (std::size_t r = 0; r < cfg.rows; ++r)
        for (std::size_t c = 0; c < cfg.cols; ++c) {
            const double dr = double(r) - 0.5 * double(cfg.rows - 1), dc = double(c) - 0.5 * double(cfg.cols - 1);
            if (dr * dr + dc * dc <= R * R) drive[sheet.index(r, c)] = o["pacemaker"];
        }
    sheet.perturb(1, o["jitter"], cfg.seed);

    const auto t0 = std::chrono::steady_clock::now();
    sheet.run(o["warmup"]);
    const auto every = static_cast<std::uint64_t>(std::lround(o["every"] / cfg.dt));
    const auto total = static_cast<std::uint64_t>(std::lround(o["T"] / cfg.dt));
    std::vector<float> field;
    std::size_t snaps = 0;
    for (std::uint64_t s = 0; s < total; s += every) {
        sheet.step(every);
        for (double v : sheet.observable_field()) field.push_back(static_cast<float>(v));
        ++snaps;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto rec_out = sheet.take_recording();
    std::vector<float> mean(rec_out.mean.begin(), rec_out.mean.end());
    const std::string prefix = argv[1];
    write_npy(prefix + "_field.npy", field, {snaps, cfg.rows, cfg.cols});
    write_npy(prefix + "_mean.npy", mean, {mean.size()});
    const double node_steps = double(sheet.size()) * double(sheet.steps_done());
    std::printf("%zu x %zu sheet, %llu steps, %zu snapshots, %.2f s wall, %.3g node-steps/s, max delay %d steps\n",
                cfg.rows, cfg.cols, static_cast<unsigned long long>(sheet.steps_done()), snaps, wall, node_steps / wall,
                sheet.max_delay_steps());
    return 0;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
