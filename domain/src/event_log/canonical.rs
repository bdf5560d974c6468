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
                out.extend_from_slice(itoa(i as i128).as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(itoa(u as i128).as_bytes());
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
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
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
        }
    }
    true
}

fn itoa(n: i128) -> String {
    n.to_string()
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
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
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
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
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
