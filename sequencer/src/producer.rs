//! The block producer: builds a block when enough transactions wait or the block timer
//! fires, executes it on the private state tree, persists it atomically, then publishes
//! it to readers and the mempool. Seals batches by transaction count, data size and age.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_primitives::B256;
use quire_da::{BATCH_HEADER_BYTES, BLOCK_HEADER_BYTES, TX_HEADER_BYTES};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::transfer::TRANSFER_GAS;
use quire_primitives::{BatchHeader, BatchStatus, BlockHeader, StateTree, TxCommitment};

use crate::execution::{execute, Executed};
use crate::mempool::AccountState;
use crate::sequencer::Sequencer;
use crate::storage::{JournalOp, StoreError, StoredBlock, TxRecord};

/// What only the producer thread touches.
pub(crate) struct ProducerState {
    tree: StateTree,
    head: BlockHeader,
    /// The newest batch; open batches receive the next block.
    batch: BatchHeader,
    last_block_at: Instant,
}

impl ProducerState {
    pub(crate) fn new(tree: StateTree, head: BlockHeader, batch: BatchHeader) -> Self {
        Self {
            tree,
            head,
            batch,
            last_block_at: Instant::now(),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Producer thread body. Returns when the sequencer stops; a storage failure stops it
/// and is reported through [`Sequencer::failure`].
pub(crate) fn run(seq: Arc<Sequencer>, mut st: ProducerState) {
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_loop(&seq, &mut st)));
    let failure = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(e)) => format!("storage failure: {e}"),
        Err(panic) => format!(
            "panic: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown")
        ),
    };
    tracing::error!(%failure, "block producer stopped");
    *seq.failed.lock() = Some(failure);
    seq.stopping.store(true, Ordering::SeqCst);
}

fn run_loop(seq: &Sequencer, st: &mut ProducerState) -> Result<(), StoreError> {
    let cfg = &seq.config.production;
    let block_time = Duration::from_millis(cfg.block_time_ms);
    // When the pool holds only transactions that cannot run yet (nonce gaps), wait a full
    // block time before looking again instead of polling.
    let mut next_try = Instant::now();
    loop {
        if seq.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let waiting = seq.pool.lock().len();
        let due = st.last_block_at.elapsed() >= block_time;
        let backoff_over = Instant::now() >= next_try;
        if backoff_over && (waiting >= cfg.max_block_txs || (waiting > 0 && due)) {
            if build_block(seq, st)? {
                continue;
            }
            next_try = Instant::now() + block_time;
        }
        seal_if_old(seq, st)?;
        // Sleep until the block timer (or a wake-up from a filling mempool).
        let mut guard = seq.wake.lock.lock();
        let until_due = block_time
            .saturating_sub(st.last_block_at.elapsed())
            .max(next_try.saturating_duration_since(Instant::now()))
            .max(Duration::from_millis(5));
        seq.wake.cond.wait_for(&mut guard, until_due);
    }
}

/// Transfers and bytes the open batch can still take in one block.
fn batch_room(seq: &Sequencer, st: &ProducerState) -> (usize, usize) {
    let cfg = &seq.config.production;
    let (txs, bytes) = match st.batch.status() {
        BatchStatus::Open => (st.batch.tx_count, st.batch.data_bytes),
        BatchStatus::Sealed => (0, BATCH_HEADER_BYTES as u64),
    };
    let tx_room = cfg.batch_max_txs.saturating_sub(txs) as usize;
    let byte_room = cfg
        .batch_max_bytes
        .saturating_sub(bytes + BLOCK_HEADER_BYTES as u64) as usize;
    (tx_room, byte_room)
}

fn build_block(seq: &Sequencer, st: &mut ProducerState) -> Result<bool, StoreError> {
    let cfg = &seq.config.production;
    let gas_cap = (seq.config.genesis.block_gas_limit / TRANSFER_GAS) as usize;
    let (tx_room, byte_room) = batch_room(seq, st);
    let candidates = {
        let mut pool = seq.pool.lock();
        let picked = pool.select(
            cfg.max_block_txs.min(gas_cap).min(tx_room),
            byte_room,
            TX_HEADER_BYTES,
        );
        pool.set_in_flight(&picked);
        picked
    };
    if candidates.is_empty() {
        return Ok(false);
    }
    let base_fee = seq.rules.base_fee;
    let opening = st.batch.status() == BatchStatus::Sealed;
    let running = if opening {
        TxCommitment::empty()
    } else {
        TxCommitment(b256_to_digest(&st.batch.tx_commitment).unwrap_or_default())
    };
    let prev_root = st.head.state_root;
    let block_commitment_start = TxCommitment::empty();
    let executed = execute(
        &mut st.tree,
        &candidates,
        cfg.fee_recipient,
        base_fee,
        running,
    );
    let mut block_commitment = block_commitment_start;
    for tx in &executed.included {
        block_commitment.absorb(&tx.tx.transfer);
    }
    // Transactions that cannot execute leave the pool with their later nonces, and the
    // journal with them (in the block's own write when there is a block).
    let dropped_seqs = remove_dropped(seq, &executed);
    if executed.included.is_empty() {
        seq.pool.lock().set_in_flight(&[]);
        seq.journal.submit(JournalOp {
            put: None,
            delete: dropped_seqs,
            done: None,
        });
        return Ok(false);
    }
    let updates = st.tree.commit();
    let now = now_ms();
    let number = st.head.number + 1;
    let batch_number = if opening {
        st.batch.number + 1
    } else {
        st.batch.number
    };
    let header = BlockHeader {
        number,
        parent_hash: st.head.hash(),
        timestamp: (now / 1000).max(st.head.timestamp),
        fee_recipient: cfg.fee_recipient,
        state_root: digest_to_b256(&st.tree.root()),
        tx_commitment: digest_to_b256(&block_commitment.0),
        batch_number,
        tx_count: executed.included.len() as u64,
        gas_used: TRANSFER_GAS * executed.included.len() as u64,
        gas_limit: seq.config.genesis.block_gas_limit,
        base_fee,
    };
    let block_bytes = (BLOCK_HEADER_BYTES
        + executed
            .included
            .iter()
            .map(|t| TX_HEADER_BYTES + t.tx.raw.len())
            .sum::<usize>()) as u64;
    let mut batch = if opening {
        BatchHeader {
            number: batch_number,
            first_block: number,
            last_block: number,
            tx_count: 0,
            data_bytes: BATCH_HEADER_BYTES as u64,
            prev_state_root: prev_root,
            state_root: prev_root,
            tx_commitment: B256::ZERO,
            opened_at_ms: now,
            sealed_at_ms: 0,
            status: BatchStatus::Open.code(),
        }
    } else {
        st.batch.clone()
    };
    batch.last_block = number;
    batch.tx_count += header.tx_count;
    batch.data_bytes += block_bytes;
    batch.state_root = header.state_root;
    batch.tx_commitment = digest_to_b256(&executed.commitment.0);
    let max_tx = (seq.config.mempool.max_tx_bytes + TX_HEADER_BYTES + BLOCK_HEADER_BYTES) as u64;
    if batch.tx_count >= cfg.batch_max_txs
        || batch.data_bytes + max_tx > cfg.batch_max_bytes
        || now.saturating_sub(batch.opened_at_ms) >= cfg.batch_max_age_ms
    {
        batch.status = BatchStatus::Sealed.code();
        batch.sealed_at_ms = now;
    }

    let mut w = seq.store.block_write();
    for u in updates.iter().filter(|u| u.level == 0) {
        w.leaf(
            u.index,
            st.tree.leaf(u.index).expect("updated leaf exists"),
            batch_number,
        );
    }
    w.nodes(&updates, batch_number);
    for a in &executed.touched {
        let leaf = st.tree.get(a).expect("touched account exists");
        w.account(a, number, leaf.nonce, leaf.balance);
    }
    let mut hashes = Vec::with_capacity(executed.included.len());
    for (i, tx) in executed.included.iter().enumerate() {
        let record = TxRecord {
            block_number: number,
            index: i as u64,
            sender: tx.tx.transfer.sender,
            raw: tx.tx.raw.clone(),
        };
        w.tx(&tx.tx.hash, &record);
        w.forget_journal(tx.journal_seq);
        hashes.push(tx.tx.hash);
    }
    for seq_no in &dropped_seqs {
        w.forget_journal(*seq_no);
    }
    w.batch(&batch);
    w.block(&StoredBlock {
        header: header.clone(),
        tx_hashes: hashes.clone(),
    });
    w.commit()?;

    // Publish: readers and the mempool move to the new block together.
    let stale = {
        let mut pool = seq.pool.lock();
        pool.set_in_flight(&[]);
        let mut view = seq.view.write();
        let mut nonces = Vec::with_capacity(executed.touched.len());
        for a in &executed.touched {
            let leaf = st.tree.get(a).expect("touched account exists");
            view.accounts.insert(
                *a,
                AccountState {
                    nonce: leaf.nonce,
                    balance: leaf.balance,
                },
            );
            nonces.push((*a, leaf.nonce));
        }
        view.head = header.clone();
        drop(view);
        let stale = pool.on_block(&hashes, nonces);
        metrics::gauge!("quire_mempool_size").set(pool.len() as f64);
        stale
    };
    if !stale.is_empty() {
        seq.journal.submit(JournalOp {
            put: None,
            delete: stale.iter().map(|t| t.journal_seq).collect(),
            done: None,
        });
    }
    metrics::counter!("quire_blocks_total").increment(1);
    metrics::counter!("quire_block_txs_total").increment(header.tx_count);
    metrics::histogram!("quire_block_txs").record(header.tx_count as f64);
    metrics::gauge!("quire_head_block").set(number as f64);
    if batch.status() == BatchStatus::Sealed {
        metrics::counter!("quire_batches_sealed_total").increment(1);
        tracing::info!(
            batch = batch.number,
            txs = batch.tx_count,
            bytes = batch.data_bytes,
            blocks = batch.last_block - batch.first_block + 1,
            "batch sealed"
        );
    }
    tracing::debug!(number, txs = header.tx_count, "block produced");
    st.head = header.clone();
    st.batch = batch;
    st.last_block_at = Instant::now();
    let _ = seq.heads.send(header);
    Ok(true)
}

fn remove_dropped(seq: &Sequencer, executed: &Executed) -> Vec<u64> {
    if executed.dropped.is_empty() {
        return Vec::new();
    }
    let mut pool = seq.pool.lock();
    let mut seqs = Vec::new();
    for (tx, reason) in &executed.dropped {
        tracing::warn!(hash = %tx.tx.hash, reason, "dropping transaction that no longer executes");
        seqs.push(tx.journal_seq);
        seqs.extend(
            pool.remove_with_descendants(&tx.tx.hash)
                .iter()
                .map(|t| t.journal_seq),
        );
    }
    seqs.sort_unstable();
    seqs.dedup();
    seqs
}

/// Seals the open batch once it is older than the age limit, even with no new blocks.
fn seal_if_old(seq: &Sequencer, st: &mut ProducerState) -> Result<(), StoreError> {
    if st.batch.status() != BatchStatus::Open {
        return Ok(());
    }
    let now = now_ms();
    if now.saturating_sub(st.batch.opened_at_ms) < seq.config.production.batch_max_age_ms {
        return Ok(());
    }
    let mut batch = st.batch.clone();
    batch.status = BatchStatus::Sealed.code();
    batch.sealed_at_ms = now;
    let mut w = seq.store.block_write();
    w.batch(&batch);
    w.commit()?;
    metrics::counter!("quire_batches_sealed_total").increment(1);
    tracing::info!(
        batch = batch.number,
        txs = batch.tx_count,
        "batch sealed by age"
    );
    st.batch = batch;
    Ok(())
}
