// A minimal downstream C++ program: the installed zarrio.hpp, a small
// array in memory written and read back.
#include <zarrio.hpp>

#include <cstdio>
#include <vector>

int main() {
    try {
        zarrio::store store = zarrio::store::memory();
        zarrio::array a = zarrio::array::create(store, "a", R"({
            "zarr_format": 3, "node_type": "array", "shape": [6, 4], "data_type": "int32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 1}}]})");
        std::vector<int32_t> in(24);
        for (int i = 0; i < 24; i++) in[i] = i * i;
        a.write({0, 0}, {6, 4}, in);
        if (a.read_all<int32_t>() != in) {
            std::fprintf(stderr, "consumer_cpp: read back different values\n");
            return 1;
        }
    } catch (const zarrio::error &e) {
        std::fprintf(stderr, "consumer_cpp: %s\n", e.what());
        return 1;
    }
    std::printf("consumer_cpp: ok\n");
    return 0;
}
