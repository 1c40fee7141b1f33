//! The one lease and retry rule every job follows, as pure functions of the clock.
//!
//! A job is available when nobody holds a live lease on it and its retry time has come.
//! - **Lease**: a worker that takes a job holds it for the configured time; a worker that
//!   dies or stalls loses it when the lease runs out.
//! - **Refused output**: the lease is dropped and the job is free at once (the fault is
//!   the submitter's, not the job's: a bad prover must not stall the chain).
//! - **Failure** (a worker reports it could not run the job): the job waits
//!   [`RetryPolicy::delay`] after its n-th failure, doubling up to a ceiling, so a job that
//!   keeps failing neither spins nor blocks the jobs behind it.
//! - **Acceptance** deletes the record.
//! - **Restart**: leases of the node's own in-process workers are dropped (those threads
//!   are gone); remote workers keep theirs and may still hand their output in.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Backoff after failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub first: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// How long a job waits after its `failures`-th failure (`failures ≥ 1`).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// A job's stored state while it has no accepted output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobState {
    /// Who holds the lease, if anyone.
    pub holder: Option<String>,
    /// Unix milliseconds when the lease runs out.
    pub lease_until_ms: u64,
    /// Failures reported so far.
    pub failures: u32,
    /// Unix milliseconds before which nobody gets the job (after a failure).
    pub retry_at_ms: u64,
}

impl JobState {
    /// Whether `worker` holds a live lease.
    pub fn held_by(&self, worker: &str, now_ms: u64) -> bool {
        self.holder.as_deref() == Some(worker) && self.lease_until_ms > now_ms
    }

    /// Whether someone holds a live lease.
    pub fn is_held(&self, now_ms: u64) -> bool {
        self.holder.is_some() && self.lease_until_ms > now_ms
    }

    /// Whether a worker may take the job now.
    pub fn is_available(&self, now_ms: u64) -> bool {
        !self.is_held(now_ms) && self.retry_at_ms <= now_ms
    }

    /// The state after `worker` takes the job for `lease`.
    pub fn leased(&self, worker: &str, now_ms: u64, lease: Duration) -> Self {
        Self {
            holder: Some(worker.to_string()),
            lease_until_ms: now_ms.saturating_add(lease.as_millis() as u64),
            ..self.clone()
        }
    }

    /// The state after the holder's output was refused: free at once.
    pub fn released(&self) -> Self {
        Self {
            holder: None,
            lease_until_ms: 0,
            ..self.clone()
        }
    }

    /// The state after a failure: free once the policy's delay has passed.
    pub fn failed(&self, now_ms: u64, policy: &RetryPolicy) -> Self {
        let failures = self.failures.saturating_add(1);
        Self {
            holder: None,
            lease_until_ms: 0,
            failures,
            retry_at_ms: now_ms.saturating_add(policy.delay(failures).as_millis() as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_millis(1_000);

    #[test]
    fn a_lease_holds_until_it_runs_out() {
        let s = JobState::default();
        assert!(s.is_available(0));
        let held = s.leased("a", 100, LEASE);
        assert!(held.held_by("a", 100));
        assert!(!held.held_by("b", 100));
        assert!(!held.is_available(1_099));
        assert!(held.is_available(1_100), "expired at 100 + 1000 ms");
        assert!(!held.held_by("a", 1_100));
    }

    #[test]
    fn a_refused_output_frees_the_job_at_once() {
        let held = JobState::default().leased("a", 0, LEASE);
        let freed = held.released();
        assert!(freed.is_available(1));
        assert_eq!(
            freed.failures, 0,
            "a refusal is the submitter's fault, not the job's"
        );
    }

    #[test]
    fn failures_back_off_doubling_up_to_the_ceiling() {
        let policy = RetryPolicy {
            first: Duration::from_millis(100),
            max: Duration::from_millis(350),
        };
        assert_eq!(policy.delay(1), Duration::from_millis(100));
        assert_eq!(policy.delay(2), Duration::from_millis(200));
        assert_eq!(policy.delay(3), Duration::from_millis(350));
        assert_eq!(policy.delay(u32::MAX), Duration::from_millis(350));

        let once = JobState::default()
            .leased("a", 0, LEASE)
            .failed(10, &policy);
        assert_eq!(once.holder, None);
        assert!(!once.is_available(109));
        assert!(once.is_available(110));
        let twice = once.leased("b", 110, LEASE).failed(120, &policy);
        assert_eq!(twice.failures, 2);
        assert!(!twice.is_available(319));
        assert!(twice.is_available(320));
        // A later lease keeps the failure count: the next failure waits longer still.
        assert_eq!(twice.leased("c", 320, LEASE).failures, 2);
    }
}
