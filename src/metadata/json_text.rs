//! Reading JSON text as Python's `json` (and so zarr-python) writes it.
//! Python writes what a JSON library such as this one refuses:
//! non-finite floats as the bare tokens `NaN`, `Infinity` and
//! `-Infinity`, which JSON has not got; integers of any size (10**400 is
//! past every float); and strings with lone UTF-16 surrogate escapes
//! (`"\ud800"`), which JSON's grammar allows. A document that fails to
//! parse is read again through a rewrite of those, and errors name
//! places in the text as it was given.

use serde_json::Value;

/// Parse stored JSON text. In a document that fails to parse, the bare
/// tokens are read as the strings Zarr uses for them ("NaN", ...),
/// numbers past float64 as strings of their text, and lone surrogates as
/// U+FFFD. Attributes keep the text itself ([`super::Attributes`]), so
/// what is stored and handed out of them is exact. The error says what is
/// wrong and where (line and column of `text`).
pub fn parse_json(text: &[u8]) -> Result<Value, String> {
    let strict = match serde_json::from_slice(text) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let Some(readable) = rewrite(text, Rewrite::Readable) else {
        return Err(strict.to_string());
    };
    serde_json::from_slice(&readable.text).map_err(|e| readable.error_in_original(&e))
}

/// Whether `text` is JSON as a strict reader takes it.
pub(crate) fn is_strict_json(text: &[u8]) -> bool {
    serde_json::from_slice::<Value>(text).is_ok()
}

/// `text` with `NaN`, `Infinity` and `-Infinity` quoted where they stand
/// for values (not inside strings, not as an object's keys, which Python
/// never writes bare), or None when it has none of them: strict JSON.
pub(crate) fn quote_non_finite(text: &[u8]) -> Option<Vec<u8>> {
    rewrite(text, Rewrite::NonFinite).map(|r| r.text)
}

/// The UTF-16 units of the JSON string literal `literal` (its quotes
/// included), lone surrogates kept: what tells one key from another
/// where reading them as text would make two lone surrogates one U+FFFD.
/// None when it is not a string literal.
pub(crate) fn key_units(literal: &[u8]) -> Option<Vec<u16>> {
    let body = literal.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let body = std::str::from_utf8(body).ok()?;
    let mut units = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        let unit = match c {
            '"' | '\u{0}'..='\u{1f}' => return None,
            '\\' => match chars.next()? {
                '"' => 0x22,
                '\\' => 0x5c,
                '/' => 0x2f,
                'b' => 0x08,
                'f' => 0x0c,
                'n' => 0x0a,
                'r' => 0x0d,
                't' => 0x09,
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    hex_unit(hex.as_bytes())?
                }
                _ => return None,
            },
            c => {
                units.extend_from_slice(c.encode_utf16(&mut [0; 2]));
                continue;
            }
        };
        units.push(unit);
    }
    Some(units)
}

#[derive(Clone, Copy, PartialEq)]
enum Rewrite {
    /// Quote bare NaN and infinities.
    NonFinite,
    /// Also quote numbers past float64 and replace lone surrogates: text
    /// a JSON library reads.
    Readable,
}

struct Rewritten {
    text: Vec<u8>,
    /// Where in `text` a quote was added (only quotes are added: a lone
    /// surrogate's escape is replaced by one of the same length).
    added: Vec<usize>,
}

impl Rewritten {
    /// Append `token` quoted.
    fn quote(&mut self, token: &[u8]) {
        self.added.push(self.text.len());
        self.text.push(b'"');
        self.text.extend_from_slice(token);
        self.added.push(self.text.len());
        self.text.push(b'"');
    }

    /// `e`, an error in the rewritten text, placed in the original.
    fn error_in_original(&self, e: &serde_json::Error) -> String {
        let message = e.to_string();
        let place = format!(" at line {} column {}", e.line(), e.column());
        let Some(what) = message.strip_suffix(&place) else {
            return message;
        };
        // serde_json counts lines from 1 and columns as bytes into the
        // line, the one it stopped at included. Stopped at a quote that
        // was added, it stopped at the token's start, which the quote
        // does not move; at the end of the text, after all of them.
        let line_start = self
            .text
            .split_inclusive(|&b| b == b'\n')
            .take(e.line().saturating_sub(1))
            .map(<[u8]>::len)
            .sum::<usize>();
        let stopped_at = line_start + e.column().saturating_sub(1);
        let end = e.classify() == serde_json::error::Category::Eof;
        let added_before = self
            .added
            .iter()
            .filter(|&&q| q >= line_start && (q < stopped_at || (end && q == stopped_at)))
            .count();
        format!(
            "{what} at line {} column {}",
            e.line(),
            e.column().saturating_sub(added_before)
        )
    }
}

/// `text` rewritten as `how` says, or None when nothing changed.
fn rewrite(text: &[u8], how: Rewrite) -> Option<Rewritten> {
    let mut out = Rewritten {
        text: Vec::with_capacity(text.len() + 16),
        added: Vec::new(),
    };
    let (mut in_string, mut changed) = (false, false);
    // The open containers, and whether an object key comes next.
    let mut open: Vec<u8> = Vec::new();
    let mut key_next = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' => {
                    let escape = &text[i..];
                    let len = match surrogate(escape) {
                        Surrogate::Pair => 12,
                        Surrogate::Lone if how == Rewrite::Readable => {
                            out.text.extend_from_slice(b"\\ufffd");
                            changed = true;
                            i += 6;
                            continue;
                        }
                        Surrogate::Lone => 6,
                        // Six for another \uXXXX, two for the rest (at
                        // most what is left: a cut escape is the parser's
                        // to refuse).
                        Surrogate::No if escape.get(1) == Some(&b'u') => 6,
                        Surrogate::No => 2,
                    };
                    let len = len.min(escape.len());
                    out.text.extend_from_slice(&escape[..len]);
                    i += len;
                    continue;
                }
                _ => {}
            }
        } else if c == b'"' {
            in_string = true;
        } else if b"{[}],:".contains(&c) {
            match c {
                b'{' | b'[' => open.push(c),
                b'}' | b']' => {
                    open.pop();
                }
                _ => {}
            }
            key_next = match c {
                b'{' => true,
                b',' => open.last() == Some(&b'{'),
                _ => false,
            };
        } else if key_next {
            // A bare key is malformed: left for the parser to refuse.
        } else if let Some(token) = [&b"NaN"[..], b"Infinity", b"-Infinity"]
            .into_iter()
            .find(|t| text[i..].starts_with(t))
        {
            out.quote(token);
            i += token.len();
            changed = true;
            continue;
        } else if how == Rewrite::Readable && (c == b'-' || c.is_ascii_digit()) {
            let len = text[i..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || b"+-.eE".contains(b)))
                .unwrap_or(text.len() - i);
            let number = &text[i..i + len];
            if is_json_number(number) && past_float64(number) {
                out.quote(number);
                changed = true;
            } else {
                out.text.extend_from_slice(number);
            }
            i += len;
            continue;
        }
        out.text.push(c);
        i += 1;
    }
    changed.then_some(out)
}

/// Whether `s` is a number as JSON's grammar writes one:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut s = s.strip_prefix(b"-").unwrap_or(s);
    match digits(s) {
        0 => return false,
        n if n > 1 && s[0] == b'0' => return false,
        n => s = &s[n..],
    }
    if let Some(rest) = s.strip_prefix(b".") {
        match digits(rest) {
            0 => return false,
            n => s = &rest[n..],
        }
    }
    if let Some(rest) = s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) {
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        match digits(rest) {
            0 => return false,
            n => s = &rest[n..],
        }
    }
    s.is_empty()
}

/// Whether the JSON number `s` is past float64's range.
fn past_float64(s: &[u8]) -> bool {
    std::str::from_utf8(s)
        .ok()
        .and_then(|n| n.parse::<f64>().ok())
        .is_some_and(f64::is_infinite)
}

enum Surrogate {
    /// A high surrogate's escape followed by a low one's: twelve bytes.
    Pair,
    /// A surrogate's escape that is not half of a pair.
    Lone,
    No,
}

/// What the escape `s` starts with (`s[0]` is a backslash) holds.
fn surrogate(s: &[u8]) -> Surrogate {
    match unit(s) {
        Some(0xD800..=0xDBFF) => match unit(&s[6..]) {
            Some(0xDC00..=0xDFFF) => Surrogate::Pair,
            _ => Surrogate::Lone,
        },
        Some(0xDC00..=0xDFFF) => Surrogate::Lone,
        _ => Surrogate::No,
    }
}

/// The UTF-16 unit of the `\uXXXX` escape `s` starts with.
fn unit(s: &[u8]) -> Option<u16> {
    hex_unit(s.strip_prefix(b"\\u")?.get(..4)?)
}

/// The UTF-16 unit four hex digits `hex` write.
fn hex_unit(hex: &[u8]) -> Option<u16> {
    if hex.len() != 4 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_tokens_read_as_zarr_strings() {
        let v =
            parse_json(br#"{"a": NaN, "b": [Infinity, -Infinity, 1], "c": "NaN Infinity \" NaN"}"#)
                .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": "NaN", "b": ["Infinity", "-Infinity", 1], "c": "NaN Infinity \" NaN"})
        );
        // Strict JSON is read as it is; other errors stay errors.
        assert_eq!(parse_json(br#"{"a":"NaN"}"#).unwrap()["a"], "NaN");
        assert!(parse_json(b"{NaN}").is_err());
        // Bare tokens are values, never keys.
        for bad in [
            &b"{NaN: 1}"[..],
            b"{\"a\": 1, Infinity: 2}",
            b"[{NaN: NaN}]",
        ] {
            assert!(parse_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            parse_json(b"[NaN, {\"k\": [Infinity, {\"j\": -Infinity}]}, NaN]").unwrap(),
            serde_json::json!(["NaN", {"k": ["Infinity", {"j": "-Infinity"}]}, "NaN"])
        );
        assert!(parse_json(b"{").is_err());
        assert!(crate::metadata::parse_object(br#"{"x": nan}"#, "doc").is_err());
    }

    #[test]
    fn what_python_writes_past_a_json_library_is_read() {
        let big = "1".to_string() + &"0".repeat(400);
        let text = format!(
            r#"{{"big": {big}, "neg": -{big}, "e": 1e400, "fine": [1e300, 2e-400, 18446744073709551616],
                "lone": "a\ud800b", "low": "\udfff", "pair": "\ud83d\ude00", "two": "\ud800\ud800",
                "cut": "\ud800\u00e9", "esc": "\\ud800 \" 1e400", "\ud800k": NaN}}"#
        );
        let v = parse_json(text.as_bytes()).unwrap();
        assert_eq!(v["big"], big.as_str());
        assert_eq!(v["neg"], format!("-{big}"));
        assert_eq!(v["e"], "1e400");
        assert_eq!(
            v["fine"],
            serde_json::json!([1e300, 0.0, 18446744073709551616.0])
        );
        assert_eq!(v["lone"], "a\u{fffd}b");
        assert_eq!(v["low"], "\u{fffd}");
        assert_eq!(v["pair"], "\u{1f600}");
        assert_eq!(v["two"], "\u{fffd}\u{fffd}");
        assert_eq!(v["cut"], "\u{fffd}\u{e9}");
        // An escaped backslash is not an escape's start; a string's
        // digits are no number.
        assert_eq!(v["esc"], "\\ud800 \" 1e400");
        assert_eq!(v["\u{fffd}k"], "NaN");
        // Only NaN and infinities are quoted for strict JSON handed out.
        let strict = quote_non_finite(text.as_bytes()).unwrap();
        let strict = String::from_utf8(strict).unwrap();
        assert_eq!(strict, text.replace("NaN}", "\"NaN\"}"));
        assert_eq!(quote_non_finite(br#"{"e": 1e400, "s": "\ud800"}"#), None);
        // Malformed text stays malformed.
        for bad in [
            &b"{\"a\": 1e400"[..],
            b"{\"a\": \"\\ud800}",
            b"{\"a\": \"\\ud8",
            b"[--1e400]",
        ] {
            assert!(parse_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn only_numbers_of_json_s_grammar_are_quoted() {
        for bad in [
            "01e400", "1.e400", "-.5e400", "-01e400", "1e400e", "1E+", ".1e400",
        ] {
            let text = format!(r#"{{"a": {bad}}}"#);
            assert!(parse_json(text.as_bytes()).is_err(), "{bad}");
        }
        for good in ["1e400", "-1E+400", "10.5e400", "2E999"] {
            let text = format!(r#"{{"a": {good}, "z": 0e400}}"#);
            let v = parse_json(text.as_bytes()).unwrap();
            assert_eq!((&v["a"], &v["z"]), (&Value::from(good), &Value::from(0.0)));
        }
    }

    #[test]
    fn errors_name_places_in_the_text_given() {
        // The same error, with and without quoted numbers before it on
        // its line.
        let error = |t: &str| parse_json(t.as_bytes()).unwrap_err();
        assert_eq!(
            error(r#"{"a": 1e400, "b": NaN, "c": nan}"#),
            error(r#"{"a": 10000, "b": 123, "c": nan}"#)
        );
        assert_eq!(
            error("{\"a\": [1e400,\n 1e400, NaN, x]}"),
            error("{\"a\": [10000,\n 10000, 123, x]}")
        );
        assert!(error("{\"a\": 1e400, x}").contains("line 1 column 14"));
        // Stopped at a token that was quoted, or at the end after one.
        for (rewritten, plain) in [
            ("[1e400 NaN]", "[10000 123]"),
            ("{} NaN", "{} 123"),
            ("[1\nNaN]", "[1\n123]"),
            ("[1,\r\nNaN NaN]", "[1,\r\n123 123]"),
            ("[1e400", "[10000"),
            ("[NaN", "[123"),
            ("{\"a\": NaN", "{\"a\": 123"),
        ] {
            assert_eq!(error(rewritten), error(plain), "{rewritten:?}");
        }
    }

    #[test]
    fn keys_are_told_apart_by_their_units() {
        let units = |s: &str| key_units(s.as_bytes());
        assert_eq!(units(r#""c""#), units(r#""\u0063""#));
        assert_ne!(units(r#""\ud800""#), units(r#""\udc00""#));
        assert_eq!(units(r#""\ud800""#), Some(vec![0xd800]));
        assert_eq!(
            units(r#""a\"\\\/\b\f\n\r\t\u00e9😀""#),
            Some("a\"\\/\u{8}\u{c}\n\r\té😀".encode_utf16().collect())
        );
        for bad in ["c", r#""a"#, r#""\x""#, r#""\u12""#, "\"\t\"", r#""a"b""#] {
            assert_eq!(units(bad), None, "{bad}");
        }
    }
}
