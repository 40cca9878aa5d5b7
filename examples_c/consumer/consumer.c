/* A minimal downstream program: write and read a small array in memory. */
#include <stdio.h>
#include <string.h>
#include <zarrio.h>

int main(void) {
    const char *meta =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[6,4],\"data_type\":\"int32\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,4]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,"
        "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
        "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}]}";
    zarrio_store *store = NULL;
    zarrio_array *array = NULL;
    int32_t in[24], out[24];
    uint64_t start[2] = {0, 0}, shape[2] = {6, 4};
    for (int i = 0; i < 24; i++) in[i] = i * i;
    if (zarrio_store_create_memory(&store) != ZARRIO_OK ||
        zarrio_array_create(store, "a", meta, &array) != ZARRIO_OK ||
        zarrio_array_write(array, 2, start, shape, in, sizeof in, NULL) != ZARRIO_OK ||
        zarrio_array_read(array, 2, start, shape, out, sizeof out, NULL) != ZARRIO_OK) {
        fprintf(stderr, "consumer: %s\n", zarrio_last_error());
        return 1;
    }
    zarrio_array_free(array);
    zarrio_store_free(store);
    if (memcmp(in, out, sizeof in) != 0) {
        fprintf(stderr, "consumer: read back different values\n");
        return 1;
    }
    if (zarrio_version_number() != ZARRIO_VERSION_NUMBER) {
        fprintf(stderr, "consumer: header %s, library %s\n", ZARRIO_VERSION_STRING, zarrio_version());
        return 1;
    }
    printf("consumer: zarrio %s ok\n", zarrio_version());
    return 0;
}
