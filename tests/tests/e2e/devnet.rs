//! `quire devnet`, the one command for the local stack: it starts a real anvil as L1 and a
//! node that follows it, serves prefunded accounts and metrics, settles on L1, and Ctrl-C
//! stops it all.

use std::process::{Command, Stdio};
use std::time::Duration;

use quire_tests::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_runs_the_stack_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let _ = anvil(); // make sure the tools are installed before timing the start-up
    let (l1, l2, metrics) = (free_port(), free_port(), free_port());
    let mut child = Command::new(quire_binary())
        // No provers: proving is covered elsewhere; here the window must still be committed.
        .args([
            "devnet",
            "--block-time-ms",
            "50",
            "--prover-workers",
            "0",
            "--dir",
        ])
        .arg(dir.path())
        .arg("--tools-dir")
        .arg(tools_dir())
        .args(["--l1-port", &l1.to_string()])
        .args(["--http-addr", &format!("127.0.0.1:{l2}")])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics}")])
        .env("QUIRE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let l2_url = format!("http://127.0.0.1:{l2}");
    let l1_url = format!("http://127.0.0.1:{l1}");
    wait_answering(&l2_url, Duration::from_secs(60)).await;
    assert_eq!(
        rpc(&l1_url, "eth_chainId", json!([])).await["result"],
        "0x7a69",
        "anvil is L1 (chain 31337)"
    );

    // A prefunded account can send with cast right away.
    let key = format!("0x{}", alloy::hex::encode(keys()[0].to_bytes()));
    let out = run_cast(&[
        "send",
        "0x000000000000000000000000000000000000dEaD",
        "--value",
        "1gwei",
        "--private-key",
        &key,
        "--rpc-url",
        &l2_url,
    ])
    .unwrap();
    assert!(
        out.contains("status") && out.contains("1 (success)"),
        "{out}"
    );

    // A refused transaction is counted by reason.
    let bad = rpc(&l2_url, "eth_sendRawTransaction", json!(["0x02c0"])).await;
    assert!(bad["error"].is_object());

    // Metrics: accepted and rejected transactions, blocks, the L1 head followed from anvil.
    let metrics_url = format!("http://127.0.0.1:{metrics}/metrics");
    let text = wait_for(Duration::from_secs(10), || async {
        let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
        text.contains("quire_l1_head_block").then_some(text)
    })
    .await
    .expect("metrics endpoint serves the L1 head");
    for name in [
        "quire_txs_accepted_total",
        "quire_blocks_total",
        "quire_mempool_size",
        "quire_rocksdb_write_seconds",
        "quire_l1_reachable 1",
        "quire_txs_rejected_total{reason=\"decode\"} 1",
    ] {
        assert!(text.contains(name), "metrics lack {name}:\n{text}");
    }

    // The devnet settles: once the window closes (30 s on the devnet), its data goes to the
    // Rollup in a type-3 (blob) transaction that cast shows on L1.
    let commit = wait_for(Duration::from_secs(150), || async {
        let batch = rpc(&l2_url, "quire_getBatchByNumber", json!(["0x1"])).await;
        batch["result"]["committed"].as_str().map(str::to_string)
    })
    .await
    .expect("the devnet commits its first window on L1");
    let tx = run_cast(&["tx", &commit, "--rpc-url", &l1_url, "--json"]).unwrap();
    let tx: serde_json::Value = serde_json::from_str(&tx).unwrap();
    assert_eq!(tx["type"], "0x3", "commit is a blob transaction: {tx}");
    assert!(
        tx["blobVersionedHashes"]
            .as_array()
            .is_some_and(|h| !h.is_empty()),
        "commit carries blobs: {tx}"
    );
    let batch = rpc(&l2_url, "quire_getBatchByNumber", json!(["0x1"])).await;
    assert_eq!(batch["result"]["status"], "committed", "{batch}");

    // Ctrl-C: everything stops, exit code 0, anvil gone.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!answers(&l1_url).await, "anvil still running after Ctrl-C");
}
