//! The signature tables as one system: the ECDSA table, the Keccak table and the range
//! table, proven together under shared cross-table-lookup challenges.
//!
//! Three lookups connect them:
//! - **range**: every limb, quotient and carry of the ECDSA table is one of the range
//!   table's values (counted by its multiplicity column);
//! - **ecdsa**: the signature circuit looks up (Q, z) of every signature it checks in the
//!   ECDSA table's real rows;
//! - **keccak**: the signature circuit looks up (input, digest) of every hash it needs in
//!   the Keccak table's permutations.
//!
//! The circuit's side of the last two are "extra looking sums" that the circuit computes
//! from its own values. Those values must be fixed before the challenges are drawn, so
//! the transcript starts with them (the `prefix`: everything the circuit looks up, as the
//! circuit observes it), then the three trace caps; each table's proof then continues from
//! a copy of that state. [`verify_tables`] is the native form of what the circuit checks.

use anyhow::{ensure, Context};
use hashbrown::HashMap;
use plonky2::field::extension::Extendable;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::config::GenericConfig;
use plonky2::util::timing::TimingTree;
use serde::{Deserialize, Serialize};
use starky::config::StarkConfig;
use starky::cross_table_lookup::{
    get_ctl_data, verify_cross_table_lookups, CrossTableLookup, CtlCheckVars, TableIdx,
    TableWithColumns,
};
use starky::lookup::{Column, Filter, GrandProductChallengeSet};
use starky::proof::StarkProof;
use starky::prover::prove_with_commitment;
use starky::stark::Stark;
use starky::verifier::verify_stark_proof_with_challenges;

use super::keccak::{self, KeccakStark, KeccakState};
use super::secp256k1::ecdsa::{self, EcdsaInput, EcdsaStark};
use super::secp256k1::range::{range_looked, range_trace, RangeStark};

/// The ECDSA table's index.
pub const ECDSA_TABLE: TableIdx = 0;
/// The Keccak table's index.
pub const KECCAK_TABLE: TableIdx = 1;
/// The range table's index.
pub const RANGE_TABLE: TableIdx = 2;
/// Tables in the system.
pub const NUM_TABLES: usize = 3;

/// Index of the range lookup among [`cross_table_lookups`].
pub const RANGE_LOOKUP: usize = 0;
/// Index of the circuit's lookups into the ECDSA table.
pub const ECDSA_LOOKUP: usize = 1;
/// Index of the circuit's lookups into the Keccak table.
pub const KECCAK_LOOKUP: usize = 2;

/// Constraint degree of every table.
pub const CONSTRAINT_DEGREE: usize = 3;

/// Conjectured security of every table proof, in bits (grinding included).
pub const SECURITY_BITS: usize = 100;
/// Grinding bits of every table proof.
pub const GRINDING_BITS: u32 = 16;

/// A table's FRI settings at rate 2^-`rate_bits`: as many queries as 100 conjectured bits
/// need with 16 bits of grinding (84 at rate 1/2, 42 at 1/4, 28 at 1/8).
pub fn table_config(rate_bits: usize) -> StarkConfig {
    let mut config = StarkConfig::standard_fast_config();
    config.fri_config.rate_bits = rate_bits;
    config.fri_config.proof_of_work_bits = GRINDING_BITS;
    config.fri_config.num_query_rounds =
        (SECURITY_BITS - GRINDING_BITS as usize).div_ceil(rate_bits);
    config
}

/// Each table's FRI settings. The circuit that verifies the tables pays per query for
/// every column, so wide tables take a higher rate (fewer queries, a larger LDE): the
/// Keccak table (2,478 columns, few rows) and the range table (2 columns) at 1/8, the
/// ECDSA table (≈ 2,850 columns with its lookup helpers, many rows) at 1/4 or 1/2
/// ([`TableConfigs::for_capacity`]).
#[derive(Clone, Debug)]
pub struct TableConfigs {
    /// In table order.
    pub configs: [StarkConfig; NUM_TABLES],
}

impl TableConfigs {
    /// The settings for a signature circuit of `capacity` transfers. Up to 64, the ECDSA
    /// table at rate 1/4 keeps the circuit within 2^16 rows; at 256 the circuit has 2^17
    /// rows at either rate, and rate 1/2 proves the (2^16-row) ECDSA table faster.
    pub fn for_capacity(capacity: usize) -> Self {
        let ecdsa_rate = if capacity > 64 { 1 } else { 2 };
        Self {
            configs: [table_config(ecdsa_rate), table_config(3), table_config(3)],
        }
    }

    /// Every table at `rate_bits` (tests and benchmarks compare rates).
    pub fn uniform(rate_bits: usize) -> Self {
        Self {
            configs: std::array::from_fn(|_| table_config(rate_bits)),
        }
    }

    /// Challenges per lookup (the same for every table).
    pub fn num_challenges(&self) -> usize {
        self.configs[0].num_challenges
    }
}

/// The three lookups of the system.
pub fn cross_table_lookups<F: Field>() -> Vec<CrossTableLookup<F>> {
    let range_looking = ecdsa::range_checked_columns()
        .into_iter()
        .map(|c| TableWithColumns::new(ECDSA_TABLE, vec![Column::single(c)], Filter::default()))
        .collect();
    let (range_columns, range_filter) = range_looked();
    vec![
        CrossTableLookup::new(
            range_looking,
            TableWithColumns::new(RANGE_TABLE, range_columns, range_filter),
        ),
        CrossTableLookup::new(
            vec![],
            TableWithColumns::new(
                ECDSA_TABLE,
                ecdsa::exported_columns(),
                ecdsa::export_filter(),
            ),
        ),
        CrossTableLookup::new(
            vec![],
            TableWithColumns::new(
                KECCAK_TABLE,
                keccak::lookup::exported_columns(),
                keccak::lookup::export_filter(),
            ),
        ),
    ]
}

/// Sizes (log2 rows) of the three tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableSizes {
    /// The ECDSA table.
    pub ecdsa: usize,
    /// The Keccak table.
    pub keccak: usize,
    /// The range table.
    pub range: usize,
}

impl TableSizes {
    /// The sizes for `signatures` signatures and `permutations` Keccak permutations.
    pub fn for_counts(signatures: usize, permutations: usize) -> Self {
        Self {
            ecdsa: ecdsa::trace_rows(signatures).trailing_zeros() as usize,
            keccak: keccak::trace::trace_rows(permutations).trailing_zeros() as usize,
            range: 16,
        }
    }

    /// In table order.
    pub fn as_array(&self) -> [usize; NUM_TABLES] {
        [self.ecdsa, self.keccak, self.range]
    }
}

/// The three table proofs.
#[derive(Clone, Debug)]
pub struct TableProofs<F: RichField + Extendable<D>, C: GenericConfig<D, F = F>, const D: usize> {
    /// In table order (ECDSA, Keccak, range).
    pub proofs: [StarkProof<F, C, D>; NUM_TABLES],
}

/// What the signature circuit looks up: each signature's (Q, z) in the ECDSA table, and
/// each hash's (input, output) in the Keccak table.
#[derive(Clone, Debug, Default)]
pub struct LookedUp {
    /// ECDSA rows, as [`ecdsa::exported_values`].
    pub ecdsa: Vec<Vec<u64>>,
    /// Keccak rows, as [`keccak::lookup::exported_values`].
    pub keccak: Vec<Vec<u64>>,
}

/// Each table's cross-table-lookup column counts: (helper columns in all, Z columns,
/// helper columns per lookup).
pub fn ctl_shape<F: Field>(
    ctls: &[CrossTableLookup<F>],
    table: TableIdx,
    config: &StarkConfig,
) -> (usize, usize, Vec<usize>) {
    CrossTableLookup::num_ctl_helpers_zs_all(ctls, table, config.num_challenges, CONSTRAINT_DEGREE)
}

/// Proves the tables of `signatures` and the Keccak permutations of `permutations` at
/// `sizes`, with a transcript that starts with `prefix`.
pub fn prove_tables<F, C, const D: usize>(
    signatures: &[EcdsaInput],
    permutations: &[KeccakState],
    sizes: TableSizes,
    prefix: &[F],
    configs: &TableConfigs,
) -> anyhow::Result<TableProofs<F, C, D>>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
{
    let ecdsa_trace = ecdsa::generate_trace::<F>(signatures, 1 << sizes.ecdsa)
        .map_err(|e| anyhow::anyhow!("ECDSA table: {e}"))?;
    prove_with_ecdsa_trace(ecdsa_trace, permutations, sizes, prefix, configs)
}

/// [`prove_tables`] with the ECDSA table's trace given (tests give a cheater's).
pub(crate) fn prove_with_ecdsa_trace<F, C, const D: usize>(
    ecdsa_trace: ecdsa::EcdsaTrace<F>,
    permutations: &[KeccakState],
    sizes: TableSizes,
    prefix: &[F],
    configs: &TableConfigs,
) -> anyhow::Result<TableProofs<F, C, D>>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
{
    let timing = &mut TimingTree::default();
    ensure!(
        keccak::trace::trace_rows(permutations.len()) <= 1 << sizes.keccak,
        "{} permutations do not fit 2^{} rows",
        permutations.len(),
        sizes.keccak
    );
    let (keccak_trace, _) =
        keccak::trace::generate_trace_with_rows::<F>(permutations, 1 << sizes.keccak);
    let range = range_trace::<F>(&ecdsa_trace.range_counts);
    let traces: [Vec<PolynomialValues<F>>; NUM_TABLES] = [ecdsa_trace.columns, keccak_trace, range];
    let commitments: Vec<PolynomialBatch<F, C, D>> = traces
        .iter()
        .zip(&configs.configs)
        .map(|(t, config)| {
            let fri = &config.fri_config;
            PolynomialBatch::from_values(
                t.clone(),
                fri.rate_bits,
                false,
                fri.cap_height,
                timing,
                None,
            )
        })
        .collect();
    let ctls = cross_table_lookups::<F>();
    let mut challenger = Challenger::<F, C::Hasher>::new();
    challenger.observe_elements(prefix);
    for c in &commitments {
        challenger.observe_cap(&c.merkle_tree.cap);
    }
    let (ctl_challenges, ctl_data) = get_ctl_data::<F, C, D, NUM_TABLES>(
        &configs.configs[0],
        &traces,
        &ctls,
        &mut challenger,
        CONSTRAINT_DEGREE,
    );
    challenger.compact();
    let system = Committed {
        traces: &traces,
        commitments: &commitments,
        ctl_data: &ctl_data,
        ctl_challenges: &ctl_challenges,
        challenger: &challenger,
        configs,
    };
    let ecdsa = system.prove(EcdsaStark::<F, D>::new(), ECDSA_TABLE)?;
    let keccak = system.prove(KeccakStark::<F, D>::looked_up(), KECCAK_TABLE)?;
    let range = system.prove(RangeStark::<F, D>::new(), RANGE_TABLE)?;
    Ok(TableProofs {
        proofs: [ecdsa, keccak, range],
    })
}

/// The tables after their commitments and the lookup challenges: what each table's proof
/// needs.
struct Committed<'a, F: RichField + Extendable<D>, C: GenericConfig<D, F = F>, const D: usize> {
    traces: &'a [Vec<PolynomialValues<F>>],
    commitments: &'a [PolynomialBatch<F, C, D>],
    ctl_data: &'a [starky::cross_table_lookup::CtlData<'a, F>],
    ctl_challenges: &'a GrandProductChallengeSet<F>,
    challenger: &'a Challenger<F, C::Hasher>,
    configs: &'a TableConfigs,
}

impl<F: RichField + Extendable<D>, C: GenericConfig<D, F = F>, const D: usize>
    Committed<'_, F, C, D>
{
    /// Table `i`'s proof, continuing from a copy of the transcript.
    fn prove<S: Stark<F, D>>(&self, stark: S, i: usize) -> anyhow::Result<StarkProof<F, C, D>> {
        let config = &self.configs.configs[i];
        let mut fork = self.challenger.clone();
        config.observe(&mut fork);
        let proof = prove_with_commitment(
            &stark,
            config,
            &self.traces[i],
            &self.commitments[i],
            Some(&self.ctl_data[i]),
            Some(self.ctl_challenges),
            &mut fork,
            &[],
            None,
            None,
            &mut TimingTree::default(),
        );
        Ok(proof
            .with_context(|| format!("proving signature table {i}"))?
            .proof)
    }
}

/// Σ 1 / combine(row) over `rows`, for each challenge: the circuit's side of a lookup.
pub fn looking_sums<F: Field>(
    rows: &[Vec<u64>],
    challenges: &GrandProductChallengeSet<F>,
) -> Vec<F> {
    challenges
        .challenges
        .iter()
        .map(|ch| {
            rows.iter()
                .map(|row| {
                    let values: Vec<F> = row.iter().map(|&v| F::from_canonical_u64(v)).collect();
                    let combined: F = ch.combine(values.iter());
                    combined.inverse()
                })
                .sum()
        })
        .collect()
}

fn verify_one<F, C, S, const D: usize>(
    stark: &S,
    table: TableIdx,
    proof: &StarkProof<F, C, D>,
    challenger: &Challenger<F, C::Hasher>,
    ctls: &[CrossTableLookup<F>],
    ctl_challenges: &GrandProductChallengeSet<F>,
    config: &StarkConfig,
) -> anyhow::Result<()>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
    S: Stark<F, D>,
{
    let (helpers, _, by_ctl) = ctl_shape(ctls, table, config);
    let vars = CtlCheckVars::from_proof(
        table,
        proof,
        ctls,
        ctl_challenges,
        stark.num_lookup_helper_columns(config),
        helpers,
        &by_ctl,
    );
    let mut fork = challenger.clone();
    let challenges = proof.get_challenges(
        stark,
        &[],
        &mut fork,
        Some(ctl_challenges),
        Some(&vars),
        true,
        config,
        None,
    );
    verify_stark_proof_with_challenges(stark, proof, &challenges, Some(&vars), &[], config)
        .with_context(|| format!("signature table {table}"))
}

/// Verifies the table proofs natively: each table, and the three lookups with the
/// circuit's rows `looked_up` as the extra looking values, under a transcript that
/// started with `prefix`.
pub fn verify_tables<F, C, const D: usize>(
    proofs: &TableProofs<F, C, D>,
    looked_up: &LookedUp,
    prefix: &[F],
    configs: &TableConfigs,
) -> anyhow::Result<()>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
{
    let ctls = cross_table_lookups::<F>();
    let mut challenger = Challenger::<F, C::Hasher>::new();
    challenger.observe_elements(prefix);
    for p in &proofs.proofs {
        challenger.observe_cap(&p.trace_cap);
    }
    let ctl_challenges =
        starky::lookup::get_grand_product_challenge_set(&mut challenger, configs.num_challenges());
    challenger.compact();
    let [ecdsa_proof, keccak_proof, range_proof] = &proofs.proofs;
    let [ecdsa_config, keccak_config, range_config] = &configs.configs;
    verify_one(
        &EcdsaStark::<F, D>::new(),
        ECDSA_TABLE,
        ecdsa_proof,
        &challenger,
        &ctls,
        &ctl_challenges,
        ecdsa_config,
    )?;
    verify_one(
        &KeccakStark::<F, D>::looked_up(),
        KECCAK_TABLE,
        keccak_proof,
        &challenger,
        &ctls,
        &ctl_challenges,
        keccak_config,
    )?;
    verify_one(
        &RangeStark::<F, D>::new(),
        RANGE_TABLE,
        range_proof,
        &challenger,
        &ctls,
        &ctl_challenges,
        range_config,
    )?;
    let zs_first = proofs
        .proofs
        .each_ref()
        .map(|p| p.openings.ctl_zs_first.clone().unwrap_or_default());
    let mut extra = HashMap::new();
    extra.insert(
        ECDSA_LOOKUP,
        looking_sums(&looked_up.ecdsa, &ctl_challenges),
    );
    extra.insert(
        KECCAK_LOOKUP,
        looking_sums(&looked_up.keccak, &ctl_challenges),
    );
    verify_cross_table_lookups::<F, D, NUM_TABLES>(&ctls, zs_first, &extra, ecdsa_config)?;
    ensure!(
        proofs
            .proofs
            .iter()
            .all(|p| p.openings.ctl_zs_first.is_some()),
        "a table proof without lookup columns"
    );
    Ok(())
}
