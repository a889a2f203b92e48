//! Repository full-name globs for routing scopes (`ggml-org/*`).
//! `*` matches any run of characters, `?` one character; matching ignores
//! case, as GitHub does for owner and repository names.

/// A compiled repository pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoGlob {
    pattern: Vec<char>,
}

impl RepoGlob {
    /// Compiles `pattern`; every string is a valid pattern.
    pub fn new(pattern: &str) -> Self {
        Self {
            pattern: pattern.to_lowercase().chars().collect(),
        }
    }

    /// The pattern as written (lower-cased).
    pub fn as_string(&self) -> String {
        self.pattern.iter().collect()
    }

    /// Whether `name` (e.g. `ggml-org/llama.cpp`) matches.
    pub fn matches(&self, name: &str) -> bool {
        let text: Vec<char> = name.to_lowercase().chars().collect();
        let (mut p, mut t) = (0, 0);
        // Position of the last `*` and the text index it currently absorbs to.
        let mut backtrack: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.pattern.get(p) {
                Some('*') => {
                    backtrack = Some((p, t));
                    p += 1;
                }
                Some(&c) if c == '?' || c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match backtrack {
                    Some((star, absorbed)) => {
                        p = star + 1;
                        t = absorbed + 1;
                        backtrack = Some((star, absorbed + 1));
                    }
                    None => return false,
                },
            }
        }
        self.pattern[p..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::RepoGlob;

    #[test]
    fn globs_match_like_shell_patterns_ignoring_case() {
        let cases = [
            ("ggml-org/*", "ggml-org/llama.cpp", true),
            ("ggml-org/*", "GGML-Org/whisper.cpp", true),
            ("ggml-org/*", "ggml-org2/llama.cpp", false),
            ("ggml-org/*", "other/ggml-org/x", false),
            (
                "riseproject-dev/llama.cpp",
                "riseproject-dev/llama.cpp",
                true,
            ),
            (
                "riseproject-dev/llama.cpp",
                "riseproject-dev/llama.cpp-validation",
                false,
            ),
            ("*/llama.cpp", "anyone/llama.cpp", true),
            ("a/b?c", "a/bxc", true),
            ("a/b?c", "a/bc", false),
            ("a/*x*y", "a/xxaxy", true),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                RepoGlob::new(pattern).matches(name),
                expected,
                "{pattern} vs {name}"
            );
        }
    }
}
