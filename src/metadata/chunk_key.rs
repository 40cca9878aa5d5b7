//! Chunk key encodings: `default` (`c/1/2`) and `v2` (`1.2`).

use crate::codec::CodecSpec;
use crate::error::{invalid_metadata, Result};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKeyEncoding {
    /// `c` + separator + indices; the 0-d key is `c`.
    Default { separator: char },
    /// Indices joined by the separator; the 0-d key is `0`.
    V2 { separator: char },
}

impl ChunkKeyEncoding {
    pub fn from_json(v: &Value) -> Result<Self> {
        let spec = CodecSpec::from_json(v).map_err(|e| e.context("chunk_key_encoding"))?;
        spec.check_keys(&["separator"])?;
        let sep = |default: char| -> Result<char> {
            match spec.get("separator") {
                None => Ok(default),
                Some(Value::String(s)) if s == "/" => Ok('/'),
                Some(Value::String(s)) if s == "." => Ok('.'),
                Some(s) => Err(invalid_metadata(format!(
                    "chunk_key_encoding separator {s} must be \"/\" or \".\""
                ))),
            }
        };
        match spec.name.as_str() {
            "default" => Ok(ChunkKeyEncoding::Default {
                separator: sep('/')?,
            }),
            "v2" => Ok(ChunkKeyEncoding::V2 {
                separator: sep('.')?,
            }),
            n => Err(invalid_metadata(format!(
                "unknown chunk_key_encoding \"{n}\""
            ))),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            ChunkKeyEncoding::Default { separator } => {
                json!({"name": "default", "configuration": {"separator": separator.to_string()}})
            }
            ChunkKeyEncoding::V2 { separator } => {
                json!({"name": "v2", "configuration": {"separator": separator.to_string()}})
            }
        }
    }

    /// The grid indices of the chunk whose key (relative to the array's
    /// node) is `key`, in an array of `ndim` dimensions; None when `key`
    /// is not a chunk key of this encoding.
    pub fn indices(&self, key: &str, ndim: usize) -> Option<Vec<u64>> {
        let (rest, sep) = match self {
            ChunkKeyEncoding::Default { separator } => {
                if ndim == 0 {
                    return (key == "c").then(Vec::new);
                }
                (key.strip_prefix('c')?.strip_prefix(*separator)?, *separator)
            }
            ChunkKeyEncoding::V2 { separator } => {
                if ndim == 0 {
                    return (key == "0").then(Vec::new);
                }
                (key, *separator)
            }
        };
        let indices: Vec<u64> = rest
            .split(sep)
            .map(|p| {
                // Only the canonical form `key` writes: digits, no sign or
                // leading zero.
                let canonical = !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p == "0" || !p.starts_with('0'));
                canonical.then(|| p.parse().ok()).flatten()
            })
            .collect::<Option<_>>()?;
        (indices.len() == ndim).then_some(indices)
    }

    /// The key of a chunk relative to the array's node.
    pub fn key(&self, indices: &[u64]) -> String {
        let join = |sep: char| {
            indices
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(&sep.to_string())
        };
        match self {
            ChunkKeyEncoding::Default { separator } => {
                if indices.is_empty() {
                    "c".into()
                } else {
                    format!("c{separator}{}", join(*separator))
                }
            }
            ChunkKeyEncoding::V2 { separator } => {
                if indices.is_empty() {
                    "0".into()
                } else {
                    join(*separator)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let d = ChunkKeyEncoding::from_json(&json!({"name": "default"})).unwrap();
        assert_eq!(d.key(&[1, 2, 3]), "c/1/2/3");
        assert_eq!(d.key(&[]), "c");
        let d = ChunkKeyEncoding::from_json(
            &json!({"name": "default", "configuration": {"separator": "."}}),
        )
        .unwrap();
        assert_eq!(d.key(&[1, 2]), "c.1.2");
        let v = ChunkKeyEncoding::from_json(&json!({"name": "v2"})).unwrap();
        assert_eq!(v.key(&[1, 2]), "1.2");
        assert_eq!(v.key(&[]), "0");
        let v = ChunkKeyEncoding::from_json(
            &json!({"name": "v2", "configuration": {"separator": "/"}}),
        )
        .unwrap();
        assert_eq!(v.key(&[4, 0]), "4/0");
        assert!(ChunkKeyEncoding::from_json(
            &json!({"name": "default", "configuration": {"separator": "-"}})
        )
        .is_err());
        assert!(ChunkKeyEncoding::from_json(&json!({"name": "other"})).is_err());
        assert_eq!(ChunkKeyEncoding::from_json(&d.to_json()).unwrap(), d);
    }

    #[test]
    fn keys_parse_back_to_indices() {
        for enc in [
            ChunkKeyEncoding::Default { separator: '/' },
            ChunkKeyEncoding::Default { separator: '.' },
            ChunkKeyEncoding::V2 { separator: '.' },
            ChunkKeyEncoding::V2 { separator: '/' },
        ] {
            for idx in [vec![], vec![0], vec![3, 0, 12], vec![u64::MAX, 7]] {
                assert_eq!(enc.indices(&enc.key(&idx), idx.len()), Some(idx.clone()));
                if !idx.is_empty() {
                    assert_eq!(enc.indices(&enc.key(&idx), idx.len() + 1), None);
                }
            }
            for bad in [
                "",
                "zarr.json",
                "c/x",
                "c/01",
                "c/-1",
                "c/1/",
                "1..2",
                "c//1",
            ] {
                assert_eq!(enc.indices(bad, 2), None, "{enc:?} {bad}");
            }
        }
        let d = ChunkKeyEncoding::Default { separator: '/' };
        assert_eq!(d.indices("c/1/2", 2), Some(vec![1, 2]));
        assert_eq!(d.indices("1/2", 2), None);
        assert_eq!(d.indices("c/18446744073709551616/0", 2), None);
    }
}
