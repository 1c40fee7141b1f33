//! What a window's commit claims and publishes, built from the sealed chain: the header
//! its final proof must attest (roots, account counts, the batches digest, the transfer
//! count) and the window's data (format [`quire_da::encode_window`]).
//!
//! The header is the sequencer's claim, computed before any proof exists so that data is
//! published early; the sender checks the final proof against it before sending.

use quire_aggregator::public_inputs::{range_digest, BatchDigestFields};
use quire_aggregator::Window;
use quire_contracts::rollup::WindowHeader;
use quire_da::{encode_window, Accounts, TransferBlock, WindowBatch, WindowData};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::ChainReader;

/// A window ready to commit.
#[derive(Clone, Debug)]
pub struct WindowCommit {
    /// What the commit claims.
    pub header: WindowHeader,
    /// What it publishes.
    pub data: Vec<u8>,
}

/// Builds window `w`'s commit for chain `chain_id`. Reads every account as of the batch
/// before the window (the data names accounts by index).
pub fn build_window(
    chain: &dyn ChainReader,
    w: Window,
    chain_id: u64,
) -> anyhow::Result<WindowCommit> {
    anyhow::ensure!(w.start >= 1 && w.end >= w.start, "bad window {w:?}");
    let leaves = chain.leaves_at(w.start - 1)?;
    let leaf_count_before = leaves.len() as u64;
    let mut accounts = Accounts::new(leaves.iter().map(|l| (l.key, l.nonce)));
    let mut digests = Vec::new();
    let mut batches = Vec::new();
    let mut tx_count = 0;
    let mut prev_root = None;
    let mut new_root = None;
    for n in w.start..=w.end {
        let b = chain.sealed_batch(n)?;
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
            }
            .digest(),
        );
        prev_root.get_or_insert(b.header.prev_state_root);
        new_root = Some(b.header.state_root);
        tx_count += b.header.tx_count;
        batches.push(WindowBatch {
            base_fee: b.base_fee,
            fee_recipient: b.fee_recipient,
            blocks: vec![TransferBlock {
                timestamp: b.header.sealed_at_ms / 1000,
                transfers: b.transfers,
            }],
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
    };
    Ok(WindowCommit { header, data })
}
