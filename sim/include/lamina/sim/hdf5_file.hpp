#pragma once
// A thin RAII layer over the HDF5 C API: files, groups, attributes, whole and appendable (chunked,
// extendible) datasets. It exposes no HDF5 type, so users of lamina::sim need no HDF5 headers:
// identifiers are plain 64-bit integers (HDF5's hid_t) and element types an enum.
//
// Every failure throws lamina::sim::error naming the file and the object path, followed by the
// most specific message of HDF5's error stack; HDF5's automatic printing of errors to stderr is
// switched off. Objects are move-only and close their HDF5 identifier on destruction.
//
// Not thread-safe: use one file from one thread at a time.
#include "lamina/sim/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace lamina::sim::hdf5 {

using hid = std::int64_t;  // hid_t

// Element types. Numbers are stored little-endian; strings as variable-length UTF-8.
enum class type { float64, float32, int32, uint32, int64, uint64, string };

const char* type_name(type t) noexcept;

template <class T>
constexpr type type_of() {
    if constexpr (std::is_same_v<T, double>)
        return type::float64;
    else if constexpr (std::is_same_v<T, float>)
        return type::float32;
    else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) == 4)
        return std::is_signed_v<T> ? type::int32 : type::uint32;
    else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) == 8)
        return std::is_signed_v<T> ? type::int64 : type::uint64;
    else
        static_assert(sizeof(T) == 0, "hdf5: unsupported element type");
}

// The value of a scalar attribute: strings as strings, integers as int64, floats as double.
using attribute_value = std::variant<std::string, double, std::int64_t>;

// Owns one HDF5 identifier (file, group, dataset, ...) and closes it with the matching call.
class handle {
public:
    handle() noexcept = default;
    explicit handle(hid id) noexcept : id_(id) {}
    ~handle() { reset(); }
    handle(handle&& o) noexcept : id_(o.id_) { o.id_ = -1; }
    handle& operator=(handle&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = o.id_;
            o.id_ = -1;
        }
        return *this;
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;

    hid get() const noexcept { return id_; }
    bool valid() const noexcept { return id_ >= 0; }
    // Closes the identifier; returns false if HDF5 reported an error (never throws).
    bool reset() noexcept;
    // Gives up ownership without closing.
    hid release() noexcept {
        const hid id = id_;
        id_ = -1;
        return id;
    }

private:
    hid id_ = -1;
};

// What files, groups and datasets share: a name for error messages, and attributes.
class object {
public:
    const std::string& file_name() const noexcept { return file_; }
    const std::string& path() const noexcept { return path_; }  // inside the file, "/" for the root
    hid id() const noexcept { return handle_.get(); }
    bool valid() const noexcept { return handle_.valid(); }

    // Scalar attributes; an attribute of the same name is replaced.
    void set_attribute(const std::string& name, std::string_view value);
    void set_attribute(const std::string& name, const char* value) { set_attribute(name, std::string_view(value)); }
    void set_attribute(const std::string& name, const std::string& value) { set_attribute(name, std::string_view(value)); }
    template <class T>
        requires std::is_arithmetic_v<T>
    void set_attribute(const std::string& name, T value) {
        if constexpr (std::is_same_v<T, bool>) {
            const std::int64_t v = value ? 1 : 0;
            write_attribute(name, type::int64, &v, 1, true);
        } else {
            write_attribute(name, type_of<T>(), &value, 1, true);
        }
    }
    // 1-D array attributes.
    template <class T>
        requires std::is_arithmetic_v<T>
    void set_attribute(const std::string& name, std::span<const T> values) {
        write_attribute(name, type_of<T>(), values.data(), values.size(), false);
    }
    void set_attribute(const std::string& name, std::span<const std::string> values);

    bool has_attribute(const std::string& name) const;
    std::vector<std::string> attribute_names() const;  // by name
    // The value of a scalar (or one-element) attribute.
    attribute_value attribute(const std::string& name) const;
    std::string string_attribute(const std::string& name) const;
    double number_attribute(const std::string& name) const;     // any numeric attribute
    std::int64_t integer_attribute(const std::string& name) const;  // integer attributes only
    // All elements of an attribute, converted to T.
    template <class T>
    std::vector<T> array_attribute(const std::string& name) const {
        std::vector<T> out(attribute_size(name));
        read_attribute(name, type_of<T>(), out.data(), out.size());
        return out;
    }
    std::vector<std::string> string_array_attribute(const std::string& name) const;

    // Throws lamina::sim::error "<file>: <path>: <what>[: <HDF5 message>]".
    [[noreturn]] void fail(const std::string& what) const;

protected:
    object() = default;
    object(handle h, std::string file, std::string path) : handle_(std::move(h)), file_(std::move(file)), path_(std::move(path)) {}
    std::string child_path(const std::string& name) const;
    void write_attribute(const std::string& name, type t, const void* data, std::size_t n, bool scalar);
    std::size_t attribute_size(const std::string& name) const;
    void read_attribute(const std::string& name, type t, void* out, std::size_t n) const;

    handle handle_;
    std::string file_;
    std::string path_;
};

class dataset : public object {
public:
    dataset() = default;

    std::vector<std::size_t> shape() const;
    std::size_t rank() const { return shape().size(); }
    std::size_t size() const;     // number of elements
    std::size_t rows() const;     // first dimension (1 for a scalar dataset)
    std::size_t columns() const;  // product of the other dimensions (1 for 1-D)
    // The stored element type, mapped to the nearest enum value (any string -> string).
    type element_type() const;

    // Appends to an extendible dataset: to a 1-D one, elements; to a 2-D one, whole rows
    // (data.size() must be a multiple of columns()). HDF5 converts the elements to the stored type.
    template <class T>
    void append(std::span<const T> data) {
        append_raw(type_of<T>(), data.data(), data.size());
    }
    template <class T>
    void append(const std::vector<T>& data) {
        append(std::span<const T>(data));
    }

    // All elements in row-major order, converted to T.
    template <class T>
    std::vector<T> read() const {
        std::vector<T> out(size());
        read_raw(type_of<T>(), out.data(), 0, rows());
        return out;
    }
    // Rows [first, first + count) (elements for a 1-D dataset), converted to T.
    template <class T>
    std::vector<T> read_rows(std::size_t first, std::size_t count) const {
        std::vector<T> out(count * columns());
        read_raw(type_of<T>(), out.data(), first, count);
        return out;
    }
    std::vector<std::string> read_strings() const;

private:
    friend class group;
    dataset(handle h, std::string file, std::string path) : object(std::move(h), std::move(file), std::move(path)) {}
    void append_raw(type t, const void* data, std::size_t n);
    void read_raw(type t, void* out, std::size_t first_row, std::size_t rows) const;
};

class group : public object {
public:
    group() = default;

    // Creates the group at `path` (relative to this group, or absolute), creating missing
    // intermediate groups; fails if it exists already.
    group create_group(const std::string& path);
    // Opens the group at `path`, creating it (and intermediate groups) when missing.
    group require_group(const std::string& path);
    group open_group(const std::string& path) const;
    dataset open_dataset(const std::string& path) const;

    // Whether every link along `path` exists.
    bool exists(const std::string& path) const;
    bool is_group(const std::string& path) const;
    bool is_dataset(const std::string& path) const;
    // Names of the links directly in this group, by name.
    std::vector<std::string> members() const;
    // Unlinks the member `name` (a dataset or a whole group) if it exists; returns whether it did.
    // HDF5 does not reclaim the space of removed objects (h5repack does).
    bool remove(const std::string& name);

    // Whole 1-D datasets (contiguous layout).
    template <class T>
        requires std::is_arithmetic_v<T>
    dataset write(const std::string& name, std::span<const T> data) {
        return write_raw(name, type_of<T>(), data.data(), data.size());
    }
    template <class T>
        requires std::is_arithmetic_v<T>
    dataset write(const std::string& name, const std::vector<T>& data) {
        return write(name, std::span<const T>(data));
    }
    // The same data in a chunked layout whose chunks are compressed (shuffle filter, then deflate at
    // `deflate_level` 1-9); readers see no difference. For large arrays that are mostly zeros.
    template <class T>
        requires std::is_arithmetic_v<T>
    dataset write_compressed(const std::string& name, std::span<const T> data, int deflate_level = 1) {
        return write_raw(name, type_of<T>(), data.data(), data.size(), deflate_level);
    }
    dataset write(const std::string& name, std::span<const std::string> data);
    dataset write(const std::string& name, const std::vector<std::string>& data) {
        return write(name, std::span<const std::string>(data));
    }
    // A scalar string dataset (for texts too long for an attribute).
    dataset write_string(const std::string& name, std::string_view text);

    // An empty, chunked, extendible dataset to append() to: 1-D when columns == 0, else 2-D with
    // `columns` fixed columns. A chunk holds about chunk_elements elements; deflate_level 1-9
    // compresses chunks (with the shuffle filter), 0 stores them raw.
    dataset create_appendable(const std::string& name, type t, std::size_t columns = 0,
                              std::size_t chunk_elements = 65536, int deflate_level = 0);

    template <class T>
    std::vector<T> read(const std::string& path) const {
        return open_dataset(path).read<T>();
    }
    std::vector<std::string> read_strings(const std::string& path) const { return open_dataset(path).read_strings(); }

protected:
    friend class file;
    group(handle h, std::string file, std::string path) : object(std::move(h), std::move(file), std::move(path)) {}
    dataset write_raw(const std::string& name, type t, const void* data, std::size_t n, int deflate_level = 0);
};

class file : public group {
public:
    file() = default;
    // Creates (truncating) a file for writing.
    static file create(const std::string& name);
    // Opens an existing file read-only.
    static file open(const std::string& name);
    // Opens an existing file for reading and writing (adding groups, datasets and attributes).
    static file open_read_write(const std::string& name);

    void flush();
    // Closes the file, reporting errors (the destructor closes silently). Close datasets and
    // groups of the file first: HDF5 keeps a file open while any of its objects is.
    void close();

private:
    file(handle h, std::string name) : group(std::move(h), name, "/") {}
};

} // namespace lamina::sim::hdf5
