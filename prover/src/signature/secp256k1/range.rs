//! The 16-bit range check of the secp256k1 tables: a column that climbs from 0 to 0xffff
//! by steps of 0 or 1 (so it holds every 16-bit value, and its table has at least 2^16
//! rows), a column of how often each value is looked up, and a logUp argument of the
//! checked columns into it. Either inside a table ([`RangeCheck`], for the tables proven on
//! their own) or as a table of its own ([`RangeStark`]) that other tables look into with a
//! cross-table lookup, so that a table of a few signatures need not have 2^16 rows.

use std::marker::PhantomData;
use std::ops::Range;

use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::packed::PackedField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use starky::constraint_consumer::{ConstraintConsumer, RecursiveConstraintConsumer};
use starky::evaluation_frame::{StarkEvaluationFrame, StarkFrame};
use starky::lookup::{Column, Filter, Lookup};
use starky::stark::Stark;

/// The largest value the range column holds.
const TOP: u64 = 0xffff;

/// Where a table's range check lives.
#[derive(Clone, Debug)]
pub struct RangeCheck {
    /// The columns whose values must be below 2^16.
    pub checked: Range<usize>,
    /// The range column.
    pub range: usize,
    /// How often each range value is looked up.
    pub frequencies: usize,
}

impl RangeCheck {
    /// Fills the range and frequency columns of `rows` (all other values set).
    pub fn fill(&self, rows: &mut [Vec<u64>]) {
        let mut frequencies = vec![0u64; rows.len()];
        for row in rows.iter() {
            for &v in &row[self.checked.clone()] {
                frequencies[v as usize] += 1;
            }
        }
        for (i, row) in rows.iter_mut().enumerate() {
            row[self.range] = (i as u64).min(TOP);
            row[self.frequencies] = frequencies[i];
        }
    }

    /// The range column's constraints: 0 on the first row, steps of 0 or 1, 0xffff last.
    pub fn eval_packed<P: PackedField>(&self, lv: &[P], nv: &[P], yc: &mut ConstraintConsumer<P>) {
        let step = nv[self.range] - lv[self.range];
        yc.constraint_first_row(lv[self.range]);
        yc.constraint_transition(step * step - step);
        yc.constraint_last_row(lv[self.range] - P::Scalar::from_canonical_u64(TOP));
    }

    /// The same constraints inside a recursive verifier.
    pub fn eval_circuit<F: RichField + Extendable<D>, const D: usize>(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        lv: &[ExtensionTarget<D>],
        nv: &[ExtensionTarget<D>],
        yc: &mut RecursiveConstraintConsumer<F, D>,
    ) {
        let step = builder.sub_extension(nv[self.range], lv[self.range]);
        yc.constraint_first_row(builder, lv[self.range]);
        let t = builder.mul_sub_extension(step, step, step);
        yc.constraint_transition(builder, t);
        let t = builder.add_const_extension(lv[self.range], -F::from_canonical_u64(TOP));
        yc.constraint_last_row(builder, t);
    }

    /// The lookup of the checked columns into the range column.
    pub fn lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        vec![Lookup {
            columns: Column::singles(self.checked.clone()).collect(),
            table_column: Column::single(self.range),
            frequencies_column: Column::single(self.frequencies),
            filter_columns: vec![Filter::default(); self.checked.len()],
        }]
    }
}

/// Rows of the range table: one per 16-bit value.
pub const RANGE_ROWS: usize = 1 << 16;
/// The range table's value column.
pub const VALUE: usize = 0;
/// How often each value is looked up.
pub const MULTIPLICITY: usize = 1;
const RANGE_COLUMNS: usize = 2;
const TABLE: RangeCheck = RangeCheck {
    checked: 0..0,
    range: VALUE,
    frequencies: MULTIPLICITY,
};

/// The range table: every 16-bit value once, with how often other tables look it up.
#[derive(Clone, Copy, Default)]
pub struct RangeStark<F, const D: usize> {
    _field: PhantomData<F>,
}

impl<F, const D: usize> RangeStark<F, D> {
    /// The table.
    pub const fn new() -> Self {
        Self {
            _field: PhantomData,
        }
    }
}

/// The range table's columns for lookup counts `counts` (one per value).
pub fn range_trace<F: Field>(counts: &[u64]) -> Vec<PolynomialValues<F>> {
    assert_eq!(counts.len(), RANGE_ROWS, "one count per 16-bit value");
    vec![
        PolynomialValues::new((0..RANGE_ROWS as u64).map(F::from_canonical_u64).collect()),
        PolynomialValues::new(counts.iter().map(|&c| F::from_canonical_u64(c)).collect()),
    ]
}

/// What the range table offers to lookups: its value, counted by its multiplicity.
pub fn range_looked<F: Field>() -> (Vec<Column<F>>, Filter<F>) {
    (
        vec![Column::single(VALUE)],
        Filter::new_simple(Column::single(MULTIPLICITY)),
    )
}

impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for RangeStark<F, D> {
    type EvaluationFrame<FE, P, const D2: usize>
        = StarkFrame<P, P::Scalar, RANGE_COLUMNS, 0>
    where
        FE: FieldExtension<D2, BaseField = F>,
        P: PackedField<Scalar = FE>;

    type EvaluationFrameTarget =
        StarkFrame<ExtensionTarget<D>, ExtensionTarget<D>, RANGE_COLUMNS, 0>;

    fn eval_packed_generic<FE, P, const D2: usize>(
        &self,
        vars: &Self::EvaluationFrame<FE, P, D2>,
        yc: &mut ConstraintConsumer<P>,
    ) where
        FE: FieldExtension<D2, BaseField = F>,
        P: PackedField<Scalar = FE>,
    {
        TABLE.eval_packed(vars.get_local_values(), vars.get_next_values(), yc);
    }

    fn eval_ext_circuit(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        vars: &Self::EvaluationFrameTarget,
        yc: &mut RecursiveConstraintConsumer<F, D>,
    ) {
        TABLE.eval_circuit(builder, vars.get_local_values(), vars.get_next_values(), yc);
    }

    fn constraint_degree(&self) -> usize {
        3
    }

    fn requires_ctls(&self) -> bool {
        true
    }
}
