/*
 * The C++ wrapper (include/zarrio.hpp): owners free their handles, errors
 * arrive as zarrio::error with the status and message, typed calls refuse
 * element types of the wrong size before calling the library, and every
 * call gives what the C call gives.
 */
#include "check.h"

#include "zarrio.hpp"

#include <atomic>
#include <cmath>
#include <string>
#include <vector>

static const char *INT16_2D =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[5,7],\"data_type\":\"int16\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2,3]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-9,"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}],\"attributes\":{\"a\":1}}";

/* The status a call throws, or ZARRIO_OK when it returns. */
template <class F> static zarrio_status thrown(F &&f, std::string *message = nullptr) {
    try {
        f();
    } catch (const zarrio::error &e) {
        if (message) *message = e.what();
        return e.status();
    }
    return ZARRIO_OK;
}

static void test_arrays(void) {
    zarrio::store s = zarrio::store::memory();
    zarrio::array a = zarrio::array::create(s, "a", INT16_2D);
    CHECK(a.ndim() == 2);
    CHECK((a.shape() == zarrio::extents{5, 7}));
    CHECK((a.chunk_shape() == zarrio::extents{2, 3}));
    CHECK((a.inner_chunk_shape() == zarrio::extents{2, 3}));
    CHECK(a.data_type() == "int16");
    CHECK(a.element_size() == 2);
    std::vector<uint8_t> fill = a.fill_value();
    int16_t f = 0;
    REQUIRE(fill.size() == 2);
    memcpy(&f, fill.data(), 2);
    CHECK(f == -9);
    CHECK(json_contains(a.attributes().c_str(), "\"a\":1"));
    a.set_attributes("{\"b\":2}");
    CHECK(json_contains(zarrio::array::open(s, "a").attributes().c_str(), "\"b\":2"));
    CHECK(json_contains(a.metadata().c_str(), "\"int16\""));

    /* Missing chunks read as the fill value. */
    std::vector<int16_t> all = a.read_all<int16_t>();
    CHECK(all.size() == 35);
    int not_fill = 0;
    for (int16_t v : all) not_fill += v != -9;
    CHECK(not_fill == 0);

    std::vector<int16_t> src(35);
    for (int i = 0; i < 35; i++) src[i] = int16_t(i * 37 - 500);
    a.write({0, 0}, {5, 7}, src);
    CHECK(a.read_all<int16_t>() == src);
    std::vector<int16_t> part = a.read<int16_t>({1, 2}, {3, 4});
    int wrong = 0;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++) wrong += part[y * 4 + x] != src[(y + 1) * 7 + x + 2];
    CHECK_MSG(wrong == 0, "%d elements of a part read wrong", wrong);

    /* Fortran order through strides. */
    std::vector<int16_t> fort(35);
    const int64_t strides[2] = {1, 5};
    a.read({0, 0}, {5, 7}, fort.data(), fort.size(), strides);
    std::vector<int16_t> raw(35);
    a.read_bytes({0, 0}, {5, 7}, raw.data(), raw.size() * 2);
    CHECK(raw == src);
    wrong = 0;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++) wrong += fort[x * 5 + y] != src[y * 7 + x];
    CHECK_MSG(wrong == 0, "%d elements of a Fortran-order read wrong", wrong);

    a.fill<int16_t>({0, 0}, {2, 3}, 77);
    CHECK(a.read<int16_t>({1, 2}, {1, 1})[0] == 77);

    /* Chunks. */
    std::vector<int16_t> chunk(6);
    a.read_chunk({0, 0}, chunk.data(), chunk.size() * 2);
    CHECK(chunk == std::vector<int16_t>(6, 77));
    a.erase_chunk({0, 0});
    CHECK(a.read<int16_t>({0, 0}, {1, 1})[0] == -9);
    std::vector<int16_t> ones(6, 1);
    a.write_chunk({0, 0}, ones.data(), ones.size() * 2);
    CHECK(a.read<int16_t>({1, 1}, {1, 1})[0] == 1);

    /* Resize: cut values come back as the fill value. */
    a.resize({2, 2});
    CHECK((a.shape() == zarrio::extents{2, 2}));
    a.resize({5, 7});
    CHECK(a.read<int16_t>({4, 6}, {1, 1})[0] == -9);
    CHECK(thrown([&] { a.resize({1}); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    a.write({0, 0}, {5, 7}, src);

    /* Selections: steps, lists and points, read and written. */
    std::vector<int16_t> stepped = a.read_stepped<int16_t>({1, 0}, {2, 3}, {2, 3});
    CHECK((stepped == std::vector<int16_t>{src[7], src[10], src[13], src[21], src[24], src[27]}));
    std::vector<int16_t> listed = a.read_orthogonal<int16_t>({{4, 0}, {6, 6}});
    CHECK((listed == std::vector<int16_t>{src[34], src[34], src[6], src[6]}));
    std::vector<int16_t> points = a.read_points<int16_t>({0, 1, 3, 5});
    CHECK((points == std::vector<int16_t>{src[1], src[26]}));
    a.write_stepped<int16_t>({0, 6}, {4, 1}, {2, 1}, {-1, -2});
    a.write_orthogonal<int16_t>({{2}, {0, 0}}, {-3, -4});
    a.write_points<int16_t>({1, 1}, {-5});
    std::vector<int16_t> changed = src;
    changed[6] = -1, changed[34] = -2, changed[14] = -4, changed[8] = -5;
    CHECK(a.read_all<int16_t>() == changed);
    CHECK(thrown([&] { a.read_stepped<int16_t>({0, 0}, {1, 1}, {6, 1}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(thrown([&] { a.read_points<int32_t>({0, 0}); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(thrown([&] { a.write_orthogonal<int16_t>({{9}, {0}}, {1}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(a.read_orthogonal<int16_t>({{}, {1, 2}}).empty()); /* an empty list, not every index */
    CHECK(thrown([&] { a.read_points<int16_t>({1, 2, 3}); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    a.write({0, 0}, {5, 7}, src);

    a.set_threads(1);
    a.set_io_concurrency(4);

    /* Errors: the wrong element size is refused before the library is
       called; the library's errors keep their status and message. */
    std::string msg;
    CHECK(thrown([&] { a.read_all<int32_t>(); }, &msg) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(msg.find("4 bytes") != std::string::npos);
    CHECK(thrown([&] { a.fill<int8_t>({0, 0}, {1, 1}, 1); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(thrown([&] { a.read<int16_t>({0, 0}, {6, 1}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(thrown([&] { a.read_bytes({0, 0}, {6, 1}, src.data(), 70); }, &msg) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK_MSG(msg.rfind("zarrio_array_read: ", 0) == 0, "message %s", msg.c_str());
    CHECK(thrown([&] { a.read<int16_t>({0}, {1, 1}); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(thrown([&] { a.read({0, 0}, {5, 7}, src.data(), 10); }) == ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK(thrown([&] { a.read_bytes({0, 0}, {5, 7}, src.data(), 69); }) == ZARRIO_ERR_BUFFER_TOO_SMALL);
    /* The kind is checked too: an unsigned or a float of the same size is
       not an int16. */
    CHECK(thrown([&] { a.read_all<uint16_t>(); }, &msg) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(msg.find("unsigned") != std::string::npos);
    /* Types C++ has no element for are checked by size: float16 as the
       uint16_t it is often held in. */
    zarrio::array h = zarrio::array::create(
        s, "half",
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[2],\"data_type\":\"float16\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":1.0,"
        "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}");
    CHECK((h.read_all<uint16_t>() == std::vector<uint16_t>{0x3c00, 0x3c00}));
    CHECK(thrown([&] { h.read_all<float>(); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    /* Regions are checked before a buffer is allocated for them. */
    CHECK(thrown([&] { a.read<int16_t>({0, 0}, {1ull << 40, 1ull << 40}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(thrown([&] { a.read<int16_t>({5, 0}, {1, 1}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(thrown([&] { a.read_strings({0, 0}, {1, 1}); }) == ZARRIO_ERR_UNSUPPORTED);
    CHECK(thrown([&] { zarrio::array::open(s, "missing"); }, &msg) == ZARRIO_ERR_NOT_FOUND);
    CHECK(msg.find("missing") != std::string::npos);
    try {
        zarrio::array::create(s, "bad", "{");
        CHECK_MSG(0, "bad metadata was accepted");
    } catch (const zarrio::error &e) {
        CHECK(e.status() == ZARRIO_ERR_INVALID_METADATA);
        CHECK(strcmp(e.status_name(), "ZARRIO_ERR_INVALID_METADATA") == 0);
    }

    /* Owners move; a moved-from owner frees nothing. */
    zarrio::array b = std::move(a);
    CHECK(a.get() == nullptr && b.get() != nullptr);
    zarrio_array *raw_handle = b.release();
    CHECK(b.get() == nullptr && raw_handle != nullptr);
    zarrio::array c = zarrio::array::adopt(raw_handle);
    CHECK(c.ndim() == 2);
    CHECK(thrown([] { zarrio::array::adopt(nullptr); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    std::vector<zarrio::array> many;
    for (int i = 0; i < 3; i++) many.push_back(zarrio::array::open(s, "a"));
    CHECK(many[2].read<int16_t>({4, 6}, {1, 1})[0] == src[34]);

    /* A 0-d array. */
    zarrio::array z = zarrio::array::create(
        s, "z",
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[],\"data_type\":\"float64\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":\"NaN\","
        "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}");
    CHECK(z.ndim() == 0 && z.shape().empty());
    CHECK(std::isnan(z.read_all<double>().at(0)));
    z.write<double>({}, {}, std::vector<double>{2.5});
    CHECK(z.read_all<double>() == std::vector<double>{2.5});
    /* A literal of another type is converted, not stored as its bytes. */
    z.fill<double>({}, {}, 3);
    CHECK(z.read_all<double>() == std::vector<double>{3.0});
    CHECK(thrown([&] { z.read_all<int64_t>(); }) == ZARRIO_ERR_INVALID_ARGUMENT);

    /* bool arrays read into bool buffers. */
    zarrio::array flags = zarrio::array::create(
        s, "flags",
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[3],\"data_type\":\"bool\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":false,"
        "\"codecs\":[{\"name\":\"bytes\"}]}");
    bool in[3] = {true, false, true}, out[3] = {false, true, false};
    flags.write({0}, {3}, in, 3);
    flags.read({0}, {3}, out, 3);
    CHECK(out[0] && !out[1] && out[2]);
    CHECK(thrown([&] { flags.read_all<uint8_t>(); }) == ZARRIO_ERR_INVALID_ARGUMENT);
}

static void test_strings(void) {
    zarrio::store s = zarrio::store::memory();
    zarrio::array a = zarrio::array::create(
        s, "names",
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[5],\"data_type\":\"string\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":\"-\","
        "\"codecs\":[{\"name\":\"vlen-utf8\"}]}");
    CHECK(a.element_size() == 0);
    CHECK(a.fill_value() == std::vector<uint8_t>{'-'});
    CHECK(a.read_strings({0}, {5}) == std::vector<std::string>(5, "-"));
    std::vector<std::string> items = {"alpha", "", std::string("nul\0in", 6), "\xce\xbb"};
    a.write_strings({1}, {4}, items);
    std::vector<std::string> back = a.read_strings({0}, {5});
    CHECK(back.size() == 5 && back[0] == "-");
    CHECK(std::vector<std::string>(back.begin() + 1, back.end()) == items);
    a.fill_item({0}, {2}, "");
    CHECK(a.read_strings({0}, {2}) == std::vector<std::string>(2, ""));
    CHECK(a.read_strings({0}, {0}).empty());
    CHECK(thrown([&] { a.read_all<uint8_t>(); }) == ZARRIO_ERR_UNSUPPORTED);
    CHECK(thrown([&] { a.write_strings({0}, {2}, {"x"}); }) != ZARRIO_OK);
    /* Now: "", "", "", "nul\0in", "\xce\xbb". Selections of items. */
    CHECK((a.read_strings_points({4, 0, 3}) == std::vector<std::string>{"\xce\xbb", "", std::string("nul\0in", 6)}));
    CHECK((a.read_strings_stepped({1}, {3}, {2}) == std::vector<std::string>{"", "\xce\xbb"}));
    CHECK((a.read_strings_orthogonal({{4, 4}}) == std::vector<std::string>{"\xce\xbb", "\xce\xbb"}));
    a.write_strings_points({0, 2, 0}, {"first", "two", "last"});
    a.write_strings_stepped({1}, {2}, {2}, {"b", "d"});
    a.write_strings_orthogonal({{4}}, {"e"});
    CHECK((a.read_strings({0}, {5}) == std::vector<std::string>{"last", "b", "two", "d", "e"}));
    CHECK(thrown([&] { a.read_strings_stepped({0}, {1}, {6}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(thrown([&] { a.read_strings_points({5}); }) == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(thrown([&] { a.write_strings_points({0, 1}, {"x"}); }) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(thrown([&] { zarrio::store::zip("/nonexistent/zarrio/archive.zip"); }) == ZARRIO_ERR_NOT_FOUND);
    CHECK(thrown([&] { zarrio::store::create_zip("/nonexistent/zarrio/archive.zip"); }) == ZARRIO_ERR_NOT_FOUND);
    s.close(); /* a memory store: nothing to write out */
}

static void test_rectilinear(void) {
    zarrio::store s = zarrio::store::memory();
    zarrio::array a = zarrio::array::create(
        s, "r",
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[10,4],\"data_type\":\"int16\","
        "\"chunk_grid\":{\"name\":\"rectilinear\",\"configuration\":{\"kind\":\"inline\","
        "\"chunk_shapes\":[[2,[3,2],2],3]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-1,"
        "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}");
    CHECK(a.grid_shape() == (zarrio::extents{4, 2}));
    auto span = a.chunk_span({2, 1});
    CHECK(span.first == (zarrio::extents{5, 3}) && span.second == (zarrio::extents{3, 3}));
    CHECK(thrown([&] { a.chunk_shape(); }) == ZARRIO_ERR_UNSUPPORTED);
    std::vector<int16_t> v(40);
    for (int i = 0; i < 40; i++) v[i] = (int16_t)i;
    a.write({0, 0}, {10, 4}, v.data(), v.size());
    std::vector<int16_t> back(40, 0);
    a.read({0, 0}, {10, 4}, back.data(), back.size());
    CHECK(back == v);
    /* Chunk (2, 1) in full: rows 5..7, columns 3..5, the last two past the edge. */
    std::vector<int16_t> chunk(9, 0);
    a.read_chunk({2, 1}, chunk.data(), chunk.size() * sizeof(int16_t));
    CHECK(chunk[1] == -1 && chunk[2] == -1);
    CHECK(a.chunk_pipeline({2, 1}).decoded_size() == 9 * sizeof(int16_t));
    CHECK(thrown([&] { a.pipeline(); }) == ZARRIO_ERR_UNSUPPORTED);
    CHECK(chunk[0] == 23 && chunk[3] == 27 && chunk[6] == 31);
}

static void test_groups_and_consolidated(void) {
    zarrio::store s = zarrio::store::memory();
    zarrio::group root = zarrio::group::create(s, "", "{\"title\":\"t\"}");
    zarrio::group::create(s, "sub");
    /* Names that JSON escapes. */
    const std::string odd = "q\"u\tot\xc3\xa9";
    zarrio::array::create(s, odd, INT16_2D);
    zarrio::array::create(s, "sub/x", INT16_2D);
    std::vector<zarrio::child> kids = root.children();
    REQUIRE(kids.size() == 2);
    CHECK(kids[0].name == odd && kids[0].is_array);
    CHECK(kids[1].name == "sub" && !kids[1].is_array);
    CHECK(json_contains(root.attributes().c_str(), "\"title\":\"t\""));
    root.set_attributes("{\"title\":\"u\"}");
    CHECK(json_contains(zarrio::group::open(s, "").attributes().c_str(), "\"u\""));
    CHECK(thrown([&] { zarrio::group::open(s, "nothing"); }) == ZARRIO_ERR_NOT_FOUND);

    CHECK(thrown([&] { zarrio::store::consolidated(s); }) == ZARRIO_ERR_NOT_FOUND);
    root.consolidate_metadata();
    zarrio::store c = zarrio::store::consolidated(s);
    std::vector<zarrio::child> sub = zarrio::group::open(c, "sub").children();
    CHECK(sub.size() == 1 && sub[0].name == "x" && sub[0].is_array);
    CHECK(zarrio::array::open(c, odd).data_type() == "int16");
    CHECK(thrown([&] { zarrio::group::create(c, "new"); }) == ZARRIO_ERR_UNSUPPORTED);
    CHECK(thrown([&] { zarrio::group::open(c, "").erase_child("sub"); }) == ZARRIO_ERR_UNSUPPORTED);
    root.erase_child("sub");
    kids = root.children();
    CHECK(kids.size() == 1 && kids[0].name == odd);
    CHECK(thrown([&] { root.erase_child("sub"); }) == ZARRIO_ERR_NOT_FOUND);
}

/* An N5 container through store::n5: groups and attributes land in
   attributes.json, where a second N5 store over the same memory finds them;
   what N5 cannot hold (here an int16 array with default chunk keys) is
   refused. */
static void test_n5(void) {
    zarrio::store mem = zarrio::store::memory();
    zarrio::store n5 = zarrio::store::n5(mem);
    zarrio::group::create(n5, "", "{\"title\":\"scan\"}");
    zarrio::group::create(n5, "g", "{\"unit\":\"nm\"}");
    zarrio::store again = zarrio::store::n5(mem);
    std::string root = zarrio::group::open(again, "").attributes();
    CHECK_MSG(json_contains(root.c_str(), "\"title\":\"scan\"") &&
                  json_contains(root.c_str(), "\"n5\":\"4.0.0\""),
              "root attributes: %s", root.c_str());
    std::vector<zarrio::child> kids = zarrio::group::open(again, "").children();
    CHECK(kids.size() == 1 && kids[0].name == "g" && !kids[0].is_array);
    CHECK(thrown([&] { zarrio::array::create(n5, "g/a", INT16_2D); }) == ZARRIO_ERR_UNSUPPORTED);
    CHECK(zarrio::group::open(again, "g").children().empty());
}

static void test_pipeline(void) {
    const char *codecs =
        "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,4],"
        "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
        "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}],"
        "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
        "{\"name\":\"crc32c\"}]}}]";
    zarrio::pipeline p = zarrio::pipeline::create(codecs, "uint32", {16, 16}, "0");
    CHECK(p.decoded_size() == 16 * 16 * 4);
    std::vector<uint32_t> data(256);
    for (uint32_t i = 0; i < 256; i++) data[i] = i * 2654435761u;
    std::vector<uint8_t> enc = p.encode(data.data(), data.size() * 4);
    std::vector<uint8_t> dec = p.decode(enc);
    CHECK(dec.size() == 1024 && memcmp(dec.data(), data.data(), 1024) == 0);

    std::atomic<long> calls{0};
    auto serve = [&](uint64_t off, uint64_t len, bool from_end, zarrio_io *io) -> int32_t {
        calls++;
        if (from_end) off = enc.size() - len;
        if (len == UINT64_MAX) len = enc.size() - off;
        return zarrio_io_set_data(io, enc.data() + off, size_t(len)) == ZARRIO_OK ? ZARRIO_CALLBACK_OK : -1;
    };
    std::vector<uint32_t> region(5 * 6);
    p.decode_shard_region(serve, {3, 7}, {5, 6}, region.data(), region.size() * 4);
    int wrong = 0;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 6; x++) wrong += region[y * 6 + x] != data[(y + 3) * 16 + x + 7];
    CHECK_MSG(wrong == 0 && calls > 1, "%d wrong, %ld range reads", wrong, calls.load());

    /* An exception in the reader fails the read with its message. */
    std::string msg;
    auto boom = [](uint64_t, uint64_t, bool, zarrio_io *) -> int32_t { throw std::runtime_error("no network"); };
    CHECK(thrown([&] { p.decode_shard_region(boom, {0, 0}, {1, 1}, region.data(), 4); }, &msg) == ZARRIO_ERR_IO);
    CHECK_MSG(msg.find("no network") != std::string::npos, "message: %s", msg.c_str());

    zarrio::store s = zarrio::store::memory();
    zarrio::array a = zarrio::array::create(s, "a", INT16_2D);
    CHECK(a.pipeline().decoded_size() == 2 * 3 * 2);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    CHECK(zarrio::version() == ZARRIO_VERSION_STRING);
    CHECK(zarrio::version_number() == ZARRIO_VERSION_NUMBER);
    zarrio::set_threads(2);
    CHECK(zarrio::threads() == 2);
    zarrio::set_io_concurrency(5);
    CHECK(zarrio::io_concurrency() == 5);
    zarrio::set_io_concurrency(0);
    bool huge = zarrio::huge_pages();
    zarrio::set_huge_pages(!huge);
    CHECK(zarrio::huge_pages() == !huge);
    zarrio::set_huge_pages(huge);
    try {
        test_arrays();
        test_strings();
        test_rectilinear();
        test_groups_and_consolidated();
        test_n5();
        test_pipeline();
    } catch (const zarrio::error &e) {
        CHECK_MSG(0, "uncaught zarrio::error %s: %s", e.status_name(), e.what());
    }
    return TEST_RETURN();
}
