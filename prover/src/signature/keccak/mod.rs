//! A starky table of Keccak-f\[1600\] permutations, one round per row (24 rows per
//! permutation, as in Polygon's zk_evm table, written here for starky 1.x).
//!
//! Each permutation's input sits on all of its rows and its output on its last row
//! (round flag 23), where later tables will look them up.

pub mod columns;
pub mod constants;
pub mod lookup;
pub mod proof;
pub mod stark;
pub mod trace;

pub use stark::KeccakStark;
pub use trace::{generate_trace, keccak_f, KeccakState};
