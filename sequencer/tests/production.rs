//! Block production and batch sealing through the public sequencer API, checked against
//! storage: batch byte accounting equals the real DA encoding, batches seal by count, size
//! and age, value is conserved, and the tree rebuilt from the leaf history has every sealed batch's root.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, Bytes, TxKind, U256};
use alloy::signers::local::PrivateKeySigner;
use quire_da::{BatchData, BlockData};
use quire_primitives::field::b256_to_digest;
use quire_primitives::{BatchStatus, StateTree};
use quire_sequencer::{GenesisAccount, Sequencer, SequencerConfig, StateAt};

const CHAIN: u64 = 271_828;

use quire_test_support::key as signer;

fn raw(s: &PrivateKeySigner, nonce: u64, to: Address, value: u64) -> Bytes {
    let tx = quire_test_support::transfer(CHAIN, nonce, to, U256::from(value), 2_000_000_000, 3);
    quire_test_support::sign(s, tx)
}

fn config(senders: u8) -> SequencerConfig {
    let mut cfg = SequencerConfig::default();
    cfg.genesis.chain_id = CHAIN;
    cfg.genesis.alloc = (0..senders)
        .map(|i| GenesisAccount {
            address: signer(i).address(),
            balance: 10u128.pow(21),
        })
        .collect();
    cfg.production.block_time_ms = 10;
    cfg.production.fee_recipient = Address::repeat_byte(0xfe);
    cfg
}

fn wait_until(seq: &Sequencer, what: &str, f: impl Fn(&Sequencer) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f(seq) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn submit_all(seq: &Arc<Sequencer>, txs: Vec<Bytes>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for tx in txs {
        rt.block_on(seq.submit(tx)).unwrap();
    }
}

fn total_balance(seq: &Sequencer) -> u128 {
    let leaves = seq.store().load_leaves().unwrap();
    leaves.iter().map(|l| l.balance).sum()
}

#[test]
fn batches_seal_by_bytes_with_exact_da_accounting() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(4);
    cfg.mempool.max_tx_bytes = 200;
    cfg.production.batch_max_bytes = 700;
    cfg.production.batch_max_txs = 1_000;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    let before = total_balance(&seq);
    let mut txs = Vec::new();
    for i in 0..4u8 {
        for nonce in 0..6 {
            txs.push(raw(
                &signer(i),
                nonce,
                Address::repeat_byte(0x10 + nonce as u8),
                1 + u64::from(i),
            ));
        }
    }
    submit_all(&seq, txs);
    wait_until(&seq, "all included", |s| {
        s.pending_count() == 0 && s.head().number > 0
    });
    let latest = seq.latest_batch().unwrap().unwrap();
    let mut total_txs = 0;
    for n in 1..=latest.number {
        let batch = seq.batch(n).unwrap().unwrap();
        assert!(
            batch.data_bytes <= 700,
            "batch {n} is {} bytes",
            batch.data_bytes
        );
        // Re-encode the batch from stored blocks: the sealed size is the real encoding's.
        let mut data = BatchData::default();
        for b in batch.first_block..=batch.last_block {
            let block = seq.block(b).unwrap().unwrap();
            assert_eq!(block.header.batch_number, n);
            let txs = block
                .tx_hashes
                .iter()
                .map(|h| seq.store().tx(h).unwrap().unwrap().raw)
                .collect();
            data.blocks.push(BlockData {
                timestamp: block.header.timestamp,
                txs,
            });
        }
        assert_eq!(quire_da::encode(&data).len() as u64, batch.data_bytes);
        total_txs += batch.tx_count;
        if n < latest.number {
            assert_eq!(batch.status(), BatchStatus::Sealed);
            let next = seq.batch(n + 1).unwrap().unwrap();
            assert_eq!(next.prev_state_root, batch.state_root);
            assert_eq!(next.first_block, batch.last_block + 1);
        }
    }
    assert_eq!(total_txs, 24);
    assert!(
        latest.number >= 4,
        "24 transfers of ~118 bytes cannot fit fewer than 4 batches of 700 bytes"
    );
    assert_eq!(
        total_balance(&seq),
        before,
        "transfers and fees conserve value"
    );
    seq.shutdown().unwrap();
}

#[test]
fn batches_seal_by_count_and_age_and_history_rebuilds_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(3);
    cfg.production.batch_max_txs = 4;
    cfg.production.batch_max_age_ms = 300;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    let mut txs = Vec::new();
    for nonce in 0..5 {
        for i in 0..3u8 {
            // Some receivers are new accounts, some are the other senders.
            let to = if nonce % 2 == 0 {
                signer((i + 1) % 3).address()
            } else {
                Address::repeat_byte(0x40 + nonce as u8 * 3 + i)
            };
            txs.push(raw(&signer(i), nonce, to, 7));
        }
    }
    submit_all(&seq, txs);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    // 15 transfers with 4 per batch: the last batch of 3 seals by age.
    wait_until(&seq, "age seal", |s| {
        s.latest_batch().unwrap().unwrap().status() == BatchStatus::Sealed
    });
    let latest = seq.latest_batch().unwrap().unwrap();
    assert_eq!(latest.tx_count, 3);
    let store = seq.store();
    for n in 0..=latest.number {
        let batch = seq.batch(n).unwrap().unwrap();
        if n > 0 {
            assert!(batch.tx_count <= 4);
        }
        let root = b256_to_digest(&batch.state_root).unwrap();
        // The tree rebuilt from the leaves as of this batch (what the prover replays from)
        // has the batch's root, and the history scan agrees with per-leaf reads.
        let mut leaves = Vec::new();
        while let Some(leaf) = store.leaf_at(leaves.len() as u64, n).unwrap() {
            leaves.push(leaf);
        }
        assert_eq!(store.leaves_at(n).unwrap(), leaves, "leaves of batch {n}");
        let tree = StateTree::from_leaves(leaves.clone()).unwrap();
        assert_eq!(tree.root(), root, "root of batch {n}");
    }
    // Historical account reads follow blocks.
    let s0 = signer(0).address();
    assert_eq!(seq.account(&s0, StateAt::Block(0)).unwrap().nonce, 0);
    assert_eq!(seq.account(&s0, StateAt::Latest).unwrap().nonce, 5);
    seq.shutdown().unwrap();
    drop(seq);

    // A restart rebuilds the same state and continues the batch numbering.
    let mut cfg = config(3);
    cfg.production.batch_max_txs = 4;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    assert_eq!(seq.latest_batch().unwrap().unwrap(), latest);
    assert_eq!(seq.account(&s0, StateAt::Latest).unwrap().nonce, 5);
    seq.shutdown().unwrap();
}

#[test]
fn a_data_dir_refuses_another_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let seq = Sequencer::open(config(1), dir.path()).unwrap();
    seq.shutdown().unwrap();
    drop(seq);
    let mut other = config(1);
    other.genesis.chain_id = 1;
    let err = Sequencer::open(other, dir.path()).unwrap_err();
    assert!(err.to_string().contains("another genesis"), "{err}");
}

#[test]
fn a_full_mempool_gets_a_block_before_the_timer() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    cfg.production.block_time_ms = 60_000;
    cfg.production.max_block_txs = 3;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    let started = Instant::now();
    submit_all(
        &seq,
        (0..3)
            .map(|n| raw(&signer(0), n, Address::repeat_byte(0x31), 1))
            .collect(),
    );
    wait_until(&seq, "a full block", |s| s.head().number == 1);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "block waited for the 60 s timer"
    );
    assert_eq!(seq.head().tx_count, 3);
    // Fewer than a full block's worth wait for the timer.
    submit_all(
        &seq,
        vec![raw(&signer(0), 3, Address::repeat_byte(0x31), 1)],
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(seq.head().number, 1);
    assert_eq!(seq.pending_count(), 1);
    seq.shutdown().unwrap();
}

fn reopen(dir: &std::path::Path, cfg: SequencerConfig, seq: Arc<Sequencer>) -> Arc<Sequencer> {
    seq.shutdown().unwrap();
    drop(seq);
    Sequencer::open(cfg, dir).unwrap()
}

#[test]
fn journal_replay_restores_each_sender_in_nonce_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    cfg.production.block_time_ms = 60_000;
    cfg.mempool.max_nonce_gap = 4;
    let seq = Sequencer::open(cfg.clone(), dir.path()).unwrap();
    let s = signer(0);
    submit_all(
        &seq,
        (0..7)
            .map(|n| raw(&s, n, Address::repeat_byte(0x31), 1))
            .collect(),
    );
    // Replace nonce 0: its journal entry now comes after nonces 1..6.
    let mut bumped = TxEip1559 {
        chain_id: CHAIN,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 10,
        to: TxKind::Call(Address::repeat_byte(0x32)),
        value: U256::from(1),
        ..Default::default()
    };
    let sig = s.sign_transaction_sync(&mut bumped).unwrap();
    submit_all(
        &seq,
        vec![TxEnvelope::from(bumped.into_signed(sig))
            .encoded_2718()
            .into()],
    );
    assert_eq!(seq.pending_count(), 7);
    let seq = reopen(dir.path(), cfg, seq);
    assert_eq!(
        seq.pending_count(),
        7,
        "every acknowledged transaction survives the restart"
    );
    assert_eq!(seq.pending_nonce(&s.address()), 7);
    seq.shutdown().unwrap();
}

#[test]
fn transfers_that_cannot_execute_leave_pool_and_journal_with_their_successors() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    let rich = Address::repeat_byte(0x7e);
    cfg.genesis.alloc.push(GenesisAccount {
        address: rich,
        balance: quire_primitives::MAX_BALANCE - 15,
    });
    cfg.production.block_time_ms = 100;
    let seq = Sequencer::open(cfg.clone(), dir.path()).unwrap();
    let s = signer(0);
    // Over the recipient's limit at admission: refused outright.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt.block_on(seq.submit(raw(&s, 0, rich, 20))).unwrap_err();
    assert_eq!(err, quire_sequencer::TxError::RecipientOverflow);
    // Each fits alone; together they overflow, so nonce 1 fails at execution and the queued
    // nonce 3 behind it can never run.
    submit_all(
        &seq,
        vec![
            raw(&s, 0, rich, 10),
            raw(&s, 1, rich, 10),
            raw(&s, 3, Address::repeat_byte(1), 1),
        ],
    );
    wait_until(&seq, "nonce 0 included", |q| {
        q.account(&s.address(), StateAt::Latest).unwrap().nonce == 1
    });
    wait_until(&seq, "drops applied", |q| q.pending_count() == 0);
    let seq = reopen(dir.path(), cfg, seq);
    assert_eq!(
        seq.pending_count(),
        0,
        "dropped transactions came back from the journal"
    );
    assert_eq!(
        seq.account(&rich, StateAt::Latest).unwrap().balance,
        quire_primitives::MAX_BALANCE - 5
    );
    seq.shutdown().unwrap();
}

#[test]
fn batches_seal_before_their_proof_outgrows_the_largest_circuit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(3);
    cfg.production.batch_max_slots = 5;
    cfg.production.batch_max_age_ms = 200;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    let mut txs = Vec::new();
    for nonce in 0..3 {
        for i in 0..3u8 {
            // New receivers cost two slots, existing ones one.
            let to = if i == 2 {
                signer(0).address()
            } else {
                Address::repeat_byte(0x60 + nonce as u8 * 3 + i)
            };
            txs.push(raw(&signer(i), nonce, to, 7));
        }
    }
    submit_all(&seq, txs);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    wait_until(&seq, "age seal", |s| {
        s.latest_batch().unwrap().unwrap().status() == BatchStatus::Sealed
    });
    let latest = seq.latest_batch().unwrap().unwrap();
    let store = seq.store();
    let mut total = 0;
    for n in 1..=latest.number {
        let batch = seq.batch(n).unwrap().unwrap();
        let created = store.leaves_at(n).unwrap().len() - store.leaves_at(n - 1).unwrap().len();
        // The fee recipient's account (created in batch 1) has a slot of its own.
        let fee_account = usize::from(n == 1);
        assert_eq!(
            batch.proof_slots as usize,
            batch.tx_count as usize + created - fee_account,
            "batch {n}"
        );
        assert!(
            batch.proof_slots <= 5,
            "batch {n} needs {} slots",
            batch.proof_slots
        );
        total += batch.tx_count;
    }
    assert_eq!(total, 9);
    // leaves_at agrees with per-index history reads.
    for n in 0..=latest.number {
        let mut leaves = Vec::new();
        while let Some(leaf) = store.leaf_at(leaves.len() as u64, n).unwrap() {
            leaves.push(leaf);
        }
        assert_eq!(store.leaves_at(n).unwrap(), leaves, "batch {n}");
    }
    seq.shutdown().unwrap();
}

#[test]
fn the_fee_recipient_exists_before_the_first_transfer_and_a_new_one_seals_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(2);
    cfg.production.batch_max_age_ms = 60_000;
    let first = cfg.production.fee_recipient;
    let seq = Sequencer::open(cfg.clone(), dir.path()).unwrap();
    let receiver = Address::repeat_byte(0x70);
    submit_all(&seq, vec![raw(&signer(0), 0, receiver, 5)]);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    // Genesis has two accounts and the sentinel; the fee recipient comes before the
    // transfer's new receiver.
    let leaves = seq.store().load_leaves().unwrap();
    assert_eq!(leaves[3].key, first);
    assert_eq!(leaves[4].key, receiver);
    assert_eq!(
        seq.latest_batch().unwrap().unwrap().status(),
        BatchStatus::Open
    );

    let mut cfg2 = cfg;
    cfg2.production.fee_recipient = Address::repeat_byte(0xfd);
    let seq = reopen(dir.path(), cfg2, seq);
    wait_until(&seq, "the open batch sealed", |s| {
        s.batch(1).unwrap().unwrap().status() == BatchStatus::Sealed
    });
    submit_all(&seq, vec![raw(&signer(1), 0, receiver, 5)]);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    let b2 = seq.batch(2).unwrap().unwrap();
    assert_eq!(b2.tx_count, 1);
    let head = seq.head();
    assert_eq!(head.batch_number, 2);
    assert_eq!(head.fee_recipient, Address::repeat_byte(0xfd));
    seq.shutdown().unwrap();
}

#[test]
fn transfers_to_existing_accounts_fill_a_batch_one_slot_each() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(4);
    cfg.production.batch_max_slots = 10;
    cfg.production.max_block_txs = 8;
    cfg.production.block_time_ms = 500;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    // Eight transfers among existing accounts arrive together: one block, eight slots.
    let mut txs = Vec::new();
    for nonce in 0..2 {
        for i in 0..4u8 {
            txs.push(raw(&signer(i), nonce, signer((i + 1) % 4).address(), 3));
        }
    }
    submit_all(&seq, txs);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    let b1 = seq.batch(1).unwrap().unwrap();
    assert_eq!(b1.tx_count, 8, "{b1:?}");
    assert_eq!(b1.proof_slots, 8);
    assert_eq!(b1.first_block, b1.last_block, "one block");
    seq.shutdown().unwrap();
}

/// Deposits held in memory, as the node's confirmed queue would hand them over.
struct MemoryQueue(parking_lot::Mutex<Vec<quire_primitives::Deposit>>);

impl quire_sequencer::DepositQueue for MemoryQueue {
    fn confirmed(&self) -> Result<u64, String> {
        Ok(self.0.lock().len() as u64)
    }
    fn deposits_from(
        &self,
        from: u64,
        max: usize,
    ) -> Result<Vec<quire_primitives::Deposit>, String> {
        Ok(self
            .0
            .lock()
            .iter()
            .skip(from as usize)
            .take(max)
            .copied()
            .collect())
    }
}

fn deposit(index: u64, to: Address, amount: u128) -> quire_primitives::Deposit {
    quire_primitives::Deposit {
        index,
        recipient: to,
        amount,
        l1_block: 10 + index,
    }
}

#[test]
fn deposits_are_credited_in_queue_order_before_transfers_and_once_across_restarts() {
    use quire_primitives::{ChainReader, Operation};
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    cfg.production.batch_max_age_ms = 300;
    let seq = Sequencer::open(cfg.clone(), dir.path()).unwrap();
    let fresh = signer(9);
    let existing = signer(0).address();
    let queue = Arc::new(MemoryQueue(parking_lot::Mutex::new(vec![
        deposit(0, fresh.address(), 10u128.pow(18)),
        deposit(1, existing, 5),
    ])));
    seq.follow_deposits(queue.clone());
    // Credited with no transaction waiting: a block of deposits alone.
    wait_until(&seq, "deposits credited", |s| s.deposits_credited() == 2);
    let balance = |s: &Sequencer, a: &Address| s.account(a, StateAt::Latest).unwrap().balance;
    assert_eq!(balance(&seq, &fresh.address()), 10u128.pow(18));
    assert_eq!(balance(&seq, &existing), 10u128.pow(21) + 5);
    let credited_in = seq.deposit_block(0).unwrap().expect("credited in a block");
    assert_eq!(
        seq.deposit_block(1).unwrap(),
        Some(credited_in),
        "one block for both"
    );
    assert_eq!(seq.deposit_block(2).unwrap(), None);
    let block = seq.store().block(credited_in).unwrap().unwrap();
    assert_eq!((block.deposits.len(), block.tx_hashes.len()), (2, 0));
    // The fresh account spends its deposit.
    submit_all(&seq, vec![raw(&fresh, 0, existing, 1_000)]);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    wait_until(&seq, "age seal", |s| {
        s.latest_batch().unwrap().unwrap().status() == BatchStatus::Sealed
    });
    let batch = seq.latest_batch().unwrap().unwrap();
    assert_eq!((batch.deposit_count, batch.tx_count), (2, 1));
    // The batch records the Bridge's queue hash after the two, as L1 computes it.
    let g = quire_primitives::deposit::genesis_queue_hash();
    let d = [
        deposit(0, fresh.address(), 10u128.pow(18)),
        deposit(1, existing, 5),
    ];
    assert_eq!(batch.queue_hash, d[1].queue_hash(d[0].queue_hash(g)));
    assert_eq!(batch.bridge_ops, 2);
    assert_eq!(
        batch.proof_slots,
        2 + 1 + 1,
        "two deposits, one insert, one transfer"
    );
    let sealed = seq.store().sealed_batch(batch.number).unwrap();
    assert!(
        matches!(
            sealed.operations.as_slice(),
            [Operation::Deposit(a), Operation::Deposit(b), Operation::Transfer(_)]
                if a.index == 0 && b.index == 1
        ),
        "{:?}",
        sealed.operations
    );
    let total = total_balance(&seq);
    assert_eq!(
        total,
        10u128.pow(21) + 10u128.pow(18) + 5,
        "value is conserved"
    );

    // Restarted with one more deposit: only the new one is credited.
    let seq = reopen(dir.path(), cfg.clone(), seq);
    assert_eq!(seq.deposits_credited(), 2);
    queue.0.lock().push(deposit(2, existing, 7));
    seq.follow_deposits(queue.clone());
    wait_until(&seq, "third deposit", |s| s.deposits_credited() == 3);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(seq.deposits_credited(), 3);
    assert_eq!(total_balance(&seq), total + 7);

    // A queue that skips an index is not credited from.
    queue.0.lock().push(deposit(9, existing, 1));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(seq.deposits_credited(), 3);
    assert_eq!(total_balance(&seq), total + 7);
    seq.shutdown().unwrap();
}

/// A transfer to the withdrawal address withdraws: its value stays in that address's
/// account (out of circulation), the batch counts it and chains it into the withdrawal
/// hash; a withdrawal of nothing is refused at admission; a batch seals once it holds the
/// most deposits and withdrawals a signature proof takes.
#[test]
fn withdrawals_leave_circulation_and_are_chained_into_the_batch() {
    use quire_primitives::bridge::MAX_BATCH_BRIDGE_OPS;
    use quire_primitives::withdrawal::{genesis_withdrawal_hash, withdrawal_hash};
    use quire_primitives::WITHDRAWAL_ADDRESS;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(2);
    cfg.production.batch_max_age_ms = 60_000;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    let total = total_balance(&seq);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let empty = rt.block_on(seq.submit(raw(&signer(0), 0, WITHDRAWAL_ADDRESS, 0)));
    assert_eq!(empty.err(), Some(quire_sequencer::TxError::EmptyWithdrawal));
    // 129 withdrawals from one sender, one more than a batch holds.
    let n = MAX_BATCH_BRIDGE_OPS + 1;
    let txs = (0..n)
        .map(|i| raw(&signer(0), i, WITHDRAWAL_ADDRESS, 1_000 + i))
        .collect();
    submit_all(&seq, txs);
    wait_until(&seq, "inclusion", |s| s.pending_count() == 0);
    let b1 = seq.batch(1).unwrap().unwrap();
    assert_eq!(
        b1.status(),
        BatchStatus::Sealed,
        "sealed when full of withdrawals"
    );
    assert_eq!(
        (b1.tx_count, b1.withdrawal_count, b1.bridge_ops),
        (
            MAX_BATCH_BRIDGE_OPS,
            MAX_BATCH_BRIDGE_OPS,
            MAX_BATCH_BRIDGE_OPS
        )
    );
    let mut h = genesis_withdrawal_hash();
    for i in 0..MAX_BATCH_BRIDGE_OPS {
        h = withdrawal_hash(h, &signer(0).address(), u128::from(1_000 + i));
    }
    assert_eq!(b1.withdrawal_hash, h);
    let b2 = seq.latest_batch().unwrap().unwrap();
    assert_eq!(b2.number, 2, "the last withdrawal opened the next batch");
    assert_eq!((b2.withdrawal_count, b2.bridge_ops), (n, 1));
    let withdrawn: u128 = (0..n).map(|i| u128::from(1_000 + i)).sum();
    let at = |a: &Address| seq.account(a, StateAt::Latest).unwrap().balance;
    assert_eq!(at(&WITHDRAWAL_ADDRESS), withdrawn, "the withdrawn total");
    assert_eq!(total_balance(&seq), total, "value is conserved on L2");
    seq.shutdown().unwrap();
}

/// The blocks one sequencer builds from `rounds` of transfers, each round submitted once
/// the previous one is in a block: (header without its timestamp and parent, tx hashes,
/// per-transaction records) per block.
fn build_rounds(
    hash_threads: usize,
    rounds: &[Vec<Bytes>],
) -> Vec<(
    quire_primitives::BlockHeader,
    Vec<alloy::primitives::B256>,
    Vec<quire_sequencer::storage::TxRecord>,
)> {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(100);
    // Each round is one block: built the moment all of it waits, never by the timer.
    cfg.production.block_time_ms = 600_000;
    cfg.production.max_block_txs = 100;
    cfg.production.batch_max_txs = 100;
    cfg.production.hash_threads = Some(hash_threads);
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    for (i, round) in rounds.iter().enumerate() {
        submit_all(&seq, round.clone());
        wait_until(&seq, "the round's block", |s| {
            s.head().number == i as u64 + 1 && s.pending_count() == 0
        });
    }
    let leaves = seq.store().load_leaves().unwrap();
    let head = seq.head();
    assert_eq!(
        StateTree::from_leaves(leaves).unwrap().root(),
        b256_to_digest(&head.state_root).unwrap(),
        "the stored leaves hash to the head's root"
    );
    let blocks = (1..=head.number)
        .map(|n| {
            let block = seq.block(n).unwrap().unwrap();
            let records = block
                .tx_hashes
                .iter()
                .map(|h| seq.store().tx(h).unwrap().unwrap())
                .collect();
            let mut header = block.header;
            header.timestamp = 0;
            header.parent_hash = Default::default();
            (header, block.tx_hashes, records)
        })
        .collect();
    seq.shutdown().unwrap();
    blocks
}

#[test]
fn blocks_hashed_on_many_threads_equal_blocks_hashed_on_one() {
    // 100 senders; rounds of 100 transfers that create 100 accounts, then move value among
    // existing ones, then create more: ~300 dirty leaves a block, so the lower levels have
    // more changed nodes than the parallel threshold and are hashed on several threads.
    let new = |round: u8, i: u8| {
        let mut a = [0x77u8; 20];
        a[0] = round;
        a[1] = i;
        Address::from(a)
    };
    let rounds: Vec<Vec<Bytes>> = (0..3u8)
        .map(|round| {
            (0..100u8)
                .map(|i| {
                    let to = match round {
                        1 => signer((i + 37) % 100).address(),
                        _ => new(round, i),
                    };
                    raw(&signer(i), u64::from(round), to, 1_000 + u64::from(i))
                })
                .collect()
        })
        .collect();
    let one = build_rounds(1, &rounds);
    let many = build_rounds(4, &rounds);
    assert_eq!(one.len(), 3);
    let roots: std::collections::HashSet<_> = one.iter().map(|(h, _, _)| h.state_root).collect();
    assert_eq!(roots.len(), 3, "every block changes the root");
    for (n, (a, b)) in one.iter().zip(&many).enumerate() {
        assert_eq!(a.0.tx_count, 100, "block {} holds its whole round", n + 1);
        assert_eq!(a, b, "block {}", n + 1);
    }
}
