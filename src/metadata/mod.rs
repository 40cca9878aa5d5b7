//! `zarr.json` documents for arrays and groups (Zarr v3 core).

pub mod array;
mod attributes;
pub mod chunk_key;
mod chunk_key_template;
pub mod group;
pub mod n5;
pub mod rectilinear;
pub mod splice;
pub mod v2;

pub use array::ArrayMetadata;
pub use attributes::Attributes;
pub use chunk_key::ChunkKeyEncoding;
pub use group::GroupMetadata;

use crate::error::{invalid_metadata, Result};
use serde_json::{Map, Value};

/// Parse stored JSON text. Python's `json` (and so zarr-python) writes
/// non-finite floats as the bare tokens `NaN`, `Infinity` and `-Infinity`,
/// which JSON has not got: in a document that fails to parse, those
/// tokens are read as the strings Zarr uses for them ("NaN", ...).
pub fn parse_json(text: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice(text).or_else(|e| match quote_non_finite(text) {
        Some(quoted) => serde_json::from_slice(&quoted),
        None => Err(e),
    })
}

/// `text` with `NaN`, `Infinity` and `-Infinity` quoted where they stand
/// for values (not inside strings, not as an object's keys, which Python
/// never writes bare), or None when it has none of them.
pub(crate) fn quote_non_finite(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    // The open containers, and whether an object key comes next.
    let mut open: Vec<u8> = Vec::new();
    let mut key_next = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if c == b'"' {
            in_string = true;
        } else if b"{[}],:".contains(&c) {
            match c {
                b'{' | b'[' => open.push(c),
                b'}' | b']' => {
                    open.pop();
                }
                _ => {}
            }
            key_next = match c {
                b'{' => true,
                b',' => open.last() == Some(&b'{'),
                _ => false,
            };
        } else if let Some(token) = [&b"NaN"[..], b"Infinity", b"-Infinity"]
            .into_iter()
            .find(|t| !key_next && text[i..].starts_with(t))
        {
            out.push(b'"');
            out.extend_from_slice(token);
            out.push(b'"');
            i += token.len();
            changed = true;
            continue;
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

/// A value as indented JSON text, as zarr.json documents are written.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values always serialise")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_tokens_read_as_zarr_strings() {
        let v =
            parse_json(br#"{"a": NaN, "b": [Infinity, -Infinity, 1], "c": "NaN Infinity \" NaN"}"#)
                .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": "NaN", "b": ["Infinity", "-Infinity", 1], "c": "NaN Infinity \" NaN"})
        );
        // Strict JSON is read as it is; other errors stay errors.
        assert_eq!(parse_json(br#"{"a":"NaN"}"#).unwrap()["a"], "NaN");
        assert!(parse_json(b"{NaN}").is_err());
        // Bare tokens are values, never keys.
        for bad in [
            &b"{NaN: 1}"[..],
            b"{\"a\": 1, Infinity: 2}",
            b"[{NaN: NaN}]",
        ] {
            assert!(parse_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            parse_json(b"[NaN, {\"k\": [Infinity, {\"j\": -Infinity}]}, NaN]").unwrap(),
            serde_json::json!(["NaN", {"k": ["Infinity", {"j": "-Infinity"}]}, "NaN"])
        );
        assert!(parse_json(b"{").is_err());
        assert!(parse_object(br#"{"x": nan}"#, "doc").is_err());
    }
}
