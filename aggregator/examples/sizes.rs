//! Gate counts of the aggregation circuits before padding
//! (`cargo run --release -p quire-aggregator --example sizes`).
use quire_aggregator::{common, Builder, C};

fn main() {
    let inner = Builder::new(common::config()).build::<C>();
    let mut b = Builder::new(common::config());
    let p = b.add_virtual_proof_with_pis(&inner.common);
    let vd = b.add_virtual_verifier_data(inner.common.config.fri_config.cap_height);
    b.verify_proof::<C>(&p, &vd, &inner.common);
    println!(
        "verifier of a 2^{} proof: {} gates",
        inner.common.degree_bits(),
        b.num_gates()
    );
    let middle = b.build::<C>();
    let mut b = Builder::new(common::config());
    let p = b.add_virtual_proof_with_pis(&middle.common);
    let vd = b.add_virtual_verifier_data(middle.common.config.fri_config.cap_height);
    b.verify_proof::<C>(&p, &vd, &middle.common);
    println!(
        "verifier of a 2^{} proof: {} gates",
        middle.common.degree_bits(),
        b.num_gates()
    );
    let c = common::common_data();
    let mut b = Builder::new(common::config());
    for _ in 0..2 {
        let p = b.add_virtual_proof_with_pis(&c);
        let vd = b.add_virtual_verifier_data(c.config.fri_config.cap_height);
        b.verify_proof::<C>(&p, &vd, &c);
    }
    println!(
        "two verifiers of a 2^{} proof: {} gates",
        c.degree_bits(),
        b.num_gates()
    );
}
