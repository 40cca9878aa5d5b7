//! An N5 node's `attributes.json` as the `zarr.json` of the same node, and
//! back (zarr-extensions' `n5_default`, "N5 Default Store").
//!
//! A dataset (`dimensions`, `blockSize`, `dataType`, `compression`) is an
//! array of the same shape and dimension order, chunked by the block
//! size, with fill value 0 (N5 has none; its readers take 0), `v2` chunk
//! keys joined by `/` (N5's block paths), and one `n5_default` codec:
//! the transpose to the blocks' Fortran order, big-endian `bytes`, and
//! the Zarr codec that reads N5's compression. Any other node is a group.
//! Every other key of `attributes.json` is an attribute, N5's version
//! (`n5`) included, so writing a node back keeps what it had.

use super::{is_strict_json, splice};
use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::{json, Map, Value};

/// The keys of a dataset's `attributes.json` that are its array metadata.
const DATASET_KEYS: &[&str] = &[
    "dimensions",
    "blockSize",
    "dataType",
    "compression",
    "compressionType",
];

/// N5's data types, which are Zarr's names too.
const DATA_TYPES: &[&str] = &[
    "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64",
];

/// The version written into a new container's root.
const N5_VERSION: &str = "4.0.0";

fn bad(what: String) -> crate::error::Error {
    invalid_metadata(format!("N5 attributes.json: {what}"))
}

fn is_dataset(attrs: &Map<String, Value>) -> bool {
    attrs.contains_key("dimensions") && attrs.contains_key("dataType")
}

fn element_size(dtype: &str) -> u64 {
    match dtype {
        "uint8" | "int8" => 1,
        "uint16" | "int16" => 2,
        "uint32" | "int32" | "float32" => 4,
        _ => 8,
    }
}

/// The Zarr codec reading blocks of N5 compression `c` (None: raw).
fn compressor(c: &Map<String, Value>, dtype: &str) -> Result<Option<Value>> {
    let int = |k: &str, default: i64| -> Result<i64> {
        match c.get(k) {
            None => Ok(default),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| bad(format!("compression \"{k}\" {v} is not an integer"))),
        }
    };
    let kind = match c.get("type") {
        Some(Value::String(t)) => t.as_str(),
        t => {
            return Err(bad(format!(
                "compression \"type\" {} is not a name",
                t.unwrap_or(&Value::Null)
            )))
        }
    };
    let flag = |k: &str| -> Result<bool> {
        match c.get(k) {
            None => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| bad(format!("compression \"{k}\" {v} is not true or false"))),
        }
    };
    Ok(Some(match kind {
        "raw" => return Ok(None),
        "gzip" => {
            // -1 is zlib's default, 6.
            let level = match int("level", -1)? {
                -1 => 6,
                l => l,
            };
            match flag("useZlib")? {
                true => json!({"name": "numcodecs.zlib", "configuration": {"level": level}}),
                false => json!({"name": "gzip", "configuration": {"level": level}}),
            }
        }
        "bzip2" => {
            json!({"name": "numcodecs.bz2", "configuration": {"level": int("blockSize", 9)?}})
        }
        "xz" => {
            json!({"name": "numcodecs.lzma", "configuration": {"format": 1, "preset": int("preset", 6)?}})
        }
        "zstd" => {
            json!({"name": "zstd", "configuration": {"level": int("level", 3)?, "checksum": false}})
        }
        "blosc" => {
            let shuffle = match int("shuffle", 1)? {
                0 => "noshuffle",
                1 => "shuffle",
                2 => "bitshuffle",
                s => return Err(bad(format!("blosc shuffle {s} is not 0, 1 or 2"))),
            };
            let cname = match c.get("cname") {
                None => "blosclz",
                Some(Value::String(n)) => n.as_str(),
                Some(v) => return Err(bad(format!("blosc \"cname\" {v} is not a name"))),
            };
            json!({"name": "blosc", "configuration": {
                "cname": cname, "clevel": int("clevel", 6)?, "shuffle": shuffle,
                "typesize": element_size(dtype), "blocksize": int("blocksize", 0)?}})
        }
        // Others (N5's lz4 frames blocks as Java's LZ4BlockOutputStream
        // does, which no Zarr codec reads) keep their name, under which no
        // codec is known: the array lists as one, and opening it says
        // which compression it has.
        other => json!({"name": format!("n5.{other}")}),
    }))
}

/// The `zarr.json` of the node whose `attributes.json` is `text`. A data
/// type or compression zarrio does not read keeps N5's name in it, so the
/// node lists as the array it is and opening it says what it holds.
pub fn zarr_json(text: &[u8]) -> Result<Vec<u8>> {
    let attrs = match super::parse_json(text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(bad("not a JSON object".into())),
        Err(e) => return Err(bad(format!("not JSON: {e}"))),
    };
    let (doc, skip) = match is_dataset(&attrs) {
        true => (dataset_json(&attrs)?, DATASET_KEYS),
        false => (implicit_group_json(), &[][..]),
    };
    // The attributes as attributes.json writes them (integers past 64
    // bits, numbers past float64 and all), not as a JSON library holds
    // them.
    let members = splice::members(text)?;
    let kept = members.iter().filter(|m| !skip.contains(&m.key().as_str()));
    let attributes = splice::object_of(kept.map(|m| (m.key_text, m.value)));
    // Parsed JSON is UTF-8 (outside strings only ASCII is allowed).
    let attributes = std::str::from_utf8(&attributes).map_err(|_| bad("not UTF-8 text".into()))?;
    splice::set_member(&doc, "attributes", attributes)
}

/// The `zarr.json` of the dataset whose parsed `attributes.json` is
/// `attrs`, without attributes (`zarr_json` adds them as written).
fn dataset_json(attrs: &Map<String, Value>) -> Result<Vec<u8>> {
    let u64s = |k: &str| -> Result<Vec<u64>> {
        attrs
            .get(k)
            .and_then(|v| serde_json::from_value::<Vec<u64>>(v.clone()).ok())
            .ok_or_else(|| bad(format!("\"{k}\" is not a list of lengths")))
    };
    let shape = u64s("dimensions")?;
    let blocks = u64s("blockSize")?;
    if blocks.len() != shape.len() || shape.is_empty() {
        return Err(bad(format!(
            "dimensions {shape:?} and blockSize {blocks:?} differ in rank or are empty"
        )));
    }
    let dtype = attrs["dataType"]
        .as_str()
        .ok_or_else(|| bad(format!("dataType {} is not a name", attrs["dataType"])))?;
    let compression = match (attrs.get("compression"), attrs.get("compressionType")) {
        (Some(Value::Object(c)), _) => c.clone(),
        (None, Some(Value::String(t))) => {
            // N5 before 1.0: the type alone, with its defaults.
            let mut c = Map::new();
            c.insert("type".into(), Value::String(t.clone()));
            c
        }
        // No compression: raw, as N5's readers take it.
        (None, None) => {
            let mut c = Map::new();
            c.insert("type".into(), json!("raw"));
            c
        }
        (c, t) => {
            return Err(bad(format!(
                "compression {} / compressionType {} is not an object / a name",
                c.unwrap_or(&Value::Null),
                t.unwrap_or(&Value::Null)
            )))
        }
    };
    let rank = shape.len();
    let compressor = if DATA_TYPES.contains(&dtype) {
        compressor(&compression, dtype)?
    } else {
        None
    };
    let mut codecs = vec![
        json!({"name": "transpose", "configuration": {"order": (0..rank).rev().collect::<Vec<_>>()}}),
        json!({"name": "bytes", "configuration": {"endian": "big"}}),
    ];
    codecs.extend(compressor);
    // N5's other types (object, string) by their names: no data type.
    let data_type = if DATA_TYPES.contains(&dtype) {
        dtype.to_string()
    } else {
        format!("n5.{dtype}")
    };
    let doc = json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": data_type,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": blocks}},
        "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "n5_default", "configuration": {"codecs": codecs}}],
    });
    Ok(serde_json::to_vec(&doc).expect("JSON values serialize"))
}

/// The `zarr.json` of a group that has no `attributes.json` (any
/// directory of an N5 container is a group).
pub fn implicit_group_json() -> Vec<u8> {
    let doc = json!({"zarr_format": 3, "node_type": "group", "attributes": {}});
    serde_json::to_vec(&doc).expect("JSON values serialize")
}

fn refuse(what: String) -> crate::error::Error {
    unsupported(format!(
        "an N5 container holds groups and arrays N5 can read: {what}"
    ))
}

/// The N5 compression of the Zarr codec `c`, when N5 has it.
fn n5_compression(c: &Value) -> Result<Value> {
    let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
    let cfg = c.get("configuration").cloned().unwrap_or(json!({}));
    let int = |k: &str| cfg.get(k).and_then(Value::as_i64);
    Ok(match name {
        "gzip" => json!({"type": "gzip", "level": int("level").unwrap_or(6), "useZlib": false}),
        "numcodecs.zlib" => {
            json!({"type": "gzip", "level": int("level").unwrap_or(6), "useZlib": true})
        }
        "numcodecs.bz2" => json!({"type": "bzip2", "blockSize": int("level").unwrap_or(9)}),
        "numcodecs.lzma"
            if int("format").unwrap_or(1) == 1
                && !matches!(cfg.get("filters"), Some(f) if !f.is_null()) =>
        {
            json!({"type": "xz", "preset": int("preset").unwrap_or(6)})
        }
        "zstd" => json!({"type": "zstd", "level": int("level").unwrap_or(0)}),
        "blosc" => {
            let shuffle = match cfg.get("shuffle").and_then(Value::as_str) {
                Some("noshuffle") => 0,
                Some("bitshuffle") => 2,
                _ => 1,
            };
            json!({"type": "blosc", "cname": cfg.get("cname").cloned().unwrap_or(json!("lz4")),
                   "clevel": int("clevel").unwrap_or(5), "shuffle": shuffle,
                   "blocksize": int("blocksize").unwrap_or(0)})
        }
        _ => {
            return Err(refuse(format!(
                "N5 has no compression like codec \"{name}\""
            )))
        }
    })
}

/// Where a node's `attributes.json` is written.
pub enum Node<'a> {
    /// The container's root, and the N5 version its `attributes.json`
    /// has now (None: it has none, or no `attributes.json`).
    Root(Option<&'a Value>),
    Other,
}

/// The key, as written, of the first of the attributes in the document
/// `text` that is not strict JSON (as Python writes them), if any is.
fn not_strict_attribute(text: &[u8]) -> Option<String> {
    let attributes = splice::get_member(text, "attributes").ok()??;
    splice::members(attributes)
        .ok()?
        .into_iter()
        .find(|m| !is_strict_json(m.key_text) || !is_strict_json(m.value))
        .map(|m| String::from_utf8_lossy(m.key_text).into_owned())
}

/// The `attributes.json` of the node whose `zarr.json` is `text`;
/// unsupported for nodes N5 cannot hold. The root keeps the N5 version
/// it has when its attributes do not give one, and a new root gets one.
pub fn attributes_json(text: &[u8], node: Node) -> Result<Vec<u8>> {
    let doc: Value = serde_json::from_slice(text).map_err(|e| {
        if super::parse_json(text).is_ok() {
            // What Python writes and strict JSON has not got: N5's
            // readers (its Java library, tensorstore's n5 driver) would
            // refuse the container's attributes.json.
            refuse(format!(
                "{}attributes.json cannot hold NaN, Infinity, numbers past float64's range or \
                 lone surrogate escapes",
                not_strict_attribute(text).map_or(String::new(), |k| format!("attribute {k}: "))
            ))
        } else {
            invalid_metadata(format!("zarr.json is not JSON: {e}"))
        }
    })?;
    let out = match doc.get("attributes") {
        Some(Value::Object(a)) => a.clone(),
        _ => Map::new(),
    };
    let mut added: Vec<(&str, Value)> = Vec::new();
    // The members an array's zarr.json may have, but storage transformers
    // and dimension names only when they say nothing.
    if let Some((k, _)) = doc.as_object().into_iter().flatten().find(|(k, v)| {
        let says_nothing = match k.as_str() {
            "storage_transformers" => v.as_array().is_some_and(Vec::is_empty),
            "dimension_names" => v.as_array().is_some_and(|d| d.iter().all(Value::is_null)),
            _ => true,
        };
        !(super::array::KNOWN_FIELDS.contains(&k.as_str()) && says_nothing)
    }) {
        return Err(refuse(format!("N5 has no place for zarr.json's \"{k}\"")));
    }
    match doc.get("node_type").and_then(Value::as_str) {
        Some("group") => {
            // Attributes that would make the group read as a dataset.
            if is_dataset(&out) {
                return Err(refuse(
                    "a group's attributes \"dimensions\" and \"dataType\" would make it a \
                     dataset"
                        .into(),
                ));
            }
            if let Node::Root(version) = node {
                if !out.contains_key("n5") {
                    added.push(("n5", version.cloned().unwrap_or(json!(N5_VERSION))));
                }
            }
        }
        Some("array") => {
            if let Some(k) = DATASET_KEYS.iter().find(|k| out.contains_key(**k)) {
                return Err(refuse(format!("attribute \"{k}\" is a key of N5's own")));
            }
            let dtype = doc["data_type"].as_str().unwrap_or_default();
            if !DATA_TYPES.contains(&dtype) {
                return Err(refuse(format!(
                    "data type {} is not one of N5's",
                    doc["data_type"]
                )));
            }
            let fill = &doc["fill_value"];
            if fill.as_f64() != Some(0.0) || fill.to_string().starts_with('-') {
                return Err(refuse(format!(
                    "fill value {fill}: N5 has none, and its readers take 0"
                )));
            }
            let keys = &doc["chunk_key_encoding"];
            let separator = keys["configuration"]["separator"].as_str().unwrap_or(".");
            if keys["name"] != "v2" || separator != "/" {
                return Err(refuse(format!(
                    "chunk keys {keys}: N5's blocks are at v2 keys joined by \"/\""
                )));
            }
            let grid = &doc["chunk_grid"];
            if grid["name"] != "regular" {
                return Err(refuse(format!(
                    "chunk grid {}: N5's is regular",
                    grid["name"]
                )));
            }
            let codecs = doc["codecs"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            let inner = match codecs {
                [c] if c["name"] == "n5_default" => c["configuration"]["codecs"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                _ => return Err(refuse("its codecs must be one n5_default".into())),
            };
            let compression = match inner.get(2) {
                None => json!({"type": "raw"}),
                Some(c) => n5_compression(c)?,
            };
            added.push(("dimensions", doc["shape"].clone()));
            added.push(("blockSize", grid["configuration"]["chunk_shape"].clone()));
            added.push(("dataType", json!(dtype)));
            added.push(("compression", compression));
        }
        t => return Err(invalid_metadata(format!("zarr.json: node_type {t:?}"))),
    }
    // The attributes as zarr.json has them written (integers past 64 bits
    // exact), then N5's own keys.
    let members = match splice::get_member(text, "attributes")? {
        Some(written) if doc["attributes"].is_object() => splice::members(written)?,
        _ => Vec::new(),
    };
    let added: Vec<(Vec<u8>, Vec<u8>)> = added
        .into_iter()
        .map(|(k, v)| (splice::literal(k), v.to_string().into_bytes()))
        .collect();
    Ok(splice::object_of(
        members
            .iter()
            .map(|m| (m.key_text, m.value))
            .chain(added.iter().map(|(k, v)| (&k[..], &v[..]))),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn parse(v: Vec<u8>) -> Value {
        serde_json::from_slice(&v).unwrap()
    }

    #[test]
    fn datasets_are_arrays_and_back() {
        let attrs = json!({"dimensions": [100, 70, 3], "blockSize": [64, 64, 1], "dataType": "uint16",
            "compression": {"type": "gzip", "level": -1}, "pixelResolution": [1, 1, 4]});
        let z = parse(zarr_json(attrs.to_string().as_bytes()).unwrap());
        assert_eq!(z["shape"], json!([100, 70, 3]));
        assert_eq!(
            z["chunk_grid"]["configuration"]["chunk_shape"],
            json!([64, 64, 1])
        );
        let codecs = &z["codecs"][0]["configuration"]["codecs"];
        assert_eq!(codecs[0]["configuration"]["order"], json!([2, 1, 0]));
        assert_eq!(
            codecs[2],
            json!({"name": "gzip", "configuration": {"level": 6}})
        );
        assert_eq!(z["attributes"], json!({"pixelResolution": [1, 1, 4]}));
        let back = parse(attributes_json(&serde_json::to_vec(&z).unwrap(), Node::Other).unwrap());
        assert_eq!(back["dimensions"], attrs["dimensions"]);
        assert_eq!(back["blockSize"], attrs["blockSize"]);
        assert_eq!(
            back["compression"],
            json!({"type": "gzip", "level": 6, "useZlib": false})
        );
        assert_eq!(back["pixelResolution"], attrs["pixelResolution"]);
    }

    #[test]
    fn groups_keep_every_key_and_the_root_its_version() {
        let z = parse(zarr_json(br#"{"n5": "2.5.1", "name": "x"}"#).unwrap());
        assert_eq!(z["node_type"], "group");
        assert_eq!(z["attributes"], json!({"n5": "2.5.1", "name": "x"}));
        let z = serde_json::to_vec(&z).unwrap();
        let back = parse(attributes_json(&z, Node::Root(None)).unwrap());
        assert_eq!(back, json!({"n5": "2.5.1", "name": "x"}));
        let new = br#"{"zarr_format": 3, "node_type": "group"}"#;
        let root = |v| parse(attributes_json(new, Node::Root(v)).unwrap());
        assert_eq!(root(None), json!({"n5": N5_VERSION}));
        assert_eq!(root(Some(&json!("2.5.1"))), json!({"n5": "2.5.1"}));
        assert_eq!(parse(attributes_json(new, Node::Other).unwrap()), json!({}));
        // A group may have an attribute named like one of a dataset's,
        // but not the two that would make it one.
        let g = br#"{"zarr_format": 3, "node_type": "group", "attributes": {"dimensions": [2]}}"#;
        assert!(attributes_json(g, Node::Other).is_ok());
        for doc in [
            json!({"zarr_format": 3, "node_type": "group",
                   "attributes": {"dimensions": [2], "dataType": "uint8"}}),
            json!({"zarr_format": 3, "node_type": "group", "consolidated_metadata": {}}),
        ] {
            let e = attributes_json(doc.to_string().as_bytes(), Node::Other).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{doc}: {e}");
        }
    }

    #[test]
    fn what_n5_cannot_hold_is_refused() {
        // N5's types and compressions zarrio does not read keep their
        // names, under which nothing is known.
        let object = br#"{"dimensions": [4], "blockSize": [2], "dataType": "object"}"#;
        assert_eq!(parse(zarr_json(object).unwrap())["data_type"], "n5.object");
        let lz4 = json!({"dimensions": [4], "blockSize": [2], "dataType": "uint8",
                         "compression": {"type": "lz4"}});
        let z = parse(zarr_json(lz4.to_string().as_bytes()).unwrap());
        assert_eq!(
            z["codecs"][0]["configuration"]["codecs"][2]["name"],
            "n5.lz4"
        );
        for attrs in [
            json!({"dimensions": [4], "blockSize": [2, 2], "dataType": "uint8"}),
            json!({"dimensions": "x", "blockSize": [2], "dataType": "uint8"}),
            json!({"dimensions": [4], "blockSize": [2], "dataType": "uint8",
                   "compression": {"level": 2}}),
            json!({"dimensions": [4], "blockSize": [2], "dataType": "uint8",
                   "compression": {"type": "gzip", "useZlib": 1}}),
            json!({"dimensions": [4], "blockSize": [2], "dataType": "uint8",
                   "compression": {"type": "blosc", "cname": 3}}),
        ] {
            let e = zarr_json(attrs.to_string().as_bytes()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{attrs}: {e}");
        }
        let array = |fill: Value, keys: Value, codecs: Value| {
            json!({"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "int8",
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
                "chunk_key_encoding": keys, "fill_value": fill, "codecs": codecs})
        };
        let n5 = json!([{"name": "n5_default", "configuration": {"codecs": [
            {"name": "transpose", "configuration": {"order": [0]}}, {"name": "bytes"}]}}]);
        let v2 = json!({"name": "v2", "configuration": {"separator": "/"}});
        let ok = array(json!(0), v2.clone(), n5.clone());
        assert!(attributes_json(ok.to_string().as_bytes(), Node::Other).is_ok());
        let mut unnamed = ok.clone();
        unnamed["dimension_names"] = json!([null]);
        assert!(attributes_json(unnamed.to_string().as_bytes(), Node::Other).is_ok());
        let mut named = ok.clone();
        named["dimension_names"] = json!(["x"]);
        for doc in [
            array(json!(1), v2.clone(), n5.clone()),
            array(json!(0), json!({"name": "default"}), n5.clone()),
            array(json!(0), v2.clone(), json!([{"name": "bytes"}])),
            named,
        ] {
            let e = attributes_json(doc.to_string().as_bytes(), Node::Other).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{doc}: {e}");
        }
    }
}
