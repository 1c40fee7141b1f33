//! A batch built by the running sequencer proves and verifies with `quire prove-batch` and
//! `quire verify-batch`, run as separate processes beside the live node; the proof's roots
//! are the sequencer's; tampered proofs and unprovable batches fail with clear errors.

use std::process::{Command, Output};
use std::time::Duration;

use alloy::primitives::{Address, U256};
use quire_tests::*;
use serde_json::{json, Value};

fn quire(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(quire_binary())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("QUIRE_LOG", "info")
        .output()
        .expect("running quire")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn batch(url: &str, n: u64) -> Value {
    rpc(url, "quire_getBatchByNumber", json!([format!("0x{n:x}")])).await["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sequencer_batch_proves_and_verifies_against_the_stored_batch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cfg = test_config(&data);
    cfg.production.batch_max_txs = 8;
    cfg.production.batch_max_age_ms = 60_000;
    let fee_recipient = cfg.production.fee_recipient;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let k = keys();
    let fresh = [Address::repeat_byte(0x51), Address::repeat_byte(0x05)];

    // Several transfers per sender, to existing and new accounts, and from the fee
    // recipient's future balance holder back: eight transfers fill batch 1.
    let txs = [
        sign(
            &k[0],
            transfer(0, k[1].address(), U256::from(10u64.pow(18))),
        ),
        sign(&k[0], transfer(1, fresh[0], U256::from(5u64))),
        sign(&k[0], transfer(2, k[2].address(), U256::from(7u64))),
        sign(&k[1], transfer(0, fresh[1], U256::from(10u64.pow(17)))),
        sign(&k[1], transfer(1, k[0].address(), U256::from(1u64))),
        sign(&k[2], transfer(0, fresh[0], U256::from(3u64))),
        sign(&k[2], transfer(1, fee_recipient, U256::from(11u64))),
        sign(&k[3], transfer(0, k[3].address(), U256::from(2u64))),
    ];
    let mut hashes = Vec::new();
    for raw in &txs {
        let r = rpc(&url, "eth_sendRawTransaction", json!([raw])).await;
        hashes.push(r["result"].as_str().expect("accepted").to_string());
    }
    for h in &hashes {
        wait_receipt(&url, h).await;
    }
    let sealed = wait_for(Duration::from_secs(20), || async {
        let b = batch(&url, 1).await;
        (b["status"] == "sealed").then_some(b)
    })
    .await
    .expect("batch 1 seals");
    assert_eq!(sealed["txCount"], "0x8");

    // Prove beside the running node.
    let proof_path = dir.path().join("batch-1.json");
    let out = quire(
        &["prove-batch", "1", "--out", proof_path.to_str().unwrap()],
        &data,
    );
    assert!(out.status.success(), "prove-batch failed: {}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("verified against the stored batch: ok"),
        "{printed}"
    );
    let root = sealed["stateRoot"].as_str().unwrap();
    let prev = sealed["prevStateRoot"].as_str().unwrap();
    let commitment = sealed["txCommitment"].as_str().unwrap();
    assert!(
        printed.contains(&format!("new state root   {root}")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("prev state root  {prev}")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("tx commitment    {commitment}")),
        "{printed}"
    );
    assert!(printed.contains("transfers        8"), "{printed}");
    assert!(
        printed.contains(&format!("fee recipient    {fee_recipient}")),
        "{printed}"
    );

    // Verify in another process: the circuit comes from the on-disk cache.
    let out = quire(&["verify-batch", proof_path.to_str().unwrap()], &data);
    assert!(out.status.success(), "verify-batch failed: {}", text(&out));
    assert!(
        text(&out).contains("loaded cached batch circuit"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("matches the stored batch: ok"));

    // A flipped byte in the proof fails.
    let mut file: Value = serde_json::from_slice(&std::fs::read(&proof_path).unwrap()).unwrap();
    let hex = file["proof"].as_str().unwrap().to_string();
    let at = hex.len() / 2;
    let flipped = if &hex[at..at + 1] == "0" { "1" } else { "0" };
    file["proof"] = json!(format!("{}{}{}", &hex[..at], flipped, &hex[at + 1..]));
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, serde_json::to_vec(&file).unwrap()).unwrap();
    let out = quire(&["verify-batch", bad.to_str().unwrap()], &data);
    assert!(
        !out.status.success(),
        "a tampered proof verified: {}",
        text(&out)
    );

    // A proof relabelled as another batch fails.
    file["proof"] = json!(hex);
    file["batch_number"] = json!(2);
    std::fs::write(&bad, serde_json::to_vec(&file).unwrap()).unwrap();
    let out = quire(&["verify-batch", bad.to_str().unwrap()], &data);
    assert!(!out.status.success());
    assert!(text(&out).contains("public inputs say 1"), "{}", text(&out));

    // A proof file naming a made-up circuit shape is refused before anything is built.
    file["batch_number"] = json!(1);
    file["shape"] = json!({"slots": 1_000_000_000u64, "depth": 32});
    std::fs::write(&bad, serde_json::to_vec(&file).unwrap()).unwrap();
    let out = quire(&["verify-batch", bad.to_str().unwrap()], &data);
    assert!(!out.status.success());
    assert!(text(&out).contains("not a standard one"), "{}", text(&out));

    // Batches that cannot be proven say why.
    let out = quire(&["prove-batch", "0"], &data);
    assert!(!out.status.success());
    assert!(text(&out).contains("holds only genesis"), "{}", text(&out));
    let out = quire(&["prove-batch", "99"], &data);
    assert!(!out.status.success());
    assert!(text(&out).contains("does not exist"), "{}", text(&out));

    node.shutdown().await.unwrap();
}
