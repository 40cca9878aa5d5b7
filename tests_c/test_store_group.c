/*
 * Stores and groups.
 *
 * Calls: zarrio_store_open_filesystem, zarrio_store_create_memory,
 * zarrio_store_free, zarrio_group_create, zarrio_group_open,
 * zarrio_group_free, zarrio_group_attributes, zarrio_group_set_attributes,
 * zarrio_group_children, zarrio_group_erase_child, zarrio_string_free (and zarrio_array_create /
 * _open / _free for an array child).
 */
#include "check.h"

static const char *ARRAY_JSON =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[4,6],\"data_type\":\"int16\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2,3]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
    "\"fill_value\":-1,\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}],"
    "\"attributes\":{\"kind\":\"child array\"}}";

/* Attributes of `g` must contain every fragment (NULL-terminated list). */
static void check_group_attrs(const char *file, int line, zarrio_group *g, const char *const *fragments) {
    char *json = NULL;
    if (!check_status_impl(file, line, "zarrio_group_attributes(g, &json)", zarrio_group_attributes(g, &json),
                           ZARRIO_OK))
        return;
    check_msg_impl(file, line, "json != NULL", json != NULL, "attributes JSON is NULL");
    if (!json) return;
    for (const char *const *f = fragments; *f; f++)
        check_msg_impl(file, line, "json_contains(json, fragment)", json_contains(json, *f),
                       "attributes %s do not contain %s", json, *f);
    zarrio_string_free(json);
}
#define CHECK_GROUP_ATTRS(g, ...)                                                                                 \
    do {                                                                                                          \
        const char *const frags_[] = {__VA_ARGS__, NULL};                                                         \
        check_group_attrs(__FILE__, __LINE__, (g), frags_);                                                       \
    } while (0)

static char *children_of(zarrio_group *g) {
    char *json = NULL;
    if (!CHECK_OK(zarrio_group_children(g, &json))) return NULL;
    CHECK(json != NULL);
    return json;
}

/* The group/array tree every store gets:
 *   /            group {"title":"root"}
 *   /a           group {"level":1}
 *   /a/b         group (NULL attributes = {})
 *   /a/b/c       group {"deep":true}
 *   /a/arr       array
 *   /z           group {"unicode":"µm"}
 */
static void build_and_check_tree(zarrio_store *s, const char *fs_root) {
    zarrio_group *root = NULL, *a = NULL, *b = NULL, *c = NULL, *z = NULL;
    REQUIRE_OK(zarrio_group_create(s, "", "{\"title\":\"root\",\"n\":[1,2,3]}", &root));
    REQUIRE(root != NULL);
    REQUIRE_OK(zarrio_group_create(s, "a", "{\"level\":1}", &a));
    REQUIRE_OK(zarrio_group_create(s, "a/b", NULL, &b));
    REQUIRE_OK(zarrio_group_create(s, "a/b/c", "{\"deep\":true}", &c));
    REQUIRE_OK(zarrio_group_create(s, "/z/", "{\"unicode\":\"\xc2\xb5m\"}", &z)); /* leading/trailing '/' */
    zarrio_array *arr = NULL;
    REQUIRE_OK(zarrio_array_create(s, "a/arr", ARRAY_JSON, &arr));

    if (fs_root) {
        /* The filesystem store writes one zarr.json per node. */
        const char *keys[] = {"zarr.json", "a/zarr.json", "a/b/zarr.json", "a/b/c/zarr.json", "z/zarr.json",
                              "a/arr/zarr.json"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char *p = path_join(fs_root, keys[i]);
            CHECK_MSG(file_exists(p), "%s does not exist", p);
            free(p);
        }
        char *p = path_join(fs_root, "a/zarr.json");
        size_t n = 0;
        unsigned char *text = read_file_bytes(p, &n);
        CHECK(text != NULL);
        if (text) {
            char *t = (char *)xmalloc(n + 1);
            memcpy(t, text, n);
            t[n] = '\0';
            CHECK_MSG(json_contains(t, "\"zarr_format\":3"), "a/zarr.json: %s", t);
            CHECK_MSG(json_contains(t, "\"node_type\":\"group\""), "a/zarr.json: %s", t);
            CHECK_MSG(json_contains(t, "\"level\":1"), "a/zarr.json: %s", t);
            free(t);
            free(text);
        }
        free(p);
    }

    /* Attributes as given. */
    CHECK_GROUP_ATTRS(root, "\"title\":\"root\"", "\"n\":[1,2,3]");
    CHECK_GROUP_ATTRS(a, "\"level\":1");
    CHECK_GROUP_ATTRS(c, "\"deep\":true");
    CHECK_GROUP_ATTRS(z, "\"unicode\":\"\xc2\xb5m\"");
    {
        char *json = NULL;
        CHECK_OK(zarrio_group_attributes(b, &json));
        CHECK_MSG(json && strcmp(json, "{}") == 0, "NULL attributes give %s, expected {}", json ? json : "NULL");
        zarrio_string_free(json);
    }

    /* Children: direct ones only, sorted by name, with their node types. */
    char *ch = children_of(root);
    if (ch) {
        CHECK_MSG(json_contains(ch, "[{\"name\":\"a\",\"node_type\":\"group\"},{\"name\":\"z\",\"node_type\":\"group\"}]"),
                  "root children: %s", ch);
        CHECK_MSG(!json_contains(ch, "\"b\""), "root children list a grandchild: %s", ch);
        CHECK_MSG(!json_contains(ch, "\"arr\""), "root children list a grandchild: %s", ch);
        zarrio_string_free(ch);
    }
    ch = children_of(a);
    if (ch) {
        CHECK_MSG(json_contains(ch, "[{\"name\":\"arr\",\"node_type\":\"array\"},{\"name\":\"b\",\"node_type\":\"group\"}]"),
                  "a's children: %s", ch);
        CHECK_MSG(!json_contains(ch, "\"c\""), "a's children list a grandchild: %s", ch);
        zarrio_string_free(ch);
    }
    ch = children_of(b);
    if (ch) {
        CHECK_MSG(json_contains(ch, "[{\"name\":\"c\",\"node_type\":\"group\"}]"), "b's children: %s", ch);
        zarrio_string_free(ch);
    }
    ch = children_of(c);
    if (ch) {
        CHECK_MSG(strcmp(ch, "[]") == 0, "a leaf group has children: %s", ch);
        zarrio_string_free(ch);
    }

    /* set_attributes replaces (not merges) and persists. */
    CHECK_OK(zarrio_group_set_attributes(a, "{\"level\":2,\"name\":\"A\",\"nested\":{\"x\":[true,null]}}"));
    CHECK_GROUP_ATTRS(a, "\"level\":2", "\"name\":\"A\"", "\"nested\":{\"x\":[true,null]}");
    {
        zarrio_group *a2 = NULL;
        CHECK_OK(zarrio_group_open(s, "a", &a2));
        if (a2) {
            CHECK_GROUP_ATTRS(a2, "\"level\":2", "\"name\":\"A\"", "\"nested\":{\"x\":[true,null]}");
            char *json = NULL;
            CHECK_OK(zarrio_group_attributes(a2, &json));
            CHECK_MSG(json && !json_contains(json, "\"level\":1"), "old attribute still there: %s", json);
            zarrio_string_free(json);
            /* Its children are unchanged. */
            char *ch2 = children_of(a2);
            CHECK_MSG(ch2 && json_contains(ch2, "{\"name\":\"arr\",\"node_type\":\"array\"}"), "children: %s", ch2);
            zarrio_string_free(ch2);
            zarrio_group_free(a2);
        }
    }
    CHECK_OK(zarrio_group_set_attributes(c, "{}"));
    {
        char *json = NULL;
        CHECK_OK(zarrio_group_attributes(c, &json));
        CHECK_MSG(json && strcmp(json, "{}") == 0, "after set {}: %s", json ? json : "NULL");
        zarrio_string_free(json);
    }

    /* Reopen everything by path. */
    const char *paths[] = {"", "a", "a/b", "a/b/c", "z", "/a/b/"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        zarrio_group *g = NULL;
        CHECK_OK_CTX(zarrio_group_open(s, paths[i], &g), "path \"%s\"", paths[i]);
        CHECK(g != NULL);
        zarrio_group_free(g);
    }
    CHECK_GROUP_ATTRS(root, "\"title\":\"root\"");

    /* The array child opens as an array, not as a group. */
    {
        zarrio_array *arr2 = NULL;
        CHECK_OK(zarrio_array_open(s, "a/arr", &arr2));
        zarrio_array_free(arr2);
        zarrio_group *g = NULL;
        CHECK_STATUS(zarrio_group_open(s, "a/arr", &g), ZARRIO_ERR_INVALID_METADATA);
        CHECK(g == NULL);
        /* And a group does not open as an array. */
        zarrio_array *ga = NULL;
        CHECK_STATUS(zarrio_array_open(s, "a/b", &ga), ZARRIO_ERR_INVALID_METADATA);
        CHECK(ga == NULL);
    }

    /* Missing nodes. */
    const char *missing[] = {"nope", "a/nope", "a/b/c/d", "a/arr/c"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        zarrio_group *g = NULL;
        zarrio_array *ar = NULL;
        CHECK_STATUS_CTX(zarrio_group_open(s, missing[i], &g), ZARRIO_ERR_NOT_FOUND, "path \"%s\"", missing[i]);
        CHECK(g == NULL);
        CHECK_STATUS_CTX(zarrio_array_open(s, missing[i], &ar), ZARRIO_ERR_NOT_FOUND, "path \"%s\"", missing[i]);
        CHECK(ar == NULL);
    }

    /* Paths that are not node paths. */
    const char *bad_paths[] = {"a/../b", "a//b", "./a", "..", "a/."};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        zarrio_group *g = NULL;
        CHECK_STATUS_CTX(zarrio_group_create(s, bad_paths[i], NULL, &g), ZARRIO_ERR_INVALID_ARGUMENT, "path \"%s\"",
                         bad_paths[i]);
        CHECK(g == NULL);
        CHECK_STATUS_CTX(zarrio_group_open(s, bad_paths[i], &g), ZARRIO_ERR_INVALID_ARGUMENT, "path \"%s\"",
                         bad_paths[i]);
        CHECK(g == NULL);
    }

    /* Malformed or non-object attributes: INVALID_METADATA, nothing changes. */
    const char *bad_attrs[] = {"{", "{\"a\":}", "[1,2]", "42", "\"text\"", "null", "", "{\"a\":1} trailing"};
    for (size_t i = 0; i < sizeof bad_attrs / sizeof bad_attrs[0]; i++) {
        zarrio_group *g = NULL;
        CHECK_STATUS_CTX(zarrio_group_create(s, "bad", bad_attrs[i], &g), ZARRIO_ERR_INVALID_METADATA,
                         "attributes '%s'", bad_attrs[i]);
        CHECK(g == NULL);
        zarrio_group_free(g);
        CHECK_STATUS_CTX(zarrio_group_set_attributes(a, bad_attrs[i]), ZARRIO_ERR_INVALID_METADATA,
                         "attributes '%s'", bad_attrs[i]);
    }
    {
        /* The failed creates made no node... */
        zarrio_group *g = NULL;
        CHECK_STATUS(zarrio_group_open(s, "bad", &g), ZARRIO_ERR_NOT_FOUND);
        /* ...and the failed set_attributes changed nothing, in memory or stored. */
        CHECK_GROUP_ATTRS(a, "\"level\":2", "\"name\":\"A\"");
        CHECK_OK(zarrio_group_open(s, "a", &g));
        if (g) CHECK_GROUP_ATTRS(g, "\"level\":2", "\"name\":\"A\"");
        zarrio_group_free(g);
    }

    zarrio_array_free(arr);
    zarrio_group_free(root);
    zarrio_group_free(a);
    zarrio_group_free(b);
    zarrio_group_free(c);
    zarrio_group_free(z);
}

static void test_null_arguments(zarrio_store *s) {
    zarrio_group *g = NULL;
    char *json = NULL;
    CHECK_STATUS(zarrio_store_open_filesystem(NULL, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_store_create_memory(NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    {
        zarrio_store *st = NULL;
        CHECK_STATUS(zarrio_store_open_filesystem(NULL, &st), ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK(st == NULL);
        CHECK_STATUS(zarrio_store_open_filesystem("/tmp", NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    }

    CHECK_STATUS(zarrio_group_create(NULL, "x", NULL, &g), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(g == NULL);
    CHECK_STATUS(zarrio_group_create(s, NULL, NULL, &g), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(g == NULL);
    CHECK_STATUS(zarrio_group_create(s, "x", NULL, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_group_open(NULL, "", &g), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(g == NULL);
    CHECK_STATUS(zarrio_group_open(s, NULL, &g), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(g == NULL);
    CHECK_STATUS(zarrio_group_open(s, "", NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    {
        /* The NULL-out create made no node. */
        zarrio_group *x = NULL;
        CHECK_STATUS(zarrio_group_open(s, "x", &x), ZARRIO_ERR_NOT_FOUND);
        zarrio_group_free(x);
    }

    zarrio_group *root = NULL;
    REQUIRE_OK(zarrio_group_open(s, "", &root));
    CHECK_STATUS(zarrio_group_attributes(NULL, &json), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(json == NULL);
    CHECK_STATUS(zarrio_group_attributes(root, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_group_set_attributes(NULL, "{}"), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_group_set_attributes(root, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_group_children(NULL, &json), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(json == NULL);
    CHECK_STATUS(zarrio_group_children(root, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    /* The root's attributes survived the failed calls. */
    CHECK_GROUP_ATTRS(root, "\"title\":\"root\"");
    zarrio_group_free(root);

    /* Every release function accepts NULL. */
    zarrio_store_free(NULL);
    zarrio_group_free(NULL);
    zarrio_array_free(NULL);
    zarrio_pipeline_free(NULL);
    zarrio_string_free(NULL);
    zarrio_bytes_free(NULL, 0);
    zarrio_bytes_free(NULL, 16);
}

static void test_filesystem_store(const char *dir) {
    char *root = path_join(dir, "fs/nested/store"); /* created, parents too */
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(root, &s));
    REQUIRE(s != NULL);
    CHECK_MSG(dir_exists(root), "zarrio_store_open_filesystem did not create %s", root);
    build_and_check_tree(s, root);
    test_null_arguments(s);

    /* A second store handle over the same directory sees the same nodes. */
    zarrio_store *s2 = NULL;
    CHECK_OK(zarrio_store_open_filesystem(root, &s2));
    if (s2) {
        zarrio_group *g = NULL;
        CHECK_OK(zarrio_group_open(s2, "a/b/c", &g));
        zarrio_group_free(g);
        zarrio_array *arr = NULL;
        CHECK_OK(zarrio_array_open(s2, "a/arr", &arr));
        zarrio_array_free(arr);
        zarrio_store_free(s2);
    }

    /* A node whose zarr.json is not valid JSON / not a group document. */
    {
        char *d = path_join(root, "broken");
        CHECK(mkdir_p(d) == 0);
        char *f = path_join(d, "zarr.json");
        const char *docs[] = {"{not json", "[]", "{\"zarr_format\":2,\"node_type\":\"group\"}",
                              "{\"zarr_format\":3}", "{\"zarr_format\":3,\"node_type\":\"group\",\"attributes\":[1]}",
                              "{\"zarr_format\":3,\"node_type\":\"group\",\"unknown\":1}"};
        for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
            REQUIRE(write_file_text(f, docs[i]) == 0);
            zarrio_group *g = NULL;
            CHECK_STATUS_CTX(zarrio_group_open(s, "broken", &g), ZARRIO_ERR_INVALID_METADATA, "zarr.json '%s'",
                             docs[i]);
            CHECK(g == NULL);
            zarrio_group_free(g);
        }
        /* A group with an optional unknown field opens. */
        REQUIRE(write_file_text(f, "{\"zarr_format\":3,\"node_type\":\"group\",\"ext\":{\"must_understand\":false}}") == 0);
        zarrio_group *g = NULL;
        CHECK_OK(zarrio_group_open(s, "broken", &g));
        zarrio_group_free(g);
        /* A directory without zarr.json is not a node, and not a child. */
        char *plain = path_join(root, "a/plain_dir");
        CHECK(mkdir_p(plain) == 0);
        g = NULL;
        CHECK_STATUS(zarrio_group_open(s, "a/plain_dir", &g), ZARRIO_ERR_NOT_FOUND);
        zarrio_group *a = NULL;
        CHECK_OK(zarrio_group_open(s, "a", &a));
        if (a) {
            char *ch = children_of(a);
            CHECK_MSG(ch && !json_contains(ch, "plain_dir"), "a directory without zarr.json is a child: %s", ch);
            zarrio_string_free(ch);
        }
        zarrio_group_free(a);
        free(plain);
        free(f);
        free(d);
    }

    /* Erasing a child on the filesystem: its directory's files go, a
       sibling stays; bad arguments erase nothing. */
    {
        zarrio_group *r = NULL;
        REQUIRE_OK(zarrio_group_open(s, "", &r));
        zarrio_group *e = NULL;
        REQUIRE_OK(zarrio_group_create(s, "erase_me/inner", NULL, &e));
        zarrio_group_free(e);
        /* Creating below it made "erase_me" a group. */
        e = NULL;
        CHECK_OK(zarrio_group_open(s, "erase_me", &e));
        zarrio_group_free(e);
        zarrio_array *arr = NULL;
        REQUIRE_OK(zarrio_array_open(s, "a/arr", &arr));
        zarrio_array_free(arr);
        char *inner = path_join(root, "erase_me/inner/zarr.json");
        CHECK(file_exists(inner));
        CHECK_STATUS(zarrio_group_erase_child(NULL, "erase_me"), ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(zarrio_group_erase_child(r, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(zarrio_group_erase_child(r, ""), ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(zarrio_group_erase_child(r, "no_such_node"), ZARRIO_ERR_NOT_FOUND);
        CHECK(file_exists(inner));
        CHECK_OK(zarrio_group_erase_child(r, "erase_me"));
        CHECK(!file_exists(inner));
        zarrio_group *gone = NULL;
        CHECK_STATUS(zarrio_group_open(s, "erase_me", &gone), ZARRIO_ERR_NOT_FOUND);
        arr = NULL;
        CHECK_OK(zarrio_array_open(s, "a/arr", &arr));
        zarrio_array_free(arr);
        zarrio_group_free(r);
        free(inner);
    }

    /* The store may be freed before the groups opened on it. */
    zarrio_group *g = NULL;
    CHECK_OK(zarrio_group_open(s, "a", &g));
    zarrio_store_free(s);
    if (g) {
        CHECK_OK(zarrio_group_set_attributes(g, "{\"after_store_free\":1}"));
        CHECK_GROUP_ATTRS(g, "\"after_store_free\":1");
        char *ch = children_of(g);
        CHECK_MSG(ch && json_contains(ch, "\"name\":\"b\""), "children after store free: %s", ch);
        zarrio_string_free(ch);
        zarrio_group_free(g);
    }

    /* A path that is a regular file cannot be a store. */
    char *file = path_join(dir, "not_a_dir");
    REQUIRE(write_file_text(file, "x") == 0);
    zarrio_store *bad = NULL;
    CHECK_STATUS(zarrio_store_open_filesystem(file, &bad), ZARRIO_ERR_IO);
    CHECK(bad == NULL);
    char *below = path_join(file, "sub");
    CHECK_STATUS(zarrio_store_open_filesystem(below, &bad), ZARRIO_ERR_IO);
    CHECK(bad == NULL);
    zarrio_store_free(bad);
    free(below);
    free(file);
    free(root);
}

static void test_memory_store(void) {
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_create_memory(&s));
    REQUIRE(s != NULL);
    build_and_check_tree(s, NULL);

    /* Two memory stores are independent. */
    zarrio_store *other = NULL;
    REQUIRE_OK(zarrio_store_create_memory(&other));
    zarrio_group *g = NULL;
    CHECK_STATUS(zarrio_group_open(other, "a", &g), ZARRIO_ERR_NOT_FOUND);
    CHECK_STATUS(zarrio_group_open(other, "", &g), ZARRIO_ERR_NOT_FOUND);
    CHECK(g == NULL);
    zarrio_store_free(other);

    /* Creating a group over an existing group replaces its attributes. */
    CHECK_OK(zarrio_group_create(s, "a", "{\"recreated\":true}", &g));
    zarrio_group_free(g);
    g = NULL;
    CHECK_OK(zarrio_group_open(s, "a", &g));
    if (g) {
        CHECK_GROUP_ATTRS(g, "\"recreated\":true");
        char *json = NULL;
        CHECK_OK(zarrio_group_attributes(g, &json));
        CHECK_MSG(json && !json_contains(json, "\"level\""), "old attributes kept: %s", json);
        zarrio_string_free(json);
    }

    /* The memory store's contents outlive its handle while a node is open. */
    zarrio_store_free(s);
    if (g) {
        char *ch = children_of(g);
        CHECK_MSG(ch && json_contains(ch, "{\"name\":\"arr\",\"node_type\":\"array\"}"), "children: %s", ch);
        zarrio_string_free(ch);
        zarrio_group_free(g);
    }
}

/* An N5 container through zarrio_store_open_n5: an array created through
 * it is written as N5 (attributes.json and blocks, no zarr.json) and reads
 * back, through the N5 store and through a second one over the same
 * directory. */
static void test_n5_store(const char *dir) {
    char *root = path_join(dir, "n5");
    zarrio_store *fs = NULL, *n5 = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(root, &fs));
    CHECK_STATUS(zarrio_store_open_n5(NULL, &n5), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_store_open_n5(fs, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    REQUIRE_OK(zarrio_store_open_n5(fs, &n5));
    zarrio_store_free(fs); /* the N5 store keeps the storage alive */
#define N5_ARRAY(FILL) \
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[5,3],\"data_type\":\"int16\"," \
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,2]}}," \
        "\"chunk_key_encoding\":{\"name\":\"v2\",\"configuration\":{\"separator\":\"/\"}}," \
        "\"fill_value\":" FILL ",\"codecs\":[{\"name\":\"n5_default\",\"configuration\":{\"codecs\":[" \
        "{\"name\":\"transpose\",\"configuration\":{\"order\":[1,0]}}," \
        "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}}," \
        "{\"name\":\"gzip\",\"configuration\":{\"level\":1}}]}}]}"
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(n5, "g/a", N5_ARRAY("0"), &a));
    int16_t values[15], back[15];
    for (int i = 0; i < 15; i++) values[i] = (int16_t)(i * 7 - 40);
    const uint64_t start[2] = {0, 0}, shape[2] = {5, 3};
    CHECK_OK(zarrio_array_write(a, 2, start, shape, values, sizeof values, NULL));
    zarrio_array_free(a);
    char *attrs = path_join(root, "g/a/attributes.json");
    char *zarr_json = path_join(root, "g/a/zarr.json");
    char *edge_block = path_join(root, "g/a/1/1");
    CHECK_MSG(file_exists(attrs), "%s was not written", attrs);
    CHECK_MSG(file_exists(edge_block), "%s was not written", edge_block);
    CHECK_MSG(!file_exists(zarr_json), "%s was written", zarr_json);
    zarrio_store *fs2 = NULL, *n5b = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(root, &fs2));
    REQUIRE_OK(zarrio_store_open_n5(fs2, &n5b));
    REQUIRE_OK(zarrio_array_open(n5b, "g/a", &a));
    memset(back, 0, sizeof back);
    CHECK_OK(zarrio_array_read(a, 2, start, shape, back, sizeof back, NULL));
    CHECK(memcmp(back, values, sizeof back) == 0);
    zarrio_array_free(a);
    /* What N5 cannot hold is refused: a fill value other than 0. */
    CHECK_STATUS(zarrio_array_create(n5b, "g/b", N5_ARRAY("1"), &a), ZARRIO_ERR_UNSUPPORTED);
#undef N5_ARRAY
    zarrio_store_free(fs2);
    zarrio_store_free(n5b);
    zarrio_store_free(n5);
    free(attrs);
    free(zarr_json);
    free(edge_block);
    free(root);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "store_group");
    test_filesystem_store(dir);
    test_memory_store();
    test_n5_store(dir);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
