#include "lamina/sim/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>

static_assert(std::is_same_v<hid_t, lamina::sim::hdf5::hid>, "lamina::sim::hdf5::hid must be HDF5's hid_t");

namespace lamina::sim::hdf5 {

namespace {

// HDF5 prints its error stack to stderr by default; lamina reports errors through exceptions. In a
// thread-safe HDF5 build the setting is per thread, hence once per thread.
void silence_hdf5() {
    static thread_local const bool done = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)done;
}

// The most specific message of the current thread's HDF5 error stack, then clears the stack.
std::string hdf5_message() {
    std::string msg;
    auto walk = [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        auto* out = static_cast<std::string*>(data);
        if (n == 0 && e && e->desc) *out = e->desc;
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &msg);
    H5Eclear2(H5E_DEFAULT);
    return msg;
}

[[noreturn]] void throw_error(const std::string& file, const std::string& path, const std::string& what) {
    std::string msg = "HDF5 file '" + file + "'";
    if (!path.empty()) msg += ", object '" + path + "'";
    msg += ": " + what;
    const std::string detail = hdf5_message();
    if (!detail.empty()) msg += " (" + detail + ")";
    throw error(msg);
}

hid_t memory_type(type t) {
    switch (t) {
    case type::float64: return H5T_NATIVE_DOUBLE;
    case type::float32: return H5T_NATIVE_FLOAT;
    case type::int32: return H5T_NATIVE_INT32;
    case type::uint32: return H5T_NATIVE_UINT32;
    case type::int64: return H5T_NATIVE_INT64;
    case type::uint64: return H5T_NATIVE_UINT64;
    case type::string: break;
    }
    return -1;
}

hid_t file_type(type t) {
    switch (t) {
    case type::float64: return H5T_IEEE_F64LE;
    case type::float32: return H5T_IEEE_F32LE;
    case type::int32: return H5T_STD_I32LE;
    case type::uint32: return H5T_STD_U32LE;
    case type::int64: return H5T_STD_I64LE;
    case type::uint64: return H5T_STD_U64LE;
    case type::string: break;
    }
    return -1;
}

// A variable-length string type with the given character set.
handle vlen_string_type(H5T_cset_t cset = H5T_CSET_UTF8) {
    handle t(H5Tcopy(H5T_C_S1));
    if (!t.valid() || H5Tset_size(t.get(), H5T_VARIABLE) < 0 || H5Tset_cset(t.get(), cset) < 0) return handle();
    return t;
}

handle simple_space(std::size_t n) {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    return handle(H5Screate_simple(1, dims, nullptr));
}

std::vector<std::size_t> space_shape(hid_t space) {
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0) return {};
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    return {dims.begin(), dims.end()};
}

// Reads every element of a string dataset or attribute `obj` (is_attribute selects the call) whose
// stored type is `ftype` and whose dataspace has n elements.
template <class Read>
bool read_string_elements(hid_t ftype, std::size_t n, std::vector<std::string>& out, hid_t space, Read&& read) {
    if (H5Tget_class(ftype) != H5T_STRING) return false;
    const H5T_cset_t cset = H5Tget_cset(ftype);
    out.assign(n, std::string());
    if (n == 0) return true;
    const htri_t variable = H5Tis_variable_str(ftype);
    if (variable < 0) return false;
    if (variable) {
        handle mt = vlen_string_type(cset);
        if (!mt.valid()) return false;
        std::vector<char*> buf(n, nullptr);
        if (read(mt.get(), buf.data()) < 0) return false;
        for (std::size_t i = 0; i < n; ++i)
            if (buf[i]) out[i] = buf[i];
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mt.get(), space, H5P_DEFAULT, buf.data());
#else
        H5Dvlen_reclaim(mt.get(), space, H5P_DEFAULT, buf.data());
#endif
        return true;
    }
    const std::size_t size = H5Tget_size(ftype);
    handle mt(H5Tcopy(H5T_C_S1));
    if (!mt.valid() || H5Tset_size(mt.get(), size) < 0 || H5Tset_cset(mt.get(), cset) < 0 ||
        H5Tset_strpad(mt.get(), H5T_STR_NULLPAD) < 0)
        return false;
    std::vector<char> buf(n * size, '\0');
    if (read(mt.get(), buf.data()) < 0) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const char* s = buf.data() + i * size;
        out[i].assign(s, strnlen(s, size));
    }
    return true;
}

// Checks each link along a relative or absolute path.
bool path_exists(hid_t loc, const std::string& path) {
    if (path.empty() || path == "/" || path == ".") return true;
    std::string prefix = path[0] == '/' ? "/" : "";
    std::size_t pos = path[0] == '/' ? 1 : 0;
    while (pos < path.size()) {
        std::size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        if (next > pos) {
            if (!prefix.empty() && prefix.back() != '/') prefix += '/';
            prefix += path.substr(pos, next - pos);
            const htri_t e = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
            if (e <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return false;
            }
            // Intermediate components must be groups for the next H5Lexists to work.
            if (next < path.size()) {
                const htri_t ok = H5Oexists_by_name(loc, prefix.c_str(), H5P_DEFAULT);
                if (ok <= 0) {
                    H5Eclear2(H5E_DEFAULT);
                    return false;
                }
            }
        }
        pos = next + 1;
    }
    return true;
}

H5I_type_t object_type_at(hid_t loc, const std::string& path) {
    if (!path_exists(loc, path)) return H5I_BADID;
    handle o(H5Oopen(loc, path.c_str(), H5P_DEFAULT));
    if (!o.valid()) {
        H5Eclear2(H5E_DEFAULT);
        return H5I_BADID;
    }
    return H5Iget_type(o.get());
}

} // namespace

const char* type_name(type t) noexcept {
    switch (t) {
    case type::float64: return "float64";
    case type::float32: return "float32";
    case type::int32: return "int32";
    case type::uint32: return "uint32";
    case type::int64: return "int64";
    case type::uint64: return "uint64";
    case type::string: return "string";
    }
    return "?";
}

// handle ---------------------------------------------------------------------------------------------

bool handle::reset() noexcept {
    if (id_ < 0) return true;
    const hid_t id = id_;
    id_ = -1;
    herr_t r = 0;
    switch (H5Iget_type(id)) {
    case H5I_FILE: r = H5Fclose(id); break;
    case H5I_GROUP: r = H5Gclose(id); break;
    case H5I_DATASET: r = H5Dclose(id); break;
    case H5I_ATTR: r = H5Aclose(id); break;
    case H5I_DATATYPE: r = H5Tclose(id); break;
    case H5I_DATASPACE: r = H5Sclose(id); break;
    case H5I_GENPROP_LST: r = H5Pclose(id); break;
    default: r = H5Idec_ref(id) < 0 ? -1 : 0; break;
    }
    if (r < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    return true;
}

// object ---------------------------------------------------------------------------------------------

void object::fail(const std::string& what) const { throw_error(file_, path_, what); }

std::string object::child_path(const std::string& name) const {
    if (!name.empty() && name[0] == '/') return name;
    if (path_.empty() || path_ == "/") return "/" + name;
    return path_ + "/" + name;
}

void object::write_attribute(const std::string& name, type t, const void* data, std::size_t n, bool scalar) {
    silence_hdf5();
    if (!valid()) fail("attribute '" + name + "': object is not open");
    if (H5Aexists(id(), name.c_str()) > 0 && H5Adelete(id(), name.c_str()) < 0)
        fail("cannot replace attribute '" + name + "'");
    handle space = scalar ? handle(H5Screate(H5S_SCALAR)) : simple_space(n);
    if (!space.valid()) fail("attribute '" + name + "': cannot create dataspace");
    handle attr(H5Acreate2(id(), name.c_str(), file_type(t), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!attr.valid()) fail("cannot create attribute '" + name + "'");
    if (n > 0 && H5Awrite(attr.get(), memory_type(t), data) < 0) fail("cannot write attribute '" + name + "'");
    if (!attr.reset()) fail("cannot close attribute '" + name + "'");
}

void object::set_attribute(const std::string& name, std::string_view value) {
    silence_hdf5();
    if (!valid()) fail("attribute '" + name + "': object is not open");
    if (H5Aexists(id(), name.c_str()) > 0 && H5Adelete(id(), name.c_str()) < 0)
        fail("cannot replace attribute '" + name + "'");
    handle st = vlen_string_type();
    handle space(H5Screate(H5S_SCALAR));
    if (!st.valid() || !space.valid()) fail("attribute '" + name + "': cannot create string type");
    handle attr(H5Acreate2(id(), name.c_str(), st.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!attr.valid()) fail("cannot create attribute '" + name + "'");
    const std::string copy(value);
    const char* p = copy.c_str();
    if (H5Awrite(attr.get(), st.get(), &p) < 0) fail("cannot write attribute '" + name + "'");
    if (!attr.reset()) fail("cannot close attribute '" + name + "'");
}

void object::set_attribute(const std::string& name, std::span<const std::string> values) {
    silence_hdf5();
    if (!valid()) fail("attribute '" + name + "': object is not open");
    if (H5Aexists(id(), name.c_str()) > 0 && H5Adelete(id(), name.c_str()) < 0)
        fail("cannot replace attribute '" + name + "'");
    handle st = vlen_string_type();
    handle space = simple_space(values.size());
    if (!st.valid() || !space.valid()) fail("attribute '" + name + "': cannot create string type");
    handle attr(H5Acreate2(id(), name.c_str(), st.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!attr.valid()) fail("cannot create attribute '" + name + "'");
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const auto& v : values) ptrs.push_back(v.c_str());
    if (!ptrs.empty() && H5Awrite(attr.get(), st.get(), ptrs.data()) < 0) fail("cannot write attribute '" + name + "'");
    if (!attr.reset()) fail("cannot close attribute '" + name + "'");
}

bool object::has_attribute(const std::string& name) const {
    silence_hdf5();
    if (!valid()) return false;
    const htri_t e = H5Aexists(id(), name.c_str());
    if (e < 0) fail("cannot look up attribute '" + name + "'");
    return e > 0;
}

std::vector<std::string> object::attribute_names() const {
    silence_hdf5();
    std::vector<std::string> names;
    if (!valid()) return names;
    auto op = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
        return 0;
    };
    hsize_t idx = 0;
    if (H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, op, &names) < 0) fail("cannot list attributes");
    return names;
}

std::size_t object::attribute_size(const std::string& name) const {
    silence_hdf5();
    handle attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
    if (!attr.valid()) fail("cannot open attribute '" + name + "'");
    handle space(H5Aget_space(attr.get()));
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (n < 0) fail("attribute '" + name + "': cannot read its dataspace");
    return static_cast<std::size_t>(n);
}

void object::read_attribute(const std::string& name, type t, void* out, std::size_t n) const {
    silence_hdf5();
    handle attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
    if (!attr.valid()) fail("cannot open attribute '" + name + "'");
    handle space(H5Aget_space(attr.get()));
    const hssize_t count = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (count < 0 || static_cast<std::size_t>(count) != n) fail("attribute '" + name + "': unexpected size");
    handle ft(H5Aget_type(attr.get()));
    const H5T_class_t cls = ft.valid() ? H5Tget_class(ft.get()) : H5T_NO_CLASS;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        fail("attribute '" + name + "' is not numeric (cannot read it as " + std::string(type_name(t)) + ")");
    if (n > 0 && H5Aread(attr.get(), memory_type(t), out) < 0)
        fail("cannot read attribute '" + name + "' as " + std::string(type_name(t)));
}

std::vector<std::string> object::string_array_attribute(const std::string& name) const {
    silence_hdf5();
    handle attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
    if (!attr.valid()) fail("cannot open attribute '" + name + "'");
    handle space(H5Aget_space(attr.get()));
    handle ft(H5Aget_type(attr.get()));
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (n < 0 || !ft.valid()) fail("attribute '" + name + "': cannot read its type");
    std::vector<std::string> out;
    const hid_t a = attr.get();
    if (!read_string_elements(ft.get(), static_cast<std::size_t>(n), out, space.get(),
                              [a](hid_t mt, void* buf) { return H5Aread(a, mt, buf); }))
        fail("cannot read attribute '" + name + "' as strings");
    return out;
}

attribute_value object::attribute(const std::string& name) const {
    silence_hdf5();
    handle attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
    if (!attr.valid()) fail("cannot open attribute '" + name + "'");
    handle ft(H5Aget_type(attr.get()));
    handle space(H5Aget_space(attr.get()));
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (!ft.valid() || n < 0) fail("attribute '" + name + "': cannot read its type");
    if (n != 1) fail("attribute '" + name + "' is not a scalar (" + std::to_string(n) + " elements)");
    switch (H5Tget_class(ft.get())) {
    case H5T_STRING: return string_array_attribute(name).at(0);
    case H5T_INTEGER: {
        std::int64_t v = 0;
        if (H5Aread(attr.get(), H5T_NATIVE_INT64, &v) < 0) fail("cannot read attribute '" + name + "'");
        return v;
    }
    case H5T_FLOAT: {
        double v = 0;
        if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v) < 0) fail("cannot read attribute '" + name + "'");
        return v;
    }
    default: fail("attribute '" + name + "' is neither a string nor a number");
    }
}

std::string object::string_attribute(const std::string& name) const {
    auto v = attribute(name);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    fail("attribute '" + name + "' is not a string");
}

double object::number_attribute(const std::string& name) const {
    auto v = attribute(name);
    if (auto* d = std::get_if<double>(&v)) return *d;
    if (auto* i = std::get_if<std::int64_t>(&v)) return double(*i);
    fail("attribute '" + name + "' is not a number");
}

std::int64_t object::integer_attribute(const std::string& name) const {
    auto v = attribute(name);
    if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
    fail("attribute '" + name + "' is not an integer");
}

// dataset --------------------------------------------------------------------------------------------

std::vector<std::size_t> dataset::shape() const {
    silence_hdf5();
    handle space(H5Dget_space(id()));
    if (!space.valid()) fail("cannot read the dataspace");
    if (H5Sget_simple_extent_type(space.get()) == H5S_SCALAR) return {};
    return space_shape(space.get());
}

std::size_t dataset::size() const {
    std::size_t n = 1;
    for (auto d : shape()) n *= d;
    return n;
}

std::size_t dataset::rows() const {
    const auto s = shape();
    return s.empty() ? 1 : s[0];
}

std::size_t dataset::columns() const {
    const auto s = shape();
    std::size_t n = 1;
    for (std::size_t i = 1; i < s.size(); ++i) n *= s[i];
    return n;
}

type dataset::element_type() const {
    silence_hdf5();
    handle ft(H5Dget_type(id()));
    if (!ft.valid()) fail("cannot read the element type");
    const H5T_class_t cls = H5Tget_class(ft.get());
    const std::size_t size = H5Tget_size(ft.get());
    if (cls == H5T_STRING) return type::string;
    if (cls == H5T_FLOAT) return size <= 4 ? type::float32 : type::float64;
    if (cls == H5T_INTEGER) {
        const bool sign = H5Tget_sign(ft.get()) == H5T_SGN_2;
        if (size <= 4) return sign ? type::int32 : type::uint32;
        return sign ? type::int64 : type::uint64;
    }
    fail("unsupported element type");
}

void dataset::append_raw(type t, const void* data, std::size_t n) {
    silence_hdf5();
    if (!valid()) fail("append: dataset is not open");
    if (t == type::string) fail("append: strings cannot be appended");
    handle space(H5Dget_space(id()));
    if (!space.valid()) fail("append: cannot read the dataspace");
    auto dims = space_shape(space.get());
    if (dims.empty() || dims.size() > 2) fail("append: only 1-D and 2-D datasets can be appended to");
    const std::size_t cols = dims.size() == 2 ? dims[1] : 1;
    if (cols == 0 || n % cols != 0)
        fail("append: " + std::to_string(n) + " elements are not whole rows of " + std::to_string(cols));
    const std::size_t add = n / cols;
    if (add == 0) return;
    hsize_t new_dims[2] = {static_cast<hsize_t>(dims[0] + add), static_cast<hsize_t>(cols)};
    if (H5Dset_extent(id(), new_dims) < 0) fail("append: cannot extend the dataset (is it extendible?)");
    space = handle(H5Dget_space(id()));
    const hsize_t start[2] = {static_cast<hsize_t>(dims[0]), 0};
    const hsize_t count[2] = {static_cast<hsize_t>(add), static_cast<hsize_t>(cols)};
    if (!space.valid() || H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
        fail("append: cannot select the new rows");
    handle mem = simple_space(n);
    if (!mem.valid() || H5Dwrite(id(), memory_type(t), mem.get(), space.get(), H5P_DEFAULT, data) < 0)
        fail("append: cannot write " + std::to_string(n) + " elements of type " + type_name(t));
}

void dataset::read_raw(type t, void* out, std::size_t first_row, std::size_t nrows) const {
    silence_hdf5();
    if (!valid()) fail("read: dataset is not open");
    if (t == type::string) fail("read: use read_strings() for strings");
    handle ft(H5Dget_type(id()));
    const H5T_class_t cls = ft.valid() ? H5Tget_class(ft.get()) : H5T_NO_CLASS;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        fail(std::string("read: the dataset is not numeric (cannot read it as ") + type_name(t) + ")");
    handle space(H5Dget_space(id()));
    if (!space.valid()) fail("read: cannot read the dataspace");
    const bool scalar = H5Sget_simple_extent_type(space.get()) == H5S_SCALAR;
    auto dims = space_shape(space.get());
    const std::size_t total_rows = scalar ? 1 : (dims.empty() ? 0 : dims[0]);
    if (first_row > total_rows || nrows > total_rows - first_row)
        fail("read: rows [" + std::to_string(first_row) + ", " + std::to_string(first_row + nrows) +
             ") out of range (" + std::to_string(total_rows) + " rows)");
    std::size_t cols = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) cols *= dims[i];
    if (nrows == 0 || cols == 0) return;
    if (!scalar && (first_row != 0 || nrows != total_rows)) {
        std::vector<hsize_t> start(dims.size(), 0), count(dims.begin(), dims.end());
        start[0] = first_row;
        count[0] = nrows;
        if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0)
            fail("read: cannot select rows");
    }
    handle mem = simple_space(nrows * cols);
    if (!mem.valid() || H5Dread(id(), memory_type(t), mem.get(), space.get(), H5P_DEFAULT, out) < 0)
        fail(std::string("read: cannot read as ") + type_name(t));
}

std::vector<std::string> dataset::read_strings() const {
    silence_hdf5();
    if (!valid()) fail("read: dataset is not open");
    handle ft(H5Dget_type(id()));
    handle space(H5Dget_space(id()));
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (!ft.valid() || n < 0) fail("read: cannot read the type");
    std::vector<std::string> out;
    const hid_t d = id();
    if (!read_string_elements(ft.get(), static_cast<std::size_t>(n), out, space.get(), [d](hid_t mt, void* buf) {
            return H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        }))
        fail("read: cannot read as strings");
    return out;
}

// group ----------------------------------------------------------------------------------------------

group group::create_group(const std::string& path) {
    silence_hdf5();
    if (!valid()) fail("create group '" + path + "': group is not open");
    handle lcpl(H5Pcreate(H5P_LINK_CREATE));
    if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0)
        fail("create group '" + path + "': cannot set up link creation");
    if (path_exists(id(), path)) throw_error(file_, child_path(path), "cannot create group: it exists already");
    handle g(H5Gcreate2(id(), path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!g.valid()) throw_error(file_, child_path(path), "cannot create group");
    return group(std::move(g), file_, child_path(path));
}

group group::require_group(const std::string& path) {
    if (path_exists(id(), path)) return open_group(path);
    return create_group(path);
}

group group::open_group(const std::string& path) const {
    silence_hdf5();
    if (!valid()) fail("open group '" + path + "': group is not open");
    handle g(H5Gopen2(id(), path.c_str(), H5P_DEFAULT));
    if (!g.valid()) throw_error(file_, child_path(path), "cannot open group");
    return group(std::move(g), file_, child_path(path));
}

dataset group::open_dataset(const std::string& path) const {
    silence_hdf5();
    if (!valid()) fail("open dataset '" + path + "': group is not open");
    handle d(H5Dopen2(id(), path.c_str(), H5P_DEFAULT));
    if (!d.valid()) throw_error(file_, child_path(path), "cannot open dataset");
    return dataset(std::move(d), file_, child_path(path));
}

bool group::exists(const std::string& path) const {
    silence_hdf5();
    return valid() && path_exists(id(), path);
}

bool group::is_group(const std::string& path) const {
    silence_hdf5();
    return valid() && object_type_at(id(), path) == H5I_GROUP;
}

bool group::is_dataset(const std::string& path) const {
    silence_hdf5();
    return valid() && object_type_at(id(), path) == H5I_DATASET;
}

bool group::remove(const std::string& name) {
    silence_hdf5();
    if (!valid()) fail("cannot remove '" + name + "': group is not open");
    if (!path_exists(id(), name)) return false;
    if (H5Ldelete(id(), name.c_str(), H5P_DEFAULT) < 0) throw_error(file_, child_path(name), "cannot remove");
    return true;
}

std::vector<std::string> group::members() const {
    silence_hdf5();
    std::vector<std::string> names;
    if (!valid()) return names;
    H5G_info_t info;
    if (H5Gget_info(id(), &info) < 0) fail("cannot list members");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t len = H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (len < 0) fail("cannot read member names");
        std::string name(static_cast<std::size_t>(len) + 1, '\0');
        if (H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
            fail("cannot read member names");
        name.resize(static_cast<std::size_t>(len));
        names.push_back(std::move(name));
    }
    return names;
}

dataset group::write_raw(const std::string& name, type t, const void* data, std::size_t n, int deflate_level) {
    silence_hdf5();
    if (!valid()) fail("write dataset '" + name + "': group is not open");
    if (deflate_level < 0 || deflate_level > 9) throw_error(file_, child_path(name), "deflate level must be 0-9");
    handle space = simple_space(n);
    if (!space.valid()) throw_error(file_, child_path(name), "cannot create dataspace");
    handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (!dcpl.valid()) throw_error(file_, child_path(name), "cannot create dataset properties");
    if (deflate_level > 0 && n > 0) {
        // 2^18 elements (1-2 MB) per chunk: large enough for deflate, small enough to stay in cache.
        const hsize_t chunk = static_cast<hsize_t>(std::min<std::size_t>(n, std::size_t(1) << 18));
        if (H5Pset_chunk(dcpl.get(), 1, &chunk) < 0 || H5Pset_shuffle(dcpl.get()) < 0 ||
            H5Pset_deflate(dcpl.get(), unsigned(deflate_level)) < 0)
            throw_error(file_, child_path(name), "cannot set up compression");
    }
    handle d(H5Dcreate2(id(), name.c_str(), file_type(t), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
    if (!d.valid()) throw_error(file_, child_path(name), "cannot create dataset");
    if (n > 0 && H5Dwrite(d.get(), memory_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        throw_error(file_, child_path(name), "cannot write dataset");
    return dataset(std::move(d), file_, child_path(name));
}

dataset group::write(const std::string& name, std::span<const std::string> data) {
    silence_hdf5();
    if (!valid()) fail("write dataset '" + name + "': group is not open");
    handle st = vlen_string_type();
    handle space = simple_space(data.size());
    if (!st.valid() || !space.valid()) throw_error(file_, child_path(name), "cannot create string type");
    handle d(H5Dcreate2(id(), name.c_str(), st.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!d.valid()) throw_error(file_, child_path(name), "cannot create dataset");
    std::vector<const char*> ptrs;
    ptrs.reserve(data.size());
    for (const auto& s : data) ptrs.push_back(s.c_str());
    if (!ptrs.empty() && H5Dwrite(d.get(), st.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
        throw_error(file_, child_path(name), "cannot write dataset");
    return dataset(std::move(d), file_, child_path(name));
}

dataset group::write_string(const std::string& name, std::string_view text) {
    silence_hdf5();
    if (!valid()) fail("write dataset '" + name + "': group is not open");
    handle st = vlen_string_type();
    handle space(H5Screate(H5S_SCALAR));
    if (!st.valid() || !space.valid()) throw_error(file_, child_path(name), "cannot create string type");
    handle d(H5Dcreate2(id(), name.c_str(), st.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!d.valid()) throw_error(file_, child_path(name), "cannot create dataset");
    const std::string copy(text);
    const char* p = copy.c_str();
    if (H5Dwrite(d.get(), st.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0)
        throw_error(file_, child_path(name), "cannot write dataset");
    return dataset(std::move(d), file_, child_path(name));
}

dataset group::create_appendable(const std::string& name, type t, std::size_t columns, std::size_t chunk_elements,
                                 int deflate_level) {
    silence_hdf5();
    const std::string where = child_path(name);
    if (!valid()) throw_error(file_, where, "cannot create dataset: group is not open");
    if (t == type::string) throw_error(file_, where, "appendable string datasets are not supported");
    if (deflate_level < 0 || deflate_level > 9) throw_error(file_, where, "deflate level must be 0-9");
    chunk_elements = std::max<std::size_t>(chunk_elements, 1);
    const int rank = columns == 0 ? 1 : 2;
    hsize_t dims[2] = {0, static_cast<hsize_t>(columns)};
    hsize_t maxdims[2] = {H5S_UNLIMITED, static_cast<hsize_t>(columns)};
    hsize_t chunk[2] = {static_cast<hsize_t>(chunk_elements), 1};
    if (rank == 2) {
        chunk[1] = static_cast<hsize_t>(std::min(columns, chunk_elements));
        chunk[0] = static_cast<hsize_t>(std::max<std::size_t>(1, chunk_elements / columns));
    }
    handle space(H5Screate_simple(rank, dims, maxdims));
    handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (!space.valid() || !dcpl.valid() || H5Pset_chunk(dcpl.get(), rank, chunk) < 0)
        throw_error(file_, where, "cannot set up a chunked layout");
    if (deflate_level > 0 && (H5Pset_shuffle(dcpl.get()) < 0 || H5Pset_deflate(dcpl.get(), unsigned(deflate_level)) < 0))
        throw_error(file_, where, "cannot set up compression");
    handle d(H5Dcreate2(id(), name.c_str(), file_type(t), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
    if (!d.valid()) throw_error(file_, where, "cannot create dataset");
    return dataset(std::move(d), file_, where);
}

// file -----------------------------------------------------------------------------------------------

file file::create(const std::string& name) {
    silence_hdf5();
    handle f(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!f.valid()) throw_error(name, "", "cannot create file");
    return file(std::move(f), name);
}

file file::open(const std::string& name) {
    silence_hdf5();
    const htri_t is = H5Fis_hdf5(name.c_str());
    if (is == 0) {
        H5Eclear2(H5E_DEFAULT);
        throw error("HDF5 file '" + name + "': not an HDF5 file");
    }
    handle f(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!f.valid()) throw_error(name, "", "cannot open file");
    return file(std::move(f), name);
}

file file::open_read_write(const std::string& name) {
    silence_hdf5();
    const htri_t is = H5Fis_hdf5(name.c_str());
    if (is == 0) {
        H5Eclear2(H5E_DEFAULT);
        throw error("HDF5 file '" + name + "': not an HDF5 file");
    }
    handle f(H5Fopen(name.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!f.valid()) throw_error(name, "", "cannot open file for writing");
    return file(std::move(f), name);
}

void file::flush() {
    silence_hdf5();
    if (!valid()) fail("flush: file is not open");
    if (H5Fflush(id(), H5F_SCOPE_GLOBAL) < 0) fail("cannot flush");
}

void file::close() {
    silence_hdf5();
    if (!valid()) return;
    // Detached first, so that a failed close is not retried by the destructor.
    const hid_t id = handle_.release();
    if (H5Fclose(id) < 0) throw_error(file_, "", "cannot close file");
}

} // namespace lamina::sim::hdf5
