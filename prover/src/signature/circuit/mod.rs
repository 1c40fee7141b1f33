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
//! Its public inputs are the transaction commitment of the real entries (the same Poseidon
//! chain over the same fields as the batch proof's), their count, and the chain id; the
//! aggregation accepts a batch only with a signature proof of the batch's commitment.
//! Padding entries are neither absorbed nor looked up.

pub mod bytes;
pub mod entry;
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

use self::bytes::{le_value, values, Byte, ByteTables};
use self::entry::EntryTargets;
use self::rlp::Rlc;
use self::tables::TableProofTargets;
use super::tables::{
    prove_tables, TableConfigs, TableSizes, ECDSA_LOOKUP, KECCAK_LOOKUP, RANGE_LOOKUP,
};
use super::witness::{CircuitEntry, SignatureStatement};
use crate::{Builder, C, EXT, F};

/// Public inputs of a signature proof: commitment (4), transfer count, chain id.
pub const SIGNATURE_INPUTS: usize = 6;

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
        Ok(Self {
            tx_commitment: quire_primitives::field::Digest {
                elements: [pi[0], pi[1], pi[2], pi[3]],
            },
            tx_count: pi[4].to_canonical_u64(),
            chain_id: pi[5].to_canonical_u64(),
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
const SIGNATURE_SOURCES: [&str; 17] = [
    include_str!("mod.rs"),
    include_str!("bytes.rs"),
    include_str!("entry.rs"),
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

/// The smallest standard capacity that holds `transfers`.
pub fn capacity_for(transfers: usize) -> Option<usize> {
    CAPACITIES.into_iter().find(|&c| c >= transfers)
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
    tables: TableProofTargets,
    configs: TableConfigs,
}

/// Σ over entries of real / combine(row), per challenge.
fn looking_sums(
    b: &mut Builder,
    challenges: &GrandProductChallengeSet<Target>,
    rows: &[(BoolTarget, &[Target])],
) -> Vec<Target> {
    challenges
        .challenges
        .iter()
        .map(|ch| {
            let terms: Vec<Target> = rows
                .iter()
                .map(|&(real, row)| {
                    let combined = ch.combine_base_circuit(b, row);
                    b.div(real.target, combined)
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
        let sizes = TableSizes::for_counts(capacity, 2 * capacity);
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
        let mut public = commitment.to_vec();
        public.extend([count, chain_id]);
        b.register_public_inputs(&public);

        let mut prefix = public;
        for e in &entries {
            prefix.extend_from_slice(&e.observed);
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
            .map(|(e, &r)| (r, e.ecdsa_row.as_slice()))
            .collect();
        let keccak_rows: Vec<_> = entries
            .iter()
            .zip(&real)
            .flat_map(|(e, &r)| e.keccak_rows.iter().map(move |row| (r, row.as_slice())))
            .collect();
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

        let data = b.build::<C>();
        Self {
            capacity,
            sizes,
            data,
            entries,
            real,
            count,
            chain,
            tables,
            configs: config,
        }
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
        let proved = self.prove_entries(statement, &entries, statement.transfers.len())?;
        ensure!(
            proved.0.public_inputs == statement.public_inputs(),
            "the signature proof's public inputs differ from the statement's"
        );
        Ok(proved)
    }

    /// Proves the tables of `statement`, then the circuit over `entries` (the statement's
    /// own, or a cheater's in tests), the first `real` of them real, on the statement's
    /// chain.
    pub fn prove_entries(
        &self,
        statement: &SignatureStatement,
        entries: &[CircuitEntry],
        real: usize,
    ) -> anyhow::Result<(SignatureProof, ProvingTimes)> {
        let n = statement.transfers.len();
        ensure!(
            n <= self.capacity && entries.len() == self.capacity && real <= self.capacity,
            "{n} transfers do not fit a signature circuit of {}",
            self.capacity
        );
        let started = std::time::Instant::now();
        let mut commitment = quire_primitives::transfer::TxCommitment::empty();
        for e in &entries[..real] {
            commitment.absorb(&e.transfer);
        }
        let mut prefix = commitment.0.elements.to_vec();
        prefix.push(F::from_canonical_usize(real));
        prefix.push(F::from_canonical_u64(statement.chain_id));
        for e in entries {
            prefix.extend(e.observed());
        }
        let proofs = prove_tables::<F, C, EXT>(
            &statement.signatures(),
            &statement.permutations(),
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
