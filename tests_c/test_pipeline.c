/*
 * Codec pipelines for hosts that move chunk bytes themselves.
 *
 * Calls: zarrio_pipeline_create, zarrio_array_pipeline, zarrio_array_chunk_pipeline,
 * zarrio_pipeline_decoded_size, zarrio_pipeline_encode,
 * zarrio_pipeline_decode, zarrio_pipeline_free, zarrio_bytes_free,
 * zarrio_string_free (and arrays on a filesystem store for the chunk files).
 */
#include "check.h"
#include "nd_ref.h"

#define BYTES_LE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}"
#define BYTES_BE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}}"

/* CRC-32C (Castagnoli), bitwise, for checking the crc32c codec. */
static uint32_t crc32c(const unsigned char *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static uint32_t rd_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_le64(const unsigned char *p) { return (uint64_t)rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32; }

/* Encode `data` with `p`, check the round trip, return the encoded bytes
 * (caller frees with zarrio_bytes_free) or NULL. */
static uint8_t *round_trip(const char *file, int line, const char *what, zarrio_pipeline *p, const void *data,
                           size_t n, size_t *enc_len) {
    uint8_t *enc = NULL;
    *enc_len = 0;
    if (!check_status_impl(file, line, what, zarrio_pipeline_encode(p, data, n, &enc, enc_len), ZARRIO_OK))
        return NULL;
    check_msg_impl(file, line, "enc != NULL", enc != NULL || *enc_len == 0, "%s: NULL encoded bytes", what);
    unsigned char *dec = (unsigned char *)xmalloc(n + 8);
    memset(dec, 0xCD, n + 8);
    if (check_status_impl(file, line, what, zarrio_pipeline_decode(p, enc, *enc_len, dec, n + 8), ZARRIO_OK)) {
        check_msg_impl(file, line, "decoded == data", memcmp(dec, data, n) == 0, "%s: round trip differs", what);
        check_msg_impl(file, line, "no write past the decoded size", dec[n] == 0xCD && dec[n + 7] == 0xCD,
                       "%s: decode wrote past the decoded size", what);
    }
    free(dec);
    return enc;
}
#define ROUND_TRIP(what, p, data, n, enc_len) round_trip(__FILE__, __LINE__, what, p, data, n, enc_len)

static zarrio_pipeline *make(const char *codecs, const char *dtype, size_t ndim, const uint64_t *shape,
                             const char *fill) {
    zarrio_pipeline *p = NULL;
    CHECK_OK_CTX(zarrio_pipeline_create(codecs, dtype, ndim, shape, fill, &p), "codecs %s, %s", codecs, dtype);
    return p;
}

static void test_standalone(void) {
    uint64_t shape[2] = {4, 5};
    uint16_t data[20];
    for (int i = 0; i < 20; i++) data[i] = (uint16_t)(i * 1000 + 7);
    size_t n = sizeof data, enc_len = 0, ds = 0;

    /* bytes (little endian): the encoding is the native little-endian bytes. */
    zarrio_pipeline *p = make("[" BYTES_LE "]", "uint16", 2, shape, "0");
    if (p) {
        CHECK_OK(zarrio_pipeline_decoded_size(p, &ds));
        CHECK(ds == 40);
        uint8_t *enc = ROUND_TRIP("bytes le", p, data, n, &enc_len);
        CHECK(enc_len == 40);
        if (enc) {
            int ok = 1;
            for (int i = 0; i < 20; i++) ok &= enc[2 * i] == (data[i] & 0xff) && enc[2 * i + 1] == (data[i] >> 8);
            CHECK_MSG(ok, "bytes(little) does not store little-endian values");
        }
        zarrio_bytes_free(enc, enc_len);
        /* A fixed-size encoding of the wrong length is corrupt. */
        uint8_t short_buf[39] = {0};
        unsigned char out[40];
        CHECK_STATUS(zarrio_pipeline_decode(p, short_buf, sizeof short_buf, out, sizeof out), ZARRIO_ERR_CORRUPT);
        zarrio_pipeline_free(p);
    }

    /* bytes (big endian): byte-swapped. */
    p = make("[" BYTES_BE "]", "uint16", 2, shape, "0");
    if (p) {
        uint8_t *enc = ROUND_TRIP("bytes be", p, data, n, &enc_len);
        CHECK(enc_len == 40);
        if (enc) {
            int ok = 1;
            for (int i = 0; i < 20; i++) ok &= enc[2 * i] == (data[i] >> 8) && enc[2 * i + 1] == (data[i] & 0xff);
            CHECK_MSG(ok, "bytes(big) does not store big-endian values");
        }
        zarrio_bytes_free(enc, enc_len);
        zarrio_pipeline_free(p);
    }

    /* crc32c: the data followed by its CRC-32C, little endian. */
    p = make("[" BYTES_LE ",{\"name\":\"crc32c\"}]", "uint16", 2, shape, "0");
    if (p) {
        uint8_t *enc = ROUND_TRIP("crc32c", p, data, n, &enc_len);
        CHECK(enc_len == 44);
        if (enc && enc_len == 44) {
            CHECK(memcmp(enc, data, 40) == 0);
            CHECK_MSG(rd_le32(enc + 40) == crc32c(enc, 40), "crc32c is %08x, expected %08x", rd_le32(enc + 40),
                      crc32c(enc, 40));
            /* A flipped bit is a checksum error. */
            unsigned char out[40];
            enc[3] ^= 0x10;
            CHECK_STATUS(zarrio_pipeline_decode(p, enc, enc_len, out, sizeof out), ZARRIO_ERR_CHECKSUM);
            enc[3] ^= 0x10;
            enc[41] ^= 0x01;
            CHECK_STATUS(zarrio_pipeline_decode(p, enc, enc_len, out, sizeof out), ZARRIO_ERR_CHECKSUM);
            enc[41] ^= 0x01;
            CHECK_OK(zarrio_pipeline_decode(p, enc, enc_len, out, sizeof out));
            /* Too short to hold a checksum. */
            CHECK_STATUS(zarrio_pipeline_decode(p, enc, 3, out, sizeof out), ZARRIO_ERR_CORRUPT);
        }
        zarrio_bytes_free(enc, enc_len);
        zarrio_pipeline_free(p);
    }
    CHECK(crc32c((const unsigned char *)"123456789", 9) == 0xe3069283u); /* the helper itself */

    /* gzip: an RFC 1952 stream. */
    p = make("[" BYTES_LE ",{\"name\":\"gzip\",\"configuration\":{\"level\":6}}]", "uint16", 2, shape, "0");
    if (p) {
        uint8_t *enc = ROUND_TRIP("gzip", p, data, n, &enc_len);
        CHECK_MSG(enc && enc_len > 18 && enc[0] == 0x1f && enc[1] == 0x8b, "gzip output is not a gzip stream");
        if (enc && enc_len > 4) {
            unsigned char out[40];
            CHECK_STATUS(zarrio_pipeline_decode(p, enc, enc_len / 2, out, sizeof out), ZARRIO_ERR_CORRUPT);
        }
        zarrio_bytes_free(enc, enc_len);
        zarrio_pipeline_free(p);
    }

    /* zstd: a zstd frame. */
    p = make("[" BYTES_LE ",{\"name\":\"zstd\",\"configuration\":{\"level\":0,\"checksum\":false}}]", "uint16", 2,
             shape, "0");
    if (p) {
        uint8_t *enc = ROUND_TRIP("zstd", p, data, n, &enc_len);
        CHECK_MSG(enc && enc_len > 4 && enc[0] == 0x28 && enc[1] == 0xb5 && enc[2] == 0x2f && enc[3] == 0xfd,
                  "zstd output is not a zstd frame");
        unsigned char out[40];
        unsigned char junk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        CHECK_STATUS(zarrio_pipeline_decode(p, junk, sizeof junk, out, sizeof out), ZARRIO_ERR_CORRUPT);
        zarrio_bytes_free(enc, enc_len);
        zarrio_pipeline_free(p);
    }

    /* blosc: header fields (version, typesize, nbytes, cbytes). */
    p = make("[" BYTES_LE ",{\"name\":\"blosc\",\"configuration\":{\"cname\":\"zstd\",\"clevel\":5,"
             "\"shuffle\":\"shuffle\",\"typesize\":2,\"blocksize\":0}}]",
             "uint16", 2, shape, "0");
    if (p) {
        uint8_t *enc = ROUND_TRIP("blosc", p, data, n, &enc_len);
        if (CHECK(enc != NULL && enc_len >= 16)) {
            CHECK_MSG(enc[0] == 2, "blosc header version %u", enc[0]);
            CHECK_MSG(enc[3] == 2, "blosc typesize %u", enc[3]);
            CHECK_MSG(rd_le32(enc + 4) == 40, "blosc nbytes %u", rd_le32(enc + 4));
            CHECK_MSG(rd_le32(enc + 12) == enc_len, "blosc cbytes %u, encoded %zu", rd_le32(enc + 12), enc_len);
        }
        zarrio_bytes_free(enc, enc_len);
        zarrio_pipeline_free(p);
    }

    /* transpose: the encoded array is the transposed one. */
    p = make("[{\"name\":\"transpose\",\"configuration\":{\"order\":[1,0]}}," BYTES_LE "]", "uint16", 2, shape, "0");
    if (p) {
        uint8_t *enc = ROUND_TRIP("transpose", p, data, n, &enc_len);
        if (enc && enc_len == 40) {
            const uint16_t *t = (const uint16_t *)(const void *)enc;
            int ok = 1;
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 5; q++) ok &= t[q * 4 + r] == data[r * 5 + q];
            CHECK_MSG(ok, "transpose [1,0] did not transpose");
        } else {
            CHECK_MSG(0, "transpose: encoded %zu bytes", enc_len);
        }
        zarrio_bytes_free(enc, enc_len);
        zarrio_pipeline_free(p);
    }

    /* A 3-d transpose that is not its own inverse. */
    {
        uint64_t s3[3] = {2, 3, 4};
        int32_t d3[24];
        for (int i = 0; i < 24; i++) d3[i] = i * 11 - 50;
        p = make("[{\"name\":\"transpose\",\"configuration\":{\"order\":[2,0,1]}}," BYTES_LE "]", "int32", 3, s3,
                 "0");
        if (p) {
            uint8_t *enc = ROUND_TRIP("transpose [2,0,1]", p, d3, sizeof d3, &enc_len);
            if (enc && enc_len == sizeof d3) {
                /* Encoded shape B = (A[2], A[0], A[1]) = (4, 2, 3); B[k][i][j] = A[i][j][k]. */
                int32_t t[24];
                memcpy(t, enc, sizeof t);
                int ok = 1;
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 3; j++)
                        for (int k = 0; k < 4; k++) ok &= t[(k * 2 + i) * 3 + j] == d3[(i * 3 + j) * 4 + k];
                CHECK_MSG(ok, "transpose [2,0,1] has the wrong layout");
            }
            zarrio_bytes_free(enc, enc_len);
            zarrio_pipeline_free(p);
        }
    }

    /* sharding: the shard is the stored inner chunks plus an index of
     * (offset, nbytes) per inner chunk, then its CRC-32C. An inner chunk
     * holding only the fill value may be left out (index entry 2^64-1,
     * 2^64-1) or stored (a dense layout); either way the index must point
     * at the right bytes, inside the body, without overlaps. */
    {
        uint64_t s4[2] = {4, 4};
        int32_t d[16];
        for (int i = 0; i < 16; i++) d[i] = i + 1;
        /* Inner chunk (0,0) = rows 0-1, cols 0-1 = elements 0, 1, 4, 5: all fill. */
        d[0] = d[1] = d[4] = d[5] = 0;
        const char *inner_codecs[2] = {"[" BYTES_LE "]",
                                       "[" BYTES_LE ",{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]"};
        for (int variant = 0; variant < 2; variant++) {
            char *codecs = str_printf("[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[2,2],"
                                      "\"codecs\":%s,\"index_codecs\":[" BYTES_LE ",{\"name\":\"crc32c\"}],"
                                      "\"index_location\":\"end\"}}]",
                                      inner_codecs[variant]);
            p = make(codecs, "int32", 2, s4, "0");
            free(codecs);
            if (!p) continue;
            CHECK_OK(zarrio_pipeline_decoded_size(p, &ds));
            CHECK(ds == 64);
            uint8_t *enc = ROUND_TRIP("sharding", p, d, sizeof d, &enc_len);
            if (enc && CHECK_MSG(enc_len >= 68 + 3 * (variant ? 9 : 16), "shard is only %zu bytes", enc_len)) {
                size_t body = enc_len - 68;
                const unsigned char *idx = enc + body;
                CHECK_MSG(rd_le32(enc + enc_len - 4) == crc32c(idx, 64), "the shard index checksum is wrong");
                uint64_t lo[4], hi[4];
                int stored[4] = {0};
                for (int k = 0; k < 4; k++) {
                    uint64_t off = rd_le64(idx + 16 * k), nb = rd_le64(idx + 16 * k + 8);
                    if (off == UINT64_MAX && nb == UINT64_MAX) {
                        CHECK_MSG(k == 0, "inner chunk %d holds data but its index entry is empty", k);
                        continue;
                    }
                    if (!CHECK_MSG(off <= body && nb <= body - off, "inner chunk %d at (%llu, %llu) is outside the "
                                   "%zu-byte body", k, (unsigned long long)off, (unsigned long long)nb, body))
                        continue;
                    stored[k] = 1;
                    lo[k] = off;
                    hi[k] = off + nb;
                    /* With the plain bytes codec the slot holds the inner chunk's elements. */
                    if (variant == 0 && CHECK_MSG(nb == 16, "inner chunk %d is %llu bytes", k, (unsigned long long)nb)) {
                        int r0 = (k / 2) * 2, c0 = (k % 2) * 2, ok = 1;
                        for (int r = 0; r < 2; r++)
                            for (int q = 0; q < 2; q++)
                                ok &= (int32_t)rd_le32(enc + off + 4 * (r * 2 + q)) == d[(r0 + r) * 4 + c0 + q];
                        CHECK_MSG(ok, "inner chunk %d's bytes are not its elements", k);
                    }
                }
                CHECK(stored[1] && stored[2] && stored[3]);
                for (int k = 0; k < 4; k++)
                    for (int m = k + 1; m < 4; m++)
                        if (stored[k] && stored[m])
                            CHECK_MSG(hi[k] <= lo[m] || hi[m] <= lo[k], "inner chunks %d and %d overlap", k, m);
            }
            zarrio_bytes_free(enc, enc_len);
            /* All fill: round trips (only the index, or fill chunks). */
            int32_t zeros[16] = {0};
            enc = ROUND_TRIP("sharding, all fill", p, zeros, sizeof zeros, &enc_len);
            CHECK_MSG(enc_len >= 68, "an all-fill shard encodes to %zu bytes", enc_len);
            zarrio_bytes_free(enc, enc_len);
            /* Garbage is corrupt (too short for the index). */
            unsigned char junk[10] = {0}, out[64];
            zarrio_status st = zarrio_pipeline_decode(p, junk, sizeof junk, out, sizeof out);
            CHECK_MSG(st == ZARRIO_ERR_CORRUPT, "decoding a 10-byte shard gave %s", zarrio_status_name(st));
            /* An index entry pointing past the end is corrupt. */
            uint8_t *e2 = NULL;
            size_t l2 = 0;
            CHECK_OK(zarrio_pipeline_encode(p, d, sizeof d, &e2, &l2));
            if (e2 && l2 >= 68) {
                unsigned char *bad = (unsigned char *)xmalloc(l2);
                memcpy(bad, e2, l2);
                /* Entry 3's offset, then recompute the index CRC so only the range is wrong. */
                unsigned char *ix = bad + l2 - 68;
                uint64_t off = (uint64_t)l2 + 1000;
                for (int b = 0; b < 8; b++) ix[48 + b] = (unsigned char)(off >> (8 * b));
                uint32_t c = crc32c(ix, 64);
                for (int b = 0; b < 4; b++) bad[l2 - 4 + b] = (unsigned char)(c >> (8 * b));
                st = zarrio_pipeline_decode(p, bad, l2, out, sizeof out);
                CHECK_MSG(st == ZARRIO_ERR_CORRUPT, "a shard index entry past the end gave %s", zarrio_status_name(st));
                free(bad);
            }
            zarrio_bytes_free(e2, l2);
            zarrio_pipeline_free(p);
        }
    }

    /* Fill values in their JSON forms; a 0-d chunk. */
    {
        uint64_t s1[1] = {3};
        p = make("[" BYTES_LE "]", "float32", 1, s1, "\"NaN\"");
        zarrio_pipeline_free(p);
        p = make("[" BYTES_LE "]", "complex64", 1, s1, "[1.0,\"-Infinity\"]");
        zarrio_pipeline_free(p);
        p = make("[" BYTES_LE "]", "float64", 1, s1, "\"0x7ff8000000000001\"");
        zarrio_pipeline_free(p);
        p = make("[{\"name\":\"bytes\"}]", "bool", 1, s1, "true");
        zarrio_pipeline_free(p);
        p = make("[{\"name\":\"bytes\"}]", "r24", 1, s1, "[1,2,3]");
        if (p) {
            CHECK_OK(zarrio_pipeline_decoded_size(p, &ds));
            CHECK(ds == 9);
            unsigned char r[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
            uint8_t *enc = ROUND_TRIP("r24", p, r, sizeof r, &enc_len);
            CHECK(enc_len == 9 && enc && memcmp(enc, r, 9) == 0);
            zarrio_bytes_free(enc, enc_len);
            zarrio_pipeline_free(p);
        }
        p = make("[" BYTES_LE ",{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":true}}]", "float64", 0,
                 NULL, "0.0");
        if (p) {
            CHECK_OK(zarrio_pipeline_decoded_size(p, &ds));
            CHECK(ds == 8);
            double v = 2.5;
            uint8_t *enc = ROUND_TRIP("0-d", p, &v, sizeof v, &enc_len);
            zarrio_bytes_free(enc, enc_len);
            zarrio_pipeline_free(p);
        }
    }
}

static void test_errors(void) {
    uint64_t shape[2] = {4, 5}, zero_shape[2] = {4, 0};
    zarrio_pipeline *p = NULL;
    const char *codecs = "[" BYTES_LE "]";
    CHECK_STATUS(zarrio_pipeline_create(NULL, "uint16", 2, shape, "0", &p), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_create(codecs, NULL, 2, shape, "0", &p), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, NULL, "0", &p), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, shape, NULL, &p), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, shape, "0", NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, zero_shape, "0", &p), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_create("[", "uint16", 2, shape, "0", &p), ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create("{\"name\":\"bytes\"}", "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create("[]", "uint16", 2, shape, "0", &p), ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"gzip\",\"configuration\":{\"level\":1}}," BYTES_LE "]", "uint16",
                                        2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create("[" BYTES_LE "," BYTES_LE "]", "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create("[" BYTES_LE ",{\"name\":\"no_such_codec\"}]", "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_UNSUPPORTED);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint12", 2, shape, "0", &p), ZARRIO_ERR_UNSUPPORTED);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, shape, "70000", &p), ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, shape, "-1", &p), ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "float32", 2, shape, "\"nan\"", &p), ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, shape, "zero", &p), ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create(codecs, "uint16", 2, shape, "", &p), ZARRIO_ERR_INVALID_METADATA);
    /* Multi-byte type without an endian. */
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"bytes\"}]", "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    /* A transpose order that is not a permutation of the chunk's dims. */
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"transpose\",\"configuration\":{\"order\":[0,0]}}," BYTES_LE "]",
                                        "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"transpose\",\"configuration\":{\"order\":[0,1,2]}}," BYTES_LE "]",
                                        "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    /* Sharding inner shape that does not divide the chunk. */
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[3,5],"
                                        "\"codecs\":[" BYTES_LE "],\"index_codecs\":[" BYTES_LE "]}}]",
                                        "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    /* A compressor in the index codecs. */
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[2,5],"
                                        "\"codecs\":[" BYTES_LE "],\"index_codecs\":[" BYTES_LE
                                        ",{\"name\":\"gzip\",\"configuration\":{\"level\":1}}]}}]",
                                        "uint16", 2, shape, "0", &p),
                 ZARRIO_ERR_INVALID_METADATA);
    CHECK(p == NULL);

    p = make(codecs, "uint16", 2, shape, "0");
    if (!p) return;
    size_t ds = 0;
    CHECK_STATUS(zarrio_pipeline_decoded_size(NULL, &ds), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_decoded_size(p, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    uint16_t data[20] = {0}, out[20];
    uint8_t *enc = NULL;
    size_t len = 0;
    CHECK_STATUS(zarrio_pipeline_encode(NULL, data, sizeof data, &enc, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_encode(p, NULL, sizeof data, &enc, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_encode(p, data, sizeof data, NULL, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_encode(p, data, sizeof data, &enc, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_encode(p, data, sizeof data - 2, &enc, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_encode(p, data, sizeof data + 2, &enc, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(enc == NULL);
    CHECK_OK(zarrio_pipeline_encode(p, data, sizeof data, &enc, &len));
    CHECK_STATUS(zarrio_pipeline_decode(NULL, enc, len, out, sizeof out), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_decode(p, NULL, len, out, sizeof out), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_decode(p, enc, len, NULL, sizeof out), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_pipeline_decode(p, enc, len, out, sizeof out - 1), ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(zarrio_pipeline_decode(p, enc, len, out, 0), ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(zarrio_pipeline_decode(p, enc, 0, out, sizeof out), ZARRIO_ERR_CORRUPT);
    zarrio_bytes_free(enc, len);
    zarrio_pipeline_free(p);
}

/* The array's own pipeline decodes the chunk files we read from disk. */
static void test_array_pipeline(const char *dir) {
    char *root = path_join(dir, "store");
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(root, &s));
    const struct {
        const char *path, *dtype, *codecs, *fill;
        uint64_t shape[2], chunk[2];
    } arrays[] = {
        {"gz", "int16", "[" BYTES_LE ",{\"name\":\"gzip\",\"configuration\":{\"level\":1}}]", "-5", {20, 13}, {6, 4}},
        {"tr", "float64",
         "[{\"name\":\"transpose\",\"configuration\":{\"order\":[1,0]}}," BYTES_BE
         ",{\"name\":\"crc32c\"},{\"name\":\"zstd\",\"configuration\":{\"level\":2,\"checksum\":false}}]",
         "\"Infinity\"", {20, 13}, {6, 4}},
        {"sh", "uint32",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[3,2],\"codecs\":[" BYTES_LE
         ",{\"name\":\"zstd\",\"configuration\":{\"level\":0,\"checksum\":false}}],\"index_codecs\":[" BYTES_LE
         ",{\"name\":\"crc32c\"}],\"index_location\":\"start\"}}]",
         "1", {20, 13}, {6, 4}},
    };
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++) {
        char *json = make_array_json(2, arrays[k].shape, arrays[k].chunk, arrays[k].dtype, arrays[k].fill,
                                     arrays[k].codecs, NULL);
        zarrio_array *a = NULL;
        CHECK_OK_CTX(zarrio_array_create(s, arrays[k].path, json, &a), "%s", json);
        free(json);
        if (!a) continue;
        size_t e = dtype_size(arrays[k].dtype);
        uint64_t n = 20 * 13, zero[2] = {0, 0};
        unsigned char *src = gen_buffer(arrays[k].dtype, n, (unsigned)k + 3);
        CHECK_OK(zarrio_array_write(a, 2, zero, arrays[k].shape, src, (size_t)n * e, NULL));
        free(src);

        zarrio_pipeline *p = NULL;
        CHECK_STATUS(zarrio_array_pipeline(NULL, &p), ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(zarrio_array_pipeline(a, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK_OK(zarrio_array_pipeline(a, &p));
        if (!p) {
            zarrio_array_free(a);
            continue;
        }
        size_t ds = 0;
        CHECK_OK(zarrio_pipeline_decoded_size(p, &ds));
        size_t chunk_bytes = 6 * 4 * e;
        CHECK_MSG(ds == chunk_bytes, "%s: decoded size %zu, expected %zu", arrays[k].path, ds, chunk_bytes);
        unsigned char *via_file = (unsigned char *)xmalloc(chunk_bytes), *via_api = (unsigned char *)xmalloc(chunk_bytes);
        int files = 0;
        uint64_t idx[2];
        for (idx[0] = 0; idx[0] < 4; idx[0]++)
            for (idx[1] = 0; idx[1] < 4; idx[1]++) {
                char *f = chunk_file(root, arrays[k].path, 2, idx);
                size_t len = 0;
                unsigned char *bytes = read_file_bytes(f, &len);
                if (!CHECK_MSG(bytes != NULL, "chunk file %s missing", f)) {
                    free(f);
                    continue;
                }
                files++;
                memset(via_file, 0x11, chunk_bytes);
                memset(via_api, 0x22, chunk_bytes);
                CHECK_OK_CTX(zarrio_pipeline_decode(p, bytes, len, via_file, chunk_bytes), "%s", f);
                CHECK_OK(zarrio_array_read_chunk(a, 2, idx, via_api, chunk_bytes));
                CHECK_MSG(memcmp(via_file, via_api, chunk_bytes) == 0,
                          "%s: pipeline decode of the file differs from zarrio_array_read_chunk", f);
                /* Re-encoding gives bytes that decode to the same chunk. */
                uint8_t *enc = NULL;
                size_t enc_len = 0;
                CHECK_OK(zarrio_pipeline_encode(p, via_api, chunk_bytes, &enc, &enc_len));
                if (enc) {
                    memset(via_file, 0x33, chunk_bytes);
                    CHECK_OK(zarrio_pipeline_decode(p, enc, enc_len, via_file, chunk_bytes));
                    CHECK(memcmp(via_file, via_api, chunk_bytes) == 0);
                }
                zarrio_bytes_free(enc, enc_len);
                free(bytes);
                free(f);
            }
        CHECK(files == 16);

        /* A chunk encoded by the host and stored by hand reads back. */
        unsigned char *mine = gen_buffer(arrays[k].dtype, 24, 500 + (unsigned)k);
        uint8_t *enc = NULL;
        size_t enc_len = 0;
        CHECK_OK(zarrio_pipeline_encode(p, mine, chunk_bytes, &enc, &enc_len));
        uint64_t c11[2] = {1, 1};
        char *f = chunk_file(root, arrays[k].path, 2, c11);
        CHECK(enc && write_file_bytes(f, enc, enc_len) == 0);
        memset(via_api, 0, chunk_bytes);
        CHECK_OK(zarrio_array_read_chunk(a, 2, c11, via_api, chunk_bytes));
        CHECK_MSG(memcmp(via_api, mine, chunk_bytes) == 0, "%s: a hand-stored chunk reads back wrong", arrays[k].path);
        /* And as a region: rows 6..11, cols 4..7. */
        uint64_t st[2] = {6, 4}, sh[2] = {6, 4};
        memset(via_api, 0, chunk_bytes);
        CHECK_OK(zarrio_array_read(a, 2, st, sh, via_api, chunk_bytes, NULL));
        CHECK(memcmp(via_api, mine, chunk_bytes) == 0);
        zarrio_bytes_free(enc, enc_len);
        free(f);
        free(mine);

        /* The pipeline outlives its array. */
        zarrio_array_free(a);
        memset(via_file, 0, chunk_bytes);
        unsigned char *zeros = (unsigned char *)xmalloc(chunk_bytes);
        memset(zeros, 0, chunk_bytes);
        uint8_t *e2 = ROUND_TRIP("array pipeline after the array is freed", p, zeros, chunk_bytes, &enc_len);
        zarrio_bytes_free(e2, enc_len);
        free(zeros);
        free(via_file);
        free(via_api);
        zarrio_pipeline_free(p);
    }
    zarrio_store_free(s);
    free(root);
}

/* A rectilinear grid's chunks differ in shape: each has its own pipeline,
 * which decodes its stored bytes into the chunk zarrio_array_read_chunk
 * gives; the array-wide pipeline is refused. */
static void test_chunk_pipelines(const char *dir) {
    char *root = path_join(dir, "rect");
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(root, &s));
    const char *json =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[7,5],\"data_type\":\"int16\","
        "\"chunk_grid\":{\"name\":\"rectilinear\",\"configuration\":{\"kind\":\"inline\","
        "\"chunk_shapes\":[[2,5],[3,3]]}},\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-1,"
        "\"codecs\":[" BYTES_LE ",{\"name\":\"zstd\",\"configuration\":{\"level\":1}}]}";
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "r", json, &a));
    int16_t v[35];
    for (int i = 0; i < 35; i++) v[i] = (int16_t)(i * 3);
    uint64_t zero[2] = {0, 0}, shape[2] = {7, 5};
    CHECK_OK(zarrio_array_write(a, 2, zero, shape, v, sizeof v, NULL));
    zarrio_pipeline *p = NULL;
    CHECK_STATUS(zarrio_array_pipeline(a, &p), ZARRIO_ERR_UNSUPPORTED);
    uint64_t idx[2] = {1, 1}, outside[2] = {2, 0};
    CHECK_STATUS(zarrio_array_chunk_pipeline(a, 2, outside, &p), ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK_OK(zarrio_array_chunk_pipeline(a, 2, idx, &p));
    size_t decoded = 0;
    if (p) CHECK_OK(zarrio_pipeline_decoded_size(p, &decoded));
    CHECK_MSG(decoded == 5 * 3 * 2, "chunk (1, 1) is 5 x 3, %zu bytes decoded", decoded);
    char *file = path_join(root, "r/c/1/1");
    size_t len = 0;
    unsigned char *stored = read_file_bytes(file, &len);
    int16_t via_pipeline[15], via_array[15];
    if (p && stored) CHECK_OK(zarrio_pipeline_decode(p, stored, len, via_pipeline, sizeof via_pipeline));
    CHECK_OK(zarrio_array_read_chunk(a, 2, idx, via_array, sizeof via_array));
    CHECK(memcmp(via_pipeline, via_array, sizeof via_array) == 0);
    /* Row 2 of the array, columns 3 and 4, and the fill past the edge. */
    CHECK(via_array[0] == v[2 * 5 + 3] && via_array[1] == v[2 * 5 + 4] && via_array[2] == -1);
    free(stored);
    free(file);
    zarrio_pipeline_free(p);
    zarrio_array_free(a);
    zarrio_store_free(s);
    free(root);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "pipeline");
    test_chunk_pipelines(dir);
    test_standalone();
    test_errors();
    test_array_pipeline(dir);
    zarrio_pipeline_free(NULL);
    zarrio_bytes_free(NULL, 0);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
