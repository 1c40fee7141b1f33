//! The signature tables' proofs verified inside the signature circuit: the same
//! transcript as [`crate::signature::tables::prove_tables`] (the circuit's observed values,
//! the three trace caps, the lookup challenges, then one branch per table), each table's
//! constraints and lookup columns, and the three lookups' sums, with the circuit's own
//! rows as the extra looking sums.

use hashbrown::HashMap;
use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::challenger::RecursiveChallenger;
use plonky2::iop::target::Target;
use plonky2::iop::witness::PartialWitness;
use starky::config::StarkConfig;
use starky::cross_table_lookup::{verify_cross_table_lookups_circuit, CtlCheckVarsTarget};
use starky::lookup::{get_grand_product_challenge_set_target, GrandProductChallengeSet};
use starky::proof::StarkProofTarget;
use starky::recursive_verifier::{
    add_virtual_stark_proof, set_stark_proof_target, verify_stark_proof_with_challenges_circuit,
};
use starky::stark::Stark;

use crate::signature::keccak::KeccakStark;
use crate::signature::secp256k1::ecdsa::EcdsaStark;
use crate::signature::secp256k1::range::RangeStark;
use crate::signature::tables::{
    cross_table_lookups, ctl_shape, TableConfigs, TableProofs, TableSizes, ECDSA_TABLE,
    KECCAK_TABLE, NUM_TABLES, RANGE_TABLE,
};
use crate::{Builder, C, EXT, F};

/// The sponge state after the lookup challenges: where each branch starts.
pub type SpongeState =
    <PoseidonHash as plonky2::plonk::config::AlgebraicHasher<F>>::AlgebraicPermutation;

/// The three table proofs as targets.
pub struct TableProofTargets {
    proofs: [StarkProofTarget<EXT>; NUM_TABLES],
    sizes: TableSizes,
    zero: Target,
}

fn add_proof<S: Stark<F, EXT>>(
    b: &mut Builder,
    stark: &S,
    table: usize,
    degree_bits: usize,
    config: &StarkConfig,
) -> StarkProofTarget<EXT> {
    let ctls = cross_table_lookups::<F>();
    let (helpers, zs, _) = ctl_shape(&ctls, table, config);
    let proof = add_virtual_stark_proof(b, stark, config, degree_bits, helpers + zs, zs);
    let bits = b.constant(F::from_canonical_usize(degree_bits));
    b.connect(proof.degree_bits, bits);
    proof
}

#[allow(clippy::too_many_arguments)]
fn verify_proof<S: Stark<F, EXT>>(
    b: &mut Builder,
    stark: &S,
    table: usize,
    proof: &StarkProofTarget<EXT>,
    degree_bits: usize,
    state: SpongeState,
    challenges: &GrandProductChallengeSet<Target>,
    config: &StarkConfig,
) {
    let ctls = cross_table_lookups::<F>();
    let (helpers, _, by_ctl) = ctl_shape(&ctls, table, config);
    let vars = CtlCheckVarsTarget::from_proof(
        table,
        proof,
        &ctls,
        challenges,
        stark.num_lookup_helper_columns(config),
        helpers,
        &by_ctl,
    );
    let mut fork = RecursiveChallenger::<F, PoseidonHash, EXT>::from_state(state);
    let proof_challenges = proof.get_challenges::<F, C, S>(
        b,
        stark,
        &[],
        &mut fork,
        Some(challenges),
        Some(&vars),
        degree_bits,
        true,
        config,
    );
    verify_stark_proof_with_challenges_circuit::<F, C, S, EXT>(
        b,
        stark,
        proof,
        &[],
        proof_challenges,
        Some(&vars),
        config,
        degree_bits,
        None,
    );
}

impl TableProofTargets {
    /// Proof targets for tables of `sizes`.
    pub fn new(b: &mut Builder, sizes: TableSizes, configs: &TableConfigs) -> Self {
        let [ecdsa, keccak, range] = &configs.configs;
        Self {
            proofs: [
                add_proof(
                    b,
                    &EcdsaStark::<F, EXT>::new(),
                    ECDSA_TABLE,
                    sizes.ecdsa,
                    ecdsa,
                ),
                add_proof(
                    b,
                    &KeccakStark::<F, EXT>::looked_up(),
                    KECCAK_TABLE,
                    sizes.keccak,
                    keccak,
                ),
                add_proof(
                    b,
                    &RangeStark::<F, EXT>::new(),
                    RANGE_TABLE,
                    sizes.range,
                    range,
                ),
            ],
            sizes,
            zero: b.zero(),
        }
    }

    /// Observes `prefix` and the trace caps, and draws the lookup challenges; returns them
    /// with the sponge state every branch of the transcript starts from.
    pub fn challenges(
        &self,
        b: &mut Builder,
        prefix: &[Target],
        configs: &TableConfigs,
    ) -> (GrandProductChallengeSet<Target>, SpongeState) {
        let mut challenger = RecursiveChallenger::<F, PoseidonHash, EXT>::new(b);
        challenger.observe_elements(prefix);
        for p in &self.proofs {
            challenger.observe_cap(&p.trace_cap);
        }
        let set =
            get_grand_product_challenge_set_target(b, &mut challenger, configs.num_challenges());
        (set, challenger.compact(b))
    }

    /// Verifies the three proofs and the lookups, the circuit's sides being
    /// `extra_sums[lookup][challenge]`.
    pub fn verify(
        &self,
        b: &mut Builder,
        state: SpongeState,
        challenges: &GrandProductChallengeSet<Target>,
        extra_sums: &HashMap<usize, Vec<Target>>,
        configs: &TableConfigs,
    ) {
        let [ecdsa, keccak, range] = &self.proofs;
        let bits = self.sizes.as_array();
        let [ecdsa_config, keccak_config, range_config] = &configs.configs;
        verify_proof(
            b,
            &EcdsaStark::<F, EXT>::new(),
            ECDSA_TABLE,
            ecdsa,
            bits[0],
            state,
            challenges,
            ecdsa_config,
        );
        verify_proof(
            b,
            &KeccakStark::<F, EXT>::looked_up(),
            KECCAK_TABLE,
            keccak,
            bits[1],
            state,
            challenges,
            keccak_config,
        );
        verify_proof(
            b,
            &RangeStark::<F, EXT>::new(),
            RANGE_TABLE,
            range,
            bits[2],
            state,
            challenges,
            range_config,
        );
        let zs_first = self.proofs.each_ref().map(|p| {
            p.openings
                .ctl_zs_first
                .clone()
                .expect("the tables' proofs carry lookup columns")
        });
        verify_cross_table_lookups_circuit::<F, EXT, NUM_TABLES>(
            b,
            cross_table_lookups(),
            zs_first,
            extra_sums,
            ecdsa_config,
        );
    }

    /// Sets the proofs.
    pub fn set(
        &self,
        pw: &mut PartialWitness<F>,
        proofs: &TableProofs<F, C, EXT>,
    ) -> anyhow::Result<()> {
        for ((target, proof), bits) in self
            .proofs
            .iter()
            .zip(&proofs.proofs)
            .zip(self.sizes.as_array())
        {
            set_stark_proof_target(pw, target, proof, bits, self.zero)?;
        }
        Ok(())
    }
}
