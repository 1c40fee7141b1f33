//! Batch data format, version 3: the L1 deposits each block credited and the transfers
//! without their signatures, which the signature proof covers (the proof attests that
//! every transfer was signed by its sender for the chain, so the data need only say what
//! the transfers did).
//!
//! ```text
//! batch   := version=3:u8 profiles:varint profile* blocks:varint block*
//! profile := type:u8 gas_limit:varint max_fee:varint [tip:varint  (type 2 only)]
//! block   := timestamp:varint deposits:varint deposit* transfers:varint transfer*
//! deposit := receiver:varint [address:[u8; 20] (receiver = 0)]
//!            amount_exponent:u8 amount_mantissa:varint
//! transfer:= sender:varint receiver:varint [address:[u8; 20] (receiver = 0)]
//!            value_exponent:u8 value_mantissa:varint profile:varint
//! ```
//! A block credits its deposits before its transfers run; deposits are the next ones of
//! the Bridge's queue, in order, so their queue indices are implied too.
//! Accounts are named by their index in the state tree (a transfer's receiver is `index +
//! 1`, or 0 followed by the address of an account the transfer creates, which takes the
//! next free index); nonces are implied (each sender's next); the fee fields a transfer
//! signed, often shared by a whole batch, are listed once per batch as profiles; values
//! are `mantissa · 10^exponent` with the mantissa not divisible by 10 (exact for every
//! value). Integers are LEB128 varints. A reconstructor that holds the state before the
//! batch rebuilds every transfer's committed fields, hence the batch's transaction
//! commitment, from these bytes alone.

use std::collections::HashMap;

use alloy_primitives::Address;
use quire_primitives::Transfer;
use thiserror::Error;

/// Format version written first.
pub const TRANSFERS_VERSION: u8 = 3;

/// The accounts a batch's data refers to: addresses by state-tree index, as they stood
/// before the batch, growing as the batch creates accounts.
pub trait AccountIndex {
    /// The index of `address`, if it has an account.
    fn index_of(&self, address: &Address) -> Option<u64>;
    /// The address at `index`.
    fn address_at(&self, index: u64) -> Option<Address>;
    /// The next free index (the account count).
    fn next_index(&self) -> u64;
    /// Records an account created at the next free index.
    fn create(&mut self, address: Address);
    /// The next nonce of the account at `index`, and records one more use.
    fn use_nonce(&mut self, index: u64) -> u64;
}

/// An [`AccountIndex`] in memory: the account list and each account's next nonce.
#[derive(Clone, Debug, Default)]
pub struct Accounts {
    addresses: Vec<Address>,
    nonces: Vec<u64>,
    by_address: HashMap<Address, u64>,
}

impl Accounts {
    /// Accounts `(address, next nonce)` in index order.
    pub fn new(accounts: impl IntoIterator<Item = (Address, u64)>) -> Self {
        let mut a = Self::default();
        for (address, nonce) in accounts {
            a.create(address);
            *a.nonces.last_mut().expect("just created") = nonce;
        }
        a
    }
}

impl AccountIndex for Accounts {
    fn index_of(&self, address: &Address) -> Option<u64> {
        self.by_address.get(address).copied()
    }
    fn address_at(&self, index: u64) -> Option<Address> {
        self.addresses.get(index as usize).copied()
    }
    fn next_index(&self) -> u64 {
        self.addresses.len() as u64
    }
    fn create(&mut self, address: Address) {
        self.by_address.insert(address, self.addresses.len() as u64);
        self.addresses.push(address);
        self.nonces.push(0);
    }
    fn use_nonce(&mut self, index: u64) -> u64 {
        let n = &mut self.nonces[index as usize];
        *n += 1;
        *n - 1
    }
}

/// What a block credits for one L1 deposit (its queue index is implied by the order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepositCredit {
    /// Credited account.
    pub recipient: Address,
    /// Wei.
    pub amount: u128,
}

/// One block: the deposits it credits, then its transfers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferBlock {
    /// Block timestamp (unix seconds).
    pub timestamp: u64,
    /// L1 deposits credited first, in queue order.
    pub deposits: Vec<DepositCredit>,
    /// Transfers in execution order.
    pub transfers: Vec<Transfer>,
}

/// Why transfers cannot be encoded, or bytes decoded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TransferDataError {
    /// A sender without an account, or a nonce that is not the sender's next.
    #[error("transfer {0} is not executable from the given accounts")]
    NotExecutable(usize),
    /// Unknown version byte.
    #[error("unsupported batch data version {0}")]
    Version(u8),
    /// Input ended early.
    #[error("batch data truncated")]
    Truncated,
    /// A malformed field.
    #[error("malformed batch data: {0}")]
    Malformed(&'static str),
    /// Bytes left after the last block.
    #[error("{0} trailing bytes after batch data")]
    Trailing(usize),
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl Reader<'_> {
    pub(crate) fn byte(&mut self) -> Result<u8, TransferDataError> {
        let (&b, rest) = self.0.split_first().ok_or(TransferDataError::Truncated)?;
        self.0 = rest;
        Ok(b)
    }

    pub(crate) fn varint(&mut self) -> Result<u128, TransferDataError> {
        let mut v = 0u128;
        for shift in (0..).step_by(7) {
            let b = self.byte()?;
            if shift >= 128 || shift == 126 && b >> 2 != 0 {
                return Err(TransferDataError::Malformed("varint overflows"));
            }
            v |= u128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                // Minimal encodings only, so that every batch has one encoding.
                if b == 0 && shift > 0 {
                    return Err(TransferDataError::Malformed("varint not minimal"));
                }
                return Ok(v);
            }
        }
        unreachable!("the loop returns")
    }

    pub(crate) fn u64(&mut self) -> Result<u64, TransferDataError> {
        u64::try_from(self.varint()?).map_err(|_| TransferDataError::Malformed("above 2^64"))
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&[u8], TransferDataError> {
        if self.0.len() < n {
            return Err(TransferDataError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
}

type Profile = (u8, u64, u128, u128);

fn profile_of(t: &Transfer) -> Profile {
    (
        t.tx_type,
        t.gas_limit,
        t.max_fee_per_gas,
        t.max_priority_fee_per_gas,
    )
}

/// Encodes blocks of transfers executed from `accounts` (which this advances: accounts
/// created, nonces used).
pub fn encode_transfers(
    blocks: &[TransferBlock],
    accounts: &mut impl AccountIndex,
) -> Result<Vec<u8>, TransferDataError> {
    let mut profiles: Vec<Profile> = Vec::new();
    let mut profile_index = HashMap::new();
    for t in blocks.iter().flat_map(|b| &b.transfers) {
        profile_index.entry(profile_of(t)).or_insert_with(|| {
            profiles.push(profile_of(t));
            profiles.len() - 1
        });
    }
    let mut out = vec![TRANSFERS_VERSION];
    put_varint(&mut out, profiles.len() as u128);
    for &(tx_type, gas, fee, tip) in &profiles {
        out.push(tx_type);
        put_varint(&mut out, gas.into());
        put_varint(&mut out, fee);
        if tx_type == 2 {
            put_varint(&mut out, tip);
        } else if tip != fee {
            return Err(TransferDataError::Malformed(
                "a gas price transfer with two fees",
            ));
        }
    }
    put_varint(&mut out, blocks.len() as u128);
    let mut position = 0;
    for block in blocks {
        put_varint(&mut out, block.timestamp.into());
        put_varint(&mut out, block.deposits.len() as u128);
        for d in &block.deposits {
            put_receiver(&mut out, &d.recipient, accounts);
            put_amount(&mut out, d.amount);
        }
        put_varint(&mut out, block.transfers.len() as u128);
        for t in &block.transfers {
            let sender = accounts
                .index_of(&t.sender)
                .ok_or(TransferDataError::NotExecutable(position))?;
            if accounts.use_nonce(sender) != t.nonce {
                return Err(TransferDataError::NotExecutable(position));
            }
            put_varint(&mut out, sender.into());
            put_receiver(&mut out, &t.to, accounts);
            put_amount(&mut out, t.value);
            put_varint(&mut out, profile_index[&profile_of(t)] as u128);
            position += 1;
        }
    }
    Ok(out)
}

/// A credited account: `index + 1`, or 0 and the address of an account this creates.
fn put_receiver(out: &mut Vec<u8>, to: &Address, accounts: &mut impl AccountIndex) {
    match accounts.index_of(to) {
        Some(i) => put_varint(out, u128::from(i) + 1),
        None => {
            out.push(0);
            out.extend_from_slice(to.as_slice());
            accounts.create(*to);
        }
    }
}

/// Wei as `exponent:u8 mantissa:varint`, the mantissa not divisible by 10.
fn put_amount(out: &mut Vec<u8>, wei: u128) {
    let (mut mantissa, mut exponent) = (wei, 0u8);
    while mantissa != 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    out.push(exponent);
    put_varint(out, mantissa);
}

fn read_receiver(
    r: &mut Reader<'_>,
    accounts: &mut impl AccountIndex,
) -> Result<Address, TransferDataError> {
    match r.u64()? {
        0 => {
            let a = Address::from_slice(r.take(20)?);
            if accounts.index_of(&a).is_some() {
                return Err(TransferDataError::Malformed("creates an existing account"));
            }
            accounts.create(a);
            Ok(a)
        }
        i => accounts
            .address_at(i - 1)
            .ok_or(TransferDataError::Malformed("receiver index")),
    }
}

fn read_amount(r: &mut Reader<'_>) -> Result<u128, TransferDataError> {
    let exponent = r.byte()?;
    let mantissa = r.varint()?;
    if mantissa != 0 && mantissa % 10 == 0 || mantissa == 0 && exponent != 0 {
        return Err(TransferDataError::Malformed("value not normalised"));
    }
    10u128
        .checked_pow(exponent.into())
        .and_then(|p| mantissa.checked_mul(p))
        .ok_or(TransferDataError::Malformed("value overflows"))
}

/// Decodes [`encode_transfers`]'s output against the accounts before the batch (which
/// this advances), rejecting anything else.
pub fn decode_transfers(
    bytes: &[u8],
    accounts: &mut impl AccountIndex,
) -> Result<Vec<TransferBlock>, TransferDataError> {
    let mut r = Reader(bytes);
    let version = r.byte()?;
    if version != TRANSFERS_VERSION {
        return Err(TransferDataError::Version(version));
    }
    let profile_count = r.u64()?;
    let mut profiles = Vec::new();
    for _ in 0..profile_count {
        let tx_type = r.byte()?;
        if tx_type > 2 {
            return Err(TransferDataError::Malformed("transaction type"));
        }
        let gas = r.u64()?;
        let fee = r.varint()?;
        let tip = if tx_type == 2 { r.varint()? } else { fee };
        profiles.push((tx_type, gas, fee, tip));
    }
    let block_count = r.u64()?;
    let mut blocks = Vec::new();
    for _ in 0..block_count {
        let timestamp = r.u64()?;
        let mut deposits = Vec::new();
        for _ in 0..r.u64()? {
            let recipient = read_receiver(&mut r, accounts)?;
            let amount = read_amount(&mut r)?;
            deposits.push(DepositCredit { recipient, amount });
        }
        let count = r.u64()?;
        let mut transfers = Vec::new();
        for _ in 0..count {
            let sender_index = r.u64()?;
            let sender = accounts
                .address_at(sender_index)
                .ok_or(TransferDataError::Malformed("sender index"))?;
            let nonce = accounts.use_nonce(sender_index);
            let to = read_receiver(&mut r, accounts)?;
            let value = read_amount(&mut r)?;
            let &(tx_type, gas_limit, max_fee_per_gas, max_priority_fee_per_gas) = profiles
                .get(r.u64()? as usize)
                .ok_or(TransferDataError::Malformed("profile index"))?;
            transfers.push(Transfer {
                tx_type,
                sender,
                to,
                value,
                nonce,
                gas_limit,
                max_fee_per_gas,
                max_priority_fee_per_gas,
            });
        }
        blocks.push(TransferBlock {
            timestamp,
            deposits,
            transfers,
        });
    }
    if !r.0.is_empty() {
        return Err(TransferDataError::Trailing(r.0.len()));
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn accounts(n: u8) -> Accounts {
        Accounts::new((0..n).map(|i| (Address::repeat_byte(i), u64::from(i) * 3)))
    }

    /// A transfer as the property test picks it: sender, receiver (an account, or none: a
    /// fresh one), value, fee profile.
    type Pick = (u8, Option<u8>, u128, u8);

    /// Blocks of executable transfers from [`accounts`]`(n)`, chosen by `picks`.
    fn blocks(n: u8, picks: &[Vec<Pick>]) -> Vec<TransferBlock> {
        let mut state = accounts(n);
        picks
            .iter()
            .enumerate()
            .map(|(b, txs)| {
                // Some picks also credit a deposit, before the block's transfers.
                let deposits = txs
                    .iter()
                    .filter(|p| p.3 % 4 == 0)
                    .map(|&(_, to, amount, profile)| {
                        let recipient = match to {
                            Some(i) => state.address_at(u64::from(i) % state.next_index()).unwrap(),
                            None => Address::from([profile.wrapping_add(7); 20]),
                        };
                        if state.index_of(&recipient).is_none() {
                            state.create(recipient);
                        }
                        DepositCredit { recipient, amount }
                    })
                    .collect();
                TransferBlock {
                    timestamp: 1_700_000_000 + b as u64,
                    deposits,
                    transfers: txs
                        .iter()
                        .map(|&(s, to, value, profile)| {
                            let sender = u64::from(s % n);
                            let to = match to {
                                Some(i) => {
                                    state.address_at(u64::from(i) % state.next_index()).unwrap()
                                }
                                None => Address::from([profile.wrapping_mul(31); 20]),
                            };
                            if state.index_of(&to).is_none() {
                                state.create(to);
                            }
                            let (tx_type, fee, tip) = match profile % 3 {
                                0 => (2, 2_000_000_000u128, 1_000_000),
                                1 => (0, 1_500_000_000, 1_500_000_000),
                                _ => (2, 3 << 70, 7),
                            };
                            Transfer {
                                tx_type,
                                sender: state.address_at(sender).unwrap(),
                                to,
                                value,
                                nonce: state.use_nonce(sender),
                                gas_limit: 21_000,
                                max_fee_per_gas: fee,
                                max_priority_fee_per_gas: tip,
                            }
                        })
                        .collect(),
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn decoding_is_the_exact_inverse(
            n in 1u8..20,
            picks in prop::collection::vec(prop::collection::vec(
                (any::<u8>(), prop::option::of(any::<u8>()), any::<u128>().prop_map(|v| v >> 32), any::<u8>()), 0..8), 0..4),
        ) {
            let b = blocks(n, &picks);
            let bytes = encode_transfers(&b, &mut accounts(n)).unwrap();
            prop_assert_eq!(decode_transfers(&bytes, &mut accounts(n)), Ok(b));
            // Every strict prefix is refused.
            for cut in 0..bytes.len() {
                prop_assert!(decode_transfers(&bytes[..cut], &mut accounts(n)).is_err());
            }
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let b = blocks(4, &[vec![(1, Some(2), 1_000, 0), (2, None, 5, 1)]]);
        let bytes = encode_transfers(&b, &mut accounts(4)).unwrap();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            decode_transfers(&trailing, &mut accounts(4)),
            Err(TransferDataError::Trailing(1))
        );
        let mut version = bytes.clone();
        version[0] = 1;
        assert_eq!(
            decode_transfers(&version, &mut accounts(4)),
            Err(TransferDataError::Version(1))
        );
        // A sender the accounts do not have.
        assert!(decode_transfers(&bytes, &mut accounts(1)).is_err());
        // A transfer whose nonce is not its sender's next is not encodable.
        let mut wrong = b.clone();
        wrong[0].transfers[0].nonce += 1;
        assert_eq!(
            encode_transfers(&wrong, &mut accounts(4)),
            Err(TransferDataError::NotExecutable(0))
        );
    }

    #[test]
    fn a_transfer_between_existing_accounts_takes_a_few_bytes() {
        // 1,000 wei between accounts of a 2,000-account state, one fee profile.
        let mut state = Accounts::new((0..2_000u32).map(|i| {
            let mut a = [0u8; 20];
            a[..4].copy_from_slice(&i.to_be_bytes());
            (Address::from(a), 0)
        }));
        let transfers: Vec<Transfer> = (0..200u64)
            .map(|i| Transfer {
                tx_type: 2,
                sender: state.address_at(i * 7 + 200).unwrap(),
                to: state.address_at(i * 3 + 1_000).unwrap(),
                value: 1_000,
                nonce: 0,
                gas_limit: 21_000,
                max_fee_per_gas: 2_000_000_000,
                max_priority_fee_per_gas: 1,
            })
            .collect();
        let block = TransferBlock {
            timestamp: 1,
            deposits: Vec::new(),
            transfers,
        };
        let bytes = encode_transfers(&[block], &mut state).unwrap();
        assert!(bytes.len() <= 200 * 7 + 20, "{} bytes", bytes.len());
    }
}
