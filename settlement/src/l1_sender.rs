//! The L1 sender: commits each closed window (blobs, or calldata as fallback), then sends
//! its final proof, one transaction in flight at a time with nonces from its own records.
//!
//! Each step is persisted before its transaction is broadcast (signed locally, so its hash
//! and raw bytes are known first) and again when it is mined; a restart resumes from the
//! record, rebroadcasting or waiting, never signing a second transaction for a step with
//! another nonce. A transaction that stays unmined for `stuck_blocks` L1 blocks is
//! replaced at the same nonce with bumped fees (×1.25 on gas fees, ×2 on the blob fee, the
//! minimum geth-style pools accept for blob replacements); one that vanished from the pool
//! is rebroadcast; one whose block was reorged out goes back to waiting (and is
//! rebroadcast if the pool dropped it). A step counts once its block is `confirmations`
//! deep and still canonical. A reverted transaction, a final proof that does not match
//! the committed header, or an L1 whose chain or Rollup is not the configured one stops
//! the sender with a clear error; nothing acknowledged is lost, and the records stay.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Encodable2718;
use alloy::eips::eip4844::BlobTransactionSidecar;
use alloy::eips::eip7594::BlobTransactionSidecarVariant;
use alloy::eips::BlockNumberOrTag;
use alloy::network::{
    EthereumWallet, NetworkTransactionBuilder, TransactionBuilder, TransactionBuilder4844,
};
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::{Provider, ProviderBuilder, RootProvider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use quire_contracts::bridge::Bridge;
use quire_contracts::calldata::{encode_proof, ProofShape};
use quire_contracts::rollup::{window_header, Rollup, WindowHeader};
use quire_coordinator::Coordinator;
use quire_primitives::ChainReader;
use quire_sequencer::DepositQueue;

use crate::commitment::{build_window, CarriedAccounts};
use crate::store::{Included, SettlementStore, StepTx, WindowRecord};

/// How windows reach L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataMode {
    /// EIP-4844 blobs (type-3 transactions).
    Blobs,
    /// Calldata of the commit (fallback, e.g. for an L1 without blobs).
    Calldata,
}

/// L1 blocks after which a counted step is no longer watched for reorgs (two epochs:
/// beyond that, Ethereum's finality makes a reorg a chain split, not a fork choice).
pub const REORG_HORIZON: u64 = 64;

/// Most blobs one commit carries (Prague allows 9 per block; 6 is the target).
pub const MAX_BLOBS_PER_COMMIT: usize = 6;

/// Recent deposits the Bridge remembers (`Bridge.HISTORY`).
const BRIDGE_HISTORY: u64 = 256;
/// Every `STRIDE`-th deposit is a checkpoint the Bridge remembers for `STRIDE ·
/// CHECKPOINTS` deposits (`Bridge.STRIDE`, `Bridge.CHECKPOINTS`).
const BRIDGE_STRIDE: u64 = 256;
const BRIDGE_CHECKPOINTS: u64 = 256;

/// Deposits that may arrive between building a commit and its mining: a commit hashes
/// forward once fewer than this many more would make the Bridge forget what it reads.
pub const FORWARD_MARGIN: u64 = 128;

/// Gas a commit's limit holds beyond its estimate, for a replacement whose list of
/// deposits to hash forward through grew (at most a stride of them, ≈ 3k gas each).
const FORWARD_GAS_HEADROOM: u64 = BRIDGE_STRIDE * 4_000;

/// What the sender needs.
#[derive(Clone, Debug)]
pub struct SenderConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// The L1 chain id the sender refuses to work without.
    pub l1_chain_id: Option<u64>,
    /// The Rollup contract.
    pub rollup: Address,
    /// The operator key (the Rollup's `operator`).
    pub operator: PrivateKeySigner,
    /// L2 chain id (folded into each batch's digest).
    pub chain_id: u64,
    /// Blocks a step's transaction must be deep to count.
    pub confirmations: u64,
    /// L1 blocks without inclusion before a transaction is replaced.
    pub stuck_blocks: u64,
    /// How windows are published.
    pub data_mode: DataMode,
    /// Time between checks of L1.
    pub poll: Duration,
}

/// Why the sender stopped or a step failed.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// L1 did not answer (retried).
    #[error("L1 RPC: {0}")]
    L1(String),
    /// The L1 is not the configured chain.
    #[error("L1 chain id is {got}, the node is configured for {expected}")]
    WrongChain {
        /// Configured.
        expected: u64,
        /// What L1 says.
        got: u64,
    },
    /// The operator key is not the Rollup's operator, or no Rollup is deployed there.
    #[error("{0}")]
    NotOperator(String),
    /// A transaction of ours reverted (or would revert, by estimation).
    #[error("{what} of window {window} reverted on L1: {detail}")]
    Reverted {
        /// Commit or prove.
        what: &'static str,
        /// Window id.
        window: u64,
        /// Transaction hash or estimation error.
        detail: String,
    },
    /// L1 or the local records contradict each other.
    #[error("inconsistent settlement state: {0}")]
    Inconsistent(String),
    /// The final proof is not of the committed header.
    #[error("final proof of batches {0}..={1} does not attest the committed header")]
    ProofMismatch(u64, u64),
    /// Local storage failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Building a window, a blob or a proof's calldata failed.
    #[error("{0}")]
    Build(String),
    /// What a step needs is not there yet (retried).
    #[error("waiting: {0}")]
    Waiting(String),
}

impl SenderError {
    /// Errors that a later attempt can get past.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::L1(_) | Self::Waiting(_))
    }
}

/// The last deposit a commit ending at queue index `after` (its next deposit) hashes
/// forward to when the Bridge holds `count`: `None` while the recent ring remembers what
/// the commit reads with [`FORWARD_MARGIN`] to spare; else the next checkpoint at or after
/// `after`, or the newest deposit before that checkpoint exists.
fn forward_target(after: u64, count: u64) -> Option<u64> {
    if count.saturating_sub(after) + FORWARD_MARGIN <= BRIDGE_HISTORY {
        return None;
    }
    let checkpoint = after | (BRIDGE_STRIDE - 1);
    Some(checkpoint.min(count - 1))
}

fn l1<E: std::fmt::Display>(e: E) -> SenderError {
    SenderError::L1(e.to_string())
}

/// One window as the RPC serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowStatus {
    /// First batch.
    pub start: u64,
    /// Last batch.
    pub end: u64,
    /// Its id in the Rollup (and the Bridge's withdrawal roots).
    pub l1_window: u64,
    /// The commit transaction, once it counts.
    pub committed: Option<B256>,
    /// The prove transaction, once it counts.
    pub finalized: Option<B256>,
}

/// What the RPC serves of settlement: per window, its L1 transactions and whether they
/// count yet; the newest committed and finalized batch.
#[derive(Clone, Debug, Default)]
pub struct SettlementStatus {
    /// Every window planned, in order.
    pub windows: Vec<WindowStatus>,
    /// Why the sender stopped, if it did.
    pub failure: Option<String>,
}

impl SettlementStatus {
    fn of(records: &[WindowRecord], confirmed: impl Fn(&StepTx) -> bool) -> Self {
        let done = |s: &Option<StepTx>| {
            s.as_ref()
                .filter(|t| confirmed(t))
                .and_then(|t| t.included.map(|i| i.tx_hash))
        };
        Self {
            windows: records
                .iter()
                .map(|r| WindowStatus {
                    start: r.start,
                    end: r.end,
                    l1_window: r.l1_window,
                    committed: done(&r.commit),
                    finalized: done(&r.prove),
                })
                .collect(),
            failure: None,
        }
    }

    fn last_batch_where(&self, counts: impl Fn(&WindowStatus) -> bool) -> u64 {
        self.windows
            .iter()
            .filter(|w| counts(w))
            .map(|w| w.end)
            .max()
            .unwrap_or(0)
    }

    /// The last batch whose commit counts.
    pub fn committed_batch(&self) -> u64 {
        self.last_batch_where(|w| w.committed.is_some())
    }

    /// The last batch L1 finalized.
    pub fn finalized_batch(&self) -> u64 {
        self.last_batch_where(|w| w.finalized.is_some())
    }

    /// The window holding batch `n`, once planned.
    pub fn window_of(&self, n: u64) -> Option<WindowStatus> {
        self.windows
            .iter()
            .find(|w| w.start <= n && n <= w.end)
            .copied()
    }
}

/// The sender.
pub struct L1Sender {
    config: SenderConfig,
    provider: RootProvider,
    wallet: EthereumWallet,
    store: Arc<SettlementStore>,
    chain: Arc<dyn ChainReader>,
    coordinator: Arc<Coordinator>,
    status: Arc<RwLock<SettlementStatus>>,
    deposits: Option<Arc<dyn DepositQueue>>,
    /// The accounts after the last window planned, which the next one starts from.
    carried: Mutex<Option<CarriedAccounts>>,
    /// Sidecars of windows planned lately, so that sending (and re-sending) a commit does
    /// not compute its KZG commitments and proofs again.
    sidecars: SidecarCache,
}

/// The sidecars of the next windows to commit, by window id. KZG commitments and proofs
/// cost tens of milliseconds of CPU per blob, on the cores that also build blocks.
#[derive(Default)]
struct SidecarCache(Mutex<BTreeMap<u64, BlobTransactionSidecar>>);

impl SidecarCache {
    /// Sidecars kept. Under a backlog the sender plans windows far ahead of its commits;
    /// it commits in order, so the oldest kept are the next needed, and a window planned
    /// beyond this many builds its sidecar again when its commit is sent.
    const KEEP: usize = 16;

    /// Builds the sidecar of window `id`'s `data`, keeps it if there is room, and returns
    /// its versioned hashes.
    fn build(&self, id: u64, data: &[u8]) -> Result<Vec<B256>, SenderError> {
        let sidecar =
            quire_da::blob_sidecar(data).map_err(|e| SenderError::Build(e.to_string()))?;
        let hashes = sidecar.versioned_hashes().collect();
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() < Self::KEEP {
            cache.insert(id, sidecar);
        }
        Ok(hashes)
    }

    /// The sidecar of `r`'s data: the kept one when it carries exactly the blobs `r`
    /// recorded, else built anew (after a restart).
    fn get(&self, r: &WindowRecord) -> Result<BlobTransactionSidecar, SenderError> {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Commits go out in window order: earlier windows' sidecars are not needed again.
        cache.retain(|id, _| *id >= r.l1_window);
        if let Some(s) = cache.get(&r.l1_window) {
            if s.versioned_hashes().eq(r.blob_hashes.iter().copied()) {
                return Ok(s.clone());
            }
        }
        drop(cache);
        quire_da::blob_sidecar(&r.data).map_err(|e| SenderError::Build(e.to_string()))
    }
}

enum Step {
    Commit,
    Prove,
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Commit => "commit",
            Step::Prove => "prove",
        }
    }
}

impl L1Sender {
    /// A sender over its store; `status` is what the RPC reads.
    pub fn new(
        config: SenderConfig,
        store: Arc<SettlementStore>,
        chain: Arc<dyn ChainReader>,
        coordinator: Arc<Coordinator>,
        status: Arc<RwLock<SettlementStatus>>,
    ) -> anyhow::Result<Self> {
        let url = config.l1_rpc_url.parse()?;
        let provider = ProviderBuilder::default().connect_http(url);
        let wallet = EthereumWallet::from(config.operator.clone());
        let sender = Self {
            config,
            provider,
            wallet,
            store,
            chain,
            coordinator,
            status,
            deposits: None,
            carried: Mutex::new(None),
            sidecars: SidecarCache::default(),
        };
        // Nothing counts until the first look at L1's head.
        sender.publish_status(0)?;
        Ok(sender)
    }

    /// Reads the Bridge's deposits from `deposits` (the node's deposit watcher) when a
    /// commit must hash forward past deposits the Bridge has forgotten.
    pub fn with_deposits(mut self, deposits: Arc<dyn DepositQueue>) -> Self {
        self.deposits = Some(deposits);
        self
    }

    /// Runs until a non-transient error, which it returns (and publishes in the status).
    pub async fn run(self) -> SenderError {
        let e = match self.check_l1().await {
            Ok(()) => loop {
                match self.tick().await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => {
                        tracing::warn!(error = %e, "L1 sender: will retry");
                    }
                    Err(e) => break e,
                }
                tokio::time::sleep(self.config.poll).await;
            },
            Err(e) => e,
        };
        tracing::error!(error = %e, "L1 sender stopped");
        metrics::gauge!("quire_l1_sender_failed").set(1.0);
        if let Ok(mut s) = self.status.write() {
            s.failure = Some(e.to_string());
        }
        e
    }

    /// Refuses an L1 that is not the configured chain, a Rollup whose operator is not our
    /// key, or a Rollup that holds commits this node never recorded.
    async fn check_l1(&self) -> Result<(), SenderError> {
        let got = loop {
            match self.provider.get_chain_id().await {
                Ok(id) => break id,
                Err(e) => {
                    tracing::warn!(error = %e, "L1 unreachable; the sender waits");
                    tokio::time::sleep(self.config.poll).await;
                }
            }
        };
        if let Some(expected) = self.config.l1_chain_id {
            if got != expected {
                return Err(SenderError::WrongChain { expected, got });
            }
        }
        let operator: Address = self.view(Rollup::operatorCall {}).await.map_err(|e| {
            SenderError::NotOperator(format!("no Rollup answers at {}: {e}", self.config.rollup))
        })?;
        if operator != self.config.operator.address() {
            return Err(SenderError::NotOperator(format!(
                "the Rollup's operator is {operator}, the node's key is {}",
                self.config.operator.address()
            )));
        }
        let on_l1: u64 = self.view(Rollup::committedWindowsCall {}).await?;
        let records = self.store.windows()?;
        let mined = records
            .iter()
            .filter(|r| r.commit.as_ref().is_some_and(|t| t.included.is_some()))
            .count() as u64;
        if on_l1 > records.iter().filter(|r| r.commit.is_some()).count() as u64 {
            return Err(SenderError::Inconsistent(format!(
                "the Rollup holds {on_l1} committed windows, this node sent {mined} commits: another operator, or a lost data directory"
            )));
        }
        Ok(())
    }

    async fn view<C: SolCall>(&self, call: C) -> Result<C::Return, SenderError> {
        self.view_at(self.config.rollup, call).await
    }

    async fn view_at<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, SenderError> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode());
        let out = self.provider.call(tx).await.map_err(l1)?;
        C::abi_decode_returns(&out).map_err(|e| SenderError::L1(format!("L1 contract answer: {e}")))
    }

    /// The deposits a commit of `header` hashes forward through: none while the Bridge's
    /// recent ring still remembers the window's last deposit and the oldest it leaves
    /// waiting with a margin of [`FORWARD_MARGIN`] more deposits before the commit is
    /// mined; else those from the first left waiting up to the next checkpoint (at most a
    /// stride of them, remembered for `STRIDE · CHECKPOINTS` deposits), or, before that
    /// checkpoint exists, up to the newest deposit.
    async fn forward_deposits(
        &self,
        header: &WindowHeader,
    ) -> Result<Vec<Rollup::QueuedDeposit>, SenderError> {
        let bridge: Address = self.view(Rollup::bridgeCall {}).await?;
        let count = self.view_at(bridge, Bridge::queueCall {}).await?.count;
        let after = header.depositCountAfter;
        let Some(last) = forward_target(after, count) else {
            return Ok(Vec::new());
        };
        if count - last + FORWARD_MARGIN > BRIDGE_STRIDE * BRIDGE_CHECKPOINTS {
            return Err(SenderError::Build(format!(
                "window {}..={} ends {} deposits behind the Bridge's queue, past every checkpoint it keeps",
                header.firstBatch,
                header.lastBatch,
                count - after
            )));
        }
        let want = (last - after + 1) as usize;
        let source = self.deposits.as_ref().ok_or_else(|| {
            SenderError::Build(format!(
                "the Bridge no longer remembers deposit {after}: committing needs the node's deposit watcher"
            ))
        })?;
        let deposits = source
            .deposits_from(after, want)
            .map_err(SenderError::Waiting)?;
        if deposits.len() != want
            || deposits
                .iter()
                .enumerate()
                .any(|(i, d)| d.index != after + i as u64)
        {
            return Err(SenderError::Waiting(format!(
                "the deposit watcher does not hold deposits {after}..={last} yet"
            )));
        }
        Ok(deposits
            .iter()
            .map(|d| Rollup::QueuedDeposit {
                l2Recipient: d.recipient,
                amount: alloy::primitives::Uint::from(d.amount),
                l1Block: d.l1_block,
            })
            .collect())
    }

    fn confirmed(&self, head: u64, t: &StepTx) -> bool {
        t.included.is_some_and(|i| {
            head.saturating_add(1) >= i.block.saturating_add(self.config.confirmations)
        })
    }

    fn publish_status(&self, head: u64) -> Result<(), SenderError> {
        let records = self.store.windows()?;
        let s = SettlementStatus::of(&records, |t| self.confirmed(head, t));
        metrics::gauge!("quire_l1_committed_batch").set(s.committed_batch() as f64);
        metrics::gauge!("quire_l1_finalized_batch").set(s.finalized_batch() as f64);
        if let Ok(mut out) = self.status.write() {
            let failure = out.failure.take();
            *out = s;
            out.failure = failure;
        }
        Ok(())
    }

    /// One round: record newly closed windows, then advance the oldest unfinished step.
    pub async fn tick(&self) -> Result<(), SenderError> {
        let head = self.provider.get_block_number().await.map_err(l1)?;
        self.plan_windows()?;
        self.recheck_mined(head).await?;
        let records = self.store.windows()?;
        let next_commit = records
            .iter()
            .find(|r| !r.commit.as_ref().is_some_and(|t| self.confirmed(head, t)));
        let result = if let Some(r) = next_commit {
            self.advance(r.clone(), Step::Commit, head).await
        } else if let Some(r) = records
            .iter()
            .find(|r| !r.prove.as_ref().is_some_and(|t| self.confirmed(head, t)))
        {
            self.advance(r.clone(), Step::Prove, head).await
        } else {
            Ok(())
        };
        self.publish_status(head)?;
        result
    }

    /// Looks again at steps that already count but are still young (within
    /// [`REORG_HORIZON`] blocks of the head): one whose block left the canonical chain is
    /// followed again, so that a reorg deeper than the confirmation depth is still seen
    /// and the step re-sent.
    async fn recheck_mined(&self, head: u64) -> Result<(), SenderError> {
        for mut r in self.store.windows()? {
            for step in [Step::Commit, Step::Prove] {
                let slot = match step {
                    Step::Commit => &r.commit,
                    Step::Prove => &r.prove,
                };
                let Some(t) = slot.clone() else { continue };
                let Some(i) = t.included else { continue };
                if !self.confirmed(head, &t) || head >= i.block.saturating_add(REORG_HORIZON) {
                    continue;
                }
                let canonical = self
                    .provider
                    .get_block_by_number(BlockNumberOrTag::Number(i.block))
                    .await
                    .map_err(l1)?
                    .map(|b| b.header.hash);
                if canonical == Some(i.block_hash) {
                    continue;
                }
                if let Some(t) = self.follow(&r, &step, t, head).await? {
                    match step {
                        Step::Commit => r.commit = Some(t),
                        Step::Prove => r.prove = Some(t),
                    }
                    self.store.put(&r)?;
                }
            }
        }
        Ok(())
    }

    /// Records the coordinator's closed windows that follow the last recorded one.
    fn plan_windows(&self) -> Result<(), SenderError> {
        self.coordinator
            .close_due_windows()
            .map_err(|e| SenderError::Build(e.to_string()))?;
        let records = self.store.windows()?;
        let mut last_end = records.last().map_or(0, |r| r.end);
        let mut id = records.last().map_or(0, |r| r.l1_window);
        let windows = self
            .coordinator
            .store()
            .windows_from(last_end + 1, 4)
            .map_err(|e| SenderError::Build(e.to_string()))?;
        for w in windows {
            if w.start != last_end + 1 {
                return Err(SenderError::Inconsistent(format!(
                    "window {w:?} does not follow batch {last_end}"
                )));
            }
            let mut carried = self.carried.lock().unwrap_or_else(|p| p.into_inner());
            let commit = build_window(self.chain.as_ref(), w, self.config.chain_id, &mut carried)
                .map_err(|e| SenderError::Build(format!("window {w:?}: {e:#}")))?;
            let blobs = quire_da::blobs_for(commit.data.len());
            let mode = match self.config.data_mode {
                DataMode::Blobs if blobs <= MAX_BLOBS_PER_COMMIT => DataMode::Blobs,
                DataMode::Blobs => {
                    tracing::warn!(
                        ?w,
                        blobs,
                        "window data exceeds one commit's blobs; using calldata"
                    );
                    DataMode::Calldata
                }
                DataMode::Calldata => DataMode::Calldata,
            };
            let (blob_hashes, calldata_hash) = match mode {
                DataMode::Blobs => (self.sidecars.build(id + 1, &commit.data)?, B256::ZERO),
                DataMode::Calldata => (Vec::new(), keccak256(&commit.data)),
            };
            id += 1;
            let record = WindowRecord {
                start: w.start,
                end: w.end,
                l1_window: id,
                header: Bytes::from(commit.header.abi_encode()),
                data: Bytes::from(commit.data),
                blob_hashes,
                calldata_hash,
                withdrawals: commit.withdrawals,
                commit: None,
                prove: None,
                reverted: Vec::new(),
            };
            self.store.put(&record)?;
            tracing::info!(
                window = id,
                first = w.start,
                last = w.end,
                bytes = record.data.len(),
                blobs = record.blob_hashes.len(),
                "window ready to commit"
            );
            last_end = w.end;
        }
        Ok(())
    }

    fn header(r: &WindowRecord) -> Result<WindowHeader, SenderError> {
        WindowHeader::abi_decode(&r.header).map_err(|e| SenderError::Inconsistent(e.to_string()))
    }

    /// The unsigned transaction of a step (without nonce and fees).
    async fn request(
        &self,
        r: &WindowRecord,
        step: &Step,
    ) -> Result<TransactionRequest, SenderError> {
        let header = Self::header(r)?;
        let base = TransactionRequest::default()
            .with_from(self.config.operator.address())
            .with_to(self.config.rollup);
        Ok(match step {
            Step::Commit if r.blob_hashes.is_empty() => {
                let forward = self.forward_deposits(&header).await?;
                base.with_input(
                    Rollup::commitWindowCall {
                        h: header,
                        blobCount: U256::ZERO,
                        data: r.data.clone(),
                        forward,
                    }
                    .abi_encode(),
                )
            }
            Step::Commit => {
                let forward = self.forward_deposits(&header).await?;
                let sidecar = self.sidecars.get(r)?;
                let mut tx = base.with_input(
                    Rollup::commitWindowCall {
                        h: header,
                        blobCount: U256::from(r.blob_hashes.len()),
                        data: Bytes::new(),
                        forward,
                    }
                    .abi_encode(),
                );
                tx.set_blob_sidecar(BlobTransactionSidecarVariant::Eip4844(sidecar));
                tx
            }
            Step::Prove => {
                let proof = self.final_proof_calldata(r, &header)?;
                base.with_input(
                    Rollup::proveWindowCall {
                        h: header,
                        blobHashes: r.blob_hashes.clone(),
                        calldataHash: r.calldata_hash,
                        withdrawals: r.withdrawals.clone(),
                        proof,
                    }
                    .abi_encode(),
                )
            }
        })
    }

    /// The window's final proof in the Verifier's layout, once the coordinator holds it,
    /// checked to attest exactly the committed header.
    fn final_proof_calldata(
        &self,
        r: &WindowRecord,
        header: &WindowHeader,
    ) -> Result<Bytes, SenderError> {
        let build = |e: String| SenderError::Build(e);
        let file = self
            .coordinator
            .store()
            .final_proof(r.start)
            .map_err(|e| build(e.to_string()))?
            .ok_or_else(|| {
                build(format!(
                    "no final proof of batches {}..={} yet",
                    r.start, r.end
                ))
            })?;
        let circuits = self
            .coordinator
            .circuits()
            .ok_or_else(|| build("aggregation circuits not built yet".into()))?;
        let key = circuits.final_verifier();
        let proof = file.decode(&key).map_err(|e| build(format!("{e:#}")))?;
        let pi = key.verify(&proof).map_err(|e| build(format!("{e:#}")))?;
        if window_header(&pi) != *header {
            return Err(SenderError::ProofMismatch(r.start, r.end));
        }
        let shape = ProofShape::of(&key.data.common);
        Ok(Bytes::from(
            encode_proof(&shape, &proof).map_err(|e| build(e.to_string()))?,
        ))
    }

    async fn advance(&self, mut r: WindowRecord, step: Step, head: u64) -> Result<(), SenderError> {
        let slot = match step {
            Step::Commit => r.commit.clone(),
            Step::Prove => r.prove.clone(),
        };
        let next = match slot {
            None => {
                if matches!(step, Step::Prove)
                    && self
                        .coordinator
                        .store()
                        .final_proof(r.start)
                        .map_err(|e| SenderError::Build(e.to_string()))?
                        .is_none()
                {
                    return Ok(());
                }
                let nonce = self
                    .provider
                    .get_transaction_count(self.config.operator.address())
                    .await
                    .map_err(l1)?;
                Some(self.send(&r, &step, nonce, None, head).await?)
            }
            Some(t) => self.follow(&r, &step, t, head).await?,
        };
        if let Some(t) = next {
            match step {
                Step::Commit => r.commit = Some(t),
                Step::Prove => r.prove = Some(t),
            }
            self.store.put(&r)?;
        }
        Ok(())
    }

    /// Signs, persists, then broadcasts a step's transaction (a replacement of `previous`
    /// when given: same nonce, bumped fees).
    async fn send(
        &self,
        r: &WindowRecord,
        step: &Step,
        nonce: u64,
        previous: Option<&StepTx>,
        head: u64,
    ) -> Result<StepTx, SenderError> {
        let request = self.request(r, step).await?;
        let gas_limit = match previous {
            Some(p) if p.gas_limit > 0 => p.gas_limit,
            _ => {
                let gas = self
                    .provider
                    .estimate_gas(request.clone())
                    .await
                    .map_err(|e| SenderError::Reverted {
                        what: step.name(),
                        window: r.l1_window,
                        detail: format!("estimation failed: {e}"),
                    })?;
                let headroom = match step {
                    Step::Commit => FORWARD_GAS_HEADROOM,
                    Step::Prove => 0,
                };
                gas.saturating_mul(6) / 5 + headroom
            }
        };
        let fees = self.provider.estimate_eip1559_fees().await.map_err(l1)?;
        let blob_base = if r.blob_hashes.is_empty() || matches!(step, Step::Prove) {
            0
        } else {
            self.provider.get_blob_base_fee().await.map_err(l1)?.max(1)
        };
        let (mut max_fee, mut tip, mut blob_fee) = (
            fees.max_fee_per_gas,
            fees.max_priority_fee_per_gas.max(1),
            blob_base.saturating_mul(2),
        );
        if let Some(p) = previous {
            max_fee = max_fee.max(p.max_fee_per_gas.saturating_mul(5) / 4 + 1);
            tip = tip.max(p.max_priority_fee_per_gas.saturating_mul(5) / 4 + 1);
            blob_fee = blob_fee.max(p.max_fee_per_blob_gas.saturating_mul(2));
        }
        let mut request = request
            .with_nonce(nonce)
            .with_chain_id(self.provider.get_chain_id().await.map_err(l1)?)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(tip);
        if blob_fee > 0 {
            request.set_max_fee_per_blob_gas(blob_fee);
        }
        let envelope: TxEnvelope = request
            .build(&self.wallet)
            .await
            .map_err(|e| SenderError::Build(format!("signing the {}: {e}", step.name())))?;
        let hash = *envelope.tx_hash();
        let raw = Bytes::from(envelope.encoded_2718());
        let mut hashes = previous.map(|p| p.hashes.clone()).unwrap_or_default();
        hashes.push(hash);
        let t = StepTx {
            nonce,
            hashes,
            raw,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            max_fee_per_blob_gas: blob_fee,
            gas_limit,
            sent_at_block: head,
            included: None,
        };
        // Persist first: after a crash, the record names the transaction that may be out.
        let mut stored = r.clone();
        match step {
            Step::Commit => stored.commit = Some(t.clone()),
            Step::Prove => stored.prove = Some(t.clone()),
        }
        self.store.put(&stored)?;
        if previous.is_some() {
            metrics::counter!("quire_l1_replacements_total").increment(1);
        }
        tracing::info!(window = r.l1_window, step = step.name(), %hash, nonce, max_fee, tip, blob_fee, replacement = previous.is_some(), "L1 transaction sent");
        self.broadcast(&t).await?;
        Ok(t)
    }

    async fn broadcast(&self, t: &StepTx) -> Result<(), SenderError> {
        match self.provider.send_raw_transaction(&t.raw).await {
            Ok(_) => Ok(()),
            // Already in the pool, or already mined: following it finds out which.
            Err(e)
                if e.to_string().contains("already") || e.to_string().contains("nonce too low") =>
            {
                tracing::debug!(error = %e, "broadcast answered");
                Ok(())
            }
            // Priced out by the base fee: the stuck rule replaces it with higher fees.
            Err(e) if e.to_string().contains("less than block base fee") => {
                tracing::info!(error = %e, tx = %t.hashes.last().copied().unwrap_or_default(), "L1 transaction priced out; waiting to replace it");
                Ok(())
            }
            Err(e) => Err(l1(e)),
        }
    }

    /// Follows a broadcast step: mined (and how deep), reorged out, dropped or stuck.
    /// Returns the updated record of the step if it changed.
    async fn follow(
        &self,
        r: &WindowRecord,
        step: &Step,
        mut t: StepTx,
        head: u64,
    ) -> Result<Option<StepTx>, SenderError> {
        for hash in t.hashes.iter().rev() {
            let Some(receipt) = self
                .provider
                .get_transaction_receipt(*hash)
                .await
                .map_err(l1)?
            else {
                continue;
            };
            if !receipt.status() {
                // The nonce is spent and the step undone: the record forgets the step (and
                // keeps the hash), so a restart, once the operator fixed the cause, sends it
                // afresh instead of following a transaction that can never count.
                let mut undone = r.clone();
                match step {
                    Step::Commit => undone.commit = None,
                    Step::Prove => undone.prove = None,
                }
                undone.reverted.push(*hash);
                self.store.put(&undone)?;
                metrics::counter!("quire_l1_reverted_total", "step" => step.name()).increment(1);
                return Err(SenderError::Reverted {
                    what: step.name(),
                    window: r.l1_window,
                    detail: format!("transaction {hash}"),
                });
            }
            let (Some(block), Some(block_hash)) = (receipt.block_number, receipt.block_hash) else {
                continue;
            };
            let canonical = self
                .provider
                .get_block_by_number(BlockNumberOrTag::Number(block))
                .await
                .map_err(l1)?
                .map(|b| b.header.hash);
            if canonical != Some(block_hash) {
                continue;
            }
            let included = Included {
                tx_hash: *hash,
                block,
                block_hash,
            };
            if t.included == Some(included) {
                return Ok(None);
            }
            tracing::info!(window = r.l1_window, step = step.name(), %hash, block, gas = receipt.gas_used, "L1 transaction mined");
            metrics::counter!("quire_l1_gas_used_total", "step" => step.name())
                .increment(receipt.gas_used);
            t.included = Some(included);
            return Ok(Some(t));
        }
        // Mined by none of our versions, as far as the canonical chain shows.
        let mut changed = false;
        if let Some(i) = t.included.take() {
            tracing::warn!(window = r.l1_window, step = step.name(), tx = %i.tx_hash, block = i.block, "L1 reorg removed the transaction; waiting for it again");
            metrics::counter!("quire_l1_reorgs_total").increment(1);
            t.sent_at_block = head;
            changed = true;
        }
        let newest = *t.hashes.last().expect("a sent step has a hash");
        let in_pool = self
            .provider
            .get_transaction_by_hash(newest)
            .await
            .map_err(l1)?
            .is_some();
        if head >= t.sent_at_block + self.config.stuck_blocks {
            let replaced = self.send(r, step, t.nonce, Some(&t), head).await?;
            return Ok(Some(replaced));
        }
        if !in_pool {
            tracing::info!(window = r.l1_window, step = step.name(), tx = %newest, "transaction not in the L1 pool; rebroadcasting");
            self.broadcast(&t).await?;
        }
        Ok(changed.then_some(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Included;

    fn step(block: u64) -> StepTx {
        StepTx {
            nonce: block,
            hashes: vec![B256::with_last_byte(block as u8)],
            raw: Default::default(),
            max_fee_per_gas: 1,
            max_priority_fee_per_gas: 1,
            max_fee_per_blob_gas: 0,
            gas_limit: 1,
            sent_at_block: block,
            included: Some(Included {
                tx_hash: B256::with_last_byte(block as u8),
                block,
                block_hash: B256::ZERO,
            }),
        }
    }

    fn window(start: u64, end: u64, commit: Option<u64>, prove: Option<u64>) -> WindowRecord {
        WindowRecord {
            start,
            end,
            l1_window: start,
            header: Default::default(),
            data: Default::default(),
            blob_hashes: vec![],
            calldata_hash: B256::ZERO,
            withdrawals: vec![],
            commit: commit.map(step),
            prove: prove.map(step),
            reverted: vec![],
        }
    }

    #[test]
    fn commits_hash_forward_to_a_checkpoint_or_the_newest_deposit() {
        // The recent ring remembers enough: nothing to hash forward through.
        assert_eq!(forward_target(10, 10), None);
        assert_eq!(forward_target(10, 10 + 128), None);
        // Behind by more: to the next checkpoint (index ≡ 255), once it exists...
        assert_eq!(forward_target(10, 10 + 129), Some(138));
        assert_eq!(forward_target(10, 300), Some(255));
        assert_eq!(forward_target(255, 600), Some(255));
        assert_eq!(forward_target(256, 1_000), Some(511));
        // ...a stride at most.
        for after in [0u64, 1, 254, 255, 256, 70_000] {
            let last = forward_target(after, after + 10_000).unwrap();
            assert!(last >= after && last - after < BRIDGE_STRIDE);
            assert_eq!(last % BRIDGE_STRIDE, BRIDGE_STRIDE - 1);
        }
    }

    #[test]
    fn only_steps_deep_enough_count() {
        // Head 20, 3 confirmations: a step mined at block 18 or later does not count yet.
        let records = [
            window(1, 8, Some(10), Some(12)),
            window(9, 16, Some(14), Some(18)),
            window(17, 20, Some(19), None),
            window(21, 21, None, None),
        ];
        let status =
            SettlementStatus::of(&records, |t| t.included.is_some_and(|i| i.block + 3 <= 20));
        assert_eq!(status.committed_batch(), 16);
        assert_eq!(status.finalized_batch(), 8);
        let w = status.window_of(12).unwrap();
        assert_eq!(
            (w.start, w.end, w.l1_window),
            (9, 16, 9),
            "the window holding batch 12"
        );
        assert_eq!(
            (w.committed, w.finalized),
            (Some(B256::with_last_byte(14)), None)
        );
        let w = status.window_of(21).unwrap();
        assert_eq!((w.committed, w.finalized), (None, None));
        assert_eq!(status.window_of(22), None);
        assert_eq!(SettlementStatus::default().committed_batch(), 0);
    }
}
