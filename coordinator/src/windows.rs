//! When an aggregation window closes: the coordinator's rule for which consecutive sealed
//! batches go under one final proof.

/// Most withdrawals one window holds: the Rollup checks and records every withdrawal of a
/// window in its one `proveWindow` call (≈ 2k gas each, and its memory grows with them),
/// which must stay far inside a transaction's gas.
pub const MAX_WINDOW_WITHDRAWALS: u64 = 1_024;

/// A sealed batch as the window rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedInfo {
    /// Batch number.
    pub number: u64,
    /// When it was sealed (Unix milliseconds).
    pub sealed_at_ms: u64,
    /// Withdrawals it made.
    pub withdrawals: u64,
}

/// When a window closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRule {
    /// A window closes as soon as it has this many sealed batches.
    pub batches: u64,
    /// ...or when its first batch has been sealed this long (milliseconds), with however
    /// many sealed batches follow it by then.
    pub wait_ms: u64,
}

/// The last batch of the window starting at `start`, if it closes now: when it has
/// `rule.batches` sealed batches, when the next sealed batch would take it past
/// [`MAX_WINDOW_WITHDRAWALS`], or when its first batch was sealed `rule.wait_ms` ago.
/// `sealed` lists the sealed batches from `start` on, in order and without gaps.
pub fn close(rule: WindowRule, start: u64, sealed: &[SealedInfo], now_ms: u64) -> Option<u64> {
    let first = sealed.first().filter(|b| b.number == start)?;
    let mut take = sealed.len().min(rule.batches.max(1) as usize);
    let mut withdrawals = 0;
    let mut full = take as u64 == rule.batches.max(1);
    for (i, b) in sealed[..take].iter().enumerate() {
        withdrawals += b.withdrawals;
        if withdrawals > MAX_WINDOW_WITHDRAWALS && i > 0 {
            take = i;
            full = true;
            break;
        }
    }
    (full || now_ms.saturating_sub(first.sealed_at_ms) >= rule.wait_ms)
        .then(|| sealed[take - 1].number)
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
        let sealed =
            [(4, 100), (5, 200), (6, 300), (7, 400)].map(|(number, sealed_at_ms)| SealedInfo {
                number,
                sealed_at_ms,
                withdrawals: 0,
            });
        assert_eq!(close(rule, 4, &sealed, 150), Some(6));
        assert_eq!(close(rule, 4, &sealed[..2], 150), None);
        assert_eq!(close(rule, 4, &sealed[..2], 1_099), None);
        assert_eq!(close(rule, 4, &sealed[..2], 1_100), Some(5));
        assert_eq!(close(rule, 4, &[], 10_000), None);
        // A gap at the start: the window's first batch is not sealed yet.
        assert_eq!(close(rule, 3, &sealed, 10_000), None);
    }

    #[test]
    fn windows_close_before_they_hold_too_many_withdrawals() {
        let rule = WindowRule {
            batches: 100,
            wait_ms: 1_000,
        };
        let batch = |number, withdrawals| SealedInfo {
            number,
            sealed_at_ms: 100,
            withdrawals,
        };
        let per = MAX_WINDOW_WITHDRAWALS / 8;
        let sealed: Vec<_> = (1..=9).map(|n| batch(n, per)).collect();
        assert_eq!(
            close(rule, 1, &sealed[..8], 150),
            None,
            "exactly the cap: not yet"
        );
        assert_eq!(
            close(rule, 1, &sealed, 150),
            Some(8),
            "the ninth would pass it"
        );
        assert_eq!(close(rule, 1, &sealed[..8], 1_100), Some(8));
    }
}
