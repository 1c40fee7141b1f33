//! Sequencer settings. Defaults suit a devnet; every field is documented in the README's
//! config reference.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// Everything that defines the chain itself; changing it means a new chain, so it is
/// checked against what the data directory was created with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Base fee per gas, fixed for the chain (all of the fee goes to the fee recipient).
    pub base_fee: u64,
    /// Gas limit per block.
    pub block_gas_limit: u64,
    /// Initial balances.
    #[serde(default)]
    pub alloc: Vec<GenesisAccount>,
}

/// A prefunded account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Account address.
    pub address: Address,
    /// Balance in wei (decimal string or number in TOML).
    #[serde(with = "u128_string")]
    pub balance: u128,
}

impl Default for Genesis {
    fn default() -> Self {
        Self {
            chain_id: 271_828,
            base_fee: 1_000_000_000,
            block_gas_limit: 30_000_000,
            alloc: Vec::new(),
        }
    }
}

/// Mempool limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Most transactions held; beyond it the cheapest tail transaction is evicted for a
    /// better-paying one, or the new one is refused.
    pub max_txs: usize,
    /// Most transactions one sender may have pending.
    pub max_txs_per_sender: usize,
    /// How far beyond the sender's next executable nonce a queued nonce may be.
    pub max_nonce_gap: u64,
    /// Fee bump (percent of both fee caps) a replacement must offer.
    pub price_bump_percent: u64,
    /// Largest signed transaction accepted, in bytes.
    pub max_tx_bytes: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 200_000,
            max_txs_per_sender: 4096,
            max_nonce_gap: 64,
            price_bump_percent: 10,
            max_tx_bytes: 4096,
        }
    }
}

/// Block production and batch sealing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProductionConfig {
    /// A block is built this long after the previous one if transactions are waiting
    /// (at once if the previous one is older). It bounds the wait of the last transactions
    /// of a burst; each block costs a synced write and a few bytes of batch data.
    pub block_time_ms: u64,
    /// A block is built at once when this many transactions are executable.
    pub max_block_txs: usize,
    /// Receiver of all fees.
    pub fee_recipient: Address,
    /// A batch is sealed when it holds this many transfers.
    pub batch_max_txs: u64,
    /// A batch is sealed before its proof could need more slots than this (one per
    /// transfer, one more per account a transfer creates). At most the largest batch
    /// circuit's slot count, which the node checks.
    pub batch_max_slots: u64,
    /// A batch is sealed this long after its first block.
    pub batch_max_age_ms: u64,
    /// A batch is sealed before its data-availability encoding outgrows this many bytes
    /// (default: what one EIP-4844 blob carries).
    pub batch_max_bytes: u64,
    /// Threads that rehash a block's dirty tree paths; none sizes it to the machine (one
    /// per core). 1 hashes on one thread. The state roots do not depend on it.
    pub hash_threads: Option<usize>,
}

impl Default for ProductionConfig {
    fn default() -> Self {
        Self {
            block_time_ms: 50,
            max_block_txs: 256,
            fee_recipient: Address::ZERO,
            batch_max_txs: 220,
            batch_max_slots: 220,
            batch_max_age_ms: 10_000,
            batch_max_bytes: quire_da::USABLE_BYTES_PER_BLOB as u64,
            hash_threads: None,
        }
    }
}

/// All sequencer settings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequencerConfig {
    /// Chain parameters and initial balances.
    pub genesis: Genesis,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Block and batch production.
    pub production: ProductionConfig,
}

mod u128_string {
    //! Balances overflow TOML's i64 integers, so they are accepted as decimal or 0x-hex
    //! strings (and small plain integers).
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(i) => Ok(u128::from(i)),
            Raw::Str(s) => {
                let parsed = match s.strip_prefix("0x") {
                    Some(hex) => u128::from_str_radix(hex, 16),
                    None => s.parse(),
                };
                parsed.map_err(|e| de::Error::custom(format!("invalid balance {s:?}: {e}")))
            }
        }
    }
}
