//! The signature circuit: a plonky2 proof that every transfer of a batch was signed by its
//! sender, as Ethereum defines it, on one chain.
//!
//! For each of its `capacity` entries (the batch's transfers, then padding) it holds the
//! transfer's fields as bytes and proves:
//! - **the signed payload**: the block the Keccak table hashes is the RLP payload Ethereum
//!   signs for these fields (legacy with EIP-155, EIP-2930 or EIP-1559, empty data and
//!   access list) on the public chain id, padded as Keccak pads one block (`rlp.rs`);
//! - **the signing hash and the signature**: (block, digest) is a permutation of the
//!   Keccak table, and (Q, z = digest) a signature the ECDSA table proves (r·Q − s·R +
//!   z·G = 0 with r = R.x ≤ n − 1, 0 < s ≤ (n − 1)/2): both are lookups into the tables,
//!   whose proofs the circuit verifies;
//! - **the sender**: (Q, key digest) is a Keccak permutation of Q's canonical 64-byte
//!   encoding, and the sender is the digest's last 20 bytes.
//!
//! It also proves the batch's bridge operations (`bridge.rs`): each deposit entry (the
//! deposits the batch credited, in queue order, numbered from the count before) is one
//! step of the Bridge's Keccak queue hash and of the Poseidon deposit chain, and each
//! withdrawal (a transfer to the withdrawal address) one step of the Keccak withdrawal
//! hash over its sender and value.
//!
//! Its public inputs are the transaction commitment of the real entries (the same Poseidon
//! chain over the same fields as the batch proof's), their count, the chain id, and the
//! bridge state before and after the batch (deposit counts, deposit chains, queue hashes,
//! withdrawal hashes); the aggregation accepts a batch only with a signature proof of the
//! batch's commitment and deposit chain. Padding entries are neither absorbed nor looked
//! up.

pub mod bridge;
pub mod bytes;
pub mod entry;
pub mod key_canonical;
pub mod rlp;
pub mod tables;
pub mod verifier;

use anyhow::{ensure, Context};
use hashbrown::HashMap;
use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::challenger::RecursiveChallenger;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::proof::ProofWithPublicInputs;
use starky::lookup::GrandProductChallengeSet;

use self::bridge::{absorb_deposit, advance, hash24_public, DepositEntryTargets, HASH24_BYTES};
use self::bytes::{le_value, values, Byte, ByteTables};
use self::entry::EntryTargets;
use self::rlp::Rlc;
use self::tables::TableProofTargets;
use super::tables::{
    prove_tables, TableConfigs, TableSizes, ECDSA_LOOKUP, KECCAK_LOOKUP, RANGE_LOOKUP,
};
use super::witness::{
    bridge_capacity, bridge_elements, table_permutations, CircuitEntry, DepositEntry,
    SignatureStatement,
};
use crate::{Builder, C, EXT, F};

/// Public inputs of a signature proof: commitment (4), transfer count, chain id, then the
/// bridge state before and after ([`BRIDGE_INPUTS`]).
pub const SIGNATURE_INPUTS: usize = 6 + BRIDGE_INPUTS;

/// Elements of the bridge part of a signature proof's public inputs
/// (`witness::bridge_elements`): deposit counts (2), deposit chains (8), queue hashes (8),
/// withdrawal hashes (8).
pub const BRIDGE_INPUTS: usize = 26;

/// The standard capacities (transfers per proof): the smallest that fits a batch is used.
pub const CAPACITIES: [usize; 3] = [16, 64, 256];

/// A signature proof.
pub type SignatureProof = ProofWithPublicInputs<F, C, EXT>;

/// What a signature proof attests, read from its public inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignaturePublicInputs {
    /// The commitment to the signed transfers.
    pub tx_commitment: quire_primitives::field::Digest,
    /// How many.
    pub tx_count: u64,
    /// The chain their signatures cover.
    pub chain_id: u64,
    /// The bridge state before the batch.
    pub bridge_before: quire_primitives::AttestedBridge,
    /// The bridge state after it.
    pub bridge_after: quire_primitives::AttestedBridge,
}

impl SignaturePublicInputs {
    /// Decodes public inputs.
    pub fn from_elements(pi: &[F]) -> anyhow::Result<Self> {
        use plonky2::field::types::PrimeField64;
        ensure!(
            pi.len() == SIGNATURE_INPUTS,
            "a signature proof has {SIGNATURE_INPUTS} public inputs, not {}",
            pi.len()
        );
        let digest = |at: usize| quire_primitives::field::Digest {
            elements: [pi[at], pi[at + 1], pi[at + 2], pi[at + 3]],
        };
        let hash = |at: usize| {
            quire_primitives::field::hash24_from_limbs(&pi[at..at + 4])
                .ok_or_else(|| anyhow::anyhow!("a bridge hash limb is out of range"))
        };
        let state = |count: usize, chain: usize, queue: usize, withdrawals: usize| {
            anyhow::Ok(quire_primitives::AttestedBridge {
                deposit_count: pi[count].to_canonical_u64(),
                deposit_chain: quire_primitives::DepositChain(digest(chain)),
                queue_hash: hash(queue)?,
                withdrawal_hash: hash(withdrawals)?,
            })
        };
        Ok(Self {
            tx_commitment: digest(0),
            tx_count: pi[4].to_canonical_u64(),
            chain_id: pi[5].to_canonical_u64(),
            bridge_before: state(6, 8, 16, 24)?,
            bridge_after: state(7, 12, 20, 28)?,
        })
    }
}

/// Where a signature proof's time went.
#[derive(Clone, Copy, Debug)]
pub struct ProvingTimes {
    /// The three tables (traces, commitments, proofs).
    pub tables: std::time::Duration,
    /// The circuit (witness and plonky2 proof).
    pub circuit: std::time::Duration,
}

/// The source code that defines the signature circuit and its tables: with the batch
/// circuit's, it names cache files and the aggregation circuits.
const SIGNATURE_SOURCES: [&str; 19] = [
    include_str!("mod.rs"),
    include_str!("bridge.rs"),
    include_str!("bytes.rs"),
    include_str!("entry.rs"),
    include_str!("key_canonical.rs"),
    include_str!("rlp.rs"),
    include_str!("tables.rs"),
    include_str!("../tables.rs"),
    include_str!("../witness.rs"),
    include_str!("../keccak/columns.rs"),
    include_str!("../keccak/constants.rs"),
    include_str!("../keccak/lookup.rs"),
    include_str!("../keccak/stark.rs"),
    include_str!("../keccak/trace.rs"),
    include_str!("../secp256k1/curve.rs"),
    include_str!("../secp256k1/ecdsa.rs"),
    include_str!("../secp256k1/identity.rs"),
    include_str!("../secp256k1/msm.rs"),
    include_str!("../secp256k1/range.rs"),
];

/// A short hash of the signature circuit's sources.
pub fn signature_fingerprint() -> String {
    let mut all = Vec::new();
    for src in SIGNATURE_SOURCES {
        all.extend_from_slice(src.as_bytes());
    }
    hex::encode(&alloy_primitives::keccak256(&all)[..6])
}

/// The bridge state after `entries` and `deposits` (all real) from `before`, as the circuit
/// computes it: the deposit chain over their recipients and amounts, the queue hash from
/// their digests, the withdrawal hash from the withdrawals' digests. (What an honest
/// statement's [`SignatureStatement::bridge_after`] gives; a cheater's entries may differ.)
fn entries_bridge_after(
    before: &quire_primitives::BridgeState,
    entries: &[CircuitEntry],
    deposits: &[DepositEntry],
) -> quire_primitives::BridgeState {
    let mut after = *before;
    for d in deposits {
        after.deposit_count += 1;
        after.deposit_chain.absorb(&d.deposit);
        after.queue_hash = quire_primitives::QueueHash::from_slice(&d.digest[..24]);
    }
    for e in entries {
        if e.is_withdrawal {
            after.withdrawal_hash =
                quire_primitives::WithdrawalHash::from_slice(&e.withdrawal_digest[..24]);
        }
    }
    after
}

/// The smallest standard capacity that holds `transfers` with `bridge_ops` deposits and
/// withdrawals among or beside them.
pub fn capacity_for(transfers: usize, bridge_ops: usize) -> Option<usize> {
    CAPACITIES
        .into_iter()
        .find(|&c| c >= transfers && bridge_capacity(c) >= bridge_ops)
}

/// The signature circuit for one capacity.
pub struct SignatureCircuit {
    /// Transfers it holds.
    pub capacity: usize,
    /// Sizes of the tables it verifies.
    pub sizes: TableSizes,
    /// The circuit.
    pub data: CircuitData<F, C, EXT>,
    entries: Vec<EntryTargets>,
    real: Vec<BoolTarget>,
    count: Target,
    chain: Vec<Byte>,
    deposits: Vec<DepositEntryTargets>,
    bridge_before: BridgeTargets,
    tables: TableProofTargets,
    configs: TableConfigs,
}

/// The bridge state before the batch, as the circuit's witness.
#[derive(Clone, Debug)]
struct BridgeTargets {
    deposit_count: Target,
    deposit_chain: plonky2::hash::hash_types::HashOutTarget,
    queue_hash: Vec<Byte>,
    withdrawal_hash: Vec<Byte>,
}

impl BridgeTargets {
    fn set(
        &self,
        pw: &mut PartialWitness<F>,
        before: &quire_primitives::BridgeState,
    ) -> anyhow::Result<()> {
        pw.set_target(
            self.deposit_count,
            F::from_canonical_u64(before.deposit_count),
        )?;
        pw.set_hash_target(self.deposit_chain, before.deposit_chain.0)?;
        for (targets, bytes) in [
            (&self.queue_hash, before.queue_hash.as_slice()),
            (&self.withdrawal_hash, before.withdrawal_hash.as_slice()),
        ] {
            for (t, &byte) in targets.iter().zip(bytes) {
                pw.set_target(t.value, F::from_canonical_u8(byte))?;
            }
        }
        Ok(())
    }
}

/// Σ over rows of multiplicity / combine(row), per challenge.
fn looking_sums(
    b: &mut Builder,
    challenges: &GrandProductChallengeSet<Target>,
    rows: &[(Target, &[Target])],
) -> Vec<Target> {
    challenges
        .challenges
        .iter()
        .map(|ch| {
            let terms: Vec<Target> = rows
                .iter()
                .map(|&(multiplicity, row)| {
                    let combined = ch.combine_base_circuit(b, row);
                    b.div(multiplicity, combined)
                })
                .collect();
            b.add_many(&terms)
        })
        .collect()
}

impl SignatureCircuit {
    /// Builds the circuit for `capacity` transfers.
    pub fn build(capacity: usize) -> Self {
        Self::build_with(capacity, TableConfigs::for_capacity(capacity))
    }

    /// Builds the circuit for `capacity` transfers and tables proven with `configs`.
    pub fn build_with(capacity: usize, configs: TableConfigs) -> Self {
        let config = configs.clone();
        let sizes = TableSizes::for_counts(capacity, 2 * capacity + bridge_capacity(capacity));
        let mut b = Builder::new(CircuitConfig::standard_recursion_config());
        let bytes = ByteTables::new(&mut b);

        let count = b.add_virtual_target();
        let real: Vec<BoolTarget> = (0..capacity)
            .map(|_| b.add_virtual_bool_target_safe())
            .collect();
        for w in real.windows(2) {
            // Real entries come first.
            let t = b.mul_sub(w[1].target, w[0].target, w[1].target);
            b.assert_zero(t);
        }
        let real_count = b.add_many(real.iter().map(|r| r.target));
        b.connect(real_count, count);
        let chain = bytes.bytes(&mut b, 8);
        let high = bytes.high_bit(&mut b, chain[7].value);
        b.assert_zero(high);
        let chain_id = le_value(&mut b, &values(&chain));

        let entries: Vec<EntryTargets> = (0..capacity)
            .map(|_| EntryTargets::new(&mut b, &bytes))
            .collect();
        let mut commitment = [b.zero(); 4];
        for (e, &is_real) in entries.iter().zip(&real) {
            let mut input = commitment.to_vec();
            input.extend_from_slice(&e.fields);
            let next = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
            for (c, n) in commitment.iter_mut().zip(next.elements) {
                *c = b.select(is_real, n, *c);
            }
        }

        // Withdrawals: each one's step of the withdrawal hash, in transfer order.
        let withdrawal_before = bytes.bytes(&mut b, HASH24_BYTES);
        let mut withdrawal_hash = values(&withdrawal_before);
        let mut withdrawal_rows = Vec::with_capacity(capacity);
        for (e, &is_real) in entries.iter().zip(&real) {
            let take = b.and(is_real, e.is_withdrawal);
            withdrawal_rows.push((take.target, e.withdrawal_row(&mut b, &withdrawal_hash)));
            withdrawal_hash = advance(&mut b, take, &e.withdrawal_digest, &withdrawal_hash);
        }

        // Deposits: each one's step of the queue hash (after the previous entry's digest,
        // at the next index) and of the deposit chain; real entries come first.
        let bridge_before = BridgeTargets {
            deposit_count: b.add_virtual_target(),
            deposit_chain: b.add_virtual_hash(),
            queue_hash: bytes.bytes(&mut b, HASH24_BYTES),
            withdrawal_hash: withdrawal_before,
        };
        let mut prev = values(&bridge_before.queue_hash);
        let mut queue_hash = prev.clone();
        let mut deposit_chain = bridge_before.deposit_chain;
        let mut deposits: Vec<DepositEntryTargets> = Vec::new();
        for i in 0..bridge_capacity(capacity) {
            let index = b.add_const(bridge_before.deposit_count, F::from_canonical_usize(i));
            let d = DepositEntryTargets::new(&mut b, &bytes, &prev, index);
            prev = values(&d.digest[..HASH24_BYTES]);
            queue_hash = advance(&mut b, d.real, &d.digest, &queue_hash);
            deposit_chain = absorb_deposit(&mut b, deposit_chain, &d.fields, d.real);
            if let Some(last) = deposits.last() {
                let t = b.mul_sub(d.real.target, last.real.target, d.real.target);
                b.assert_zero(t);
            }
            deposits.push(d);
        }
        let credited: Vec<Target> = deposits.iter().map(|d| d.real.target).collect();
        let credited = b.add_many(&credited);
        let deposit_count_after = b.add(bridge_before.deposit_count, credited);

        let mut public = commitment.to_vec();
        public.extend([count, chain_id]);
        public.extend([bridge_before.deposit_count, deposit_count_after]);
        public.extend(bridge_before.deposit_chain.elements);
        public.extend(deposit_chain.elements);
        let queue_before = values(&bridge_before.queue_hash);
        let withdrawals_before = values(&bridge_before.withdrawal_hash);
        for hash in [
            &queue_before,
            &queue_hash,
            &withdrawals_before,
            &withdrawal_hash,
        ] {
            let limbs = hash24_public(&mut b, hash);
            public.extend(limbs);
        }
        debug_assert_eq!(public.len(), SIGNATURE_INPUTS);
        b.register_public_inputs(&public);

        let mut prefix = public;
        for e in &entries {
            prefix.extend_from_slice(&e.observed);
        }
        for d in &deposits {
            prefix.extend_from_slice(&d.observed);
        }
        let tables = TableProofTargets::new(&mut b, sizes, &config);
        let (challenges, state) = tables.challenges(&mut b, &prefix, &config);

        let mut fork = RecursiveChallenger::<F, PoseidonHash, EXT>::from_state(state);
        let gamma = fork.get_extension_challenge(&mut b);
        let rlc = Rlc::new(&mut b, gamma);
        let chain_segment = rlc.integer(&mut b, &bytes, &chain);
        for e in &entries {
            e.constrain_payload(&mut b, &bytes, &rlc, chain_segment);
        }

        let ecdsa_rows: Vec<_> = entries
            .iter()
            .zip(&real)
            .map(|(e, &r)| (r.target, e.ecdsa_row.as_slice()))
            .collect();
        let mut keccak_rows: Vec<_> = entries
            .iter()
            .zip(&real)
            .flat_map(|(e, &r)| {
                e.keccak_rows
                    .iter()
                    .map(move |row| (r.target, row.as_slice()))
            })
            .collect();
        keccak_rows.extend(withdrawal_rows.iter().map(|(m, row)| (*m, row.as_slice())));
        keccak_rows.extend(
            deposits
                .iter()
                .map(|d| (d.real.target, d.keccak_row.as_slice())),
        );
        let mut extra = HashMap::new();
        // Every lookup needs an entry: starky's circuit verifier defaults a missing one to
        // `Target::default()`, the circuit's first virtual target, not to zero.
        let zero = b.zero();
        extra.insert(RANGE_LOOKUP, vec![zero; config.num_challenges()]);
        extra.insert(ECDSA_LOOKUP, looking_sums(&mut b, &challenges, &ecdsa_rows));
        extra.insert(
            KECCAK_LOOKUP,
            looking_sums(&mut b, &challenges, &keccak_rows),
        );
        tables.verify(&mut b, state, &challenges, &extra, &config);

        tracing::debug!(capacity, gates = b.num_gates(), "signature circuit");
        let data = b.build::<C>();
        Self {
            capacity,
            sizes,
            data,
            entries,
            real,
            count,
            chain,
            deposits,
            bridge_before,
            tables,
            configs: config,
        }
    }

    /// Deposit entries it holds.
    pub fn deposit_capacity(&self) -> usize {
        self.deposits.len()
    }

    /// Proves `statement` (at most `capacity` transfers): the tables first, then the circuit.
    pub fn prove(&self, statement: &SignatureStatement) -> anyhow::Result<SignatureProof> {
        Ok(self.prove_timed(statement)?.0)
    }

    /// [`prove`](Self::prove), with how long the tables and the circuit took.
    pub fn prove_timed(
        &self,
        statement: &SignatureStatement,
    ) -> anyhow::Result<(SignatureProof, ProvingTimes)> {
        let entries = statement.entries(self.capacity);
        let deposits = statement.deposit_entries(self.capacity);
        let proved = self.prove_entries(
            statement,
            (&entries, statement.transfers.len()),
            (&deposits, statement.bridge.deposits.len()),
        )?;
        ensure!(
            proved.0.public_inputs == statement.public_inputs(),
            "the signature proof's public inputs differ from the statement's"
        );
        Ok(proved)
    }

    /// Proves the tables of `statement`, then the circuit over `entries` (the statement's
    /// own, or a cheater's in tests), the first `real` of them real, and over the deposit
    /// entries `deposits` (likewise), on the statement's chain and from its bridge state.
    pub fn prove_entries(
        &self,
        statement: &SignatureStatement,
        (entries, real): (&[CircuitEntry], usize),
        (deposits, real_deposits): (&[DepositEntry], usize),
    ) -> anyhow::Result<(SignatureProof, ProvingTimes)> {
        let n = statement.transfers.len();
        ensure!(
            n <= self.capacity && entries.len() == self.capacity && real <= self.capacity,
            "{n} transfers do not fit a signature circuit of {}",
            self.capacity
        );
        ensure!(
            deposits.len() == self.deposits.len() && real_deposits <= deposits.len(),
            "{} deposits do not fit a signature circuit of {}",
            statement.bridge.deposits.len(),
            self.capacity
        );
        let started = std::time::Instant::now();
        let mut commitment = quire_primitives::transfer::TxCommitment::empty();
        for e in &entries[..real] {
            commitment.absorb(&e.transfer);
        }
        let before = &statement.bridge.before;
        let after = entries_bridge_after(before, &entries[..real], &deposits[..real_deposits]);
        let mut prefix = commitment.0.elements.to_vec();
        prefix.push(F::from_canonical_usize(real));
        prefix.push(F::from_canonical_u64(statement.chain_id));
        prefix.extend(bridge_elements(&before.attested(), &after.attested()));
        for e in entries {
            prefix.extend(e.observed());
        }
        for d in deposits {
            prefix.extend(d.observed());
        }
        let permutations = table_permutations(
            &before.withdrawal_hash,
            &entries[..real],
            &deposits[..real_deposits],
        );
        let proofs = prove_tables::<F, C, EXT>(
            &statement.signatures(),
            &permutations,
            self.sizes,
            &prefix,
            &self.configs,
        )?;
        let tables = started.elapsed();
        let mut pw = PartialWitness::new();
        self.tables.set(&mut pw, &proofs)?;
        pw.set_target(self.count, F::from_canonical_usize(real))?;
        for (i, r) in self.real.iter().enumerate() {
            pw.set_bool_target(*r, i < real)?;
        }
        for (target, byte) in self.chain.iter().zip(statement.chain_id.to_le_bytes()) {
            pw.set_target(target.value, F::from_canonical_u8(byte))?;
        }
        for (targets, entry) in self.entries.iter().zip(entries) {
            targets.set(&mut pw, entry)?;
        }
        self.bridge_before.set(&mut pw, before)?;
        for (i, (targets, entry)) in self.deposits.iter().zip(deposits).enumerate() {
            targets.set(&mut pw, entry, i < real_deposits)?;
        }
        let proof = crate::signature::prove_catching(|| self.data.prove(pw))
            .context("proving the signature circuit")?;
        let times = ProvingTimes {
            tables,
            circuit: started.elapsed() - tables,
        };
        tracing::debug!(
            transfers = n,
            capacity = self.capacity,
            tables_ms = times.tables.as_millis() as u64,
            circuit_ms = times.circuit.as_millis() as u64,
            "signature proof"
        );
        Ok((proof, times))
    }

    /// Verifies a proof of this circuit and reads what it attests.
    pub fn verify(&self, proof: &SignatureProof) -> anyhow::Result<SignaturePublicInputs> {
        self.data.verify(proof.clone())?;
        SignaturePublicInputs::from_elements(&proof.public_inputs)
    }
}

#[cfg(test)]
mod fingerprint_tests {
    /// Files of the signature module that do not define the circuit or its tables: module
    /// roots, a standalone table proof, the field-product table (benchmarks), test helpers
    /// and tests, and the verifier wrapper. Any other file must enter the fingerprint.
    const NOT_THE_CIRCUIT: [&str; 8] = [
        "circuit/verifier.rs",
        "secp256k1/ecdsa_tests.rs",
        "secp256k1/ecdsa_routing_tests.rs",
        "keccak/mod.rs",
        "keccak/proof.rs",
        "secp256k1/mod.rs",
        "secp256k1/field_mul.rs",
        "secp256k1/testing.rs",
    ];

    /// Every source file of the circuit and its tables names the cache files: a file left
    /// out would let a node keep a circuit built from older code.
    #[test]
    fn every_source_file_enters_the_fingerprint() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/signature");
        let mut files = vec!["tables.rs".to_string(), "witness.rs".to_string()];
        for dir in ["circuit", "keccak", "secp256k1"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().to_string();
                let path = format!("{dir}/{name}");
                if !NOT_THE_CIRCUIT.contains(&path.as_str()) {
                    files.push(path);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(root.join(&path)).unwrap();
            assert!(
                super::SIGNATURE_SOURCES.contains(&text.as_str()),
                "src/signature/{path} is not in SIGNATURE_SOURCES"
            );
        }
    }
}
