//! A node's attributes, with the JSON text they were read from or given
//! in. A JSON library keeps neither integers past 64 bits nor Python's
//! bare `NaN` and `Infinity` tokens (which zarr-python writes for
//! non-finite floats); the text keeps both, and is what is stored when a
//! node is created or its attributes are set, and what is handed out.

use super::{parse_object, pretty, quote_non_finite};
use crate::error::{invalid_metadata, Result};
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub struct Attributes {
    map: Map<String, Value>,
    /// The JSON object text (Python's bare tokens allowed) whose value is
    /// `map`, when they were given as text; None when made from `map`.
    text: Option<String>,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes::from_map(Map::new())
    }
}

impl Attributes {
    /// Attributes from the text of a JSON object (bare `NaN`, `Infinity`
    /// and `-Infinity` allowed; read as the strings "NaN", ...).
    pub fn parse(text: &[u8], what: &str) -> Result<Attributes> {
        let map = parse_object(text, what)?;
        // Parsed JSON is UTF-8 (outside strings only ASCII is allowed).
        let text = String::from_utf8(text.to_vec())
            .map_err(|_| invalid_metadata(format!("{what}: not UTF-8 text")))?;
        Ok(Attributes {
            map,
            text: Some(text),
        })
    }

    /// The `attributes` member of a node's parsed document `o`, read from
    /// the document's `text` (absent: none).
    pub fn of_document(text: &[u8], o: &Map<String, Value>) -> Result<Attributes> {
        match o.get("attributes") {
            None => Ok(Attributes::default()),
            Some(Value::Object(_)) => match super::splice::get_member(text, "attributes")? {
                Some(member) => Attributes::parse(member, "attributes"),
                None => Err(invalid_metadata(
                    "attributes: not found in the document text",
                )),
            },
            Some(_) => Err(invalid_metadata("attributes must be a JSON object")),
        }
    }

    pub fn from_map(map: Map<String, Value>) -> Attributes {
        Attributes { map, text: None }
    }

    pub fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The text to store: as it was given (bare tokens and all), or
    /// else the map's.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.text {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(pretty(&Value::Object(self.map.clone()))),
        }
    }

    /// `document` (a node's pretty-printed JSON, its `attributes` member
    /// made from the map) with that member as the text has it: what is
    /// stored.
    pub fn written_into(&self, document: String) -> String {
        match &self.text {
            Some(text) => splice_attributes(document, text),
            None => document,
        }
    }

    /// `written_into` with the text as strict JSON (`json`): what is
    /// handed out.
    pub fn shown_in(&self, document: String) -> String {
        match &self.text {
            Some(_) => splice_attributes(document, &self.json()),
            None => document,
        }
    }

    /// The text as strict JSON: integers as they are written, bare
    /// `NaN`, `Infinity` and `-Infinity` as the strings Zarr uses for
    /// them.
    pub fn json(&self) -> String {
        let Some(text) = &self.text else {
            return Value::Object(self.map.clone()).to_string();
        };
        match quote_non_finite(text.as_bytes()) {
            // Only ASCII tokens were quoted: still UTF-8.
            Some(q) => String::from_utf8(q).expect("quoting keeps UTF-8"),
            None => text.clone(),
        }
    }
}

fn splice_attributes(document: String, text: &str) -> String {
    super::splice::set_member(document.as_bytes(), "attributes", text)
        .ok()
        .and_then(|t| String::from_utf8(t).ok())
        .expect("a document just written holds its attributes member")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_a_json_library_would_not() {
        let text = br#"{"big": 1180591620717411303424, "x": NaN, "y": [-Infinity], "s": "NaN"}"#;
        let a = Attributes::parse(text, "t").unwrap();
        assert_eq!(a.text().as_bytes(), text);
        assert_eq!(a.map()["x"], "NaN");
        assert_eq!(
            a.json(),
            r#"{"big": 1180591620717411303424, "x": "NaN", "y": ["-Infinity"], "s": "NaN"}"#
        );
        let doc = a.written_into(pretty(&serde_json::json!({"z": 1, "attributes": a.map()})));
        assert_eq!(
            doc,
            "{\n  \"z\": 1,\n  \"attributes\": ".to_string()
                + std::str::from_utf8(text).unwrap()
                + "\n}"
        );
        assert!(Attributes::parse(b"[1]", "t").is_err());
        assert!(Attributes::parse(b"{\"a\": nan}", "t").is_err());
    }

    #[test]
    fn taken_from_the_document_text() {
        let doc = br#"{"zarr_format": 3, "attributes": {"n": -99999999999999999999999}}"#;
        let o = parse_object(doc, "d").unwrap();
        let a = Attributes::of_document(doc, &o).unwrap();
        assert_eq!(a.text(), r#"{"n": -99999999999999999999999}"#);
        let o = parse_object(b"{}", "d").unwrap();
        let none = Attributes::of_document(b"{}", &o).unwrap();
        assert_eq!(none.written_into("{}".into()), "{}");
        assert_eq!(none.json(), "{}");
        let doc = br#"{"attributes": 1}"#;
        let o = parse_object(doc, "d").unwrap();
        assert!(Attributes::of_document(doc, &o).is_err());
    }
}
