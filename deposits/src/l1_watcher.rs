//! Following the Bridge's deposit queue on L1.
//!
//! Each poll first checks that L1 still holds the block the store's cursor names; if a reorg
//! replaced it, the store rolls back to the newest deposit whose block L1 still holds (a
//! reorg replaces a suffix of the chain, so everything before that block stands). Then it
//! scans the next range of blocks that have `confirmations` confirmations for
//! `DepositQueued` events, checks every deposit against the queue (its index is the next,
//! its amount one the Bridge accepts, and the queue hash recomputed from the previous one
//! equals the event's), checks that the blocks the events came from are the ones L1 holds
//! at the end of the scan, and records the deposits and the new cursor in one write.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::providers::{Provider, ProviderBuilder, RootProvider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256};
use quire_contracts::bridge::Bridge;
use quire_primitives::Deposit;

use crate::store::{DepositStore, ScanCursor, SeenDeposit, StoreError};

/// How to follow the Bridge.
#[derive(Clone, Debug)]
pub struct WatcherConfig {
    /// L1 JSON-RPC.
    pub l1_rpc_url: String,
    /// The L1 chain id the Bridge lives on, when known: the watcher refuses another L1.
    pub l1_chain_id: Option<u64>,
    /// The Bridge.
    pub bridge: Address,
    /// The first L1 block to scan (the Bridge's deployment).
    pub from_block: u64,
    /// Confirmations a block needs before its deposits count (1: the head itself).
    pub confirmations: u64,
    /// Time between polls.
    pub poll: Duration,
    /// Most blocks one `eth_getLogs` covers.
    pub max_range: u64,
}

/// Why a poll did not advance.
#[derive(Debug, thiserror::Error)]
pub enum WatcherError {
    /// L1 did not answer, or answered something unusable: the next poll tries again.
    #[error("L1 RPC: {0}")]
    Rpc(String),
    /// L1 changed while the scan ran: the next poll tries again.
    #[error("L1 changed during the scan ({0}); scanning again")]
    Moved(String),
    /// The watcher's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The events break the queue's rules: the address is not a Bridge of this version, or
    /// the L1 RPC cannot be trusted. Nothing was recorded; the watcher stops.
    #[error("the Bridge's events break the queue: {0}")]
    BadQueue(String),
    /// The L1 RPC serves another chain than the configured one.
    #[error("the L1 chain id is {got}, not the configured {want}; not following deposits")]
    WrongChain {
        /// Configured.
        want: u64,
        /// Reported.
        got: u64,
    },
}

impl WatcherError {
    /// Whether polling again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, WatcherError::Rpc(_) | WatcherError::Moved(_))
    }
}

fn rpc<E: std::fmt::Display>(e: E) -> WatcherError {
    WatcherError::Rpc(e.to_string())
}

/// What one poll did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollOutcome {
    /// Deposits recorded.
    pub recorded: u64,
    /// Deposits forgotten because a reorg removed their blocks.
    pub rolled_back: u64,
    /// The cursor after the poll.
    pub cursor: Option<u64>,
}

/// The watcher.
pub struct DepositWatcher {
    config: WatcherConfig,
    provider: RootProvider,
    store: Arc<DepositStore>,
}

impl DepositWatcher {
    /// A watcher writing to `store`, which it binds to the configured Bridge.
    pub fn new(config: WatcherConfig, store: Arc<DepositStore>) -> Result<Self, WatcherError> {
        let url = config
            .l1_rpc_url
            .parse()
            .map_err(|e| WatcherError::Rpc(format!("bad L1 RPC URL: {e}")))?;
        store.bind(config.bridge, config.from_block)?;
        Ok(Self {
            provider: ProviderBuilder::default().connect_http(url),
            config: WatcherConfig {
                confirmations: config.confirmations.max(1),
                max_range: config.max_range.max(1),
                ..config
            },
            store,
        })
    }

    /// Polls until an error that polling again cannot fix, which it returns.
    pub async fn run(self) -> WatcherError {
        tracing::info!(
            bridge = %self.config.bridge,
            from_block = self.config.from_block,
            confirmations = self.config.confirmations,
            "following L1 deposits"
        );
        if let Some(want) = self.config.l1_chain_id {
            loop {
                match self.provider.get_chain_id().await {
                    Ok(got) if got == want => break,
                    Ok(got) => {
                        let e = WatcherError::WrongChain { want, got };
                        tracing::error!(error = %e, "deposit watcher stopped");
                        return e;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "deposit watcher: reading the L1 chain id");
                        tokio::time::sleep(self.config.poll).await;
                    }
                }
            }
        }
        loop {
            match self.poll_once().await {
                Ok(out) => {
                    if let Some(c) = out.cursor {
                        metrics::gauge!("quire_deposits_scanned_block").set(c as f64);
                    }
                    // A poll that reached the safe head waits; one that did not goes on.
                    if out.recorded == 0 && out.rolled_back == 0 {
                        tokio::time::sleep(self.config.poll).await;
                    }
                }
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "deposit watcher");
                    tokio::time::sleep(self.config.poll).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "deposit watcher stopped");
                    return e;
                }
            }
        }
    }

    async fn block_hash(&self, n: u64) -> Result<Option<B256>, WatcherError> {
        Ok(self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(n))
            .await
            .map_err(rpc)?
            .map(|b| b.header.hash))
    }

    /// One poll: undo what a reorg removed, then scan one range of confirmed blocks.
    pub async fn poll_once(&self) -> Result<PollOutcome, WatcherError> {
        let rolled_back = self.undo_reorg().await?;
        let head = self.provider.get_block_number().await.map_err(rpc)?;
        let cursor = self.store.cursor()?;
        let from = cursor.map_or(self.config.from_block, |c| c.block + 1);
        // A block at height h has head − h + 1 confirmations.
        let Some(safe) = (head + 1).checked_sub(self.config.confirmations) else {
            return Ok(PollOutcome {
                rolled_back,
                cursor: cursor.map(|c| c.block),
                ..Default::default()
            });
        };
        if from > safe {
            return Ok(PollOutcome {
                rolled_back,
                cursor: cursor.map(|c| c.block),
                ..Default::default()
            });
        }
        let to = safe.min(from.saturating_add(self.config.max_range - 1));
        let to_hash = self
            .block_hash(to)
            .await?
            .ok_or_else(|| WatcherError::Moved(format!("block {to} is gone")))?;
        let found = self.scan(from, to).await?;
        // Every block the events name, and the scan's last block, are still L1's: the
        // deposits and the cursor describe one chain.
        let mut blocks: BTreeMap<u64, B256> = BTreeMap::new();
        for d in &found {
            blocks.insert(d.deposit.l1_block, d.l1_block_hash);
        }
        blocks.insert(to, to_hash);
        for (n, want) in blocks {
            if self.block_hash(n).await? != Some(want) {
                return Err(WatcherError::Moved(format!("block {n} was replaced")));
            }
        }
        self.store.record_scan(
            &found,
            ScanCursor {
                block: to,
                hash: to_hash,
            },
        )?;
        for d in &found {
            tracing::info!(
                index = d.deposit.index,
                recipient = %d.deposit.recipient,
                amount = d.deposit.amount,
                l1_block = d.deposit.l1_block,
                l1_tx = %d.l1_tx,
                "deposit confirmed on L1"
            );
        }
        metrics::counter!("quire_deposits_seen_total").increment(found.len() as u64);
        Ok(PollOutcome {
            recorded: found.len() as u64,
            rolled_back,
            cursor: Some(to),
        })
    }

    /// The deposits of blocks `from..=to`, checked against the queue the store continues.
    async fn scan(&self, from: u64, to: u64) -> Result<Vec<SeenDeposit>, WatcherError> {
        let filter = Filter::new()
            .address(self.config.bridge)
            .event_signature(Bridge::DepositQueued::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let mut logs = self.provider.get_logs(&filter).await.map_err(rpc)?;
        logs.retain(|l| !l.removed);
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        let mut prev = self.store.queue_head()?;
        let mut out = Vec::with_capacity(logs.len());
        for (next, log) in (self.store.next_index()?..).zip(logs) {
            let seen = seen_deposit(&log, next, prev)?;
            prev = seen.queue_hash;
            out.push(seen);
        }
        Ok(out)
    }

    /// Rolls the store back if L1 no longer holds the cursor's block; returns how many
    /// deposits it forgot.
    async fn undo_reorg(&self) -> Result<u64, WatcherError> {
        let Some(cursor) = self.store.cursor()? else {
            return Ok(0);
        };
        if self.block_hash(cursor.block).await? == Some(cursor.hash) {
            return Ok(0);
        }
        let seen = self.store.next_index()?;
        // The newest deposit whose block L1 still holds: the chain agrees up to its block.
        let mut keep: Option<ScanCursor> = None;
        let mut index = seen;
        while index > 0 {
            let Some(d) = self.store.deposit(index - 1)? else {
                break;
            };
            if self.block_hash(d.deposit.l1_block).await? == Some(d.l1_block_hash) {
                keep = Some(ScanCursor {
                    block: d.deposit.l1_block,
                    hash: d.l1_block_hash,
                });
                break;
            }
            index -= 1;
        }
        self.store.roll_back(index, keep)?;
        let forgotten = seen - index;
        tracing::warn!(
            replaced_block = cursor.block,
            rescan_from = keep.map_or(self.config.from_block, |c| c.block + 1),
            forgotten,
            "L1 reorg below the deposit cursor"
        );
        metrics::counter!("quire_deposits_reorged_total").increment(forgotten);
        Ok(forgotten)
    }
}

/// Reads one `DepositQueued` log as deposit `index`, continuing the queue from `prev`.
fn seen_deposit(
    log: &Log,
    index: u64,
    prev: quire_primitives::deposit::QueueHash,
) -> Result<SeenDeposit, WatcherError> {
    let missing = |what: &str| WatcherError::Rpc(format!("a deposit log without its {what}"));
    let block = log.block_number.ok_or_else(|| missing("block number"))?;
    let block_hash = log.block_hash.ok_or_else(|| missing("block hash"))?;
    let l1_tx = log.transaction_hash.ok_or_else(|| missing("transaction"))?;
    let log_index = log.log_index.ok_or_else(|| missing("log index"))?;
    let event = Bridge::DepositQueued::decode_log_data(log.data())
        .map_err(|e| WatcherError::BadQueue(format!("undecodable DepositQueued: {e}")))?;
    if event.index != index {
        return Err(WatcherError::BadQueue(format!(
            "deposit {} where {index} comes next",
            event.index
        )));
    }
    let deposit = Deposit::new(index, event.l2Recipient, event.amount, block)
        .map_err(|e| WatcherError::BadQueue(format!("deposit {index}: {e}")))?;
    let queue_hash = deposit.queue_hash(prev);
    if queue_hash != event.queueHash {
        return Err(WatcherError::BadQueue(format!(
            "deposit {index}: queue hash {} where the rule gives {queue_hash}",
            event.queueHash
        )));
    }
    Ok(SeenDeposit {
        deposit,
        queue_hash,
        l1_block_hash: block_hash,
        l1_tx,
        log_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{FixedBytes, U256};
    use quire_primitives::deposit::genesis_queue_hash;

    fn log_of(index: u64, recipient: Address, amount: U256, queue_hash: FixedBytes<24>) -> Log {
        let event = Bridge::DepositQueued {
            index,
            l2Recipient: recipient,
            amount,
            queueHash: queue_hash,
        };
        Log {
            inner: alloy_primitives::Log {
                address: Address::repeat_byte(0xb1),
                data: event.encode_log_data(),
            },
            block_hash: Some(B256::repeat_byte(9)),
            block_number: Some(40),
            transaction_hash: Some(B256::repeat_byte(7)),
            log_index: Some(3),
            ..Default::default()
        }
    }

    fn good(index: u64, prev: FixedBytes<24>) -> (Log, Deposit) {
        let d = Deposit {
            index,
            recipient: Address::repeat_byte(0x22),
            amount: 5_000,
            l1_block: 40,
        };
        (
            log_of(index, d.recipient, U256::from(d.amount), d.queue_hash(prev)),
            d,
        )
    }

    #[test]
    fn a_deposit_that_continues_the_queue_is_read_with_its_l1_position() {
        let prev = genesis_queue_hash();
        let (log, d) = good(0, prev);
        let seen = seen_deposit(&log, 0, prev).unwrap();
        assert_eq!(seen.deposit, d);
        assert_eq!(seen.queue_hash, d.queue_hash(prev));
        assert_eq!(seen.l1_block_hash, B256::repeat_byte(9));
        assert_eq!(seen.l1_tx, B256::repeat_byte(7));
        assert_eq!(seen.log_index, 3);
    }

    #[test]
    fn events_that_break_the_queue_are_refused() {
        let prev = genesis_queue_hash();
        // Another index than the next: a skipped or repeated deposit.
        let (log, _) = good(1, prev);
        assert!(matches!(
            seen_deposit(&log, 0, prev),
            Err(WatcherError::BadQueue(_))
        ));
        // A queue hash the rule does not give (another previous hash, or a forged event).
        let (log, _) = good(0, FixedBytes::repeat_byte(1));
        assert!(matches!(
            seen_deposit(&log, 0, prev),
            Err(WatcherError::BadQueue(_))
        ));
        // Amounts the Bridge refuses.
        for amount in [U256::ZERO, U256::from(1u128 << 96)] {
            let log = log_of(0, Address::repeat_byte(0x22), amount, prev);
            assert!(matches!(
                seen_deposit(&log, 0, prev),
                Err(WatcherError::BadQueue(_))
            ));
        }
        // An event without its block is an RPC fault, retried, not a queue fault.
        let (mut log, _) = good(0, prev);
        log.block_hash = None;
        assert!(seen_deposit(&log, 0, prev).unwrap_err().is_transient());
    }
}
