//! The `ndarray` data type (zarr-extensions `data-types/ndarray`): each
//! element is itself an array of a core scalar type, of a shape pattern in
//! which `null` marks a dimension whose length varies from element to
//! element (`{"dtype": "float32", "shape": [null, 2]}`: elements of n x 2
//! floats). Ragged data: per-cell lists of records.
//!
//! Elements of a fixed shape have a fixed size and go through `bytes`
//! (little endian); elements of one variable leading dimension are
//! variable-length items, through the `vlen-ndarray` codec (vlen-bytes'
//! framing; each item a whole number of `(1, d1, ..., dk)` records).
//! Other patterns parse, but no codec here serves them. The scalars of an
//! element are in C order, and in the caller's memory in the host's byte
//! order.

use super::{DataType, MAX_ITEM_BYTES};
use crate::error::{invalid_metadata, Result};
use serde_json::{json, Value};

pub(crate) const NDARRAY: &str = "ndarray";

/// The scalar types an element may hold: the fixed-size core types.
const SCALARS: &[&str] = &[
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NdArrayType {
    scalar: DataType,
    /// The shape pattern: a length, or None for a variable dimension.
    shape: Vec<Option<u64>>,
    /// Bytes of the fixed dimensions' scalars together: a whole element
    /// of a fixed shape, one record of a variable leading dimension.
    record: usize,
}

fn bad(what: String) -> crate::error::Error {
    invalid_metadata(format!("data type \"{NDARRAY}\": {what}"))
}

impl NdArrayType {
    /// Parse the configuration `{"dtype", "shape"}` (nothing else).
    pub fn from_configuration(cfg: Option<&Value>) -> Result<NdArrayType> {
        let cfg = cfg
            .and_then(Value::as_object)
            .ok_or_else(|| bad("needs a configuration with \"dtype\" and \"shape\"".into()))?;
        if let Some(k) = cfg.keys().find(|k| *k != "dtype" && *k != "shape") {
            return Err(bad(format!("unknown configuration field \"{k}\"")));
        }
        let name = cfg
            .get("dtype")
            .and_then(Value::as_str)
            .filter(|n| SCALARS.contains(n))
            .ok_or_else(|| {
                bad(format!(
                    "\"dtype\" must be one of {} (the fixed-size core types)",
                    SCALARS.join(", ")
                ))
            })?;
        let scalar = DataType::from_name(name)?;
        let shape: Vec<Option<u64>> = match cfg.get("shape") {
            Some(Value::Array(dims)) if !dims.is_empty() => {
                dims.iter()
                    .map(|d| match d {
                        Value::Null => Ok(None),
                        d => d.as_u64().filter(|n| *n >= 1).map(Some).ok_or_else(|| {
                            bad(format!("shape member {d} is not null or a length"))
                        }),
                    })
                    .collect::<Result<_>>()?
            }
            _ => return Err(bad("\"shape\" must be a non-empty list".into())),
        };
        let t = NdArrayType {
            scalar,
            shape,
            record: 0,
        };
        let record = t
            .shape
            .iter()
            .flatten()
            .try_fold(t.scalar.size() as u64, |a, &n| a.checked_mul(n))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                bad(format!(
                    "the elements of shape {} are too large",
                    t.pattern()
                ))
            })?;
        // A fixed element's bytes are made from metadata alone (its fill
        // value); a record of a variable one never is.
        if !t.is_variable() && record > MAX_ITEM_BYTES {
            return Err(crate::error::unsupported(format!(
                "data type \"{NDARRAY}\": elements of shape {} take more than {MAX_ITEM_BYTES} \
                 bytes",
                t.pattern()
            )));
        }
        Ok(NdArrayType { record, ..t })
    }

    pub fn to_json(&self) -> Value {
        json!({"name": NDARRAY, "configuration": {"dtype": self.scalar.name(), "shape": self.shape}})
    }

    /// The shape pattern as written: `[null, 2]`.
    pub fn pattern(&self) -> String {
        serde_json::to_string(&self.shape).expect("JSON values serialize")
    }

    pub fn scalar(&self) -> &DataType {
        &self.scalar
    }

    /// Whether some dimension varies from element to element.
    pub fn is_variable(&self) -> bool {
        self.shape.contains(&None)
    }

    /// Whether the one variable dimension leads (`[null, d1, ..., dk]`):
    /// the pattern `vlen-ndarray` serves.
    pub fn is_leading_variable(&self) -> bool {
        self.shape.first() == Some(&None) && self.shape[1..].iter().all(Option::is_some)
    }

    /// Bytes of the fixed dimensions' scalars (see `record`).
    pub fn record_size(&self) -> usize {
        self.record
    }

    /// The fill element from its base64 text (little-endian scalars), in
    /// the host's byte order: an element of the fixed shape, or of a whole
    /// number of records for one variable dimension; only the empty
    /// element for more than one.
    pub fn parse_fill_value(&self, v: &Value) -> Result<Vec<u8>> {
        let bytes = match v {
            Value::String(s) => super::base64_decode(s),
            _ => None,
        }
        .ok_or_else(|| bad(format!("fill_value {v} is not base64 text")))?;
        let variable = self.shape.iter().filter(|d| d.is_none()).count();
        let fits = match variable {
            0 => bytes.len() == self.record,
            1 => bytes.len() % self.record == 0,
            _ => bytes.is_empty(),
        };
        if !fits {
            return Err(bad(format!(
                "a fill_value of {} bytes is no element of shape {} of {}",
                bytes.len(),
                self.pattern(),
                self.scalar.name()
            )));
        }
        if self.scalar == DataType::Bool && bytes.iter().any(|&b| b > 1) {
            return Err(bad("a bool fill_value byte is not 0 or 1".into()));
        }
        let mut bytes = bytes;
        if cfg!(target_endian = "big") {
            self.scalar.swap_byte_order(&mut bytes);
        }
        Ok(bytes)
    }

    /// The fill element as base64 text of little-endian scalars.
    pub fn fill_value_to_json(&self, bytes: &[u8]) -> Value {
        let mut le = bytes.to_vec();
        if cfg!(target_endian = "big") {
            self.scalar.swap_byte_order(&mut le);
        }
        super::base64_json(&le)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn parse(cfg: Value) -> Result<NdArrayType> {
        NdArrayType::from_configuration(Some(&cfg))
    }

    #[test]
    fn shape_patterns() {
        let t = parse(json!({"dtype": "float32", "shape": [null, 2]})).unwrap();
        assert!(t.is_variable() && t.is_leading_variable());
        assert_eq!(t.record_size(), 8);
        let t = parse(json!({"dtype": "int16", "shape": [3, 2]})).unwrap();
        assert!(!t.is_variable());
        assert_eq!(t.record_size(), 12);
        let t = parse(json!({"dtype": "uint8", "shape": [2, null]})).unwrap();
        assert!(t.is_variable() && !t.is_leading_variable());
        assert_eq!(t.to_json()["configuration"]["shape"], json!([2, null]));
        for cfg in [
            json!({"dtype": "float32"}),
            json!({"dtype": "float32", "shape": []}),
            json!({"dtype": "float32", "shape": [0]}),
            json!({"dtype": "float32", "shape": [2.0]}),
            json!({"dtype": "float32", "shape": [-1]}),
            json!({"dtype": "string", "shape": [2]}),
            json!({"dtype": "bfloat16", "shape": [2]}),
            json!({"dtype": "int8", "shape": [2], "order": "C"}),
            json!({"dtype": "int64", "shape": [u64::MAX, 2]}),
        ] {
            let e = parse(cfg.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}: {e}");
        }
        // Records of a variable dimension may be large; fixed elements
        // whose fill value would be large are not supported.
        let big = parse(json!({"dtype": "float64", "shape": [null, 200000]})).unwrap();
        assert_eq!(big.record_size(), 1_600_000);
        let e = parse(json!({"dtype": "int64", "shape": [1 << 20, 1 << 20]})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains("[1048576,1048576]"), "{e}");
    }

    #[test]
    fn fill_values_are_whole_elements() {
        let fixed = parse(json!({"dtype": "int16", "shape": [2]})).unwrap();
        assert_eq!(fixed.parse_fill_value(&json!("AQACAA==")).unwrap().len(), 4);
        assert!(fixed.parse_fill_value(&json!("")).is_err());
        let ragged = parse(json!({"dtype": "int16", "shape": [null, 2]})).unwrap();
        assert!(ragged.parse_fill_value(&json!("")).unwrap().is_empty());
        assert_eq!(
            ragged
                .parse_fill_value(&json!("AQACAAMABAA="))
                .unwrap()
                .len(),
            8
        );
        assert!(ragged.parse_fill_value(&json!("AQA=")).is_err());
        assert!(ragged.parse_fill_value(&json!(0)).is_err());
        let bools = parse(json!({"dtype": "bool", "shape": [2]})).unwrap();
        assert!(bools.parse_fill_value(&json!("AQA=")).is_ok());
        assert!(bools.parse_fill_value(&json!("AgI=")).is_err());
        let two = parse(json!({"dtype": "int16", "shape": [null, null]})).unwrap();
        assert!(two.parse_fill_value(&json!("")).is_ok());
        assert!(two.parse_fill_value(&json!("AQACAA==")).is_err());
        let bytes = ragged.parse_fill_value(&json!("AQACAAMABAA=")).unwrap();
        assert_eq!(ragged.fill_value_to_json(&bytes), json!("AQACAAMABAA="));
    }
}
