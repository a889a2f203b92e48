//! Job label sets: GitHub labels compare case-insensitively, and order and
//! duplicates never matter, so equal demand must compare (and store) equal.

use std::collections::BTreeSet;

/// Lower-cased, de-duplicated, sorted labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSet(BTreeSet<String>);

impl LabelSet {
    /// Whether the set has no labels (an empty list never matches a rule).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every label of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether `label` (already lower-case) is in the set.
    pub fn contains(&self, label: &str) -> bool {
        self.0.contains(label)
    }

    /// The labels in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl<S: AsRef<str>> FromIterator<S> for LabelSet {
    fn from_iter<I: IntoIterator<Item = S>>(labels: I) -> Self {
        Self(
            labels
                .into_iter()
                .map(|label| label.as_ref().to_lowercase())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_order_and_duplicates_do_not_matter() {
        let a: LabelSet = ["Self-Hosted", "ubuntu-24.04-riscv", "self-hosted"]
            .into_iter()
            .collect();
        let b: LabelSet = ["UBUNTU-24.04-RISCV", "self-hosted"].into_iter().collect();
        assert_eq!(a, b);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            ["self-hosted", "ubuntu-24.04-riscv"]
        );
    }

    #[test]
    fn subset_is_label_inclusion() {
        let small: LabelSet = ["a"].into_iter().collect();
        let big: LabelSet = ["A", "b"].into_iter().collect();
        assert!(small.is_subset(&big));
        assert!(!big.is_subset(&small));
    }
}
