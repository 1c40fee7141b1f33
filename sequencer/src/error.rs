//! Errors a wallet can get back for a transaction, with the messages Ethereum clients and
//! tooling already recognise (geth's wording where one exists).

use alloy_primitives::Address;
use thiserror::Error;

/// Why a transaction was refused. Refusal never changes state.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TxError {
    /// Bytes are not a signed EIP-2718 transaction.
    #[error("failed to decode signed transaction: {0}")]
    Decode(String),
    /// Larger than the configured limit.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Blob, EIP-7702 or unknown types.
    #[error(
        "transaction type not supported: quire accepts legacy, EIP-2930 and EIP-1559 transfers"
    )]
    UnsupportedType,
    /// Legacy transaction without EIP-155.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    NotReplayProtected,
    /// Signed for another chain.
    #[error("invalid chain id: have {have}, want {want}")]
    WrongChainId {
        /// The transaction's chain id.
        have: u64,
        /// This chain's.
        want: u64,
    },
    /// Bad or malleable (high-s) signature.
    #[error("invalid transaction signature")]
    InvalidSignature,
    /// No `to`.
    #[error("contract creation is not supported: quire is a payments rollup")]
    ContractCreation,
    /// Non-empty input.
    #[error("calldata is not supported: quire transactions only transfer ETH")]
    Calldata,
    /// Non-empty access list.
    #[error("access lists are not supported: quire transactions only transfer ETH")]
    AccessList,
    /// Gas limit below 21,000.
    #[error("intrinsic gas too low: have {have}, want 21000")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        have: u64,
    },
    /// Gas limit above the block's.
    #[error("exceeds block gas limit")]
    GasLimitExceeded,
    /// Fee cap below the base fee.
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    FeeCapTooLow {
        /// The transaction's fee cap.
        max_fee: u128,
        /// The chain's base fee.
        base_fee: u64,
    },
    /// Tip above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Nonce already used.
    #[error("nonce too low: next nonce {next}, tx nonce {tx}")]
    NonceTooLow {
        /// The sender's next nonce.
        next: u64,
        /// The transaction's nonce.
        tx: u64,
    },
    /// Nonce beyond the future-nonce limit.
    #[error("nonce too high: next executable nonce {next}, tx nonce {tx}, max gap {max_gap}")]
    NonceTooHigh {
        /// The sender's next executable nonce.
        next: u64,
        /// The transaction's nonce.
        tx: u64,
        /// How far ahead a nonce may be.
        max_gap: u64,
    },
    /// Balance below value + gas × price (over all the sender's pending transactions).
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// The sender.
        address: Address,
        /// Its balance.
        have: u128,
        /// What its pending transactions and this one need up front.
        want: u128,
    },
    /// Same transaction already pending.
    #[error("already known")]
    AlreadyKnown,
    /// Same nonce pending with a fee bump below the minimum.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// Pool full and the transaction pays no more than the cheapest one held.
    #[error("txpool is full")]
    PoolFull,
    /// Sender has too many pending transactions.
    #[error("too many pending transactions from {0}")]
    SenderLimit(Address),
    /// A transfer to the withdrawal address that moves nothing.
    #[error("a withdrawal to L1 must carry value")]
    EmptyWithdrawal,
    /// Credit would push the recipient over the balance limit.
    #[error("recipient balance would exceed the 96-bit limit")]
    RecipientOverflow,
    /// The node is shutting down or its storage failed; nothing was recorded.
    #[error("transaction not recorded: {0}")]
    Unavailable(String),
}

impl TxError {
    /// Short label for the rejection metric.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Decode(_) => "decode",
            Self::Oversized { .. } => "oversized",
            Self::UnsupportedType => "unsupported_type",
            Self::NotReplayProtected => "not_replay_protected",
            Self::WrongChainId { .. } => "wrong_chain_id",
            Self::InvalidSignature => "invalid_signature",
            Self::ContractCreation => "contract_creation",
            Self::Calldata => "calldata",
            Self::AccessList => "access_list",
            Self::IntrinsicGasTooLow { .. } => "intrinsic_gas",
            Self::GasLimitExceeded => "gas_limit",
            Self::FeeCapTooLow { .. } => "fee_cap_too_low",
            Self::TipAboveFeeCap => "tip_above_fee_cap",
            Self::NonceTooLow { .. } => "nonce_too_low",
            Self::NonceTooHigh { .. } => "nonce_too_high",
            Self::InsufficientFunds { .. } => "insufficient_funds",
            Self::AlreadyKnown => "already_known",
            Self::ReplacementUnderpriced => "replacement_underpriced",
            Self::PoolFull => "pool_full",
            Self::SenderLimit(_) => "sender_limit",
            Self::EmptyWithdrawal => "empty_withdrawal",
            Self::RecipientOverflow => "recipient_overflow",
            Self::Unavailable(_) => "unavailable",
        }
    }
}
