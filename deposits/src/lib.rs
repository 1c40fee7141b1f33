//! Deposits from L1 as the L2 node learns them: [`DepositWatcher`] follows the Bridge's
//! `DepositQueued` events at a confirmation depth, checks each against the queue's running
//! hash, and writes them with its cursor to a [`DepositStore`] of its own, in one atomic
//! write per scan, so that a restart neither skips nor repeats one; an L1 reorg that
//! reaches below the cursor rolls the store back to where L1 still agrees with it.
//!
//! The sequencer does not consume these deposits yet (see the README's status): the store
//! is what it will read them from, in queue order.

pub mod l1_watcher;
pub mod store;

pub use l1_watcher::{DepositWatcher, PollOutcome, WatcherConfig, WatcherError};
pub use store::{deposits_db_path, DepositStore, ScanCursor, SeenDeposit, StoreError};
