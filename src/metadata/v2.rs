//! Zarr v2 metadata (`.zarray`, `.zgroup`, `.zattrs`).
//!
//! A v2 array is opened by translating its `.zarray` into the v3 document
//! that describes the same stored bytes, and validating that like any
//! `zarr.json`: the v2 key encoding with the array's separator, `order`
//! "F" as a `transpose` to the reversed axes (a v2 chunk in Fortran order
//! is the C-order chunk of the transposed array), the data type's byte
//! order as the `bytes` codec's `endian`, the array->array filters
//! (`delta`, `fixedscaleoffset`, `astype`, `bitround`, `quantize`,
//! `packbits`) before `bytes` and the other filters and the compressor as
//! the bytes->bytes codecs they are (numcodecs' ids as the `numcodecs.*`
//! codecs, but for the Zarr codecs of the same format: `zstd`, `gzip`,
//! `blosc`). A `pcodec` or `zfpy` compressor compresses the numbers
//! themselves, so it stands where `bytes` would (`numcodecs.pcodec`,
//! `numcodecs.zfpy`, array->bytes codecs); after a byte-level filter, or
//! of big-endian numbers, it is unsupported.
//! The engine then reads v2 chunks through the same paths as v3 ones.

use super::{parse_object, ArrayMetadata, Attributes};
use crate::dtype::{
    FIXED_UTF32, MAX_ITEM_BYTES, MAX_STRUCT_DEPTH, NDARRAY, NULL_TERMINATED_BYTES, RAW_BYTES,
    STRUCT,
};
use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::{json, Map, Value};

/// The attributes in `.zattrs` text (absent: none).
pub fn parse_zattrs(text: Option<&[u8]>) -> Result<Attributes> {
    match text {
        None => Ok(Attributes::default()),
        Some(t) => Attributes::parse(t, ".zattrs"),
    }
}

/// Whether metadata text is a Zarr v2 document (`"zarr_format": 2`);
/// false for anything else, malformed text included, which the v3 parser
/// then reports.
pub fn is_v2_document(text: &[u8]) -> bool {
    parse_object(text, "metadata")
        .is_ok_and(|o| o.get("zarr_format").and_then(Value::as_u64) == Some(2))
}

/// The `.zarray` text to store for a v2 array created from `text`, and the
/// array it opens as: every member the v2 specification requires must be
/// there (zarr-python reads nothing less).
pub fn zarray_to_write(text: &[u8]) -> Result<(String, ArrayMetadata)> {
    let o = parse_object(text, ".zarray")?;
    for k in [
        "zarr_format",
        "shape",
        "chunks",
        "dtype",
        "compressor",
        "fill_value",
        "order",
        "filters",
    ] {
        if !o.contains_key(k) {
            return Err(invalid_metadata(format!(".zarray has no \"{k}\"")));
        }
    }
    check_for_writing(&o)?;
    let text = super::pretty(&Value::Object(o));
    let meta = array_from_zarray(text.as_bytes(), None)?;
    Ok((text, meta))
}

/// The numcodecs configuration keys of each codec this module maps
/// (besides "id"): what numcodecs' constructors take.
fn numcodecs_keys(id: &str) -> Option<&'static [&'static str]> {
    Some(match id {
        "zstd" => &["level", "checksum"],
        "gzip" | "zlib" | "bz2" => &["level"],
        "blosc" => &["cname", "clevel", "shuffle", "blocksize", "typesize"],
        "lz4" => &["acceleration"],
        "lzma" => &["format", "check", "preset", "filters"],
        "shuffle" => &["elementsize"],
        "delta" => &["dtype", "astype"],
        "fixedscaleoffset" => &["offset", "scale", "dtype", "astype"],
        "astype" => &["encode_dtype", "decode_dtype"],
        "quantize" => &["digits", "dtype", "astype"],
        "bitround" => &["keepbits"],
        "crc32" | "crc32c" | "adler32" => &["location"],
        "jenkins_lookup3" => &["initval", "prefix"],
        "packbits" | "fletcher32" | "vlen-utf8" | "vlen-bytes" => &[],
        "vlen-array" => &["dtype"],
        "pcodec" => crate::codec::pcodec::CONFIG_KEYS,
        "zfpy" => crate::codec::zfpy::CONFIG_KEYS,
        _ => return None,
    })
}

/// What a `.zarray` zarrio writes must hold beyond what it reads: the
/// reader forgives forms of old writers (unknown codec keys, a null
/// separator, native byte order, Zarr v3's fill value spellings), which
/// zarr-python refuses to open, so an array zarrio writes with them could
/// not be read elsewhere.
fn check_for_writing(o: &Map<String, Value>) -> Result<()> {
    let bad =
        |what: String| invalid_metadata(format!(".zarray: {what}, which zarr-python cannot read"));
    fn typestrs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(fields) => {
                for f in fields {
                    if let Some(t) = f.get(1) {
                        typestrs(t, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut types = Vec::new();
    typestrs(o.get("dtype").unwrap_or(&Value::Null), &mut types);
    if let Some(t) = types.iter().find(|t| !t.starts_with(['<', '>', '|'])) {
        return Err(bad(format!(
            "dtype \"{t}\" has no byte order '<', '>' or '|'"
        )));
    }
    if let Some(sep) = o.get("dimension_separator") {
        if sep != "." && sep != "/" {
            return Err(bad(format!("dimension_separator {sep}")));
        }
    }
    let filters = o.get("filters").and_then(Value::as_array);
    let codecs = filters.into_iter().flatten().chain(o.get("compressor"));
    for c in codecs.filter(|c| !c.is_null()) {
        let id = c.get("id").and_then(Value::as_str).unwrap_or("");
        let Some(keys) = numcodecs_keys(id) else {
            continue; // the reader refuses it
        };
        if let Some(k) = c
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .find(|k| *k != "id" && !keys.contains(&k.as_str()))
        {
            return Err(bad(format!("codec \"{id}\" has the key \"{k}\"")));
        }
    }
    let dtype = o.get("dtype").and_then(Value::as_str).unwrap_or("");
    let fill = o.get("fill_value").unwrap_or(&Value::Null);
    if dtype == "|O" {
        let ids: Vec<&str> = filters
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("id").and_then(Value::as_str))
            .collect();
        if ids.contains(&"shuffle") {
            return Err(bad("a shuffle filter on variable-length items".into()));
        }
        // zarr-python takes a number as the text of a string's fill, not
        // of a bytes item's.
        if ids.first() == Some(&"vlen-bytes") && !(fill.is_null() || fill.is_string()) {
            return Err(bad(format!("fill_value {fill} for bytes items")));
        }
    }
    if o.get("dtype").is_some_and(Value::is_array) && !(fill.is_null() || fill.is_string()) {
        return Err(bad(format!(
            "fill_value {fill} for a structured dtype (base64 text or null)"
        )));
    }
    if dtype.get(1..2).is_some_and(|k| k == "f" || k == "c") {
        if let Value::String(s) = fill {
            if !matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") {
                return Err(invalid_metadata(format!(
                    ".zarray: fill_value \"{s}\" is not a number, \"NaN\", \"Infinity\" or \"-Infinity\""
                )));
            }
        }
    }
    Ok(())
}

/// Check a `.zgroup` document.
pub fn check_zgroup(text: &[u8]) -> Result<()> {
    let o = parse_object(text, ".zgroup")?;
    check_v2_format(&o, ".zgroup")
}

fn check_v2_format(o: &Map<String, Value>, what: &str) -> Result<()> {
    match o.get("zarr_format") {
        Some(v) if v.as_u64() == Some(2) => Ok(()),
        Some(v) => Err(invalid_metadata(format!(
            "{what}: zarr_format {v} is not 2"
        ))),
        None => Err(invalid_metadata(format!("{what} has no zarr_format"))),
    }
}

/// `parse_dtype`'s name for `|O`, which the filters make a v3 type.
const OBJECT: &str = "object";

/// A v2 data type: the v3 name and the `bytes` codec's endian (None for
/// one-byte and raw types).
struct V2Type {
    name: String,
    endian: Option<&'static str>,
    size: usize,
    /// The v3 `data_type` when it is an object with a configuration.
    json: Option<Value>,
}

fn parse_dtype(v: &Value) -> Result<V2Type> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Array(fields) => return parse_structured(fields, 0),
        _ => {
            return Err(invalid_metadata(format!(
                ".zarray: dtype {v} is not a string"
            )))
        }
    };
    let bad = || invalid_metadata(format!(".zarray: malformed dtype \"{s}\""));
    let mut chars = s.chars();
    let order = chars.next().ok_or_else(bad)?;
    let kind = chars.next().ok_or_else(bad)?;
    let rest = chars.as_str();
    let endian = match order {
        '<' => Some("little"),
        '>' => Some("big"),
        '|' => None,
        // numpy's "native": every platform this library builds for.
        '=' => Some(if cfg!(target_endian = "big") {
            "big"
        } else {
            "little"
        }),
        _ => return Err(bad()),
    };
    match kind {
        // Python objects: variable-length items, with a vlen filter.
        'O' if rest.is_empty() => {
            return Ok(V2Type {
                name: OBJECT.into(),
                endian: None,
                size: 0,
                json: None,
            })
        }
        'O' => return Err(bad()),
        // datetime64 / timedelta64: int64 counts of a unit.
        'M' | 'm' => {
            let bracket = rest
                .strip_prefix('8')
                .and_then(|r| match r {
                    "" => Some(""),
                    r => r.strip_prefix('[').and_then(|r| r.strip_suffix(']')),
                })
                .ok_or_else(bad)?;
            let (unit, scale) = crate::time_unit::parse_bracket(bracket)?;
            let name = if kind == 'M' {
                "numpy.datetime64"
            } else {
                "numpy.timedelta64"
            };
            return Ok(V2Type {
                name: name.into(),
                endian: Some(endian.ok_or_else(bad)?),
                size: 8,
                json: Some(json!({"name": name, "configuration": {
                    "unit": unit.name(), "scale_factor": scale,
                }})),
            });
        }
        _ => {}
    }
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let size: usize = rest.parse().map_err(|_| bad())?;
    let name = match (kind, size) {
        ('b', 1) => "bool".to_string(),
        ('i', 1 | 2 | 4 | 8) => format!("int{}", size * 8),
        ('u', 1 | 2 | 4 | 8) => format!("uint{}", size * 8),
        ('f', 2 | 4 | 8) => format!("float{}", size * 8),
        ('c', 8 | 16) => format!("complex{}", size * 8),
        // Fixed-size bytes and void, as zarr-python names them in v3.
        // Items past MAX_ITEM_BYTES are refused before anything of their
        // size is built.
        ('S' | 'V', n) if n > MAX_ITEM_BYTES => {
            return Err(unsupported(format!(
            ".zarray: dtype \"{s}\": items of more than {MAX_ITEM_BYTES} bytes are not supported"
        )))
        }
        ('S', n) if n > 0 => NULL_TERMINATED_BYTES.into(),
        ('V', n) if n > 0 => RAW_BYTES.into(),
        // Fixed-length unicode: n UTF-32 code units.
        ('U', n) if n > MAX_ITEM_BYTES / 4 => {
            return Err(unsupported(format!(
            ".zarray: dtype \"{s}\": items of more than {MAX_ITEM_BYTES} bytes are not supported"
        )))
        }
        ('U', n) if n > 0 => FIXED_UTF32.into(),
        _ => return Err(bad()),
    };
    let size = if kind == 'U' { 4 * size } else { size };
    let endian = if size == 1 || kind == 'S' || kind == 'V' {
        None
    } else {
        Some(endian.ok_or_else(|| {
            invalid_metadata(format!(
                ".zarray: dtype \"{s}\" has {size}-byte elements but no byte order"
            ))
        })?)
    };
    let json = [FIXED_UTF32, NULL_TERMINATED_BYTES, RAW_BYTES]
        .contains(&name.as_str())
        .then(|| json!({"name": name, "configuration": {"length_bytes": size}}));
    Ok(V2Type {
        name,
        endian,
        size,
        json,
    })
}

fn is_variable_length(t: &V2Type) -> bool {
    t.name == "string" || t.name == "variable_length_bytes" || t.name == NDARRAY
}

/// The v3 type of the items numcodecs' `VLenArray` filter (`{"id":
/// "vlen-array", "dtype": "<f8"}`) stores: one-dimensional arrays of
/// its numbers, the `ndarray` type with one variable dimension, whose
/// `vlen-ndarray` codec frames items as `VLenArray` does (a count, then
/// each item's length in bytes and its bytes). Items of big-endian
/// numbers are not supported (`vlen-ndarray` stores little endian).
fn ragged_type(filter: &Value) -> Result<Value> {
    let dtype = filter
        .get("dtype")
        .ok_or_else(|| invalid_metadata(".zarray: the vlen-array filter has no \"dtype\""))?;
    let item = parse_dtype(dtype)?;
    let numeric = ["bool", "int", "uint", "float", "complex"]
        .iter()
        .any(|p| item.name.starts_with(p));
    if !numeric || item.json.is_some() {
        return Err(unsupported(format!(
            ".zarray: vlen-array items of dtype {dtype} are not supported (numbers are)"
        )));
    }
    if item.endian == Some("big") {
        return Err(unsupported(format!(
            ".zarray: vlen-array items of big-endian numbers ({dtype}) are not supported"
        )));
    }
    Ok(json!({"name": NDARRAY, "configuration": {"dtype": item.name, "shape": [null]}}))
}

/// A structured dtype, `[[name, dtype], ...]` (`depth` structs deep), as
/// the v3 `struct` type. Its fields share one byte order, which becomes
/// the `bytes` codec's.
fn parse_structured(fields: &[Value], depth: usize) -> Result<V2Type> {
    // As deep as the v3 parser then takes it.
    if depth >= MAX_STRUCT_DEPTH {
        return Err(unsupported(format!(
            ".zarray: structured dtypes nested more than {MAX_STRUCT_DEPTH} deep are not supported"
        )));
    }
    let mut v3_fields = Vec::with_capacity(fields.len());
    let mut endian = None;
    let mut size = 0usize;
    for (i, f) in fields.iter().enumerate() {
        let (name, ftype) = match f.as_array().map(Vec::as_slice) {
            // numpy names a field without a name (the padding of an
            // aligned struct, as zarr-python 2 wrote it) by its place.
            Some([Value::String(n), t]) if n.is_empty() => (format!("f{i}"), t),
            Some([Value::String(n), t]) => (n.clone(), t),
            Some([Value::String(_), _, _]) => {
                return Err(unsupported(format!(
                    ".zarray: structured dtype field {f}: fields of subarrays are not supported"
                )))
            }
            _ => {
                return Err(invalid_metadata(format!(
                    ".zarray: structured dtype field {f} is not [name, dtype]"
                )))
            }
        };
        let t = match ftype {
            Value::Array(inner) => parse_structured(inner, depth + 1)?,
            t => parse_dtype(t)?,
        };
        if t.name == OBJECT {
            return Err(unsupported(format!(
                ".zarray: structured dtype field \"{name}\": object fields are not supported"
            )));
        }
        match (endian, t.endian) {
            (Some(a), Some(b)) if a != b => return Err(unsupported(
                ".zarray: structured dtypes whose fields differ in byte order are not supported",
            )),
            (None, e) => endian = e,
            _ => {}
        }
        size = size.saturating_add(t.size);
        let dtype = t.json.unwrap_or(Value::String(t.name));
        v3_fields.push(json!({"name": name, "data_type": dtype}));
    }
    Ok(V2Type {
        name: STRUCT.into(),
        endian,
        size,
        json: Some(json!({"name": STRUCT, "configuration": {"fields": v3_fields}})),
    })
}

/// A structured dtype's v2 fill value (base64 of the element's bytes in
/// the stored byte order; null: zeros) as v3's base64 form, its fields
/// little-endian: every byte kept, where the object of field values would
/// lose those JSON cannot say (a bool byte of 2, a UTF-32 unit that is no
/// character).
fn struct_fill_value(v: Option<&Value>, t: &V2Type) -> Result<Value> {
    let dtype = crate::dtype::DataType::from_json(t.json.as_ref().expect("a struct's JSON"))
        .map_err(|e| e.context(".zarray"))?;
    let mut bytes = match v {
        // zarr-python 2 took a fill value of 0 as zeros.
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Vec::new(),
        Some(Value::String(s)) => crate::dtype::base64_decode(s).ok_or_else(|| {
            invalid_metadata(format!(".zarray: fill_value \"{s}\" is not base64"))
        })?,
        Some(other) => {
            return Err(invalid_metadata(format!(
                ".zarray: fill_value {other} of a structured dtype is not base64 text"
            )))
        }
    };
    if bytes.len() > dtype.size() {
        return Err(invalid_metadata(format!(
            ".zarray: fill_value is {} bytes, longer than the {}-byte item",
            bytes.len(),
            dtype.size()
        )));
    }
    bytes.resize(dtype.size(), 0);
    if t.endian == Some("big") {
        dtype.swap_byte_order(&mut bytes);
    }
    Ok(crate::dtype::base64_json(&bytes))
}

/// The v3 `fill_value` for a v2 one. `null` (no fill value) reads as
/// zeros, as zarr-python reads it.
fn fill_value(v: Option<&Value>, t: &V2Type) -> Result<Value> {
    if t.name == STRUCT {
        return struct_fill_value(v, t);
    }
    let zero = || -> Value {
        if t.name == FIXED_UTF32 || t.name == NULL_TERMINATED_BYTES || t.name == RAW_BYTES {
            "".into()
        } else if t.name.starts_with("numpy.") {
            // datetime64 / timedelta64: zarr-python's default is NaT.
            "NaT".into()
        } else if t.name == "bool" {
            false.into()
        } else if t.name.starts_with("complex") {
            json!([0.0, 0.0])
        } else {
            0.into()
        }
    };
    match v {
        // An empty string is base64 of nothing: zeros, as "" is for `U`.
        None | Some(Value::Null) => Ok(zero()),
        Some(Value::Number(n)) if t.name == "bool" => match n.as_u64() {
            Some(0) => Ok(false.into()),
            Some(1) => Ok(true.into()),
            _ => Err(invalid_metadata(format!(
                ".zarray: fill_value {n} is not a bool"
            ))),
        },
        Some(other) => Ok(other.clone()),
    }
}

/// The v3 codec for a numcodecs `{"id": ...}` object (a filter or the
/// compressor).
/// `elem` is the size of the elements it is given (blosc's typesize).
fn numcodec(v: &Value, elem: usize, what: &str) -> Result<Value> {
    let o = v
        .as_object()
        .ok_or_else(|| invalid_metadata(format!(".zarray: {what} {v} is not an object")))?;
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_metadata(format!(".zarray: {what} {v} has no string \"id\"")))?;
    let mut cfg = o.clone();
    cfg.remove("id");
    let level = || cfg.get("level").cloned().unwrap_or(1.into());
    let codec = match id {
        "zstd" | "gzip" | "blosc" => {
            crate::codec::numcodecs_alias::zarr_spec(id, &cfg, elem.max(1))
                .map_err(|e| e.context(".zarray"))?
        }
        "zlib" => json!({"name": "numcodecs.zlib", "configuration": {"level": level()}}),
        "lz4" => json!({"name": "numcodecs.lz4", "configuration": {
            "acceleration": cfg.get("acceleration").cloned().unwrap_or(1.into()),
        }}),
        "bz2" => json!({"name": "numcodecs.bz2", "configuration": {"level": level()}}),
        "lzma" => {
            // numcodecs writes null for an unset preset and filter chain;
            // the codec takes them as absent.
            cfg.retain(|_, v| !v.is_null());
            json!({"name": "numcodecs.lzma", "configuration": cfg})
        }
        // numcodecs' Shuffle() shuffles 4-byte elements unless told.
        "shuffle" => json!({"name": "numcodecs.shuffle", "configuration": {
            "elementsize": cfg.get("elementsize").cloned().unwrap_or(4.into()),
        }}),
        // numcodecs' checksums, as filters or the compressor.
        "crc32" | "adler32" | "crc32c" | "fletcher32" | "jenkins_lookup3" => {
            cfg.retain(|_, v| !v.is_null());
            json!({"name": format!("numcodecs.{id}"), "configuration": cfg})
        }
        other => {
            return Err(unsupported(format!(
                ".zarray: {what} \"{other}\" is not supported"
            )))
        }
    };
    Ok(codec)
}

/// The byte order a numpy type string states (None: one byte, or `|`).
fn typestr_endian(s: &str) -> Option<&'static str> {
    let one_byte = s.get(2..) == Some("1");
    match s.chars().next() {
        _ if one_byte => None,
        Some('<') => Some("little"),
        Some('>') => Some("big"),
        Some('=') => Some(if cfg!(target_endian = "big") {
            "big"
        } else {
            "little"
        }),
        _ => None,
    }
}

/// An array->array filter (`delta`, `fixedscaleoffset`, `astype`,
/// `bitround`, `quantize` or `packbits`) as its v3 codec, and
/// the byte order of the type it stores; None for other filters.
/// `input_endian` is the byte order of the data it is applied to, which
/// its decoded type must state: numcodecs would otherwise reinterpret the
/// bytes, which this translation does not.
/// The third value is the size of the elements it stores, when it
/// changes it (blosc's typesize after it, as numcodecs takes it from the
/// array it is given).
#[allow(clippy::type_complexity)]
fn numeric_filter(
    f: &Value,
    input_endian: Option<&'static str>,
) -> Result<Option<(Value, Option<&'static str>, Option<usize>)>> {
    let Some(o) = f.as_object() else {
        return Ok(None);
    };
    // Filters that keep the element type (the lossy float ones), and
    // packbits, which stores bytes.
    let mut cfg = o.clone();
    cfg.remove("id");
    cfg.retain(|_, v| !v.is_null());
    match o.get("id").and_then(Value::as_str) {
        Some(id @ ("bitround" | "quantize")) => {
            let codec = json!({"name": format!("numcodecs.{id}"), "configuration": cfg});
            return Ok(Some((codec, input_endian, None)));
        }
        Some("packbits") => {
            let codec = json!({"name": "numcodecs.packbits", "configuration": cfg});
            return Ok(Some((codec, None, Some(1))));
        }
        _ => {}
    }
    let (name, decoded_key, encoded_key) = match o.get("id").and_then(Value::as_str) {
        Some("delta") => ("numcodecs.delta", "dtype", "astype"),
        Some("fixedscaleoffset") => ("numcodecs.fixedscaleoffset", "dtype", "astype"),
        Some("astype") => ("numcodecs.astype", "decode_dtype", "encode_dtype"),
        _ => return Ok(None),
    };
    let typ = |k: &str| o.get(k).and_then(Value::as_str);
    let decoded = typ(decoded_key).ok_or_else(|| {
        invalid_metadata(format!(
            ".zarray: filter {f} has no string \"{decoded_key}\""
        ))
    })?;
    if typestr_endian(decoded) != input_endian {
        return Err(unsupported(format!(
            ".zarray: filter {f}: its \"{decoded_key}\" has another byte order than its input"
        )));
    }
    let encoded = typ(encoded_key).unwrap_or(decoded);
    // An encoded type it does not know is refused when the codec is built.
    let size = crate::codec::numeric::parse_typestr(
        name,
        encoded_key,
        o.get(encoded_key).or(o.get(decoded_key)),
    )
    .ok()
    .map(|t| t.size());
    Ok(Some((
        json!({"name": name, "configuration": cfg}),
        typestr_endian(encoded),
        size,
    )))
}

/// Translate `.zarray` (and `.zattrs`) into array metadata. The result
/// keeps the `.zarray` document, which marks the array as v2.
pub fn array_from_zarray(zarray: &[u8], zattrs: Option<&[u8]>) -> Result<ArrayMetadata> {
    let o = parse_object(zarray, ".zarray")?;
    check_v2_format(&o, ".zarray")?;
    let get = |k: &str| {
        o.get(k)
            .ok_or_else(|| invalid_metadata(format!(".zarray has no \"{k}\"")))
    };
    let shape = get("shape")?.clone();
    let chunks = get("chunks")?.clone();
    let t = parse_dtype(get("dtype")?)?;
    let ndim = shape.as_array().map_or(0, Vec::len);
    let separator = match o.get("dimension_separator") {
        None | Some(Value::Null) => ".",
        Some(Value::String(s)) if s == "." || s == "/" => s.as_str(),
        Some(s) => {
            return Err(invalid_metadata(format!(
                ".zarray: dimension_separator {s} must be \".\" or \"/\""
            )))
        }
    };
    let mut codecs = Vec::new();
    match o.get("order").and_then(Value::as_str) {
        Some("C") => {}
        Some("F") => {
            if ndim > 1 {
                let order: Vec<usize> = (0..ndim).rev().collect();
                codecs.push(json!({"name": "transpose", "configuration": {"order": order}}));
            }
        }
        _ => {
            return Err(invalid_metadata(
                ".zarray: \"order\" must be \"C\" or \"F\"",
            ))
        }
    }
    // Numeric filters are array->array codecs before `bytes`, which then
    // stores the last one's type in that type's byte order; the others
    // (shuffle) are bytes->bytes after it.
    let mut filters = match o.get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(fs)) => fs.clone(),
        Some(f) => {
            return Err(invalid_metadata(format!(
                ".zarray: filters {f} is not null or a list"
            )))
        }
    };
    // Objects are variable-length items, which the first filter encodes:
    // the v3 `vlen-*` codec of the matching data type takes its place.
    let mut t = t;
    let mut fill = o.get("fill_value").cloned();
    if t.name == OBJECT {
        let id = filters
            .first()
            .and_then(|f| f.get("id"))
            .and_then(Value::as_str);
        let (name, codec) = match id {
            Some("vlen-utf8") => ("string", "vlen-utf8"),
            Some("vlen-bytes") => ("variable_length_bytes", "vlen-bytes"),
            Some("vlen-array") => (NDARRAY, crate::codec::vlen::NDARRAY),
            _ => {
                return Err(unsupported(format!(
                    ".zarray: dtype \"|O\" with filters {} is not supported (vlen-utf8, \
                     vlen-bytes and vlen-array are)",
                    o.get("filters").unwrap_or(&Value::Null)
                )))
            }
        };
        if name == NDARRAY {
            t.json = Some(ragged_type(&filters[0])?);
        }
        filters.remove(0);
        t.name = name.into();
        // zarr-python 2 wrote 0 (its default) or null for object arrays;
        // zarr-python 3 reads a number as its text and null as empty.
        fill = Some(match fill {
            Some(Value::String(s)) if name != NDARRAY => Value::String(s),
            Some(Value::Number(n)) if name == "string" => Value::String(n.to_string()),
            // A ragged array's fill is an empty item.
            _ => "".into(),
        });
        codecs.push(json!({"name": codec}));
    }
    let mut stored_endian = t.endian;
    let mut stored_size = t.size;
    let mut after_bytes = Vec::new();
    for f in &filters {
        match numeric_filter(f, stored_endian)? {
            Some((codec, endian, size)) if after_bytes.is_empty() => {
                codecs.push(codec);
                stored_endian = endian;
                stored_size = size.unwrap_or(stored_size);
            }
            Some(_) => {
                return Err(unsupported(
                    ".zarray: a numeric filter after a byte-level filter is not supported",
                ))
            }
            None => {
                after_bytes.push(numcodec(f, stored_size, "filter")?);
                // numcodecs' byte-level filters (shuffle, the checksums)
                // hand on bytes: blosc after them compresses 1-byte items.
                stored_size = 1;
            }
        }
    }
    let compressor = o.get("compressor").filter(|c| !c.is_null());
    // pcodec and zfpy compress the numbers themselves: they take the
    // place of `bytes` (array->bytes codecs, as zarr-python 3 names them
    // in v3).
    let array_codec = match compressor.and_then(|c| c.get("id")).and_then(Value::as_str) {
        Some("pcodec") => Some(crate::codec::pcodec::NAME),
        Some("zfpy") => Some(crate::codec::zfpy::NAME),
        _ => None,
    };
    if array_codec.is_some() && (!after_bytes.is_empty() || stored_endian == Some("big")) {
        return Err(unsupported(format!(
            ".zarray: {} after a byte-level filter, or of big-endian numbers, is not supported",
            array_codec.unwrap_or_default()
        )));
    }
    if !is_variable_length(&t) {
        codecs.push(match (array_codec, stored_endian, compressor) {
            (Some(name), _, Some(Value::Object(c))) => {
                let mut cfg = c.clone();
                cfg.remove("id");
                json!({"name": name, "configuration": cfg})
            }
            (_, Some(e), _) => json!({"name": "bytes", "configuration": {"endian": e}}),
            _ => json!({"name": "bytes"}),
        });
    }
    codecs.extend(after_bytes);
    match compressor {
        Some(c) if array_codec.is_none() || is_variable_length(&t) => {
            codecs.push(numcodec(c, stored_size, "compressor")?)
        }
        _ => {}
    }
    let v3 = json!({
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": t.json.clone().unwrap_or_else(|| Value::String(t.name.clone())),
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "v2", "configuration": {"separator": separator}},
        "fill_value": fill_value(fill.as_ref(), &t)?,
        "codecs": codecs,
    });
    let Value::Object(v3) = v3 else {
        unreachable!("json! of an object literal")
    };
    let mut meta =
        ArrayMetadata::from_object(&v3, parse_zattrs(zattrs)?).map_err(|e| e.context(".zarray"))?;
    meta.v2 = Some(o);
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn zarray(extra: Value) -> Vec<u8> {
        let mut o = json!({
            "zarr_format": 2, "shape": [10, 7], "chunks": [4, 3], "dtype": "<i2",
            "compressor": null, "fill_value": 0, "order": "C", "filters": null
        });
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        serde_json::to_vec(&o).unwrap()
    }

    fn v3(extra: Value) -> Result<Value> {
        Ok(array_from_zarray(&zarray(extra), None)?.v3_json())
    }

    #[test]
    fn translates_types_orders_and_codecs() {
        let m = v3(json!({"dtype": ">f8", "order": "F", "dimension_separator": "/",
            "compressor": {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0},
            "filters": [{"id": "shuffle", "elementsize": 8}], "fill_value": "NaN"}))
        .unwrap();
        assert_eq!(m["data_type"], "float64");
        assert_eq!(m["fill_value"], "NaN");
        assert_eq!(m["chunk_key_encoding"]["configuration"]["separator"], "/");
        let names: Vec<&str> = m["codecs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["transpose", "bytes", "numcodecs.shuffle", "blosc"],
            "{m}"
        );
        assert_eq!(m["codecs"][0]["configuration"]["order"], json!([1, 0]));
        assert_eq!(m["codecs"][1]["configuration"]["endian"], "big");
        assert_eq!(m["codecs"][3]["configuration"]["shuffle"], "bitshuffle");
        assert_eq!(m["codecs"][3]["configuration"]["typesize"], 1);
        let m = v3(
            json!({"dtype": "<f8", "compressor": {"id": "blosc", "cname": "lz4",
            "clevel": 5, "shuffle": 1}}),
        )
        .unwrap();
        assert_eq!(m["codecs"][1]["configuration"]["typesize"], 8);
    }

    #[test]
    fn null_fill_is_zero_and_bytes_fill_is_padded() {
        let m = v3(json!({"fill_value": null})).unwrap();
        assert_eq!(m["fill_value"], 0);
        let m = array_from_zarray(&zarray(json!({"dtype": "|S4", "fill_value": "YWI="})), None)
            .unwrap();
        assert_eq!(m.fill_value, b"ab\0\0");
        assert_eq!(m.data_type.name(), "null_terminated_bytes");
        let m =
            array_from_zarray(&zarray(json!({"dtype": "|V3", "fill_value": null})), None).unwrap();
        assert_eq!(
            (m.data_type.name().as_str(), m.fill_value.as_slice()),
            ("raw_bytes", &[0u8; 3][..])
        );
        let m = array_from_zarray(&zarray(json!({"dtype": "|b1", "fill_value": 1})), None).unwrap();
        assert_eq!(m.fill_value, [1]);
    }

    #[test]
    fn structured_dtypes() {
        use crate::dtype::DataType;
        // Big-endian fields, one nested struct, a bytes field; the fill
        // value is base64 of the element in the stored byte order.
        let mut stored = 0x0102i16.to_be_bytes().to_vec();
        stored.extend([7u8]);
        stored.extend(0x0304u16.to_be_bytes());
        stored.extend(*b"xy\0");
        let fill = base64::engine::general_purpose::STANDARD.encode(&stored);
        let dtype = json!([
            ["a", ">i2"],
            ["b", [["x", "|u1"], ["y", ">u2"]]],
            ["c", "|S3"]
        ]);
        let m = v3(json!({"dtype": dtype, "fill_value": fill})).unwrap();
        assert_eq!(m["data_type"]["name"], "struct");
        assert_eq!(
            m["data_type"]["configuration"]["fields"][1]["data_type"]["name"],
            "struct"
        );
        assert_eq!(
            m["codecs"][0],
            json!({"name": "bytes", "configuration": {"endian": "big"}})
        );
        assert_eq!(
            m["fill_value"],
            json!({"a": 0x0102, "b": {"x": 7, "y": 0x0304}, "c": "eHk="})
        );
        let a =
            array_from_zarray(&zarray(json!({"dtype": dtype, "fill_value": fill})), None).unwrap();
        let mut native = 0x0102i16.to_ne_bytes().to_vec();
        native.push(7);
        native.extend(0x0304u16.to_ne_bytes());
        native.extend(*b"xy\0");
        assert_eq!(a.fill_value, native);
        // null and 0 are zeros.
        for f in [json!(null), json!(0)] {
            let a =
                array_from_zarray(&zarray(json!({"dtype": dtype, "fill_value": f})), None).unwrap();
            assert_eq!(a.fill_value, [0; 8]);
        }
        // Padding of an aligned struct, as zarr-python 2 wrote it: numpy
        // names it by its place. Fill bytes JSON cannot say are kept.
        let padded = json!([["a", "|b1"], ["", "|V3"], ["b", "<U1"]]);
        let fill =
            base64::engine::general_purpose::STANDARD.encode([2u8, 9, 9, 9, 0x00, 0xd8, 0, 0]);
        let a =
            array_from_zarray(&zarray(json!({"dtype": padded, "fill_value": fill})), None).unwrap();
        let DataType::Struct(st) = &a.data_type else {
            panic!("{:?}", a.data_type)
        };
        let names: Vec<&str> = st.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "f1", "b"]);
        let mut want = vec![2u8, 9, 9, 9];
        want.extend(0xd800u32.to_ne_bytes());
        assert_eq!(a.fill_value, want);
        // One-byte fields alone: no byte order.
        let m = v3(json!({"dtype": [["x", "|u1"], ["s", "|S2"]], "fill_value": null})).unwrap();
        assert_eq!(m["codecs"][0]["name"], "bytes");
        assert!(
            m["codecs"][0]["configuration"].get("endian").is_none(),
            "{m}"
        );
    }

    #[test]
    fn datetimes() {
        use crate::dtype::DataType;
        use crate::time_unit::TimeUnit;
        let m = array_from_zarray(
            &zarray(json!({"dtype": ">m8[10s]", "fill_value": -9223372036854775808i64})),
            None,
        )
        .unwrap();
        assert_eq!(m.data_type, DataType::TimeDelta64(TimeUnit::Second, 10));
        assert_eq!(m.fill_value, i64::MIN.to_ne_bytes());
        let v3 = m.v3_json();
        assert_eq!(v3["data_type"]["configuration"]["scale_factor"], 10);
        assert_eq!(v3["codecs"][0]["configuration"]["endian"], "big");
        let m =
            array_from_zarray(&zarray(json!({"dtype": "<M8", "fill_value": null})), None).unwrap();
        assert_eq!(m.data_type, DataType::DateTime64(TimeUnit::Generic, 1));
        assert_eq!(m.fill_value, i64::MIN.to_ne_bytes(), "a null fill is NaT");
    }

    #[test]
    fn fixed_length_unicode() {
        let m =
            array_from_zarray(&zarray(json!({"dtype": ">U3", "fill_value": "ab"})), None).unwrap();
        assert_eq!(m.data_type, crate::dtype::DataType::FixedUtf32(3));
        let v3 = m.v3_json();
        assert_eq!(v3["data_type"]["configuration"]["length_bytes"], 12);
        assert_eq!(v3["codecs"][0]["configuration"]["endian"], "big");
        assert_eq!(v3["fill_value"], "ab");
        let unit = |c: char| u32::from(c).to_ne_bytes();
        assert_eq!(m.fill_value, [unit('a'), unit('b'), [0; 4]].concat());
        let m =
            array_from_zarray(&zarray(json!({"dtype": "<U2", "fill_value": null})), None).unwrap();
        assert_eq!(m.fill_value, [0; 8]);
        let m =
            array_from_zarray(&zarray(json!({"dtype": "<U1", "fill_value": "ab"})), None).unwrap();
        assert_eq!(m.fill_value, unit('a'), "a longer fill is cut");
    }

    #[test]
    fn objects_with_a_vlen_filter_are_variable_length_types() {
        for (filter, name) in [
            ("vlen-utf8", "string"),
            ("vlen-bytes", "variable_length_bytes"),
        ] {
            let m = v3(
                json!({"dtype": "|O", "fill_value": null, "filters": [{"id": filter}],
                "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1}}),
            )
            .unwrap();
            assert_eq!(m["data_type"], name);
            assert_eq!(m["fill_value"], "");
            assert_eq!(m["codecs"][0]["name"], filter);
            assert_eq!(m["codecs"][1]["configuration"]["typesize"], 1);
        }
        let e = array_from_zarray(
            &zarray(json!({"dtype": "|O", "filters": [{"id": "json2"}]})),
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Unsupported, "{e}");
        // Fortran order: numcodecs stores the items of a chunk in F order,
        // as a transpose before the vlen codec stores them.
        let m = v3(
            json!({"dtype": "|O", "fill_value": null, "filters": [{"id": "vlen-utf8"}],
                          "order": "F", "compressor": null}),
        )
        .unwrap();
        assert_eq!(m["codecs"][0]["name"], "transpose");
        assert_eq!(m["codecs"][1]["name"], "vlen-utf8");
    }

    #[test]
    fn keeps_the_document_and_reads_attributes() {
        let m = array_from_zarray(&zarray(json!({})), Some(br#"{"units": "m"}"#)).unwrap();
        assert_eq!(m.attributes.map()["units"], "m");
        assert_eq!(m.to_json()["zarr_format"], 2);
        assert_eq!(m.to_json()["dtype"], "<i2");
        assert_eq!(m.v3_json()["zarr_format"], 3);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        use crate::error::ErrorKind as K;
        for (extra, status) in [
            (json!({"dtype": "<U0"}), K::InvalidMetadata),
            (json!({"dtype": "<U9999999999"}), K::Unsupported),
            (json!({"dtype": "<M8[xs]"}), K::InvalidMetadata),
            (json!({"dtype": "<M4[s]"}), K::InvalidMetadata),
            (json!({"dtype": "|O"}), K::Unsupported),
            // Fields of two byte orders, subarray fields, object fields.
            (
                json!({"dtype": [["a", "<i4"], ["b", ">i2"]]}),
                K::Unsupported,
            ),
            (json!({"dtype": [["a", "<i4", [2]]]}), K::Unsupported),
            (json!({"dtype": [["a", "|O"]]}), K::Unsupported),
            (json!({"dtype": [["a"]]}), K::InvalidMetadata),
            (
                json!({"dtype": [["a", "<i4"], ["a", "<i2"]]}),
                K::InvalidMetadata,
            ),
            (
                json!({"dtype": [["a", "<i4"]], "fill_value": "AAAAAAAA"}),
                K::InvalidMetadata,
            ),
            (json!({"dtype": "<x4"}), K::InvalidMetadata),
            (json!({"dtype": "|S4000000000"}), K::Unsupported),
            (json!({"dtype": "|V2305843009213693953"}), K::Unsupported),
            (json!({"dtype": "i4"}), K::InvalidMetadata),
            (
                json!({"dtype": "<u2", "compressor": {"id": "zfpy", "mode": 4}}),
                K::Unsupported,
            ),
            (
                json!({"compressor": {"id": "lzma", "format": 3}}),
                K::Unsupported,
            ),
            (
                json!({"filters": [{"id": "categorize", "labels": ["a"], "dtype": "<i2"}]}),
                K::Unsupported,
            ),
            // quantize rounds floats, and this array is of int16.
            (
                json!({"filters": [{"id": "quantize", "digits": 2, "dtype": "<f8"}]}),
                K::InvalidMetadata,
            ),
            (
                json!({"filters": [{"id": "delta", "dtype": ">i2"}]}),
                K::Unsupported,
            ),
            (
                json!({"filters": [{"id": "shuffle"}, {"id": "delta", "dtype": "<i2"}]}),
                K::Unsupported,
            ),
            (json!({"compressor": {"level": 1}}), K::InvalidMetadata),
            (json!({"order": "K"}), K::InvalidMetadata),
            (json!({"zarr_format": 3}), K::InvalidMetadata),
            (json!({"dimension_separator": "-"}), K::InvalidMetadata),
            (json!({"chunks": [4]}), K::InvalidMetadata),
            (json!({"fill_value": "x"}), K::InvalidMetadata),
        ] {
            let e = array_from_zarray(&zarray(extra.clone()), None).unwrap_err();
            assert_eq!(e.kind(), status, "{extra}: {e}");
        }
        assert!(array_from_zarray(b"[1]", None).is_err());
        assert!(array_from_zarray(&zarray(json!({})), Some(b"[]")).is_err());
    }
}
