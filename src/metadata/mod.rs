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
/// what a JSON library such as this one refuses: non-finite floats as the
/// bare tokens `NaN`, `Infinity` and `-Infinity`, which JSON has not got;
/// integers of any size (10**400 is past every float); and strings with
/// lone UTF-16 surrogate escapes ("\ud800"), which JSON's grammar allows.
/// In a document that fails to parse, the tokens are read as the strings
/// Zarr uses for them ("NaN", ...), numbers past float64 as strings of
/// their digits, and lone surrogates as U+FFFD. Attributes keep the text
/// itself ([`Attributes`]), so what is stored and handed out is exact.
pub fn parse_json(text: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice(text).or_else(|e| match rewrite(text, Rewrite::Readable) {
        Some(readable) => serde_json::from_slice(&readable),
        None => Err(e),
    })
}

/// `text` with `NaN`, `Infinity` and `-Infinity` quoted where they stand
/// for values (not inside strings, not as an object's keys, which Python
/// never writes bare), or None when it has none of them: strict JSON.
pub(crate) fn quote_non_finite(text: &[u8]) -> Option<Vec<u8>> {
    rewrite(text, Rewrite::NonFinite)
}

#[derive(Clone, Copy, PartialEq)]
enum Rewrite {
    /// Quote bare NaN and infinities.
    NonFinite,
    /// Also quote numbers past float64 and replace lone surrogates: text
    /// a JSON library reads.
    Readable,
}

/// `text` rewritten as `how` says, or None when nothing changed.
fn rewrite(text: &[u8], how: Rewrite) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let (mut in_string, mut changed) = (false, false);
    // The open containers, and whether an object key comes next.
    let mut open: Vec<u8> = Vec::new();
    let mut key_next = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' => {
                    let escape = &text[i..];
                    let len = match surrogate(escape) {
                        Surrogate::Pair => 12,
                        Surrogate::Lone if how == Rewrite::Readable => {
                            out.extend_from_slice(b"\\ufffd");
                            changed = true;
                            i += 6;
                            continue;
                        }
                        Surrogate::Lone => 6,
                        // Six for another \uXXXX, two for the rest (at
                        // most what is left: a cut escape is the parser's
                        // to refuse).
                        Surrogate::No if escape.get(1) == Some(&b'u') => 6,
                        Surrogate::No => 2,
                    };
                    let len = len.min(escape.len());
                    out.extend_from_slice(&escape[..len]);
                    i += len;
                    continue;
                }
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
        } else if key_next {
            // A bare key is malformed: left for the parser to refuse.
        } else if let Some(token) = [&b"NaN"[..], b"Infinity", b"-Infinity"]
            .into_iter()
            .find(|t| text[i..].starts_with(t))
        {
            quote(&mut out, token);
            i += token.len();
            changed = true;
            continue;
        } else if how == Rewrite::Readable && (c == b'-' || c.is_ascii_digit()) {
            let len = text[i..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || b"+-.eE".contains(b)))
                .unwrap_or(text.len() - i);
            let number = &text[i..i + len];
            let past_float = std::str::from_utf8(number)
                .ok()
                .and_then(|n| n.parse::<f64>().ok())
                .is_some_and(f64::is_infinite);
            if past_float {
                quote(&mut out, number);
                changed = true;
            } else {
                out.extend_from_slice(number);
            }
            i += len;
            continue;
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

fn quote(out: &mut Vec<u8>, token: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(token);
    out.push(b'"');
}

enum Surrogate {
    /// A high surrogate's escape followed by a low one's: twelve bytes.
    Pair,
    /// A surrogate's escape that is not half of a pair.
    Lone,
    No,
}

/// What the escape `s` starts with (`s[0]` is a backslash) holds.
fn surrogate(s: &[u8]) -> Surrogate {
    match unit(s) {
        Some(0xD800..=0xDBFF) => match unit(&s[6..]) {
            Some(0xDC00..=0xDFFF) => Surrogate::Pair,
            _ => Surrogate::Lone,
        },
        Some(0xDC00..=0xDFFF) => Surrogate::Lone,
        _ => Surrogate::No,
    }
}

/// The UTF-16 unit of the `\uXXXX` escape `s` starts with.
fn unit(s: &[u8]) -> Option<u16> {
    let hex = s.strip_prefix(b"\\u")?.get(..4)?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
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

    #[test]
    fn what_python_writes_past_a_json_library_is_read() {
        let big = "1".to_string() + &"0".repeat(400);
        let text = format!(
            r#"{{"big": {big}, "neg": -{big}, "e": 1e400, "fine": [1e300, 2e-400, 18446744073709551616],
                "lone": "a\ud800b", "low": "\udfff", "pair": "\ud83d\ude00", "two": "\ud800\ud800",
                "cut": "\ud800\u00e9", "esc": "\\ud800 \" 1e400", "\ud800k": NaN}}"#
        );
        let v = parse_json(text.as_bytes()).unwrap();
        assert_eq!(v["big"], big.as_str());
        assert_eq!(v["neg"], format!("-{big}"));
        assert_eq!(v["e"], "1e400");
        assert_eq!(
            v["fine"],
            serde_json::json!([1e300, 0.0, 18446744073709551616.0])
        );
        assert_eq!(v["lone"], "a\u{fffd}b");
        assert_eq!(v["low"], "\u{fffd}");
        assert_eq!(v["pair"], "\u{1f600}");
        assert_eq!(v["two"], "\u{fffd}\u{fffd}");
        assert_eq!(v["cut"], "\u{fffd}\u{e9}");
        // An escaped backslash is not an escape's start; a string's
        // digits are no number.
        assert_eq!(v["esc"], "\\ud800 \" 1e400");
        assert_eq!(v["\u{fffd}k"], "NaN");
        // Only NaN and infinities are quoted for strict JSON handed out.
        let strict = quote_non_finite(text.as_bytes()).unwrap();
        let strict = String::from_utf8(strict).unwrap();
        assert_eq!(strict, text.replace("NaN}", "\"NaN\"}"));
        assert_eq!(quote_non_finite(br#"{"e": 1e400, "s": "\ud800"}"#), None);
        // Malformed text stays malformed.
        for bad in [
            &b"{\"a\": 1e400"[..],
            b"{\"a\": \"\\ud800}",
            b"{\"a\": \"\\ud8",
            b"[--1e400]",
        ] {
            assert!(parse_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
