//! Prints the gate count of batch circuits, to choose slot counts (`cargo run --release
//! -p quire-prover --example gate_counts`).
use quire_prover::{BatchCircuit, BatchShape};

fn main() {
    for depth in [16, 24, 32] {
        for slots in [1, 2, 14, 16, 60, 64, 120, 128, 240, 256] {
            let g = BatchCircuit::gate_count(BatchShape { slots, depth });
            println!(
                "depth {depth:2} slots {slots:3}: {g:6} gates -> 2^{}",
                (g as f64).log2().ceil()
            );
        }
    }
}
