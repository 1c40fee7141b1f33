//! What a window's commit claims and publishes, built from the sealed chain: the header
//! its final proof must attest (roots, account counts, the batches digest, the transfer
//! count, the bridge state before and after), the window's data (format
//! [`quire_da::encode_window`]) and its withdrawals (what its proof records in the Bridge).
//!
//! The header is the sequencer's claim, computed before any proof exists so that data is
//! published early; the sender checks the final proof against it before sending.

use alloy_primitives::B256;
use quire_aggregator::public_inputs::{range_digest, BatchDigestFields};
use quire_aggregator::Window;
use quire_contracts::rollup::WindowHeader;
use quire_da::{encode_window, Accounts, DepositCredit, TransferBlock, WindowBatch, WindowData};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::withdrawal::withdrawal_word;
use quire_primitives::{BridgeState, ChainReader, Digest, Operation, WITHDRAWAL_ADDRESS};

/// A window ready to commit.
#[derive(Clone, Debug)]
pub struct WindowCommit {
    /// What the commit claims.
    pub header: WindowHeader,
    /// What it publishes.
    pub data: Vec<u8>,
    /// Its withdrawals in order, as `proveWindow` takes them.
    pub withdrawals: Vec<B256>,
}

/// A batch's operations as data blocks: each block credits deposits, then runs transfers,
/// so a deposit after a transfer starts the next block (the execution order is kept).
fn data_blocks(operations: Vec<Operation>, timestamp: u64) -> Vec<TransferBlock> {
    let mut blocks = vec![TransferBlock {
        timestamp,
        ..TransferBlock::default()
    }];
    for op in operations {
        let last = blocks.last_mut().expect("one block at least");
        match op {
            Operation::Deposit(d) => {
                let credit = DepositCredit {
                    recipient: d.recipient,
                    amount: d.amount,
                };
                if last.transfers.is_empty() {
                    last.deposits.push(credit);
                } else {
                    blocks.push(TransferBlock {
                        timestamp,
                        deposits: vec![credit],
                        transfers: Vec::new(),
                    });
                }
            }
            Operation::Transfer(t) => last.transfers.push(t),
        }
    }
    blocks
}

/// The accounts (addresses by index, next nonces) as they stood before batch `next_start`,
/// carried from one window's build to the next: encoding a window advances them exactly
/// as executing it did, so the next window starts from them instead of reading every
/// account's history again (a scan that grows with the chain, once per window).
#[derive(Clone, Debug)]
pub struct CarriedAccounts {
    next_start: u64,
    accounts: Accounts,
}

/// Builds window `w`'s commit for chain `chain_id`. The data names accounts by index, so
/// it starts from the accounts as of the batch before the window: those `carried` from
/// the previous window's build when it ended there, else every account read from the
/// chain. On success `carried` holds the accounts after the window; on failure, nothing.
pub fn build_window(
    chain: &dyn ChainReader,
    w: Window,
    chain_id: u64,
    carried: &mut Option<CarriedAccounts>,
) -> anyhow::Result<WindowCommit> {
    anyhow::ensure!(w.start >= 1 && w.end >= w.start, "bad window {w:?}");
    let mut accounts = match carried.take() {
        Some(c) if c.next_start == w.start => c.accounts,
        _ => {
            let leaves = chain.leaves_at(w.start - 1)?;
            Accounts::new(leaves.iter().map(|l| (l.key, l.nonce)))
        }
    };
    let leaf_count_before = quire_da::AccountIndex::next_index(&accounts);
    let mut digests = Vec::new();
    let mut batches = Vec::new();
    let mut tx_count = 0;
    let mut prev_root = None;
    let mut new_root = None;
    let bridge_of = |h: &quire_primitives::BatchHeader| -> anyhow::Result<BridgeState> {
        h.bridge_state()
            .ok_or_else(|| anyhow::anyhow!("batch {}'s deposit chain is not canonical", h.number))
    };
    let deposits_of = |s: &BridgeState| -> (u64, Digest) { (s.deposit_count, s.deposit_chain.0) };
    let bridge_before = bridge_of(
        &chain
            .batch_header(w.start - 1)?
            .ok_or_else(|| anyhow::anyhow!("batch {} is missing", w.start - 1))?,
    )?;
    let mut bridge_after = bridge_before;
    let mut withdrawals = Vec::new();
    let mut deposits_before = deposits_of(&bridge_before);
    for n in w.start..=w.end {
        let b = chain.sealed_batch(n)?;
        bridge_after = bridge_of(&b.header)?;
        let deposits_after = deposits_of(&bridge_after);
        for op in &b.operations {
            if let Operation::Transfer(t) = op {
                if t.to == WITHDRAWAL_ADDRESS {
                    withdrawals.push(withdrawal_word(&t.sender, t.value));
                }
            }
        }
        let tx_commitment = b256_to_digest(&b.header.tx_commitment).ok_or_else(|| {
            anyhow::anyhow!("batch {n}'s transaction commitment is not canonical")
        })?;
        digests.push(
            BatchDigestFields {
                number: n,
                tx_commitment,
                tx_count: b.header.tx_count,
                base_fee: b.base_fee,
                fee_recipient: b.fee_recipient,
                chain_id,
                deposits_before,
                deposits_after,
            }
            .digest(),
        );
        deposits_before = deposits_after;
        prev_root.get_or_insert(b.header.prev_state_root);
        new_root = Some(b.header.state_root);
        tx_count += b.header.tx_count;
        batches.push(WindowBatch {
            base_fee: b.base_fee,
            fee_recipient: b.fee_recipient,
            blocks: data_blocks(b.operations, b.header.sealed_at_ms / 1000),
        });
    }
    let data = encode_window(
        &WindowData {
            first_batch: w.start,
            batches,
        },
        &mut accounts,
    )?;
    let header = WindowHeader {
        firstBatch: w.start,
        lastBatch: w.end,
        prevRoot: prev_root.expect("the window has a batch"),
        newRoot: new_root.expect("the window has a batch"),
        leafCountBefore: leaf_count_before,
        leafCountAfter: quire_da::AccountIndex::next_index(&accounts),
        batchesDigest: digest_to_b256(&range_digest(&digests)),
        txCount: tx_count,
        depositCountBefore: bridge_before.deposit_count,
        depositCountAfter: bridge_after.deposit_count,
        queueHashBefore: bridge_before.queue_hash,
        queueHashAfter: bridge_after.queue_hash,
        withdrawalHashBefore: bridge_before.withdrawal_hash,
        withdrawalHashAfter: bridge_after.withdrawal_hash,
    };
    *carried = Some(CarriedAccounts {
        next_start: w.end + 1,
        accounts,
    });
    Ok(WindowCommit {
        header,
        data,
        withdrawals,
    })
}
