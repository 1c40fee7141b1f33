//! The proof coordinator in a running node: in-process workers prove sealed batches on
//! their own; jobs are leased, a refused proof (garbage, or a proof of another batch)
//! changes nothing and frees the job for another worker, duplicates are harmless, and a
//! restarted node finishes what was left. (Lease expiry and retry timing are tested with a
//! fake clock in `coordinator/tests/job_table.rs`.)

use std::time::Duration;

use alloy::primitives::Address;
use quire_coordinator::{JobId, JobOutput, SubmitError, WorkKinds};
use quire_tests::*;
use serde_json::json;

async fn fill_batch(url: &str, nonce: u64) {
    send_two_transfers(url, nonce, 0x60, 5).await
}

#[tokio::test(flavor = "multi_thread")]
async fn in_process_workers_prove_sealed_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    cfg.proving.workers = Some(1);
    let node = start_node(cfg).await;
    let url = node.http_url();
    fill_batch(&url, 0).await;
    wait_batch_status(&url, 1, "proven", Duration::from_secs(60)).await;
    let accepted = node
        .coordinator
        .batch_proof(1)
        .unwrap()
        .expect("proof stored");
    assert_eq!(accepted.file.batch_number, 1);
    assert_eq!(accepted.worker, "local-0");

    // Anyone can fetch the proof over RPC and check it with `quire verify-batch`.
    assert!(rpc(&url, "quire_getBatchProof", json!(["0x2"])).await["result"].is_null());
    let served = rpc(&url, "quire_getBatchProof", json!(["0x1"])).await["result"].clone();
    assert_eq!(served["worker"], "local-0");
    let file = dir.path().join("batch-1.json");
    std::fs::write(&file, serde_json::to_vec(&served["file"]).unwrap()).unwrap();
    let out = std::process::Command::new(quire_binary())
        .arg("verify-batch")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("matches the stored batch: ok"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn leases_refusals_duplicates_expiry_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cfg = test_config(&data);
    cfg.production.batch_max_txs = 2;
    cfg.proving.lease_secs = 1;
    let node = start_node(cfg.clone()).await;
    let url = node.http_url();
    let coordinator = node.coordinator.clone();
    let batches = WorkKinds {
        batches: true,
        aggregation: false,
    };
    fill_batch(&url, 0).await;
    wait_batch_status(&url, 1, "sealed", Duration::from_secs(20)).await;

    // One worker holds the job; nobody else gets it.
    assert_eq!(
        coordinator.lease_next("remote-a", batches).unwrap(),
        Some(JobId::Batch(1))
    );
    assert_eq!(batch_status(&url, 1).await, "proving");
    assert_eq!(coordinator.lease_next("remote-b", batches).unwrap(), None);

    // remote-a hands in garbage: refused, nothing stored, the job is free again.
    let JobOutput::BatchProof(good) = prove_job(&coordinator, JobId::Batch(1)) else {
        panic!("a batch job makes a batch proof");
    };
    let mut garbage = good.clone();
    let mid = garbage.proof.len() / 2;
    let flipped = if &garbage.proof[mid..mid + 1] == "0" {
        "1"
    } else {
        "0"
    };
    garbage.proof.replace_range(mid..mid + 1, flipped);
    let submit = |worker: &str, id: u64, file: &quire_prover::proof_file::BatchProofFile| {
        coordinator.submit(
            worker,
            &JobId::Batch(id),
            &JobOutput::BatchProof(file.clone()),
        )
    };
    assert!(matches!(
        submit("remote-a", 1, &garbage),
        Err(SubmitError::Refused(_))
    ));
    assert!(coordinator.batch_proof(1).unwrap().is_none());
    assert_eq!(batch_status(&url, 1).await, "sealed");

    // A proof of batch 1 handed in as batch 2's is refused too, labelled either way.
    let mut relabelled = good.clone();
    relabelled.batch_number = 2;
    assert!(matches!(
        submit("remote-a", 2, &relabelled),
        Err(SubmitError::Refused(_))
    ));
    assert!(matches!(
        submit("remote-a", 2, &good),
        Err(SubmitError::Refused(_))
    ));

    // A valid proof that claims another deposit chain before the batch (an unconstrained
    // public input of the batch circuit) is refused against the stored headers.
    let mut input = coordinator.inputs(&JobId::Batch(1)).unwrap();
    let quire_coordinator::JobInput::Batch(w) = &mut input else {
        panic!("a batch job's input is its witness");
    };
    w.deposit_chain_before =
        quire_primitives::field::b256_to_digest(&alloy::primitives::B256::with_last_byte(7))
            .unwrap();
    w.expected.deposit_chain_before = w.deposit_chain_before;
    let forged =
        quire_coordinator::JobRunner::new(coordinator.cache().clone(), coordinator.circuits_cell())
            .run(
                &quire_coordinator::Job {
                    id: JobId::Batch(1),
                    input,
                },
                "test",
            )
            .expect("the forged witness proves: the chain before is only an input");
    let JobOutput::BatchProof(forged) = forged else {
        panic!("a batch proof");
    };
    match submit("remote-a", 1, &forged) {
        Err(SubmitError::Refused(why)) => assert!(why.contains("deposits"), "{why}"),
        other => panic!("a forged deposit chain was not refused: {other:?}"),
    }
    assert!(coordinator.batch_proof(1).unwrap().is_none());

    // Another worker takes the job and its proof is accepted; a duplicate changes nothing.
    assert_eq!(
        coordinator.lease_next("remote-b", batches).unwrap(),
        Some(JobId::Batch(1))
    );
    assert_eq!(submit("remote-b", 1, &good), Ok(()));
    assert!(matches!(
        submit("remote-a", 1, &good),
        Err(SubmitError::Duplicate(_))
    ));
    assert_eq!(batch_status(&url, 1).await, "proven");
    assert_eq!(
        coordinator.batch_proof(1).unwrap().unwrap().worker,
        "remote-b"
    );

    // A remote worker holds batch 2 when the node stops.
    fill_batch(&url, 1).await;
    wait_batch_status(&url, 2, "sealed", Duration::from_secs(20)).await;
    assert_eq!(
        coordinator.lease_next("remote-c", batches).unwrap(),
        Some(JobId::Batch(2))
    );
    drop(coordinator);
    node.shutdown().await.unwrap();

    // After a restart with an in-process worker, batch 2 is proven once the lease is gone.
    cfg.proving.workers = Some(1);
    let node = start_node(cfg).await;
    let url = node.http_url();
    wait_batch_status(&url, 2, "proven", Duration::from_secs(60)).await;
    assert_eq!(batch_status(&url, 1).await, "proven");
    node.shutdown().await.unwrap();
}

const TOKEN: &str = "test-prover-token-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_prover_and_an_in_process_worker_share_the_batches() {
    let _memory = one_aggregating_test_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    cfg.proving.workers = Some(1);
    cfg.proving.token = Some(TOKEN.into());
    cfg.proving.lease_secs = 2;
    cfg.proving.circuits_dir = Some(shared_circuits_dir());
    // Both batches under one final proof.
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 2;
    cfg.aggregation.window_secs = 3_600;
    let node = start_node(cfg).await;
    let url = node.http_url();
    // Started first, so that it polls by the time the batches are sealed.
    let mut remote = spawn_prover(
        &url,
        TOKEN,
        "remote-1",
        &dir.path().join("remote-circuits"),
        &["--poll-ms", "20"],
    );

    // A wrong token is refused, by the API and by the prover command.
    let kinds = json!({"batches": true, "aggregation": false});
    let r = rpc(
        &url,
        "prover_lease",
        json!(["wrong-token-0123456789", "x", kinds]),
    )
    .await;
    assert_eq!(r["error"]["code"], json!(-32001), "{r}");
    let out = std::process::Command::new(quire_binary())
        .args([
            "prover",
            "--node",
            &url,
            "--token",
            "wrong-token-0123456789",
        ])
        .arg("--circuits")
        .arg(dir.path().join("remote-circuits"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused the prover token"));

    // Batch 2 is sealed while whoever leased batch 1 is still proving it (a proof takes
    // seconds, sealing tens of milliseconds), so the other worker takes it.
    fill_batch(&url, 0).await;
    wait_for(Duration::from_secs(60), || async {
        let state = node.coordinator.job_state(&JobId::Batch(1)).unwrap();
        let proven = node.coordinator.batch_proof(1).unwrap().is_some();
        (state.holder.is_some() || proven).then_some(())
    })
    .await
    .expect("batch 1 leased");
    fill_batch(&url, 1).await;
    for n in 1..=2 {
        wait_batch_status_in(&url, n, &["proven", "aggregated"], Duration::from_secs(120)).await;
    }
    let _ = remote.kill();
    let _ = remote.wait();
    let workers: Vec<String> = (1..=2)
        .map(|n| node.coordinator.batch_proof(n).unwrap().unwrap().worker)
        .collect();
    assert!(workers.iter().any(|w| w == "remote-1"), "{workers:?}");
    assert!(workers.iter().any(|w| w == "local-0"), "{workers:?}");

    // The in-process worker folds the two batch proofs into one and wraps it for L1.
    for n in 1..=2 {
        wait_batch_status(&url, n, "aggregated", Duration::from_secs(600)).await;
    }
    let fin = rpc(&url, "quire_getAggregateProof", json!(["0x2"])).await["result"].clone();
    assert_eq!(fin["firstBatch"], json!(1), "{fin}");
    assert_eq!(fin["lastBatch"], json!(2), "{fin}");
    assert_eq!(
        rpc(&url, "quire_getAggregateProof", json!([])).await["result"],
        fin
    );

    // A light client checks it against the pinned key and the node's batches.
    let verify = |args: &[&str]| {
        std::process::Command::new(quire_binary())
            .arg("verify")
            .args(args)
            .arg("--circuits")
            .arg(shared_circuits_dir())
            .output()
            .unwrap()
    };
    let out = verify(&["--rpc", &url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("batches          1..=2"), "{stdout}");
    assert!(
        stdout.contains("matches the node's batches 1..=2"),
        "{stdout}"
    );
    let b2 = rpc(&url, "quire_getBatchByNumber", json!(["0x2"])).await["result"].clone();
    let root2 = b2["stateRoot"].as_str().unwrap().to_string();
    assert!(
        stdout.contains(&format!("new state root   {root2}")),
        "{stdout}"
    );

    // From a file, and refused once edited.
    let file = dir.path().join("final.json");
    std::fs::write(&file, serde_json::to_vec(&fin).unwrap()).unwrap();
    let file_arg = file.to_str().unwrap().to_string();
    assert!(verify(&[&file_arg]).status.success());
    // The proof names the chain its transfers were signed for; checked against another
    // chain's id it is refused.
    assert!(
        stdout.contains(&format!("chain id         {CHAIN_ID}")),
        "{stdout}"
    );
    let other_chain = (CHAIN_ID + 1).to_string();
    let out = verify(&[&file_arg, "--rpc", &url, "--chain-id", &other_chain]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(&format!("signed for chain {CHAIN_ID}")),
        "{err}"
    );
    let mut edited = fin.clone();
    let proof = edited["proof"].as_str().unwrap().to_string();
    let at = proof.len() / 2;
    let flipped = if &proof[at..at + 1] == "0" { "1" } else { "0" };
    edited["proof"] = json!(format!("{}{}{}", &proof[..at], flipped, &proof[at + 1..]));
    std::fs::write(&file, serde_json::to_vec(&edited).unwrap()).unwrap();
    assert!(!verify(&[&file_arg]).status.success());
    let mut relabelled = fin.clone();
    relabelled["lastBatch"] = json!(3);
    std::fs::write(&file, serde_json::to_vec(&relabelled).unwrap()).unwrap();
    assert!(!verify(&[&file_arg]).status.success());

    // A valid proof of this chain does not match another chain's batches 1..2 (same
    // transfers, another fee recipient).
    let other_dir = tempfile::tempdir().unwrap();
    let mut other_cfg = test_config(other_dir.path());
    other_cfg.production.batch_max_txs = 2;
    other_cfg.production.fee_recipient = Address::repeat_byte(0x77);
    let other = start_node(other_cfg).await;
    let other_url = other.http_url();
    for nonce in 0..2u64 {
        fill_batch(&other_url, nonce).await;
    }
    wait_batch_status(&other_url, 2, "sealed", Duration::from_secs(60)).await;
    std::fs::write(&file, serde_json::to_vec(&fin).unwrap()).unwrap();
    let out = verify(&[&file_arg, "--rpc", &other_url]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("state root") || err.contains("batch contents"),
        "{err}"
    );
    other.shutdown().await.unwrap();
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_prover_takes_aggregation_steps_too() {
    let _memory = one_aggregating_test_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    // No in-process worker: everything is proven by the remote prover.
    cfg.proving.workers = Some(0);
    cfg.proving.token = Some(TOKEN.into());
    cfg.proving.circuits_dir = Some(shared_circuits_dir());
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 2;
    cfg.aggregation.window_secs = 3_600;
    let node = start_node(cfg).await;
    let url = node.http_url();

    // A wrong token is refused; each bad submission gets its own error code.
    let kinds = json!({"batches": true, "aggregation": true});
    let r = rpc(
        &url,
        "prover_lease",
        json!(["wrong-token-0123456789", "x", kinds]),
    )
    .await;
    assert_eq!(r["error"]["code"], json!(-32001), "{r}");
    let garbage_batch = json!({"batchProof": {"circuit_version": 2, "shape": {"slots": 3, "depth": 5}, "batch_number": 1, "proof": "00"}});
    let r = rpc(
        &url,
        "prover_submit",
        json!([TOKEN, "x", {"batch": 1}, garbage_batch]),
    )
    .await;
    assert_eq!(r["error"]["code"], json!(-32002), "garbage is refused: {r}");
    let garbage_step =
        json!({"step": {"part": {"leaf_shape": null, "worker": "x", "proof": "00"}}});
    let r = rpc(
        &url,
        "prover_submit",
        json!([TOKEN, "x", {"batch": 1}, garbage_step]),
    )
    .await;
    assert_eq!(
        r["error"]["code"],
        json!(-32002),
        "a step output for a batch job: {r}"
    );
    let r = rpc(
        &url,
        "prover_submit",
        json!([TOKEN, "x", {"step": {"leaf": 1}}, garbage_step]),
    )
    .await;
    let code = r["error"]["code"].clone();
    assert!(
        code == json!(-32002) || code == json!(-32004),
        "garbage step output: refused, or not ready while the circuits build: {r}"
    );
    let r = rpc(
        &url,
        "prover_submit",
        json!([TOKEN, "x", {"batch": 1}, "nonsense"]),
    )
    .await;
    assert_eq!(r["error"]["code"], json!(-32602), "undecodable params: {r}");

    let mut remote = spawn_prover(
        &url,
        TOKEN,
        "remote-agg",
        &shared_circuits_dir(),
        &["--poll-ms", "50", "--aggregate"],
    );
    for nonce in 0..2u64 {
        fill_batch(&url, nonce).await;
    }
    for n in 1..=2 {
        wait_batch_status(&url, n, "aggregated", Duration::from_secs(600)).await;
    }
    let _ = remote.kill();
    let _ = remote.wait();
    let store = node.coordinator.store();
    let parts = [(1, 1), (2, 2), (1, 2)].map(|(lo, hi)| store.aggregate(lo, hi).unwrap());
    for (i, record) in parts.iter().enumerate() {
        let record = record
            .as_ref()
            .expect("two leaves and their fold are stored");
        assert_eq!(record.worker, "remote-agg", "part {i}");
    }
    let fin = rpc(&url, "quire_getAggregateProof", json!([])).await["result"].clone();
    assert_eq!(
        (fin["firstBatch"].clone(), fin["lastBatch"].clone()),
        (json!(1), json!(2))
    );
    node.shutdown().await.unwrap();
}
