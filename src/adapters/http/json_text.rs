//! JSON text made fit for PostgreSQL before anything reads it. `jsonb` and
//! `text` cannot hold NUL, and `jsonb` refuses a lone UTF-16 surrogate
//! escape; a payload carrying either would fail on every redelivery, so
//! each such escape becomes `\ufffd` (the replacement character) — one
//! character is worth less than the delivery. Nesting is capped far above
//! anything GitHub sends, so a hostile body cannot exhaust PostgreSQL's
//! parser stack.

use std::borrow::Cow;

/// Deeper nesting is refused; GitHub's payloads nest about ten levels.
pub const MAX_DEPTH: usize = 512;

/// The escape that replaces an unstorable one.
const REPLACEMENT: &str = "\\ufffd";

/// `text` with NUL and lone surrogate escapes replaced; `Err` with the cap
/// when it nests deeper than [`MAX_DEPTH`]. Text that is not JSON passes
/// through for the parser to refuse.
pub fn storable(text: &str) -> Result<Cow<'_, str>, usize> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (_, b'"') => in_string = !in_string,
            (false, b'{' | b'[') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(MAX_DEPTH);
                }
            }
            (false, b'}' | b']') => depth = depth.saturating_sub(1),
            (true, b'\\') => {
                let escape = unicode_escape(bytes, i);
                // How many bytes to keep as they are; 0 replaces the escape.
                let keep = match escape {
                    // A high surrogate is kept with the low one after it.
                    Some(0xD800..=0xDBFF) => match unicode_escape(bytes, i + 6) {
                        Some(0xDC00..=0xDFFF) => 12,
                        _ => 0,
                    },
                    Some(0 | 0xDC00..=0xDFFF) => 0,
                    Some(_) => 6,
                    None => 2,
                };
                if keep == 0 {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..i]);
                    out.push_str(REPLACEMENT);
                    copied = i + 6;
                    i += 6;
                } else {
                    i += keep;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied.min(text.len())..]);
            Cow::Owned(out)
        }
    })
}

/// The code unit of a `\uXXXX` escape starting at `at`, if there is one.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 6)?;
    if digits[0] != b'\\' || digits[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&digits[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_lone_surrogates_become_replacement_characters() {
        let cases = [
            (r#"{"a":"x\u0000y"}"#, r#"{"a":"x\ufffdy"}"#),
            (r#"{"a":"\\u0000"}"#, r#"{"a":"\\u0000"}"#),
            (r#"{"a":"\\\u0000"}"#, r#"{"a":"\\\ufffd"}"#),
            (r#"{"a":"\u00001"}"#, r#"{"a":"\ufffd1"}"#),
            (r#"{"a":"\ud800"}"#, r#"{"a":"\ufffd"}"#),
            (r#"{"a":"\ud800x"}"#, r#"{"a":"\ufffdx"}"#),
            (r#"{"a":"\udc00\ud800"}"#, r#"{"a":"\ufffd\ufffd"}"#),
            (r#"{"a":"\ud83d\ude00"}"#, r#"{"a":"\ud83d\ude00"}"#),
            (r#"{"é":"\u0041","b":"\""}"#, r#"{"é":"\u0041","b":"\""}"#),
            (r#"{"\u0000":1}"#, r#"{"\ufffd":1}"#),
        ];
        for (input, expected) in cases {
            let cleaned = storable(input).unwrap();
            assert_eq!(cleaned, expected, "{input}");
            let parsed: serde_json::Value = serde_json::from_str(&cleaned).unwrap();
            assert!(!parsed.to_string().contains('\0'), "{input}");
        }
    }

    #[test]
    fn clean_text_is_not_copied() {
        assert!(matches!(storable(r#"{"a":"b\n"}"#), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn nesting_is_capped_outside_strings_only() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(storable(&deep), Err(MAX_DEPTH));
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(storable(&fine).is_ok());
        let in_string = format!(r#"{{"a":"{}"}}"#, "[".repeat(MAX_DEPTH * 2));
        assert!(storable(&in_string).is_ok());
    }
}
