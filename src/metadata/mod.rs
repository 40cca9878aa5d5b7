//! `zarr.json` documents for arrays and groups (Zarr v3 core).

pub mod array;
mod attributes;
pub mod chunk_key;
mod chunk_key_template;
pub mod group;
mod json_text;
pub mod n5;
pub mod rectilinear;
pub mod splice;
pub mod v2;

pub use array::ArrayMetadata;
pub use attributes::Attributes;
pub use chunk_key::ChunkKeyEncoding;
pub use group::GroupMetadata;
pub use json_text::parse_json;
pub(crate) use json_text::{is_strict_json, key_units, quote_non_finite};

use crate::error::{invalid_metadata, Result};
use serde_json::{Map, Value};

/// A value as indented JSON text, as zarr.json documents are written.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values always serialise")
}

/// Refuse a node's document `text`, about to be stored as it parses,
/// when that would not be what it says: numbers past float64's range and
/// lone surrogate escapes read as strings and U+FFFD (`parse_json`).
/// `attributes` says whether its `attributes` member is kept as text and
/// so may hold them. Bare `NaN` and `Infinity` read as the strings Zarr
/// writes for them and pass.
pub fn check_stored_as_given(text: &[u8], attributes: bool, what: &str) -> Result<()> {
    if is_strict_json(text) {
        return Ok(());
    }
    // Malformed: parsing it says how.
    let (Ok(_), Ok(members)) = (parse_json(text), splice::members(text)) else {
        return Ok(());
    };
    // Member by member (the last of repeated keys, as it is read).
    let changed = members.iter().find(|m| {
        let kept_as_text = attributes && m.key() == "attributes";
        let value = quote_non_finite(m.value);
        let value = value.as_deref().unwrap_or(m.value);
        let read_as_written = is_strict_json(m.key_text) && is_strict_json(value);
        !(kept_as_text || read_as_written)
    });
    match changed {
        Some(m) => Err(invalid_metadata(format!(
            "{what}: {}: numbers past float64's range and lone surrogate escapes are kept \
             only in attributes",
            String::from_utf8_lossy(m.key_text)
        ))),
        None => Ok(()),
    }
}

/// Parse JSON text into an object.
pub fn parse_object(text: &[u8], what: &str) -> Result<Map<String, Value>> {
    let v: Value =
        parse_json(text).map_err(|e| invalid_metadata(format!("{what}: malformed JSON: {e}")))?;
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(invalid_metadata(format!(
            "{what}: the document must be a JSON object"
        ))),
    }
}

/// Check `zarr_format` is 3 and `node_type` is `expected`.
pub fn check_format_and_type(o: &Map<String, Value>, expected: &str) -> Result<()> {
    match o.get("zarr_format") {
        Some(v) if v.as_u64() == Some(3) => {}
        Some(v) => {
            return Err(invalid_metadata(format!(
                "zarr_format {v} is not supported (expected 3)"
            )))
        }
        None => return Err(invalid_metadata("zarr.json has no zarr_format")),
    }
    match o.get("node_type").and_then(Value::as_str) {
        Some(t) if t == expected => Ok(()),
        Some(t) => Err(invalid_metadata(format!(
            "node_type is \"{t}\", expected \"{expected}\""
        ))),
        None => Err(invalid_metadata("zarr.json has no string node_type")),
    }
}

/// Fields not known to this implementation: allowed only as objects with
/// `"must_understand": false`; they are kept and written back.
pub fn take_extra_fields(o: &Map<String, Value>, known: &[&str]) -> Result<Map<String, Value>> {
    let mut extra = Map::new();
    for (k, v) in o {
        if known.contains(&k.as_str()) {
            continue;
        }
        let optional = v
            .as_object()
            .and_then(|m| m.get("must_understand"))
            .and_then(Value::as_bool)
            == Some(false);
        if !optional {
            return Err(invalid_metadata(format!(
                "unknown field \"{k}\" in zarr.json (not marked \"must_understand\": false)"
            )));
        }
        extra.insert(k.clone(), v.clone());
    }
    Ok(extra)
}
