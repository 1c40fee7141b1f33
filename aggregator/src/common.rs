//! The one circuit shape that every aggregation proof has.
//!
//! plonky2 verifies a proof inside a circuit only for a fixed `CommonCircuitData` (degree,
//! gates, public-input count). Batch proofs come in several shapes, so each is first
//! wrapped by a leaf circuit, and leaf and fold circuits are all padded to this common
//! shape; a fold can then verify either kind, including earlier folds.

use plonky2::gates::noop::NoopGate;
use plonky2::plonk::circuit_data::{CircuitConfig, CommonCircuitData};

use crate::public_inputs::AGGREGATE_INPUTS;
use crate::{Builder, C, EXT, F};

/// log2 of the rows of every aggregation circuit.
pub const DEGREE_BITS: usize = 13;

/// The recursion configuration (plonky2's standard one).
pub fn config() -> CircuitConfig {
    CircuitConfig::standard_recursion_config()
}

/// Public inputs of aggregation proofs: the aggregate's own, then a fold circuit's
/// verifier data (circuit digest and constants cap).
pub fn num_public_inputs() -> usize {
    let cap = config().fri_config.num_cap_elements();
    AGGREGATE_INPUTS + 4 + 4 * cap
}

/// Pads `b` to the common shape: noop rows up to the common degree, and every gate type.
pub fn pad_to_common(b: &mut Builder, common: &CommonCircuitData<F, EXT>) {
    for g in &common.gates {
        b.add_gate_to_gate_set(g.clone());
    }
    while b.num_gates() < PADDED_GATES {
        b.add_gate(NoopGate, vec![]);
    }
}

/// Gates every aggregation circuit is padded to before building: a little under
/// 2^[`DEGREE_BITS`], since building adds rows for constants and public inputs.
pub const PADDED_GATES: usize = (1 << DEGREE_BITS) - 256;

/// Runs a plonky2 prover, turning its panics (it panics on a witness that does not fit
/// the circuit) into errors, so a bad input costs a worker a job, not its thread.
pub fn prove_catching<T>(
    what: &str,
    prove: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(prove)) {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!(
            "the prover panicked while {what}: witness inconsistent"
        )),
    }
}

/// The common data of aggregation circuits, built the way plonky2's own cyclic-recursion
/// tests do: a circuit that verifies a proof of a circuit that verifies a proof uses every
/// gate a recursive verifier needs; padded to [`DEGREE_BITS`].
pub fn common_data() -> CommonCircuitData<F, EXT> {
    let inner = Builder::new(config()).build::<C>();
    let mut b = Builder::new(config());
    let p = b.add_virtual_proof_with_pis(&inner.common);
    let vd = b.add_virtual_verifier_data(inner.common.config.fri_config.cap_height);
    b.verify_proof::<C>(&p, &vd, &inner.common);
    let middle = b.build::<C>();
    let mut b = Builder::new(config());
    let p = b.add_virtual_proof_with_pis(&middle.common);
    let vd = b.add_virtual_verifier_data(middle.common.config.fri_config.cap_height);
    b.verify_proof::<C>(&p, &vd, &middle.common);
    while b.num_gates() < PADDED_GATES {
        b.add_gate(NoopGate, vec![]);
    }
    let mut common = b.build::<C>().common;
    common.num_public_inputs = num_public_inputs();
    common
}
