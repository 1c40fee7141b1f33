//! The aggregation pool in a running node: steps are handed out as their inputs are
//! proven, and a submitted step output is stored only if it verifies and proves exactly
//! the batches the step covers. A wrong output (another batch's leaf, an edited proof, a
//! leaf posing as a final proof) changes nothing and frees the step for another worker.

use std::time::Duration;

use quire_aggregator::jobs::{Step, StepOutput, Window};
use quire_prover::pool::Submitted;
use quire_tests::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn wrong_step_outputs_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    cfg.proving.circuits_dir = Some(shared_circuits_dir());
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 2;
    cfg.aggregation.window_secs = 3_600;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let agg = node.aggregation.clone().expect("aggregation enabled");
    agg.start_building();
    for nonce in 0..2 {
        send_two_transfers(&url, nonce, 0x50, 3).await;
    }
    wait_batch_status(&url, 2, "sealed", Duration::from_secs(30)).await;

    // Nothing to aggregate before the batches are proven.
    wait_for(Duration::from_secs(300), || async {
        agg.circuits().map(|_| ())
    })
    .await
    .expect("aggregation circuits built");
    assert_eq!(agg.lease("w").unwrap(), None);
    for n in 1..=2 {
        let file = node.pool.prove(n).unwrap();
        assert_eq!(node.pool.submit("p", &file).unwrap(), Submitted::Accepted);
    }

    let window = Window { start: 1, end: 2 };
    assert_eq!(agg.lease("w").unwrap(), Some(Step::Leaf(1)));
    // A step that failed is held back for a while, and the next one is handed out.
    agg.defer("w", &Step::Leaf(1), Duration::from_millis(1_500))
        .unwrap();
    assert_eq!(agg.lease("w").unwrap(), Some(Step::Leaf(2)));
    // Both leaves are held; their fold waits for them.
    assert_eq!(agg.lease("w").unwrap(), None);
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert_eq!(agg.lease("w").unwrap(), Some(Step::Leaf(1)));
    let leaf1 = agg.run(&Step::Leaf(1)).unwrap();
    let leaf2 = agg.run(&Step::Leaf(2)).unwrap();

    // Batch 2's leaf handed in as batch 1's: refused, and the step is free again.
    assert!(agg.submit("w", &Step::Leaf(1), &leaf2).is_err());
    assert_eq!(agg.lease("v").unwrap(), Some(Step::Leaf(1)));
    // An edited proof: refused.
    let StepOutput::Part(mut edited) = agg.run(&Step::Leaf(1)).unwrap() else {
        panic!("a leaf step makes a part")
    };
    edited.proof.proof.opening_proof.final_poly.coeffs[0].0[0] += plonky2::field::types::Field::ONE;
    assert!(agg
        .submit("v", &Step::Leaf(1), &StepOutput::Part(edited))
        .is_err());
    // A leaf posing as the final proof: refused.
    assert!(agg.submit("v", &Step::Wrap(window), &leaf1).is_err());
    assert!(rpc(&url, "quire_getAggregateProof", json!(["0x1"])).await["result"].is_null());

    // The right outputs are accepted once; a second copy is a harmless duplicate.
    assert_eq!(
        agg.submit("w", &Step::Leaf(1), &leaf1).unwrap(),
        Submitted::Accepted
    );
    assert_eq!(
        agg.submit("w", &Step::Leaf(1), &leaf1).unwrap(),
        Submitted::Duplicate
    );
    assert_eq!(
        agg.submit("w", &Step::Leaf(2), &leaf2).unwrap(),
        Submitted::Accepted
    );
    // A valid final proof of part of the window (batch 1 alone) is not the window's.
    let part = Step::Wrap(Window { start: 1, end: 1 });
    let partial = agg.run(&part).unwrap();
    assert!(agg.submit("w", &part, &partial).is_err());
    assert_eq!(batch_status(&url, 1).await, "proven");
    let fold = Step::Fold {
        lo: 1,
        mid: 1,
        hi: 2,
    };
    assert_eq!(agg.lease("w").unwrap(), Some(fold));
    let folded = agg.run(&fold).unwrap();
    // A fold handed in as the final proof: refused.
    assert!(agg.submit("w", &Step::Wrap(window), &folded).is_err());
    assert_eq!(
        agg.submit("w", &fold, &folded).unwrap(),
        Submitted::Accepted
    );
    assert_eq!(agg.lease("w").unwrap(), Some(Step::Wrap(window)));
    let wrapped = agg.run(&Step::Wrap(window)).unwrap();
    // Anything handed in for a finished step is ignored.
    assert_eq!(
        agg.submit("w", &fold, &wrapped).unwrap(),
        Submitted::Duplicate
    );
    assert_eq!(
        agg.submit("w", &Step::Wrap(window), &wrapped).unwrap(),
        Submitted::Accepted
    );
    assert_eq!(agg.lease("w").unwrap(), None);
    wait_batch_status(&url, 2, "aggregated", Duration::from_secs(5)).await;
    let fin = rpc(&url, "quire_getAggregateProof", json!(["0x2"])).await["result"].clone();
    assert_eq!(
        (fin["firstBatch"].clone(), fin["lastBatch"].clone()),
        (json!(1), json!(2))
    );
    node.shutdown().await.unwrap();
}
