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
const GATES_YUL: &str = include_str!("../templates/gates.yul");

/// Memory of the vanishing terms and of a gate's output (see the template's memory map).
const TERMS_AT: usize = 0x6500;
const GATE_OUT_AT: usize = 0x9000;
/// FRI memory: the powers of the FRI alpha for the leaf values (over the gate scratch, free
/// once the gates are checked), the final polynomial, the coset offsets g^-rev(j), each
/// layer's c and x^arity for the current query, and each layer's beta^arity; above the
/// Poseidon gate's scratch (which ends below 0xd400).
const POWERS_AT: usize = 0x9000;
const FINAL_AT: usize = 0xd400;
const GROOTS_AT: usize = 0xdc00;
const LAYER_X_AT: usize = 0xde00;
const BETA_N_AT: usize = 0xdf00;

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
    ensure!(
        TERMS_AT + num_terms * 64 <= GATE_OUT_AT,
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
            "                    accumulate(acc, {func}(0x{:x}, 0x{:x}, 0x2000, 0x{GATE_OUT_AT:x}), f0, f1)",
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
    for o in 0..4 {
        writeln!(
            reduce,
            "                r0, r1 := leaf_dot(add(qp, {}), {}, 0x{:x}, r0, r1)",
            leaf_offsets[o],
            shape.leaf_widths[o],
            POWERS_AT + 64 * base
        )?;
        base += shape.leaf_widths[o];
    }
    let num_leaf_values = base;
    ensure!(
        POWERS_AT + 64 * num_leaf_values <= 0xd000,
        "the powers table overflows its memory"
    );
    ensure!(num_leaf_values > shape.openings_next);
    ensure!(
        (2 * num_openings) % 4 == 0 && (2 * shape.final_poly_len) % 4 == 0,
        "openings and the final polynomial fill whole words"
    );
    ensure!(shape.final_poly_len * 64 <= 0x800, "the final polynomial overflows its memory");
    ensure!(shape.cap_len * 32 <= 0x700, "a cap overflows its staging memory");
    ensure!(arity_bits <= 4 && num_layers <= 3, "the FRI tables overflow their memory");
    let num_den = 2 + num_layers * ((1 << arity_bits) + 1);
    ensure!(
        TERMS_AT + 2 * 64 * num_den <= GATE_OUT_AT && TERMS_AT + 16 * num_openings <= GATE_OUT_AT,
        "FRI denominators or the opening scratch overflow their memory"
    );

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
    let circ = <F as Poseidon>::MDS_MATRIX_CIRC;
    let diag = <F as Poseidon>::MDS_MATRIX_DIAG;
    ensure!(
        diag[1..].iter().all(|&d| d == 0),
        "MDS diagonal beyond row 0"
    );
    // Row i of the circulant MDS: sum_j state[(i + j) % 12] · circ[j], unrolled over a
    // doubled state (straight-line terms cost a fifth of a loop's).
    ensure!(circ.iter().all(|&c| c < 256), "MDS coefficients are small");
    let mds_row_sum = circ
        .iter()
        .enumerate()
        .map(|(j, c)| format!("mul(mload(add(b, {})), {c})", 32 * j))
        .reduce(|acc, t| format!("add({acc}, {t})"))
        .context("an MDS row")?;
    let selector = &alloy_primitives::keccak256("InvalidProof(uint256)")[..4];
    let key = key_digest(data)?;
    let lde_bits = common.degree_bits() + fri.config.rate_bits;
    let root = |bits: usize| F::primitive_root_of_unity(bits).to_canonical_u64();

    let values: Vec<(&str, String)> = vec![
        ("KEY_DIGEST", format!("0x{}", hex::encode(key))),
        ("RATE_BITS", fri.config.rate_bits.to_string()),
        ("QUERIES", shape.queries.to_string()),
        ("POW_BITS", fri.config.proof_of_work_bits.to_string()),
        ("PROOF_LEN", shape.encoded_len().to_string()),
        ("NUM_PI", shape.public_inputs.to_string()),
        ("ROUND_CONSTANTS", rc),
        (
            "ERROR_SELECTOR",
            format!("{}{}", hex::encode(selector), "0".repeat(56)),
        ),
        ("FIELD_YUL", indent(FIELD_YUL, 12)),
        ("GATES_YUL", indent(GATES_YUL, 12)),
        ("CAP_LEN", shape.cap_len.to_string()),
        ("HASH_BYTES", h.to_string()),
        ("DOUBLE_HASH_BYTES", (2 * h).to_string()),
        ("CONSTANTS_CAP_CASES", cap_cases.trim_end().to_string()),
        ("MDS_ROW_SUM", mds_row_sum),
        ("MDS_DIAG0", diag[0].to_string()),
        ("TRANSCRIPT_PREFIX", prefix.trim_end().to_string()),
        ("OFF_WIRES_CAP", off_wires_cap.to_string()),
        ("OFF_ZS_CAP", off_zs_cap.to_string()),
        ("OFF_QUOTIENT_CAP", off_quotient_cap.to_string()),
        ("OFF_OPENINGS", off_openings.to_string()),
        ("NUM_OPENINGS", num_openings.to_string()),
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
        (
            "NUM_GATE_CONSTRAINTS",
            common.num_gate_constraints.to_string(),
        ),
        ("GATE_CALLS", gate_calls.trim_end().to_string()),
        ("GATE_OUT", format!("0x{GATE_OUT_AT:x}")),
        ("NUM_TERMS", num_terms.to_string()),
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
        ("LDE_BITS", lde_bits.to_string()),
        ("LDE_ROOT", root(lde_bits).to_string()),
        ("REDUCE_LEAVES", reduce.trim_end().to_string()),
        ("NUM_LEAF_VALUES", num_leaf_values.to_string()),
        ("POWERS_AT", format!("0x{POWERS_AT:x}")),
        ("GROOTS_AT", format!("0x{GROOTS_AT:x}")),
        ("BETA_N_AT", format!("0x{BETA_N_AT:x}")),
        ("LAYER_X_AT", format!("0x{LAYER_X_AT:x}")),
        ("FINAL_AT", format!("0x{FINAL_AT:x}")),
        ("DEN_AT", format!("0x{TERMS_AT:x}")),
        ("SCRATCH", format!("0x{TERMS_AT:x}")),
        ("NUM_DEN", num_den.to_string()),
        ("CAP_ELEMS", (4 * shape.cap_len).to_string()),
        ("OPENING_WORDS", (2 * num_openings / 4).to_string()),
        ("FINAL_WORDS", (2 * shape.final_poly_len / 4).to_string()),
        ("OFF_LEAF_ZS", leaf_offsets[2].to_string()),
        ("OFF_LAYERS", off_layers.to_string()),
        ("INITIAL_PATH", shape.initial_path.to_string()),
        ("ARITY_BITS", arity_bits.to_string()),
        ("ARITY", (1usize << arity_bits).to_string()),
        ("COSET_ROOT", root(arity_bits).to_string()),
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
