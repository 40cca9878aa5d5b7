//! The `struct` data type (zarr-extensions `data-types/struct`, numpy's
//! structured arrays): fixed-size records of named fields, packed in
//! declaration order with no padding.
//!
//! `{"name": "struct", "configuration": {"fields": [{"name": "x",
//! "data_type": "float32"}, ...]}}`; the legacy name `structured` and its
//! `[name, data_type]` field pairs are read too. A decoded element holds
//! each field in the host's byte order at its packed offset, so a C caller
//! reads it as a packed struct.

use super::{DataType, MAX_ITEM_BYTES};
use crate::error::{invalid_metadata, Result};
use serde_json::{Map, Value};

/// The name written to `zarr.json`.
pub(crate) const STRUCT: &str = "struct";
/// zarr-python's earlier name, read only.
pub(crate) const STRUCTURED: &str = "structured";

/// Structs nested in more levels than this (the outermost is one) are
/// refused as unsupported: metadata must not be able to drive the parser's
/// recursion arbitrarily deep.
pub(crate) const MAX_DEPTH: usize = 16;

/// One field of a struct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructField {
    pub name: String,
    pub dtype: DataType,
    /// Byte offset of the field within the element.
    pub offset: usize,
}

/// The fields of a struct, with the byte-order units of its element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructType {
    fields: Vec<StructField>,
    size: usize,
    /// The runs of multi-byte units whose bytes a change of byte order
    /// reverses, nested structs flattened, in offset order.
    swaps: Vec<SwapRun>,
}

impl StructType {
    /// Build a struct from (name, type) pairs: names non-empty and unique,
    /// types of fixed size, at least one field.
    pub fn new(fields: Vec<(String, DataType)>) -> Result<StructType> {
        if fields.is_empty() {
            return Err(invalid_metadata(
                "data type \"struct\" needs at least one field",
            ));
        }
        let mut out = Vec::with_capacity(fields.len());
        // A set, not a scan of `out`: metadata may name very many fields.
        let mut names = std::collections::HashSet::with_capacity(fields.len());
        let mut swaps = Vec::new();
        let mut offset = 0usize;
        for (name, dtype) in fields {
            if name.is_empty() {
                return Err(invalid_metadata(
                    "data type \"struct\": a field name is empty",
                ));
            }
            if !names.insert(name.clone()) {
                return Err(invalid_metadata(format!(
                    "data type \"struct\": field name \"{name}\" is used twice"
                )));
            }
            if dtype.is_variable_length() {
                return Err(invalid_metadata(format!(
                    "data type \"struct\": field \"{name}\" has the variable-length type {}",
                    dtype.name()
                )));
            }
            // An ndarray's scalars are little-endian whatever the `bytes`
            // codec says, which a struct's fields follow.
            if matches!(dtype, DataType::NdArray(_)) {
                return Err(crate::error::unsupported(format!(
                    "data type \"struct\": field \"{name}\" of type ndarray is not supported"
                )));
            }
            dtype.push_swaps(offset, &mut swaps);
            let size = dtype.size();
            out.push(StructField {
                name,
                dtype,
                offset,
            });
            offset = offset
                .checked_add(size)
                .filter(|s| *s <= MAX_ITEM_BYTES)
                .ok_or_else(|| {
                    invalid_metadata(format!(
                        "data type \"struct\": elements of more than {MAX_ITEM_BYTES} bytes are \
                         not supported"
                    ))
                })?;
        }
        Ok(StructType {
            fields: out,
            size: offset,
            swaps,
        })
    }

    /// Parse the `configuration` of a `struct` (or `structured`) data type.
    pub(crate) fn from_configuration(
        name: &str,
        cfg: Option<&Value>,
        depth: usize,
    ) -> Result<Self> {
        if depth >= MAX_DEPTH {
            return Err(crate::error::unsupported(format!(
                "data type \"{name}\": structs nested more than {MAX_DEPTH} deep are not supported"
            )));
        }
        let fields = cfg
            .and_then(|c| c.get("fields"))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                invalid_metadata(format!(
                    "data type \"{name}\" needs a configuration with a \"fields\" list"
                ))
            })?;
        let mut parsed = Vec::with_capacity(fields.len());
        for f in fields {
            // {"name", "data_type"}, or the legacy [name, data_type] pair.
            let (fname, ftype) = match f {
                Value::Object(o) => (o.get("name"), o.get("data_type")),
                Value::Array(a) if a.len() == 2 => (a.first(), a.get(1)),
                _ => (None, None),
            };
            let (Some(Value::String(fname)), Some(ftype)) = (fname, ftype) else {
                return Err(invalid_metadata(format!(
                    "data type \"{name}\": field {f} is not {{\"name\": string, \"data_type\": ...}}"
                )));
            };
            let dtype = DataType::from_json_at(ftype, depth + 1)
                .map_err(|e| e.context(format!("data type \"{name}\", field \"{fname}\"")))?;
            // Their bytes change on the way in and out, which only the
            // `bytes` codec does for whole elements; optional values go
            // through their own codec, not `bytes`.
            if dtype.sub_byte_unit().is_some() || matches!(dtype, DataType::Optional(_)) {
                return Err(crate::error::unsupported(format!(
                    "data type \"{name}\", field \"{fname}\": {} fields are not supported",
                    dtype.name()
                )));
            }
            parsed.push((fname.clone(), dtype));
        }
        StructType::new(parsed)
    }

    /// The fields, in declaration (and offset) order.
    pub fn fields(&self) -> &[StructField] {
        &self.fields
    }

    /// Bytes per element: the sum of the fields' sizes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The runs of multi-byte units of an element.
    pub fn swaps(&self) -> &[SwapRun] {
        &self.swaps
    }

    /// The `data_type` object.
    pub fn to_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|f| serde_json::json!({"name": f.name, "data_type": f.dtype.to_json()}))
            .collect();
        serde_json::json!({"name": STRUCT, "configuration": {"fields": fields}})
    }

    /// Parse a fill value: an object with every field's fill value, or
    /// (as zarr-python 3.0 wrote them) the base64 of the element's bytes,
    /// multi-byte fields little-endian.
    pub fn parse_fill_value(&self, v: &Value) -> Result<Vec<u8>> {
        match v {
            Value::Object(o) => {
                let mut out = vec![0u8; self.size];
                for f in &self.fields {
                    let fv = o.get(&f.name).ok_or_else(|| {
                        invalid_metadata(format!(
                            "struct fill_value {v} has no value for field \"{}\"",
                            f.name
                        ))
                    })?;
                    let b = f.dtype.parse_fill_value(fv).map_err(|e| {
                        e.context(format!("struct fill_value, field \"{}\"", f.name))
                    })?;
                    out[f.offset..f.offset + b.len()].copy_from_slice(&b);
                }
                // Every field was found, so more keys means one is no field.
                if o.len() > self.fields.len() {
                    let names: std::collections::HashSet<&str> =
                        self.fields.iter().map(|f| f.name.as_str()).collect();
                    let k = o.keys().find(|k| !names.contains(k.as_str()));
                    return Err(invalid_metadata(format!(
                        "struct fill_value {v} names \"{}\", which is no field",
                        k.map_or("", String::as_str)
                    )));
                }
                Ok(out)
            }
            Value::String(s) => {
                let mut b = super::base64_decode(s)
                    .filter(|b| b.len() == self.size)
                    .ok_or_else(|| {
                        invalid_metadata(format!(
                            "struct fill_value \"{s}\" is not the base64 of {} bytes",
                            self.size
                        ))
                    })?;
                if cfg!(target_endian = "big") {
                    swap_units(&mut b, &self.swaps, self.size);
                }
                Ok(b)
            }
            _ => Err(invalid_metadata(format!(
                "struct fill_value {v} is not an object of field values"
            ))),
        }
    }

    /// The JSON form of a fill value: an object of the fields' values, or
    /// the base64 of its (little-endian) bytes when the object would read
    /// back as other bytes (a `bool` byte other than 0 or 1, a UTF-32
    /// unit that is no character).
    pub fn fill_value_to_json(&self, bytes: &[u8]) -> Value {
        let mut o = Map::new();
        for f in &self.fields {
            let b = &bytes[f.offset..f.offset + f.dtype.size()];
            o.insert(f.name.clone(), f.dtype.fill_value_to_json(b));
        }
        let object = Value::Object(o);
        if self.parse_fill_value(&object).ok().as_deref() == Some(bytes) {
            return object;
        }
        let mut b = bytes.to_vec();
        if cfg!(target_endian = "big") {
            swap_units(&mut b, &self.swaps, self.size);
        }
        super::base64_json(&b)
    }
}

/// `count` units of `unit` bytes (more than one) side by side from byte
/// `offset` of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SwapRun {
    pub offset: usize,
    pub unit: usize,
    pub count: usize,
}

impl SwapRun {
    /// Add `count` units of `unit` bytes at `offset` to `runs`, joining
    /// the last run when they continue it.
    pub(crate) fn push(runs: &mut Vec<SwapRun>, offset: usize, unit: usize, count: usize) {
        if unit < 2 || count == 0 {
            return;
        }
        match runs.last_mut() {
            Some(r) if r.unit == unit && r.offset + r.unit * r.count == offset => r.count += count,
            _ => runs.push(SwapRun {
                offset,
                unit,
                count,
            }),
        }
    }
}

/// Reverse the bytes of each unit of `runs` in every `elem`-byte element
/// of `data`.
pub fn swap_units(data: &mut [u8], runs: &[SwapRun], elem: usize) {
    if runs.is_empty() || elem == 0 {
        return;
    }
    for e in data.chunks_exact_mut(elem) {
        for r in runs {
            crate::codec::bytes::swap_in_place(
                &mut e[r.offset..r.offset + r.unit * r.count],
                r.unit,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::ByteOrderUnits;
    use serde_json::json;

    fn parse(v: Value) -> Result<DataType> {
        DataType::from_json(&v)
    }

    fn point() -> Value {
        json!({"name": "struct", "configuration": {"fields": [
            {"name": "id", "data_type": "int32"},
            {"name": "flags", "data_type": "uint8"},
            {"name": "value", "data_type": "float64"},
        ]}})
    }

    /// A fill value the object form cannot hold (a bool byte of 2, a
    /// UTF-32 unit that is no character) is written as its base64, which
    /// reads back as the same bytes.
    #[test]
    fn fill_values_the_object_form_cannot_hold_go_as_base64() {
        let t = parse(json!({"name": "struct", "configuration": {"fields": [
            {"name": "a", "data_type": "bool"},
            {"name": "u", "data_type": {"name": "fixed_length_utf32", "configuration": {"length_bytes": 4}}},
        ]}}))
        .unwrap();
        let mut odd = vec![2u8];
        odd.extend(0xd800u32.to_ne_bytes());
        let v = t.fill_value_to_json(&odd);
        assert_eq!(v, json!("AgDYAAA="));
        assert_eq!(t.parse_fill_value(&v).unwrap(), odd);
        let mut plain = vec![1u8];
        plain.extend(0x61u32.to_ne_bytes());
        assert_eq!(t.fill_value_to_json(&plain), json!({"a": true, "u": "a"}));
    }

    #[test]
    fn packed_offsets_and_round_trip() {
        let t = parse(point()).unwrap();
        let DataType::Struct(s) = &t else {
            panic!("{t:?}")
        };
        let offsets: Vec<usize> = s.fields().iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [0, 4, 5]);
        assert_eq!(t.size(), 13);
        assert_eq!(t.name(), "struct");
        assert_eq!(t.to_json(), point());
        assert_eq!(parse(t.to_json()).unwrap(), t);
        assert_eq!(
            t.byte_order_units(),
            ByteOrderUnits::Runs {
                elem: 13,
                runs: &[
                    SwapRun {
                        offset: 0,
                        unit: 4,
                        count: 1
                    },
                    SwapRun {
                        offset: 5,
                        unit: 8,
                        count: 1
                    }
                ]
            }
        );
    }

    #[test]
    fn legacy_structured_and_nesting() {
        let legacy = json!({"name": "structured", "configuration": {"fields": [
            ["point", {"name": "struct", "configuration": {"fields": [
                {"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "float32"}]}}],
            ["value", "float64"],
        ]}});
        let t = parse(legacy).unwrap();
        assert_eq!(t.size(), 16);
        // Written back under the current name, fields as objects.
        assert_eq!(t.to_json()["name"], "struct");
        assert_eq!(t.to_json()["configuration"]["fields"][1]["name"], "value");
        // Two float32 then a float64: no uniform unit.
        assert!(matches!(t.byte_order_units(), ByteOrderUnits::Runs { .. }));
        let pair = parse(json!({"name": "struct", "configuration": {"fields": [
            {"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "float32"}]}}))
        .unwrap();
        assert_eq!(pair.byte_order_units(), ByteOrderUnits::Every(4));
        let bytes_only = parse(json!({"name": "struct", "configuration": {"fields": [
            {"name": "a", "data_type": "uint8"},
            {"name": "s", "data_type": {"name": "null_terminated_bytes",
                                        "configuration": {"length_bytes": 3}}}]}}))
        .unwrap();
        assert!(!bytes_only.has_byte_order());
    }

    #[test]
    fn refused_definitions() {
        let with =
            |fields: Value| parse(json!({"name": "struct", "configuration": {"fields": fields}}));
        assert!(with(json!([])).is_err());
        assert!(with(json!([{"name": "", "data_type": "int8"}])).is_err());
        assert!(with(
            json!([{"name": "a", "data_type": "int8"}, {"name": "a", "data_type": "int16"}])
        )
        .is_err());
        assert!(with(json!([{"name": "a", "data_type": "string"}])).is_err());
        assert!(with(json!([{"name": "a"}])).is_err());
        assert!(with(json!([{"name": "a", "data_type": "int7"}])).is_err());
        assert!(with(json!(["a", "int8"])).is_err());
        assert!(parse(json!({"name": "struct"})).is_err());
        // MAX_DEPTH levels of structs, and one more.
        let mut t = json!("int8");
        for _ in 0..MAX_DEPTH {
            t = json!({"name": "struct", "configuration": {"fields": [{"name": "f", "data_type": t}]}});
        }
        assert_eq!(parse(t.clone()).unwrap().size(), 1);
        let t =
            json!({"name": "struct", "configuration": {"fields": [{"name": "f", "data_type": t}]}});
        let e = parse(t).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Unsupported, "{e}");
        assert!(e.to_string().contains("nested"), "{e}");
        // Elements past MAX_ITEM_BYTES.
        let big = json!({"name": "raw_bytes", "configuration": {"length_bytes": MAX_ITEM_BYTES}});
        assert!(
            with(json!([{"name": "a", "data_type": big}, {"name": "b", "data_type": "int8"}]))
                .is_err()
        );
    }

    #[test]
    fn fill_values() {
        let t = parse(point()).unwrap();
        let v = json!({"id": -2, "flags": 7, "value": "NaN"});
        let b = t.parse_fill_value(&v).unwrap();
        assert_eq!(&b[..4], &(-2i32).to_ne_bytes());
        assert_eq!(b[4], 7);
        assert_eq!(&b[5..], &f64::NAN.to_ne_bytes());
        assert_eq!(t.fill_value_to_json(&b), v);
        // zarr-python 3.0's form: base64 of the little-endian bytes.
        let mut le = (-2i32).to_le_bytes().to_vec();
        le.push(7);
        le.extend(f64::NAN.to_le_bytes());
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&le);
        assert_eq!(t.parse_fill_value(&json!(b64)).unwrap(), b);
        // Every field, and nothing else.
        assert!(t.parse_fill_value(&json!({"id": 1, "flags": 0})).is_err());
        assert!(t
            .parse_fill_value(&json!({"id": 1, "flags": 0, "value": 0.0, "extra": 1}))
            .is_err());
        assert!(t
            .parse_fill_value(&json!({"id": 1, "flags": 256, "value": 0.0}))
            .is_err());
        assert!(t.parse_fill_value(&json!(0)).is_err());
        assert!(t.parse_fill_value(&json!("AAAA")).is_err());
    }

    #[test]
    fn swap_units_reverses_each_field() {
        let t = parse(point()).unwrap();
        let mut native = (0x01020304i32).to_ne_bytes().to_vec();
        native.push(9);
        native.extend(1.5f64.to_ne_bytes());
        let mut two = native.clone();
        two.extend(&native);
        let mut swapped = two.clone();
        t.swap_byte_order(&mut swapped);
        let mut want = (0x01020304i32).swap_bytes().to_ne_bytes().to_vec();
        want.push(9);
        want.extend(1.5f64.to_bits().swap_bytes().to_ne_bytes());
        assert_eq!(&swapped[..13], &want[..]);
        assert_eq!(&swapped[13..], &want[..]);
        t.swap_byte_order(&mut swapped);
        assert_eq!(swapped, two);
    }
}
