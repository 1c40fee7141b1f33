//! Every aggregation circuit for the standard batch shapes, built once per process, and the
//! final proof's verifier key that light clients pin.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::util::serialization::DefaultGateSerializer;
use quire_prover::cache::{circuit_fingerprint, write_atomically, CircuitCache};
use quire_prover::shapes;
use quire_prover::signature::circuit::{signature_fingerprint, CAPACITIES};

use crate::aggregator::Aggregator;
use crate::public_inputs::AggregatePublicInputs;
use crate::wrap::{KeccakWrapConfig, WrapCircuit, WrapProof, WRAP_RATE_BITS};
use crate::{EXT, F};

/// The source code that defines the aggregation circuits (with the batch circuit's
/// fingerprint, it names the verifier key file).
const AGGREGATOR_SOURCES: [&str; 10] = [
    include_str!("aggregator.rs"),
    include_str!("common.rs"),
    include_str!("child.rs"),
    include_str!("leaf.rs"),
    include_str!("signature_leaf.rs"),
    include_str!("bind.rs"),
    include_str!("fold.rs"),
    include_str!("wrap.rs"),
    include_str!("wrap_hash.rs"),
    include_str!("public_inputs.rs"),
];

/// A short hash of the aggregation circuits', the batch circuit's and the signature
/// circuit's sources.
pub fn aggregation_fingerprint() -> String {
    let mut all = circuit_fingerprint().into_bytes();
    all.extend_from_slice(signature_fingerprint().as_bytes());
    // The leaves are built for exactly these batch shapes and signature capacities.
    all.extend_from_slice(format!("{:?} {:?}", shapes::STANDARD, CAPACITIES).as_bytes());
    for src in AGGREGATOR_SOURCES {
        all.extend_from_slice(src.as_bytes());
    }
    hex::encode(&alloy_primitives::keccak256(&all)[..6])
}

/// The verifier side of the final wrap: all a light client (or the L1 contract) needs.
pub struct FinalVerifier {
    /// Common and verifier-only data of the wrap circuit.
    pub data: VerifierCircuitData<F, KeccakWrapConfig, EXT>,
}

impl FinalVerifier {
    /// Checks a final proof and returns what it proves.
    pub fn verify(&self, proof: &WrapProof) -> anyhow::Result<AggregatePublicInputs> {
        self.data
            .verify(proof.clone())
            .context("final proof does not verify")?;
        Ok(AggregatePublicInputs::from_final_elements(
            &proof.public_inputs,
        )?)
    }

    /// Serialised verifier data (the key file).
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        self.data
            .to_bytes(&DefaultGateSerializer)
            .map_err(|e| anyhow!("serialising the verifier key: {e:?}"))
    }

    /// Reads a key file.
    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<Self> {
        let data: VerifierCircuitData<F, KeccakWrapConfig, EXT> =
            VerifierCircuitData::from_bytes(bytes, &DefaultGateSerializer)
                .map_err(|e| anyhow!("not a verifier key: {e:?}"))?;
        anyhow::ensure!(
            data.common.num_public_inputs == crate::public_inputs::FINAL_INPUTS,
            "not a final verifier key: {} public inputs",
            data.common.num_public_inputs
        );
        Ok(Self { data })
    }

    /// Reads a key file from disk.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_bytes(bytes).with_context(|| format!("reading {}", path.display()))
    }

    /// plonky2's circuit digest of the wrap circuit, hex. Informative only: it does not
    /// cover the gates, selectors or FRI parameters of the key, so a key file edited to
    /// accept forged proofs (say, with no FRI queries) keeps it. Pin [`Self::key_digest_hex`].
    pub fn circuit_digest_hex(&self) -> String {
        use plonky2::plonk::config::GenericHashOut;
        hex::encode(GenericHashOut::<F>::to_bytes(
            &self.data.verifier_only.circuit_digest,
        ))
    }

    /// Keccak-256 of the key's canonical serialisation ([`Self::to_bytes`] of the data as
    /// read, so every field a verification uses: common data with gates, selectors and FRI
    /// parameters, and the verifier-only data), hex: what to compare when pinning a key.
    pub fn key_digest_hex(&self) -> anyhow::Result<String> {
        Ok(hex::encode(alloy_primitives::keccak256(self.to_bytes()?)))
    }

    /// Checks the key against a pinned [`Self::key_digest_hex`] (hex, `0x` optional).
    pub fn check_pin(&self, pinned: &str) -> anyhow::Result<()> {
        let actual = self.key_digest_hex()?;
        anyhow::ensure!(
            pinned
                .trim()
                .trim_start_matches("0x")
                .eq_ignore_ascii_case(&actual),
            "the verifier key's digest is 0x{actual}, not the pinned {pinned}"
        );
        Ok(())
    }
}

/// The standard place of the final verifier key in a circuits directory.
pub fn final_verifier_path(circuits_dir: &Path) -> PathBuf {
    circuits_dir.join(format!(
        "aggregate-verifier-{}.bin",
        aggregation_fingerprint()
    ))
}

/// Leaf circuits for every standard batch shape and signature capacity, the bind, the
/// fold, and the final wrap.
pub struct AggregationCircuits {
    /// Leaves and fold.
    pub aggregator: Aggregator,
    /// The final wrap.
    pub wrap: WrapCircuit,
}

impl AggregationCircuits {
    /// Builds them from the batch and signature circuits' verifier data in `cache` (built
    /// the first time and kept as small files), and writes the final verifier key beside
    /// them.
    pub fn build_standard(cache: &CircuitCache) -> anyhow::Result<Self> {
        let started = Instant::now();
        let verifiers = shapes::all()
            .map(|shape| cache.verifier(shape))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let refs: Vec<_> = verifiers.iter().map(|v| v.as_ref()).collect();
        let signatures = CAPACITIES
            .into_iter()
            .map(|capacity| cache.signature_verifier(capacity))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let signature_refs: Vec<_> = signatures.iter().map(|v| v.as_ref()).collect();
        let aggregator = Aggregator::build(&refs, &signature_refs)?;
        let wrap = WrapCircuit::build(&aggregator, WRAP_RATE_BITS)?;
        let circuits = Self { aggregator, wrap };
        if let Some(dir) = cache.dir() {
            let path = final_verifier_path(dir);
            let written = FinalVerifier::read(&path)
                .map(|k| k.data.verifier_only == circuits.wrap.data.verifier_only)
                .unwrap_or(false);
            if !written {
                if let Err(e) = circuits
                    .final_verifier()
                    .to_bytes()
                    .and_then(|b| write_atomically(&path, &b))
                {
                    tracing::warn!(path = %path.display(), error = %format!("{e:#}"), "could not write the final verifier key");
                }
            }
        }
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            leaves = verifiers.len(),
            "built the aggregation circuits"
        );
        Ok(circuits)
    }

    /// The final wrap's verifier side.
    pub fn final_verifier(&self) -> FinalVerifier {
        FinalVerifier {
            data: self.wrap.data.verifier_data(),
        }
    }
}
