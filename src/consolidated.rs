//! Consolidated metadata: a group's document that holds the metadata of
//! every node below it, so a reader opens a whole hierarchy with one
//! request and finds children on stores that cannot list (HTTP, object
//! stores behind a host's callbacks).
//!
//! Two forms are read: zarr-python's v3 form, inline in the group's
//! `zarr.json` (`"consolidated_metadata": {"kind": "inline",
//! "must_understand": false, "metadata": {"a": {...}, "a/b": {...}}}`),
//! and Zarr v2's `.zmetadata` (`{"zarr_consolidated_format": 1,
//! "metadata": {".zgroup": {...}, "a/.zarray": {...}, ...}}`).
//! `Group::consolidate_metadata` writes the v3 form.

use crate::error::{invalid_metadata, not_found, unsupported, Result};
use crate::metadata::splice::{self, get_member};
use crate::metadata::{check_format_and_type, parse_object};
use crate::node::{metadata_key, node_prefix, normalize_path, METADATA_NAMES};
use crate::store::memory::SharedValue;
use crate::store::{join_key, slice_range, ByteRange, Store, StoreRef, ValueReader};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The v2 consolidated document's key, beside the group's `.zgroup`.
const ZMETADATA: &str = ".zmetadata";

/// A store that answers every request for node metadata at or below one
/// group from that group's consolidated metadata, read once when it is
/// opened, and passes every other request to the store it wraps. Inside
/// the group the consolidated metadata is the whole truth: a node it does
/// not name is absent, whatever the wrapped store holds, and listing the
/// group's children asks the wrapped store nothing.
///
/// Chunks are read and written through it as through the wrapped store,
/// so arrays opened on it can be written. Node metadata cannot: creating a
/// node, replacing attributes or erasing metadata at or below the group
/// returns an "unsupported" error and changes nothing, since the
/// consolidated document would no longer say what is stored (reopen on
/// the wrapped store to change metadata, then consolidate again).
#[derive(Debug)]
pub struct ConsolidatedStore {
    inner: StoreRef,
    /// The consolidated group's node path.
    path: String,
    /// Every metadata document at or below the group, by store key.
    metadata: BTreeMap<String, Arc<Vec<u8>>>,
}

impl ConsolidatedStore {
    /// Read the consolidated metadata of the group at `path` in `inner`:
    /// the group's `zarr.json` when it has some, or else a v2 `.zmetadata`.
    /// A "not found" error when the group has none (open `inner` itself
    /// then), "invalid metadata" when the document is malformed.
    pub fn open(inner: StoreRef, path: &str) -> Result<ConsolidatedStore> {
        let path = normalize_path(path)?;
        let mut metadata = BTreeMap::new();
        match inner.get(&metadata_key(&path))? {
            Some(text) => {
                read_v3(&path, &text, &mut metadata)
                    .map_err(|e| e.context(format!("group \"{path}\"")))?;
                metadata.insert(metadata_key(&path), Arc::new(text));
            }
            None => {
                let key = join_key(&path, ZMETADATA);
                let text = inner.get(&key)?.ok_or_else(|| {
                    not_found(format!(
                        "no group with consolidated metadata at \"{path}\" \
                         (neither zarr.json nor v2 {ZMETADATA})"
                    ))
                })?;
                read_v2(&path, &text, &mut metadata).map_err(|e| e.context(&key))?;
            }
        }
        Ok(ConsolidatedStore {
            inner,
            path,
            metadata,
        })
    }

    /// The store this one wraps.
    pub fn inner(&self) -> &StoreRef {
        &self.inner
    }

    /// Whether `key` is node metadata at or below the group, which this
    /// store answers from the consolidated document alone.
    fn governs(&self, key: &str) -> bool {
        let name = key.rsplit('/').next().unwrap_or(key);
        METADATA_NAMES.contains(&name) && key.starts_with(&node_prefix(&self.path))
    }

    /// Whether `key` and `value` are an array's metadata at an ancestor of
    /// the group (whether or not a node is there yet): the group would be
    /// below an array, which the hierarchy does not allow.
    fn array_above(&self, key: &str, value: &[u8]) -> bool {
        let (dir, name) = key.rsplit_once('/').unwrap_or(("", key));
        let array = match name {
            ".zarray" => true,
            "zarr.json" => matches!(get_member(value, "node_type"), Ok(Some(b"\"array\""))),
            _ => false,
        };
        array && dir != self.path && node_prefix(&self.path).starts_with(&node_prefix(dir))
    }

    /// Whether keys under `prefix` may include keys this store governs.
    fn overlaps(&self, prefix: &str) -> bool {
        let own = node_prefix(&self.path);
        prefix.starts_with(&own) || own.starts_with(prefix)
    }

    fn document(&self, key: &str) -> Option<&Arc<Vec<u8>>> {
        self.metadata.get(key)
    }

    fn refuse(&self, key: &str) -> crate::error::Error {
        unsupported(format!(
            "{key}: node metadata at or below \"{}\" is read from its consolidated metadata \
             and cannot be written through it (write through the wrapped store, then \
             consolidate again)",
            self.path
        ))
    }
}

/// The v3 form: `consolidated_metadata` in the group's `zarr.json`.
fn read_v3(path: &str, text: &[u8], out: &mut BTreeMap<String, Arc<Vec<u8>>>) -> Result<()> {
    let group = parse_object(text, "zarr.json")?;
    check_format_and_type(&group, "group")?;
    match group.get("consolidated_metadata") {
        None | Some(Value::Null) => Err(not_found(
            "the group's zarr.json has no consolidated metadata",
        )),
        Some(cm) => add_v3_members(path, cm, member_text(text, "consolidated_metadata")?, out),
    }
}

/// The text of the member `key` of the object `text`, which has it.
fn member_text<'a>(text: &'a [u8], key: &str) -> Result<&'a [u8]> {
    get_member(text, key)?
        .ok_or_else(|| invalid_metadata(format!("\"{key}\" is missing from the document text")))
}

/// Add the members of one `consolidated_metadata` object (`cm`, parsed
/// from `cm_text`), whose keys are paths relative to the group at `base`.
/// Groups among them may hold their own members nested (the flat form is
/// what zarr-python writes; it reads both). Each member's document is
/// served as it is written (Python's `NaN` tokens and long integers).
fn add_v3_members(
    base: &str,
    cm: &Value,
    cm_text: &[u8],
    out: &mut BTreeMap<String, Arc<Vec<u8>>>,
) -> Result<()> {
    let cm = cm
        .as_object()
        .ok_or_else(|| invalid_metadata("consolidated_metadata must be an object"))?;
    match cm.get("kind").and_then(Value::as_str) {
        Some("inline") => {}
        Some(kind) => {
            return Err(unsupported(format!(
                "consolidated metadata of kind \"{kind}\" is not supported (only \"inline\")"
            )))
        }
        None => return Err(invalid_metadata("consolidated_metadata has no string kind")),
    }
    let members = cm
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_metadata("consolidated_metadata has no metadata object"))?;
    let texts = splice::members(member_text(cm_text, "metadata")?)?;
    for member in texts {
        let (rel, doc_text) = (member.key(), member.value);
        let node = member_path(base, &rel)?;
        let doc = members.get(&rel).filter(|d| d.is_object()).ok_or_else(|| {
            invalid_metadata(format!(
                "consolidated metadata of \"{rel}\" is not an object"
            ))
        })?;
        if let Some(nested) = doc.get("consolidated_metadata").filter(|v| !v.is_null()) {
            let nested_text = member_text(doc_text, "consolidated_metadata")?;
            add_v3_members(&node, nested, nested_text, out)?;
        }
        out.entry(metadata_key(&node))
            .or_insert_with(|| Arc::new(doc_text.to_vec()));
    }
    Ok(())
}

/// The v2 form: `.zmetadata`, keyed by the metadata files' own keys
/// relative to the group.
fn read_v2(path: &str, text: &[u8], out: &mut BTreeMap<String, Arc<Vec<u8>>>) -> Result<()> {
    let doc = parse_object(text, "the document")?;
    match doc.get("zarr_consolidated_format") {
        Some(v) if v.as_f64() == Some(1.0) => {}
        Some(v) => {
            return Err(unsupported(format!(
                "zarr_consolidated_format {v} is not supported (expected 1)"
            )))
        }
        None => return Err(invalid_metadata("no zarr_consolidated_format")),
    }
    if !doc.get("metadata").is_some_and(Value::is_object) {
        return Err(invalid_metadata("no metadata object"));
    }
    for member in splice::members(member_text(text, "metadata")?)? {
        let (rel, value) = (member.key(), member.value);
        let (dir, name) = match rel.rsplit_once('/') {
            Some((dir, name)) => (dir, name),
            None => ("", rel.as_str()),
        };
        // zarr.json has no place in a v2 document; other names are files
        // that are not node metadata, which a v2 reader never asks for.
        if !METADATA_NAMES[1..].contains(&name) {
            continue;
        }
        let node = if dir.is_empty() {
            path.to_string()
        } else {
            member_path(path, dir)?
        };
        out.insert(join_key(&node, name), Arc::new(value.to_vec()));
    }
    Ok(())
}

/// The node path of a member named `rel` relative to the group at `base`.
fn member_path(base: &str, rel: &str) -> Result<String> {
    crate::store::validate_key(rel).map_err(|_| {
        invalid_metadata(format!(
            "consolidated metadata names an invalid path \"{rel}\""
        ))
    })?;
    Ok(join_key(base, rel))
}

/// The v3 `consolidated_metadata` object's text for a group whose members
/// are `members` (relative path -> stored `zarr.json` text, and whether
/// it is a group), as zarr-python writes it: flat, with each member
/// group's own consolidated metadata empty. The members' documents are
/// taken as stored (Python's `NaN` tokens and long integers included).
pub(crate) fn v3_consolidated(members: &BTreeMap<String, (Vec<u8>, bool)>) -> Result<String> {
    let empty = empty_inline().to_string();
    let mut out = String::from(r#"{"kind": "inline", "must_understand": false, "metadata": {"#);
    for (n, (rel, (text, is_group))) in members.iter().enumerate() {
        let doc = if *is_group {
            crate::metadata::splice::set_member(text, "consolidated_metadata", &empty)?
        } else {
            text.clone()
        };
        let doc = String::from_utf8(doc)
            .map_err(|_| invalid_metadata(format!("the zarr.json of \"{rel}\" is not UTF-8")))?;
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(&Value::String(rel.clone()).to_string());
        out.push_str(": ");
        out.push_str(doc.trim());
    }
    out.push_str("}}");
    Ok(out)
}

/// The v2 `.zmetadata` text for a group whose metadata files below it
/// (relative key -> stored text: `.zgroup`, `.zattrs`, `.zarray`, the
/// group's own included) are `files`, as zarr-python writes it. The
/// documents are taken as stored.
pub(crate) fn v2_consolidated(files: &BTreeMap<String, Vec<u8>>) -> Result<String> {
    let mut out = String::from("{\n  \"metadata\": {");
    for (n, (rel, text)) in files.iter().enumerate() {
        let doc = std::str::from_utf8(text)
            .map_err(|_| invalid_metadata(format!("\"{rel}\" is not UTF-8")))?;
        if n > 0 {
            out.push(',');
        }
        out.push_str("\n    ");
        out.push_str(&Value::String(rel.clone()).to_string());
        out.push_str(": ");
        out.push_str(doc.trim());
    }
    out.push_str("\n  },\n  \"zarr_consolidated_format\": 1\n}");
    Ok(out)
}

fn empty_inline() -> Value {
    serde_json::json!({"kind": "inline", "must_understand": false, "metadata": {}})
}

impl Store for ConsolidatedStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if !self.governs(key) {
            return self.inner.get(key);
        }
        self.document(key)
            .map(|v| crate::alloc::copied(v))
            .transpose()
    }

    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        if !self.governs(key) {
            return self.inner.get_range(key, range);
        }
        self.document(key)
            .map(|v| slice_range(v, &range))
            .transpose()
    }

    fn get_into(&self, key: &str, out: &mut [u8]) -> Result<Option<bool>> {
        if !self.governs(key) {
            return self.inner.get_into(key, out);
        }
        Ok(self.document(key).map(|v| {
            let fits = v.len() == out.len();
            if fits {
                out.copy_from_slice(v);
            }
            fits
        }))
    }

    fn value_reader(&self, key: &str) -> Result<Option<Box<dyn ValueReader + '_>>> {
        if !self.governs(key) {
            return self.inner.value_reader(key);
        }
        Ok(self
            .document(key)
            .map(|v| Box::new(SharedValue::new(v.clone(), key)) as Box<dyn ValueReader>))
    }

    fn supports_value_reader(&self) -> bool {
        self.inner.supports_value_reader()
    }

    fn get_reusing(&self, key: &str, buf: &mut Vec<u8>) -> Result<bool> {
        if !self.governs(key) {
            return self.inner.get_reusing(key, buf);
        }
        match self.document(key) {
            Some(v) => {
                buf.clear();
                crate::alloc::append(buf, v)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn get_in_pieces(
        &self,
        key: &str,
        total: usize,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Option<bool>> {
        if !self.governs(key) {
            return self.inner.get_in_pieces(key, total, sink);
        }
        crate::store::hand_over_whole(self.document(key).map(|v| v.as_slice()), total, sink)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        if self.governs(key) {
            return Err(self.refuse(key));
        }
        self.inner.set(key, value)
    }

    fn set_parts(&self, key: &str, parts: &[&[u8]]) -> Result<()> {
        if self.governs(key) {
            return Err(self.refuse(key));
        }
        self.inner.set_parts(key, parts)
    }

    fn min_part_len(&self) -> Option<usize> {
        self.inner.min_part_len()
    }

    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        if self.governs(key) {
            return Err(self.refuse(key));
        }
        self.inner.set_if_absent(key, value)
    }

    fn supports_set_if_absent(&self) -> bool {
        self.inner.supports_set_if_absent()
    }

    fn storage_id(&self) -> usize {
        self.inner.storage_id()
    }

    fn check_metadata(&self, key: &str, value: &[u8]) -> Result<()> {
        if self.governs(key) {
            return Err(self.refuse(key));
        }
        if self.array_above(key, value) {
            return Err(unsupported(format!(
                "{key}: an array at an ancestor of the consolidated group \"{}\" would hold \
                 the group below it (create it through the wrapped store)",
                self.path
            )));
        }
        self.inner.check_metadata(key, value)
    }

    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        if self.governs(key) {
            return Err(self.refuse(key));
        }
        self.inner.set_range(key, offset, bytes)
    }

    fn supports_set_range(&self) -> bool {
        self.inner.supports_set_range()
    }

    fn erase(&self, key: &str) -> Result<()> {
        if self.governs(key) {
            return Err(self.refuse(key));
        }
        self.inner.erase(key)
    }

    fn serves_ranges(&self) -> bool {
        self.inner.serves_ranges()
    }

    fn unlink_node(&self, path: &str) -> Result<bool> {
        let prefix = node_prefix(path);
        if self.overlaps(&prefix) {
            return Err(self.refuse(&prefix));
        }
        self.inner.unlink_node(path)
    }

    fn erase_prefix(&self, prefix: &str) -> Result<()> {
        if self.overlaps(prefix) {
            return Err(self.refuse(prefix));
        }
        self.inner.erase_prefix(prefix)
    }

    /// What the wrapped store holds outside the group. Listing finds
    /// values to erase (an old node's chunks when a node is created over
    /// it), and nothing at or below the group may be erased through this
    /// store: a node created at an ancestor of the group would otherwise
    /// erase the group's chunks before its metadata refused.
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        if self.overlaps(prefix) {
            return Err(self.refuse(prefix));
        }
        self.inner.list(prefix)
    }

    fn close(&self) -> Result<()> {
        self.inner.close()
    }

    fn list_metadata(&self, prefix: &str) -> Result<Vec<String>> {
        let own = node_prefix(&self.path);
        let mut keys: Vec<String> = if prefix.starts_with(&own) {
            Vec::new()
        } else {
            let mut outside = self.inner.list_metadata(prefix)?;
            outside.retain(|k| !self.governs(k));
            outside
        };
        keys.extend(
            self.metadata
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, _)| k.clone()),
        );
        keys.sort();
        Ok(keys)
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        if !self.governs(key) {
            return self.inner.size(key);
        }
        Ok(self.document(key).map(|v| v.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::store::MemoryStore;

    fn v3_store() -> StoreRef {
        let s = MemoryStore::new();
        s.set(
            "zarr.json",
            br#"{"zarr_format":3,"node_type":"group","attributes":{"t":1},
                "consolidated_metadata":{"kind":"inline","must_understand":false,"metadata":{
                  "a":{"zarr_format":3,"node_type":"array","shape":[4],"data_type":"int32",
                       "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},
                       "chunk_key_encoding":{"name":"default"},"fill_value":7,
                       "codecs":[{"name":"bytes","configuration":{"endian":"little"}}]},
                  "g":{"zarr_format":3,"node_type":"group","consolidated_metadata":
                       {"kind":"inline","must_understand":false,"metadata":{
                         "h":{"zarr_format":3,"node_type":"group"}}}}}}}"#,
        )
        .unwrap();
        // On disk but not consolidated: invisible through the wrapper.
        s.set(
            "late/zarr.json",
            br#"{"zarr_format":3,"node_type":"group"}"#,
        )
        .unwrap();
        s.set("a/c/0", &[1, 0, 0, 0, 2, 0, 0, 0]).unwrap();
        Arc::new(s)
    }

    #[test]
    fn v3_members_flat_and_nested() {
        let c = ConsolidatedStore::open(v3_store(), "").unwrap();
        assert!(c.get("a/zarr.json").unwrap().is_some());
        assert!(c.get("g/zarr.json").unwrap().is_some());
        assert!(c.get("g/h/zarr.json").unwrap().is_some());
        assert_eq!(c.get("late/zarr.json").unwrap(), None);
        assert_eq!(c.get("a/.zarray").unwrap(), None);
        assert_eq!(c.get("a/c/0").unwrap().unwrap().len(), 8);
        assert_eq!(
            c.list_metadata("").unwrap(),
            ["a/zarr.json", "g/h/zarr.json", "g/zarr.json", "zarr.json"]
        );
        assert_eq!(
            c.list_metadata("g/").unwrap(),
            ["g/h/zarr.json", "g/zarr.json"]
        );
        // Chunks go through; metadata does not.
        c.set("a/c/1", &[0; 8]).unwrap();
        assert!(c.inner().get("a/c/1").unwrap().is_some());
        for key in ["a/zarr.json", "new/zarr.json", "a/.zattrs"] {
            assert_eq!(
                c.set(key, b"{}").unwrap_err().kind(),
                ErrorKind::Unsupported
            );
            assert_eq!(c.erase(key).unwrap_err().kind(), ErrorKind::Unsupported);
        }
        assert_eq!(
            c.erase_prefix("a/").unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        for prefix in ["", "a/", "g/h/"] {
            assert_eq!(c.list(prefix).unwrap_err().kind(), ErrorKind::Unsupported);
        }
        assert!(c.inner().get("a/zarr.json").unwrap().is_none());
        assert!(c.inner().get("zarr.json").unwrap().is_some());
    }

    #[test]
    fn below_the_root_only_the_group_is_governed() {
        let s = MemoryStore::new();
        s.set("p/zarr.json", br#"{"zarr_format":3,"node_type":"group","consolidated_metadata":{"kind":"inline","must_understand":false,"metadata":{"x":{"zarr_format":3,"node_type":"group"}}}}"#).unwrap();
        s.set("zarr.json", br#"{"zarr_format":3,"node_type":"group"}"#)
            .unwrap();
        s.set("q/zarr.json", br#"{"zarr_format":3,"node_type":"group"}"#)
            .unwrap();
        let c = ConsolidatedStore::open(Arc::new(s), "/p/").unwrap();
        assert!(c.get("zarr.json").unwrap().is_some());
        assert!(c.get("p/x/zarr.json").unwrap().is_some());
        c.set("q/zarr.json", b"{}").unwrap();
        assert_eq!(c.list("q/").unwrap(), ["q/zarr.json"]);
        assert!(c.list("").is_err(), "the root's listing holds the group");
        assert_eq!(
            c.list_metadata("").unwrap(),
            ["p/x/zarr.json", "p/zarr.json", "q/zarr.json", "zarr.json"]
        );
    }

    #[test]
    fn v2_zmetadata() {
        let s = MemoryStore::new();
        s.set(".zgroup", br#"{"zarr_format":2}"#).unwrap();
        s.set(
            ".zmetadata",
            br#"{"zarr_consolidated_format":1,"metadata":{".zgroup":{"zarr_format":2},
                ".zattrs":{"t":1},"a/.zarray":{"zarr_format":2},"a/.zattrs":{},
                "g/.zgroup":{"zarr_format":2},"g/other":{}}}"#,
        )
        .unwrap();
        let c = ConsolidatedStore::open(Arc::new(s), "").unwrap();
        assert_eq!(c.get(".zattrs").unwrap().unwrap(), br#"{"t":1}"#);
        assert!(c.get("a/.zarray").unwrap().is_some());
        assert_eq!(c.get("a/zarr.json").unwrap(), None);
        assert!(c.get(".zmetadata").unwrap().is_some());
        assert_eq!(
            c.list_metadata("").unwrap(),
            [".zattrs", ".zgroup", "a/.zarray", "a/.zattrs", "g/.zgroup"]
        );
    }

    #[test]
    fn errors() {
        let open = |docs: &[(&str, &str)]| {
            let s = MemoryStore::new();
            for (k, v) in docs {
                s.set(k, v.as_bytes()).unwrap();
            }
            ConsolidatedStore::open(Arc::new(s), "")
                .map(|_| ())
                .unwrap_err()
                .kind()
        };
        let group = r#"{"zarr_format":3,"node_type":"group"}"#;
        assert_eq!(open(&[]), ErrorKind::NotFound);
        assert_eq!(open(&[("zarr.json", group)]), ErrorKind::NotFound);
        assert_eq!(
            open(&[("zarr.json", r#"{"zarr_format":3,"node_type":"array"}"#)]),
            ErrorKind::InvalidMetadata
        );
        let cm = |c: &str| {
            format!(r#"{{"zarr_format":3,"node_type":"group","consolidated_metadata":{c}}}"#)
        };
        for (c, kind) in [
            ("1", ErrorKind::InvalidMetadata),
            (
                r#"{"kind":"file","must_understand":false,"metadata":{}}"#,
                ErrorKind::Unsupported,
            ),
            (
                r#"{"must_understand":false,"metadata":{}}"#,
                ErrorKind::InvalidMetadata,
            ),
            (
                r#"{"kind":"inline","must_understand":false}"#,
                ErrorKind::InvalidMetadata,
            ),
            (
                r#"{"kind":"inline","must_understand":false,"metadata":{"a":1}}"#,
                ErrorKind::InvalidMetadata,
            ),
            (
                r#"{"kind":"inline","must_understand":false,"metadata":{"../a":{}}}"#,
                ErrorKind::InvalidMetadata,
            ),
        ] {
            assert_eq!(open(&[("zarr.json", &cm(c))]), kind, "{c}");
        }
        for (z, kind) in [
            ("{", ErrorKind::InvalidMetadata),
            (r#"{"metadata":{}}"#, ErrorKind::InvalidMetadata),
            (
                r#"{"zarr_consolidated_format":2,"metadata":{}}"#,
                ErrorKind::Unsupported,
            ),
            (
                r#"{"zarr_consolidated_format":1}"#,
                ErrorKind::InvalidMetadata,
            ),
            (
                r#"{"zarr_consolidated_format":1,"metadata":{"a//.zarray":{}}}"#,
                ErrorKind::InvalidMetadata,
            ),
        ] {
            assert_eq!(open(&[(".zmetadata", z)]), kind, "{z}");
        }
    }
}
