//! Groups: nodes that hold attributes and children.

use crate::consolidated::{v2_consolidated, v3_consolidated};
use crate::error::{not_found, Result};
use crate::metadata::{parse_object, splice, v2, ArrayMetadata, Attributes, GroupMetadata};
use crate::node::{
    create_parent_groups, erase_node, metadata_key, missing_parent_groups, node_metadata_keys,
    node_prefix, normalize_path, update_metadata,
};
use crate::store::{join_key, StoreRef};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::{Mutex, RwLock};

/// What kind of node a child is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeType {
    Array,
    Group,
}

impl NodeType {
    pub fn as_str(&self) -> &'static str {
        match self {
            NodeType::Array => "array",
            NodeType::Group => "group",
        }
    }
}

#[derive(Debug)]
pub struct Group {
    store: StoreRef,
    path: String,
    meta: RwLock<GroupMetadata>,
    /// Held by `set_attributes` while it writes `zarr.json` (see
    /// `Array::set_attributes`).
    writer: Mutex<()>,
    /// A Zarr v2 group (`.zgroup`; its attributes are in `.zattrs`).
    v2: bool,
}

impl Group {
    /// Create a group (replacing the metadata of any node at `path`, v3 or
    /// v2; the node's children are kept); ancestors that are not nodes
    /// become groups, as zarr-python makes them.
    pub fn create(store: StoreRef, path: &str, attributes: Map<String, Value>) -> Result<Group> {
        Group::create_with(store, path, Attributes::from_map(attributes))
    }

    /// `create` with attributes given as text (`Attributes::parse`), which
    /// are stored as they are given.
    pub fn create_with(store: StoreRef, path: &str, attributes: Attributes) -> Result<Group> {
        let path = normalize_path(path)?;
        let meta = GroupMetadata {
            attributes,
            extra: Map::new(),
        };
        let text = meta.to_string_pretty();
        // What is written must open again (attributes given as text may be
        // too deep once inside the document).
        GroupMetadata::parse(text.as_bytes())
            .map_err(|e| e.context(format!("group \"{path}\"")))?;
        let parents = missing_parent_groups(store.as_ref(), &path)?;
        store.set(&metadata_key(&path), text.as_bytes())?;
        // A v2 node's metadata goes after the new zarr.json is there (which
        // readers take first), so that a failed write leaves the old node
        // whole, and no reader of either format finds its metadata.
        // (Only those present: a store without erase can still make groups.)
        for key in &node_metadata_keys(&path)[1..] {
            if store.size(key)?.is_some() {
                store.erase(key)?;
            }
        }
        create_parent_groups(store.as_ref(), &parents, false)?;
        Ok(Group {
            store,
            path,
            meta: RwLock::new(meta),
            writer: Mutex::new(()),
            v2: false,
        })
    }

    /// Open the group at `path`: its `zarr.json`, or else a Zarr v2
    /// group's `.zgroup` (and `.zattrs`).
    pub fn open(store: StoreRef, path: &str) -> Result<Group> {
        let path = normalize_path(path)?;
        let (meta, v2) = match store.get(&metadata_key(&path))? {
            Some(text) => (GroupMetadata::parse(&text), false),
            None => {
                let Some(zgroup) = store.get(&join_key(&path, ".zgroup"))? else {
                    if store.size(&join_key(&path, ".zarray"))?.is_some() {
                        return Err(crate::error::invalid_metadata(format!(
                            "\"{path}\" is a Zarr v2 array (.zarray), not a group"
                        )));
                    }
                    return Err(not_found(format!(
                        "no zarr.json (nor v2 .zgroup) at \"{path}\""
                    )));
                };
                let zattrs = store.get(&join_key(&path, ".zattrs"))?;
                let meta = v2::check_zgroup(&zgroup).and_then(|_| {
                    Ok(GroupMetadata {
                        attributes: v2::parse_zattrs(zattrs.as_deref())?,
                        extra: Map::new(),
                    })
                });
                (meta, true)
            }
        };
        let meta = meta.map_err(|e| e.context(format!("group \"{path}\"")))?;
        Ok(Group {
            store,
            path,
            meta: RwLock::new(meta),
            writer: Mutex::new(()),
            v2,
        })
    }

    /// Whether this is a Zarr v2 group.
    pub fn is_v2(&self) -> bool {
        self.v2
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn attributes(&self) -> Map<String, Value> {
        self.meta_read().attributes.map().clone()
    }

    /// The attributes as JSON object text (see `Array::attributes_json`).
    pub fn attributes_json(&self) -> String {
        self.meta_read().attributes.json()
    }

    fn meta_read(&self) -> std::sync::RwLockReadGuard<'_, GroupMetadata> {
        self.meta.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the attributes in the stored `zarr.json` (the rest of it
    /// as stored); a v2 group's `.zattrs`.
    pub fn set_attributes(&self, attributes: Map<String, Value>) -> Result<()> {
        self.store_attributes(Attributes::from_map(attributes))
    }

    /// `set_attributes` from JSON object text, stored as it is given
    /// (integers of any size, lone surrogate escapes, Python's bare `NaN`
    /// and `Infinity`).
    pub fn set_attributes_json(&self, text: &str) -> Result<()> {
        self.store_attributes(Attributes::parse(text.as_bytes(), "attributes")?)
    }

    fn store_attributes(&self, attributes: Attributes) -> Result<()> {
        let text = attributes.text().into_owned();
        if self.v2 {
            let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            self.store
                .set(&join_key(&self.path, ".zattrs"), text.as_bytes())?;
            self.meta
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .attributes = attributes;
            return Ok(());
        }
        self.update("attributes", &text)
    }

    /// The direct children that are nodes (have a `zarr.json`, or a v2
    /// `.zarray` or `.zgroup` and no `zarr.json`), sorted by name.
    pub fn children(&self) -> Result<Vec<(String, NodeType)>> {
        let prefix = node_prefix(&self.path);
        let keys = self.store.list_child_metadata(&prefix)?;
        let mut out = Vec::new();
        let mut v3_names = std::collections::BTreeSet::new();
        let mut v2_nodes = Vec::new();
        for key in &keys {
            let rest = &key[prefix.len()..];
            match rest.split_once('/') {
                Some((name, "zarr.json")) => {
                    v3_names.insert(name);
                }
                Some((name, ".zarray")) => v2_nodes.push((name, NodeType::Array)),
                Some((name, ".zgroup")) => v2_nodes.push((name, NodeType::Group)),
                _ => {}
            }
        }
        // A name with both `.zarray` and `.zgroup` is listed once, as the
        // array it opens as.
        v2_nodes.sort();
        v2_nodes.dedup_by_key(|(name, _)| *name);
        for (name, node_type) in v2_nodes {
            if !v3_names.contains(name) {
                out.push((name.to_string(), node_type));
            }
        }
        for key in &keys {
            let rest = &key[prefix.len()..];
            let Some((name, "zarr.json")) = rest.split_once('/') else {
                continue;
            };
            let Some(text) = self.store.get(key)? else {
                continue;
            };
            let node_type = crate::metadata::parse_json(&text).ok().and_then(|v| {
                v.get("node_type")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            match node_type.as_deref() {
                Some("array") => out.push((name.to_string(), NodeType::Array)),
                Some("group") => out.push((name.to_string(), NodeType::Group)),
                _ => {}
            }
        }
        out.sort();
        Ok(out)
    }

    /// Erase the child node `name` (a path relative to this group; an
    /// array or a group, v3 or v2) with everything below it, as
    /// zarr-python's `del group[name]`. Needs a store that can list; a
    /// "not found" error, erasing nothing, when there is no such node.
    /// Handles open on the erased nodes must not be used afterwards.
    pub fn erase_child(&self, name: &str) -> Result<()> {
        let name = normalize_path(name)?;
        if name.is_empty() {
            return Err(crate::error::invalid_argument(
                "a child's name must not be empty",
            ));
        }
        let path = join_key(&self.path, &name);
        if !erase_node(self.store.as_ref(), &path)? {
            return Err(not_found(format!("no node at \"{path}\"")));
        }
        self.forget_consolidated(&name).map_err(|e| {
            e.context(format!(
                "\"{path}\" is erased, but the group's consolidated metadata still lists it"
            ))
        })
    }

    /// Drop the node `name` and those below it from this group's
    /// consolidated metadata (v3 `consolidated_metadata`, v2
    /// `.zmetadata`), as zarr-python does when it deletes a member, so
    /// readers of it no longer find the erased node.
    fn forget_consolidated(&self, name: &str) -> Result<()> {
        // By UTF-16 units: a key with a lone surrogate, which reads as
        // U+FFFD, is another node than one named with U+FFFD itself.
        let name_units: Vec<u16> = name.encode_utf16().collect();
        let below: Vec<u16> = format!("{name}/").encode_utf16().collect();
        let gone = |m: &splice::Member| m.units == name_units || m.units.starts_with(&below);
        // `doc` (an object with a `metadata` object) without the members
        // for the erased child, other members as they are written; None
        // when it has none of them.
        let forget = |doc: &[u8]| -> Result<Option<String>> {
            let Some(metadata) = splice::get_member(doc, "metadata")? else {
                return Ok(None);
            };
            let members = splice::members(metadata)?;
            if !members.iter().any(gone) {
                return Ok(None);
            }
            let kept = members.iter().filter(|m| !gone(m));
            let utf8 = |v: Vec<u8>| {
                String::from_utf8(v).map_err(|_| {
                    crate::error::invalid_metadata("consolidated metadata is not UTF-8")
                })
            };
            let object = utf8(splice::object_of(kept.map(|m| (m.key_text, m.value))))?;
            utf8(splice::set_member(doc, "metadata", &object)?).map(Some)
        };
        if self.v2 {
            let key = join_key(&self.path, ".zmetadata");
            let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let Some(text) = self.store.get(&key)? else {
                return Ok(());
            };
            crate::metadata::parse_object(&text, &key)?;
            if let Some(changed) = forget(&text).map_err(|e| e.context(&key))? {
                self.store.set(&key, changed.as_bytes())?;
            }
            return Ok(());
        }
        let stored = crate::node::read_metadata(self.store.as_ref(), &self.path)?;
        let parsed = crate::metadata::parse_object(&stored, "zarr.json")?;
        if parsed
            .get("consolidated_metadata")
            .is_none_or(|c| !c.is_object())
        {
            return Ok(());
        }
        let Some(consolidated) = splice::get_member(&stored, "consolidated_metadata")? else {
            return Ok(());
        };
        if let Some(changed) = forget(consolidated)? {
            self.update("consolidated_metadata", &changed)?;
        }
        Ok(())
    }

    /// Gather the metadata of every Zarr v3 node below this group into
    /// the group's `zarr.json` as consolidated metadata (zarr-python's
    /// inline form, replacing any earlier), so that a reader opens the
    /// whole hierarchy with one request (`ConsolidatedStore`); v2 nodes
    /// below are left out. For a v2 group, the v2 metadata files of the
    /// group and of the nodes found from it through v2 groups go into its
    /// `.zmetadata` (`collect_v2_files`), as zarr-python writes it. A node
    /// taken whose metadata is not valid fails the call, and nothing is
    /// written. Nodes created
    /// or changed later are not seen by readers of the consolidated
    /// metadata until this runs again.
    pub fn consolidate_metadata(&self) -> Result<()> {
        if self.v2 {
            let files = self.collect_v2_files()?;
            let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            return self.store.set(
                &join_key(&self.path, ".zmetadata"),
                v2_consolidated(&files)?.as_bytes(),
            );
        }
        let members = self.collect_members()?;
        self.update("consolidated_metadata", &v3_consolidated(&members)?)
    }

    /// The v2 metadata files of this group and of the v2 nodes below it
    /// that are found from it through v2 groups (as zarr-python gathers
    /// them: not nodes under an array, a v3 group or a directory that is
    /// no node), keyed relative to it, each checked as the document it is
    /// (an array whose codecs zarrio lacks is copied all the same).
    fn collect_v2_files(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        let prefix = node_prefix(&self.path);
        // (directory relative to the group, file name) of each file.
        let mut files = BTreeMap::new();
        for key in self.store.list_metadata(&prefix)? {
            let rel = &key[prefix.len()..];
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            let name = match name {
                ".zarray" => ".zarray",
                ".zgroup" => ".zgroup",
                ".zattrs" => ".zattrs",
                _ => continue,
            };
            files.insert((dir.to_string(), name), key.clone());
        }
        let mut groups = std::collections::BTreeSet::from([String::new()]);
        let mut out = BTreeMap::new();
        // Directories sort before those below them.
        let dirs: std::collections::BTreeSet<&String> = files.keys().map(|(d, _)| d).collect();
        for dir in dirs {
            let parent = dir.rsplit_once('/').map_or("", |(p, _)| p);
            let is_group = files.contains_key(&(dir.clone(), ".zgroup"));
            let is_array = !is_group && files.contains_key(&(dir.clone(), ".zarray"));
            if !dir.is_empty() && !(groups.contains(parent) && (is_group || is_array)) {
                continue;
            }
            if dir.is_empty() || is_group {
                groups.insert(dir.clone());
            }
            let names: &[&str] = if is_array {
                &[".zarray", ".zattrs"]
            } else {
                &[".zgroup", ".zattrs"]
            };
            for name in names {
                let Some(key) = files.get(&(dir.clone(), *name)) else {
                    continue;
                };
                let Some(text) = self.store.get(key)? else {
                    continue; // erased since it was listed
                };
                let checked = match *name {
                    ".zgroup" => v2::check_zgroup(&text),
                    ".zattrs" => v2::parse_zattrs(Some(&text)).map(|_| ()),
                    _ => lacking_is_no_error(v2::array_from_zarray(&text, None)),
                };
                checked.map_err(|e| e.context(format!("\"{key}\"")))?;
                out.insert(key[prefix.len()..].to_string(), text);
            }
        }
        Ok(out)
    }

    /// Rewrite the stored `zarr.json` with `member` set to `value` (JSON
    /// text; the rest as stored, what other handles wrote included), and
    /// take it as this handle's metadata.
    fn update(&self, member: &str, value: &str) -> Result<()> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let m = update_metadata(
            self.store.as_ref(),
            &self.path,
            member,
            value,
            GroupMetadata::parse,
        )?;
        *self.meta.write().unwrap_or_else(|e| e.into_inner()) = m;
        Ok(())
    }

    /// The stored `zarr.json` of every v3 node below this group, keyed by
    /// its path relative to the group, with whether it is a group: from
    /// one listing of the group's keys, taking a node only when every
    /// node between it and this group is a group (paths sort parents
    /// first). Every `zarr.json` taken must be a valid array or group:
    /// `children` passes over documents it cannot read, but consolidated
    /// metadata that left one out would hide a node.
    fn collect_members(&self) -> Result<BTreeMap<String, (Vec<u8>, bool)>> {
        let prefix = node_prefix(&self.path);
        let mut out: BTreeMap<String, (Vec<u8>, bool)> = BTreeMap::new();
        let keys = self.store.list_metadata(&prefix)?;
        // Node paths, sorted: a parent before its children (not so the
        // keys: "a/b/zarr.json" sorts before "a/zarr.json").
        let rels: std::collections::BTreeSet<&str> = keys
            .iter()
            .filter_map(|key| key[prefix.len()..].strip_suffix("/zarr.json"))
            .collect();
        for rel in rels {
            let key = metadata_key(&join_key(&self.path, rel));
            let parent_is_group = match rel.rsplit_once('/') {
                None => true,
                Some((parent, _)) => out.get(parent).is_some_and(|(_, group)| *group),
            };
            if !parent_is_group {
                continue;
            }
            let Some(text) = self.store.get(&key)? else {
                continue; // erased since it was listed
            };
            let what = format!("node \"{}\"", join_key(&self.path, rel));
            let doc = parse_object(&text, &what)?;
            let is_group = match doc.get("node_type").and_then(Value::as_str) {
                Some("array") => {
                    // Strict: an array read only in part (a data type,
                    // grid or codec zarrio lacks stops the parse before
                    // the rest is checked) is not copied.
                    ArrayMetadata::parse(&text).map_err(|e| e.context(&what))?;
                    false
                }
                Some("group") => {
                    GroupMetadata::parse(&text).map_err(|e| e.context(&what))?;
                    true
                }
                _ => {
                    return Err(crate::error::invalid_metadata(format!(
                        "{what}: zarr.json has no node_type \"array\" or \"group\""
                    )))
                }
            };
            out.insert(rel.to_string(), (text, is_group));
        }
        Ok(out)
    }
}

/// A v2 array's `.zarray` checked for consolidation: its text is copied
/// as it is, so compressors and filters zarrio lacks are no error.
fn lacking_is_no_error<T>(checked: Result<T>) -> Result<()> {
    match checked {
        Err(e) if e.kind() != crate::error::ErrorKind::Unsupported => Err(e),
        _ => Ok(()),
    }
}
