//! Types shared by every quire component: accounts, the Poseidon state tree, L2 block and
//! batch headers, and the canonical field encodings that the sequencer writes and the
//! prover's circuits will re-derive. Anything both sides must agree on lives here, once.

pub mod account;
pub mod batch;
pub mod block;
pub mod bridge;
pub mod chain;
pub mod deposit;
pub mod field;
pub mod transfer;
pub mod tree;
pub mod withdrawal;

pub use account::{AccountLeaf, MAX_BALANCE};
pub use batch::{BatchHeader, BatchStatus};
pub use block::BlockHeader;
pub use bridge::{AttestedBridge, BridgeState};
pub use chain::{ChainReadError, ChainReader, Operation, SealedBatch};
pub use deposit::{Deposit, DepositChain, QueueHash};
pub use field::{Digest, F};
pub use transfer::{Transfer, TxCommitment};
pub use tree::{AbsenceProof, MerkleProof, StateTree, TREE_DEPTH};
pub use withdrawal::{
    Withdrawal, WithdrawalHash, WithdrawalPath, WithdrawalTree, WITHDRAWAL_ADDRESS,
};
