//! Lists the gate types of a small batch circuit.
use quire_prover::{BatchCircuit, BatchShape};

fn main() {
    let c = BatchCircuit::build(BatchShape { slots: 2, depth: 4 });
    for g in &c.data.common.gates {
        println!("{}", g.0.id());
    }
    println!(
        "selectors: {}",
        c.data.common.selectors_info.num_selectors()
    );
    println!(
        "quotient degree factor: {}",
        c.data.common.quotient_degree_factor
    );
    println!("partial products: {}", c.data.common.num_partial_products);
}
