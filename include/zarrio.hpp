/*
 * zarrio.hpp: C++17 wrapper over the zarrio C API (zarrio.h).
 *
 * Header only, no dependencies. Each C handle becomes a move-only owner
 * that frees it (store, group, array, pipeline); each error status
 * becomes a `zarrio::error` exception carrying the status and the
 * library's message; library-allocated strings and bytes come back as
 * std::string and std::vector. Ownership and thread rules are those of
 * the C calls each method names (see zarrio.h): handles may be read from
 * many threads at once; calls that change metadata must not race.
 *
 * Element types: the typed read, write and fill calls check that the C++
 * type is as large as the array's element (`zarrio::error` with
 * ZARRIO_ERR_INVALID_ARGUMENT otherwise); the untyped ones take bytes.
 * Values are in native byte order.
 */
#ifndef ZARRIO_HPP
#define ZARRIO_HPP

/* MSVC reports 199711L unless /Zc:__cplusplus; _MSVC_LANG is its own. */
#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) < 201703L
#error "zarrio.hpp needs C++17 or newer (zarrio.h alone is C99 and C++11)"
#endif

#include <complex>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "zarrio.h"

namespace zarrio {

/// Region coordinates: one entry per dimension.
using extents = std::vector<uint64_t>;

/// A failed zarrio call: the status (`ZARRIO_ERR_*`) and why.
class error : public std::runtime_error {
public:
    error(zarrio_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    zarrio_status status() const noexcept { return status_; }
    /// The status's stable name, e.g. "ZARRIO_ERR_NOT_FOUND".
    const char *status_name() const noexcept { return zarrio_status_name(status_); }

private:
    zarrio_status status_;
};

namespace detail {

/// Whether T is a std::complex.
template <class T> struct is_complex : std::false_type {};
template <class T> struct is_complex<std::complex<T>> : std::true_type {};

inline void check(zarrio_status status, const char *call) {
    if (status != ZARRIO_OK)
        throw error(status, std::string(call) + ": " + zarrio_last_error());
}

/// A library-allocated string as a std::string (the C string is freed).
inline std::string take_string(char *s) {
    std::unique_ptr<char, void (*)(char *)> owned(s, zarrio_string_free);
    return s ? std::string(s) : std::string();
}

struct store_free {
    void operator()(zarrio_store *p) const noexcept { zarrio_store_free(p); }
};
struct group_free {
    void operator()(zarrio_group *p) const noexcept { zarrio_group_free(p); }
};
struct array_free {
    void operator()(zarrio_array *p) const noexcept { zarrio_array_free(p); }
};
/// Frees library-allocated bytes of a known length.
struct bytes_free {
    size_t len;
    void operator()(uint8_t *p) const noexcept { zarrio_bytes_free(p, len); }
};
struct pipeline_free {
    void operator()(zarrio_pipeline *p) const noexcept { zarrio_pipeline_free(p); }
};

/// `T` in a position where it is not deduced.
template <class T> struct named {
    using type = T;
};

inline uint64_t element_count(const extents &shape) {
    uint64_t n = 1;
    for (uint64_t e : shape) {
        if (e != 0 && n > UINT64_MAX / e)
            throw error(ZARRIO_ERR_INVALID_ARGUMENT, "region element count overflows 64 bits");
        n *= e;
    }
    return n;
}

inline void same_rank(const extents &start, const extents &shape) {
    if (start.size() != shape.size())
        throw error(ZARRIO_ERR_INVALID_ARGUMENT,
                    "start has " + std::to_string(start.size()) + " entries, shape " +
                        std::to_string(shape.size()));
}

/// Parse the `[{"name": "...", "node_type": "..."}, ...]` text of
/// `zarrio_group_children`: JSON as the library writes it (no whitespace,
/// the two keys in that order, strings with JSON escapes).
class children_parser {
public:
    explicit children_parser(const std::string &text) : s_(text) {}

    template <class Child> std::vector<Child> parse() {
        std::vector<Child> out;
        expect('[');
        if (peek() == ']') return out;
        for (;;) {
            expect('{');
            Child c;
            key("name");
            c.name = string();
            expect(',');
            key("node_type");
            std::string type = string();
            c.is_array = type == "array";
            expect('}');
            out.push_back(std::move(c));
            if (peek() == ']') return out;
            expect(',');
        }
    }

private:
    const std::string &s_;
    size_t i_ = 0;

    [[noreturn]] void fail() const {
        throw error(ZARRIO_ERR_INTERNAL, "unexpected children JSON: " + s_);
    }
    char peek() const {
        if (i_ >= s_.size()) fail();
        return s_[i_];
    }
    void expect(char c) {
        if (peek() != c) fail();
        i_++;
    }
    void key(const char *k) {
        if (string() != k) fail();
        expect(':');
    }
    static void utf8(std::string &out, uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }
    uint32_t hex4() {
        if (i_ + 4 > s_.size()) fail();
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f') v |= uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= uint32_t(c - 'A' + 10);
            else fail();
        }
        return v;
    }
    std::string string() {
        expect('"');
        std::string out;
        for (;;) {
            char c = peek();
            i_++;
            if (c == '"') return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            char e = peek();
            i_++;
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                uint32_t cp = hex4();
                if (cp >= 0xD800 && cp < 0xDC00) {
                    expect('\\');
                    expect('u');
                    uint32_t lo = hex4();
                    if (lo < 0xDC00 || lo >= 0xE000) fail();
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                utf8(out, cp);
                break;
            }
            default: fail();
            }
        }
    }
};

/// Calls a C++ callable from a C range-read callback. Exceptions stop at
/// the boundary: their message becomes the read's error.
template <class F> struct range_reader {
    F &f;
    static int32_t call(void *user_data, uint64_t offset, uint64_t length, int32_t from_end,
                        zarrio_io *io) noexcept {
        try {
            return static_cast<range_reader *>(user_data)->f(offset, length, from_end != 0, io);
        } catch (const std::exception &e) {
            zarrio_io_set_error(io, e.what());
        } catch (...) {
            zarrio_io_set_error(io, "unknown C++ exception in a range reader");
        }
        return -1;
    }
};

} // namespace detail

/// The library's version string, e.g. "0.1.0" (`zarrio_version`).
inline std::string version() { return zarrio_version(); }

/// The library's version as a number (`zarrio_version_number`), to
/// compare with `ZARRIO_VERSION_NUMBER` from the header built against.
inline uint32_t version_number() { return zarrio_version_number(); }

/// Decode threads for the whole process; 0 = one per core
/// (`zarrio_set_threads`).
inline void set_threads(uint32_t n) { detail::check(zarrio_set_threads(n), "zarrio_set_threads"); }

/// The decode threads in use (`zarrio_threads`).
inline uint32_t threads() { return zarrio_threads(); }

/// Requests in flight for slow stores; 0 = the default
/// (`zarrio_set_io_concurrency`).
inline void set_io_concurrency(uint32_t n) {
    detail::check(zarrio_set_io_concurrency(n), "zarrio_set_io_concurrency");
}

/// The requests in flight for slow stores (`zarrio_io_concurrency`).
inline uint32_t io_concurrency() { return zarrio_io_concurrency(); }

/// Whether large read destinations are advised to use huge pages
/// (`zarrio_set_huge_pages`, `zarrio_huge_pages`).
inline void set_huge_pages(bool enabled) {
    detail::check(zarrio_set_huge_pages(enabled ? 1 : 0), "zarrio_set_huge_pages");
}
inline bool huge_pages() { return zarrio_huge_pages() != 0; }

/// A key-value store (`zarrio_store`). Groups and arrays opened on it
/// keep it alive. Thread-safe.
class store {
public:
    /// The directory `path`, created when missing
    /// (`zarrio_store_open_filesystem`).
    static store filesystem(const std::string &path) {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_open_filesystem(path.c_str(), &h), "zarrio_store_open_filesystem");
        return store(h);
    }
    /// The zip archive `path`, read only (`zarrio_store_open_zip`).
    static store zip(const std::string &path) {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_open_zip(path.c_str(), &h), "zarrio_store_open_zip");
        return store(h);
    }
    /// A store writing the zip archive `path` when closed
    /// (`zarrio_store_create_zip`; see `close`).
    static store create_zip(const std::string &path) {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_create_zip(path.c_str(), &h), "zarrio_store_create_zip");
        return store(h);
    }
    /// Finish writing (`zarrio_store_close`): a zip archive being written
    /// is written out; later requests through the store are refused.
    void close() const { detail::check(zarrio_store_close(get()), "zarrio_store_close"); }
    /// An empty in-memory store (`zarrio_store_create_memory`).
    static store memory() {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_create_memory(&h), "zarrio_store_create_memory");
        return store(h);
    }
    /// A store made of the host's callbacks (`zarrio_store_create_callbacks`).
    /// They are C functions: they must not let a C++ exception out.
    static store callbacks(const zarrio_store_callbacks &table) {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_create_callbacks(&table, &h), "zarrio_store_create_callbacks");
        return store(h);
    }
    /// `inner` with node metadata at or below the group at `path` answered
    /// from the group's consolidated metadata
    /// (`zarrio_store_open_consolidated`).
    static store consolidated(const store &inner, const std::string &path = "") {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_open_consolidated(inner.get(), path.c_str(), &h),
                      "zarrio_store_open_consolidated");
        return store(h);
    }
    /// The N5 container in `inner` as a Zarr store: node metadata made
    /// from and written as N5's `attributes.json` (`zarrio_store_open_n5`).
    static store n5(const store &inner) {
        zarrio_store *h = nullptr;
        detail::check(zarrio_store_open_n5(inner.get(), &h), "zarrio_store_open_n5");
        return store(h);
    }

    /// The C handle, still owned by this object.
    zarrio_store *get() const noexcept { return h_.get(); }
    /// Take ownership of a handle from the C API (NULL is refused).
    static store adopt(zarrio_store *handle) {
        if (!handle) throw error(ZARRIO_ERR_INVALID_ARGUMENT, "adopt: the handle is NULL");
        return store(handle);
    }
    /// Give up ownership: the caller frees the handle with `zarrio_store_free`.
    zarrio_store *release() noexcept { return h_.release(); }

private:
    explicit store(zarrio_store *h) : h_(h) {}
    std::unique_ptr<zarrio_store, detail::store_free> h_;
};

/// A direct child of a group.
struct child {
    std::string name;
    bool is_array = false; ///< else a group
};

/// A group node (`zarrio_group`).
class group {
public:
    /// Create a group at `path` with attributes (a JSON object's text)
    /// (`zarrio_group_create`).
    static group create(const store &s, const std::string &path,
                        const std::string &attributes_json = "{}") {
        zarrio_group *h = nullptr;
        detail::check(zarrio_group_create(s.get(), path.c_str(), attributes_json.c_str(), &h),
                      "zarrio_group_create");
        return group(h);
    }
    /// Open the group at `path`, v3 or v2 (`zarrio_group_open`).
    static group open(const store &s, const std::string &path) {
        zarrio_group *h = nullptr;
        detail::check(zarrio_group_open(s.get(), path.c_str(), &h), "zarrio_group_open");
        return group(h);
    }

    /// The attributes as JSON object text (`zarrio_group_attributes`).
    std::string attributes() const {
        char *json = nullptr;
        detail::check(zarrio_group_attributes(get(), &json), "zarrio_group_attributes");
        return detail::take_string(json);
    }
    /// Replace the attributes (`zarrio_group_set_attributes`).
    void set_attributes(const std::string &json) {
        detail::check(zarrio_group_set_attributes(get(), json.c_str()), "zarrio_group_set_attributes");
    }
    /// The direct children, sorted by name (`zarrio_group_children`).
    std::vector<child> children() const {
        return detail::children_parser(children_json()).parse<child>();
    }
    /// The same as the library's JSON text.
    std::string children_json() const {
        char *json = nullptr;
        detail::check(zarrio_group_children(get(), &json), "zarrio_group_children");
        return detail::take_string(json);
    }
    /// Erase the child node `name` and everything below it
    /// (`zarrio_group_erase_child`).
    void erase_child(const std::string &name) {
        detail::check(zarrio_group_erase_child(get(), name.c_str()), "zarrio_group_erase_child");
    }
    /// Write the consolidated metadata of every node below
    /// (`zarrio_group_consolidate_metadata`).
    void consolidate_metadata() {
        detail::check(zarrio_group_consolidate_metadata(get()), "zarrio_group_consolidate_metadata");
    }

    zarrio_group *get() const noexcept { return h_.get(); }
    /// Take ownership of a handle from the C API (NULL is refused).
    static group adopt(zarrio_group *handle) {
        if (!handle) throw error(ZARRIO_ERR_INVALID_ARGUMENT, "adopt: the handle is NULL");
        return group(handle);
    }
    /// Give up ownership: the caller frees the handle with `zarrio_group_free`.
    zarrio_group *release() noexcept { return h_.release(); }

private:
    explicit group(zarrio_group *h) : h_(h) {}
    std::unique_ptr<zarrio_group, detail::group_free> h_;
};

/// A codec pipeline on its own, for bytes the host moves itself
/// (`zarrio_pipeline`). Thread-safe.
class pipeline {
public:
    /// From a codec list, a data type (name or JSON object), the chunk
    /// shape and a fill value's JSON (`zarrio_pipeline_create`).
    static pipeline create(const std::string &codecs_json, const std::string &data_type,
                           const extents &chunk_shape, const std::string &fill_value_json) {
        zarrio_pipeline *h = nullptr;
        detail::check(zarrio_pipeline_create(codecs_json.c_str(), data_type.c_str(), chunk_shape.size(),
                                             chunk_shape.data(), fill_value_json.c_str(), &h),
                      "zarrio_pipeline_create");
        return pipeline(h);
    }

    /// The bytes of one decoded chunk (`zarrio_pipeline_decoded_size`).
    size_t decoded_size() const {
        size_t n = 0;
        detail::check(zarrio_pipeline_decoded_size(get(), &n), "zarrio_pipeline_decoded_size");
        return n;
    }
    /// Decode one chunk's bytes into `out` (`zarrio_pipeline_decode`).
    void decode(const void *bytes, size_t len, void *out, size_t capacity) const {
        detail::check(zarrio_pipeline_decode(get(), bytes, len, out, capacity), "zarrio_pipeline_decode");
    }
    /// Decode one chunk into a new buffer of `decoded_size()` bytes.
    std::vector<uint8_t> decode(const std::vector<uint8_t> &bytes) const {
        std::vector<uint8_t> out(decoded_size());
        decode(bytes.data(), bytes.size(), out.data(), out.size());
        return out;
    }
    /// Encode one chunk (`zarrio_pipeline_encode`).
    std::vector<uint8_t> encode(const void *data, size_t len) const {
        uint8_t *bytes = nullptr;
        size_t n = 0;
        detail::check(zarrio_pipeline_encode(get(), data, len, &bytes, &n), "zarrio_pipeline_encode");
        std::unique_ptr<uint8_t, detail::bytes_free> owned(bytes, detail::bytes_free{n});
        return std::vector<uint8_t>(bytes, bytes + n);
    }
    /// Decode the region `start .. start + shape` of a shard whose bytes
    /// `read_range(offset, length, from_end, io)` hands over with
    /// `zarrio_io_set_data` (returning ZARRIO_CALLBACK_OK, or
    /// ZARRIO_CALLBACK_NOT_FOUND for no shard); see
    /// `zarrio_pipeline_decode_shard_region` for the arguments. An
    /// exception thrown by `read_range` fails the read with its message.
    /// Unless `threads` is 1, `read_range` may be called from several of
    /// the library's threads at once.
    template <class ReadRange>
    void decode_shard_region(ReadRange &&read_range, const extents &start, const extents &shape,
                             void *out, size_t capacity, const int64_t *strides = nullptr,
                             uint32_t threads = 0) const {
        detail::same_rank(start, shape);
        using F = std::remove_reference_t<ReadRange>;
        using R = std::invoke_result_t<F &, uint64_t, uint64_t, bool, zarrio_io *>;
        static_assert(std::is_integral<R>::value && !std::is_same<R, bool>::value,
                      "a range reader returns ZARRIO_CALLBACK_OK, ZARRIO_CALLBACK_NOT_FOUND or another "
                      "int32_t status (a bool true would mean NOT_FOUND)");
        detail::range_reader<F> reader{read_range};
        detail::check(zarrio_pipeline_decode_shard_region(get(), &detail::range_reader<F>::call, &reader,
                                                          start.size(), start.data(), shape.data(), out,
                                                          capacity, strides, threads),
                      "zarrio_pipeline_decode_shard_region");
    }

    zarrio_pipeline *get() const noexcept { return h_.get(); }
    /// Take ownership of a handle from the C API (NULL is refused).
    static pipeline adopt(zarrio_pipeline *handle) {
        if (!handle) throw error(ZARRIO_ERR_INVALID_ARGUMENT, "adopt: the handle is NULL");
        return pipeline(handle);
    }
    /// Give up ownership: the caller frees the handle with `zarrio_pipeline_free`.
    zarrio_pipeline *release() noexcept { return h_.release(); }

private:
    friend class array;
    explicit pipeline(zarrio_pipeline *h) : h_(h) {}
    std::unique_ptr<zarrio_pipeline, detail::pipeline_free> h_;
};

/// An array node (`zarrio_array`). Reads may run from many threads at
/// once; so may writes of disjoint chunks.
class array {
public:
    /// Create an array at `path` from its zarr.json text, replacing any
    /// node there (`zarrio_array_create`).
    static array create(const store &s, const std::string &path, const std::string &zarr_json) {
        zarrio_array *h = nullptr;
        detail::check(zarrio_array_create(s.get(), path.c_str(), zarr_json.c_str(), &h),
                      "zarrio_array_create");
        return array(h);
    }
    /// Open the array at `path`, v3 or v2 (`zarrio_array_open`).
    static array open(const store &s, const std::string &path) {
        zarrio_array *h = nullptr;
        detail::check(zarrio_array_open(s.get(), path.c_str(), &h), "zarrio_array_open");
        return array(h);
    }

    size_t ndim() const {
        size_t n = 0;
        detail::check(zarrio_array_ndim(get(), &n), "zarrio_array_ndim");
        return n;
    }
    extents shape() const { return dims(zarrio_array_shape, "zarrio_array_shape"); }
    extents chunk_shape() const { return dims(zarrio_array_chunk_shape, "zarrio_array_chunk_shape"); }
    /// The inner chunk shape of a sharded array, else the chunk shape.
    extents inner_chunk_shape() const {
        return dims(zarrio_array_inner_chunk_shape, "zarrio_array_inner_chunk_shape");
    }
    /// Chunks along each dimension (`zarrio_array_grid_shape`).
    extents grid_shape() const { return dims(zarrio_array_grid_shape, "zarrio_array_grid_shape"); }
    /// The first element and the full shape of the chunk at `indices`
    /// (`zarrio_array_chunk_span`; rectilinear grids' chunks differ).
    std::pair<extents, extents> chunk_span(const extents &indices) const {
        extents origin(indices.size()), shape(indices.size());
        detail::check(zarrio_array_chunk_span(get(), indices.size(), indices.data(), origin.data(), shape.data()),
                      "zarrio_array_chunk_span");
        return {origin, shape};
    }
    /// The data type's name, e.g. "uint16" (`zarrio_array_data_type`).
    std::string data_type() const {
        char *name = nullptr;
        detail::check(zarrio_array_data_type(get(), &name), "zarrio_array_data_type");
        return detail::take_string(name);
    }
    /// Bytes per element; 0 for `string` and `variable_length_bytes`.
    size_t element_size() const {
        size_t n = 0;
        detail::check(zarrio_array_element_size(get(), &n), "zarrio_array_element_size");
        return n;
    }
    /// The fill value's bytes, native byte order; for `string` and
    /// `variable_length_bytes` arrays, the fill item's bytes
    /// (`zarrio_array_fill_value`).
    std::vector<uint8_t> fill_value() const {
        size_t size = 0;
        detail::check(zarrio_array_fill_value_size(get(), &size), "zarrio_array_fill_value_size");
        std::vector<uint8_t> v(size);
        detail::check(zarrio_array_fill_value(get(), v.data(), v.size()), "zarrio_array_fill_value");
        return v;
    }
    /// The array's metadata as zarr.json text (`zarrio_array_metadata`).
    std::string metadata() const {
        char *json = nullptr;
        detail::check(zarrio_array_metadata(get(), &json), "zarrio_array_metadata");
        return detail::take_string(json);
    }
    /// The attributes as JSON object text (`zarrio_array_attributes`).
    std::string attributes() const {
        char *json = nullptr;
        detail::check(zarrio_array_attributes(get(), &json), "zarrio_array_attributes");
        return detail::take_string(json);
    }
    void set_attributes(const std::string &json) {
        detail::check(zarrio_array_set_attributes(get(), json.c_str()), "zarrio_array_set_attributes");
    }

    /// Read a region into `capacity` bytes at `out`, laid out by element
    /// `strides` (nullptr = C order) (`zarrio_array_read`).
    void read_bytes(const extents &start, const extents &shape, void *out, size_t capacity,
                    const int64_t *strides = nullptr) const {
        detail::same_rank(start, shape);
        detail::check(zarrio_array_read(get(), start.size(), start.data(), shape.data(), out, capacity, strides),
                      "zarrio_array_read");
    }
    /// Read a region into `count` elements at `out`.
    template <class T>
    void read(const extents &start, const extents &shape, T *out, size_t count,
              const int64_t *strides = nullptr) const {
        check_element<T>();
        read_bytes(start, shape, static_cast<void *>(out), count * sizeof(T), strides);
    }
    /// Read a region into a new C-order vector.
    template <class T> std::vector<T> read(const extents &start, const extents &shape) const {
        static_assert(!std::is_same<T, bool>::value,
                      "std::vector<bool> has no data(): read into a bool buffer with read(start, shape, ptr, count)");
        check_element<T>();
        std::vector<T> out(region_size(start, shape));
        read(start, shape, out.data(), out.size());
        return out;
    }
    /// Read the whole array into a new C-order vector.
    template <class T> std::vector<T> read_all() const { return read<T>(extents(ndim(), 0), shape()); }

    /// Write a region from `size` bytes at `src`, laid out by element
    /// `strides` (nullptr = C order) (`zarrio_array_write`).
    void write_bytes(const extents &start, const extents &shape, const void *src, size_t size,
                     const int64_t *strides = nullptr) {
        detail::same_rank(start, shape);
        detail::check(zarrio_array_write(get(), start.size(), start.data(), shape.data(), src, size, strides),
                      "zarrio_array_write");
    }
    /// Write a region from `count` elements at `src`.
    template <class T>
    void write(const extents &start, const extents &shape, const T *src, size_t count,
               const int64_t *strides = nullptr) {
        check_element<T>();
        write_bytes(start, shape, static_cast<const void *>(src), count * sizeof(T), strides);
    }
    /// Write a region from a C-order vector.
    template <class T> void write(const extents &start, const extents &shape, const std::vector<T> &src) {
        static_assert(!std::is_same<T, bool>::value,
                      "std::vector<bool> has no data(): write from a bool buffer with write(start, shape, ptr, count)");
        write(start, shape, src.data(), src.size());
    }

    /// Read `count[d]` elements from `start[d]` in steps of `step[d]` along
    /// each dimension into a new C-order vector of the shape `count`
    /// (`zarrio_array_read_stepped`).
    template <class T>
    std::vector<T> read_stepped(const extents &start, const extents &step, const extents &count) const {
        static_assert(!std::is_same<T, bool>::value, "std::vector<bool> has no data()");
        check_element<T>();
        detail::same_rank(start, step);
        detail::same_rank(start, count);
        check_counts(count);
        std::vector<T> out(selection_size(count));
        detail::check(zarrio_array_read_stepped(get(), start.size(), start.data(), step.data(), count.data(),
                                                out.data(), out.size() * sizeof(T), nullptr),
                      "zarrio_array_read_stepped");
        return out;
    }
    /// Write those elements from a C-order vector of the shape `count`
    /// (`zarrio_array_write_stepped`).
    template <class T>
    void write_stepped(const extents &start, const extents &step, const extents &count, const std::vector<T> &src) {
        static_assert(!std::is_same<T, bool>::value, "std::vector<bool> has no data()");
        check_element<T>();
        detail::same_rank(start, step);
        detail::same_rank(start, count);
        detail::check(zarrio_array_write_stepped(get(), start.size(), start.data(), step.data(), count.data(),
                                                 src.data(), src.size() * sizeof(T), nullptr),
                      "zarrio_array_write_stepped");
    }
    /// Read the elements at `indices[0][k0], indices[1][k1], ...` (any
    /// order, repeats allowed) into a new C-order vector whose shape is the
    /// lists' lengths (`zarrio_array_read_orthogonal`).
    template <class T> std::vector<T> read_orthogonal(const std::vector<extents> &indices) const {
        static_assert(!std::is_same<T, bool>::value, "std::vector<bool> has no data()");
        check_element<T>();
        std::vector<const uint64_t *> lists;
        std::vector<size_t> counts;
        size_t n = lists_of(indices, lists, counts);
        std::vector<T> out(n);
        detail::check(zarrio_array_read_orthogonal(get(), lists.size(), lists.data(), counts.data(), out.data(),
                                                   out.size() * sizeof(T), nullptr),
                      "zarrio_array_read_orthogonal");
        return out;
    }
    /// Write those elements from a C-order vector; of repeated indices the
    /// last position is written (`zarrio_array_write_orthogonal`).
    template <class T> void write_orthogonal(const std::vector<extents> &indices, const std::vector<T> &src) {
        static_assert(!std::is_same<T, bool>::value, "std::vector<bool> has no data()");
        check_element<T>();
        std::vector<const uint64_t *> lists;
        std::vector<size_t> counts;
        lists_of(indices, lists, counts);
        detail::check(zarrio_array_write_orthogonal(get(), lists.size(), lists.data(), counts.data(), src.data(),
                                                    src.size() * sizeof(T), nullptr),
                      "zarrio_array_write_orthogonal");
    }
    /// Read the elements at points given by their coordinates one point
    /// after another (`ndim()` each) into a new vector
    /// (`zarrio_array_read_points`).
    template <class T> std::vector<T> read_points(const extents &coords) const {
        static_assert(!std::is_same<T, bool>::value, "std::vector<bool> has no data()");
        check_element<T>();
        size_t npoints = points_in(coords);
        std::vector<T> out(npoints);
        detail::check(zarrio_array_read_points(get(), ndim(), npoints, coords.data(), out.data(), out.size() * sizeof(T)),
                      "zarrio_array_read_points");
        return out;
    }
    /// Write the elements at those points from a vector; of repeated points
    /// the last is written (`zarrio_array_write_points`).
    template <class T> void write_points(const extents &coords, const std::vector<T> &src) {
        static_assert(!std::is_same<T, bool>::value, "std::vector<bool> has no data()");
        check_element<T>();
        size_t n = ndim(), npoints = points_in(coords);
        detail::check(zarrio_array_write_points(get(), n, npoints, coords.data(), src.data(), src.size() * sizeof(T)),
                      "zarrio_array_write_points");
    }

    /// Set every element of a region to `value` (`zarrio_array_fill`).
    /// The element type is named, not deduced (`fill<float>(..., 1)`), so
    /// that a literal of another type is converted rather than stored as
    /// its bytes.
    template <class T>
    void fill(const extents &start, const extents &shape, const typename detail::named<T>::type &value) {
        check_element<T>();
        detail::same_rank(start, shape);
        detail::check(zarrio_array_fill(get(), start.size(), start.data(), shape.data(), &value, sizeof(T)),
                      "zarrio_array_fill");
    }
    /// Set every item of a region of a `string` or `variable_length_bytes`
    /// array to `item` (`zarrio_array_fill`).
    void fill_item(const extents &start, const extents &shape, const std::string &item) {
        detail::same_rank(start, shape);
        detail::check(zarrio_array_fill(get(), start.size(), start.data(), shape.data(),
                                        item.empty() ? nullptr : item.data(), item.size()),
                      "zarrio_array_fill");
    }

    /// The items of a region of a `string` or `variable_length_bytes`
    /// array, C order (`zarrio_array_read_strings`).
    std::vector<std::string> read_strings(const extents &start, const extents &shape) const {
        std::vector<uint64_t> offsets(region_size(start, shape) + 1);
        uint8_t *data = nullptr;
        size_t len = 0;
        detail::check(zarrio_array_read_strings(get(), start.size(), start.data(), shape.data(), offsets.data(),
                                                offsets.size(), &data, &len),
                      "zarrio_array_read_strings");
        return unpacked(offsets, data, len);
    }
    /// Write the items of a region, C order (`zarrio_array_write_strings`).
    void write_strings(const extents &start, const extents &shape, const std::vector<std::string> &items) {
        detail::same_rank(start, shape);
        std::vector<uint64_t> offsets;
        std::string data = packed(items, offsets);
        detail::check(zarrio_array_write_strings(get(), start.size(), start.data(), shape.data(), data.data(),
                                                 data.size(), offsets.data(), offsets.size()),
                      "zarrio_array_write_strings");
    }
    /// The items of a stepped selection, C order over `count`
    /// (`zarrio_array_read_strings_stepped`).
    std::vector<std::string> read_strings_stepped(const extents &start, const extents &step,
                                                  const extents &count) const {
        detail::same_rank(start, step);
        detail::same_rank(start, count);
        check_counts(count);
        std::vector<uint64_t> offsets(selection_size(count) + 1);
        uint8_t *data = nullptr;
        size_t len = 0;
        detail::check(zarrio_array_read_strings_stepped(get(), start.size(), start.data(), step.data(), count.data(),
                                                        offsets.data(), offsets.size(), &data, &len),
                      "zarrio_array_read_strings_stepped");
        return unpacked(offsets, data, len);
    }
    /// Write the items of a stepped selection, C order over `count`
    /// (`zarrio_array_write_strings_stepped`).
    void write_strings_stepped(const extents &start, const extents &step, const extents &count,
                               const std::vector<std::string> &items) {
        detail::same_rank(start, step);
        detail::same_rank(start, count);
        std::vector<uint64_t> offsets;
        std::string data = packed(items, offsets);
        detail::check(zarrio_array_write_strings_stepped(get(), start.size(), start.data(), step.data(), count.data(),
                                                         data.data(), data.size(), offsets.data(), offsets.size()),
                      "zarrio_array_write_strings_stepped");
    }
    /// The items at `indices[0][k0], indices[1][k1], ...`, C order over
    /// the lists' lengths (`zarrio_array_read_strings_orthogonal`).
    std::vector<std::string> read_strings_orthogonal(const std::vector<extents> &indices) const {
        std::vector<const uint64_t *> lists;
        std::vector<size_t> counts;
        std::vector<uint64_t> offsets(lists_of(indices, lists, counts) + 1);
        uint8_t *data = nullptr;
        size_t len = 0;
        detail::check(zarrio_array_read_strings_orthogonal(get(), lists.size(), lists.data(), counts.data(),
                                                           offsets.data(), offsets.size(), &data, &len),
                      "zarrio_array_read_strings_orthogonal");
        return unpacked(offsets, data, len);
    }
    /// Write those items; of repeated indices the last position is
    /// written (`zarrio_array_write_strings_orthogonal`).
    void write_strings_orthogonal(const std::vector<extents> &indices, const std::vector<std::string> &items) {
        std::vector<const uint64_t *> lists;
        std::vector<size_t> counts;
        lists_of(indices, lists, counts);
        std::vector<uint64_t> offsets;
        std::string data = packed(items, offsets);
        detail::check(zarrio_array_write_strings_orthogonal(get(), lists.size(), lists.data(), counts.data(),
                                                            data.data(), data.size(), offsets.data(), offsets.size()),
                      "zarrio_array_write_strings_orthogonal");
    }
    /// The items at points given by their coordinates one point after
    /// another (`zarrio_array_read_strings_points`).
    std::vector<std::string> read_strings_points(const extents &coords) const {
        size_t npoints = points_in(coords);
        std::vector<uint64_t> offsets(npoints + 1);
        uint8_t *data = nullptr;
        size_t len = 0;
        detail::check(zarrio_array_read_strings_points(get(), ndim(), npoints, coords.data(), offsets.data(),
                                                       offsets.size(), &data, &len),
                      "zarrio_array_read_strings_points");
        return unpacked(offsets, data, len);
    }
    /// Write the items at those points; of repeated points the last is
    /// written (`zarrio_array_write_strings_points`).
    void write_strings_points(const extents &coords, const std::vector<std::string> &items) {
        size_t npoints = points_in(coords);
        std::vector<uint64_t> offsets;
        std::string data = packed(items, offsets);
        detail::check(zarrio_array_write_strings_points(get(), ndim(), npoints, coords.data(), data.data(),
                                                        data.size(), offsets.data(), offsets.size()),
                      "zarrio_array_write_strings_points");
    }

    /// Read one whole chunk (shard) by its grid indices
    /// (`zarrio_array_read_chunk`).
    void read_chunk(const extents &indices, void *out, size_t capacity) const {
        detail::check(zarrio_array_read_chunk(get(), indices.size(), indices.data(), out, capacity),
                      "zarrio_array_read_chunk");
    }
    /// Write one whole chunk (`zarrio_array_write_chunk`).
    void write_chunk(const extents &indices, const void *src, size_t size) {
        detail::check(zarrio_array_write_chunk(get(), indices.size(), indices.data(), src, size),
                      "zarrio_array_write_chunk");
    }
    /// Erase one chunk, which then reads as the fill value
    /// (`zarrio_array_erase_chunk`).
    void erase_chunk(const extents &indices) {
        detail::check(zarrio_array_erase_chunk(get(), indices.size(), indices.data()), "zarrio_array_erase_chunk");
    }

    /// Give the array a new shape, as zarr-python's resize; elements cut
    /// off read as the fill value if the array grows back
    /// (`zarrio_array_resize`). Not to run alongside other calls on this
    /// array.
    void resize(const extents &shape) {
        detail::check(zarrio_array_resize(get(), shape.size(), shape.data()), "zarrio_array_resize");
    }

    /// Decode threads for this array; 1 = the calling thread only
    /// (`zarrio_array_set_threads`).
    void set_threads(uint32_t n) { detail::check(zarrio_array_set_threads(get(), n), "zarrio_array_set_threads"); }
    void set_io_concurrency(uint32_t n) {
        detail::check(zarrio_array_set_io_concurrency(get(), n), "zarrio_array_set_io_concurrency");
    }
    /// The array's codec pipeline (`zarrio_array_pipeline`).
    zarrio::pipeline pipeline() const {
        zarrio_pipeline *h = nullptr;
        detail::check(zarrio_array_pipeline(get(), &h), "zarrio_array_pipeline");
        return zarrio::pipeline(h);
    }
    /// The codec pipeline of the chunk at `indices`
    /// (`zarrio_array_chunk_pipeline`; a rectilinear grid's chunks differ).
    zarrio::pipeline chunk_pipeline(const extents &indices) const {
        zarrio_pipeline *h = nullptr;
        detail::check(zarrio_array_chunk_pipeline(get(), indices.size(), indices.data(), &h),
                      "zarrio_array_chunk_pipeline");
        return zarrio::pipeline(h);
    }

    zarrio_array *get() const noexcept { return h_.get(); }
    /// Take ownership of a handle from the C API (NULL is refused).
    static array adopt(zarrio_array *handle) {
        if (!handle) throw error(ZARRIO_ERR_INVALID_ARGUMENT, "adopt: the handle is NULL");
        return array(handle);
    }
    /// Give up ownership: the caller frees the handle with `zarrio_array_free`.
    zarrio_array *release() noexcept { return h_.release(); }

private:
    explicit array(zarrio_array *h) : h_(h) {}
    std::unique_ptr<zarrio_array, detail::array_free> h_;

    extents dims(zarrio_status (*call)(const zarrio_array *, uint64_t *, size_t), const char *name) const {
        extents out(ndim());
        if (out.empty()) return out; // 0-d: the C call takes no NULL buffer
        detail::check(call(get(), out.data(), out.size()), name);
        return out;
    }

    /// Refuse a C++ element type that does not fit the array
    /// (`zarrio_array_check_element`): of another size, or for the core
    /// types (bool, the integers, float32 and float64, complex64 and
    /// complex128) of another kind, as an int for a float32 array. Other
    /// data types (float16, raw bits, datetime counts, structs, ...) are
    /// checked by size alone.
    template <class T> void check_element() const {
        static_assert(std::is_trivially_copyable<T>::value, "array elements are trivially copyable");
        const char *kind = nullptr;
        if constexpr (std::is_same<T, bool>::value)
            kind = "bool";
        else if constexpr (std::is_floating_point<T>::value)
            kind = "float";
        else if constexpr (std::is_integral<T>::value)
            kind = std::is_signed<T>::value ? "signed" : "unsigned";
        else if constexpr (detail::is_complex<T>::value)
            kind = "complex";
        detail::check(zarrio_array_check_element(get(), sizeof(T), kind), "zarrio_array_check_element");
    }

    /// The element count of a selection of the shape `count`, checked
    /// before a buffer for it is allocated.
    static size_t selection_size(const extents &count) {
        uint64_t n = detail::element_count(count);
        if (n >= SIZE_MAX) throw error(ZARRIO_ERR_INVALID_ARGUMENT, "selection too large for this machine's memory");
        return size_t(n);
    }

    /// How many points `coords` holds, `ndim()` coordinates each.
    size_t points_in(const extents &coords) const {
        size_t n = ndim();
        if (n == 0 || coords.size() % n != 0)
            throw error(ZARRIO_ERR_INVALID_ARGUMENT, std::to_string(coords.size()) +
                                                         " coordinates do not make points of " + std::to_string(n) +
                                                         " dimensions");
        return coords.size() / n;
    }

    /// The C form of per-dimension index lists; returns the selection's
    /// element count.
    static size_t lists_of(const std::vector<extents> &indices, std::vector<const uint64_t *> &lists,
                           std::vector<size_t> &counts) {
        static const uint64_t none = 0; // an empty list's data() may be NULL, which means every index
        extents shape;
        for (const extents &list : indices) {
            lists.push_back(list.empty() ? &none : list.data());
            counts.push_back(list.size());
            shape.push_back(list.size());
        }
        return selection_size(shape);
    }

    /// Items the library returned: `offsets` cut `data` (`len` bytes, a
    /// library allocation, freed here) into strings.
    static std::vector<std::string> unpacked(const std::vector<uint64_t> &offsets, uint8_t *data, size_t len) {
        std::unique_ptr<uint8_t, detail::bytes_free> owned(data, detail::bytes_free{len});
        std::vector<std::string> items;
        items.reserve(offsets.size() - 1);
        const char *chars = reinterpret_cast<const char *>(data);
        for (size_t i = 0; i + 1 < offsets.size(); i++)
            items.emplace_back(chars ? chars + offsets[i] : "", size_t(offsets[i + 1] - offsets[i]));
        return items;
    }

    /// `items` side by side, their offsets in `offsets`.
    static std::string packed(const std::vector<std::string> &items, std::vector<uint64_t> &offsets) {
        offsets.clear();
        offsets.reserve(items.size() + 1);
        offsets.push_back(0);
        size_t total = 0;
        for (const auto &item : items) total += item.size();
        std::string data;
        data.reserve(total);
        for (const auto &item : items) {
            data += item;
            offsets.push_back(data.size());
        }
        return data;
    }

    /// Refuse step counts past the array's extents (steps are at least
    /// 1) before a buffer for the selection is allocated.
    void check_counts(const extents &count) const {
        extents whole = shape();
        for (size_t d = 0; d < count.size() && d < whole.size(); d++)
            if (count[d] > whole[d])
                throw error(ZARRIO_ERR_OUT_OF_BOUNDS, "more indices than the extent in dimension " + std::to_string(d));
    }

    /// The element count of a region inside the array, checked before a
    /// buffer for it is allocated.
    size_t region_size(const extents &start, const extents &shape) const {
        detail::same_rank(start, shape);
        extents whole = this->shape();
        if (start.size() != whole.size())
            throw error(ZARRIO_ERR_INVALID_ARGUMENT, "the region has " + std::to_string(start.size()) +
                                                         " dimensions, the array " + std::to_string(whole.size()));
        for (size_t d = 0; d < whole.size(); d++)
            if (start[d] > whole[d] || shape[d] > whole[d] - start[d])
                throw error(ZARRIO_ERR_OUT_OF_BOUNDS,
                            "the region lies outside the array in dimension " + std::to_string(d));
        uint64_t n = detail::element_count(shape);
        if (n >= SIZE_MAX)
            throw error(ZARRIO_ERR_INVALID_ARGUMENT, "region too large for this machine's memory");
        return size_t(n);
    }
};

} // namespace zarrio

#endif // ZARRIO_HPP
