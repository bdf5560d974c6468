//! The `key = value` text of small rule files (the credit rules, the scheduler's
//! configuration): one pair a line, `#` starts a comment, blank lines are skipped. Each
//! file's parser checks its own keys and values; this reads the lines once, the same way
//! for all of them, and names the line of any that is not a pair.

/// One pair: its 1-based line, its key and its value, both trimmed.
pub type KeyValueLine<'a> = (usize, &'a str, &'a str);

/// The pairs of `text` with their 1-based line numbers, or the first line that is not a
/// `key = value` pair (its number) with what was expected.
pub fn key_value_lines(text: &str) -> Result<Vec<KeyValueLine<'_>>, (usize, String)> {
    let mut out = vec![];
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            return Err((line, format!("expected `key = value`, found {l:?}")));
        };
        out.push((line, k.trim(), v.trim()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_their_lines_and_a_line_without_equals_is_named() {
        let text = "# rules\na = 1\n\nb=two words # note\n";
        assert_eq!(
            key_value_lines(text),
            Ok(vec![(2, "a", "1"), (4, "b", "two words")])
        );
        assert_eq!(
            key_value_lines("a = 1\nnonsense\n"),
            Err((2, "expected `key = value`, found \"nonsense\"".into()))
        );
    }
}
