//! Settlement on L1: the last step of the data flow. A closed aggregation window becomes
//! one L1 unit: [`commitment`] builds what its commit claims and publishes (from the
//! sealed chain), [`l1_sender`] commits it in blobs (or calldata), then sends its final
//! proof, replacing stuck transactions and following confirmations and reorgs, with every
//! step persisted in its own store ([`store`]); [`reconstruct`] rebuilds the state from
//! L1 alone.

pub mod commitment;
pub mod l1_sender;
pub mod reconstruct;
pub mod store;

pub use commitment::{build_window, CarriedAccounts, WindowCommit};
pub use l1_sender::{L1Sender, SenderConfig, SenderError};
pub use reconstruct::{reconstruct, Reconstructed};
pub use store::{SettlementStore, StepTx, WindowRecord};

/// Loads the KZG trusted setup ahead of the first sidecar (see [`quire_da::load_kzg_settings`]).
pub use quire_da::load_kzg_settings;
