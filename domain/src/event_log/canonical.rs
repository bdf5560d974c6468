//! Canonical JSON: one byte string per value, so that a hash over it means one thing.
//!
//! Objects are written with their keys sorted by their UTF-8 bytes, no insignificant
//! white space, strings escaped as RFC 8785 does (only `"`, `\` and U+0000–U+001F, with
//! the short forms `\b \t \n \f \r` and `\u00xx` in lower-case hex otherwise), and
//! integers only: a float has no single canonical text, so it is refused. This is
//! written by hand rather than trusting `serde_json::to_vec`, whose key order changes
//! when any crate in the build enables its `preserve_order` feature.

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A number that is not an integer (ratios are stored in basis points instead).
    #[error("{path}: number {value} is not an integer; canonical JSON holds integers only")]
    Float {
        /// JSON path of the number, e.g. `$.data.ratio`.
        path: String,
        /// The number as text.
        value: String,
    },
}

/// The canonical bytes of `value` (see the module documentation).
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(512);
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// Append the canonical bytes of `value` to `out` (the hot path of `log verify`: no
/// allocation beyond `out` unless there is an error to report).
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    if write_value(value, out) {
        Ok(())
    } else {
        let (path, number) = first_float(value, "$".to_string()).unwrap_or_default();
        Err(CanonicalError::Float {
            path,
            value: number,
        })
    }
}

/// Writes `value`; false when it holds a non-integer number.
fn write_value(value: &Value, out: &mut Vec<u8>) -> bool {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write_int(i128::from(i), out);
            } else if let Some(u) = n.as_u64() {
                write_int(i128::from(u), out);
            } else {
                return false;
            }
        }
        Value::String(s) => write_canonical_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_value(item, out) {
                    return false;
                }
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json's map iterates in key order unless a crate in the build enables
            // `preserve_order`: sorted already, it is written as it iterates (no list
            // to build per object); otherwise its entries are sorted first
            let in_order = map
                .keys()
                .zip(map.keys().skip(1))
                .all(|(a, b)| a.as_bytes() < b.as_bytes());
            if in_order {
                return write_object(map.iter(), out);
            }
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            return write_object(entries.into_iter(), out);
        }
    }
    true
}

/// Writes an object's entries, given in canonical key order.
fn write_object<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
) -> bool {
    out.push(b'{');
    for (i, (key, v)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_canonical_str(key, out);
        out.push(b':');
        if !write_value(v, out) {
            return false;
        }
    }
    out.push(b'}');
    true
}

/// Appends the decimal text of `n` (no allocation).
fn write_int(n: i128, out: &mut Vec<u8>) {
    use std::io::Write;
    // writing to a Vec cannot fail
    let _ = write!(out, "{n}");
}

/// The path and text of the first non-integer number, in canonical key order.
fn first_float(value: &Value, path: String) -> Option<(String, String)> {
    match value {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => {
            Some((path, n.to_string()))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_float(v, format!("{path}[{i}]"))),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            keys.into_iter().find_map(|k| {
                map.get(k)
                    .and_then(|v| first_float(v, format!("{path}.{k}")))
            })
        }
        _ => None,
    }
}

/// Appends the canonical text of the string `s` (quoted, escaped as the module
/// documentation says), so a caller can write a known object's keys and values in order
/// without building a [`Value`] first.
pub fn write_canonical_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // runs of bytes that need no escape are copied whole (most strings are one run)
    let mut run = 0;
    let mut i = next_escape(bytes, 0);
    while let Some(&b) = bytes.get(i) {
        out.extend_from_slice(&bytes[run..i]);
        run = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
        }
        i = next_escape(bytes, run);
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// The position of the first byte at or after `from` that needs an escape (`"`, `\\`,
/// below U+0020), or `bytes.len()`. Eight bytes are tested at a time (the usual bit
/// tricks: a byte below `n` or equal to `c` sets the high bit of its lane, and the
/// lowest such lane is exact), then the word that has one is searched byte by byte.
fn next_escape(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let below = w.wrapping_sub(ONES * 0x20) & !w;
        let (q, s) = (w ^ (ONES * u64::from(b'"')), w ^ (ONES * u64::from(b'\\')));
        let quote = q.wrapping_sub(ONES) & !q;
        let slash = s.wrapping_sub(ONES) & !s;
        if (below | quote | slash) & HIGH != 0 {
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|b| needs(*b))
        .map_or(bytes.len(), |at| i + at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: Value) -> String {
        String::from_utf8(canonical_json(&v).unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v = json!({"b": 1, "a": {"z": [1, 2, {"y": null, "x": true}], "名": "值"}});
        assert_eq!(
            canon(v),
            r#"{"a":{"z":[1,2,{"x":true,"y":null}],"名":"值"},"b":1}"#
        );
    }

    /// The escaping byte by byte, as written before runs were copied whole: the
    /// reference the faster [`write_canonical_str`] must agree with.
    fn escaped_byte_by_byte(s: &str) -> Vec<u8> {
        let mut out = vec![b'"'];
        for &b in s.as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x09 => out.extend_from_slice(b"\\t"),
                0x0a => out.extend_from_slice(b"\\n"),
                0x0c => out.extend_from_slice(b"\\f"),
                0x0d => out.extend_from_slice(b"\\r"),
                0x00..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
                _ => out.push(b),
            }
        }
        out.push(b'"');
        out
    }

    proptest::proptest! {
        #[test]
        fn runs_copied_whole_escape_as_byte_by_byte(s in "(\\PC|[\\x00-\\x1f\"\\\\])*") {
            let mut out = Vec::new();
            write_canonical_str(&s, &mut out);
            proptest::prop_assert_eq!(out, escaped_byte_by_byte(&s));
        }
    }

    #[test]
    fn strings_escape_only_what_rfc8785_escapes() {
        let v = json!("a\"b\\c\n\u{1}/é\u{7f}");
        assert_eq!(canon(v), "\"a\\\"b\\\\c\\n\\u0001/é\u{7f}\"");
    }

    #[test]
    fn floats_are_refused_with_their_path() {
        let err = canonical_json(&json!({"data": {"ratio": 0.05}}));
        assert_eq!(
            err,
            Err(CanonicalError::Float {
                path: "$.data.ratio".into(),
                value: "0.05".into()
            })
        );
    }

    #[test]
    fn canonical_text_parses_back_to_the_same_value() {
        let v = json!({"n": -5, "u": u64::MAX, "s": "x\ty", "arr": []});
        let bytes = canonical_json(&v).unwrap_or_default();
        let back: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(back, v);
    }
}
