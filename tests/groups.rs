//! Erasing a group's child: the node and everything below it go, and
//! nothing else; refusals erase nothing.

mod common;

use common::snapshot;
use std::sync::Arc;
use zarrio::error::{unsupported, ErrorKind};
use zarrio::{Array, ConsolidatedStore, Group, MemoryStore, Result, Store, StoreRef};

const ARRAY: &str = r#"{"zarr_format":3,"node_type":"array","shape":[4],"data_type":"uint8",
    "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},
    "chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}]}"#;

/// root { a: array, ab: array, g: group { x: array, h: group { y: array } }, v2: v2 array }
fn hierarchy() -> (Arc<MemoryStore>, Group) {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let root = Group::create(store.clone(), "", Default::default()).unwrap();
    for path in ["a", "ab", "g/x", "g/h/y"] {
        if path.contains('/') {
            let parent = &path[..path.rfind('/').unwrap()];
            Group::create(store.clone(), parent, Default::default()).unwrap();
        }
        let a = Array::create(store.clone(), path, ARRAY).unwrap();
        a.write_region(&[0], &[4], &[1, 2, 3, 4], None).unwrap();
    }
    s.set("v2/.zarray", br#"{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"|u1","compressor":null,"fill_value":0,"order":"C","filters":null}"#).unwrap();
    s.set("v2/0", &[5, 6]).unwrap();
    (s, root)
}

fn names(g: &Group) -> Vec<String> {
    g.children().unwrap().into_iter().map(|(n, _)| n).collect()
}

#[test]
fn arrays_are_not_groups_and_absent_nodes_are_not_found() {
    let (s, _) = hierarchy();
    let kind = |path: &str| Group::open(s.clone(), path).map(drop).unwrap_err().kind();
    assert_eq!(kind("a"), ErrorKind::InvalidMetadata);
    assert_eq!(kind("v2"), ErrorKind::InvalidMetadata);
    assert_eq!(kind("nothing"), ErrorKind::NotFound);
}

#[test]
fn erasing_children() {
    let (s, root) = hierarchy();
    assert_eq!(names(&root), ["a", "ab", "g", "v2"]);
    root.erase_child("a").unwrap();
    assert_eq!(names(&root), ["ab", "g", "v2"]);
    assert!(s.list("a/").unwrap().is_empty());
    assert_eq!(
        s.list("ab/").unwrap().len(),
        3,
        "a sibling sharing the prefix stays"
    );
    root.erase_child("g/h").unwrap();
    assert!(s.list("g/h/").unwrap().is_empty());
    assert_eq!(names(&Group::open(s.clone(), "g").unwrap()), ["x"]);
    root.erase_child("/g/").unwrap();
    assert!(s.list("g/").unwrap().is_empty());
    root.erase_child("v2").unwrap();
    assert!(s.list("v2/").unwrap().is_empty());
    assert_eq!(names(&root), ["ab"]);
}

#[test]
fn refusals_erase_nothing() {
    let (s, root) = hierarchy();
    let before = snapshot(s.as_ref());
    let kind = |r: Result<()>| r.unwrap_err().kind();
    assert_eq!(kind(root.erase_child("nothing")), ErrorKind::NotFound);
    assert_eq!(kind(root.erase_child("g/nothing")), ErrorKind::NotFound);
    assert_eq!(kind(root.erase_child("")), ErrorKind::InvalidArgument);
    assert_eq!(kind(root.erase_child("../a")), ErrorKind::InvalidArgument);

    // A store that cannot list.
    #[derive(Debug)]
    struct NoList(Arc<MemoryStore>);
    impl Store for NoList {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
            self.0.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<()> {
            self.0.set(key, value)
        }
        fn erase(&self, key: &str) -> Result<()> {
            self.0.erase(key)
        }
        fn list(&self, _prefix: &str) -> Result<Vec<String>> {
            Err(unsupported("no listing"))
        }
    }
    let g = Group::open(Arc::new(NoList(s.clone())), "").unwrap();
    assert_eq!(kind(g.erase_child("a")), ErrorKind::Unsupported);
    assert_eq!(snapshot(s.as_ref()), before);

    // Through consolidated metadata.
    root.consolidate_metadata().unwrap();
    let before = snapshot(s.as_ref());
    let c = Arc::new(ConsolidatedStore::open(s.clone(), "").unwrap());
    let g = Group::open(c, "").unwrap();
    assert_eq!(kind(g.erase_child("g")), ErrorKind::Unsupported);
    assert_eq!(snapshot(s.as_ref()), before);

    // A v2 group's child, with everything below it.
    s.set("old/.zgroup", br#"{"zarr_format":2}"#).unwrap();
    s.set("old/x/.zgroup", br#"{"zarr_format":2}"#).unwrap();
    s.set("old/x/y/.zgroup", br#"{"zarr_format":2}"#).unwrap();
    let old = Group::open(s.clone(), "old").unwrap();
    old.erase_child("x").unwrap();
    assert!(s.list("old/x").unwrap().is_empty());
    assert!(s.get("old/.zgroup").unwrap().is_some());
}

#[test]
fn ancestors_become_groups() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    Array::create(store.clone(), "p/q/r", ARRAY).unwrap();
    for path in ["", "p", "p/q"] {
        let g = Group::open(store.clone(), path).unwrap();
        assert!(g.attributes().is_empty(), "{path}");
    }
    assert_eq!(names(&Group::open(store.clone(), "p/q").unwrap()), ["r"]);
    // Existing groups keep their attributes; a v2 group stays v2.
    let mut attrs = serde_json::Map::new();
    attrs.insert("k".into(), 1.into());
    Group::open(store.clone(), "p")
        .unwrap()
        .set_attributes(attrs)
        .unwrap();
    s.set("old/.zgroup", br#"{"zarr_format":2}"#).unwrap();
    Group::create(store.clone(), "p/other", Default::default()).unwrap();
    Array::create(store.clone(), "old/new", ARRAY).unwrap();
    assert_eq!(
        Group::open(store.clone(), "p").unwrap().attributes()["k"],
        1
    );
    assert!(s.get("old/zarr.json").unwrap().is_none());
    assert!(Group::open(store.clone(), "old").unwrap().is_v2());
    // Below an array: refused, nothing written.
    let before = snapshot(s.as_ref());
    for path in ["p/q/r/x", "p/q/r/x/y"] {
        let e = Array::create(store.clone(), path, ARRAY).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
        let e = Group::create(store.clone(), path, Default::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    }
    assert_eq!(snapshot(s.as_ref()), before);
}

#[test]
fn metadata_writes_keep_what_other_handles_wrote() {
    let (s, _) = hierarchy();
    let store: StoreRef = s.clone();
    let (g1, g2) = (
        Group::open(store.clone(), "g").unwrap(),
        Group::open(store.clone(), "g").unwrap(),
    );
    let mut attrs = serde_json::Map::new();
    attrs.insert("v".into(), 2.into());
    g2.set_attributes(attrs).unwrap();
    g1.consolidate_metadata().unwrap();
    let g = Group::open(store.clone(), "g").unwrap();
    assert_eq!(g.attributes()["v"], 2, "consolidating kept g2's attributes");
    assert_eq!(g1.attributes()["v"], 2, "and g1 took them up");
    // An array's attributes written through a handle opened before another
    // handle resized it keep the new shape.
    let (a1, mut a2) = (
        Array::open(store.clone(), "a").unwrap(),
        Array::open(store.clone(), "a").unwrap(),
    );
    a2.resize(&[9]).unwrap();
    a1.set_attributes(serde_json::Map::new()).unwrap();
    assert_eq!(Array::open(store, "a").unwrap().shape(), &[9]);
}

/// A memory store whose erase of one key fails once.
#[derive(Debug)]
struct EraseFailsOnce {
    inner: MemoryStore,
    key: &'static str,
    failed: std::sync::atomic::AtomicBool,
}

impl Store for EraseFailsOnce {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.inner.set(key, value)
    }
    fn erase(&self, key: &str) -> Result<()> {
        if key == self.key && !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(zarrio::error::io_error(format!("{key}: erase failed")));
        }
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.inner.list(prefix)
    }
}

/// An erase stopped by a store error leaves the node there: erasing it
/// again finishes, and no new node at its path finds its old chunks.
#[test]
fn an_erase_stopped_halfway_can_be_finished() {
    let s = Arc::new(EraseFailsOnce {
        inner: MemoryStore::new(),
        key: "a/c/1",
        failed: Default::default(),
    });
    let store: StoreRef = s.clone();
    let root = Group::create(store.clone(), "", Default::default()).unwrap();
    let a = Array::create(store.clone(), "a", ARRAY).unwrap();
    a.write_region(&[0], &[4], &[1, 2, 3, 4], None).unwrap();
    assert_eq!(root.erase_child("a").unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(names(&root), ["a"], "the node is still there");
    root.erase_child("a").unwrap();
    assert!(s.inner.list("a/").unwrap().is_empty());
    // And a node created over one whose erase stopped starts empty.
    s.failed.store(false, std::sync::atomic::Ordering::SeqCst);
    let a = Array::create(store.clone(), "a", ARRAY).unwrap();
    a.write_region(&[0], &[4], &[1, 2, 3, 4], None).unwrap();
    assert!(Array::create(store.clone(), "a", ARRAY).is_err());
    let a = Array::create(store, "a", ARRAY).unwrap();
    let mut out = [9u8; 4];
    a.read_region(&[0], &[4], &mut out, None).unwrap();
    assert_eq!(out, [0; 4]);
}

/// Erasing a child takes it out of the group's consolidated metadata, as
/// zarr-python's `del group[name]` does.
#[test]
fn an_erased_child_leaves_the_consolidated_metadata() {
    let (s, root) = hierarchy();
    let store: StoreRef = s.clone();
    root.consolidate_metadata().unwrap();
    root.erase_child("g").unwrap();
    let c: StoreRef = Arc::new(ConsolidatedStore::open(store.clone(), "").unwrap());
    let through = Group::open(c, "").unwrap();
    assert_eq!(names(&through), ["a", "ab"]);
    let stored: serde_json::Value =
        serde_json::from_slice(&s.get("zarr.json").unwrap().unwrap()).unwrap();
    let kept: Vec<&String> = stored["consolidated_metadata"]["metadata"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(kept, ["a", "ab"]);
}

/// On the filesystem: a child that is a symbolic link to a group
/// elsewhere is listed, and erasing it removes the link, not what it
/// points to. A directory whose name no key can hold is no child.
#[cfg(unix)]
#[test]
fn linked_children_on_the_filesystem() {
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out: StoreRef = Arc::new(zarrio::FilesystemStore::new(outside.path()).unwrap());
    Group::create(out.clone(), "", Default::default()).unwrap();
    let x = Array::create(out.clone(), "x", ARRAY).unwrap();
    x.write_region(&[0], &[4], &[1, 2, 3, 4], None).unwrap();
    let store: StoreRef = Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap());
    let root = Group::create(store.clone(), "", Default::default()).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    std::fs::create_dir_all(dir.path().join("odd\\name")).unwrap();
    std::fs::write(dir.path().join("odd\\name/zarr.json"), b"{}").unwrap();
    // Links back to the directory or above it would make it endless.
    std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("root")).unwrap();
    assert_eq!(names(&root), ["link"]);
    root.consolidate_metadata().unwrap();
    root.erase_child("link").unwrap();
    assert!(!dir.path().join("link").exists());
    assert!(outside.path().join("x/zarr.json").exists());
    assert!(outside.path().join("x/c/1").exists());
    assert!(names(&root).is_empty());
}
