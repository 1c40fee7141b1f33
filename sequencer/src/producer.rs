//! Block production, in two stages so that writing one block overlaps building the next:
//!
//! - the **producer** thread builds a block when enough transactions wait or the block
//!   timer fires with transactions or confirmed L1 deposits waiting: it credits the
//!   deposits (priority operations, in queue order), selects from the mempool, executes on
//!   its private state tree, rehashes, and hands the block's atomic write to the persister
//!   (at most [`BLOCKS_AHEAD`] blocks ahead). The write records the deposits with the
//!   batch's new deposit count, so a crash never credits one twice or loses one;
//! - the **persister** thread writes every block that waits, each as its own atomic write,
//!   with one fsync for the group (the last write's, which makes the WAL before it durable
//!   too), and only then publishes them, in order, to readers, the mempool and `newHeads`
//!   subscribers. Under load a group holds several blocks, so the disk's sync latency is
//!   paid once per group rather than once per block; a crash keeps a whole number of
//!   blocks, none of them published before it was durable.
//!
//! Batches are sealed by the rule in [`crate::batch`]: transaction count, proof slots,
//! data size and age.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256};
use quire_da::{BLOCK_HEADER_BYTES, TX_HEADER_BYTES};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::transfer::TRANSFER_GAS;
use quire_primitives::{
    BatchHeader, BatchStatus, BlockHeader, Deposit, StateTree, TxCommitment, WITHDRAWAL_ADDRESS,
};
use rocksdb::WriteBatch;

use crate::batch::{self, BatchLimits, BlockAddition};
use crate::execution::{execute, Executed, Running};
use crate::mempool::AccountState;
use crate::mempool::PoolTx;
use crate::sequencer::Sequencer;
use crate::storage::{CreditedDeposit, JournalOp, StoreError, StoredBlock, TxRecord};

/// Most blocks the producer builds ahead of the disk (queued for the persister, beside the
/// group it is writing). More lets the persister group more writes under one fsync; each
/// block ahead is memory and transactions held in flight.
pub const BLOCKS_AHEAD: usize = 4;

/// What only the producer thread touches.
pub(crate) struct ProducerState {
    tree: StateTree,
    head: BlockHeader,
    /// The newest batch; open batches receive the next block.
    batch: BatchHeader,
    last_block_at: Instant,
    /// The sequencer's own threads for rehashing a block's dirty paths (by default one
    /// per core), so that the hashing never queues behind proving work on rayon's global
    /// pool.
    hashers: Option<rayon::ThreadPool>,
}

impl ProducerState {
    pub(crate) fn new(
        tree: StateTree,
        head: BlockHeader,
        batch: BatchHeader,
        hash_threads: Option<usize>,
    ) -> Self {
        let threads = hash_threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let hashers = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("tree-hash-{i}"))
            .build()
            .map_err(|e| tracing::warn!(error = %e, "no tree-hashing threads; hashing on rayon's global pool"))
            .ok();
        Self {
            tree,
            head,
            batch,
            last_block_at: Instant::now(),
            hashers,
        }
    }
}

/// A block executed but not yet durable.
struct PendingBlock {
    write: WriteBatch,
    header: BlockHeader,
    hashes: Vec<B256>,
    /// New state of every account the block touched.
    accounts: Vec<(Address, AccountState)>,
    /// `(sender, nonce)` of its transactions, protected from replacement until published.
    in_flight: Vec<(Address, u64)>,
    /// The batch after this block (for logging when it seals).
    batch: BatchHeader,
}

/// Work for the persister, in order.
enum Persist {
    Block(Box<PendingBlock>),
    /// A batch sealed by age with no new block.
    Seal(Box<BatchHeader>),
    /// Journal entries of transactions dropped without a block. They go through the
    /// persister so they reach the disk only after the blocks whose state dropped them.
    Forget(Vec<u64>),
}

/// Outcome of one attempt to build a block.
enum Built {
    Block(Box<PendingBlock>),
    /// Nothing could execute; these journal entries are to be forgotten.
    Nothing(Vec<u64>),
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Marks the sequencer failed and stopping.
fn fail(seq: &Sequencer, failure: String) {
    tracing::error!(%failure, "block production stopped");
    seq.failed.lock().get_or_insert(failure);
    seq.stopping.store(true, Ordering::SeqCst);
    seq.wake.cond.notify_all();
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    format!("panic: {text}")
}

/// Producer thread body; starts the persister and returns once both have stopped. A storage
/// failure or a panic in either stops the sequencer and is reported by
/// [`Sequencer::failure`].
pub(crate) fn run(seq: Arc<Sequencer>, mut st: ProducerState) {
    let (tx, rx) = sync_channel::<Persist>(BLOCKS_AHEAD);
    let persister = {
        let seq = seq.clone();
        std::thread::Builder::new()
            .name("block-persister".into())
            .spawn(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    persist_loop(&seq, rx)
                }));
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => fail(&seq, format!("storage failure: {e}")),
                    Err(panic) => fail(&seq, panic_message(panic)),
                }
            })
            .expect("spawning the persister thread")
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        produce_loop(&seq, &mut st, &tx)
    }));
    if let Err(panic) = outcome {
        fail(&seq, panic_message(panic));
    }
    // Blocks already handed over are still written before the thread ends.
    drop(tx);
    let _ = persister.join();
}

fn produce_loop(seq: &Sequencer, st: &mut ProducerState, out: &SyncSender<Persist>) {
    let cfg = &seq.config.production;
    let block_time = Duration::from_millis(cfg.block_time_ms);
    // When the pool holds only transactions that cannot run yet (nonce gaps), wait a full
    // block time before looking again instead of polling.
    let mut next_try = Instant::now();
    loop {
        if seq.stopping.load(Ordering::SeqCst) {
            return;
        }
        let waiting = seq.mempool.lock().waiting();
        let deposits = deposits_waiting(seq, st);
        let due = st.last_block_at.elapsed() >= block_time;
        let backoff_over = Instant::now() >= next_try;
        if let Some(sealed) = seal_if_due(seq, st) {
            if out.send(Persist::Seal(Box::new(sealed))).is_err() {
                return;
            }
        }
        if backoff_over && (waiting >= cfg.max_block_txs || ((waiting > 0 || deposits) && due)) {
            match build_block(seq, st) {
                Built::Block(block) => {
                    if out.send(Persist::Block(block)).is_err() {
                        return;
                    }
                    continue;
                }
                Built::Nothing(forget) => {
                    if !forget.is_empty() && out.send(Persist::Forget(forget)).is_err() {
                        return;
                    }
                    next_try = Instant::now() + block_time;
                }
            }
        }
        if let Some(sealed) = seal_if_due(seq, st) {
            if out.send(Persist::Seal(Box::new(sealed))).is_err() {
                return;
            }
        }
        // Sleep until the block timer or a wake-up from a filling mempool. Submitters notify
        // under the same lock, and the condition is re-checked under it: no lost wake-ups.
        let mut guard = seq.wake.lock.lock();
        if seq.stopping.load(Ordering::SeqCst)
            || (Instant::now() >= next_try && seq.mempool.lock().waiting() >= cfg.max_block_txs)
        {
            continue;
        }
        let until_due = block_time
            .saturating_sub(st.last_block_at.elapsed())
            .max(next_try.saturating_duration_since(Instant::now()))
            .max(Duration::from_millis(5));
        seq.wake.cond.wait_for(&mut guard, until_due);
    }
}

/// Whether confirmed L1 deposits wait to be credited.
fn deposits_waiting(seq: &Sequencer, st: &ProducerState) -> bool {
    let Some(queue) = seq.deposit_queue() else {
        return false;
    };
    match queue.confirmed() {
        Ok(confirmed) => confirmed > st.batch.deposit_count,
        Err(e) => {
            tracing::warn!(error = %e, "reading the deposit queue");
            false
        }
    }
}

/// The next confirmed deposits that fit `slot_room` proof slots (one each, one more for
/// a recipient without an account) and `max` per block, with the slots they take.
fn next_deposits(
    seq: &Sequencer,
    st: &ProducerState,
    slot_room: u64,
    max: usize,
) -> (Vec<Deposit>, u64) {
    let Some(queue) = seq.deposit_queue() else {
        return (Vec::new(), 0);
    };
    let from = st.batch.deposit_count;
    let offered = match queue.deposits_from(from, max) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "reading the deposit queue");
            return (Vec::new(), 0);
        }
    };
    let mut created = std::collections::HashSet::new();
    let mut used = 0;
    let mut out = Vec::new();
    for (i, d) in offered.into_iter().enumerate() {
        if d.index != from + i as u64 {
            tracing::error!(
                want = from + i as u64,
                got = d.index,
                "deposit queue out of order"
            );
            break;
        }
        let new = st.tree.get(&d.recipient).is_none() && !created.contains(&d.recipient);
        let cost = 1 + u64::from(new);
        if used + cost > slot_room {
            break;
        }
        used += cost;
        if new {
            created.insert(d.recipient);
        }
        out.push(d);
    }
    (out, used)
}

/// How many of `picked` (in order) fit `slot_room` proof slots: one per transfer, one more
/// for each receiver that has no account yet (counting the ones created earlier in the
/// block). Transfers that fail to execute only free slots, so this never undercounts.
fn fitting_slots(picked: &[Arc<PoolTx>], tree: &StateTree, slot_room: u64) -> usize {
    let mut created = std::collections::HashSet::new();
    let mut used = 0;
    for (i, tx) in picked.iter().enumerate() {
        let to = tx.tx.transfer.to;
        let new = tree.get(&to).is_none() && !created.contains(&to);
        let cost = 1 + u64::from(new);
        if used + cost > slot_room {
            return i;
        }
        used += cost;
        if new {
            created.insert(to);
        }
    }
    picked.len()
}

/// How many of `picked` (in order) keep the batch's withdrawals within `room`: the block
/// ends before the first withdrawal past it (the batch then seals, and the next one takes
/// it). Counting picked withdrawals that may still fail only ends the block early.
fn fitting_withdrawals(picked: &[Arc<PoolTx>], room: u64) -> usize {
    let mut left = room;
    for (i, tx) in picked.iter().enumerate() {
        if tx.tx.transfer.to == WITHDRAWAL_ADDRESS {
            if left == 0 {
                return i;
            }
            left -= 1;
        }
    }
    picked.len()
}

/// Selects, executes and prepares the next block.
fn build_block(seq: &Sequencer, st: &mut ProducerState) -> Built {
    let cfg = &seq.config.production;
    let gas_cap = (seq.config.genesis.block_gas_limit / TRANSFER_GAS) as usize;
    let limits = BatchLimits::new(cfg, seq.config.mempool.max_tx_bytes);
    let batch::BatchRoom {
        txs: tx_room,
        slots: slot_room,
        bytes: byte_room,
        bridge_ops: bridge_room,
    } = batch::room(&st.batch, &limits);
    // Deposits first: they are priority operations, and they use proof slots only.
    let (deposits, deposit_slots) = next_deposits(
        seq,
        st,
        slot_room,
        cfg.max_block_txs.min(bridge_room as usize),
    );
    let slot_room = slot_room - deposit_slots;
    let withdrawal_room = bridge_room - deposits.len() as u64;
    let tx_room = tx_room.min(slot_room as usize);
    let candidates = {
        let mut pool = seq.mempool.lock();
        // Start each sender after the blocks this thread executed, published or not.
        let tree = &st.tree;
        let mut picked = pool.select(
            cfg.max_block_txs.min(gas_cap).min(tx_room),
            byte_room,
            TX_HEADER_BYTES,
            |a| tree.get(a).map(|leaf| leaf.nonce),
        );
        // Selection keeps each sender's nonces in order, so cutting the tail keeps every
        // remaining transaction executable.
        picked.truncate(fitting_slots(&picked, tree, slot_room));
        picked.truncate(fitting_withdrawals(&picked, withdrawal_room));
        pool.mark_in_flight(&picked);
        picked
    };
    if candidates.is_empty() && deposits.is_empty() {
        return Built::Nothing(Vec::new());
    }

    let base_fee = seq.rules.base_fee;
    let opening = st.batch.status() == BatchStatus::Sealed;
    let running = if opening {
        TxCommitment::empty()
    } else {
        TxCommitment(b256_to_digest(&st.batch.tx_commitment).unwrap_or_default())
    };
    let Some(bridge) = st.batch.bridge_state() else {
        tracing::error!(
            batch = st.batch.number,
            "the batch's stored deposit chain is corrupt"
        );
        return Built::Nothing(Vec::new());
    };
    let prev_root = st.head.state_root;
    let executed = execute(
        &mut st.tree,
        &deposits,
        &candidates,
        cfg.fee_recipient,
        base_fee,
        Running {
            commitment: running,
            bridge,
        },
    );
    let mut block_commitment = TxCommitment::empty();
    for tx in &executed.included {
        block_commitment.absorb(&tx.tx.transfer);
    }
    // Transactions that cannot execute leave the pool with their later nonces, and the
    // journal with them (in the block's own write when there is a block).
    let dropped_seqs = remove_dropped(seq, &executed);
    if executed.included.is_empty() && executed.deposits.is_empty() {
        return Built::Nothing(dropped_seqs);
    }
    let in_flight: Vec<(Address, u64)> = executed
        .included
        .iter()
        .map(|t| (t.tx.transfer.sender, t.tx.transfer.nonce))
        .collect();
    let updates = match &st.hashers {
        Some(pool) => pool.install(|| st.tree.commit()),
        None => st.tree.commit(),
    };
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
        batch::open(batch_number, number, prev_root, &bridge, now)
    } else {
        st.batch.clone()
    };
    batch::add_block(
        &mut batch,
        &BlockAddition {
            number,
            txs: header.tx_count,
            deposits: executed.deposits.len() as u64,
            withdrawals: executed.withdrawals,
            bridge: executed.bridge,
            created: executed.created,
            bytes: block_bytes,
            state_root: header.state_root,
            tx_commitment: digest_to_b256(&executed.commitment.0),
        },
    );
    if batch::is_full_or_old(&batch, &limits, now) {
        batch::seal(&mut batch, now);
    }

    let mut w = seq.store.block_write();
    for u in updates.iter().filter(|u| u.level == 0) {
        w.leaf(
            u.index,
            st.tree.leaf(u.index).expect("updated leaf exists"),
            batch_number,
        );
    }
    let mut accounts = Vec::with_capacity(executed.touched.len());
    for a in &executed.touched {
        let leaf = st.tree.get(a).expect("touched account exists");
        w.account(a, number, leaf.nonce, leaf.balance);
        accounts.push((
            *a,
            AccountState {
                nonce: leaf.nonce,
                balance: leaf.balance,
            },
        ));
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
    for d in &executed.deposits {
        w.credited_deposit(d.index, number);
    }
    if !executed.deposits.is_empty() {
        metrics::counter!("quire_deposits_credited_total")
            .increment(executed.deposits.len() as u64);
    }
    w.block(&StoredBlock {
        header: header.clone(),
        tx_hashes: hashes.clone(),
        deposits: executed
            .deposits
            .iter()
            .map(CreditedDeposit::from)
            .collect(),
    });
    st.head = header.clone();
    st.batch = batch.clone();
    st.last_block_at = Instant::now();
    Built::Block(Box::new(PendingBlock {
        write: w.into_batch(),
        header,
        hashes,
        accounts,
        in_flight,
        batch,
    }))
}

fn persist_loop(seq: &Sequencer, rx: Receiver<Persist>) -> Result<(), StoreError> {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < BLOCKS_AHEAD {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        persist_group(seq, group)?;
    }
    Ok(())
}

/// Writes a group of jobs in order, each block and seal atomically, syncing once with the
/// last write; then makes them visible in order.
fn persist_group(seq: &Sequencer, mut group: Vec<Persist>) -> Result<(), StoreError> {
    let last_write = group
        .iter()
        .rposition(|job| !matches!(job, Persist::Forget(_)));
    let mut blocks = 0;
    for (i, job) in group.iter_mut().enumerate() {
        let sync = Some(i) == last_write;
        match job {
            Persist::Block(block) => {
                blocks += 1;
                seq.store
                    .write(std::mem::take(&mut block.write), sync, "block")?;
            }
            Persist::Seal(batch) => {
                let mut w = seq.store.block_write();
                w.batch(batch);
                seq.store.write(w.into_batch(), sync, "seal")?;
            }
            Persist::Forget(_) => {}
        }
    }
    if blocks > 0 {
        metrics::histogram!("quire_block_write_group").record(blocks as f64);
    }
    for job in group {
        match job {
            Persist::Block(block) => publish(seq, *block),
            // Only after the blocks before them are durable.
            Persist::Forget(seqs) => {
                seq.journal.submit(JournalOp {
                    put: None,
                    delete: seqs,
                    done: None,
                });
            }
            Persist::Seal(batch) => {
                seq.view.write().batch = (*batch).clone();
                metrics::counter!("quire_batches_sealed_total").increment(1);
                tracing::info!(
                    batch = batch.number,
                    txs = batch.tx_count,
                    "batch sealed by age"
                );
            }
        }
    }
    Ok(())
}

/// Makes a durable block visible: readers and the mempool move to it together.
fn publish(seq: &Sequencer, block: PendingBlock) {
    let stale = {
        let mut pool = seq.mempool.lock();
        pool.clear_in_flight(&block.in_flight);
        let mut view = seq.view.write();
        for (a, state) in &block.accounts {
            view.accounts.insert(*a, *state);
        }
        view.head = block.header.clone();
        view.batch = block.batch.clone();
        drop(view);
        let stale = pool.on_block(
            &block.hashes,
            block.accounts.iter().map(|(a, s)| (*a, s.nonce)),
        );
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
    let header = block.header;
    metrics::counter!("quire_blocks_total").increment(1);
    metrics::counter!("quire_block_txs_total").increment(header.tx_count);
    metrics::histogram!("quire_block_txs").record(header.tx_count as f64);
    metrics::gauge!("quire_head_block").set(header.number as f64);
    let batch = block.batch;
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
    tracing::debug!(
        number = header.number,
        txs = header.tx_count,
        "block published"
    );
    let _ = seq.heads.send(header);
}

fn remove_dropped(seq: &Sequencer, executed: &Executed) -> Vec<u64> {
    if executed.dropped.is_empty() {
        return Vec::new();
    }
    let mut pool = seq.mempool.lock();
    let mut seqs = Vec::new();
    let keys: Vec<(Address, u64)> = executed
        .dropped
        .iter()
        .map(|(t, _)| (t.tx.transfer.sender, t.tx.transfer.nonce))
        .collect();
    pool.clear_in_flight(&keys);
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

/// The open batch, sealed, once it is older than the age limit (even with no new blocks),
/// or when the configured fee recipient changed since its blocks were built (a restart
/// with a new config): a batch proof has one fee recipient.
fn seal_if_due(seq: &Sequencer, st: &mut ProducerState) -> Option<BatchHeader> {
    if st.batch.status() != BatchStatus::Open {
        return None;
    }
    let now = now_ms();
    let limits = BatchLimits::new(&seq.config.production, seq.config.mempool.max_tx_bytes);
    // A batch has one fee recipient: a restart with another one seals the open batch.
    let recipient_changed = st.head.fee_recipient != seq.config.production.fee_recipient;
    if !batch::is_old(&st.batch, &limits, now) && !recipient_changed {
        return None;
    }
    batch::seal(&mut st.batch, now);
    Some(st.batch.clone())
}
