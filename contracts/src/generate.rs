//! Writes the Verifier contract for one final circuit: the template in `templates/` with
//! every circuit-specific value filled in (FRI parameters, offsets of the calldata layout,
//! the constants-and-sigmas cap, the circuit digest, the selector groups and the gate
//! evaluators in the circuit's order).
//!
//! The template implements one family of circuits: plonky2's recursion gate set with two
//! challenges, no lookups, no zero-knowledge salts, one FRI arity. Anything else is
//! refused here, so a circuit change that the contract cannot follow fails loudly at
//! generation instead of producing a contract that rejects (or accepts) the wrong proofs.

use std::fmt::Write as _;

use anyhow::{bail, ensure, Context};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::poseidon::{Poseidon, ALL_ROUND_CONSTANTS};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::plonk::config::GenericHashOut;
use quire_aggregator::wrap::{KeccakWrapConfig, WRAP_HASH_BYTES};
use quire_aggregator::{EXT, F};

use crate::calldata::ProofShape;

const TEMPLATE: &str = include_str!("../templates/Verifier.sol.in");
const FIELD_YUL: &str = include_str!("../templates/field.yul");
const INVERSE_YUL: &str = include_str!("../templates/inverse.yul");
const GATES_YUL: &str = include_str!("../templates/gates.yul");

/// Memory of the vanishing terms and of a gate's output (see the template's memory map).
const TERMS_AT: usize = 0x6500;
const GATE_OUT_AT: usize = 0x9000;
/// FRI memory: the powers of the FRI alpha for the leaf values (over the gate scratch, free
/// once the gates are checked) and the final polynomial, above the Poseidon gate's scratch
/// (which ends below 0xd400); the current layer's x and 1/x; in the vanishing terms' region
/// (free during FRI), after the query's three denominators, the coset's values for the
/// inverse FFT and the table g^rev(j).
const POWERS_AT: usize = 0x9000;
const FINAL_AT: usize = 0xd400;
const LAYER_X_AT: usize = 0xde00;
const FFT_AT: usize = TERMS_AT + 0x300;
const GINV_AT: usize = FFT_AT + 0x400;

/// The Yul evaluator of each gate the template knows, by the prefix of plonky2's gate id.
const GATE_FUNCTIONS: [(&str, &str); 13] = [
    ("NoopGate", "gate_noop"),
    ("ConstantGate { num_consts: 2 }", "gate_constant"),
    ("PoseidonMdsGate", "gate_poseidon_mds"),
    ("PublicInputGate", "gate_public_input"),
    ("BaseSumGate { num_limbs: 63 } + Base: 2", "gate_base_sum"),
    (
        "ReducingExtensionGate { num_coeffs: 32 }",
        "gate_reducing_extension",
    ),
    ("ReducingGate { num_coeffs: 43 }", "gate_reducing"),
    (
        "ArithmeticExtensionGate { num_ops: 10 }",
        "gate_arithmetic_extension",
    ),
    ("ArithmeticGate { num_ops: 20 }", "gate_arithmetic"),
    ("MulExtensionGate { num_ops: 13 }", "gate_mul_extension"),
    (
        "RandomAccessGate { bits: 4, num_copies: 4, num_extra_constants: 2,",
        "gate_random_access",
    ),
    (
        "CosetInterpolationGate { subgroup_bits: 4, degree: 6,",
        "gate_coset_interpolation",
    ),
    ("PoseidonGate", "gate_poseidon"),
];

/// Keccak-256 of the verifier key's canonical bytes (what [`quire_aggregator::circuits::FinalVerifier::key_digest_hex`] pins).
pub fn key_digest(
    data: &VerifierCircuitData<F, KeccakWrapConfig, EXT>,
) -> anyhow::Result<[u8; 32]> {
    let bytes = data
        .to_bytes(&plonky2::util::serialization::DefaultGateSerializer)
        .map_err(|e| anyhow::anyhow!("serialising the verifier key: {e:?}"))?;
    Ok(alloy_primitives::keccak256(bytes).0)
}

fn digest_word(bytes: &[u8]) -> String {
    let mut w = [0u8; 32];
    w[..bytes.len()].copy_from_slice(bytes);
    format!("0x{}", hex::encode(w))
}

/// The elements plonky2's transcript observes before the proof: the FRI parameters and
/// the circuit digest.
fn transcript_prefix(data: &VerifierCircuitData<F, KeccakWrapConfig, EXT>) -> Vec<u64> {
    let fri = &data.common.fri_params;
    let c = &fri.config;
    let mut v: Vec<u64> = vec![
        c.rate_bits as u64,
        c.cap_height as u64,
        u64::from(c.proof_of_work_bits),
    ];
    v.extend(
        c.reduction_strategy
            .serialize::<F>()
            .iter()
            .map(|x| x.to_canonical_u64()),
    );
    v.push(c.num_query_rounds as u64);
    v.push(u64::from(fri.hiding));
    v.push(fri.degree_bits as u64);
    v.extend(fri.reduction_arity_bits.iter().map(|&a| a as u64));
    v.extend(
        GenericHashOut::<F>::to_vec(&data.verifier_only.circuit_digest)
            .iter()
            .map(|x| x.to_canonical_u64()),
    );
    v
}

/// The Solidity source of the Verifier for `data`.
pub fn verifier_contract(
    data: &VerifierCircuitData<F, KeccakWrapConfig, EXT>,
) -> anyhow::Result<String> {
    let common = &data.common;
    let config = &common.config;
    let fri = &common.fri_params;
    ensure!(
        config.num_challenges == 2,
        "the template draws two challenges"
    );
    ensure!(common.num_lookup_polys == 0, "the template has no lookups");
    ensure!(
        !fri.hiding && !config.zero_knowledge,
        "the template has no salts"
    );
    ensure!(
        fri.reduction_arity_bits.windows(2).all(|w| w[0] == w[1]),
        "the template folds with one arity"
    );
    let arity_bits = *fri
        .reduction_arity_bits
        .first()
        .context("at least one FRI layer")?;
    for (j, k) in common.k_is.iter().enumerate() {
        ensure!(
            *k == F::MULTIPLICATIVE_GROUP_GENERATOR.exp_u64(j as u64),
            "coset shifts are powers of the generator"
        );
    }
    let shape = ProofShape::of(common);
    let h = WRAP_HASH_BYTES;
    let cap_bytes = shape.cap_len * h;
    let nc = common.num_constants;
    let routed = config.num_routed_wires;
    let idx_sigmas = nc;
    let idx_wires = nc + routed;
    let idx_zs = idx_wires + config.num_wires;
    let idx_pp = idx_zs + 2;
    let idx_quotient = idx_pp + 2 * common.num_partial_products;
    ensure!(idx_quotient + 2 * common.quotient_degree_factor == shape.openings_zeta);
    let pp_chunks = routed.div_ceil(common.quotient_degree_factor);
    ensure!(pp_chunks == common.num_partial_products + 1);
    let num_terms = 2 + 2 * pp_chunks + common.num_gate_constraints;
    // The permutation terms are stored, then the alpha powers of every term.
    let gate_terms_at = 2 + 2 * pp_chunks;
    let apow = TERMS_AT + 64 * gate_terms_at;
    ensure!(
        apow + num_terms * 64 <= GATE_OUT_AT,
        "vanishing terms overflow their memory"
    );

    // Calldata offsets.
    let layout = shape.layout();
    let off_wires_cap = 0;
    let off_zs_cap = cap_bytes;
    let off_quotient_cap = 2 * cap_bytes;
    let off_openings = layout.off_openings;
    let num_openings = shape.openings_zeta + shape.openings_next;
    let off_fri_caps = layout.off_fri_caps;
    let num_layers = shape.arity_bits.len();
    let off_final_poly = layout.off_final_poly;
    let off_pow = layout.off_pow;
    let off_queries = layout.off_queries;
    let leaf_offsets = layout.leaf_offsets;
    let off_layers = layout.layer_offsets[0];
    let query_bytes = layout.query_bytes;
    ensure!(off_queries + shape.queries * query_bytes == shape.encoded_len());

    // Gates, in the circuit's order, each with its selector filter.
    let info = &common.selectors_info;
    let num_selectors = info.num_selectors();
    // plonky2 keeps the selector layout crate-private; its serde form is public.
    let selectors = serde_json::to_value(info)?;
    let selector_indices: Vec<usize> =
        serde_json::from_value(selectors["selector_indices"].clone())
            .context("selector indices")?;
    let groups: Vec<std::ops::Range<usize>> =
        serde_json::from_value(selectors["groups"].clone()).context("selector groups")?;
    ensure!(groups.len() == num_selectors && selector_indices.len() == common.gates.len());
    let mut gate_calls = String::new();
    let mut used = Vec::new();
    for (row, gate) in common.gates.iter().enumerate() {
        let id = gate.0.id();
        let func = GATE_FUNCTIONS
            .iter()
            .find(|(prefix, _)| id.starts_with(prefix))
            .map(|(_, f)| *f)
            .with_context(|| format!("the template has no evaluator for {id}"))?;
        ensure!(!used.contains(&func), "gate {id} appears twice");
        used.push(func);
        let sel = selector_indices[row];
        let group = groups[sel].clone();
        // The selector filter: prod over the group's other rows r of (r - s), times
        // (UNUSED_SELECTOR - s) when there are several selectors.
        writeln!(gate_calls, "                {{ // {id}")?;
        writeln!(
            gate_calls,
            "                    let f0, f1 := selector_filter({sel}, {}, {}, {row}, {})",
            group.start,
            group.end,
            u8::from(num_selectors > 1)
        )?;
        writeln!(
            gate_calls,
            "                    fold_gate({func}(0x{:x}, 0x{:x}, 0x2000, 0x{GATE_OUT_AT:x}), f0, f1)",
            0x2400 + idx_wires * 64,
            0x2400 + num_selectors * 64
        )?;
        writeln!(gate_calls, "                }}")?;
    }

    // Initial trees of a query.
    let mut trees = String::new();
    let caps = [
        None,
        Some(off_wires_cap),
        Some(off_zs_cap),
        Some(off_quotient_cap),
    ];
    for (o, cap) in caps.iter().enumerate() {
        let len = shape.leaf_widths[o] * 8;
        writeln!(trees, "                {{")?;
        writeln!(
            trees,
            "                    let d, i := climb(leaf_digest(add(qp, {}), {len}), idx, add(qp, {}), {})",
            leaf_offsets[o],
            leaf_offsets[o] + len,
            shape.initial_path
        )?;
        match cap {
            None => writeln!(trees, "                    if iszero(eq(d, constants_cap(i))) {{ fail(9) }}")?,
            Some(off) => writeln!(
                trees,
                "                    if iszero(eq(d, mask25(calldataload(add(pb, add({off}, mul(i, {h}))))))) {{ fail(9) }}"
            )?,
        }
        writeln!(trees, "                }}")?;
    }
    // sum_k alpha^k · leaf_k over the four leaves in order, against the powers table.
    let mut reduce = String::new();
    let mut base = 0;
    for (offset, width) in leaf_offsets.iter().zip(shape.leaf_widths.iter()) {
        writeln!(
            reduce,
            "                r0, r1 := leaf_dot(add(qp, {offset}), {width}, 0x{:x}, r0, r1)",
            POWERS_AT + 64 * base
        )?;
        base += width;
    }
    let num_leaf_values = base;
    ensure!(
        POWERS_AT + 64 * num_leaf_values.max(shape.openings_zeta) <= 0xd000,
        "the powers table overflows its memory"
    );
    ensure!(num_leaf_values > shape.openings_next);
    ensure!(
        (2 * num_openings).is_multiple_of(4) && (2 * shape.final_poly_len).is_multiple_of(4),
        "openings and the final polynomial fill whole words"
    );
    ensure!(
        shape.final_poly_len * 64 <= 0x800,
        "the final polynomial overflows its memory"
    );
    ensure!(
        shape.cap_len * 32 <= 0x700,
        "a cap overflows its staging memory"
    );
    ensure!(
        arity_bits <= 4 && num_layers <= 3,
        "the FRI tables overflow their memory"
    );
    ensure!(
        TERMS_AT + 16 * num_openings <= GATE_OUT_AT
            && GINV_AT + 32 * (1 << arity_bits) <= GATE_OUT_AT,
        "the FRI scratch or the opening scratch overflows its memory"
    );

    // g^rev(j) for the coset positions j (g the arity-th root of unity): 1/c from 1/x.
    let mut ginv = String::new();
    let g = F::primitive_root_of_unity(arity_bits);
    let rev = |j: usize| j.reverse_bits() >> (usize::BITS as usize - arity_bits);
    for j in 0..(1usize << arity_bits) {
        writeln!(
            ginv,
            "                mstore(0x{:x}, {})",
            GINV_AT + 32 * j,
            g.exp_u64(rev(j) as u64).to_canonical_u64()
        )?;
    }
    let ifft = ifft_yul(arity_bits, g.inverse())?;

    let mut cap_cases = String::new();
    for (i, d) in data.verifier_only.constants_sigmas_cap.0.iter().enumerate() {
        writeln!(
            cap_cases,
            "                case {i} {{ d := {} }}",
            digest_word(&GenericHashOut::<F>::to_bytes(d))
        )?;
    }
    let mut prefix = String::new();
    for x in transcript_prefix(data) {
        writeln!(prefix, "            ch_observe({x})")?;
    }
    let rc: String = ALL_ROUND_CONSTANTS
        .iter()
        .map(|c| format!("{c:016x}"))
        .collect();
    let poseidon = poseidon_yul()?;
    let selector = &alloy_primitives::keccak256("InvalidProof(uint256)")[..4];
    let key = key_digest(data)?;
    let lde_bits = common.degree_bits() + fri.config.rate_bits;
    // x = g_mult · omega^reverse_bits(idx): bit b of idx contributes omega^(2^(lde_bits - 1 - b)).
    let mut query_x = String::new();
    let omega = F::primitive_root_of_unity(lde_bits);
    for b in 0..lde_bits {
        writeln!(
            query_x,
            "                if and(idx, {}) {{ x := mulmod(x, {}, 0xffffffff00000001) }}",
            1u64 << b,
            omega.exp_power_of_2(lde_bits - 1 - b).to_canonical_u64()
        )?;
    }
    // g^-rev(j) for the coset positions j (g the arity-th root of unity).
    let root = |bits: usize| F::primitive_root_of_unity(bits).to_canonical_u64();

    let values: Vec<(&str, String)> = vec![
        ("KEY_DIGEST", format!("0x{}", hex::encode(key))),
        ("RATE_BITS", fri.config.rate_bits.to_string()),
        ("QUERIES", shape.queries.to_string()),
        ("POW_BITS", fri.config.proof_of_work_bits.to_string()),
        ("PROOF_LEN", shape.encoded_len().to_string()),
        ("NUM_PI", shape.public_inputs.to_string()),
        ("ROUND_CONSTANTS", rc),
        ("POSEIDON_TABLES", poseidon_tables()?),
        (
            "ERROR_SELECTOR",
            format!("{}{}", hex::encode(selector), "0".repeat(56)),
        ),
        ("FIELD_YUL", indent(FIELD_YUL, 12)),
        ("INVERSE_YUL", indent(INVERSE_YUL, 12)),
        ("GATES_YUL", indent(&gates_yul()?, 12)),
        ("CAP_LEN", shape.cap_len.to_string()),
        ("HASH_BYTES", h.to_string()),
        (
            "DIGEST_MASK",
            format!("0x{}{}", "ff".repeat(h), "00".repeat(32 - h)),
        ),
        ("DOUBLE_HASH_BYTES", (2 * h).to_string()),
        ("CONSTANTS_CAP_CASES", cap_cases.trim_end().to_string()),
        ("POSEIDON_YUL", indent(&poseidon, 12)),
        ("TRANSCRIPT_PREFIX", prefix.trim_end().to_string()),
        ("OFF_WIRES_CAP", off_wires_cap.to_string()),
        ("OFF_ZS_CAP", off_zs_cap.to_string()),
        ("OFF_QUOTIENT_CAP", off_quotient_cap.to_string()),
        ("OFF_OPENINGS", off_openings.to_string()),
        ("NUM_OPENINGS_ZETA", shape.openings_zeta.to_string()),
        ("NUM_OPENINGS_NEXT", shape.openings_next.to_string()),
        ("NUM_LAYERS", num_layers.to_string()),
        ("OFF_FRI_CAPS", off_fri_caps.to_string()),
        ("CAP_BYTES", cap_bytes.to_string()),
        ("FINAL_POLY_LEN", shape.final_poly_len.to_string()),
        ("OFF_FINAL_POLY", off_final_poly.to_string()),
        ("OFF_POW", off_pow.to_string()),
        ("LDE_MASK", ((1u64 << lde_bits) - 1).to_string()),
        ("DEGREE_BITS", common.degree_bits().to_string()),
        ("DEGREE", common.degree().to_string()),
        ("TERMS", format!("0x{TERMS_AT:x}")),
        ("IDX_ZS", idx_zs.to_string()),
        ("IDX_WIRES", idx_wires.to_string()),
        ("IDX_SIGMAS", idx_sigmas.to_string()),
        ("IDX_ZS_NEXT", shape.openings_zeta.to_string()),
        ("IDX_PP", idx_pp.to_string()),
        ("IDX_QUOTIENT", idx_quotient.to_string()),
        ("NUM_PP", common.num_partial_products.to_string()),
        ("PP_CHUNKS", pp_chunks.to_string()),
        ("QDF", common.quotient_degree_factor.to_string()),
        ("ROUTED", routed.to_string()),
        (
            "COSET_GENERATOR",
            F::MULTIPLICATIVE_GROUP_GENERATOR
                .to_canonical_u64()
                .to_string(),
        ),
        ("GATE_CALLS", gate_calls.trim_end().to_string()),
        ("GATE_OUT", format!("0x{GATE_OUT_AT:x}")),
        ("NUM_TERMS", num_terms.to_string()),
        ("GATE_TERMS_AT", gate_terms_at.to_string()),
        ("APOW", format!("0x{apow:x}")),
        ("G_DEGREE", root(common.degree_bits()).to_string()),
        ("OFF_QUERIES", off_queries.to_string()),
        ("QUERY_BYTES", query_bytes.to_string()),
        ("INITIAL_TREES", trees.trim_end().to_string()),
        (
            "MULT_GENERATOR",
            F::MULTIPLICATIVE_GROUP_GENERATOR
                .to_canonical_u64()
                .to_string(),
        ),
        ("QUERY_X_STEPS", query_x.trim_end().to_string()),
        ("GINV_TABLE", ginv.trim_end().to_string()),
        ("IFFT_YUL", ifft.trim_end().to_string()),
        (
            "INV_ARITY",
            F::from_canonical_usize(1 << arity_bits)
                .inverse()
                .to_canonical_u64()
                .to_string(),
        ),
        ("REDUCE_LEAVES", reduce.trim_end().to_string()),
        (
            "POWERS_END",
            format!(
                "0x{:x}",
                POWERS_AT + 64 * num_leaf_values.max(shape.openings_zeta)
            ),
        ),
        ("POWERS_AT", format!("0x{POWERS_AT:x}")),
        ("GINV_AT", format!("0x{GINV_AT:x}")),
        ("FFT_AT", format!("0x{FFT_AT:x}")),
        ("LAYER_X_AT", format!("0x{LAYER_X_AT:x}")),
        ("FINAL_AT", format!("0x{FINAL_AT:x}")),
        ("DEN_AT", format!("0x{TERMS_AT:x}")),
        ("SCRATCH", format!("0x{TERMS_AT:x}")),
        (
            "CONSTRAINTS_INPUT",
            (0x2400 + 64 * num_openings - 0x1c00).to_string(),
        ),
        ("CAP_ELEMS", (4 * shape.cap_len).to_string()),
        ("OPENING_WORDS", (2 * num_openings / 4).to_string()),
        ("FINAL_WORDS", (2 * shape.final_poly_len / 4).to_string()),
        ("OFF_LEAF_ZS", leaf_offsets[2].to_string()),
        ("OFF_LAYERS", off_layers.to_string()),
        ("INITIAL_PATH", shape.initial_path.to_string()),
        ("ARITY_BITS", arity_bits.to_string()),
        ("ARITY", (1usize << arity_bits).to_string()),
    ];
    let mut out = TEMPLATE.to_string();
    for (name, value) in values {
        let key = format!("{{{{{name}}}}}");
        ensure!(out.contains(&key), "template lacks {key}");
        out = out.replace(&key, &value);
    }
    if let Some(at) = out.find("{{") {
        bail!(
            "template placeholder left unfilled near: {}",
            &out[at..(at + 40).min(out.len())]
        );
    }
    Ok(out)
}

/// The inverse FFT of the FRI fold, unrolled: radix-2 decimation in time on the `2^bits`
/// extension elements at [`FFT_AT`] (bit-reversed input, natural output), `w` the inverse of
/// the arity-th root of unity; twiddles are constants, and butterflies with twiddle 1 skip
/// the multiplication (their inputs may still be non-canonical: `2p - t` keeps the
/// subtraction positive).
fn ifft_yul(bits: usize, w: F) -> anyhow::Result<String> {
    let n = 1usize << bits;
    let p = "0xffffffff00000001";
    let mut out = String::new();
    for s in 1..=bits {
        let m = 1usize << s;
        let wm = w.exp_u64((n / m) as u64);
        for k in (0..n).step_by(m) {
            let mut tw = F::ONE;
            for j in 0..m / 2 {
                let a = FFT_AT + 64 * (k + j);
                let b = FFT_AT + 64 * (k + j + m / 2);
                let (t0, t1, neg) = if tw == F::ONE {
                    (
                        format!("mload(0x{b:x})"),
                        format!("mload(0x{:x})", b + 32),
                        "0x1fffffffe00000002",
                    )
                } else {
                    let c = tw.to_canonical_u64();
                    (
                        format!("mulmod({c}, mload(0x{b:x}), {p})"),
                        format!("mulmod({c}, mload(0x{:x}), {p})", b + 32),
                        p,
                    )
                };
                writeln!(
                    out,
                    "                {{ let u0 := mload(0x{a:x}) let u1 := mload(0x{a1:x}) let t0 := {t0} let t1 := {t1}\n                  mstore(0x{a:x}, addmod(u0, t0, {p})) mstore(0x{a1:x}, addmod(u1, t1, {p})) mstore(0x{b:x}, addmod(u0, sub({neg}, t0), {p})) mstore(0x{b1:x}, addmod(u1, sub({neg}, t1), {p})) }}",
                    a1 = a + 32,
                    b1 = b + 32,
                )?;
                tw *= wm;
            }
        }
    }
    Ok(out)
}

/// plonky2's Poseidon permutation (the plain round structure) on the 12 words at 0x2000,
/// round constants read from `rcp`, as straight-line Yul per round. The circulant MDS
/// layer works on packed words: three lanes of 85 bits hold s_m, s_(m+4), s_(m+8), so
/// one multiply-add by a coefficient serves three rows (outputs stay below 2^72.1, the
/// coefficients summing to 264); 48 multiplications a round instead of 144.
fn poseidon_yul() -> anyhow::Result<String> {
    let circ = <F as Poseidon>::MDS_MATRIX_CIRC;
    let diag = <F as Poseidon>::MDS_MATRIX_DIAG;
    ensure!(
        diag[1..].iter().all(|&d| d == 0),
        "MDS diagonal beyond row 0"
    );
    ensure!(
        circ.iter().sum::<u64>() + diag[0] < 1 << 20,
        "MDS outputs fit 85-bit lanes"
    );
    const S: usize = 0x2000;
    const X: usize = 0x2180;
    const PK: usize = 0x2300;
    let p = "0xffffffff00000001";
    let mut out = String::new();
    // Round-constant addition and S-boxes: lane i of round r into X.
    let lane = |out: &mut String, i: usize, sbox: bool| -> std::fmt::Result {
        let x = format!(
            "addmod(mload(0x{:x}), shr(192, mload(add(c, {}))), {p})",
            S + 32 * i,
            8 * i
        );
        let x = if sbox { format!("sbox7({x})") } else { x };
        writeln!(out, "    mstore(0x{:x}, {x})", X + 32 * i)
    };
    let mds = |out: &mut String| -> anyhow::Result<()> {
        // P_m = x_m | x_(m+4) << 85 | x_(m+8) << 170, m = 0..12 (indices mod 12)
        for m in 0..12 {
            writeln!(
                out,
                "    mstore(0x{:x}, or(mload(0x{:x}), or(shl(85, mload(0x{:x})), shl(170, mload(0x{:x})))))",
                PK + 32 * m,
                X + 32 * m,
                X + 32 * ((m + 4) % 12),
                X + 32 * ((m + 8) % 12)
            )?;
        }
        // Q_r = sum_j circ[j] · P_(r+j) holds rows r, r+4, r+8.
        for r in 0..4 {
            let sum = (0..12)
                .map(|j| format!("mul(mload(0x{:x}), {})", PK + 32 * ((r + j) % 12), circ[j]))
                .reduce(|acc, t| format!("add({acc}, {t})"))
                .context("an MDS row")?;
            writeln!(out, "    {{ let q := {sum}")?;
            let m85 = "0x1fffffffffffffffffffff";
            let row0 = if r == 0 {
                format!("add(and(q, {m85}), mul(mload(0x{X:x}), {}))", diag[0])
            } else {
                format!("and(q, {m85})")
            };
            writeln!(out, "      mstore(0x{:x}, mod({row0}, {p}))", S + 32 * r)?;
            writeln!(
                out,
                "      mstore(0x{:x}, mod(and(shr(85, q), {m85}), {p}))",
                S + 32 * (r + 4)
            )?;
            writeln!(
                out,
                "      mstore(0x{:x}, mod(shr(170, q), {p})) }}",
                S + 32 * (r + 8)
            )?;
        }
        Ok(())
    };
    writeln!(out, "function sbox7(x) -> y {{")?;
    writeln!(out, "    let x2 := mulmod(x, x, {p})")?;
    writeln!(
        out,
        "    y := mulmod(mulmod(mulmod(x2, x2, {p}), x2, {p}), x, {p})"
    )?;
    writeln!(out, "}}")?;
    writeln!(out, "function poseidon_full(c) {{")?;
    for i in 0..12 {
        lane(&mut out, i, true)?;
    }
    mds(&mut out)?;
    writeln!(out, "}}")?;
    // plonky2's fast partial rounds: the first constant layer and the initial matrix
    // (constants in the code), then per round the S-box on lane 0, its constant, and the
    // sparse layer d = m00·s0 + w_hat·s[1..], s[i] += v[i]·s0 (tables at t, see
    // `poseidon_tables`).
    let init = <F as Poseidon>::FAST_PARTIAL_ROUND_INITIAL_MATRIX;
    writeln!(out, "function poseidon_partial(t) {{")?;
    for i in 0..12 {
        writeln!(
            out,
            "    mstore(0x{:x}, addmod(mload(0x{:x}), {}, {p}))",
            X + 32 * i,
            S + 32 * i,
            <F as Poseidon>::FAST_PARTIAL_FIRST_ROUND_CONSTANT[i]
        )?;
    }
    writeln!(out, "    mstore(0x{S:x}, mload(0x{X:x}))")?;
    for c in 1..12 {
        let sum = (1..12)
            .map(|r| format!("mul(mload(0x{:x}), {})", X + 32 * r, init[r - 1][c - 1]))
            .reduce(|acc, t| format!("add({acc}, {t})"))
            .context("an initial-matrix column")?;
        writeln!(out, "    mstore(0x{:x}, mod({sum}, {p}))", S + 32 * c)?;
    }
    let m00 = circ[0] + diag[0];
    writeln!(
        out,
        "    for {{ let r := 0 }} lt(r, {}) {{ r := add(r, 1) }} {{",
        plonky2::hash::poseidon::N_PARTIAL_ROUNDS
    )?;
    writeln!(
        out,
        "        let s0 := addmod(sbox7(mload(0x{S:x})), shr(192, mload(add(t, add({}, shl(3, r))))), {p})",
        8 * TABLE_FRC
    )?;
    writeln!(
        out,
        "        let w := add(t, add({}, mul(r, 88)))",
        8 * TABLE_WH
    )?;
    let d = (1..12)
        .map(|i| {
            format!(
                "mul(mload(0x{:x}), shr(192, mload(add(w, {}))))",
                S + 32 * i,
                8 * (i - 1)
            )
        })
        .fold(format!("mul(s0, {m00})"), |acc, t| {
            format!("add({acc}, {t})")
        });
    writeln!(out, "        let d := {d}")?;
    writeln!(
        out,
        "        w := add(t, add({}, mul(r, 88)))",
        8 * TABLE_VS
    )?;
    for i in 1..12 {
        writeln!(
            out,
            "        mstore(0x{:x}, addmod(mload(0x{:x}), mulmod(s0, shr(192, mload(add(w, {}))), {p}), {p}))",
            S + 32 * i,
            S + 32 * i,
            8 * (i - 1)
        )?;
    }
    writeln!(out, "        mstore(0x{S:x}, mod(d, {p}))")?;
    writeln!(out, "    }}")?;
    writeln!(out, "}}")?;
    let full = plonky2::hash::poseidon::HALF_N_FULL_ROUNDS;
    writeln!(out, "function poseidon(t) {{")?;
    writeln!(
        out,
        "    for {{ let r := 0 }} lt(r, {full}) {{ r := add(r, 1) }} {{ poseidon_full(add(t, mul(r, 96))) }}"
    )?;
    writeln!(out, "    poseidon_partial(t)")?;
    writeln!(
        out,
        "    for {{ let r := {full} }} lt(r, {}) {{ r := add(r, 1) }} {{ poseidon_full(add(t, mul(r, 96))) }}",
        2 * full
    )?;
    writeln!(out, "}}")?;
    Ok(out)
}

/// Entries (8 bytes each) of the verifier's POSEIDON_TABLES: the full rounds' round
/// constants (8 rounds of 12), then the fast partial rounds' round constants, v vectors
/// and w-hat vectors.
const TABLE_FRC: usize = 96;
const TABLE_VS: usize = TABLE_FRC + 22;
const TABLE_WH: usize = TABLE_VS + 22 * 11;

/// The hex of the verifier's POSEIDON_TABLES (see [`TABLE_FRC`]).
fn poseidon_tables() -> anyhow::Result<String> {
    use plonky2::hash::poseidon::{HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS};
    ensure!(N_PARTIAL_ROUNDS == 22 && HALF_N_FULL_ROUNDS == 4);
    let full_rounds = (0..HALF_N_FULL_ROUNDS)
        .chain(HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS..2 * HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS);
    let mut v: Vec<u64> = full_rounds
        .flat_map(|r| ALL_ROUND_CONSTANTS[12 * r..12 * r + 12].to_vec())
        .collect();
    ensure!(v.len() == TABLE_FRC);
    v.extend(<F as Poseidon>::FAST_PARTIAL_ROUND_CONSTANTS);
    ensure!(v.len() == TABLE_VS);
    v.extend(<F as Poseidon>::FAST_PARTIAL_ROUND_VS.iter().flatten());
    ensure!(v.len() == TABLE_WH);
    v.extend(<F as Poseidon>::FAST_PARTIAL_ROUND_W_HATS.iter().flatten());
    Ok(v.iter().map(|c| format!("{c:016x}")).collect())
}

/// The gate evaluators, their Poseidon round-constant table read from the copy of
/// `ROUND_CONSTANTS` the verifier keeps at memory 0xa0 instead of written out again
/// (2.9 KB of code the 24 KB limit cannot spare).
fn gates_yul() -> anyhow::Result<String> {
    let head = "function pos_tables(t) {\n";
    let start = GATES_YUL.find(head).context("gates.yul has pos_tables")?;
    let end = start
        + GATES_YUL[start..]
            .find("\n}\n")
            .context("pos_tables ends")?
        + 3;
    ensure!(
        GATES_YUL[start..end].matches("mstore(").count() * 32 == 8 * ALL_ROUND_CONSTANTS.len(),
        "pos_tables is ALL_ROUND_CONSTANTS"
    );
    Ok(format!(
        "{}function pos_tables(t) {{ mcopy(t, 0xa0, {}) }}\n{}",
        &GATES_YUL[..start],
        8 * ALL_ROUND_CONSTANTS.len(),
        &GATES_YUL[end..]
    ))
}

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
