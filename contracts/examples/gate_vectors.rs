//! Test vectors for the Solidity gate evaluators: each gate of the final circuit evaluated
//! by plonky2 at random points (`cargo run --release -p quire-contracts --example gate_vectors OUT.json`).
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::hash::hash_types::HashOut;
use plonky2::plonk::vars::EvaluationVars;
use quire_aggregator::circuits::AggregationCircuits;
use quire_aggregator::{EXT, F};
use quire_prover::cache::CircuitCache;

type FE = <F as plonky2::field::extension::Extendable<EXT>>::Extension;

fn hex_ext(v: &[FE]) -> Vec<String> {
    v.iter()
        .flat_map(|e| {
            let a: [F; 2] = plonky2::field::extension::FieldExtension::to_basefield_array(e);
            a.map(|x| format!("0x{:x}", x.to_canonical_u64()))
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "gate_vectors.json".into());
    // The final circuit of the standard aggregation (circuits from the cache in
    // QUIRE_CIRCUITS_DIR, built if absent).
    let circuits = std::env::var_os("QUIRE_CIRCUITS_DIR").map(std::path::PathBuf::from);
    let all = AggregationCircuits::build_standard(&CircuitCache::new(circuits))?;
    let wrap = &all.wrap;
    let c = &wrap.data.common;
    let nsel = c.selectors_info.num_selectors();
    let mut gates = Vec::new();
    for g in &c.gates {
        for _ in 0..3 {
            let consts: Vec<FE> = (0..c.num_constants - nsel).map(|_| FE::rand()).collect();
            let wires: Vec<FE> = (0..c.config.num_wires).map(|_| FE::rand()).collect();
            let pih = HashOut::<F>::rand();
            let vars = EvaluationVars::<F, EXT> {
                local_constants: &consts,
                local_wires: &wires,
                public_inputs_hash: &pih,
            };
            let outv = g.0.eval_unfiltered(vars);
            gates.push(serde_json::json!({
                "id": g.0.id(),
                "constants": hex_ext(&consts),
                "wires": hex_ext(&wires),
                "pih": pih.elements.iter().map(|x| format!("0x{:x}", x.to_canonical_u64())).collect::<Vec<_>>(),
                "out": hex_ext(&outv),
            }));
        }
    }
    let _ = F::ONE;
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({ "gates": gates }))?,
    )?;
    println!("wrote {} vectors to {out}", gates.len());
    Ok(())
}
