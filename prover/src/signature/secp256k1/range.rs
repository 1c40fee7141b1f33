//! The 16-bit range check every secp256k1 table uses: a column that climbs from 0 to
//! 0xffff by steps of 0 or 1 (so it holds every 16-bit value, and the table has at least
//! 2^16 rows), a column of how often each value is looked up, and one logUp lookup of the
//! checked columns into it.

use std::ops::Range;

use plonky2::field::extension::Extendable;
use plonky2::field::packed::PackedField;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use starky::constraint_consumer::{ConstraintConsumer, RecursiveConstraintConsumer};
use starky::lookup::{Column, Filter, Lookup};

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
