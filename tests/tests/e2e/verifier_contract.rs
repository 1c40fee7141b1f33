//! The generated Verifier contract on a real anvil, against plonky2's native verifier:
//! the committed fixtures' final proofs (made by the Rust aggregator) verify through alloy,
//! and on hundreds of randomly altered proofs the contract and the native verifier agree.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use plonky2::field::types::{Field, Sample};
use quire_aggregator::circuits::FinalVerifier;
use quire_aggregator::wrap::WrapProof;
use quire_aggregator::F;
use quire_contracts::calldata::ProofShape;
use quire_contracts::verifier::{deploy_verifier, verify_calldata};
use quire_tests::{keys, wallet_provider, workspace_root, AnvilL1};
use rand::{Rng, SeedableRng};

fn fixture(name: &str) -> serde_json::Value {
    let path = workspace_root().join("contracts/test/fixtures").join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("fixture JSON")
}

fn plonky2_proof(v: &serde_json::Value, key: &FinalVerifier) -> WrapProof {
    let hex = v["plonky2Proof"].as_str().expect("plonky2Proof");
    let bytes = alloy::hex::decode(hex).expect("hex");
    WrapProof::from_bytes(bytes, &key.data.common).expect("a final proof")
}

/// Alters one randomly chosen part of a proof (or nothing, one time in ten).
fn tamper(p: &mut WrapProof, rng: &mut rand::rngs::StdRng) -> &'static str {
    let one = F::ONE;
    let proof = &mut p.proof;
    let fri = &mut proof.opening_proof;
    let q = rng.random_range(0..fri.query_round_proofs.len());
    match rng.random_range(0..10) {
        0 => {
            let o = &mut proof.openings;
            let groups = [
                &mut o.constants,
                &mut o.plonk_sigmas,
                &mut o.wires,
                &mut o.plonk_zs,
                &mut o.plonk_zs_next,
                &mut o.partial_products,
                &mut o.quotient_polys,
            ];
            let g = rng.random_range(0..groups.len());
            let v = groups.into_iter().nth(g).expect("group");
            let i = rng.random_range(0..v.len());
            v[i].0[rng.random_range(0..2)] += one;
            "an opening"
        }
        1 => {
            let trees = &mut fri.query_round_proofs[q].initial_trees_proof.evals_proofs;
            let t = rng.random_range(0..trees.len());
            let i = rng.random_range(0..trees[t].0.len());
            trees[t].0[i] = F::rand();
            "an initial leaf value"
        }
        2 => {
            let trees = &mut fri.query_round_proofs[q].initial_trees_proof.evals_proofs;
            let t = rng.random_range(0..trees.len());
            let s = &mut trees[t].1.siblings;
            let i = rng.random_range(0..s.len());
            s[i].0[rng.random_range(0..25)] ^= 1 << rng.random_range(0..8);
            "an initial Merkle sibling"
        }
        3 => {
            let steps = &mut fri.query_round_proofs[q].steps;
            let l = rng.random_range(0..steps.len());
            let i = rng.random_range(0..steps[l].evals.len());
            steps[l].evals[i].0[rng.random_range(0..2)] += one;
            "a FRI layer value"
        }
        4 => {
            let steps = &mut fri.query_round_proofs[q].steps;
            let l = rng.random_range(0..steps.len());
            let s = &mut steps[l].merkle_proof.siblings;
            let i = rng.random_range(0..s.len());
            s[i].0[rng.random_range(0..25)] ^= 1 << rng.random_range(0..8);
            "a FRI Merkle sibling"
        }
        5 => {
            let caps = match rng.random_range(0..4) {
                0 => &mut proof.wires_cap,
                1 => &mut proof.plonk_zs_partial_products_cap,
                2 => &mut proof.quotient_polys_cap,
                _ => {
                    let l = rng.random_range(0..fri.commit_phase_merkle_caps.len());
                    &mut fri.commit_phase_merkle_caps[l]
                }
            };
            let i = rng.random_range(0..caps.0.len());
            caps.0[i].0[rng.random_range(0..25)] ^= 1 << rng.random_range(0..8);
            "a Merkle cap"
        }
        6 => {
            let c = &mut fri.final_poly.coeffs;
            let i = rng.random_range(0..c.len());
            c[i].0[rng.random_range(0..2)] += one;
            "the final polynomial"
        }
        7 => {
            fri.pow_witness = F::rand();
            "the proof-of-work witness"
        }
        8 => {
            let i = rng.random_range(0..p.public_inputs.len());
            p.public_inputs[i] += one;
            "a public input"
        }
        _ => "nothing",
    }
}

async fn contract_accepts<P: Provider>(provider: &P, verifier: Address, calldata: Bytes) -> bool {
    let tx = TransactionRequest::default()
        .with_to(verifier)
        .with_input(calldata)
        .with_gas_limit(30_000_000);
    matches!(provider.call(tx).await, Ok(out) if out.len() == 32 && out[31] == 1)
}

#[tokio::test(flavor = "multi_thread")]
async fn contract_and_native_verifier_agree_on_valid_and_altered_proofs() {
    let l1 = AnvilL1::start().await;
    let url = l1.url.clone();
    let provider = wallet_provider(&url, keys()[0].clone());
    let verifier = deploy_verifier(&provider)
        .await
        .expect("deploying the Verifier");

    let key_bytes =
        std::fs::read(workspace_root().join("contracts/test/fixtures/verifier-key.bin"))
            .expect("verifier key fixture");
    let key = FinalVerifier::from_bytes(key_bytes).expect("verifier key");
    let shape = ProofShape::of(&key.data.common);
    let proofs: Vec<WrapProof> = ["final-1.json", "final-8.json"]
        .iter()
        .map(|n| plonky2_proof(&fixture(n), &key))
        .collect();

    // Valid proofs verify on L1: a real transaction, with its receipt's gas.
    for p in &proofs {
        let statement = key.verify(p).expect("fixture verifies natively");
        let calldata = verify_calldata(&shape, p).expect("calldata");
        assert!(contract_accepts(&provider, verifier, calldata.clone()).await);
        let receipt = provider
            .send_transaction(
                TransactionRequest::default()
                    .with_to(verifier)
                    .with_input(calldata.clone())
                    .with_gas_limit(30_000_000),
            )
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "verification transaction reverted");
        println!(
            "verify transaction: {} gas used, {} calldata bytes, batches {}",
            receipt.gas_used,
            calldata.len(),
            statement.last_batch - statement.first_batch + 1
        );
    }

    // Altered proofs: the contract agrees with plonky2 on every one.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let rounds: usize = std::env::var("QUIRE_DIFFERENTIAL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (mut accepted, mut rejected) = (0, 0);
    for round in 0..rounds {
        let mut p = proofs[round % 2].clone();
        let what = tamper(&mut p, &mut rng);
        let native = {
            let key = &key;
            let p = p.clone();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || key.verify(&p).is_ok()))
                .unwrap_or(false)
        };
        let calldata = verify_calldata(&shape, &p).expect("calldata");
        let contract = contract_accepts(&provider, verifier, calldata).await;
        assert_eq!(
            native, contract,
            "round {round}: altered {what}: native {native}, contract {contract}"
        );
        if native {
            accepted += 1;
        } else {
            rejected += 1;
        }
    }
    println!(
        "differential: {rounds} proofs, {accepted} accepted by both, {rejected} rejected by both"
    );
    assert!(accepted > 0 && rejected > rounds / 2);
}

/// The committed contract, its fixtures' key and the node's final circuit are one: a
/// change to the circuit that is not followed by `cargo run --release -p quire-contracts
/// --example fixtures` (and `contracts/build.sh`) fails here.
#[tokio::test(flavor = "multi_thread")]
async fn committed_verifier_contract_matches_the_final_circuit() {
    use quire_aggregator::circuits::AggregationCircuits;
    use quire_prover::cache::CircuitCache;
    // Building the final circuit takes gigabytes: not beside another aggregating test.
    let _memory = quire_tests::one_aggregating_test_at_a_time().await;
    let circuits = AggregationCircuits::build_standard(&CircuitCache::new(Some(
        quire_tests::shared_circuits_dir(),
    )))
    .expect("standard circuits");
    let fv = circuits.final_verifier();
    let generated =
        quire_contracts::generate::verifier_contract(&fv.data).expect("generating the contract");
    let committed = std::fs::read_to_string(
        workspace_root()
            .join("contracts")
            .join(quire_contracts::VERIFIER_SOURCE),
    )
    .expect("committed Verifier.sol");
    assert!(
        generated == committed,
        "contracts/solidity/Verifier.sol is out of date with the final circuit: run `cargo run --release -p quire-contracts --example fixtures` and contracts/build.sh"
    );
    let fixture_key =
        std::fs::read(workspace_root().join("contracts/test/fixtures/verifier-key.bin"))
            .expect("fixture key");
    assert_eq!(
        fixture_key,
        fv.to_bytes().expect("key bytes"),
        "the forge fixtures were made with another final circuit"
    );
    assert!(
        !quire_contracts::verifier::VERIFIER_BYTECODE_HEX
            .trim()
            .is_empty(),
        "contracts/artifacts/Verifier.bin is empty: run contracts/build.sh"
    );
}
