//! Changing one member of a stored JSON document in its text, leaving
//! every other byte as it was: numbers beyond what a JSON library keeps
//! (integers past 64 bits), Python's bare `NaN` and `Infinity`, key order
//! and layout all survive a metadata rewrite. A member is read out as it
//! is written the same way.

use crate::error::{invalid_metadata, Result};

/// `text` (a JSON object) with the top-level member `key` set to
/// `value` (JSON text): replaced where it is, or added at the end.
pub fn set_member(text: &[u8], key: &str, value: &str) -> Result<Vec<u8>> {
    let mut out;
    match locate(text, key)? {
        Place::At(range) => {
            out = text[..range.start].to_vec();
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(&text[range.end..]);
        }
        Place::Before { close, members } => {
            // Not there: added before the closing brace.
            out = text[..close].to_vec();
            let last = out.iter().rposition(|b| !b.is_ascii_whitespace());
            if members > 0 {
                out.truncate(last.map_or(0, |p| p + 1));
                out.push(b',');
            }
            out.extend_from_slice(format!("\n  \"{key}\": {value}\n").as_bytes());
            out.extend_from_slice(&text[close..]);
        }
    }
    Ok(out)
}

/// The text of the top-level member `key` of `text` (a JSON object), as
/// it is written there, or None when it has none.
pub fn get_member<'a>(text: &'a [u8], key: &str) -> Result<Option<&'a [u8]>> {
    Ok(match locate(text, key)? {
        Place::At(range) => Some(&text[range]),
        Place::Before { .. } => None,
    })
}

/// Where a member's value is, or where it would go.
enum Place {
    At(std::ops::Range<usize>),
    /// Absent: the object's closing brace is at `close`, after `members`
    /// members.
    Before {
        close: usize,
        members: usize,
    },
}

/// The last member named `key` (a JSON parser takes the last of
/// repeated keys).
fn locate(text: &[u8], key: &str) -> Result<Place> {
    let key: Vec<u16> = key.encode_utf16().collect();
    let mut found = None;
    let (close, members) = scan(text, |units, _, range| {
        if *units == key {
            found = Some(range);
        }
    })?;
    Ok(match found {
        Some(range) => Place::At(range),
        None => Place::Before { close, members },
    })
}

/// A member of a JSON object, as it is written.
#[derive(Debug, PartialEq)]
pub struct Member<'a> {
    /// The key's UTF-16 units (a lone surrogate as itself): what tells
    /// keys apart.
    pub units: Vec<u16>,
    /// The key's string literal as written, quotes included.
    pub key_text: &'a [u8],
    /// The value's text as written.
    pub value: &'a [u8],
}

/// The members of `text` (a JSON object) in order; a key repeated is
/// given once, with its last value, where it first stood (as a JSON
/// parser keeping key order reads it). Keys are the same when their
/// UTF-16 units are: `"\u0063"` is `"c"`, and lone surrogates `"\ud800"`
/// and `"\udc00"` differ, though both read as U+FFFD.
pub fn members(text: &[u8]) -> Result<Vec<Member<'_>>> {
    type Ranges = (std::ops::Range<usize>, std::ops::Range<usize>);
    let mut out: Vec<(Vec<u16>, Ranges)> = Vec::new();
    let mut at: std::collections::HashMap<Vec<u16>, usize> = std::collections::HashMap::new();
    scan(text, |units, key, value| match at.get(units) {
        Some(&n) => out[n].1 .1 = value,
        None => {
            at.insert(units.to_vec(), out.len());
            out.push((units.to_vec(), (key, value)));
        }
    })?;
    Ok(out
        .into_iter()
        .map(|(units, (key, value))| Member {
            units,
            key_text: &text[key],
            value: &text[value],
        })
        .collect())
}

impl Member<'_> {
    /// The key as text (a lone surrogate escape in it as U+FFFD).
    pub fn key(&self) -> String {
        String::from_utf16_lossy(&self.units)
    }
}

/// Visit the members of `text` (a JSON object): each key's UTF-16 units,
/// the range of its string literal and the range of its value. Returns
/// where the closing brace is and how many members there are.
fn scan(
    text: &[u8],
    mut visit: impl FnMut(&[u16], std::ops::Range<usize>, std::ops::Range<usize>),
) -> Result<(usize, usize)> {
    let bad = || invalid_metadata("the stored document is not a JSON object");
    let mut i = skip_space(text, 0);
    if text.get(i) != Some(&b'{') {
        return Err(bad());
    }
    i += 1;
    let mut members = 0;
    loop {
        i = skip_space(text, i);
        match text.get(i) {
            Some(b'}') => return Ok((i, members)),
            Some(b'"') => {}
            _ => return Err(bad()),
        }
        let key_start = i;
        let key_end = skip_string(text, i).ok_or_else(bad)?;
        let units = super::key_units(&text[key_start..key_end]).ok_or_else(bad)?;
        i = skip_space(text, key_end);
        if text.get(i) != Some(&b':') {
            return Err(bad());
        }
        let value_start = skip_space(text, i + 1);
        let value_end = skip_value(text, value_start).ok_or_else(bad)?;
        visit(&units, key_start..key_end, value_start..value_end);
        members += 1;
        i = skip_space(text, value_end);
        match text.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => {}
            _ => return Err(bad()),
        }
    }
}

/// The text of a JSON object holding `members` in order: each a key's
/// string literal and its value's text, both as they are to be written.
pub fn object_of<'a>(members: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Vec<u8> {
    let mut out = b"{".to_vec();
    for (n, (key, value)) in members.into_iter().enumerate() {
        if n > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(key);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
    }
    out.push(b'}');
    out
}

/// The string literal of `key`, as `object_of` takes keys.
pub fn literal(key: &str) -> Vec<u8> {
    serde_json::Value::from(key).to_string().into_bytes()
}

fn skip_space(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The end of the string starting at `i` (its opening quote).
fn skip_string(text: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match text.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The end of the value starting at `i`: strings, nested objects and
/// arrays, and bare tokens (numbers, literals, `NaN`, `-Infinity`).
fn skip_value(text: &[u8], i: usize) -> Option<usize> {
    match text.get(i)? {
        b'"' => skip_string(text, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match text.get(j)? {
                    b'"' => {
                        j = skip_string(text, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while text
                .get(j)
                .is_some_and(|b| !b.is_ascii_whitespace() && !b",}]".contains(b))
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, key: &str, value: &str) -> String {
        String::from_utf8(set_member(text.as_bytes(), key, value).unwrap()).unwrap()
    }

    #[test]
    fn replaces_in_place_and_keeps_the_rest() {
        let doc = r#"{"a": NaN, "shape": [1, 2], "big": 1180591620717411303424, "s": "x\"}"}"#;
        assert_eq!(
            set(doc, "shape", "[3]"),
            r#"{"a": NaN, "shape": [3], "big": 1180591620717411303424, "s": "x\"}"}"#
        );
        assert_eq!(
            set(doc, "s", r#"{"k": [1, {"n": "]"}]}"#),
            r#"{"a": NaN, "shape": [1, 2], "big": 1180591620717411303424, "s": {"k": [1, {"n": "]"}]}}"#
        );
        assert_eq!(set(doc, "a", "-Infinity"), doc.replace("NaN", "-Infinity"));
    }

    #[test]
    fn adds_a_missing_member() {
        let got = set("{\n  \"a\": 1\n}", "b", "{}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&got).unwrap()["b"],
            serde_json::json!({})
        );
        assert!(got.starts_with("{\n  \"a\": 1,"), "{got}");
        let got = set("{ }", "b", "2");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&got).unwrap()["b"],
            2
        );
        // A key with escapes is matched by its value.
        let got = set(r#"{"\u0061": 1}"#, "a", "5");
        assert_eq!(got, r#"{"\u0061": 5}"#);
    }

    #[test]
    fn gets_a_member_as_written() {
        let doc =
            br#"{"a": NaN, "attributes": {"big": 1180591620717411303424, "s": "}"} , "z": 1}"#;
        assert_eq!(
            get_member(doc, "attributes").unwrap(),
            Some(&br#"{"big": 1180591620717411303424, "s": "}"}"#[..])
        );
        assert_eq!(get_member(doc, "a").unwrap(), Some(&b"NaN"[..]));
        assert_eq!(get_member(doc, "zz").unwrap(), None);
        // The last of repeated keys, as a JSON parser takes it.
        let twice = br#"{"a": {"first": 1}, "b": 0, "a": {"last": 2}}"#;
        assert_eq!(
            get_member(twice, "a").unwrap(),
            Some(&br#"{"last": 2}"#[..])
        );
        assert!(get_member(b"[1]", "a").is_err());
    }

    #[test]
    fn lists_members_as_written() {
        let doc =
            br#"{"a": NaN, "b": {"x": [1, "}"]}, "a": 1180591620717411303424, "\u0063": "s"}"#;
        let m = members(doc).unwrap();
        let keys: Vec<String> = m.iter().map(Member::key).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(m[0].value, b"1180591620717411303424");
        assert_eq!(m[1].value, br#"{"x": [1, "}"]}"#);
        // A key is written back as it was written.
        assert_eq!(
            object_of(m[1..].iter().map(|m| (m.key_text, m.value))),
            br#"{"b": {"x": [1, "}"]}, "\u0063": "s"}"#.to_vec()
        );
        assert_eq!(object_of([]), b"{}".to_vec());
        assert!(members(b"[]").is_err());
        // Keys with lone surrogate escapes, as Python writes them: two
        // keys, though both read as U+FFFD, each kept as written.
        let doc = br#"{"\ud800": 1, "\udc00": 2, "\ufffd": 3, "\ud800": 4}"#;
        let m = members(doc).unwrap();
        let got: Vec<(String, &[u8], &[u8])> =
            m.iter().map(|m| (m.key(), m.key_text, m.value)).collect();
        assert_eq!(
            got,
            [
                ("\u{fffd}".to_string(), &br#""\ud800""#[..], &b"4"[..]),
                ("\u{fffd}".to_string(), br#""\udc00""#, b"2"),
                ("\u{fffd}".to_string(), br#""\ufffd""#, b"3"),
            ]
        );
        assert_eq!(get_member(doc, "\u{fffd}").unwrap(), Some(&b"3"[..]));
        let literal = literal("k\"\u{e9}");
        assert_eq!(
            object_of([(&literal[..], &b"1"[..])]),
            "{\"k\\\"\u{e9}\": 1}".as_bytes()
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in [
            "",
            "[]",
            "{",
            "{\"a\"",
            "{\"a\": ",
            "{\"a\": 1 \"b\": 2}",
            "{1: 2}",
            "{\"a\": [1, 2}",
        ] {
            // A key after every member, so that the whole text is scanned
            // (callers parse what comes back, which catches the rest).
            assert!(set_member(bad.as_bytes(), "zz", "1").is_err(), "{bad}");
        }
    }
}
