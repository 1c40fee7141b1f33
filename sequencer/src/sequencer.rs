//! The sequencer: admits transactions (journaled before they are acknowledged), serves
//! state and chain data, and owns the block producer thread.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use alloy_primitives::{Address, Bytes, B256};
use parking_lot::{Condvar, Mutex, RwLock};
use quire_primitives::field::digest_to_b256;
use quire_primitives::{BatchHeader, BlockHeader, StateTree};
use thiserror::Error;
use tokio::sync::{broadcast, oneshot};

use crate::config::SequencerConfig;
use crate::deposit_queue::DepositQueue;
use crate::error::TxError;
use crate::genesis;
use crate::mempool::{AccountState, Mempool, PoolTx};
use crate::producer::{self, ProducerState};
use crate::storage::{JournalOp, JournalWriter, Store, StoreError, StoredBlock, TxRecord};
use crate::validation::{validate, ValidationRules};

/// Failures opening or running the sequencer.
#[derive(Debug, Error)]
pub enum SequencerError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data directory belongs to another chain or is inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// Which state a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateAt {
    /// After the head block.
    Latest,
    /// After the given block.
    Block(u64),
}

/// Where a transaction is.
#[derive(Clone, Debug)]
pub enum TxLookup {
    /// In a block.
    Included {
        /// The stored transaction.
        record: TxRecord,
        /// Header of the including block.
        header: Box<BlockHeader>,
    },
    /// Waiting in the mempool.
    Pending(Arc<PoolTx>),
}

/// What readers see: state as of the last *persisted* block, never a block in progress.
pub(crate) struct View {
    pub accounts: HashMap<Address, AccountState>,
    pub head: BlockHeader,
    /// The newest batch as of the head (a block being written may already have updated
    /// the stored one).
    pub batch: BatchHeader,
}

pub(crate) struct Wake {
    pub lock: Mutex<()>,
    pub cond: Condvar,
}

/// A running sequencer.
pub struct Sequencer {
    pub(crate) config: SequencerConfig,
    pub(crate) rules: ValidationRules,
    pub(crate) store: Arc<Store>,
    pub(crate) view: RwLock<View>,
    pub(crate) mempool: Mutex<Mempool>,
    pub(crate) journal: JournalWriter,
    pub(crate) heads: broadcast::Sender<BlockHeader>,
    pub(crate) wake: Wake,
    pub(crate) stopping: AtomicBool,
    pub(crate) failed: Mutex<Option<String>>,
    deposits: RwLock<Option<Arc<dyn DepositQueue>>>,
    producer: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("store", &self.store)
            .finish()
    }
}

impl Sequencer {
    /// Opens the chain in `data_dir` (creating genesis on first use), checks the state
    /// against the head block, replays the journal into the mempool, and starts producing.
    pub fn open(config: SequencerConfig, data_dir: &Path) -> Result<Arc<Self>, SequencerError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            SequencerError::Invalid(format!("creating {}: {e}", data_dir.display()))
        })?;
        let store = Arc::new(Store::open(&crate::storage::db_path(data_dir))?);
        let fingerprint = genesis::fingerprint(&config.genesis);
        match store.genesis_fingerprint()? {
            None => genesis::write_genesis(&store, &config.genesis, config.production.fee_recipient).map_err(SequencerError::Invalid)?,
            Some(f) if f != fingerprint => {
                return Err(SequencerError::Invalid(format!(
                    "the data directory {} was created with another genesis (chain id, base fee, gas limit or allocations differ)",
                    data_dir.display()
                )))
            }
            Some(_) => {}
        }
        let head_number = store
            .head()?
            .ok_or_else(|| SequencerError::Invalid("database has genesis but no head".into()))?;
        let head = store
            .block(head_number)?
            .ok_or_else(|| SequencerError::Invalid(format!("head block {head_number} missing")))?
            .header;
        let tree = StateTree::from_leaves(store.load_leaves()?)
            .map_err(|e| SequencerError::Invalid(e.to_string()))?;
        if digest_to_b256(&tree.root()) != head.state_root {
            return Err(SequencerError::Invalid(format!(
                "state root rebuilt from leaves does not match block {head_number}"
            )));
        }
        let accounts = tree
            .leaves()
            .iter()
            .map(|l| {
                (
                    l.key,
                    AccountState {
                        nonce: l.nonce,
                        balance: l.balance,
                    },
                )
            })
            .collect();
        let latest_batch = store
            .latest_batch()?
            .ok_or_else(|| SequencerError::Invalid("no batches".into()))?;
        let journal = store.journal()?;
        let next_seq = journal.last().map_or(0, |(s, _)| s + 1);
        let rules = ValidationRules {
            chain_id: config.genesis.chain_id,
            base_fee: config.genesis.base_fee,
            block_gas_limit: config.genesis.block_gas_limit,
            max_tx_bytes: config.mempool.max_tx_bytes,
        };
        let seq = Arc::new(Self {
            mempool: Mutex::new(Mempool::new(config.mempool.clone(), next_seq)),
            config,
            rules,
            journal: JournalWriter::spawn(store.clone()),
            store,
            view: RwLock::new(View {
                accounts,
                head: head.clone(),
                batch: latest_batch.clone(),
            }),
            heads: broadcast::channel(1024).0,
            wake: Wake {
                lock: Mutex::new(()),
                cond: Condvar::new(),
            },
            stopping: AtomicBool::new(false),
            failed: Mutex::new(None),
            deposits: RwLock::new(None),
            producer: Mutex::new(None),
        });
        seq.replay_journal(journal)?;
        let state =
            ProducerState::new(tree, head, latest_batch, seq.config.production.hash_threads);
        let me = seq.clone();
        let handle = std::thread::Builder::new()
            .name("block-producer".into())
            .spawn(move || producer::run(me, state))
            .map_err(|e| SequencerError::Invalid(format!("spawning producer: {e}")))?;
        *seq.producer.lock() = Some(handle);
        tracing::info!(head = head_number, "sequencer started");
        Ok(seq)
    }

    /// Re-admits journaled transactions after a restart, each sender's in nonce order (a
    /// replacement's journal entry comes later than the transactions queued after it).
    /// Included ones are forgotten; ones that no longer validate (e.g. replaced, or nonce
    /// now used) are dropped with a log line.
    fn replay_journal(&self, entries: Vec<(u64, Bytes)>) -> Result<(), SequencerError> {
        let mut w = self.store.block_write();
        let mut valid = Vec::new();
        let mut dropped = 0usize;
        for (seq, raw) in entries {
            w.forget_journal(seq);
            match validate(raw, &self.rules) {
                Ok(tx) if self.store.tx(&tx.hash)?.is_none() => valid.push((seq, tx)),
                Ok(_) => {}
                Err(e) => {
                    dropped += 1;
                    tracing::warn!(error = %e, "journaled transaction no longer decodes");
                }
            }
        }
        valid.sort_by_key(|(seq, tx)| (tx.transfer.sender, tx.transfer.nonce, *seq));
        let mut restored = 0usize;
        for (_, tx) in valid {
            let raw = tx.raw.clone();
            let mut pool = self.mempool.lock();
            let state = self.account_state(&tx.transfer.sender);
            match pool.insert(tx, state, self.rules.base_fee) {
                Ok((entry, displaced)) => {
                    restored += 1;
                    w.journal_put(entry.journal_seq, &raw);
                    for d in displaced.replaced.iter().chain(displaced.evicted.iter()) {
                        w.forget_journal(d.journal_seq);
                    }
                }
                Err(e) => {
                    dropped += 1;
                    tracing::debug!(error = %e, "journaled transaction not restored");
                }
            }
        }
        w.commit()?;
        metrics::gauge!("quire_mempool_size").set(self.mempool.lock().len() as f64);
        tracing::info!(restored, dropped, "journal replayed");
        Ok(())
    }

    /// Credits the deposits `queue` confirms, from the next uncredited queue index (the
    /// chain records how many it credited, so a restart resumes there). Without a queue,
    /// no deposit is credited.
    pub fn follow_deposits(&self, queue: Arc<dyn DepositQueue>) {
        *self.deposits.write() = Some(queue);
        self.wake.cond.notify_all();
    }

    pub(crate) fn deposit_queue(&self) -> Option<Arc<dyn DepositQueue>> {
        self.deposits.read().clone()
    }

    /// L1 deposits credited so far (the queue index of the next one), as of the head.
    pub fn deposits_credited(&self) -> u64 {
        self.view.read().batch.deposit_count
    }

    /// The published block that credited L1 deposit `index`, if one has.
    pub fn deposit_block(&self, index: u64) -> Result<Option<u64>, StoreError> {
        // A block being written is not published yet: only indices below the published
        // count are answered.
        if index >= self.deposits_credited() {
            return Ok(None);
        }
        self.store.deposit_block(index)
    }

    fn account_state(&self, address: &Address) -> AccountState {
        self.view
            .read()
            .accounts
            .get(address)
            .copied()
            .unwrap_or_default()
    }

    /// Validates, admits and journals a signed transaction; returns once it is durable.
    pub async fn submit(&self, raw: Bytes) -> Result<B256, TxError> {
        let result = self.submit_inner(raw).await;
        match &result {
            Ok(_) => metrics::counter!("quire_txs_accepted_total").increment(1),
            Err(e) => {
                metrics::counter!("quire_txs_rejected_total", "reason" => e.reason()).increment(1)
            }
        }
        result
    }

    async fn submit_inner(&self, raw: Bytes) -> Result<B256, TxError> {
        if self.stopping.load(Ordering::Relaxed) {
            return Err(TxError::Unavailable("node is shutting down".into()));
        }
        let tx = validate(raw, &self.rules)?;
        let hash = tx.hash;

        let (done_tx, done_rx) = oneshot::channel();
        let (pool_len, waiting);
        {
            // Pool then view: the producer publishes blocks under the same order, so the
            // nonce and balance seen here and the pool's contents are one snapshot.
            let mut pool = self.mempool.lock();
            let state = self.account_state(&tx.transfer.sender);
            // A payable transfer that would push its recipient past the balance limit could
            // never execute (an unpayable one gets "insufficient funds" from the pool).
            let payable = tx.upfront_cost <= alloy_primitives::U256::from(state.balance);
            let receiver = self.account_state(&tx.transfer.to).balance;
            if payable && receiver.saturating_add(tx.transfer.value) > quire_primitives::MAX_BALANCE
            {
                return Err(TxError::RecipientOverflow);
            }
            let raw = tx.raw.clone();
            let (entry, displaced) = pool.insert(tx, state, self.rules.base_fee)?;
            let delete = displaced
                .replaced
                .iter()
                .chain(displaced.evicted.iter())
                .map(|d| d.journal_seq)
                .collect();
            let op = JournalOp {
                put: Some((entry.journal_seq, raw)),
                delete,
                done: Some(done_tx),
            };
            if !self.journal.submit(op) {
                pool.remove(&hash);
                return Err(TxError::Unavailable("journal stopped".into()));
            }
            pool_len = pool.len();
            waiting = pool.waiting();
        }
        metrics::gauge!("quire_mempool_size").set(pool_len as f64);
        if waiting >= self.config.production.max_block_txs {
            let _guard = self.wake.lock.lock();
            self.wake.cond.notify_one();
        }
        match done_rx.await {
            Ok(Ok(())) => Ok(hash),
            other => {
                // Not durable: take it back out so nothing unrecorded gets acknowledged.
                // (Storage is failing; what it displaced is restored by the next start's
                // journal replay if its deletion did not land either.)
                self.mempool.lock().remove(&hash);
                let why = match other {
                    Ok(Err(e)) => e,
                    _ => "journal stopped".into(),
                };
                Err(TxError::Unavailable(why))
            }
        }
    }

    /// Chain id.
    pub fn chain_id(&self) -> u64 {
        self.rules.chain_id
    }

    /// Base fee per gas (fixed for the chain).
    pub fn base_fee(&self) -> u64 {
        self.rules.base_fee
    }

    /// The sequencer's configuration.
    pub fn config(&self) -> &SequencerConfig {
        &self.config
    }

    /// The head block's header.
    pub fn head(&self) -> BlockHeader {
        self.view.read().head.clone()
    }

    /// Nonce and balance of `address` (zero if it has no account).
    pub fn account(&self, address: &Address, at: StateAt) -> Result<AccountState, StoreError> {
        match at {
            StateAt::Latest => Ok(self.account_state(address)),
            StateAt::Block(n) => Ok(self
                .store
                .account_at(address, n)?
                .map(|(nonce, balance)| AccountState { nonce, balance })
                .unwrap_or_default()),
        }
    }

    /// The nonce a new transaction from `address` should use, counting pending ones.
    pub fn pending_nonce(&self, address: &Address) -> u64 {
        let pool = self.mempool.lock();
        let state = self.account_state(address);
        pool.pending_nonce(address, state)
    }

    /// Number of pending transactions.
    pub fn pending_count(&self) -> usize {
        self.mempool.lock().len()
    }

    /// A block by number. A block written but not yet published (the instant between its
    /// write and the head moving) is not visible, so every read agrees with `head()`.
    pub fn block(&self, number: u64) -> Result<Option<StoredBlock>, StoreError> {
        if number > self.head().number {
            return Ok(None);
        }
        self.store.block(number)
    }

    /// A block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Result<Option<StoredBlock>, StoreError> {
        match self.store.block_number(hash)? {
            Some(n) => self.block(n),
            None => Ok(None),
        }
    }

    /// A transaction, included or pending. Reads under the pool lock, which publishing a
    /// block also holds, so a transaction moving from the pool into a block is always
    /// found in one place or the other.
    pub fn tx(&self, hash: &B256) -> Result<Option<TxLookup>, StoreError> {
        let pool = self.mempool.lock();
        let head = self.head().number;
        if let Some(record) = self.store.tx(hash)?.filter(|r| r.block_number <= head) {
            drop(pool);
            let header = self
                .store
                .block(record.block_number)?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "block {} of tx {hash} missing",
                        record.block_number
                    ))
                })?
                .header;
            return Ok(Some(TxLookup::Included {
                record,
                header: Box::new(header),
            }));
        }
        Ok(pool.get(hash).cloned().map(TxLookup::Pending))
    }

    /// A batch by number, as of the published head.
    pub fn batch(&self, number: u64) -> Result<Option<BatchHeader>, StoreError> {
        let newest = self.view.read().batch.clone();
        match number.cmp(&newest.number) {
            std::cmp::Ordering::Greater => Ok(None),
            std::cmp::Ordering::Equal => Ok(Some(newest)),
            std::cmp::Ordering::Less => self.store.batch(number),
        }
    }

    /// The newest batch (open or sealed) as of the published head.
    pub fn latest_batch(&self) -> Result<Option<BatchHeader>, StoreError> {
        Ok(Some(self.view.read().batch.clone()))
    }

    /// The storage, for components (prover, tools) that read history.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// New heads as they are persisted.
    pub fn subscribe_heads(&self) -> broadcast::Receiver<BlockHeader> {
        self.heads.subscribe()
    }

    /// Why the producer stopped, if it failed.
    pub fn failure(&self) -> Option<String> {
        self.failed.lock().clone()
    }

    /// Stops admitting transactions, lets the producer finish the block in progress,
    /// and flushes storage. Idempotent.
    pub fn shutdown(&self) -> Result<(), StoreError> {
        self.stopping.store(true, Ordering::SeqCst);
        {
            let _guard = self.wake.lock.lock();
            self.wake.cond.notify_all();
        }
        if let Some(handle) = self.producer.lock().take() {
            let _ = handle.join();
        }
        self.journal.stop();
        self.store.flush()
    }
}
