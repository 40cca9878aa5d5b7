//! Consolidated metadata: `Group::consolidate_metadata` writes it, and a
//! `ConsolidatedStore` opens a hierarchy from it with no further metadata
//! requests, on a store that cannot list.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use zarrio::error::{unsupported, ErrorKind};
use zarrio::store::ByteRange;
use zarrio::{Array, ConsolidatedStore, Group, MemoryStore, NodeType, Result, Store, StoreRef};

/// A memory store standing in for a remote one: it counts every request,
/// and may refuse to list, as an HTTP store does.
#[derive(Debug, Default)]
struct Remote {
    inner: MemoryStore,
    requests: AtomicUsize,
    no_list: AtomicBool,
}

impl Remote {
    fn request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }
    fn requests(&self) -> usize {
        self.requests.swap(0, Ordering::SeqCst)
    }
}

impl Store for Remote {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.request();
        self.inner.get(key)
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.request();
        self.inner.get_range(key, range)
    }
    fn size(&self, key: &str) -> Result<Option<u64>> {
        self.request();
        self.inner.size(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.request();
        self.inner.set(key, value)
    }
    fn erase(&self, key: &str) -> Result<()> {
        self.request();
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.request();
        if self.no_list.load(Ordering::SeqCst) {
            return Err(unsupported("this store cannot list"));
        }
        self.inner.list(prefix)
    }
}

fn array_json(fill: i32) -> String {
    format!(
        r#"{{"zarr_format":3,"node_type":"array","shape":[6],"data_type":"int32",
            "chunk_grid":{{"name":"regular","configuration":{{"chunk_shape":[4]}}}},
            "chunk_key_encoding":{{"name":"default"}},"fill_value":{fill},
            "codecs":[{{"name":"bytes","configuration":{{"endian":"little"}}}}],
            "attributes":{{"fill":{fill}}}}}"#
    )
}

fn ints(bytes: &[u8]) -> Vec<i32> {
    bytes
        .chunks(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn bytes(ints: &[i32]) -> Vec<u8> {
    ints.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// root { a: array, g: group { b: array, h: group {} } }
fn hierarchy() -> (Arc<Remote>, Group) {
    let remote = Arc::new(Remote::default());
    let store: StoreRef = remote.clone();
    let mut attrs = serde_json::Map::new();
    attrs.insert("title".into(), "t".into());
    let root = Group::create(store.clone(), "", attrs).unwrap();
    let a = Array::create(store.clone(), "a", &array_json(1)).unwrap();
    a.write_region(&[0], &[6], &bytes(&[1, 2, 3, 4, 5, 6]), None)
        .unwrap();
    Group::create(store.clone(), "g", Default::default()).unwrap();
    Array::create(store.clone(), "g/b", &array_json(2)).unwrap();
    Group::create(store.clone(), "g/h", Default::default()).unwrap();
    (remote, root)
}

#[test]
fn one_request_opens_the_hierarchy() {
    let (remote, root) = hierarchy();
    root.consolidate_metadata().unwrap();
    remote.no_list.store(true, Ordering::SeqCst);
    remote.requests();

    let c: StoreRef = Arc::new(ConsolidatedStore::open(remote.clone(), "").unwrap());
    assert_eq!(remote.requests(), 1, "one read of the root's zarr.json");

    let root = Group::open(c.clone(), "").unwrap();
    assert_eq!(root.attributes()["title"], "t");
    assert_eq!(
        root.children().unwrap(),
        [
            ("a".to_string(), NodeType::Array),
            ("g".into(), NodeType::Group)
        ]
    );
    let g = Group::open(c.clone(), "g").unwrap();
    assert_eq!(
        g.children().unwrap(),
        [
            ("b".to_string(), NodeType::Array),
            ("h".into(), NodeType::Group)
        ]
    );
    assert!(Group::open(c.clone(), "g/h")
        .unwrap()
        .children()
        .unwrap()
        .is_empty());
    let a = Array::open(c.clone(), "a").unwrap();
    let b = Array::open(c.clone(), "g/b").unwrap();
    assert_eq!(b.attributes()["fill"], 2);
    assert_eq!(
        Array::open(c.clone(), "nothing").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        remote.requests(),
        0,
        "metadata came from the consolidated document"
    );

    let mut out = vec![0u8; 24];
    a.read_region(&[0], &[6], &mut out, None).unwrap();
    assert_eq!(ints(&out), [1, 2, 3, 4, 5, 6]);
    b.read_region(&[0], &[6], &mut out, None).unwrap();
    assert_eq!(ints(&out), [2; 6]);

    // Chunks are written through it.
    b.write_region(&[2], &[3], &bytes(&[7, 8, 9]), None)
        .unwrap();
    let plain = Array::open(remote.clone(), "g/b").unwrap();
    plain.read_region(&[0], &[6], &mut out, None).unwrap();
    assert_eq!(ints(&out), [2, 2, 7, 8, 9, 2]);
}

#[test]
fn metadata_is_not_written_through_it() {
    let (remote, root) = hierarchy();
    root.consolidate_metadata().unwrap();
    let before = remote.inner.list("").unwrap();
    let snapshot: Vec<_> = before
        .iter()
        .map(|k| remote.inner.get(k).unwrap())
        .collect();
    let c: StoreRef = Arc::new(ConsolidatedStore::open(remote.clone(), "").unwrap());
    let unsupported = |r: Result<()>| assert_eq!(r.unwrap_err().kind(), ErrorKind::Unsupported);
    unsupported(Array::create(c.clone(), "a", &array_json(3)).map(drop));
    unsupported(Array::create(c.clone(), "new", &array_json(3)).map(drop));
    unsupported(Group::create(c.clone(), "g", Default::default()).map(drop));
    unsupported(
        Array::open(c.clone(), "a")
            .unwrap()
            .set_attributes(Default::default()),
    );
    unsupported(
        Group::open(c.clone(), "")
            .unwrap()
            .set_attributes(Default::default()),
    );
    unsupported(Group::open(c.clone(), "").unwrap().consolidate_metadata());
    let after = remote.inner.list("").unwrap();
    assert_eq!(before, after);
    for (k, v) in before.iter().zip(snapshot) {
        assert_eq!(remote.inner.get(k).unwrap(), v, "{k}");
    }
}

#[test]
fn consolidating_again_sees_later_nodes() {
    let (remote, root) = hierarchy();
    let store: StoreRef = remote.clone();
    root.consolidate_metadata().unwrap();
    Array::create(store.clone(), "g/late", &array_json(4)).unwrap();
    let names = |store: StoreRef| {
        Group::open(store, "g")
            .unwrap()
            .children()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
    };
    let c = Arc::new(ConsolidatedStore::open(store.clone(), "").unwrap());
    assert_eq!(
        names(c),
        ["b", "h"],
        "a stale document is the truth it tells"
    );
    root.consolidate_metadata().unwrap();
    let c = Arc::new(ConsolidatedStore::open(store.clone(), "").unwrap());
    assert_eq!(names(c), ["b", "h", "late"]);
    // The consolidated document is zarr-python's inline form.
    let doc: serde_json::Value =
        serde_json::from_slice(&store.get("zarr.json").unwrap().unwrap()).unwrap();
    let cm = &doc["consolidated_metadata"];
    assert_eq!(cm["kind"], "inline");
    assert_eq!(cm["must_understand"], false);
    assert_eq!(cm["metadata"]["g/late"]["attributes"]["fill"], 4);
    assert_eq!(
        cm["metadata"]["g"]["consolidated_metadata"]["metadata"],
        serde_json::json!({})
    );
    // A sub-group consolidates its own members, keyed from itself.
    Group::open(store.clone(), "g")
        .unwrap()
        .consolidate_metadata()
        .unwrap();
    let c = Arc::new(ConsolidatedStore::open(store.clone(), "g").unwrap());
    assert!(Array::open(c.clone(), "g/late").is_ok());
    assert!(
        Array::open(c, "a").is_ok(),
        "outside the group: the wrapped store"
    );
}

#[test]
fn an_invalid_member_fails_before_anything_is_written() {
    for bad in [
        &br#"{"zarr_format":3,"node_type":"array"}"#[..],
        b"{not json",
        br#"{"zarr_format":3}"#,
        br#"{"zarr_format":3,"node_type":"other"}"#,
    ] {
        let (remote, root) = hierarchy();
        remote.inner.set("g/b/zarr.json", bad).unwrap();
        let before = remote.inner.get("zarr.json").unwrap();
        let e = root.consolidate_metadata().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{}", e.message());
        assert!(e.message().contains("g/b"), "{}", e.message());
        assert_eq!(remote.inner.get("zarr.json").unwrap(), before);
    }
}

#[test]
fn creating_a_node_above_the_group_erases_nothing() {
    let (remote, _) = hierarchy();
    let store: StoreRef = remote.clone();
    Group::open(store.clone(), "g")
        .unwrap()
        .consolidate_metadata()
        .unwrap();
    Array::open(store.clone(), "g/b")
        .unwrap()
        .write_region(&[0], &[6], &bytes(&[9; 6]), None)
        .unwrap();
    let before = common::snapshot(&remote.inner);
    let c: StoreRef = Arc::new(ConsolidatedStore::open(store, "g").unwrap());
    for path in ["", "/"] {
        let e = Array::create(c.clone(), path, &array_json(5))
            .map(drop)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
        let e = Group::create(c.clone(), path, Default::default()).map(drop);
        // Groups keep what is below them: creating one at the root only
        // rewrites the root's zarr.json, outside the consolidated group.
        e.unwrap();
    }
    let after = common::snapshot(&remote.inner);
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(changed, ["zarr.json"]);
    assert_eq!(before.len(), after.len());
}

#[test]
fn an_array_above_the_group_is_refused_where_no_node_is_yet() {
    // The consolidated group p/q, whose parent p is no node.
    let s = Arc::new(MemoryStore::new());
    s.set("p/q/zarr.json", br#"{"zarr_format":3,"node_type":"group"}"#)
        .unwrap();
    let store: StoreRef = s.clone();
    Group::open(store.clone(), "p/q")
        .unwrap()
        .consolidate_metadata()
        .unwrap();
    let before = common::snapshot(s.as_ref());
    let c: StoreRef = Arc::new(ConsolidatedStore::open(store, "p/q").unwrap());
    let v2 = r#"{"zarr_format":2,"shape":[6],"chunks":[4],"dtype":"<i4","compressor":null,
        "fill_value":0,"order":"C","filters":null}"#;
    for json in [array_json(5), v2.to_string()] {
        let e = Array::create(c.clone(), "p", &json).map(drop).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
        assert!(e.message().contains("ancestor"), "{}", e.message());
    }
    assert_eq!(common::snapshot(s.as_ref()), before);
    // Beside the group, and a group above it, are no trouble.
    Array::create(c.clone(), "p/r", &array_json(5)).unwrap();
    Group::create(c, "p", Default::default()).unwrap();
}

#[test]
fn v3_arrays_zarrio_cannot_check_whole_are_not_consolidated() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let root = Group::create(store.clone(), "", Default::default()).unwrap();
    let jpeg = array_json(0).replace(
        r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
        r#"{"name":"bytes","configuration":{"endian":"little"}},{"name":"jpeg"}"#,
    );
    assert!(jpeg.contains("jpeg"));
    // A data type zarrio lacks stops the parse before the rest (here no
    // chunk grid, codecs or fill value at all) is checked.
    let foo = r#"{"zarr_format":3,"node_type":"array","shape":[4],"data_type":"foo"}"#;
    for doc in [jpeg.as_str(), foo] {
        s.set("x/zarr.json", doc.as_bytes()).unwrap();
        let before = s.get("zarr.json").unwrap();
        let e = root.consolidate_metadata().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
        assert!(e.message().contains("\"x\""), "{}", e.message());
        assert_eq!(s.get("zarr.json").unwrap(), before);
    }
}

#[test]
fn python_non_finite_attributes() {
    // zarr-python writes NaN and infinite attributes as bare tokens.
    let s = Arc::new(MemoryStore::new());
    s.set(
        "zarr.json",
        br#"{"zarr_format":3,"node_type":"group","attributes":{"valid_max":NaN},
            "consolidated_metadata":{"kind":"inline","must_understand":false,"metadata":{
              "x":{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"float32",
                   "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},
                   "chunk_key_encoding":{"name":"default"},"fill_value":"NaN",
                   "codecs":[{"name":"bytes","configuration":{"endian":"little"}}],
                   "attributes":{"lo":-Infinity,"hi":Infinity}}}}}"#,
    )
    .unwrap();
    let c: StoreRef = Arc::new(ConsolidatedStore::open(s.clone(), "").unwrap());
    let x = Array::open(c.clone(), "x").unwrap();
    assert_eq!(x.attributes()["lo"], "-Infinity");
    assert_eq!(x.attributes()["hi"], "Infinity");
    assert_eq!(Group::open(c, "").unwrap().attributes()["valid_max"], "NaN");
    assert_eq!(Group::open(s, "").unwrap().attributes()["valid_max"], "NaN");
}

#[test]
fn v2_groups_are_read_and_consolidated() {
    let s = Arc::new(MemoryStore::new());
    s.set(".zgroup", br#"{"zarr_format":2}"#).unwrap();
    s.set(
        ".zmetadata",
        br#"{"zarr_consolidated_format":1,"metadata":{
            ".zgroup":{"zarr_format":2},".zattrs":{"t":1},
            "x/.zarray":{"zarr_format":2,"shape":[3],"chunks":[3],"dtype":"<i2",
                         "compressor":null,"fill_value":5,"order":"C","filters":null},
            "x/.zattrs":{"u":2}}}"#,
    )
    .unwrap();
    let plain: StoreRef = s.clone();
    // Not in the store itself, only in .zmetadata.
    assert!(Array::open(plain.clone(), "x").is_err());
    let c: StoreRef = Arc::new(ConsolidatedStore::open(s.clone(), "").unwrap());
    let x = Array::open(c.clone(), "x").unwrap();
    assert_eq!(x.attributes()["u"], 2);
    let mut out = [0u8; 6];
    x.read_region(&[0], &[3], &mut out, None).unwrap();
    assert_eq!(out, [5, 0, 5, 0, 5, 0]);
    assert_eq!(
        Group::open(c, "").unwrap().children().unwrap(),
        [("x".to_string(), NodeType::Array)]
    );
    // Consolidating the v2 group writes .zmetadata from the files that
    // are there: y, a v2 array zarrio made, and its .zattrs.
    let zarray = r#"{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"|u1","compressor":null,
                     "fill_value":7,"order":"C","filters":null}"#;
    Array::create(plain.clone(), "y", zarray).unwrap();
    Group::open(plain.clone(), "")
        .unwrap()
        .consolidate_metadata()
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&s.get(".zmetadata").unwrap().unwrap()).unwrap();
    let keys: Vec<&String> = doc["metadata"].as_object().unwrap().keys().collect();
    assert_eq!(keys, [".zgroup", "y/.zarray", "y/.zattrs"]);
    assert_eq!(doc["zarr_consolidated_format"], 1);
    let c: StoreRef = Arc::new(ConsolidatedStore::open(s.clone(), "").unwrap());
    let mut out = [0u8; 2];
    Array::open(c, "y")
        .unwrap()
        .read_region(&[0], &[2], &mut out, None)
        .unwrap();
    assert_eq!(out, [7, 7]);
    // A broken .zarray below fails the call and writes nothing.
    s.set("z/.zarray", b"{\"zarr_format\": 2}").unwrap();
    let before = s.get(".zmetadata").unwrap();
    assert!(Group::open(plain, "")
        .unwrap()
        .consolidate_metadata()
        .is_err());
    assert_eq!(s.get(".zmetadata").unwrap(), before);
}

#[test]
fn a_refused_node_leaves_no_parent_groups() {
    // A consolidated group "p" in a store whose root is not a node.
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let p = Group::create(store.clone(), "p", Default::default()).unwrap();
    s.erase("zarr.json").unwrap();
    p.consolidate_metadata().unwrap();
    let before = common::snapshot(s.as_ref());
    let c: StoreRef = Arc::new(ConsolidatedStore::open(store, "p").unwrap());
    let e = Array::create(c.clone(), "p/new/arr", &array_json(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
    let e = Group::create(c, "p/new", Default::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
    assert_eq!(common::snapshot(s.as_ref()), before);
}

#[test]
fn erasing_a_child_forgets_its_key_alone_whatever_its_escapes() {
    // Two consolidated keys that read alike (a lone surrogate reads as
    // U+FFFD): erasing the node named with U+FFFD keeps the other, as
    // zarr-python does.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let group = |cm: &str| {
        format!(r#"{{"zarr_format": 3, "node_type": "group", "consolidated_metadata": {cm}}}"#)
    };
    let child = r#"{"zarr_format": 3, "node_type": "group"}"#;
    let members = format!(r#""x\ufffd": {child}, "x\ud800": {child}, "x\ud800/y": {child}"#);
    let cm =
        |m: &str| format!(r#"{{"kind": "inline", "must_understand": false, "metadata": {{{m}}}}}"#);
    store
        .set("zarr.json", group(&cm(&members)).as_bytes())
        .unwrap();
    store.set("x\u{fffd}/zarr.json", child.as_bytes()).unwrap();
    let root = Group::open(store.clone(), "").unwrap();
    root.erase_child("x\u{fffd}").unwrap();
    let kept = format!(r#""x\ud800": {child}, "x\ud800/y": {child}"#);
    let stored = String::from_utf8(store.get("zarr.json").unwrap().unwrap()).unwrap();
    assert!(
        stored.contains(&format!(r#""metadata": {{{kept}}}"#)),
        "{stored}"
    );
    assert!(store.get("x\u{fffd}/zarr.json").unwrap().is_none());
}
