//! The job table's rules with a fake chain and a clock the test moves: lease, expiry,
//! refusal, failure backoff, restart, window closing. No proving: these are the
//! coordinator's decisions, checked in milliseconds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::B256;
use quire_aggregator::{Step, Window};
use quire_coordinator::{
    Clock, Coordinator, CoordinatorConfig, JobId, JobOutput, ManualClock, ProofStore,
    ProvingStatus, RetryPolicy, SubmitError, WindowRule, WorkKinds,
};
use quire_primitives::chain::{ChainReadError, ChainReader, SealedBatch};
use quire_primitives::{AccountLeaf, BatchHeader, BatchStatus};
use quire_prover::cache::CircuitCache;
use quire_prover::proof_file::BatchProofFile;
use quire_prover::BatchShape;

/// Batch headers only: enough for the coordinator's scheduling decisions.
#[derive(Default)]
struct FakeChain(Mutex<Vec<BatchHeader>>);

impl FakeChain {
    /// Seals the next batch at `sealed_at_ms`.
    fn seal(&self, sealed_at_ms: u64) -> u64 {
        let mut batches = self.0.lock().unwrap();
        let number = batches.len() as u64;
        batches.push(BatchHeader {
            number,
            first_block: number,
            last_block: number,
            tx_count: 1,
            proof_slots: 1,
            data_bytes: 0,
            prev_state_root: B256::ZERO,
            state_root: B256::ZERO,
            tx_commitment: B256::ZERO,
            opened_at_ms: sealed_at_ms,
            sealed_at_ms,
            status: BatchStatus::Sealed.code(),
            deposit_count: 0,
            deposit_chain: B256::ZERO,
            queue_hash: Default::default(),
            withdrawal_count: 0,
            withdrawal_hash: Default::default(),
            bridge_ops: 0,
        });
        number
    }

    /// Opens a batch that is not sealed.
    fn open(&self) {
        self.seal(0);
        let mut batches = self.0.lock().unwrap();
        let last = batches.last_mut().unwrap();
        last.status = BatchStatus::Open.code();
        last.sealed_at_ms = 0;
    }
}

impl ChainReader for FakeChain {
    fn batch_header(&self, number: u64) -> Result<Option<BatchHeader>, ChainReadError> {
        Ok(self.0.lock().unwrap().get(number as usize).cloned())
    }
    fn sealed_batch(&self, number: u64) -> Result<SealedBatch, ChainReadError> {
        Err(ChainReadError::NoBatch(number))
    }
    fn leaves_at(&self, _batch: u64) -> Result<Vec<AccountLeaf>, ChainReadError> {
        Ok(Vec::new())
    }
    fn signed_transactions(&self, number: u64) -> Result<Vec<Vec<u8>>, ChainReadError> {
        Err(ChainReadError::NoBatch(number))
    }
}

const LEASE: Duration = Duration::from_millis(1_000);
const BATCHES: WorkKinds = WorkKinds {
    batches: true,
    aggregation: false,
};
const RETRY: RetryPolicy = RetryPolicy {
    first: Duration::from_millis(100),
    max: Duration::from_millis(400),
};

struct Setup {
    dir: tempfile::TempDir,
    chain: Arc<FakeChain>,
    clock: Arc<ManualClock>,
}

impl Setup {
    fn new() -> Self {
        let chain = Arc::new(FakeChain::default());
        chain.seal(0); // genesis, batch 0: never a job
        Self {
            dir: tempfile::tempdir().unwrap(),
            chain,
            clock: Arc::new(ManualClock::at(1_000_000)),
        }
    }

    fn coordinator(&self, aggregation: Option<WindowRule>) -> Arc<Coordinator> {
        Coordinator::new(
            self.chain.clone(),
            ProofStore::open(&self.dir.path().join("proving")).unwrap(),
            Arc::new(CircuitCache::new(Some(self.dir.path().join("circuits")))),
            CoordinatorConfig {
                lease: LEASE,
                retry: RETRY,
                aggregation,
                chain_id: 271_828,
            },
            self.clock.clone(),
        )
        .unwrap()
    }

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }
}

fn status(c: &Coordinator, chain: &FakeChain, n: u64) -> ProvingStatus {
    let header = chain.batch_header(n).unwrap().unwrap();
    c.status(&header).unwrap()
}

#[test]
fn the_oldest_sealed_batch_is_leased_once_until_its_lease_runs_out() {
    let s = Setup::new();
    s.chain.seal(s.now());
    s.chain.seal(s.now());
    s.chain.open();
    let c = s.coordinator(None);
    assert_eq!(status(&c, &s.chain, 1), ProvingStatus::Sealed);
    assert_eq!(c.lease_next("a", BATCHES).unwrap(), Some(JobId::Batch(1)));
    assert_eq!(status(&c, &s.chain, 1), ProvingStatus::Proving);
    assert_eq!(c.lease_next("b", BATCHES).unwrap(), Some(JobId::Batch(2)));
    // Batch 3 is open: nothing more to hand out.
    assert_eq!(c.lease_next("c", BATCHES).unwrap(), None);
    assert_eq!(status(&c, &s.chain, 3), ProvingStatus::Open);

    // One millisecond before a's lease runs out, nobody else gets batch 1; at expiry, the
    // next worker does.
    s.clock.advance(LEASE.as_millis() as u64 - 1);
    assert_eq!(c.lease_next("c", BATCHES).unwrap(), None);
    s.clock.advance(1);
    assert_eq!(status(&c, &s.chain, 1), ProvingStatus::Sealed);
    assert_eq!(c.lease_next("c", BATCHES).unwrap(), Some(JobId::Batch(1)));
    assert_eq!(
        c.job_state(&JobId::Batch(1)).unwrap().holder.as_deref(),
        Some("c")
    );
}

#[test]
fn a_worker_that_takes_no_kind_gets_nothing() {
    let s = Setup::new();
    s.chain.seal(s.now());
    let c = s.coordinator(None);
    let none = WorkKinds {
        batches: false,
        aggregation: false,
    };
    assert_eq!(c.lease_next("a", none).unwrap(), None);
    // Aggregation steps need the coordinator's circuits (it checks every output).
    let steps = WorkKinds {
        batches: false,
        aggregation: true,
    };
    assert_eq!(c.lease_next("a", steps).unwrap(), None);
}

#[test]
fn a_failed_job_backs_off_doubling_and_others_go_first() {
    let s = Setup::new();
    s.chain.seal(s.now());
    s.chain.seal(s.now());
    let c = s.coordinator(None);
    assert_eq!(c.lease_next("a", BATCHES).unwrap(), Some(JobId::Batch(1)));
    c.fail("a", &JobId::Batch(1), "out of memory").unwrap();
    // Batch 1 waits 100 ms; batch 2 is handed out meanwhile.
    assert_eq!(c.lease_next("a", BATCHES).unwrap(), Some(JobId::Batch(2)));
    assert_eq!(c.lease_next("b", BATCHES).unwrap(), None);
    s.clock.advance(99);
    assert_eq!(c.lease_next("b", BATCHES).unwrap(), None);
    s.clock.advance(1);
    assert_eq!(c.lease_next("b", BATCHES).unwrap(), Some(JobId::Batch(1)));
    // A second failure waits twice as long.
    c.fail("b", &JobId::Batch(1), "again").unwrap();
    s.clock.advance(199);
    assert_eq!(c.lease_next("c", BATCHES).unwrap(), None);
    s.clock.advance(1);
    assert_eq!(c.lease_next("c", BATCHES).unwrap(), Some(JobId::Batch(1)));
    assert_eq!(c.job_state(&JobId::Batch(1)).unwrap().failures, 2);
}

#[test]
fn only_the_holder_can_fail_a_job() {
    let s = Setup::new();
    s.chain.seal(s.now());
    let c = s.coordinator(None);
    assert_eq!(c.lease_next("a", BATCHES).unwrap(), Some(JobId::Batch(1)));
    // A worker whose lease ran out and went to another cannot push the job back.
    c.fail("stale", &JobId::Batch(1), "late").unwrap();
    let state = c.job_state(&JobId::Batch(1)).unwrap();
    assert_eq!(state.holder.as_deref(), Some("a"));
    assert_eq!(state.failures, 0);
}

#[test]
fn a_refused_output_frees_the_job_at_once_without_counting_a_failure() {
    let s = Setup::new();
    s.chain.seal(s.now());
    let c = s.coordinator(None);
    assert_eq!(c.lease_next("a", BATCHES).unwrap(), Some(JobId::Batch(1)));
    let garbage = JobOutput::BatchProof(BatchProofFile {
        circuit_version: quire_prover::cache::CIRCUIT_VERSION,
        // Not a standard shape: refused before any circuit is built.
        shape: BatchShape { slots: 3, depth: 5 },
        batch_number: 1,
        proof: "00".into(),
    });
    let refused = c.submit("a", &JobId::Batch(1), &garbage).unwrap_err();
    assert!(matches!(refused, SubmitError::Refused(_)), "{refused}");
    let state = c.job_state(&JobId::Batch(1)).unwrap();
    assert_eq!((state.holder, state.failures), (None, 0));
    assert_eq!(c.lease_next("b", BATCHES).unwrap(), Some(JobId::Batch(1)));

    // An output of the wrong kind, or labelled with another batch, is refused too.
    let wrong_label = JobOutput::BatchProof(BatchProofFile {
        circuit_version: quire_prover::cache::CIRCUIT_VERSION,
        shape: BatchShape { slots: 3, depth: 5 },
        batch_number: 2,
        proof: "00".into(),
    });
    assert!(matches!(
        c.submit("b", &JobId::Batch(1), &wrong_label),
        Err(SubmitError::Refused(_))
    ));
    assert!(matches!(
        c.submit("b", &JobId::Step(Step::Leaf(1)), &garbage),
        Err(SubmitError::Refused(_))
    ));
}

#[test]
fn a_step_output_before_the_circuits_are_built_is_not_ready_not_refused() {
    let s = Setup::new();
    s.chain.seal(s.now());
    let c = s.coordinator(Some(WindowRule {
        batches: 1,
        wait_ms: 0,
    }));
    let result: quire_aggregator::StepResult = serde_json::from_value(serde_json::json!(
        {"part": {"leaf_shape": null, "worker": "x", "proof": "00"}}
    ))
    .unwrap();
    let err = c
        .submit("a", &JobId::Step(Step::Leaf(1)), &JobOutput::Step(result))
        .unwrap_err();
    assert!(matches!(err, SubmitError::NotReady(_)), "{err}");
}

#[test]
fn a_restart_drops_the_leases_of_in_process_workers_only() {
    let s = Setup::new();
    s.chain.seal(s.now());
    s.chain.seal(s.now());
    {
        let c = s.coordinator(None);
        assert_eq!(
            c.lease_next("local-0", BATCHES).unwrap(),
            Some(JobId::Batch(1))
        );
        assert_eq!(
            c.lease_next("remote-1", BATCHES).unwrap(),
            Some(JobId::Batch(2))
        );
        c.fail("remote-1", &JobId::Batch(2), "x").unwrap();
        s.clock.advance(100);
        assert_eq!(
            c.lease_next("remote-1", BATCHES).unwrap(),
            Some(JobId::Batch(2))
        );
    }
    // Same store, new process: local-0 is gone, remote-1 may still hand its proof in.
    let c = s.coordinator(None);
    assert_eq!(c.job_state(&JobId::Batch(1)).unwrap().holder, None);
    let remote = c.job_state(&JobId::Batch(2)).unwrap();
    assert_eq!(remote.holder.as_deref(), Some("remote-1"));
    assert_eq!(remote.failures, 1, "the failure count survives the restart");
    assert_eq!(
        c.lease_next("local-0", BATCHES).unwrap(),
        Some(JobId::Batch(1))
    );
    assert_eq!(c.lease_next("local-1", BATCHES).unwrap(), None);
}

#[test]
fn windows_close_when_full_or_old_and_survive_a_restart() {
    let s = Setup::new();
    let rule = WindowRule {
        batches: 2,
        wait_ms: 5_000,
    };
    let t0 = s.now();
    for _ in 0..3 {
        s.chain.seal(t0);
    }
    let c = s.coordinator(Some(rule));
    // Windows close as the coordinator hands out work, whoever asks.
    c.lease_next("a", BATCHES).unwrap();
    assert_eq!(
        c.store().window_of(1).unwrap(),
        Some(Window { start: 1, end: 2 })
    );
    assert_eq!(
        c.store().window_of(3).unwrap(),
        None,
        "one batch, not old yet"
    );
    s.clock.advance(4_999);
    c.lease_next("a", BATCHES).unwrap();
    assert_eq!(c.store().window_of(3).unwrap(), None);
    s.clock.advance(1);
    c.lease_next("a", BATCHES).unwrap();
    assert_eq!(
        c.store().window_of(3).unwrap(),
        Some(Window { start: 3, end: 3 })
    );
    assert_eq!(c.final_proof_covering(1).unwrap(), None);
    drop(c);

    // After a restart the bounds stand, and the next window starts after the last one.
    s.chain.seal(s.now());
    s.chain.seal(s.now());
    let c = s.coordinator(Some(rule));
    c.lease_next("a", BATCHES).unwrap();
    assert_eq!(
        c.store().window_of(2).unwrap(),
        Some(Window { start: 1, end: 2 })
    );
    assert_eq!(
        c.store().window_of(5).unwrap(),
        Some(Window { start: 4, end: 5 })
    );
}
