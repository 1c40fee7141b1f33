//! Aggregation steps in a running node's proof coordinator: steps are handed out as their
//! inputs are proven (a leaf needs its batch's proof and the signature proof of its
//! transfers), and a submitted output is stored only if it verifies and proves exactly
//! what the job covers. A wrong output (another batch's signature proof or leaf, an edited
//! proof, a leaf posing as a final proof) changes nothing and frees the job for another
//! worker.

use std::time::Duration;

use quire_aggregator::{Step, StepOutput, Window};
use quire_coordinator::{JobId, JobOutput, SubmitError, WorkKinds};
use quire_tests::*;
use serde_json::json;

const STEPS: WorkKinds = WorkKinds {
    batches: false,
    aggregation: true,
};

#[tokio::test(flavor = "multi_thread")]
async fn wrong_step_outputs_are_refused_and_change_nothing() {
    let _memory = one_aggregating_test_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    cfg.proving.circuits_dir = Some(shared_circuits_dir());
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 2;
    cfg.aggregation.window_secs = 3_600;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let c = node.coordinator.clone();
    c.start_building_circuits();
    for nonce in 0..2 {
        send_two_transfers(&url, nonce, 0x50, 3).await;
    }
    wait_batch_status(&url, 2, "sealed", Duration::from_secs(30)).await;

    // Nothing to aggregate before the batches are proven.
    wait_for(Duration::from_secs(300), || async {
        c.circuits().map(|_| ())
    })
    .await
    .expect("aggregation circuits built");
    let circuits = c.circuits().unwrap().clone();
    // No step is ready: aggregating workers take the batches' signature proofs.
    assert_eq!(
        c.lease_next("w", STEPS).unwrap(),
        Some(JobId::Signatures(1))
    );
    for n in 1..=2 {
        let proof = prove_job(&c, JobId::Batch(n));
        assert_eq!(c.submit("p", &JobId::Batch(n), &proof), Ok(()));
    }
    // The leaves wait for the signature proofs.
    let signatures: Vec<_> = (1..=2)
        .map(|n| prove_job(&c, JobId::Signatures(n)))
        .collect();
    // Batch 1's signature proof handed in for batch 2: refused (and it names batch 1).
    assert!(matches!(
        c.submit("w", &JobId::Signatures(2), &signatures[0]),
        Err(SubmitError::Refused(_))
    ));
    // Relabelled as batch 2's: still refused, it covers other transfers.
    let JobOutput::SignatureProof(mut relabelled) = signatures[0].clone() else {
        panic!("a signature job makes a signature proof")
    };
    relabelled.batch = 2;
    assert!(matches!(
        c.submit(
            "w",
            &JobId::Signatures(2),
            &JobOutput::SignatureProof(relabelled)
        ),
        Err(SubmitError::Refused(_))
    ));
    assert_eq!(
        c.lease_next("x", STEPS).unwrap(),
        Some(JobId::Signatures(2))
    );
    for (n, output) in (1..=2).zip(&signatures) {
        assert_eq!(c.submit("p", &JobId::Signatures(n), output), Ok(()));
    }
    let step = |s: Step| JobId::Step(s);
    let run = |s: Step| prove_job(&c, step(s));

    let window = Window { start: 1, end: 2 };
    assert_eq!(c.lease_next("w", STEPS).unwrap(), Some(step(Step::Leaf(1))));
    // A step that failed waits its retry delay, and the next one is handed out.
    c.fail("w", &step(Step::Leaf(1)), "test").unwrap();
    assert_eq!(c.lease_next("w", STEPS).unwrap(), Some(step(Step::Leaf(2))));
    // Both leaves are unavailable; their fold waits for them.
    assert_eq!(c.lease_next("w", STEPS).unwrap(), None);
    let leaf1 = run(Step::Leaf(1));
    let leaf2 = run(Step::Leaf(2));

    // Batch 1's leaf handed in as batch 2's (which "w" holds): refused, and the step is
    // free again at once.
    assert!(matches!(
        c.submit("w", &step(Step::Leaf(2)), &leaf1),
        Err(SubmitError::Refused(_))
    ));
    assert_eq!(c.job_state(&step(Step::Leaf(2))).unwrap().holder, None);
    // An edited proof: refused.
    let JobOutput::Step(result) = leaf1.clone() else {
        panic!("a leaf step makes a step output")
    };
    let StepOutput::Part(mut edited) = result.decode(&circuits).unwrap() else {
        panic!("a leaf step makes a part")
    };
    edited.proof.proof.opening_proof.final_poly.coeffs[0].0[0] += plonky2::field::types::Field::ONE;
    let edited = JobOutput::Step(StepOutput::Part(edited).encode("v").unwrap());
    assert!(matches!(
        c.submit("v", &step(Step::Leaf(1)), &edited),
        Err(SubmitError::Refused(_))
    ));
    // A leaf posing as the final proof: refused.
    assert!(matches!(
        c.submit("v", &step(Step::Wrap(window)), &leaf1),
        Err(SubmitError::Refused(_))
    ));
    assert!(rpc(&url, "quire_getAggregateProof", json!(["0x1"])).await["result"].is_null());

    // The right outputs are accepted once; a second copy is a harmless duplicate.
    assert_eq!(c.submit("w", &step(Step::Leaf(1)), &leaf1), Ok(()));
    assert!(matches!(
        c.submit("w", &step(Step::Leaf(1)), &leaf1),
        Err(SubmitError::Duplicate(_))
    ));
    assert_eq!(c.submit("w", &step(Step::Leaf(2)), &leaf2), Ok(()));
    // A valid final proof of another window (the forge fixture's batch 1, proven with the
    // same circuits) is refused: for a window that is not a job, and for this window.
    let key = circuits.final_verifier();
    let other_window = {
        let path = workspace_root().join("contracts/test/fixtures/final-1.json");
        let fixture: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let bytes = alloy::hex::decode(fixture["plonky2Proof"].as_str().unwrap()).unwrap();
        let proof = quire_aggregator::wrap::WrapProof::from_bytes(bytes, &key.data.common).unwrap();
        key.verify(&proof)
            .expect("the fixture is a valid final proof");
        JobOutput::Step(StepOutput::Final(proof).encode("w").unwrap())
    };
    let part = Step::Wrap(Window { start: 1, end: 1 });
    assert!(matches!(
        c.submit("w", &step(part), &other_window),
        Err(SubmitError::Refused(_))
    ));
    assert_eq!(batch_status(&url, 1).await, "proven");
    let fold = Step::Fold {
        lo: 1,
        mid: 1,
        hi: 2,
    };
    assert_eq!(c.lease_next("w", STEPS).unwrap(), Some(step(fold)));
    let folded = run(fold);
    // A fold handed in as the final proof: refused.
    assert!(matches!(
        c.submit("w", &step(Step::Wrap(window)), &folded),
        Err(SubmitError::Refused(_))
    ));
    assert_eq!(c.submit("w", &step(fold), &folded), Ok(()));
    // Another window's final proof for this one: refused.
    assert!(matches!(
        c.submit("w", &step(Step::Wrap(window)), &other_window),
        Err(SubmitError::Refused(_))
    ));
    assert_eq!(
        c.lease_next("w", STEPS).unwrap(),
        Some(step(Step::Wrap(window)))
    );
    let wrapped = run(Step::Wrap(window));
    // Anything handed in for a finished step is ignored.
    assert!(matches!(
        c.submit("w", &step(fold), &wrapped),
        Err(SubmitError::Duplicate(_))
    ));
    assert_eq!(c.submit("w", &step(Step::Wrap(window)), &wrapped), Ok(()));
    assert_eq!(c.lease_next("w", STEPS).unwrap(), None);
    wait_batch_status(&url, 2, "aggregated", Duration::from_secs(5)).await;
    let fin = rpc(&url, "quire_getAggregateProof", json!(["0x2"])).await["result"].clone();
    assert_eq!(
        (fin["firstBatch"].clone(), fin["lastBatch"].clone()),
        (json!(1), json!(2))
    );
    // The node's final proof verifies on L1: the committed Verifier on a real anvil.
    let file: quire_aggregator::files::FinalProofFile =
        serde_json::from_value(fin).expect("a final proof file");
    let proof = file.decode(&key).expect("a final proof");
    let l1 = AnvilL1::start().await;
    let provider = wallet_provider(&l1.url, keys()[0].clone());
    let verifier = quire_contracts::verifier::deploy_verifier(&provider)
        .await
        .expect("deploying the Verifier");
    let shape = quire_contracts::calldata::ProofShape::of(&key.data.common);
    let calldata = quire_contracts::verifier::verify_calldata(&shape, &proof).expect("calldata");
    let accepted = {
        use alloy::network::TransactionBuilder;
        use alloy::providers::Provider;
        let tx = alloy::rpc::types::TransactionRequest::default()
            .with_to(verifier)
            .with_input(calldata)
            .with_gas_limit(30_000_000);
        provider.call(tx).await.expect("verify call")
    };
    assert_eq!(accepted.len(), 32);
    assert_eq!(
        accepted[31], 1,
        "the Verifier accepts the node's final proof"
    );
    drop(c);
    node.shutdown().await.unwrap();
}
