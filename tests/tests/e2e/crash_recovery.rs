//! kill -9 the `quire` process with transactions pending and included: after a restart every
//! acknowledged transaction is pending or included, and receipts and balances are unchanged.
//! SIGTERM stops the node cleanly with exit code 0.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use quire_tests::*;
use serde_json::{json, Value};

fn raw(signer: &PrivateKeySigner, nonce: u64, to: Address) -> String {
    sign(signer, transfer(nonce, to, U256::from(1_000 + nonce)))
}

struct NodeProcess {
    child: Child,
    url: String,
}

async fn spawn(config_path: &std::path::Path, port: u16) -> NodeProcess {
    let child = Command::new(quire_binary())
        .args(["node", "--no-metrics", "--config"])
        .arg(config_path)
        .env("QUIRE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawning quire node");
    let url = format!("http://127.0.0.1:{port}");
    wait_answering(&url, Duration::from_secs(30)).await;
    NodeProcess { child, url }
}

fn write_config(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    let mut cfg = test_config(&dir.join("data"));
    cfg.rpc.addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.production.block_time_ms = 20;
    let path = dir.join("quire.toml");
    std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let mut node = spawn(&config, port).await;
    let url = node.url.clone();
    let keys = keys();
    let (a, b, c) = (&keys[6], &keys[7], &keys[8]);
    let to = Address::repeat_byte(0x99);

    // Included before the crash.
    let mut included = Vec::new();
    for nonce in 0..20 {
        let r = rpc(&url, "eth_sendRawTransaction", json!([raw(a, nonce, to)])).await;
        included.push(r["result"].as_str().expect("accepted").to_string());
    }
    let mut receipts = Vec::new();
    for h in &included {
        receipts.push(wait_receipt(&url, h).await);
    }
    let balance_a =
        rpc(&url, "eth_getBalance", json!([a.address(), "latest"])).await["result"].clone();

    // Pending at the crash: a nonce gap keeps B's queued; C's burst races the producer.
    let mut acknowledged = Vec::new();
    for nonce in 1..6 {
        let r = rpc(&url, "eth_sendRawTransaction", json!([raw(b, nonce, to)])).await;
        acknowledged.push(r["result"].as_str().expect("queued").to_string());
    }
    for nonce in 0..40 {
        let r = rpc(&url, "eth_sendRawTransaction", json!([raw(c, nonce, to)])).await;
        acknowledged.push(r["result"].as_str().expect("accepted").to_string());
    }
    node.child.kill().expect("SIGKILL");
    node.child.wait().unwrap();

    let mut node = spawn(&config, port).await;
    let url = node.url.clone();
    for (h, before) in included.iter().zip(&receipts) {
        let after = rpc(&url, "eth_getTransactionReceipt", json!([h])).await["result"].clone();
        assert_eq!(&after, before, "receipt of {h} changed across the crash");
    }
    assert_eq!(
        rpc(&url, "eth_getBalance", json!([a.address(), "latest"])).await["result"],
        balance_a
    );
    for h in &acknowledged {
        let tx = rpc(&url, "eth_getTransactionByHash", json!([h])).await["result"].clone();
        assert!(
            tx.is_object(),
            "acknowledged transaction {h} lost in the crash"
        );
    }
    // Filling B's gap releases the queued transactions: all end up included.
    let gap = rpc(&url, "eth_sendRawTransaction", json!([raw(b, 0, to)])).await;
    assert!(gap["result"].is_string(), "{gap}");
    for h in &acknowledged {
        wait_receipt(&url, h).await;
    }
    assert_eq!(
        rpc(
            &url,
            "eth_getTransactionCount",
            json!([b.address(), "latest"])
        )
        .await["result"],
        "0x6"
    );
    assert_eq!(
        rpc(
            &url,
            "eth_getTransactionCount",
            json!([c.address(), "latest"])
        )
        .await["result"],
        "0x28"
    );
    node.child.kill().unwrap();
    node.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_cleanly_and_restarts_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let mut node = spawn(&config, port).await;
    let key = &keys()[9];
    let hash = rpc(
        &node.url,
        "eth_sendRawTransaction",
        json!([raw(key, 0, Address::repeat_byte(0x55))]),
    )
    .await["result"]
        .clone();
    let receipt = wait_receipt(&node.url, hash.as_str().unwrap()).await;
    let head: Value = rpc(&node.url, "eth_blockNumber", json!([])).await["result"].clone();
    let status = Command::new("kill")
        .args(["-TERM", &node.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = node.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM must exit 0");

    let mut node = spawn(&config, port).await;
    assert_eq!(
        rpc(&node.url, "eth_blockNumber", json!([])).await["result"],
        head
    );
    assert_eq!(
        rpc(&node.url, "eth_getTransactionReceipt", json!([hash])).await["result"],
        receipt
    );
    node.child.kill().unwrap();
    node.child.wait().unwrap();
}

fn write_l1_config(dir: &std::path::Path, port: u16, l1: &str, credit: bool) -> std::path::PathBuf {
    let mut cfg = test_config(&dir.join("data"));
    cfg.rpc.addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.production.block_time_ms = 20;
    cfg.aggregation.enabled = true;
    quire_node::devnet::settle_on(&mut cfg, l1).unwrap();
    cfg.l1.poll_ms = Some(50);
    cfg.l1.credit_deposits = credit;
    let path = dir.join("quire.toml");
    std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_between_seeing_and_crediting_deposits_credits_each_exactly_once() {
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let user = keys()[4].clone();
    let bridge = keys()[0].address().create(2);
    let alice = Address::repeat_byte(0xa7);

    // Seen but not credited (the test switch is off), then killed.
    let config = write_l1_config(dir.path(), port, &l1.url, false);
    let mut node = spawn(&config, port).await;
    for wei in [1_000, 2_000] {
        deposit(&l1.url, &user, bridge, alice, wei).await;
    }
    let seen = wait_for(Duration::from_secs(30), || async {
        let s = rpc(&node.url, "quire_getDepositStatus", json!([B256::ZERO])).await;
        (s["result"]["queued"] == json!("0x2")).then_some(s)
    })
    .await
    .expect("both deposits seen");
    assert_eq!(seen["result"]["credited"], json!("0x0"), "{seen}");
    assert_eq!(l2_balance(&node.url, alice).await, 0);
    node.child.kill().expect("SIGKILL");
    node.child.wait().unwrap();

    // Restarted crediting: both arrive once. A third deposit races the next kill.
    let config = write_l1_config(dir.path(), port, &l1.url, true);
    let mut node = spawn(&config, port).await;
    wait_for(Duration::from_secs(30), || async {
        (l2_balance(&node.url, alice).await == 3_000).then_some(())
    })
    .await
    .expect("the seen deposits are credited after the restart");
    deposit(&l1.url, &user, bridge, alice, 4_000).await;
    node.child.kill().expect("SIGKILL");
    node.child.wait().unwrap();

    let mut node = spawn(&config, port).await;
    wait_for(Duration::from_secs(30), || async {
        (l2_balance(&node.url, alice).await == 7_000).then_some(())
    })
    .await
    .expect("the third deposit is credited once");
    // Nothing is credited twice later either.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(l2_balance(&node.url, alice).await, 7_000);
    let s = rpc(&node.url, "quire_getDepositStatus", json!([B256::ZERO])).await;
    assert_eq!(s["result"]["credited"], json!("0x3"), "{s}");
    node.child.kill().unwrap();
    node.child.wait().unwrap();
}
