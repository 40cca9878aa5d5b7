//! Array metadata (`zarr.json` with `"node_type": "array"`).

use super::rectilinear::{self, RectilinearGrid};
use super::{check_format_and_type, parse_object, take_extra_fields, Attributes, ChunkKeyEncoding};
use crate::codec::{ChunkRepr, CodecChain, CodecSpec};
use crate::dtype::DataType;
use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::{Map, Value};
use std::sync::Arc;

pub(crate) const KNOWN_FIELDS: &[&str] = &[
    "zarr_format",
    "node_type",
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
    "attributes",
    "storage_transformers",
    "dimension_names",
];

/// A parsed and validated array `zarr.json`.
#[derive(Debug, Clone)]
pub struct ArrayMetadata {
    pub shape: Vec<u64>,
    pub data_type: DataType,
    /// The regular chunk grid's chunk shape (the shard shape when sharded);
    /// for a rectilinear grid, its first chunk's.
    pub chunk_shape: Vec<u64>,
    /// A `rectilinear` chunk grid, whose chunks differ in shape; None for
    /// a regular one.
    pub rectilinear: Option<Arc<RectilinearGrid>>,
    pub chunk_key_encoding: ChunkKeyEncoding,
    /// One element in native byte order.
    pub fill_value: Vec<u8>,
    /// The codec pipeline for one chunk.
    pub codecs: Arc<CodecChain>,
    pub attributes: Attributes,
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Unknown fields marked `must_understand: false`, kept verbatim.
    pub extra: Map<String, Value>,
    /// The `.zarray` document of a Zarr v2 array (`metadata::v2`); None
    /// for a v3 array.
    pub v2: Option<Map<String, Value>>,
}

fn parse_u64_list(v: Option<&Value>, what: &str) -> Result<Vec<u64>> {
    let a = v
        .and_then(Value::as_array)
        .ok_or_else(|| invalid_metadata(format!("{what} must be an array of integers")))?;
    a.iter()
        .map(|x| {
            x.as_u64().ok_or_else(|| {
                invalid_metadata(format!("{what}: {x} is not a non-negative integer"))
            })
        })
        .collect()
}

/// The chunk shape, and the grid when it is rectilinear (the chunk shape
/// is then its first chunk's).
type ChunkGrid = (Vec<u64>, Option<Arc<RectilinearGrid>>);

fn parse_chunk_grid(v: Option<&Value>, shape: &[u64]) -> Result<ChunkGrid> {
    let rank = shape.len();
    let v = v.ok_or_else(|| invalid_metadata("zarr.json has no chunk_grid"))?;
    let spec = CodecSpec::from_json(v).map_err(|e| e.context("chunk_grid"))?;
    if spec.name == rectilinear::NAME {
        let grid = RectilinearGrid::parse(v, shape)?;
        let (_, first) = grid.chunk_span(&vec![0; rank]);
        return Ok((first, Some(Arc::new(grid))));
    }
    if spec.name != "regular" {
        return Err(unsupported(format!(
            "chunk_grid \"{}\" is not supported (\"regular\" and \"{}\" are)",
            spec.name,
            rectilinear::NAME
        )));
    }
    spec.check_keys(&["chunk_shape"])?;
    let shape = parse_u64_list(spec.get("chunk_shape"), "chunk_grid chunk_shape")?;
    if shape.len() != rank {
        return Err(invalid_metadata(format!(
            "chunk_grid chunk_shape has {} dimensions but the array has {rank}",
            shape.len()
        )));
    }
    if shape.contains(&0) {
        return Err(invalid_metadata(
            "chunk_grid chunk_shape entries must be positive",
        ));
    }
    Ok((shape, None))
}

impl ArrayMetadata {
    /// Parse and validate `zarr.json` text, including the codec pipeline.
    pub fn parse(text: &[u8]) -> Result<Self> {
        let o = parse_object(text, "array zarr.json")?;
        let attributes = Attributes::of_document(text, &o)?;
        Self::from_object(&o, attributes)
    }

    /// The metadata in the parsed document `o`, whose `attributes` member
    /// is `attributes`.
    pub fn from_object(o: &Map<String, Value>, attributes: Attributes) -> Result<Self> {
        check_format_and_type(o, "array")?;
        let extra = take_extra_fields(o, KNOWN_FIELDS)?;
        let shape = parse_u64_list(o.get("shape"), "shape")?;
        let data_type = DataType::from_json(
            o.get("data_type")
                .ok_or_else(|| invalid_metadata("zarr.json has no data_type"))?,
        )?;
        let (chunk_shape, rectilinear) = parse_chunk_grid(o.get("chunk_grid"), &shape)?;
        let chunk_key_encoding = ChunkKeyEncoding::from_json(
            o.get("chunk_key_encoding")
                .ok_or_else(|| invalid_metadata("zarr.json has no chunk_key_encoding"))?,
        )?;
        chunk_key_encoding.check_rank(shape.len())?;
        let fill_value = data_type.parse_fill_value(
            o.get("fill_value")
                .ok_or_else(|| invalid_metadata("zarr.json has no fill_value"))?,
        )?;
        match o.get("storage_transformers") {
            None => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(Value::Array(_)) => {
                return Err(unsupported("storage_transformers are not supported"))
            }
            Some(_) => return Err(invalid_metadata("storage_transformers must be an array")),
        }
        let dimension_names = match o.get("dimension_names") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => {
                if a.len() != shape.len() {
                    return Err(invalid_metadata(format!(
                        "dimension_names has {} entries but the array has {} dimensions",
                        a.len(),
                        shape.len()
                    )));
                }
                let names = a
                    .iter()
                    .map(|n| match n {
                        Value::Null => Ok(None),
                        Value::String(s) => Ok(Some(s.clone())),
                        _ => Err(invalid_metadata(
                            "dimension_names entries must be strings or null",
                        )),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Some(names)
            }
            Some(_) => return Err(invalid_metadata("dimension_names must be an array")),
        };
        let codec_values = match o.get("codecs") {
            Some(Value::Array(a)) if !a.is_empty() => a.clone(),
            Some(Value::Array(_)) => return Err(invalid_metadata("codecs must not be empty")),
            _ => return Err(invalid_metadata("zarr.json has no codecs array")),
        };
        let repr = ChunkRepr::new(chunk_shape.clone(), data_type.clone(), fill_value.clone());
        let codecs = Arc::new(CodecChain::from_json(&codec_values, repr)?);
        if let (Some(grid), true) = (&rectilinear, codecs.depends_on_shape()) {
            check_chunk_shapes(grid, &chunk_shape, &codec_values, &data_type, &fill_value)?;
        }
        Ok(ArrayMetadata {
            shape,
            data_type,
            chunk_shape,
            rectilinear,
            chunk_key_encoding,
            fill_value,
            codecs,
            attributes,
            dimension_names,
            extra,
            v2: None,
        })
    }

    /// The stored metadata document: `zarr.json`, or a v2 array's
    /// `.zarray` (its attributes are in `.zattrs`).
    pub fn to_json(&self) -> Value {
        match &self.v2 {
            Some(zarray) => Value::Object(zarray.clone()),
            None => self.v3_json(),
        }
    }

    /// The `zarr.json` document describing this array (for a v2 array,
    /// the v3 equivalent it is read through).
    pub fn v3_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("zarr_format".into(), 3.into());
        m.insert("node_type".into(), "array".into());
        m.insert("shape".into(), self.shape.clone().into());
        m.insert("data_type".into(), self.data_type.to_json());
        m.insert(
            "chunk_grid".into(),
            match &self.rectilinear {
                Some(grid) => grid.to_json(),
                None => serde_json::json!({"name": "regular", "configuration": {"chunk_shape": self.chunk_shape}}),
            },
        );
        m.insert(
            "chunk_key_encoding".into(),
            self.chunk_key_encoding.to_json(),
        );
        m.insert(
            "fill_value".into(),
            self.data_type.fill_value_to_json(&self.fill_value),
        );
        m.insert("codecs".into(), self.codecs.to_json());
        m.insert(
            "attributes".into(),
            Value::Object(self.attributes.map().clone()),
        );
        if let Some(names) = &self.dimension_names {
            m.insert(
                "dimension_names".into(),
                Value::Array(
                    names
                        .iter()
                        .map(|n| n.clone().map(Value::String).unwrap_or(Value::Null))
                        .collect(),
                ),
            );
        }
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// The stored document as text, the attributes as their text has
    /// them (integers past 64 bits, Python's `NaN` tokens).
    pub fn to_string_pretty(&self) -> String {
        let text = super::pretty(&self.to_json());
        match self.v2 {
            Some(_) => text,
            None => self.attributes.written_into(text),
        }
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of chunks along each dimension.
    pub fn grid_shape(&self) -> Vec<u64> {
        if let Some(grid) = &self.rectilinear {
            return grid.grid_shape();
        }
        self.shape
            .iter()
            .zip(&self.chunk_shape)
            .map(|(s, c)| s.div_ceil(*c))
            .collect()
    }

    /// The representation of one (full-size) chunk.
    pub fn chunk_repr(&self) -> ChunkRepr {
        ChunkRepr::new(
            self.chunk_shape.clone(),
            self.data_type.clone(),
            self.fill_value.clone(),
        )
    }
}

/// Chunk shapes met whose pipelines are built to check them at most; a
/// grid with more is checked dimension by dimension.
const MAX_SHAPES_CHECKED: usize = 1024;

/// Check that the pipeline builds for every chunk shape of a rectilinear
/// grid, which differ (inner chunks must divide every shard; a `reshape`
/// must fit every chunk), so that a bad combination is refused when the
/// array is opened, not when a chunk of that shape is first met. With
/// more combinations of edge lengths than `MAX_SHAPES_CHECKED`, each edge
/// length met is checked with the first chunk's other edges (which finds
/// every divisibility failure, as divisibility goes dimension by
/// dimension).
fn check_chunk_shapes(
    grid: &RectilinearGrid,
    first: &[u64],
    codecs: &[Value],
    data_type: &DataType,
    fill_value: &[u8],
) -> Result<()> {
    let edges: Vec<Vec<u64>> = (0..first.len()).map(|d| grid.distinct_edges(d)).collect();
    let build = |shape: Vec<u64>| {
        let repr = ChunkRepr::new(shape.clone(), data_type.clone(), fill_value.to_vec());
        CodecChain::from_json(codecs, repr)
            .map(drop)
            .map_err(|e| e.context(format!("chunks of shape {shape:?}")))
    };
    let combinations = edges
        .iter()
        .try_fold(1usize, |acc, e| acc.checked_mul(e.len().max(1)));
    match combinations {
        Some(n) if n <= MAX_SHAPES_CHECKED => {
            let counts: Vec<u64> = edges.iter().map(|e| e.len().max(1) as u64).collect();
            let mut result = Ok(());
            crate::region::for_each_index(&counts, |idx| {
                if result.is_ok() {
                    let shape: Vec<u64> = (0..first.len())
                        .map(|d| edges[d].get(idx[d] as usize).copied().unwrap_or(first[d]))
                        .collect();
                    if shape != first {
                        result = build(shape);
                    }
                }
            });
            result
        }
        _ => {
            for (d, list) in edges.iter().enumerate() {
                for &edge in list {
                    if edge != first[d] {
                        let mut other = first.to_vec();
                        other[d] = edge;
                        build(other)?;
                    }
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": [10, 7], "data_type": "int16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 3]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": -1,
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "attributes": {"units": "m"},
            "dimension_names": ["y", null]
        })
    }

    fn parse(v: &Value) -> Result<ArrayMetadata> {
        ArrayMetadata::parse(v.to_string().as_bytes())
    }

    fn with(f: impl FnOnce(&mut Map<String, Value>)) -> Result<ArrayMetadata> {
        let mut v = base();
        f(v.as_object_mut().unwrap());
        parse(&v)
    }

    #[test]
    fn every_rectilinear_chunk_shape_must_fit_a_reshape() {
        let grid = |edges: Value| {
            with(|o| {
                o.insert("shape".into(), json!([10, 9]));
                o.insert(
                    "chunk_grid".into(),
                    json!({"name": "rectilinear", "configuration": {
                        "kind": "inline", "chunk_shapes": edges}}),
                );
                o.insert(
                    "codecs".into(),
                    json!([{"name": "reshape", "configuration": {"shape": [2, -1]}},
                           {"name": "bytes", "configuration": {"endian": "little"}}]),
                );
            })
        };
        // Every edge fits with the first chunk's other edge ([3, 4], [2, 1]
        // and so on), but a chunk of [3, 1] holds 3 elements.
        let e = grid(json!([[2, 3, 5], [4, 4, 1]])).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidMetadata);
        assert!(e.message().contains("[3, 1]"), "{}", e.message());
        grid(json!([[2, 4, 4], [4, 4, 1]])).unwrap();
    }

    #[test]
    fn parses_and_round_trips() {
        let m = parse(&base()).unwrap();
        assert_eq!(m.shape, vec![10, 7]);
        assert_eq!(m.chunk_shape, vec![4, 3]);
        assert_eq!(m.grid_shape(), vec![3, 3]);
        assert_eq!(m.fill_value, (-1i16).to_ne_bytes());
        assert_eq!(m.dimension_names, Some(vec![Some("y".into()), None]));
        let again = parse(&m.to_json()).unwrap();
        assert_eq!(again.to_json(), m.to_json());
    }

    #[test]
    fn accepted_forms() {
        // A codec without configuration (as tensorstore writes it), for a 1-byte type.
        assert!(with(|o| {
            o.insert("data_type".into(), "uint8".into());
            o.insert("fill_value".into(), 0.into());
            o.insert("codecs".into(), json!([{"name": "bytes"}]));
        })
        .is_ok());
        assert!(with(|o| {
            o.insert("storage_transformers".into(), json!([]));
        })
        .is_ok());
        assert!(with(|o| {
            o.insert(
                "extension".into(),
                json!({"must_understand": false, "x": 1}),
            );
        })
        .is_ok());
        assert!(with(|o| {
            o.insert("shape".into(), json!([]));
            o.insert(
                "chunk_grid".into(),
                json!({"name": "regular", "configuration": {"chunk_shape": []}}),
            );
            o.remove("dimension_names");
        })
        .is_ok());
        assert!(with(|o| {
            o.insert("shape".into(), json!([0, 7]));
        })
        .is_ok());
    }

    /// An edit that makes valid metadata invalid.
    type Breakage = Box<dyn FnOnce(&mut Map<String, Value>)>;

    #[test]
    fn rejected_forms() {
        let cases: Vec<(&str, Breakage)> = vec![
            (
                "format 2",
                Box::new(|o| {
                    o.insert("zarr_format".into(), 2.into());
                }),
            ),
            (
                "group type",
                Box::new(|o| {
                    o.insert("node_type".into(), "group".into());
                }),
            ),
            (
                "unknown field",
                Box::new(|o| {
                    o.insert("foo".into(), json!({"must_understand": true}));
                }),
            ),
            (
                "storage transformer",
                Box::new(|o| {
                    o.insert("storage_transformers".into(), json!([{"name": "x"}]));
                }),
            ),
            (
                "bad shape",
                Box::new(|o| {
                    o.insert("shape".into(), json!([10, -7]));
                }),
            ),
            (
                "chunk rank",
                Box::new(|o| {
                    o.insert(
                        "chunk_grid".into(),
                        json!({"name": "regular", "configuration": {"chunk_shape": [4]}}),
                    );
                }),
            ),
            (
                "zero chunk",
                Box::new(|o| {
                    o.insert(
                        "chunk_grid".into(),
                        json!({"name": "regular", "configuration": {"chunk_shape": [4, 0]}}),
                    );
                }),
            ),
            (
                "other grid",
                Box::new(|o| {
                    o.insert(
                        "chunk_grid".into(),
                        json!({"name": "rectilinear", "configuration": {}}),
                    );
                }),
            ),
            (
                "bad dtype",
                Box::new(|o| {
                    o.insert("data_type".into(), "int12".into());
                }),
            ),
            (
                "bad fill",
                Box::new(|o| {
                    o.insert("fill_value".into(), "x".into());
                }),
            ),
            (
                "no codecs",
                Box::new(|o| {
                    o.insert("codecs".into(), json!([]));
                }),
            ),
            (
                "unknown codec",
                Box::new(|o| {
                    o.insert("codecs".into(), json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "lzma"}]));
                }),
            ),
            (
                "codec order",
                Box::new(|o| {
                    o.insert("codecs".into(), json!([{"name": "gzip", "configuration": {"level": 1}}, {"name": "bytes", "configuration": {"endian": "little"}}]));
                }),
            ),
            (
                "dimension names length",
                Box::new(|o| {
                    o.insert("dimension_names".into(), json!(["a"]));
                }),
            ),
            (
                "key encoding",
                Box::new(|o| {
                    o.insert(
                        "chunk_key_encoding".into(),
                        json!({"name": "default", "configuration": {"separator": ":"}}),
                    );
                }),
            ),
            (
                "missing fill",
                Box::new(|o| {
                    o.remove("fill_value");
                }),
            ),
        ];
        for (name, f) in cases {
            assert!(with(f).is_err(), "{name} should be rejected");
        }
        assert!(ArrayMetadata::parse(b"{\"zarr_format\": 3,").is_err());
    }
}
