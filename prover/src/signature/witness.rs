//! What a signature proof needs to know about a batch's signed transactions: each one's
//! transfer fields, signing payload, signer key and ECDSA values, and from them every
//! value the signature circuit and the tables hold.
//!
//! The public key comes from alloy's recovery (k256), the same recovery the sequencer's
//! validation uses; the proof then shows it without trusting it.

use alloy_consensus::transaction::SignableTransaction;
use alloy_consensus::{TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{keccak256, Address, TxKind, U256};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use plonky2::field::types::Field;
use quire_primitives::deposit::QueueHash;
use quire_primitives::field::{hash24_limbs, F};
use quire_primitives::transfer::{Transfer, TxCommitment};
use quire_primitives::withdrawal::{WithdrawalHash, WITHDRAWAL_STEP_BYTES};
use quire_primitives::{AttestedBridge, BridgeState, Deposit, WITHDRAWAL_ADDRESS};

use super::keccak::lookup::exported_values as keccak_row;
use super::keccak::{keccak_f, KeccakState};
use super::secp256k1::curve::{lift_x, Point};
use super::secp256k1::ecdsa::{exported_values as ecdsa_row, EcdsaInput};
use super::secp256k1::msm::ecdsa_work;
use super::tables::LookedUp;

pub use super::secp256k1::ecdsa::ORDER;

/// Bytes of a Keccak-256 block (the rate): every signing payload and every public key fits
/// one.
pub const BLOCK_BYTES: usize = 136;

/// Why a transaction's signature cannot be proven.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureWitnessError {
    /// Not a signed EIP-2718 transaction.
    #[error("not a signed transaction: {0}")]
    Decode(String),
    /// The transaction type carries no ECDSA signature quire accepts, or is no transfer.
    #[error("unsupported transaction")]
    UnsupportedType,
    /// A legacy transaction without EIP-155 replay protection.
    #[error("a legacy transaction without a chain id")]
    NoChainId,
    /// r or s is zero or not below the group order.
    #[error("r or s out of range")]
    OutOfRange,
    /// s above n/2 (EIP-2 forbids it).
    #[error("high s")]
    HighS,
    /// No point has x = r with the signature's parity, or recovery failed.
    #[error("the signature does not recover a key")]
    Unrecoverable,
    /// A field is beyond what the circuit encodes (value or fee ≥ 2^96, nonce or gas
    /// limit ≥ 2^63), which validation never admits.
    #[error("a field is out of the circuit's range")]
    FieldRange,
}

/// One signed transfer as the signature proof sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransfer {
    /// The fields the batch commits to, with the recovered sender.
    pub transfer: Transfer,
    /// The chain id the signature covers.
    pub chain_id: u64,
    /// The signing payload: type byte (typed transactions) and RLP of the signed fields.
    pub payload: Vec<u8>,
    /// The ECDSA table's input: key, nonce point, r, s and z.
    pub signature: EcdsaInput,
}

fn point_bytes((x, y): Point) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&x.to_be_bytes::<32>());
    out[32..].copy_from_slice(&y.to_be_bytes::<32>());
    out
}

/// `bytes` (at most 135) padded to one Keccak block with Keccak's pad10*1.
pub fn keccak_block(bytes: &[u8]) -> [u8; BLOCK_BYTES] {
    assert!(
        bytes.len() < BLOCK_BYTES,
        "one block holds at most 135 bytes"
    );
    let mut block = [0u8; BLOCK_BYTES];
    block[..bytes.len()].copy_from_slice(bytes);
    block[bytes.len()] ^= 0x01;
    block[BLOCK_BYTES - 1] ^= 0x80;
    block
}

/// The permutation input that absorbs one block into the zero state.
pub fn block_state(block: &[u8; BLOCK_BYTES]) -> KeccakState {
    let mut state = [0u64; 25];
    for (lane, chunk) in state.iter_mut().zip(block.chunks(8)) {
        *lane = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    state
}

/// The Keccak-256 digest an output state holds (its first four lanes).
pub fn state_digest(state: &KeccakState) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, lane) in out.chunks_mut(8).zip(state) {
        chunk.copy_from_slice(&lane.to_le_bytes());
    }
    out
}

impl SignedTransfer {
    /// From stored transaction bytes.
    pub fn from_raw(raw: &[u8]) -> Result<Self, SignatureWitnessError> {
        let mut buf = raw;
        let envelope = TxEnvelope::decode_2718(&mut buf)
            .map_err(|e| SignatureWitnessError::Decode(e.to_string()))?;
        Self::from_envelope(&envelope)
    }

    /// From a signed legacy (EIP-155), EIP-2930 or EIP-1559 transfer.
    pub fn from_envelope(envelope: &TxEnvelope) -> Result<Self, SignatureWitnessError> {
        let mut payload = Vec::new();
        let (signature, chain_id) = match envelope {
            TxEnvelope::Legacy(t) => {
                t.tx().encode_for_signing(&mut payload);
                let chain_id = t.tx().chain_id.ok_or(SignatureWitnessError::NoChainId)?;
                (*t.signature(), chain_id)
            }
            TxEnvelope::Eip2930(t) => {
                t.tx().encode_for_signing(&mut payload);
                (*t.signature(), t.tx().chain_id)
            }
            TxEnvelope::Eip1559(t) => {
                t.tx().encode_for_signing(&mut payload);
                (*t.signature(), t.tx().chain_id)
            }
            _ => return Err(SignatureWitnessError::UnsupportedType),
        };
        let hash = keccak256(&payload);
        let (r, s) = (signature.r(), signature.s());
        if r.is_zero() || s.is_zero() || r >= ORDER || s >= ORDER {
            return Err(SignatureWitnessError::OutOfRange);
        }
        if s > ORDER >> 1 {
            return Err(SignatureWitnessError::HighS);
        }
        let r_point = lift_x(r, signature.v()).ok_or(SignatureWitnessError::Unrecoverable)?;
        let key = signature
            .recover_from_prehash(&hash)
            .map_err(|_| SignatureWitnessError::Unrecoverable)?;
        let encoded = key.as_affine().to_encoded_point(false);
        let q = match (encoded.x(), encoded.y()) {
            (Some(x), Some(y)) => (U256::from_be_slice(x), U256::from_be_slice(y)),
            _ => return Err(SignatureWitnessError::Unrecoverable),
        };
        let sender = Address::from_slice(&keccak256(point_bytes(q))[12..]);
        let transfer = Transfer::from_envelope(envelope, sender)
            .map_err(|_| SignatureWitnessError::UnsupportedType)?;
        let signed = Self {
            transfer,
            chain_id,
            payload,
            signature: EcdsaInput {
                q,
                r_point,
                r,
                s,
                z: U256::from_be_bytes(hash.0),
            },
        };
        signed.check_ranges()?;
        Ok(signed)
    }

    fn check_ranges(&self) -> Result<(), SignatureWitnessError> {
        let t = &self.transfer;
        let wide = 1u128 << 96;
        if t.value >= wide
            || t.max_fee_per_gas >= wide
            || t.max_priority_fee_per_gas >= wide
            || t.nonce >> 63 != 0
            || t.gas_limit >> 63 != 0
            || self.chain_id >> 63 != 0
        {
            return Err(SignatureWitnessError::FieldRange);
        }
        Ok(())
    }

    /// The recovered signer.
    pub fn signer(&self) -> Address {
        self.transfer.sender
    }

    /// The ECDSA equation's bases and scalars (r·Q − s·R + z·G = 0).
    pub fn equation(&self) -> Vec<(U256, Point)> {
        let s = &self.signature;
        ecdsa_work(s.r_point, s.q, s.r, s.s, s.z)
    }

    /// The signer key's coordinates, big-endian: what its address hashes.
    pub fn key_bytes(&self) -> [u8; 64] {
        point_bytes(self.signature.q)
    }
}

/// One entry of the signature circuit: a real signed transfer, or padding that the circuit
/// neither absorbs nor looks up (its payload is a real encoding, so every rule holds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitEntry {
    /// The fields.
    pub transfer: Transfer,
    /// The signing payload.
    pub payload: Vec<u8>,
    /// Keccak-256 of the payload.
    pub digest: [u8; 32],
    /// The signer's key, big-endian coordinates.
    pub key: [u8; 64],
    /// Keccak-256 of the key (its last 20 bytes are the sender).
    pub key_digest: [u8; 32],
    /// Whether it withdraws (its receiver is [`WITHDRAWAL_ADDRESS`]; the circuit holds the
    /// flag to that, tests set it otherwise).
    pub is_withdrawal: bool,
    /// For a withdrawal: the digest of its step of the withdrawal hash
    /// ([`CircuitEntry::withdrawal_block`]); zero otherwise.
    pub withdrawal_digest: [u8; 32],
}

impl CircuitEntry {
    /// The entry of a signed transfer, made when the withdrawal hash is `withdrawals`
    /// (which a withdrawal advances).
    pub fn real(signed: &SignedTransfer, withdrawals: &mut WithdrawalHash) -> Self {
        let key = signed.key_bytes();
        let mut e = Self {
            transfer: signed.transfer,
            payload: signed.payload.clone(),
            digest: keccak256(&signed.payload).0,
            key,
            key_digest: keccak256(key).0,
            is_withdrawal: signed.transfer.to == WITHDRAWAL_ADDRESS,
            withdrawal_digest: [0; 32],
        };
        if e.is_withdrawal {
            e.withdrawal_digest =
                keccak256(&e.withdrawal_block(withdrawals)[..WITHDRAWAL_STEP_BYTES]).0;
            *withdrawals = WithdrawalHash::from_slice(&e.withdrawal_digest[..24]);
        }
        e
    }

    /// The Keccak block of this entry's step of the withdrawal hash after `prev`: the hash,
    /// the recipient (the signer, paid on L1: the key digest's last 20 bytes, as the
    /// circuit reads it) and the amount, big-endian (what
    /// [`quire_primitives::withdrawal::withdrawal_hash`] hashes).
    pub fn withdrawal_block(&self, prev: &WithdrawalHash) -> [u8; BLOCK_BYTES] {
        let mut pre = [0u8; WITHDRAWAL_STEP_BYTES];
        pre[..24].copy_from_slice(prev.as_slice());
        pre[24..44].copy_from_slice(&self.key_digest[12..]);
        pre[44..].copy_from_slice(&self.transfer.value.to_be_bytes()[4..]);
        keccak_block(&pre)
    }

    /// A padding entry for chain `chain_id`: an all-zero legacy transfer to address zero
    /// from address zero, with zero key and digests.
    pub fn padding(chain_id: u64) -> Self {
        let tx = TxLegacy {
            chain_id: Some(chain_id),
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let mut payload = Vec::new();
        tx.encode_for_signing(&mut payload);
        Self {
            transfer: Transfer {
                tx_type: 0,
                sender: Address::ZERO,
                to: Address::ZERO,
                value: 0,
                nonce: 0,
                gas_limit: 0,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
            },
            payload,
            digest: [0; 32],
            key: [0; 64],
            key_digest: [0; 32],
            is_withdrawal: false,
            withdrawal_digest: [0; 32],
        }
    }

    /// The signing payload as a padded block.
    pub fn block(&self) -> [u8; BLOCK_BYTES] {
        keccak_block(&self.payload)
    }

    /// What the circuit observes of this entry before any challenge, in order: the
    /// signing block's 34 limbs, the digest's 8, the key's 16, the key digest's 8 and the
    /// withdrawal digest's 8 (32-bit little-endian limbs).
    pub fn observed(&self) -> Vec<F> {
        let mut out = le_limbs(&self.block());
        out.extend(le_limbs(&self.digest));
        out.extend(le_limbs(&self.key));
        out.extend(le_limbs(&self.key_digest));
        out.extend(le_limbs(&self.withdrawal_digest));
        out
    }
}

/// Bytes as 32-bit little-endian limbs, as the Keccak table holds a state.
fn le_limbs(bytes: &[u8]) -> Vec<F> {
    bytes
        .chunks(4)
        .map(|c| F::from_canonical_u32(u32::from_le_bytes(c.try_into().expect("4 bytes"))))
        .collect()
}

/// Bytes one deposit's step of the Bridge's queue hash absorbs.
pub const DEPOSIT_STEP_BYTES: usize = 24 + 8 + 20 + 12 + 8;

/// One deposit entry of the signature circuit: a deposit the batch credited, with the
/// queue hash before it and the digest of its step (whose first 24 bytes are the queue
/// hash after it), or padding that the circuit neither chains nor looks up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositEntry {
    /// The deposit (for padding: index as the circuit numbers it, the rest zero).
    pub deposit: Deposit,
    /// The queue hash before it (for padding: the previous entry's digest, truncated).
    pub prev: QueueHash,
    /// Keccak-256 of its step ([`DepositEntry::block`]); zero for padding.
    pub digest: [u8; 32],
}

impl DepositEntry {
    /// The entry of a credited deposit, after queue hash `prev`.
    pub fn real(deposit: &Deposit, prev: QueueHash) -> Self {
        let mut e = Self {
            deposit: *deposit,
            prev,
            digest: [0; 32],
        };
        e.digest = keccak256(e.preimage()).0;
        e
    }

    /// Padding at queue index `index`, after an entry whose digest was `prev_digest`.
    pub fn padding(index: u64, prev_digest: &[u8; 32]) -> Self {
        Self {
            deposit: Deposit {
                index,
                recipient: Address::ZERO,
                amount: 0,
                l1_block: 0,
            },
            prev: QueueHash::from_slice(&prev_digest[..24]),
            digest: [0; 32],
        }
    }

    /// What `Bridge.queueHash` hashes: previous hash, index, recipient, amount and L1
    /// block, integers big-endian.
    pub fn preimage(&self) -> [u8; DEPOSIT_STEP_BYTES] {
        let d = &self.deposit;
        let mut pre = [0u8; DEPOSIT_STEP_BYTES];
        pre[..24].copy_from_slice(self.prev.as_slice());
        pre[24..32].copy_from_slice(&d.index.to_be_bytes());
        pre[32..52].copy_from_slice(d.recipient.as_slice());
        pre[52..64].copy_from_slice(&d.amount.to_be_bytes()[4..]);
        pre[64..].copy_from_slice(&d.l1_block.to_be_bytes());
        pre
    }

    /// The step's preimage as a padded block.
    pub fn block(&self) -> [u8; BLOCK_BYTES] {
        keccak_block(&self.preimage())
    }

    /// What the circuit observes of it before any challenge: the block's 34 limbs and the
    /// digest's 8.
    pub fn observed(&self) -> Vec<F> {
        let mut out = le_limbs(&self.block());
        out.extend(le_limbs(&self.digest));
        out
    }
}

/// What a batch's signature proof attests about the bridge besides the signatures: the
/// deposits the batch credited, in queue order, and the bridge state before it. Its
/// withdrawals are its transfers to [`WITHDRAWAL_ADDRESS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeStatement {
    /// Where the bridge stood before the batch.
    pub before: BridgeState,
    /// The deposits it credited.
    pub deposits: Vec<Deposit>,
}

impl Default for BridgeStatement {
    /// From genesis, without deposits.
    fn default() -> Self {
        Self {
            before: BridgeState::genesis(),
            deposits: Vec::new(),
        }
    }
}

/// Deposit entries (and most withdrawals) a signature circuit of `capacity` transfers
/// holds: its Keccak table has room for that many permutations beyond the transfers' two
/// each without growing.
pub fn bridge_capacity(capacity: usize) -> usize {
    capacity / 2
}

/// What one signature proof covers: a batch's signed transfers in execution order, on
/// one chain, and the bridge operations among them and before them (its deposits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureStatement {
    /// The chain id every signature must cover.
    pub chain_id: u64,
    /// The transfers.
    pub transfers: Vec<SignedTransfer>,
    /// The deposits and the bridge state before the batch.
    pub bridge: BridgeStatement,
}

/// Why a statement cannot be proven.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StatementError {
    /// A transaction's signature cannot be proven.
    #[error("transaction {index}: {error}")]
    Transaction {
        /// Its position.
        index: usize,
        /// Why.
        error: SignatureWitnessError,
    },
    /// A deposit out of queue order.
    #[error("deposit {index} is not the next of the queue ({expected})")]
    DepositOrder {
        /// Its index.
        index: u64,
        /// The next index.
        expected: u64,
    },
    /// A transaction signed for another chain.
    #[error("transaction {index} is signed for chain {found}, not {expected}")]
    ChainId {
        /// Its position.
        index: usize,
        /// Its chain id.
        found: u64,
        /// The statement's.
        expected: u64,
    },
}

/// The Keccak permutations the circuit looks up for real `entries` and `deposits` (an
/// honest statement's, or a cheater's in tests, whose tables then hold exactly what the
/// cheater looks up): for each entry its signing block and its key's block, then each
/// withdrawal's step of the withdrawal hash (from `withdrawals`, advanced by each
/// withdrawal's digest as the circuit advances it), then each deposit's step.
pub fn table_permutations(
    withdrawals: &WithdrawalHash,
    entries: &[CircuitEntry],
    deposits: &[DepositEntry],
) -> Vec<KeccakState> {
    let mut out: Vec<KeccakState> = entries
        .iter()
        .flat_map(|e| [block_state(&e.block()), block_state(&keccak_block(&e.key))])
        .collect();
    let mut prev = *withdrawals;
    for e in entries.iter().filter(|e| e.is_withdrawal) {
        out.push(block_state(&e.withdrawal_block(&prev)));
        prev = WithdrawalHash::from_slice(&e.withdrawal_digest[..24]);
    }
    out.extend(deposits.iter().map(|d| block_state(&d.block())));
    out
}

/// The bridge part of a signature proof's public inputs: deposit count before and after,
/// deposit chain before and after, queue hash before and after, withdrawal hash before and
/// after (24-byte hashes as [`hash24_limbs`]).
pub fn bridge_elements(before: &AttestedBridge, after: &AttestedBridge) -> Vec<F> {
    let mut out = vec![
        F::from_canonical_u64(before.deposit_count),
        F::from_canonical_u64(after.deposit_count),
    ];
    out.extend_from_slice(&before.deposit_chain.0.elements);
    out.extend_from_slice(&after.deposit_chain.0.elements);
    out.extend(hash24_limbs(&before.queue_hash));
    out.extend(hash24_limbs(&after.queue_hash));
    out.extend(hash24_limbs(&before.withdrawal_hash));
    out.extend(hash24_limbs(&after.withdrawal_hash));
    out
}

impl SignatureStatement {
    /// The statement of a batch's stored transactions on chain `chain_id`, with the
    /// bridge state before it and the deposits it credited.
    pub fn from_raw<'a>(
        chain_id: u64,
        raw: impl IntoIterator<Item = &'a [u8]>,
        bridge: BridgeStatement,
    ) -> Result<Self, StatementError> {
        for (i, d) in bridge.deposits.iter().enumerate() {
            let expected = bridge.before.deposit_count + i as u64;
            if d.index != expected {
                return Err(StatementError::DepositOrder {
                    index: d.index,
                    expected,
                });
            }
        }
        let mut transfers = Vec::new();
        for (index, bytes) in raw.into_iter().enumerate() {
            let signed = SignedTransfer::from_raw(bytes)
                .map_err(|error| StatementError::Transaction { index, error })?;
            if signed.chain_id != chain_id {
                return Err(StatementError::ChainId {
                    index,
                    found: signed.chain_id,
                    expected: chain_id,
                });
            }
            transfers.push(signed);
        }
        Ok(Self {
            chain_id,
            transfers,
            bridge,
        })
    }

    /// Withdrawals among the transfers.
    pub fn withdrawals(&self) -> usize {
        self.transfers
            .iter()
            .filter(|t| t.transfer.to == WITHDRAWAL_ADDRESS)
            .count()
    }

    /// Keccak permutations beyond the transfers' own: one per deposit and per withdrawal.
    pub fn bridge_ops(&self) -> usize {
        self.bridge.deposits.len() + self.withdrawals()
    }

    /// The bridge state after the batch.
    pub fn bridge_after(&self) -> BridgeState {
        let mut s = self.bridge.before;
        for d in &self.bridge.deposits {
            s.credit(d);
        }
        for t in &self.transfers {
            if t.transfer.to == WITHDRAWAL_ADDRESS {
                s.withdraw(&t.transfer.sender, t.transfer.value);
            }
        }
        s
    }

    /// The transaction commitment of the transfers (what the batch proof exposes too).
    pub fn commitment(&self) -> TxCommitment {
        let mut c = TxCommitment::empty();
        for t in &self.transfers {
            c.absorb(&t.transfer);
        }
        c
    }

    /// The circuit's entries: the transfers, then padding up to `capacity`.
    pub fn entries(&self, capacity: usize) -> Vec<CircuitEntry> {
        let mut withdrawals = self.bridge.before.withdrawal_hash;
        let mut out: Vec<CircuitEntry> = self
            .transfers
            .iter()
            .map(|t| CircuitEntry::real(t, &mut withdrawals))
            .collect();
        out.resize(
            capacity.max(out.len()),
            CircuitEntry::padding(self.chain_id),
        );
        out
    }

    /// The circuit's deposit entries for a circuit of `capacity` transfers: the deposits,
    /// then padding up to [`bridge_capacity`].
    pub fn deposit_entries(&self, capacity: usize) -> Vec<DepositEntry> {
        let mut queue = self.bridge.before.queue_hash;
        let mut out: Vec<DepositEntry> = Vec::new();
        for d in &self.bridge.deposits {
            let e = DepositEntry::real(d, queue);
            queue = QueueHash::from_slice(&e.digest[..24]);
            out.push(e);
        }
        let mut last = [0u8; 32];
        last[..24].copy_from_slice(queue.as_slice());
        let first = self.bridge.before.deposit_count;
        while out.len() < bridge_capacity(capacity) {
            let e = DepositEntry::padding(first + out.len() as u64, &last);
            last = e.digest;
            out.push(e);
        }
        out
    }

    /// The proof's public inputs: commitment, transfer count, chain id, then the bridge
    /// state before and after the batch ([`bridge_elements`]).
    pub fn public_inputs(&self) -> Vec<F> {
        let mut out = self.commitment().0.elements.to_vec();
        out.push(F::from_canonical_usize(self.transfers.len()));
        out.push(F::from_canonical_u64(self.chain_id));
        out.extend(bridge_elements(
            &self.bridge.before.attested(),
            &self.bridge_after().attested(),
        ));
        out
    }

    /// The transcript's start: the public inputs, then what the circuit observes of each
    /// of its `capacity` entries and of its deposit entries.
    pub fn prefix(&self, capacity: usize) -> Vec<F> {
        let mut out = self.public_inputs();
        for e in self.entries(capacity) {
            out.extend(e.observed());
        }
        for e in self.deposit_entries(capacity) {
            out.extend(e.observed());
        }
        out
    }

    /// The Keccak permutations the proof needs ([`table_permutations`] of its entries).
    pub fn permutations(&self) -> Vec<KeccakState> {
        table_permutations(
            &self.bridge.before.withdrawal_hash,
            &self.entries(0),
            &self.deposit_entries(0),
        )
    }

    /// The ECDSA table's inputs.
    pub fn signatures(&self) -> Vec<EcdsaInput> {
        self.transfers.iter().map(|t| t.signature).collect()
    }

    /// The rows the circuit looks up in the tables.
    pub fn looked_up(&self) -> LookedUp {
        let mut out = LookedUp::default();
        for input in self.permutations() {
            let mut output = input;
            keccak_f(&mut output);
            out.keccak.push(keccak_row(&input, &output));
        }
        out.ecdsa = self.signatures().iter().map(ecdsa_row).collect();
        out
    }
}
