//! The `optional` data type (zarr-extensions `data-types/optional`; the
//! zarrs crate names it `zarrs.optional`): nullable elements, each a value
//! of an inner type or missing. Its chunks go through the `optional`
//! codec, which stores a validity mask and the present values apart.
//!
//! In memory (the caller's buffers and decoded chunks) an element is the
//! inner type's bytes followed by one validity byte: 1 when the value is
//! present, 0 when it is missing (its value bytes are then zero). An
//! optional of an optional nests the same way: `Option<Option<u8>>` is a
//! value byte, the inner validity byte, then the outer one.

use super::structure::MAX_DEPTH;
use super::DataType;
use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::{json, Value};

/// The name zarr-extensions gives the type.
pub(crate) const OPTIONAL: &str = "optional";
/// The name the zarrs crate (0.23) reads and writes.
pub(crate) const ZARRS_OPTIONAL: &str = "zarrs.optional";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OptionalType {
    inner: DataType,
    /// The name the metadata gave, written back as it was.
    name: &'static str,
}

impl OptionalType {
    /// Whether `name` names this type.
    pub(crate) fn is_name(name: &str) -> bool {
        name == OPTIONAL || name == ZARRS_OPTIONAL
    }

    /// Parse the `configuration` (`{"name", "configuration"}` of the inner
    /// type) of the type named `name`, nested `depth` types deep.
    pub(crate) fn from_configuration(
        name: &str,
        cfg: Option<&Value>,
        depth: usize,
    ) -> Result<Self> {
        let name = if name == OPTIONAL {
            OPTIONAL
        } else {
            ZARRS_OPTIONAL
        };
        if depth >= MAX_DEPTH {
            return Err(unsupported(format!(
                "data type \"{name}\": optional types nested more than {MAX_DEPTH} deep are not \
                 supported"
            )));
        }
        let cfg = cfg.and_then(Value::as_object).ok_or_else(|| {
            invalid_metadata(format!(
                "data type \"{name}\" needs a configuration naming the inner data type"
            ))
        })?;
        if let Some(k) = cfg.keys().find(|k| *k != "name" && *k != "configuration") {
            return Err(invalid_metadata(format!(
                "data type \"{name}\": unknown configuration field \"{k}\""
            )));
        }
        let inner_name = cfg.get("name").and_then(Value::as_str).ok_or_else(|| {
            invalid_metadata(format!(
                "data type \"{name}\": the configuration's \"name\" must be a data type name"
            ))
        })?;
        // The inner type as a data_type field of its own: a name, or a
        // name with its (non-empty) configuration.
        let inner_json = match cfg.get("configuration") {
            None => Value::String(inner_name.into()),
            // As an object even when empty: a type that needs a
            // configuration then says what it lacks.
            Some(c @ Value::Object(_)) => json!({"name": inner_name, "configuration": c}),
            Some(c) => {
                return Err(invalid_metadata(format!(
                    "data type \"{name}\": the inner configuration {c} is not an object"
                )))
            }
        };
        let inner = DataType::from_json_at(&inner_json, depth + 1)
            .map_err(|e| e.context(format!("data type \"{name}\"")))?;
        if inner.is_variable_length() {
            return Err(unsupported(format!(
                "data type \"{name}\" of variable-length items ({}) is not supported",
                inner.name()
            )));
        }
        Ok(OptionalType { inner, name })
    }

    /// The type of the values that are present.
    pub fn inner(&self) -> &DataType {
        &self.inner
    }

    /// How many validity bytes end an element: one per level of nesting.
    fn levels(&self) -> usize {
        match &self.inner {
            DataType::Optional(t) => 1 + t.levels(),
            _ => 1,
        }
    }

    /// Refuse an element (of `size()` bytes) whose validity bytes, at any
    /// level, are not 0 (missing) or 1 (present).
    pub(crate) fn check_element(&self, element: &[u8]) -> Result<()> {
        let levels = self.levels();
        match element[element.len() - levels..].iter().find(|v| **v > 1) {
            None => Ok(()),
            Some(v) => Err(crate::error::invalid_argument(format!(
                "an element of data type \"{}\" has the validity byte {v}, not 0 (missing) or \
                 1 (present)",
                self.name
            ))),
        }
    }

    /// Whether two elements hold the same: both missing (whatever their
    /// value bytes), or both present with equal values.
    pub(crate) fn same_element(&self, a: &[u8], b: &[u8]) -> bool {
        let n = a.len() - 1;
        match (a[n], b[n]) {
            (0, 0) => true,
            (x, y) if x != y => false,
            _ => match &self.inner {
                DataType::Optional(t) => t.same_element(&a[..n], &b[..n]),
                inner => crate::codec::all_fill(&a[..n], &b[..n], inner),
            },
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// Bytes per element: the inner type's and the validity byte.
    pub fn size(&self) -> usize {
        self.inner.size() + 1
    }

    pub(crate) fn to_json(&self) -> Value {
        let (inner_name, inner_cfg) = match self.inner.to_json() {
            Value::Object(mut o) => (
                o.remove("name").unwrap_or(Value::Null),
                o.remove("configuration").unwrap_or_else(|| json!({})),
            ),
            n => (n, json!({})),
        };
        json!({"name": self.name, "configuration": {"name": inner_name, "configuration": inner_cfg}})
    }

    /// `null` (missing), or a one-element list holding the inner type's
    /// fill value.
    pub(crate) fn parse_fill_value(&self, v: &Value) -> Result<Vec<u8>> {
        match v {
            Value::Null => Ok(vec![0; self.size()]),
            Value::Array(a) if a.len() == 1 => {
                let mut out = self.inner.parse_fill_value(&a[0])?;
                out.push(1);
                Ok(out)
            }
            _ => Err(invalid_metadata(format!(
                "invalid fill_value {v} for data type \"{}\": null or [a value of {}]",
                self.name,
                self.inner.name()
            ))),
        }
    }

    pub(crate) fn fill_value_to_json(&self, bytes: &[u8]) -> Value {
        let (value, valid) = bytes.split_at(bytes.len() - 1);
        if valid[0] == 0 {
            Value::Null
        } else {
            Value::Array(vec![self.inner.fill_value_to_json(value)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<DataType> {
        DataType::from_json(&v)
    }

    #[test]
    fn names_sizes_and_json() {
        let t = parse(json!({"name": "zarrs.optional", "configuration": {"name": "uint16", "configuration": {}}}))
            .unwrap();
        assert_eq!(t.size(), 3);
        assert_eq!(
            t.to_json(),
            json!({"name": "zarrs.optional", "configuration": {"name": "uint16", "configuration": {}}})
        );
        let nested = parse(json!({"name": "optional", "configuration": {"name": "optional",
            "configuration": {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}}}))
        .unwrap();
        assert_eq!(nested.size(), 10);
        assert_eq!(parse(nested.to_json()).unwrap(), nested);
        assert_eq!(nested.to_json()["name"], "optional");
    }

    #[test]
    fn fill_values() {
        let t = parse(json!({"name": "optional", "configuration": {"name": "int16"}})).unwrap();
        assert_eq!(t.parse_fill_value(&Value::Null).unwrap(), vec![0, 0, 0]);
        let some = t.parse_fill_value(&json!([-2])).unwrap();
        assert_eq!(some, [(-2i16).to_ne_bytes().as_slice(), &[1]].concat());
        assert_eq!(t.fill_value_to_json(&some), json!([-2]));
        assert_eq!(t.fill_value_to_json(&[0, 0, 0]), Value::Null);
        for bad in [
            json!(5),
            json!([]),
            json!([1, 2]),
            json!(["x"]),
            json!([70000]),
        ] {
            assert!(t.parse_fill_value(&bad).is_err(), "{bad}");
        }
        let nested = parse(
            json!({"name": "optional", "configuration": {"name": "optional",
            "configuration": {"name": "uint8"}}}),
        )
        .unwrap();
        assert_eq!(
            nested.parse_fill_value(&json!([null])).unwrap(),
            vec![0, 0, 1]
        );
        assert_eq!(
            nested.parse_fill_value(&json!([[42]])).unwrap(),
            vec![42, 1, 1]
        );
        assert_eq!(nested.fill_value_to_json(&[0, 0, 1]), json!([null]));
        assert_eq!(nested.fill_value_to_json(&[42, 1, 1]), json!([[42]]));
    }

    #[test]
    fn refused_configurations() {
        for bad in [
            json!({"name": "optional"}),
            json!({"name": "optional", "configuration": {}}),
            json!({"name": "optional", "configuration": {"name": 3}}),
            json!({"name": "optional", "configuration": {"name": "uint8", "extra": 1}}),
            json!({"name": "optional", "configuration": {"name": "uint8", "configuration": 1}}),
            json!({"name": "optional", "configuration": {"name": "no_such_type"}}),
            json!({"name": "optional", "configuration": {"name": "string"}}),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
        let mut deep = json!({"name": "uint8"});
        for _ in 0..40 {
            deep = json!({"name": "optional", "configuration": deep});
        }
        assert!(parse(deep).is_err());
    }
}
