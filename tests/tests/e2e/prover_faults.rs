//! Faults while proving: kill -9 of a remote prover in the middle of a job (its lease runs
//! out and another prover finishes the job), kill -9 of the node while its in-process
//! worker proves (the restarted node drops the dead worker's lease and proves the batch),
//! and kill -9 of the node in the middle of aggregation (the restarted node finishes the
//! window with the final statement its batches determine, as an uninterrupted run does).

use std::process::Child;
use std::time::Duration;

use alloy::primitives::U256;
use quire_tests::*;
use serde_json::json;

const TOKEN: &str = "fault-test-prover-token-42";

/// Twenty transfers to existing accounts: one batch of 20 slots (a 2^13-row circuit, whose
/// first build plus proof takes a few seconds: time to kill a prover in the middle).
async fn fill_batch(url: &str) {
    let k = keys();
    for nonce in 0..5u64 {
        for (i, key) in k.iter().take(4).enumerate() {
            let to = k[(i + 1) % 4].address();
            let raw = sign(key, transfer(nonce, to, U256::from(7u64)));
            let r = rpc(url, "eth_sendRawTransaction", json!([raw])).await;
            assert!(r["result"].is_string(), "{r}");
        }
    }
}

fn remote(url: &str, name: &str, circuits: &std::path::Path) -> Child {
    spawn_prover(url, TOKEN, name, circuits, &["--poll-ms", "50"])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_prover_killed_mid_job_loses_it_to_another() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 20;
    cfg.production.batch_max_age_ms = 60_000;
    cfg.proving.token = Some(TOKEN.into());
    cfg.proving.lease_secs = 3;
    let node = start_node(cfg).await;
    let url = node.http_url();
    fill_batch(&url).await;
    wait_batch_status(&url, 1, "sealed", Duration::from_secs(20)).await;

    let mut first = remote(&url, "remote-1", &dir.path().join("c1"));
    wait_batch_status(&url, 1, "proving", Duration::from_secs(20)).await;
    let lease = node
        .coordinator
        .job_state(&quire_coordinator::JobId::Batch(1))
        .unwrap();
    assert_eq!(lease.holder.as_deref(), Some("remote-1"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    assert!(
        node.coordinator.batch_proof(1).unwrap().is_none(),
        "killed before it could hand in"
    );

    let mut second = remote(&url, "remote-2", &dir.path().join("c2"));
    wait_batch_status(&url, 1, "proven", Duration::from_secs(60)).await;
    assert_eq!(
        node.coordinator.batch_proof(1).unwrap().unwrap().worker,
        "remote-2"
    );
    let _ = second.kill();
    let _ = second.wait();
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_while_proving_proves_the_batch_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.rpc.addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.production.batch_max_txs = 20;
    cfg.production.batch_max_age_ms = 60_000;
    cfg.proving.workers = Some(1);
    // A long lease: only the restart, not expiry, can free the dead worker's job.
    cfg.proving.lease_secs = 3_600;
    let config = dir.path().join("quire.toml");
    std::fs::write(&config, toml::to_string(&cfg).unwrap()).unwrap();
    let start = || spawn_node(&config);
    let url = format!("http://127.0.0.1:{port}");
    let mut node = start();
    wait_answering(&url, Duration::from_secs(30)).await;
    fill_batch(&url).await;
    wait_batch_status(&url, 1, "proving", Duration::from_secs(30)).await;
    node.kill().expect("SIGKILL");
    node.wait().unwrap();

    let mut node = start();
    wait_answering(&url, Duration::from_secs(30)).await;
    wait_batch_status(&url, 1, "proven", Duration::from_secs(60)).await;
    let _ = node.kill();
    let _ = node.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_mid_aggregation_finishes_with_the_same_final_proof() {
    let _memory = one_aggregating_test_at_a_time().await;
    use quire_aggregator::circuits::{final_verifier_path, FinalVerifier};
    use quire_aggregator::FinalProofFile;
    use quire_coordinator::ProofStore;
    use quire_primitives::field::digest_to_b256;

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let mut cfg = test_config(&data);
    cfg.rpc.addr = format!("127.0.0.1:{port}").parse().unwrap();
    // Twenty transfers: two batches of ten, one window.
    cfg.production.batch_max_txs = 10;
    cfg.production.batch_max_age_ms = 60_000;
    cfg.proving.workers = Some(1);
    cfg.proving.lease_secs = 3_600;
    cfg.proving.circuits_dir = Some(shared_circuits_dir());
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 2;
    cfg.aggregation.window_secs = 3_600;
    let config = dir.path().join("quire.toml");
    std::fs::write(&config, toml::to_string(&cfg).unwrap()).unwrap();
    let start = || spawn_node(&config);
    let url = format!("http://127.0.0.1:{port}");
    let mut node = start();
    wait_answering(&url, Duration::from_secs(30)).await;
    fill_batch(&url).await;

    // Kill it once some aggregation step is stored but the final proof is not (the wrap
    // alone takes most of a minute). The node's proving store, opened read-only beside
    // it: accepted aggregates (leaves and fold) and the final proof.
    let db = quire_coordinator::proving_db_path(&data);
    let progress = || {
        let Ok(store) = ProofStore::open_read_only(&db) else {
            return (0, false);
        };
        let parts = [(1, 1), (2, 2), (1, 2)]
            .iter()
            .filter(|(lo, hi)| store.aggregate(*lo, *hi).unwrap().is_some())
            .count();
        (parts, store.latest_final_proof().unwrap().is_some())
    };
    wait_for(Duration::from_secs(600), || async {
        let (parts, _) = progress();
        (parts > 0).then_some(())
    })
    .await
    .expect("an aggregation step is stored");
    node.kill().expect("SIGKILL");
    node.wait().unwrap();
    let (stored_before, final_before) = progress();
    assert!(!final_before, "killed before the final proof");

    let mut node = start();
    wait_answering(&url, Duration::from_secs(30)).await;
    for n in 1..=2 {
        wait_batch_status(&url, n, "aggregated", Duration::from_secs(600)).await;
    }
    assert!(progress().0 >= stored_before, "what was stored survived");
    let after_restart: FinalProofFile = serde_json::from_value(
        rpc(&url, "quire_getAggregateProof", json!(["0x1"])).await["result"].clone(),
    )
    .unwrap();
    assert_eq!(
        (after_restart.first_batch, after_restart.last_batch),
        (1, 2)
    );

    // The same final statement an uninterrupted run makes: the one the node's batches
    // determine (their roots, and the digest of each batch's header, transaction
    // commitment and bridge state), checked by the light client against the pinned key.
    // Nothing is proven again: the statement does not depend on the run (the proof's
    // bytes do: plonky2's proof-of-work search takes whichever valid nonce comes first).
    let out = std::process::Command::new(quire_binary())
        .args(["verify", "--rpc", &url, "--circuits"])
        .arg(shared_circuits_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("matches the node's batches 1..=2"),
        "{stdout}"
    );
    let batch = |n: u64| {
        let url = url.clone();
        async move {
            rpc(&url, "quire_getBatchByNumber", json!([format!("{n:#x}")])).await["result"].clone()
        }
    };
    let (first_batch, last_batch) = (batch(1).await, batch(2).await);
    let _ = node.kill();
    let _ = node.wait();
    let key = FinalVerifier::read(&final_verifier_path(&shared_circuits_dir())).unwrap();
    let pi = after_restart.verify(&key).unwrap();
    assert_eq!(
        first_batch["prevStateRoot"],
        json!(digest_to_b256(&pi.prev_root))
    );
    assert_eq!(last_batch["stateRoot"], json!(digest_to_b256(&pi.new_root)));
    assert_eq!(pi.tx_count, 20);
}
