//! The `template` chunk key encoding (zarr-extensions): a format string
//! whose braced expressions insert chunk coordinates, `{{` and `}}` being
//! literal braces.
//!
//! An expression is `{i}` (coordinate i; negative from the end), or `{*}`
//! (every coordinate no other expression names, in order, joined by the
//! configuration's `separator`), each optionally `:0w` (left-padded with
//! zeros to w digits). A template fits only some ranks: every coordinate
//! must be inserted exactly once, and `{*}` must take at least one.

use crate::error::{invalid_metadata, Result};
use std::sync::OnceLock;

/// One piece of a template as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    /// Coordinate `index` (negative: from the end), padded to `width`.
    Coordinate {
        index: i64,
        width: usize,
    },
    /// The coordinates no other piece names, padded to `width`.
    Rest {
        width: usize,
    },
}

/// A piece of a template resolved for one rank.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Coordinate { dim: usize, width: usize },
}

#[derive(Debug, Clone)]
pub struct Template {
    /// The format as given.
    format: String,
    separator: Option<String>,
    pieces: Vec<Piece>,
    /// The pieces resolved for the rank `check_rank` last accepted: the
    /// array's, so that each chunk key does not resolve them again.
    resolved: OnceLock<(usize, Vec<Part>)>,
}

/// Templates are equal when written the same (whatever they resolved).
impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        (&self.format, &self.separator) == (&other.format, &other.separator)
    }
}

impl Eq for Template {}

fn bad(msg: String) -> crate::error::Error {
    invalid_metadata(format!("chunk_key_encoding \"template\": {msg}"))
}

/// Literal text of a key: no part of it may step out of the array's node
/// or name its metadata.
pub(super) fn check_literal(what: &str, text: &str) -> Result<()> {
    for bad_part in ["..", "\\", "\0", "//", "zarr.json"] {
        if text.contains(bad_part) {
            return Err(invalid_metadata(format!(
                "chunk_key_encoding: {what} {text:?} contains {bad_part:?}"
            )));
        }
    }
    Ok(())
}

impl Template {
    pub fn new(format: &str, separator: Option<&str>) -> Result<Self> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut expr = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => expr.push(c),
                            None => return Err(bad(format!("unclosed '{{' in {format:?}"))),
                        }
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(parse_expression(&expr)?);
                }
                '}' => return Err(bad(format!("unmatched '}}' in {format:?}"))),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        let literals: String = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Literal(s) => Some(s.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("{}");
        check_literal("template", &literals)?;
        if format.starts_with('/') || format.ends_with('/') {
            return Err(bad(format!("{format:?} begins or ends with '/'")));
        }
        let rests = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Rest { .. }))
            .count();
        if pieces.iter().all(|p| matches!(p, Piece::Literal(_))) {
            return Err(bad(format!("{format:?} has no {{}} expression")));
        }
        if rests > 1 {
            return Err(bad(format!("{format:?} has more than one {{*}}")));
        }
        if rests == 1 && separator.is_none() {
            return Err(bad(format!("{format:?} has {{*}} but no \"separator\"")));
        }
        if let Some(sep) = separator {
            check_literal("separator", sep)?;
        }
        // Two coordinates with only digits (or nothing) between them run
        // together: chunks (1, 23) and (12, 3) would share the key "123".
        let delimits = |text: &str| text.bytes().any(|b| !b.is_ascii_digit());
        if rests == 1 && !separator.is_some_and(delimits) {
            return Err(bad(
                "the separator of {*} must hold a character that is not a digit, \
                 or the coordinates it joins run together"
                    .into(),
            ));
        }
        let mut after_coordinate = false;
        for p in &pieces {
            match p {
                Piece::Literal(text) if delimits(text) => after_coordinate = false,
                Piece::Literal(_) => {}
                _ if after_coordinate => {
                    return Err(bad(format!(
                        "{format:?} has two expressions with nothing but digits between them: \
                         their coordinates run together"
                    )))
                }
                _ => after_coordinate = true,
            }
        }
        Ok(Template {
            format: format.to_string(),
            separator: separator.map(str::to_string),
            pieces,
            resolved: OnceLock::new(),
        })
    }

    pub fn format(&self) -> &str {
        &self.format
    }

    pub fn separator(&self) -> Option<&str> {
        self.separator.as_deref()
    }

    /// The pieces for chunk coordinates of `ndim` values, or why the
    /// template does not fit them.
    fn parts(&self, ndim: usize) -> Result<Vec<Part>> {
        let mut named = vec![false; ndim];
        for p in &self.pieces {
            if let Piece::Coordinate { index, .. } = p {
                let dim = resolve(*index, ndim).ok_or_else(|| {
                    bad(format!(
                        "{{{index}}} of {:?} names no coordinate of {ndim}",
                        self.format
                    ))
                })?;
                if std::mem::replace(&mut named[dim], true) {
                    return Err(bad(format!(
                        "{:?} names coordinate {dim} twice",
                        self.format
                    )));
                }
            }
        }
        let rest: Vec<usize> = (0..ndim).filter(|d| !named[*d]).collect();
        let has_rest = self.pieces.iter().any(|p| matches!(p, Piece::Rest { .. }));
        match (has_rest, rest.len()) {
            (true, 0) => {
                return Err(bad(format!(
                    "{{*}} of {:?} takes none of {ndim} coordinates",
                    self.format
                )))
            }
            (false, n) if n > 0 => {
                return Err(bad(format!(
                    "{:?} inserts {} of {ndim} coordinates",
                    self.format,
                    ndim - n
                )))
            }
            _ => {}
        }
        let mut parts = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Literal(s) => parts.push(Part::Literal(s.clone())),
                Piece::Coordinate { index, width } => parts.push(Part::Coordinate {
                    dim: resolve(*index, ndim).expect("checked above"),
                    width: *width,
                }),
                Piece::Rest { width } => {
                    for (k, &dim) in rest.iter().enumerate() {
                        if k > 0 {
                            let sep = self.separator.clone().expect("checked when built");
                            parts.push(Part::Literal(sep));
                        }
                        parts.push(Part::Coordinate { dim, width: *width });
                    }
                }
            }
        }
        Ok(parts)
    }

    /// Check that the template fits chunk coordinates of `ndim` values
    /// (and keep its pieces resolved for them).
    pub fn check_rank(&self, ndim: usize) -> Result<()> {
        let parts = self.parts(ndim)?;
        let _ = self.resolved.set((ndim, parts));
        Ok(())
    }

    /// Call `f` with the pieces for chunk coordinates of `ndim` values.
    fn with_parts<T>(&self, ndim: usize, f: impl FnOnce(&[Part]) -> T) -> Result<T> {
        match self.resolved.get() {
            Some((n, parts)) if *n == ndim => Ok(f(parts)),
            _ => Ok(f(&self.parts(ndim)?)),
        }
    }

    /// The key of the chunk at `indices` (a rank `check_rank` accepted).
    pub fn key(&self, indices: &[u64]) -> String {
        self.with_parts(indices.len(), |parts| {
            let mut key = String::new();
            for p in parts {
                match p {
                    Part::Literal(s) => key.push_str(s),
                    Part::Coordinate { dim, width } => {
                        key.push_str(&format!("{:0width$}", indices[*dim], width = *width))
                    }
                }
            }
            key
        })
        .expect("the rank was checked when the array was opened")
    }

    /// The coordinates whose key is `key`, if any.
    pub fn indices(&self, key: &str, ndim: usize) -> Option<Vec<u64>> {
        let mut found = vec![None; ndim];
        // Only a split whose coordinates write this very key (padding
        // and all) counts.
        let writes_key = |found: &[Option<u64>]| {
            let idx: Option<Vec<u64>> = found.iter().copied().collect();
            idx.is_some_and(|idx| self.key(&idx) == key)
        };
        let matched = self
            .with_parts(ndim, |parts| {
                match_parts(parts, key, &mut found, &writes_key)
            })
            .ok()?;
        if !matched {
            return None;
        }
        found.into_iter().collect()
    }
}

/// Coordinate `index` of `ndim` (negative: from the end).
fn resolve(index: i64, ndim: usize) -> Option<usize> {
    let n = i64::try_from(ndim).ok()?;
    let i = if index < 0 { n + index } else { index };
    (0..n).contains(&i).then_some(i as usize)
}

/// An expression between braces: `i`, `-i` or `*`, then `:0w` or nothing.
fn parse_expression(expr: &str) -> Result<Piece> {
    let (what, pad) = match expr.split_once(':') {
        Some((w, p)) => (w, Some(p)),
        None => (expr, None),
    };
    let width = match pad {
        None => 0,
        Some(p) => p
            .strip_prefix('0')
            .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|w| w.parse::<usize>().ok())
            .filter(|w| (1..=64).contains(w))
            .ok_or_else(|| bad(format!("{{{expr}}}: padding must be :0 then a width")))?,
    };
    if what == "*" {
        return Ok(Piece::Rest { width });
    }
    let digits = what.strip_prefix('-').unwrap_or(what);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
        || what == "-0"
    {
        return Err(bad(format!("{{{expr}}} is not a coordinate index or *")));
    }
    let index: i64 = what
        .parse()
        .map_err(|_| bad(format!("{{{expr}}} is not a coordinate index")))?;
    Ok(Piece::Coordinate { index, width })
}

/// Match `key` against `parts`, recording each coordinate's value in
/// `found`, until a complete match that `accept` takes; a coordinate
/// takes a run of digits of any length, tried longest first.
fn match_parts(
    parts: &[Part],
    key: &str,
    found: &mut Vec<Option<u64>>,
    accept: &dyn Fn(&[Option<u64>]) -> bool,
) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return key.is_empty() && accept(found);
    };
    match first {
        Part::Literal(s) => key
            .strip_prefix(s.as_str())
            .is_some_and(|k| match_parts(rest, k, found, accept)),
        Part::Coordinate { dim, .. } => {
            let digits = key.bytes().take_while(u8::is_ascii_digit).count();
            for len in (1..=digits).rev() {
                let Ok(v) = key[..len].parse::<u64>() else {
                    continue;
                };
                let before = found[*dim];
                found[*dim] = Some(v);
                if match_parts(rest, &key[len..], found, accept) {
                    return true;
                }
                found[*dim] = before;
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_examples() {
        // zarr-extensions' examples.tsv.
        for (format, sep, idx, key) in [
            ("c/{*}", "/", [11, 22, 33], "c/11/22/33"),
            ("{*}", ".", [11, 22, 33], "11.22.33"),
            ("prefix/{*}", "/", [11, 22, 33], "prefix/11/22/33"),
            ("{*}.suffix", "_", [11, 22, 33], "11_22_33.suffix"),
            ("{2}/{0}/{1}", ".", [11, 22, 33], "33/11/22"),
            ("{-1}/{*}", "/", [11, 22, 33], "33/11/22"),
            ("{*:04}", "/", [11, 22, 33], "0011/0022/0033"),
            ("{*:02}", "/", [111, 2, 33], "111/02/33"),
        ] {
            let t = Template::new(format, Some(sep)).unwrap();
            t.check_rank(3).unwrap();
            assert_eq!(t.key(&idx), key, "{format}");
            assert_eq!(t.indices(key, 3), Some(idx.to_vec()), "{format}");
        }
    }

    #[test]
    fn keys_parse_back_and_others_do_not() {
        let t = Template::new("images/{-1}/{*:04}.jpeg", Some("_")).unwrap();
        assert_eq!(t.key(&[3, 40, 7]), "images/7/0003_0040.jpeg");
        assert_eq!(
            t.indices("images/7/0003_0040.jpeg", 3),
            Some(vec![3, 40, 7])
        );
        for other in [
            "images/7/003_0040.jpeg",
            "images/7/0003_0040.jpg",
            "images/07/0003_0040.jpeg",
            "images/7/0003_0040",
            "zarr.json",
        ] {
            assert_eq!(t.indices(other, 3), None, "{other}");
        }
        // Padding and a literal that starts with digits: the split that
        // writes the key.
        let t = Template::new("{0}-{1:03}5x{2}", None).unwrap();
        assert_eq!(t.key(&[12, 5, 67]), "12-0055x67");
        assert_eq!(t.indices("12-0055x67", 3), Some(vec![12, 5, 67]));
        assert_eq!(t.indices("12-12345x6", 3), Some(vec![12, 1234, 6]));
        assert_eq!(t.indices("12-55x6", 3), None);
        let t = Template::new("x{{{0}}}", None).unwrap();
        assert_eq!(t.key(&[5]), "x{5}");
        assert_eq!(t.indices("x{5}", 1), Some(vec![5]));
        assert_eq!(t.indices("x{18446744073709551616}", 1), None);
    }

    #[test]
    fn templates_that_cannot_be_are_errors() {
        for (format, sep) in [
            ("{*}/{*}", Some("/")),
            ("{*}", None),
            ("c", None),
            ("/{0}", None),
            ("{0}/", None),
            ("{0}/../{1}", None),
            ("{0}//{1}", None),
            ("zarr.json{0}", None),
            ("{x}", None),
            ("{01}", None),
            ("{0:4}", None),
            ("{0:0}", None),
            ("{0", None),
            ("{0}}", None),
            ("{*}", Some("..")),
            // Coordinates that would run together.
            ("{0}{1}", None),
            ("{0}-{1:03}{2}", None),
            ("{0}12{1}", None),
            ("{*}", Some("")),
            ("{*}", Some("1")),
            ("{-0}", None),
        ] {
            assert!(Template::new(format, sep).is_err(), "{format:?} {sep:?}");
        }
        // Fits some ranks only.
        let t = Template::new("{0}/{-1}", None).unwrap();
        t.check_rank(2).unwrap();
        for ndim in [0, 1, 3] {
            assert!(t.check_rank(ndim).is_err(), "{ndim}");
        }
        let t = Template::new("{0}/{*}", Some(".")).unwrap();
        assert!(t.check_rank(1).is_err());
        t.check_rank(4).unwrap();
    }
}
