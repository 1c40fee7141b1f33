//! Which aggregation steps a window of batches needs.
//!
//! A window is a run of consecutive sealed batches that ends up under one final proof
//! (when a window closes is the proof coordinator's decision).
//! Its steps form the canonical tree ([`crate::public_inputs::split_point`]): a leaf per
//! batch, a fold per inner node, then the final wrap of the root. The tree depends only on
//! the window, so a node that restarts (or another machine) recomputes the same steps,
//! and the final proof attests the same values (its bytes may differ: plonky2's parallel
//! proof-of-work search keeps whichever valid nonce it finds first).

use crate::public_inputs::split_point;

/// Batches `start..=end` under one final proof.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Window {
    /// First batch.
    pub start: u64,
    /// Last batch.
    pub end: u64,
}

/// One aggregation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// Wrap batch `n`'s accepted proof as an aggregate of one batch.
    Leaf(u64),
    /// Fold the aggregates of `lo..=mid` and `mid+1..=hi`.
    Fold {
        /// First batch.
        lo: u64,
        /// Last batch of the left part.
        mid: u64,
        /// Last batch.
        hi: u64,
    },
    /// Wrap the window's root aggregate for L1.
    Wrap(Window),
}

impl Step {
    /// The range of batches the step's output covers.
    pub fn range(&self) -> (u64, u64) {
        match *self {
            Step::Leaf(n) => (n, n),
            Step::Fold { lo, hi, .. } => (lo, hi),
            Step::Wrap(w) => (w.start, w.end),
        }
    }

    /// Metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Step::Leaf(_) => "leaf",
            Step::Fold { .. } => "fold",
            Step::Wrap(_) => "wrap",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Leaf(n) => write!(f, "leaf of batch {n}"),
            Step::Fold { lo, mid, hi } => write!(f, "fold of {lo}..={mid} and {}..={hi}", mid + 1),
            Step::Wrap(w) => write!(f, "final wrap of {}..={}", w.start, w.end),
        }
    }
}

/// The step whose output covers `lo..=hi` in the canonical tree.
pub fn step_for(lo: u64, hi: u64) -> Step {
    if lo == hi {
        Step::Leaf(lo)
    } else {
        let left = split_point((hi - lo + 1) as usize) as u64;
        Step::Fold {
            lo,
            mid: lo + left - 1,
            hi,
        }
    }
}

/// Every step of `w`, children before parents, the final wrap last.
pub fn steps(w: Window) -> Vec<Step> {
    fn walk(lo: u64, hi: u64, out: &mut Vec<Step>) {
        let step = step_for(lo, hi);
        if let Step::Fold { mid, .. } = step {
            walk(lo, mid, out);
            walk(mid + 1, hi, out);
        }
        out.push(step);
    }
    let mut out = Vec::new();
    walk(w.start, w.end, &mut out);
    out.push(Step::Wrap(w));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_canonical_tree() {
        assert_eq!(
            steps(Window { start: 5, end: 5 }),
            vec![Step::Leaf(5), Step::Wrap(Window { start: 5, end: 5 })]
        );
        let w = Window { start: 1, end: 3 };
        assert_eq!(
            steps(w),
            vec![
                Step::Leaf(1),
                Step::Leaf(2),
                Step::Fold {
                    lo: 1,
                    mid: 1,
                    hi: 2
                },
                Step::Leaf(3),
                Step::Fold {
                    lo: 1,
                    mid: 2,
                    hi: 3
                },
                Step::Wrap(w),
            ]
        );
        // 8 batches: 8 leaves, 7 folds, one wrap.
        let s = steps(Window { start: 10, end: 17 });
        assert_eq!(s.len(), 16);
        assert_eq!(
            s[14],
            Step::Fold {
                lo: 10,
                mid: 13,
                hi: 17
            }
        );
    }
}
