//! The L1 deposit watcher against a real anvil and a real Bridge: deposits count only at the
//! confirmation depth, survive a restart without repeats, a deposit reorged out before its
//! confirmations is never recorded, and one a deeper reorg removes is forgotten and, once
//! mined again, recorded exactly once. A node credits confirmed deposits on L2, once each,
//! across restarts, and a fresh account spends what its deposit brought. `quire wallet`
//! deposits and withdraws, and refuses to claim before the withdrawal's window is final.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use quire_contracts::bridge::{deploy_bridge, Bridge};
use quire_deposits::{DepositStore, DepositWatcher, PollOutcome, WatcherConfig};
use quire_tests::*;
use serde_json::json;

const ETH: u128 = 1_000_000_000_000_000_000;

async fn mine(url: &str, blocks: u64) {
    let r = rpc(url, "anvil_mine", json!([blocks])).await;
    assert!(r["error"].is_null(), "{r}");
}

async fn head(url: &str) -> u64 {
    provider(url).get_block_number().await.unwrap()
}

/// Removes the blocks from `from` on (anvil mines as many empty ones in their place).
async fn reorg_from(url: &str, from: u64) {
    let depth = head(url).await - from + 1;
    let r = rpc(url, "anvil_reorg", json!([depth, []])).await;
    assert!(r["error"].is_null(), "{r}");
}

struct Fixture {
    l1: AnvilL1,
    bridge: Address,
    from_block: u64,
    user: PrivateKeySigner,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Self {
        let l1 = AnvilL1::start().await;
        let keys = keys();
        let bridge = deploy_bridge(
            &wallet_provider(&l1.url, keys[0].clone()),
            keys[1].address(),
        )
        .await
        .unwrap();
        let from_block = head(&l1.url).await;
        Self {
            l1,
            bridge,
            from_block,
            user: keys[2].clone(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A watcher over the fixture's store, as a node (re)starting would build it.
    fn watcher(&self, confirmations: u64) -> (DepositWatcher, Arc<DepositStore>) {
        let store = Arc::new(DepositStore::open(self.dir.path()).unwrap());
        let w = DepositWatcher::new(
            WatcherConfig {
                l1_rpc_url: self.l1.url.clone(),
                l1_chain_id: Some(31_337),
                bridge: self.bridge,
                from_block: self.from_block,
                confirmations,
                poll: Duration::from_millis(50),
                max_range: 1_000,
            },
            store.clone(),
        )
        .unwrap();
        (w, store)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_count_at_the_confirmation_depth_and_survive_a_restart_once() {
    let f = Fixture::new().await;
    let url = f.l1.url.clone();
    let alice = Address::repeat_byte(0xa1);
    let (watcher, store) = f.watcher(3);

    let r = deposit(&url, &f.user, f.bridge, alice, 7_000).await;
    let mined = r.block_number.unwrap();
    // One confirmation (the deposit's own block), then two: not yet.
    assert_eq!(watcher.poll_once().await.unwrap().recorded, 0);
    mine(&url, 1).await;
    assert_eq!(watcher.poll_once().await.unwrap().recorded, 0);
    assert_eq!(store.next_index().unwrap(), 0);
    // Three.
    mine(&url, 1).await;
    let out = watcher.poll_once().await.unwrap();
    assert_eq!(
        out,
        PollOutcome {
            recorded: 1,
            rolled_back: 0,
            cursor: Some(mined)
        }
    );
    let seen = store.deposit(0).unwrap().unwrap();
    assert_eq!(seen.deposit.recipient, alice);
    assert_eq!(seen.deposit.amount, 7_000);
    assert_eq!(seen.deposit.l1_block, mined);
    assert_eq!(seen.l1_tx, r.transaction_hash);
    assert_eq!(Some(seen.l1_block_hash), r.block_hash);
    let on_l1 = contract_view(&url, f.bridge, Bridge::depositAtCall { index: 0 }).await;
    assert_eq!(
        seen.queue_hash, on_l1.hashAfter,
        "the Bridge's own queue head"
    );
    assert_eq!(on_l1.l1Block, mined);
    assert_eq!(store.by_l1_tx(&r.transaction_hash).unwrap(), vec![seen]);
    // Nothing new: nothing recorded again.
    assert_eq!(watcher.poll_once().await.unwrap().recorded, 0);

    // A restart (a new watcher over the reopened store) reads only what is new.
    let r2 = deposit(&url, &f.user, f.bridge, alice, 8_000).await;
    mine(&url, 2).await;
    drop((watcher, store));
    let (watcher, store) = f.watcher(3);
    assert_eq!(watcher.poll_once().await.unwrap().recorded, 1);
    assert_eq!(store.next_index().unwrap(), 2);
    assert_eq!(
        store.deposit(1).unwrap().unwrap().l1_tx,
        r2.transaction_hash
    );
    assert_eq!(store.deposit(0).unwrap().unwrap(), seen);

    // The running task does the same on its own.
    let r3 = deposit(&url, &f.user, f.bridge, alice, 9_000).await;
    mine(&url, 2).await;
    let task = tokio::spawn(watcher.run());
    wait_for(Duration::from_secs(30), || async {
        (store.next_index().unwrap() == 3).then_some(())
    })
    .await
    .expect("the running watcher records the third deposit");
    task.abort();
    assert_eq!(
        store.deposit(2).unwrap().unwrap().l1_tx,
        r3.transaction_hash
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorged_deposits_are_never_recorded_early_and_recorded_once_when_mined_again() {
    let f = Fixture::new().await;
    let url = f.l1.url.clone();
    let bob = Address::repeat_byte(0xb0);

    // Depth 3: a deposit reorged out after one confirmation was never recorded.
    {
        let (watcher, store) = f.watcher(3);
        let r = deposit(&url, &f.user, f.bridge, bob, 1_000).await;
        assert_eq!(watcher.poll_once().await.unwrap().recorded, 0);
        reorg_from(&url, r.block_number.unwrap()).await;
        mine(&url, 5).await;
        let out = watcher.poll_once().await.unwrap();
        assert_eq!(out.recorded, 0);
        assert_eq!(store.next_index().unwrap(), 0);
    }

    // Depth 1 stands in for a reorg deeper than the depth: the deposit is recorded, L1
    // removes its block, the watcher forgets it; mined again, it is recorded once, at its
    // new block.
    let (watcher, store) = f.watcher(1);
    let kept = deposit(&url, &f.user, f.bridge, bob, 2_000).await;
    mine(&url, 1).await;
    let r = deposit(&url, &f.user, f.bridge, bob, 3_000).await;
    let out = watcher.poll_once().await.unwrap();
    assert_eq!(out.recorded, 2);
    let removed_block = r.block_number.unwrap();
    reorg_from(&url, removed_block).await;
    let out = watcher.poll_once().await.unwrap();
    assert_eq!(
        out.rolled_back, 1,
        "the removed block's deposit is forgotten"
    );
    assert_eq!(store.next_index().unwrap(), 1);
    assert_eq!(
        store.deposit(0).unwrap().unwrap().l1_tx,
        kept.transaction_hash,
        "the deposit before the fork stands"
    );
    assert_eq!(store.by_l1_tx(&r.transaction_hash).unwrap(), vec![]);
    // The user sends it again; the queue on the new chain holds it at index 1.
    let again = deposit(&url, &f.user, f.bridge, bob, 3_000).await;
    assert_ne!(again.block_hash, r.block_hash);
    wait_for(Duration::from_secs(10), || async {
        watcher.poll_once().await.ok()?;
        (store.next_index().unwrap() == 2).then_some(())
    })
    .await
    .unwrap();
    let seen = store.deposit(1).unwrap().unwrap();
    assert_eq!(seen.l1_tx, again.transaction_hash);
    assert_eq!(Some(seen.l1_block_hash), again.block_hash);
    let on_l1 = contract_view(&url, f.bridge, Bridge::depositAtCall { index: 1 }).await;
    assert_eq!(seen.queue_hash, on_l1.hashAfter);
    assert_eq!(watcher.poll_once().await.unwrap().recorded, 0);
    assert_eq!(store.next_index().unwrap(), 2, "recorded exactly once");
    assert_ne!(seen.l1_block_hash, B256::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_bound_to_one_bridge_refuses_another() {
    let f = Fixture::new().await;
    let (_w, _store) = f.watcher(1);
    drop((_w, _store));
    let store = Arc::new(DepositStore::open(f.dir.path()).unwrap());
    let other = DepositWatcher::new(
        WatcherConfig {
            l1_rpc_url: f.l1.url.clone(),
            l1_chain_id: None,
            bridge: Address::repeat_byte(0x99),
            from_block: f.from_block,
            confirmations: 1,
            poll: Duration::from_millis(50),
            max_range: 1_000,
        },
        store,
    );
    assert!(other.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_refuses_another_l1_than_the_configured_one() {
    let f = Fixture::new().await;
    let store = Arc::new(DepositStore::open(f.dir.path()).unwrap());
    let watcher = DepositWatcher::new(
        WatcherConfig {
            l1_rpc_url: f.l1.url.clone(),
            l1_chain_id: Some(1),
            bridge: f.bridge,
            from_block: f.from_block,
            confirmations: 1,
            poll: Duration::from_millis(50),
            max_range: 1_000,
        },
        store.clone(),
    )
    .unwrap();
    deposit(&f.l1.url, &f.user, f.bridge, Address::repeat_byte(1), 1_000).await;
    let e = tokio::time::timeout(Duration::from_secs(30), watcher.run())
        .await
        .expect("the watcher stops at once");
    assert!(
        matches!(
            e,
            quire_deposits::WatcherError::WrongChain {
                want: 1,
                got: 31_337
            }
        ),
        "{e}"
    );
    assert_eq!(store.cursor().unwrap(), None, "nothing scanned");
}

/// The node wiring: a devnet-style node deploys a Bridge for its Rollup at first start,
/// follows it, and serves a deposit's status by its L1 transaction hash; restarted, it
/// remembers the Bridge (deploys nothing) and resumes without repeating a deposit. A node
/// without a Bridge says so.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_follows_its_bridge_and_serves_deposit_status_by_l1_transaction() {
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.aggregation.enabled = true;
    quire_node::devnet::settle_on(&mut cfg, &l1.url).unwrap();
    cfg.l1.poll_ms = Some(100);
    let node = start_node(cfg.clone()).await;
    let bridge = node.deposits.as_ref().expect("following deposits").bridge;
    let operator = keys()[0].address();
    assert_eq!(
        bridge,
        operator.create(2),
        "Verifier, Rollup, then the Bridge"
    );
    let url = node.http_url();
    let user = keys()[3].clone();
    let alice = Address::repeat_byte(0xa2);

    let r = deposit(&l1.url, &user, bridge, alice, 12_345).await;
    let tx = r.transaction_hash;
    let status = wait_for(Duration::from_secs(30), || async {
        let s = rpc(&url, "quire_getDepositStatus", json!([tx])).await["result"].clone();
        (s["deposits"].as_array()?.len() == 1).then_some(s)
    })
    .await
    .expect("the deposit is served once confirmed");
    let d = &status["deposits"][0];
    assert_eq!(d["index"], json!("0x0"));
    assert_eq!(d["l2Recipient"], json!(alice));
    assert_eq!(d["amount"], json!(format!("{:#x}", 12_345)));
    assert_eq!(
        d["l1Block"],
        json!(format!("{:#x}", r.block_number.unwrap()))
    );
    assert_eq!(d["l1BlockHash"], json!(r.block_hash.unwrap()));
    assert_eq!(d["l1TransactionHash"], json!(tx));
    assert!(
        [json!("confirmed"), json!("credited")].contains(&d["status"]),
        "{status}"
    );
    assert_eq!(status["queued"], json!("0x1"));
    let on_l1 = contract_view(&l1.url, bridge, Bridge::depositAtCall { index: 0 }).await;
    assert_eq!(d["queueHash"], json!(on_l1.hashAfter));
    // A transaction that made no deposit: none, with how far the node has read.
    let none = rpc(
        &url,
        "quire_getDepositStatus",
        json!([B256::repeat_byte(5)]),
    )
    .await;
    assert_eq!(none["result"]["deposits"], json!([]), "{none}");
    assert!(none["result"]["scannedL1Block"].is_string(), "{none}");
    // A malformed hash is refused.
    let bad = rpc(&url, "quire_getDepositStatus", json!(["0x12"])).await;
    assert_eq!(bad["error"]["code"], json!(-32602), "{bad}");

    // The sequencer credits it on L2, and the status says so.
    wait_for(Duration::from_secs(30), || async {
        (l2_balance(&url, alice).await == 12_345).then_some(())
    })
    .await
    .expect("the deposit is credited on L2");
    let s = rpc(&url, "quire_getDepositStatus", json!([tx])).await["result"].clone();
    assert_eq!(s["deposits"][0]["status"], json!("credited"), "{s}");
    assert_eq!(s["credited"], json!("0x1"), "{s}");
    // The L2 block it names is the one that credited it.
    let block = s["deposits"][0]["l2Block"]
        .as_str()
        .expect("an L2 block")
        .to_string();
    let n = u64::from_str_radix(block.trim_start_matches("0x"), 16).unwrap();
    let at = |n: u64| {
        let url = url.clone();
        async move {
            let r = rpc(&url, "eth_getBalance", json!([alice, format!("{n:#x}")])).await;
            r["result"].clone()
        }
    };
    assert_eq!(at(n).await, json!("0x3039"));
    assert_eq!(at(n - 1).await, json!("0x0"));

    // A deposit to a fresh account: the account appears on L2 and spends what it got.
    let fresh = PrivateKeySigner::random();
    deposit(&l1.url, &user, bridge, fresh.address(), ETH).await;
    wait_for(Duration::from_secs(30), || async {
        (l2_balance(&url, fresh.address()).await == ETH).then_some(())
    })
    .await
    .expect("the fresh account is credited");
    let sent = rpc(
        &url,
        "eth_sendRawTransaction",
        json!([sign(&fresh, transfer(0, alice, U256::from(1_000)))]),
    )
    .await;
    let receipt = wait_receipt(&url, sent["result"].as_str().expect("accepted")).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(l2_balance(&url, alice).await, 12_345 + 1_000);
    node.shutdown().await.unwrap();

    // Restarted: the same Bridge (a deployment would have given a new one), the deposit
    // not repeated.
    let r2 = deposit(&l1.url, &user, bridge, alice, 777).await;
    let node = start_node(cfg).await;
    assert_eq!(node.deposits.as_ref().unwrap().bridge, bridge);
    let url = node.http_url();
    wait_for(Duration::from_secs(30), || async {
        let s = rpc(&url, "quire_getDepositStatus", json!([r2.transaction_hash])).await;
        (s["result"]["deposits"].as_array()?.len() == 1).then_some(())
    })
    .await
    .expect("the deposit made while the node was down is served");
    let store = node.deposits.as_ref().unwrap().store.clone();
    assert_eq!(store.next_index().unwrap(), 3, "three deposits, each once");
    wait_for(Duration::from_secs(30), || async {
        (l2_balance(&url, alice).await == 12_345 + 1_000 + 777).then_some(())
    })
    .await
    .expect("the deposit made while the node was down is credited, the others not again");
    node.shutdown().await.unwrap();

    // Without L1, the method says the node follows no Bridge.
    let plain = start_node(test_config(&dir.path().join("plain"))).await;
    let r = rpc(&plain.http_url(), "quire_getDepositStatus", json!([tx])).await;
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not follow a Bridge")),
        "{r}"
    );
    plain.shutdown().await.unwrap();
}

/// `quire wallet deposit` waits until L2 credits the deposit; `quire wallet withdraw` sends
/// a withdrawal the node serves with `quire_getWithdrawalProof` (not finalized: no
/// provers here); `quire wallet claim` refuses it; a transaction that is not a withdrawal
/// is refused by the method, an unknown one is `null`.
#[tokio::test(flavor = "multi_thread")]
async fn the_wallet_deposits_withdraws_and_refuses_an_early_claim() {
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 1;
    cfg.production.batch_max_age_ms = 500;
    quire_node::devnet::settle_on(&mut cfg, &l1.url).unwrap();
    cfg.l1.poll_ms = Some(100);
    let node = start_node(cfg).await;
    let bridge = node.deposits.as_ref().expect("following deposits").bridge;
    let url = node.http_url();
    let fresh = PrivateKeySigner::random();
    let wallet = |key: &PrivateKeySigner, args: &[&str]| {
        let out = std::process::Command::new(quire_binary())
            .args(["wallet", "--l1-rpc", &l1.url, "--l2-rpc", &url, "--bridge"])
            .arg(bridge.to_string())
            .args(args)
            .env("QUIRE_WALLET_KEY", key_hex(key))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let to = fresh.address().to_string();
    let (ok, out, err) = wallet(
        &keys()[4],
        &["deposit", "--amount", "0.01", "--to", &to, "--wait", "60"],
    );
    assert!(ok && out.contains("credited on L2"), "{out}{err}");
    assert_eq!(l2_balance(&url, fresh.address()).await, ETH / 100);
    let (ok, out, err) = wallet(&fresh, &["withdraw", "--amount", "0.004"]);
    assert!(ok, "{out}{err}");
    let hash = out
        .split_whitespace()
        .find(|w| w.starts_with("0x") && w.len() == 66)
        .expect("the withdrawal's hash")
        .to_string();
    assert_eq!(
        l2_balance(&url, quire_primitives::WITHDRAWAL_ADDRESS).await,
        4 * ETH / 1000
    );
    let proof = wait_for(Duration::from_secs(30), || async {
        let p = rpc(&url, "quire_getWithdrawalProof", json!([hash])).await["result"].clone();
        (!p["index"].is_null()).then_some(p)
    })
    .await
    .expect("the withdrawal's batch seals");
    assert_eq!(proof["recipient"], json!(fresh.address()), "{proof}");
    assert_eq!(proof["amount"], json!(format!("{:#x}", 4 * ETH / 1000)));
    assert_eq!(proof["index"], json!("0x0"));
    assert_ne!(proof["status"], json!("finalized"));
    let (ok, _, err) = wallet(&fresh, &["claim", "--tx", &hash]);
    assert!(!ok && err.contains("not finalized"), "{err}");
    // Not a withdrawal, or no such transaction.
    let sent = rpc(
        &url,
        "eth_sendRawTransaction",
        json!([sign(
            &keys()[1],
            transfer(0, Address::repeat_byte(0x31), U256::from(5))
        )]),
    )
    .await;
    let plain = sent["result"].as_str().expect("accepted").to_string();
    wait_receipt(&url, &plain).await;
    let r = rpc(&url, "quire_getWithdrawalProof", json!([plain])).await;
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a withdrawal")),
        "{r}"
    );
    let r = rpc(
        &url,
        "quire_getWithdrawalProof",
        json!([B256::repeat_byte(3)]),
    )
    .await;
    assert_eq!(r["result"], json!(null), "{r}");
    node.shutdown().await.unwrap();
}
