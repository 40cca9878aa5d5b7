// zarrio from C++ (include/zarrio.hpp): owners that free their handles,
// exceptions that carry the status, typed reads into std::vector.
//
// Writes a zstd-compressed float array and a group around it, reads a
// region back, consolidates the hierarchy's metadata and opens the array
// again through it.
#include <zarrio.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    const std::string dir = argc > 1 ? argv[1] : "zarrio-cpp-data";
    try {
        zarrio::store store = zarrio::store::filesystem(dir);
        zarrio::group root = zarrio::group::create(store, "", R"({"experiment": "cpp example"})");
        zarrio::array temps = zarrio::array::create(store, "temperature", R"({
            "zarr_format": 3, "node_type": "array", "shape": [40, 60], "data_type": "float32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [16, 16]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": "NaN",
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 3}}],
            "attributes": {"units": "K"}})");

        std::vector<float> field(40 * 60);
        for (size_t i = 0; i < field.size(); i++) field[i] = 250.0f + float(i % 97) * 0.5f;
        temps.write({0, 0}, {40, 60}, field);

        std::vector<float> part = temps.read<float>({10, 20}, {5, 8});
        for (size_t y = 0; y < 5; y++)
            for (size_t x = 0; x < 8; x++)
                if (part[y * 8 + x] != field[(y + 10) * 60 + x + 20]) {
                    std::fprintf(stderr, "cpp example: region read differs\n");
                    return 1;
                }

        root.consolidate_metadata();
        zarrio::store consolidated = zarrio::store::consolidated(store);
        for (const zarrio::child &c : zarrio::group::open(consolidated, "").children())
            std::printf("child %s (%s)\n", c.name.c_str(), c.is_array ? "array" : "group");
        if (zarrio::array::open(consolidated, "temperature").read_all<float>() != field) {
            std::fprintf(stderr, "cpp example: read through consolidated metadata differs\n");
            return 1;
        }

        try {
            zarrio::array::open(store, "missing");
            return 1;
        } catch (const zarrio::error &e) {
            std::printf("expected error %s: %s\n", e.status_name(), e.what());
        }
    } catch (const zarrio::error &e) {
        std::fprintf(stderr, "cpp example: %s: %s\n", e.status_name(), e.what());
        return 1;
    }
    std::printf("cpp example: ok (zarrio %s)\n", zarrio::version().c_str());
    return 0;
}
