//! Chunk key encodings: `default` (`c/1/2`) and `v2` (`1.2`) of the core
//! specification; zarr-extensions' `suffix` and `prefix` (text after or
//! before another encoding's key), `fanout` (coordinates split into
//! digits, one directory level each, so that no directory holds more
//! than `max_children` entries) and `template` (a format string, see
//! `chunk_key_template`); and zarrs' `zarrs.default_suffix`.

use super::chunk_key_template::{check_literal, Template};
use crate::codec::CodecSpec;
use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkKeyEncoding {
    /// `c` + separator + indices; the 0-d key is `c`.
    Default {
        separator: char,
    },
    /// Indices joined by the separator; the 0-d key is `0`.
    V2 {
        separator: char,
    },
    /// Another encoding's key with text before or after it: `name` is
    /// `prefix`, `suffix` or `zarrs.default_suffix` (a `default` key).
    Affixed {
        name: &'static str,
        base: Box<ChunkKeyEncoding>,
        prefix: String,
        suffix: String,
    },
    /// `fanout`: per dimension `d<i>`, then the coordinate's digits in
    /// base `max_children - 1`, one path segment each; then `c`.
    Fanout {
        max_children: u64,
    },
    Template(Template),
}

const FANOUT_DEFAULT: u64 = 1001;

impl ChunkKeyEncoding {
    pub fn from_json(v: &Value) -> Result<Self> {
        Self::from_json_at(v, 0)
    }

    fn from_json_at(v: &Value, depth: usize) -> Result<Self> {
        if depth > 8 {
            return Err(invalid_metadata(
                "chunk_key_encoding: base encodings nested too deep",
            ));
        }
        let spec = CodecSpec::from_json(v).map_err(|e| e.context("chunk_key_encoding"))?;
        let name = spec.name.as_str();
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
        let text = |key: &str| -> Result<String> {
            let t = spec.get(key).and_then(Value::as_str).ok_or_else(|| {
                invalid_metadata(format!(
                    "chunk_key_encoding \"{name}\" needs a string \"{key}\""
                ))
            })?;
            check_literal(key, t)?;
            Ok(t.to_string())
        };
        // A key must not end in a directory.
        let suffix_text = || -> Result<String> {
            let s = text("suffix")?;
            if s.ends_with('/') {
                return Err(invalid_metadata(format!(
                    "chunk_key_encoding \"{name}\": suffix {s:?} ends with '/'"
                )));
            }
            Ok(s)
        };
        let base = |key_names: &[&str]| -> Result<Box<ChunkKeyEncoding>> {
            let v = key_names.iter().find_map(|k| spec.get(k)).ok_or_else(|| {
                invalid_metadata(format!(
                    "chunk_key_encoding \"{name}\" needs a \"base_encoding\""
                ))
            })?;
            let base = Self::from_json_at(v, depth + 1)
                .map_err(|e| e.context(format!("the base_encoding of \"{name}\"")))?;
            Ok(Box::new(base))
        };
        match name {
            "default" | "v2" => {
                spec.check_keys(&["separator"])?;
                Ok(if name == "default" {
                    ChunkKeyEncoding::Default {
                        separator: sep('/')?,
                    }
                } else {
                    ChunkKeyEncoding::V2 {
                        separator: sep('.')?,
                    }
                })
            }
            // The description's first example spells it with a hyphen.
            "suffix" => {
                spec.check_keys(&["suffix", "base_encoding", "base-encoding"])?;
                Ok(ChunkKeyEncoding::Affixed {
                    name: "suffix",
                    base: base(&["base_encoding", "base-encoding"])?,
                    prefix: String::new(),
                    suffix: suffix_text()?,
                })
            }
            "prefix" => {
                spec.check_keys(&["prefix", "base_encoding"])?;
                let prefix = text("prefix")?;
                if prefix.is_empty() || prefix.starts_with('/') {
                    return Err(invalid_metadata(format!(
                        "chunk_key_encoding \"prefix\": {prefix:?} is empty or begins with '/'"
                    )));
                }
                Ok(ChunkKeyEncoding::Affixed {
                    name: "prefix",
                    base: base(&["base_encoding"])?,
                    prefix,
                    suffix: String::new(),
                })
            }
            ZARRS_DEFAULT_SUFFIX => {
                spec.check_keys(&["separator", "suffix"])?;
                Ok(ChunkKeyEncoding::Affixed {
                    name: ZARRS_DEFAULT_SUFFIX,
                    base: Box::new(ChunkKeyEncoding::Default {
                        separator: sep('/')?,
                    }),
                    prefix: String::new(),
                    suffix: suffix_text()?,
                })
            }
            "fanout" => {
                spec.check_keys(&["max_children"])?;
                let max_children = match spec.get("max_children") {
                    None => FANOUT_DEFAULT,
                    Some(v) => v.as_u64().filter(|n| *n > 3).ok_or_else(|| {
                        invalid_metadata(format!(
                            "chunk_key_encoding \"fanout\": max_children {v} is not an integer above 3"
                        ))
                    })?,
                };
                Ok(ChunkKeyEncoding::Fanout { max_children })
            }
            "template" => {
                spec.check_keys(&["format", "separator"])?;
                let format = spec.get("format").and_then(Value::as_str).ok_or_else(|| {
                    invalid_metadata("chunk_key_encoding \"template\" needs a string \"format\"")
                })?;
                let separator = match spec.get("separator") {
                    None => None,
                    Some(Value::String(s)) => Some(s.as_str()),
                    Some(v) => {
                        return Err(invalid_metadata(format!(
                            "chunk_key_encoding \"template\": separator {v} is not a string"
                        )))
                    }
                };
                Ok(ChunkKeyEncoding::Template(Template::new(
                    format, separator,
                )?))
            }
            n => Err(unsupported(format!("unknown chunk_key_encoding \"{n}\""))),
        }
    }

    /// Check that the encoding can name the chunks of an array of `ndim`
    /// dimensions (a template fits some ranks only).
    /// Also check, segment by segment, that its keys stay below the
    /// array's node: literals that pass alone may still join into `..` (a
    /// prefix `.` before a prefix `./`).
    pub fn check_rank(&self, ndim: usize) -> Result<()> {
        match self {
            ChunkKeyEncoding::Template(t) => t.check_rank(ndim)?,
            ChunkKeyEncoding::Affixed { base, .. } => base.check_rank(ndim)?,
            _ => {}
        }
        let key = self.key(&vec![0; ndim]);
        if key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(invalid_metadata(format!(
                "chunk_key_encoding {}: its keys (\"{key}\" for the first chunk) have an empty, \
                 \".\" or \"..\" path segment",
                self.to_json()
            )));
        }
        // A segment named as node metadata would make chunks readable as
        // nodes (or stored over one). Affixes nested in each other can
        // join into such a name though each is checked on its own; a
        // segment holding a coordinate has digits, which none of the
        // names has, so the first chunk's key shows every such segment.
        if let Some(s) = key
            .split('/')
            .find(|s| crate::node::METADATA_NAMES.contains(s) || *s == ".zmetadata")
        {
            return Err(invalid_metadata(format!(
                "chunk_key_encoding {}: its keys (\"{key}\" for the first chunk) have a \
                 path segment {s:?}, a name node metadata is stored under",
                self.to_json()
            )));
        }
        Ok(())
    }

    pub fn to_json(&self) -> Value {
        match self {
            ChunkKeyEncoding::Default { separator } => {
                json!({"name": "default", "configuration": {"separator": separator.to_string()}})
            }
            ChunkKeyEncoding::V2 { separator } => {
                json!({"name": "v2", "configuration": {"separator": separator.to_string()}})
            }
            ChunkKeyEncoding::Affixed {
                name,
                base,
                prefix,
                suffix,
            } => match (*name, base.as_ref()) {
                ("prefix", _) => json!({"name": "prefix", "configuration": {
                    "prefix": prefix, "base_encoding": base.to_json()}}),
                (ZARRS_DEFAULT_SUFFIX, ChunkKeyEncoding::Default { separator }) => {
                    json!({"name": ZARRS_DEFAULT_SUFFIX, "configuration": {
                        "separator": separator.to_string(), "suffix": suffix}})
                }
                _ => json!({"name": "suffix", "configuration": {
                    "suffix": suffix, "base_encoding": base.to_json()}}),
            },
            ChunkKeyEncoding::Fanout { max_children } => {
                json!({"name": "fanout", "configuration": {"max_children": max_children}})
            }
            ChunkKeyEncoding::Template(t) => match t.separator() {
                Some(sep) => json!({"name": "template", "configuration": {
                    "format": t.format(), "separator": sep}}),
                None => json!({"name": "template", "configuration": {"format": t.format()}}),
            },
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
            ChunkKeyEncoding::Affixed {
                base,
                prefix,
                suffix,
                ..
            } => {
                let inner = key
                    .strip_prefix(prefix.as_str())?
                    .strip_suffix(suffix.as_str())?;
                return base.indices(inner, ndim);
            }
            ChunkKeyEncoding::Fanout { max_children } => {
                return fanout_indices(key, ndim, max_children - 1)
            }
            ChunkKeyEncoding::Template(t) => return t.indices(key, ndim),
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
            ChunkKeyEncoding::Affixed {
                base,
                prefix,
                suffix,
                ..
            } => format!("{prefix}{}{suffix}", base.key(indices)),
            ChunkKeyEncoding::Fanout { max_children } => fanout_key(indices, max_children - 1),
            ChunkKeyEncoding::Template(t) => t.key(indices),
        }
    }
}

/// zarrs' name for a `default` key with a suffix.
const ZARRS_DEFAULT_SUFFIX: &str = "zarrs.default_suffix";

/// `fanout`'s key: `d<i>` and the digits of coordinate i in `base`, for
/// each dimension, then `c`.
fn fanout_key(indices: &[u64], base: u64) -> String {
    let mut parts = Vec::new();
    for (dim, &v) in indices.iter().enumerate() {
        parts.push(format!("d{dim}"));
        let mut digits = vec![v % base];
        let mut rest = v / base;
        while rest > 0 {
            digits.push(rest % base);
            rest /= base;
        }
        parts.extend(digits.iter().rev().map(u64::to_string));
    }
    parts.push("c".into());
    parts.join("/")
}

/// The coordinates of a `fanout` key, if it is one.
fn fanout_indices(key: &str, ndim: usize, base: u64) -> Option<Vec<u64>> {
    let mut segments = key.split('/').peekable();
    let mut out = Vec::with_capacity(ndim);
    for dim in 0..ndim {
        if segments.next()? != format!("d{dim}") {
            return None;
        }
        let mut v = 0u64;
        let mut any = false;
        while let Some(s) = segments.peek() {
            if s.starts_with('d') || *s == "c" {
                break;
            }
            let digit: u64 = s.parse().ok().filter(|d| *d < base)?;
            v = v.checked_mul(base)?.checked_add(digit)?;
            any = true;
            segments.next();
        }
        if !any {
            return None;
        }
        out.push(v);
    }
    if segments.next()? != "c" || segments.next().is_some() {
        return None;
    }
    // Only the key this encoding writes (no leading zero digits).
    (fanout_key(&out, base) == key).then_some(out)
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

    #[test]
    fn extension_encodings() {
        let enc = |v: Value| ChunkKeyEncoding::from_json(&v).unwrap();
        let cases = [
            (
                json!({"name": "suffix", "configuration": {"suffix": ".tiff", "base_encoding": {"name": "default"}}}),
                "c/1/2.tiff",
            ),
            (
                json!({"name": "suffix", "configuration": {"suffix": ".shard.zip", "base-encoding": {"name": "v2"}}}),
                "1.2.shard.zip",
            ),
            (
                json!({"name": "prefix", "configuration": {"prefix": "x/", "base_encoding": "v2"}}),
                "x/1.2",
            ),
            (
                json!({"name": "zarrs.default_suffix", "configuration": {"suffix": ".bin"}}),
                "c/1/2.bin",
            ),
            (
                json!({"name": "zarrs.default_suffix", "configuration": {"separator": ".", "suffix": ".bin"}}),
                "c.1.2.bin",
            ),
            (
                json!({"name": "prefix", "configuration": {"prefix": "p-", "base_encoding":
                    {"name": "suffix", "configuration": {"suffix": ".s", "base_encoding": {"name": "fanout", "configuration": {"max_children": 4}}}}}}),
                "p-d0/1/d1/2/c.s",
            ),
            (
                json!({"name": "template", "configuration": {"format": "{1}/{0:03}"}}),
                "2/001",
            ),
        ];
        for (v, key) in cases {
            let e = enc(v.clone());
            e.check_rank(2).unwrap();
            assert_eq!(e.key(&[1, 2]), key, "{v}");
            assert_eq!(e.indices(key, 2), Some(vec![1, 2]), "{v}");
            assert_eq!(e.indices(&format!("{key}x"), 2), None, "{v}");
            // Written back as read (the hyphen spelling as the text has it).
            let back = enc(e.to_json());
            assert_eq!(back, e, "{v}");
            if v["configuration"].get("base-encoding").is_none() {
                let mut want = v.clone();
                if let Some(b) = want["configuration"].get_mut("base_encoding") {
                    *b = enc(b.clone()).to_json();
                }
                if want["name"] == "zarrs.default_suffix"
                    && want["configuration"].get("separator").is_none()
                {
                    want["configuration"]["separator"] = json!("/");
                }
                assert_eq!(e.to_json(), want, "{v}");
            }
        }
    }

    #[test]
    fn fanout_as_described() {
        let f = ChunkKeyEncoding::from_json(
            &json!({"name": "fanout", "configuration": {"max_children": 101}}),
        )
        .unwrap();
        for (idx, key) in [
            (vec![], "c"),
            (vec![123], "d0/1/23/c"),
            (vec![1234, 5, 67890], "d0/12/34/d1/5/d2/6/78/90/c"),
            (vec![0, 100], "d0/0/d1/1/0/c"),
            (vec![u64::MAX], "d0/18/44/67/44/7/37/9/55/16/15/c"),
        ] {
            assert_eq!(f.key(&idx), key);
            assert_eq!(f.indices(key, idx.len()), Some(idx.clone()), "{key}");
        }
        for bad in [
            "d0/0/1/23/c",
            "d0/100/c",
            "d0/1/23",
            "d0/c",
            "d1/5/c",
            "d0/1/23/c/x",
            "d0/1/x/c",
            "d0/99/99/99/99/99/99/99/99/99/99/99/c",
        ] {
            assert_eq!(f.indices(bad, 1), None, "{bad}");
        }
        let d = ChunkKeyEncoding::from_json(&json!({"name": "fanout"})).unwrap();
        assert_eq!(d, ChunkKeyEncoding::Fanout { max_children: 1001 });
        assert_eq!(d.key(&[123456]), "d0/123/456/c");
    }

    #[test]
    fn bad_extension_encodings() {
        for v in [
            json!({"name": "suffix", "configuration": {"suffix": ".x"}}),
            json!({"name": "suffix", "configuration": {"suffix": "/../x", "base_encoding": "default"}}),
            json!({"name": "suffix", "configuration": {"suffix": 5, "base_encoding": "default"}}),
            json!({"name": "suffix", "configuration": {"suffix": "x/", "base_encoding": "default"}}),
            json!({"name": "prefix", "configuration": {"prefix": "", "base_encoding": "v2"}}),
            json!({"name": "prefix", "configuration": {"prefix": "/x", "base_encoding": "v2"}}),
            json!({"name": "prefix", "configuration": {"prefix": "zarr.json", "base_encoding": "v2"}}),
            json!({"name": "prefix", "configuration": {"prefix": "p", "base_encoding": {"name": "nope"}}}),
            json!({"name": "fanout", "configuration": {"max_children": 3}}),
            json!({"name": "fanout", "configuration": {"max_children": "9"}}),
            json!({"name": "template", "configuration": {}}),
            json!({"name": "template", "configuration": {"format": "{*}"}}),
            json!({"name": "template", "configuration": {"format": "{0}", "separator": 1}}),
            json!({"name": "zarrs.default_suffix", "configuration": {"suffix": ".b", "x": 1}}),
        ] {
            assert!(ChunkKeyEncoding::from_json(&v).is_err(), "{v}");
        }
        // Literals that join into a step out of the array's node, or a
        // segment that names the node itself.
        for v in [
            json!({"name": "prefix", "configuration": {"prefix": ".", "base_encoding":
                {"name": "prefix", "configuration": {"prefix": "./", "base_encoding": "default"}}}}),
            json!({"name": "template", "configuration": {"format": "{0}/./{1}"}}),
            json!({"name": "template", "configuration": {"format": "{0}/{1}/."}}),
            // Affixes that join into node metadata names.
            json!({"name": "suffix", "configuration": {"suffix": "json", "base_encoding":
                {"name": "suffix", "configuration": {"suffix": "/zarr.", "base_encoding": "default"}}}}),
            json!({"name": "template", "configuration": {"format": "{0}/{1}/.zgroup"}}),
            json!({"name": "template", "configuration": {"format": ".zarray/{0}.{1}"}}),
            json!({"name": "prefix", "configuration": {"prefix": ".zattrs/", "base_encoding": "v2"}}),
            json!({"name": "prefix", "configuration": {"prefix": ".zmetadata/", "base_encoding": "v2"}}),
        ] {
            let e = ChunkKeyEncoding::from_json(&v).unwrap();
            assert!(e.check_rank(2).is_err(), "{v}");
        }
        // Nesting has a limit.
        let mut v = json!("default");
        for _ in 0..20 {
            v = json!({"name": "suffix", "configuration": {"suffix": "s", "base_encoding": v}});
        }
        assert!(ChunkKeyEncoding::from_json(&v).is_err());
    }
}
