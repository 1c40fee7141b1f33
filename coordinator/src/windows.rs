//! When an aggregation window closes: the coordinator's rule for which consecutive sealed
//! batches go under one final proof.

/// When a window closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRule {
    /// A window closes as soon as it has this many sealed batches.
    pub batches: u64,
    /// ...or when its first batch has been sealed this long (milliseconds), with however
    /// many sealed batches follow it by then.
    pub wait_ms: u64,
}

/// The last batch of the window starting at `start`, if it closes now. `sealed` lists
/// `(number, sealed_at_ms)` of the sealed batches from `start` on, in order and without
/// gaps.
pub fn close(rule: WindowRule, start: u64, sealed: &[(u64, u64)], now_ms: u64) -> Option<u64> {
    let first = sealed.first().filter(|(n, _)| *n == start)?;
    let take = sealed.len().min(rule.batches.max(1) as usize);
    if take as u64 == rule.batches.max(1) || now_ms.saturating_sub(first.1) >= rule.wait_ms {
        Some(sealed[take - 1].0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_close_when_full_or_old() {
        let rule = WindowRule {
            batches: 3,
            wait_ms: 1_000,
        };
        let sealed = [(4, 100), (5, 200), (6, 300), (7, 400)];
        assert_eq!(close(rule, 4, &sealed, 150), Some(6));
        assert_eq!(close(rule, 4, &sealed[..2], 150), None);
        assert_eq!(close(rule, 4, &sealed[..2], 1_099), None);
        assert_eq!(close(rule, 4, &sealed[..2], 1_100), Some(5));
        assert_eq!(close(rule, 4, &[], 10_000), None);
        // A gap at the start: the window's first batch is not sealed yet.
        assert_eq!(close(rule, 3, &sealed, 10_000), None);
    }
}
