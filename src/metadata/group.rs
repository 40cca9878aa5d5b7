//! Group metadata: `{"zarr_format": 3, "node_type": "group", "attributes"?}`.

use super::{check_format_and_type, parse_object, take_extra_fields, Attributes};
use crate::error::Result;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupMetadata {
    pub attributes: Attributes,
    /// Unknown fields marked `must_understand: false`, kept verbatim.
    pub extra: Map<String, Value>,
}

impl GroupMetadata {
    pub fn parse(text: &[u8]) -> Result<Self> {
        let o = parse_object(text, "group zarr.json")?;
        check_format_and_type(&o, "group")?;
        let extra = take_extra_fields(&o, &["zarr_format", "node_type", "attributes"])?;
        Ok(GroupMetadata {
            attributes: Attributes::of_document(text, &o)?,
            extra,
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("zarr_format".into(), 3.into());
        m.insert("node_type".into(), "group".into());
        m.insert(
            "attributes".into(),
            Value::Object(self.attributes.map().clone()),
        );
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// The document as text, the attributes as their text has them.
    pub fn to_string_pretty(&self) -> String {
        self.attributes.written_into(super::pretty(&self.to_json()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_reject() {
        let g =
            GroupMetadata::parse(br#"{"zarr_format":3,"node_type":"group","attributes":{"a":1}}"#)
                .unwrap();
        assert_eq!(g.attributes.map()["a"], 1);
        assert!(
            GroupMetadata::parse(br#"{"zarr_format":3,"node_type":"group"}"#)
                .unwrap()
                .attributes
                .map()
                .is_empty()
        );
        assert!(GroupMetadata::parse(br#"{"zarr_format":2,"node_type":"group"}"#).is_err());
        assert!(GroupMetadata::parse(br#"{"zarr_format":3,"node_type":"array"}"#).is_err());
        assert!(GroupMetadata::parse(br#"{"zarr_format":3,"node_type":"group","x":1}"#).is_err());
        assert!(GroupMetadata::parse(
            br#"{"zarr_format":3,"node_type":"group","x":{"must_understand":false}}"#
        )
        .is_ok());
        assert!(GroupMetadata::parse(b"{").is_err());
        assert!(GroupMetadata::parse(b"[]").is_err());
    }
}
