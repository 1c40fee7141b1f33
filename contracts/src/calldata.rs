//! The calldata layout the Verifier contract reads: a final proof packed without lengths or
//! padding, in the order the contract consumes it.
//!
//! Written by hand rather than with plonky2's serialiser: that format prefixes every vector
//! with its length and writes values the contract would have to re-encode. Here the shape
//! is fixed by the circuit (the contract knows every length), and every value is
//! big-endian (one `calldataload` and a shift), as the wrap's hasher
//! ([`KeccakBeHash`](quire_aggregator::wrap_hash::KeccakBeHash)) hashes it, so the contract
//! hashes Merkle leaves as they lie in the calldata.
//!
//! Layout, in order (`h` = Merkle digest bytes, ext = two 8-byte elements):
//! 1. caps of the wires, Z/partial-products and quotient trees (`cap_len · h` each);
//! 2. openings at ζ (constants, sigmas, wires, Zs, partial products, quotient) then Zs at
//!    g·ζ, ext big-endian;
//! 3. the FRI commit-phase caps, then the final polynomial's coefficients (ext big-endian),
//!    then the proof-of-work witness (8 bytes big-endian);
//! 4. per query: for each of the four initial trees its leaf (elements big-endian) and
//!    its Merkle siblings from the bottom; then per FRI layer its coset's values (ext,
//!    elements big-endian) and siblings.

use plonky2::field::extension::FieldExtension;
use plonky2::field::types::PrimeField64;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::config::GenericHashOut;
use quire_aggregator::wrap::{WrapProof, WRAP_HASH_BYTES};
use quire_aggregator::{EXT, F};

/// A proof whose shape is not the circuit's.
#[derive(Debug, thiserror::Error)]
#[error("proof shape does not match the circuit: {0}")]
pub struct ShapeMismatch(pub String);

/// The fixed sizes of a final proof of one circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofShape {
    /// Digests per Merkle cap.
    pub cap_len: usize,
    /// Extension elements opened at ζ.
    pub openings_zeta: usize,
    /// Extension elements opened at g·ζ.
    pub openings_next: usize,
    /// Leaf widths of the four initial trees.
    pub leaf_widths: [usize; 4],
    /// Height of the initial trees below their caps.
    pub initial_path: usize,
    /// log2 of each FRI folding arity.
    pub arity_bits: Vec<usize>,
    /// Coefficients of the final polynomial.
    pub final_poly_len: usize,
    /// FRI queries.
    pub queries: usize,
    /// Public inputs.
    pub public_inputs: usize,
}

impl ProofShape {
    /// The shape of proofs of the circuit described by `common`.
    pub fn of(common: &CommonCircuitData<F, EXT>) -> Self {
        let fri = &common.fri_params;
        let cap_height = fri.config.cap_height;
        let lde_bits = common.degree_bits() + fri.config.rate_bits;
        let nc = common.config.num_challenges;
        let openings_zeta = common.num_constants
            + common.config.num_routed_wires
            + common.config.num_wires
            + nc
            + nc * common.num_partial_products
            + nc * common.quotient_degree_factor;
        let final_bits = common.degree_bits() - fri.reduction_arity_bits.iter().sum::<usize>();
        Self {
            cap_len: 1 << cap_height,
            openings_zeta,
            openings_next: nc,
            leaf_widths: [
                common.num_constants + common.config.num_routed_wires,
                common.config.num_wires,
                nc * (1 + common.num_partial_products),
                nc * common.quotient_degree_factor,
            ],
            initial_path: lde_bits - cap_height,
            arity_bits: fri.reduction_arity_bits.clone(),
            final_poly_len: 1 << final_bits,
            queries: fri.config.num_query_rounds,
            public_inputs: common.num_public_inputs,
        }
    }

    /// Where each part of a proof lies in the encoding.
    pub fn layout(&self) -> Layout {
        let h = WRAP_HASH_BYTES;
        let cap_bytes = self.cap_len * h;
        let off_openings = 3 * cap_bytes;
        let off_fri_caps = off_openings + (self.openings_zeta + self.openings_next) * 16;
        let off_final_poly = off_fri_caps + self.arity_bits.len() * cap_bytes;
        let off_pow = off_final_poly + self.final_poly_len * 16;
        let mut leaf_offsets = [0usize; 4];
        let mut at = 0;
        for (o, w) in self.leaf_widths.iter().enumerate() {
            leaf_offsets[o] = at;
            at += w * 8 + self.initial_path * h;
        }
        let mut layer_offsets = Vec::new();
        let mut path = self.initial_path;
        for a in &self.arity_bits {
            layer_offsets.push(at);
            path -= a;
            at += (1 << a) * 16 + path * h;
        }
        Layout {
            cap_bytes,
            off_openings,
            off_fri_caps,
            off_final_poly,
            off_pow,
            off_queries: off_pow + 8,
            leaf_offsets,
            layer_offsets,
            query_bytes: at,
        }
    }

    /// Bytes of the encoded proof.
    pub fn encoded_len(&self) -> usize {
        let layout = self.layout();
        layout.off_queries + self.queries * layout.query_bytes
    }
}

/// Byte offsets of a proof's parts in the encoding (caps of the wires, Z and quotient trees
/// are at 0, `cap_bytes` and `2·cap_bytes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes of one Merkle cap.
    pub cap_bytes: usize,
    /// The openings at ζ, then at g·ζ.
    pub off_openings: usize,
    /// The FRI commit-phase caps.
    pub off_fri_caps: usize,
    /// The final polynomial.
    pub off_final_poly: usize,
    /// The proof-of-work witness.
    pub off_pow: usize,
    /// The first query.
    pub off_queries: usize,
    /// Each initial tree's leaf within a query (its siblings follow it).
    pub leaf_offsets: [usize; 4],
    /// Each FRI layer's coset values within a query (its siblings follow them).
    pub layer_offsets: Vec<usize>,
    /// Bytes of one query.
    pub query_bytes: usize,
}

/// The wrap's extension field.
type Ext = <F as plonky2::field::extension::Extendable<EXT>>::Extension;

fn ext_elements(e: &Ext) -> [F; EXT] {
    FieldExtension::<EXT>::to_basefield_array(e)
}

fn push_ext_be(out: &mut Vec<u8>, e: &Ext) {
    for x in ext_elements(e) {
        out.extend_from_slice(&PrimeField64::to_canonical_u64(&x).to_be_bytes());
    }
}

fn check(what: &str, got: usize, want: usize) -> Result<(), ShapeMismatch> {
    if got == want {
        Ok(())
    } else {
        Err(ShapeMismatch(format!("{what}: {got}, expected {want}")))
    }
}

/// Packs a final proof into the Verifier's calldata layout (the `proof` argument).
pub fn encode_proof(shape: &ProofShape, proof: &WrapProof) -> Result<Vec<u8>, ShapeMismatch> {
    let p = &proof.proof;
    let mut out = Vec::with_capacity(shape.encoded_len());
    let cap = |out: &mut Vec<u8>, what: &str, c: &plonky2::hash::merkle_tree::MerkleCap<F, _>| {
        check(what, c.0.len(), shape.cap_len)?;
        for d in &c.0 {
            out.extend_from_slice(&GenericHashOut::<F>::to_bytes(d));
        }
        Ok::<(), ShapeMismatch>(())
    };
    cap(&mut out, "wires cap", &p.wires_cap)?;
    cap(&mut out, "Z cap", &p.plonk_zs_partial_products_cap)?;
    cap(&mut out, "quotient cap", &p.quotient_polys_cap)?;
    let o = &p.openings;
    let zeta: Vec<_> = [
        &o.constants,
        &o.plonk_sigmas,
        &o.wires,
        &o.plonk_zs,
        &o.partial_products,
        &o.quotient_polys,
    ]
    .into_iter()
    .flatten()
    .collect();
    check("openings at zeta", zeta.len(), shape.openings_zeta)?;
    check(
        "openings at g·zeta",
        o.plonk_zs_next.len(),
        shape.openings_next,
    )?;
    if !o.lookup_zs.is_empty() || !o.lookup_zs_next.is_empty() {
        return Err(ShapeMismatch("lookup openings".into()));
    }
    for e in zeta.into_iter().chain(&o.plonk_zs_next) {
        push_ext_be(&mut out, e);
    }
    let fri = &p.opening_proof;
    check(
        "FRI layers",
        fri.commit_phase_merkle_caps.len(),
        shape.arity_bits.len(),
    )?;
    for c in &fri.commit_phase_merkle_caps {
        cap(&mut out, "FRI cap", c)?;
    }
    check(
        "final polynomial",
        fri.final_poly.coeffs.len(),
        shape.final_poly_len,
    )?;
    for c in &fri.final_poly.coeffs {
        push_ext_be(&mut out, c);
    }
    out.extend_from_slice(&fri.pow_witness.to_canonical_u64().to_be_bytes());
    check("queries", fri.query_round_proofs.len(), shape.queries)?;
    for q in &fri.query_round_proofs {
        let trees = &q.initial_trees_proof.evals_proofs;
        check("initial trees", trees.len(), 4)?;
        for (i, (leaf, path)) in trees.iter().enumerate() {
            check("initial leaf", leaf.len(), shape.leaf_widths[i])?;
            check("initial path", path.siblings.len(), shape.initial_path)?;
            for x in leaf {
                out.extend_from_slice(&x.to_canonical_u64().to_be_bytes());
            }
            for s in &path.siblings {
                out.extend_from_slice(&GenericHashOut::<F>::to_bytes(s));
            }
        }
        check("FRI steps", q.steps.len(), shape.arity_bits.len())?;
        let mut path_len = shape.initial_path;
        for (step, a) in q.steps.iter().zip(&shape.arity_bits) {
            path_len -= a;
            check("FRI coset", step.evals.len(), 1 << a)?;
            check("FRI path", step.merkle_proof.siblings.len(), path_len)?;
            for e in &step.evals {
                for x in ext_elements(e) {
                    out.extend_from_slice(&PrimeField64::to_canonical_u64(&x).to_be_bytes());
                }
            }
            for s in &step.merkle_proof.siblings {
                out.extend_from_slice(&GenericHashOut::<F>::to_bytes(s));
            }
        }
    }
    debug_assert_eq!(out.len(), shape.encoded_len());
    Ok(out)
}

/// The public inputs as the Verifier takes them (`uint256[]`, each a canonical element).
pub fn public_inputs(proof: &WrapProof) -> Vec<alloy_primitives::U256> {
    proof
        .public_inputs
        .iter()
        .map(|x| alloy_primitives::U256::from(x.to_canonical_u64()))
        .collect()
}
