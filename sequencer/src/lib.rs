//! The sequencer: transaction → validation → mempool → block → batch, on RocksDB.
//!
//! Data flow: [`Sequencer::submit`] validates a signed transaction ([`validation`]),
//! admits it to the [`mempool`] and journals it before acknowledging; the producer thread
//! ([`producer`]) picks executable transactions, applies them ([`execution`]) to the state
//! tree, writes the block atomically ([`storage`]) and seals batches ([`batch`]). L1
//! deposits arrive through a [`DepositQueue`] and are credited as priority operations at
//! the start of a block, in queue order.

pub mod batch;
pub mod config;
pub mod deposit_queue;
pub mod error;
pub mod execution;
pub mod genesis;
pub mod mempool;
mod producer;
pub mod sequencer;
pub mod storage;
pub mod validation;

pub use config::{Genesis, GenesisAccount, MempoolConfig, ProductionConfig, SequencerConfig};
pub use deposit_queue::DepositQueue;
pub use error::TxError;
pub use mempool::AccountState;
pub use sequencer::{Sequencer, SequencerError, StateAt, TxLookup};
