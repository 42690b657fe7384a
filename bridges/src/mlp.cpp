#include "lamina/bridges/mlp.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <unistd.h>

namespace lamina::bridges {

using sim::error;
using sim::parameter_error;
namespace fs = std::filesystem;

std::vector<std::size_t> mlp::sizes() const {
    std::vector<std::size_t> s;
    if (weights.empty()) return s;
    s.push_back(static_cast<std::size_t>(weights[0].cols()));
    for (const auto& w : weights) s.push_back(static_cast<std::size_t>(w.rows()));
    return s;
}

std::uint64_t mlp::parameter_count() const {
    std::uint64_t n = 0;
    for (std::size_t l = 0; l < layers(); ++l) n += std::uint64_t(weights[l].size()) + std::uint64_t(biases[l].size());
    return n;
}

void keep_top_k(Eigen::MatrixXf& m, std::size_t k) {
    const auto cols = static_cast<std::size_t>(m.cols());
    if (k >= cols) return;
    std::vector<std::uint32_t> idx(cols);
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        std::iota(idx.begin(), idx.end(), 0u);
        // Stable: among equal values the lower column ranks higher.
        std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(), [&](std::uint32_t a, std::uint32_t b) {
            const float va = m(r, a), vb = m(r, b);
            return va > vb || (va == vb && a < b);
        });
        for (std::size_t j = k; j < cols; ++j) m(r, idx[j]) = 0.0f;
    }
}

std::vector<Eigen::MatrixXf> mlp::layer_outputs(const row_matrix& x, std::size_t top_k) const {
    if (weights.empty()) throw error("mlp: no layers");
    if (x.cols() != weights[0].cols())
        throw error("mlp: inputs have " + std::to_string(x.cols()) + " columns, the network expects " +
                    std::to_string(weights[0].cols()));
    std::vector<Eigen::MatrixXf> out(layers());
    for (std::size_t l = 0; l < layers(); ++l) {
        Eigen::MatrixXf z;
        if (l == 0)
            z.noalias() = x * weights[0].transpose();
        else
            z.noalias() = out[l - 1] * weights[l].transpose();
        z.rowwise() += biases[l].transpose();
        if (l + 1 < layers()) {
            z = z.cwiseMax(0.0f);
            if (top_k) keep_top_k(z, top_k);
        }
        out[l] = std::move(z);
    }
    return out;
}

Eigen::MatrixXf mlp::logits(const row_matrix& x, std::size_t top_k) const { return layer_outputs(x, top_k).back(); }

namespace {
std::vector<std::uint8_t> argmax_rows(const Eigen::MatrixXf& z) {
    std::vector<std::uint8_t> p(static_cast<std::size_t>(z.rows()));
    for (Eigen::Index r = 0; r < z.rows(); ++r) {
        Eigen::Index best = 0;
        for (Eigen::Index c = 1; c < z.cols(); ++c)
            if (z(r, c) > z(r, best)) best = c;
        p[static_cast<std::size_t>(r)] = static_cast<std::uint8_t>(best);
    }
    return p;
}
} // namespace

std::vector<std::uint8_t> mlp::predict(const row_matrix& x, std::size_t top_k) const { return argmax_rows(logits(x, top_k)); }

double mlp::accuracy(const row_matrix& x, const std::vector<std::uint8_t>& labels, std::size_t top_k) const {
    if (labels.size() != static_cast<std::size_t>(x.rows())) throw error("mlp: as many labels as images expected");
    if (labels.empty()) return 0.0;
    const auto p = predict(x, top_k);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < p.size(); ++i) ok += p[i] == labels[i];
    return double(ok) / double(p.size());
}

activation_sparsity measure_activation_sparsity(const mlp& net, const row_matrix& x) {
    activation_sparsity s;
    const auto out = net.layer_outputs(x);
    for (std::size_t l = 0; l + 1 < out.size(); ++l) {
        const Eigen::MatrixXf& a = out[l];
        const auto n = static_cast<double>(a.cols());
        std::vector<double> per_image(static_cast<std::size_t>(a.rows()));
        for (Eigen::Index r = 0; r < a.rows(); ++r) per_image[static_cast<std::size_t>(r)] = double((a.row(r).array() > 0.0f).count());
        double sum = 0.0;
        for (double v : per_image) sum += v;
        const double mean = per_image.empty() ? 0.0 : sum / double(per_image.size());
        std::sort(per_image.begin(), per_image.end());
        const std::size_t rank = per_image.empty() ? 0 : static_cast<std::size_t>(std::ceil(0.99 * double(per_image.size())));
        std::size_t dead = 0;
        for (Eigen::Index c = 0; c < a.cols(); ++c) dead += (a.col(c).array() > 0.0f).count() == 0;
        s.mean_active.push_back(mean);
        s.nonzero_fraction.push_back(mean / n);
        s.dead_fraction.push_back(double(dead) / n);
        s.p99_active.push_back(per_image.empty() ? 0.0 : per_image[std::max<std::size_t>(rank, 1) - 1]);
    }
    return s;
}

std::vector<top_k_point> top_k_accuracy(const mlp& net, const row_matrix& x, const std::vector<std::uint8_t>& labels,
                                        const std::vector<std::size_t>& ks) {
    std::vector<top_k_point> out;
    for (std::size_t k : ks) {
        const auto outs = net.layer_outputs(x, k);
        top_k_point p;
        p.k = k;
        const auto pred = argmax_rows(outs.back());
        std::size_t ok = 0;
        for (std::size_t i = 0; i < pred.size(); ++i) ok += pred[i] == labels[i];
        p.accuracy = pred.empty() ? 0.0 : double(ok) / double(pred.size());
        if (outs.size() > 1 && outs[0].size())
            p.nonzero_fraction = double((outs[0].array() > 0.0f).count()) / double(outs[0].size());
        out.push_back(p);
    }
    return out;
}

// Training -------------------------------------------------------------------------------------

namespace {

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string sizes_text(const std::vector<std::size_t>& s) {
    std::string t;
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "-" : "") + std::to_string(s[i]);
    return t;
}

void check_options(const mlp_train_options& o, const mnist_set& train) {
    const std::string obj = "mlp training";
    if (o.sizes.size() < 2) throw parameter_error(obj, "sizes", "at least an input and an output layer expected");
    for (auto s : o.sizes)
        if (s == 0) throw parameter_error(obj, "sizes", "layer sizes must be positive");
    if (o.sizes.front() != static_cast<std::size_t>(train.images.cols()))
        throw parameter_error(obj, "sizes", "the input layer must have " + std::to_string(train.images.cols()) + " units");
    for (auto l : train.labels)
        if (l >= o.sizes.back()) throw parameter_error(obj, "sizes", "label " + std::to_string(l) + " has no output unit");
    if (o.batch == 0) throw parameter_error(obj, "batch", "must be positive");
    if (!(o.learning_rate > 0.0)) throw parameter_error(obj, "learning_rate", "must be positive");
    if (!(o.decay > 0.0 && o.decay <= 1.0)) throw parameter_error(obj, "decay", "must be in (0, 1]");
    if (o.max_shift < 0 || o.max_shift > 4) throw parameter_error(obj, "max_shift", "must be in 0..4");
    if (train.size() == 0) throw parameter_error(obj, "train", "no training images");
}

// Image `src` (28 x 28, row-major) shifted by (dx, dy) into `dst`, zero fill.
void shift_image(const float* src, float* dst, int dx, int dy) {
    for (int y = 0; y < 28; ++y) {
        const int sy = y - dy;
        for (int x = 0; x < 28; ++x) {
            const int sx = x - dx;
            dst[y * 28 + x] = (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) ? src[sy * 28 + sx] : 0.0f;
        }
    }
}

struct adam_state {
    Eigen::MatrixXf m, v;
    void init(Eigen::Index r, Eigen::Index c) {
        m = Eigen::MatrixXf::Zero(r, c);
        v = Eigen::MatrixXf::Zero(r, c);
    }
    void step(Eigen::Ref<Eigen::MatrixXf> p, const Eigen::MatrixXf& g, float lr, float c1, float c2) {
        constexpr float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        m = b1 * m + (1.0f - b1) * g;
        v = b2 * v + (1.0f - b2) * g.cwiseProduct(g);
        p.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
    }
};

} // namespace

std::string training_key(const mlp_train_options& o, const mnist_set& train) {
    std::uint64_t h = fnv1a(train.images.data(), static_cast<std::size_t>(train.images.size()) * sizeof(float));
    h = fnv1a(train.labels.data(), train.labels.size(), h);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "lamina-mlp-v1 sizes=%s epochs=%zu batch=%zu lr=%.9g decay=%.9g l2=%.9g shift=%d seed=%llu "
                  "train=%zu data=%016llx",
                  sizes_text(o.sizes).c_str(), o.epochs, o.batch, o.learning_rate, o.decay, o.weight_decay, o.max_shift,
                  static_cast<unsigned long long>(o.seed), train.size(), static_cast<unsigned long long>(h));
    return buf;
}

mlp train_mlp(const mnist_set& train, const mlp_train_options& o, mlp_train_report* report) {
    check_options(o, train);
    const auto t_start = std::chrono::steady_clock::now();
    const std::size_t L = o.sizes.size() - 1;
    mlp net;
    for (std::size_t l = 0; l < L; ++l) {
        const auto nin = static_cast<Eigen::Index>(o.sizes[l]), nout = static_cast<Eigen::Index>(o.sizes[l + 1]);
        Eigen::MatrixXf w(nout, nin);
        sim::random_stream rng(o.seed, sim::stream_purpose::user, 0x4D4C50 + static_cast<std::uint32_t>(l), 0);
        const double scale = std::sqrt(2.0 / double(nin));
        for (Eigen::Index r = 0; r < nout; ++r)  // row by row: the draw order is fixed
            for (Eigen::Index c = 0; c < nin; ++c) w(r, c) = static_cast<float>(rng.normal() * scale);
        net.weights.push_back(std::move(w));
        net.biases.push_back(Eigen::VectorXf::Zero(nout));
    }
    std::vector<adam_state> aw(L), ab(L);
    for (std::size_t l = 0; l < L; ++l) {
        aw[l].init(net.weights[l].rows(), net.weights[l].cols());
        ab[l].init(net.biases[l].rows(), 1);
    }

    const std::size_t N = train.size(), D = o.sizes[0];
    const bool is_image = D == mnist_pixels;
    std::vector<std::size_t> order(N);
    std::vector<Eigen::MatrixXf> A(L + 1), Z(L);
    Eigen::MatrixXf dz, da, gw;
    Eigen::VectorXf gb;
    std::uint64_t t = 0;
    mlp_train_report rep;
    for (std::size_t epoch = 0; epoch < o.epochs; ++epoch) {
        const auto t_epoch = std::chrono::steady_clock::now();
        std::iota(order.begin(), order.end(), std::size_t{0});
        sim::random_stream rng(o.seed, sim::stream_purpose::user, 0x4D4C00, epoch);
        for (std::size_t i = N; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
        const float lr = static_cast<float>(o.learning_rate * std::pow(o.decay, double(epoch)));
        double loss_sum = 0.0;
        for (std::size_t first = 0; first < N; first += o.batch) {
            const std::size_t B = std::min(o.batch, N - first);
            // Inputs, row-major copy (with augmentation).
            row_matrix xb(static_cast<Eigen::Index>(B), static_cast<Eigen::Index>(D));
            for (std::size_t b = 0; b < B; ++b) {
                const std::size_t i = order[first + b];
                const float* src = train.images.row(static_cast<Eigen::Index>(i)).data();
                float* dst = xb.row(static_cast<Eigen::Index>(b)).data();
                if (o.max_shift > 0 && is_image) {
                    sim::random_stream sr(o.seed, sim::stream_purpose::user, 0x4D4C01, epoch * N + i);
                    const auto span = static_cast<std::uint64_t>(2 * o.max_shift + 1);
                    const int dx = static_cast<int>(sr.below(span)) - o.max_shift;
                    const int dy = static_cast<int>(sr.below(span)) - o.max_shift;
                    shift_image(src, dst, dx, dy);
                } else {
                    std::memcpy(dst, src, D * sizeof(float));
                }
            }
            A[0] = xb;
            for (std::size_t l = 0; l < L; ++l) {
                Z[l].noalias() = A[l] * net.weights[l].transpose();
                Z[l].rowwise() += net.biases[l].transpose();
                A[l + 1] = l + 1 < L ? Eigen::MatrixXf(Z[l].cwiseMax(0.0f)) : Z[l];
            }
            // Softmax cross-entropy gradient: (p - y) / B.
            dz = A[L];
            for (std::size_t b = 0; b < B; ++b) {
                auto row = dz.row(static_cast<Eigen::Index>(b));
                const float mx = row.maxCoeff();
                row = (row.array() - mx).exp().matrix();
                const float s = row.sum();
                row /= s;
                const auto y = static_cast<Eigen::Index>(train.labels[order[first + b]]);
                loss_sum -= std::log(std::max(1e-30, double(row(y))));
                row(y) -= 1.0f;
            }
            dz /= float(B);
            ++t;
            const float c1 = 1.0f - std::pow(0.9f, float(t)), c2 = 1.0f - std::pow(0.999f, float(t));
            for (std::size_t l = L; l-- > 0;) {
                gw.noalias() = dz.transpose() * A[l];
                if (o.weight_decay > 0.0) gw += float(o.weight_decay) * net.weights[l];
                gb = dz.colwise().sum().transpose();
                if (l > 0) {
                    da.noalias() = dz * net.weights[l];
                    dz = (Z[l - 1].array() > 0.0f).select(da, 0.0f);
                }
                aw[l].step(net.weights[l], gw, lr, c1, c2);
                ab[l].step(net.biases[l], gb, lr, c1, c2);
            }
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_epoch).count();
        rep.epoch_loss.push_back(loss_sum / double(N));
        rep.epoch_seconds.push_back(secs);
        if (o.verbose)
            std::fprintf(stderr, "lamina mlp: epoch %zu/%zu loss %.4f lr %.2e %.2f s\n", epoch + 1, o.epochs,
                         rep.epoch_loss.back(), double(lr), secs);
    }
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    if (report) *report = rep;
    return net;
}

// Files ------------------------------------------------------------------------------------------

void save_mlp_hdf5(const mlp& net, const std::string& path, const std::string& config) {
    namespace h5 = sim::hdf5;
    auto f = h5::file::create(path);
    std::vector<std::uint64_t> sizes;
    for (auto s : net.sizes()) sizes.push_back(s);
    f.set_attribute("sizes", std::span<const std::uint64_t>(sizes));
    f.set_attribute("config", config);
    f.set_attribute("format", "lamina mlp: /layer_<l>/weight (n_out x n_in), /layer_<l>/bias; ReLU hidden layers");
    for (std::size_t l = 0; l < net.layers(); ++l) {
        auto g = f.create_group("layer_" + std::to_string(l));
        const row_matrix w = net.weights[l];
        auto d = g.create_appendable("weight", h5::type::float32, static_cast<std::size_t>(w.cols()),
                                     std::max<std::size_t>(1, static_cast<std::size_t>(w.size())));
        d.append(std::span<const float>(w.data(), static_cast<std::size_t>(w.size())));
        g.write("bias", std::span<const float>(net.biases[l].data(), static_cast<std::size_t>(net.biases[l].size())));
    }
    f.close();
}

mlp load_mlp_hdf5(const std::string& path, std::string* config) {
    namespace h5 = sim::hdf5;
    auto f = h5::file::open(path);
    const auto sizes = f.array_attribute<std::uint64_t>("sizes");
    if (sizes.size() < 2) throw error(path + ": attribute 'sizes' needs at least two layers");
    if (config) *config = f.has_attribute("config") ? f.string_attribute("config") : "";
    mlp net;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        const std::string g = "layer_" + std::to_string(l);
        const auto d = f.open_dataset(g + "/weight");
        const auto shape = d.shape();
        if (shape.size() != 2 || shape[0] != sizes[l + 1] || shape[1] != sizes[l])
            throw error(path + ": " + g + "/weight: shape does not match the 'sizes' attribute");
        const auto w = d.read<float>();
        net.weights.push_back(Eigen::Map<const row_matrix>(w.data(), static_cast<Eigen::Index>(shape[0]),
                                                           static_cast<Eigen::Index>(shape[1])));
        const auto b = f.read<float>(g + "/bias");
        if (b.size() != sizes[l + 1]) throw error(path + ": " + g + "/bias: " + std::to_string(b.size()) + " values");
        net.biases.push_back(Eigen::Map<const Eigen::VectorXf>(b.data(), static_cast<Eigen::Index>(b.size())));
    }
    return net;
}

namespace {
void write_npy(const std::string& path, const float* data, const std::vector<std::size_t>& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
    dict += "), }";
    std::size_t total = 10 + dict.size() + 1;
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
    std::ofstream out(path, std::ios::binary);
    if (!out) throw error(path + ": cannot create");
    const unsigned short len = static_cast<unsigned short>(dict.size());
    const char head[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.write(head, 8);
    const char lb[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
    out.write(lb, 2);
    out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
    if (!out) throw error(path + ": write failed");
}
} // namespace

void save_mlp_npy(const mlp& net, const std::string& dir) {
    fs::create_directories(dir);
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const row_matrix w = net.weights[l];
        write_npy(dir + "/W" + std::to_string(l) + ".npy", w.data(),
                  {static_cast<std::size_t>(w.rows()), static_cast<std::size_t>(w.cols())});
        write_npy(dir + "/b" + std::to_string(l) + ".npy", net.biases[l].data(), {static_cast<std::size_t>(net.biases[l].size())});
    }
}

mlp load_mlp_npy(const std::string& dir) {
    mlp net;
    for (std::size_t l = 0;; ++l) {
        const std::string wp = dir + "/W" + std::to_string(l) + ".npy", bp = dir + "/b" + std::to_string(l) + ".npy";
        if (!fs::exists(wp)) break;
        const auto w = load_npy(wp);
        const auto b = load_npy(bp);
        if (b.values().size() != w.rows()) throw error(bp + ": " + std::to_string(b.values().size()) + " biases for " + std::to_string(w.rows()) + " units");
        if (l > 0 && static_cast<Eigen::Index>(w.dimensions()) != net.weights.back().rows())
            throw error(wp + ": " + std::to_string(w.dimensions()) + " inputs, the previous layer has " +
                        std::to_string(net.weights.back().rows()) + " units");
        net.weights.push_back(w.matrix());
        net.biases.push_back(Eigen::Map<const Eigen::VectorXf>(b.values().data(), static_cast<Eigen::Index>(b.values().size())));
    }
    if (net.weights.empty()) throw error(dir + ": no W0.npy");
    return net;
}

mlp load_mlp(const std::string& path) { return fs::is_directory(path) ? load_mlp_npy(path) : load_mlp_hdf5(path); }

std::string default_mlp_cache_path(const mlp_train_options& o) {
    std::string dir;
    if (const char* d = std::getenv("LAMINA_CACHE_DIR"); d && *d)
        dir = d;
    else
        dir = std::string(LAMINA_BINARY_DIR) + "/cache";
    return dir + "/mnist_mlp_" + sizes_text(o.sizes) + "_seed" + std::to_string(o.seed) + ".h5";
}

mlp load_or_train_mlp(const mnist_set& train, const mlp_train_options& o, const std::string& cache_path,
                      mlp_train_report* report) {
    const std::string key = training_key(o, train);
    if (!cache_path.empty() && fs::exists(cache_path)) {
        try {
            std::string stored;
            const auto t0 = std::chrono::steady_clock::now();
            mlp net = load_mlp_hdf5(cache_path, &stored);
            if (stored == key) {
                if (report) {
                    *report = {};
                    report->loaded_from_cache = true;
                    report->cache_path = cache_path;
                    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                }
                return net;
            }
        } catch (const sim::error&) {
            // An unreadable cache is retrained and rewritten.
        }
    }
    mlp net = train_mlp(train, o, report);
    if (!cache_path.empty()) {
        const fs::path p(cache_path);
        if (p.has_parent_path()) fs::create_directories(p.parent_path());
        const std::string tmp = cache_path + ".tmp" + std::to_string(static_cast<long long>(::getpid()));
        save_mlp_hdf5(net, tmp, key);
        fs::rename(tmp, cache_path);
        if (report) report->cache_path = cache_path;
    }
    return net;
}

} // namespace lamina::bridges
