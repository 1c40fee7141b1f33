//! L1 settlement end to end on a real anvil: an L1 deposit (sent with cast) credited on L2,
//! a withdrawal of part of it (sent with cast on L2) and transfers → their window
//! committed in a type-3 blob transaction (before any proof exists) → the node process
//! killed (-9) between commit and prove resumes without a second commit → the final proof
//! finalizes the window on L1 (the Verifier accepts it, the Rollup records the
//! withdrawal in the Bridge) → L1's finalized root is the node's state root and the
//! `finalized` tag moves → the withdrawal is claimed on L1 with cast and the recipient's
//! L1 balance grows by the amount; a second claim is refused → the state rebuilt from L1
//! alone has the same root. Then a commit dropped from anvil's pool is sent again, and one
//! priced out by the base fee is replaced with bumped fees. Forced inclusion: a commit
//! that leaves a deposit waiting past the Rollup's deadline reverts.

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use quire_contracts::rollup::Rollup;
use quire_primitives::WITHDRAWAL_ADDRESS;
use quire_tests::*;
use serde_json::{json, Value};

async fn batch(url: &str, n: u64) -> Value {
    rpc(url, "quire_getBatchByNumber", json!([format!("0x{n:x}")])).await["result"].clone()
}

async fn wait_field(url: &str, n: u64, field: &str, timeout: Duration) -> Value {
    wait_for(timeout, || async {
        let b = batch(url, n).await;
        (!b[field].is_null()).then(|| b[field].clone())
    })
    .await
    .unwrap_or_else(|_| panic!("batch {n} has no {field} after {timeout:?}"))
}

/// The operator's transaction waiting in anvil's pool.
async fn pending_commit(l1: &str) -> String {
    wait_for(Duration::from_secs(60), || async {
        let pool = rpc(l1, "txpool_content", json!([])).await["result"]["pending"].clone();
        pool.as_object()
            .and_then(|senders| senders.values().next())
            .and_then(|txs| txs.as_object())
            .and_then(|txs| txs.values().next())
            .and_then(|tx| tx["hash"].as_str().map(str::to_string))
    })
    .await
    .expect("a commit in the L1 pool")
}

/// `quire node` as a process (so a kill -9 can stop it) on `port`.
struct NodeProcess(Child);

impl NodeProcess {
    async fn spawn(config: &Path, url: &str) -> Self {
        let node = Self(spawn_node(config));
        wait_answering(url, Duration::from_secs(120)).await;
        node
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_settle_on_l1_and_the_state_rebuilds_from_l1_alone() {
    let _memory = one_aggregating_test_at_a_time().await;
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    let port = free_port();
    cfg.rpc.addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.production.batch_max_txs = 3;
    cfg.proving.circuits_dir = Some(shared_circuits_dir());
    cfg.proving.workers = Some(1);
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 1;
    quire_node::devnet::settle_on(&mut cfg, &l1.url).unwrap();
    cfg.l1.poll_ms = Some(200);
    cfg.l1.stuck_blocks = 2;
    let config = dir.path().join("quire.toml");
    std::fs::write(&config, toml::to_string(&cfg).unwrap()).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut node = NodeProcess::spawn(&config, &url).await;
    // The operator deploys the Verifier (nonce 0), the Rollup (nonce 1), then the Bridge
    // (nonce 2).
    let operator = keys()[0].address();
    let rollup = operator.create(1);
    let bridge = operator.create(2);
    // Window 1 credits an L1 deposit (in its first block) to an account that exists only
    // through it, which withdraws part of it; then two transfers: its proof, its data and
    // the rebuilt state cover the deposit and the withdrawal too.
    let depositor = keys()[5].clone();
    // An account that exists only through the deposit: not one of the prefunded keys, and
    // without ETH on L1, so that its L1 balance is exactly what its claim pays.
    let user = alloy::signers::local::PrivateKeySigner::from_slice(
        alloy::primitives::keccak256("settlement test user").as_slice(),
    )
    .unwrap();
    let deposited: u128 = 10_000_000_000_000_000;
    let sent = run_cast(&[
        "send",
        &bridge.to_string(),
        "deposit(address)",
        &user.address().to_string(),
        "--value",
        &deposited.to_string(),
        "--private-key",
        &key_hex(&depositor),
        "--rpc-url",
        &l1.url,
    ])
    .expect("cast sends the deposit");
    assert!(sent.contains("status               1"), "{sent}");
    wait_for(Duration::from_secs(30), || async {
        (l2_balance(&url, user.address()).await == deposited).then_some(())
    })
    .await
    .expect("the deposit is credited on L2");
    // Withdrawing more than the balance is refused; a withdrawal of part of it is taken.
    let too_much = run_cast(&[
        "send",
        &WITHDRAWAL_ADDRESS.to_string(),
        "--value",
        &deposited.to_string(),
        "--private-key",
        &key_hex(&user),
        "--rpc-url",
        &url,
    ]);
    assert!(
        too_much
            .as_ref()
            .is_err_and(|e| e.to_string().contains("insufficient funds")),
        "{too_much:?}"
    );
    let withdrawn: u128 = 3_000_000_000_000_000;
    let out = run_cast(&[
        "send",
        &WITHDRAWAL_ADDRESS.to_string(),
        "--value",
        &withdrawn.to_string(),
        "--private-key",
        &key_hex(&user),
        "--rpc-url",
        &url,
        "--json",
    ])
    .expect("cast sends the withdrawal");
    let receipt: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let withdrawal = receipt["transactionHash"].as_str().unwrap().to_string();
    assert_eq!(l2_balance(&url, WITHDRAWAL_ADDRESS).await, withdrawn);
    send_two_transfers(&url, 0, 0x60, 5).await;
    // Not claimable before its window is finalized.
    let early = std::process::Command::new(quire_binary())
        .args(["wallet", "--l1-rpc", &l1.url, "--l2-rpc", &url, "--bridge"])
        .arg(bridge.to_string())
        .args(["claim", "--tx", &withdrawal])
        .env("QUIRE_WALLET_KEY", key_hex(&user))
        .output()
        .unwrap();
    assert!(!early.status.success());
    assert!(
        String::from_utf8_lossy(&early.stderr).contains("not finalized"),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );

    // The window is committed with a blob before its proof exists.
    let commit = wait_field(&url, 1, "committed", Duration::from_secs(60)).await;
    let tx = rpc(&l1.url, "eth_getTransactionByHash", json!([commit])).await["result"].clone();
    assert_eq!(tx["type"], json!("0x3"), "a blob transaction: {tx}");
    assert_eq!(tx["blobVersionedHashes"].as_array().map(Vec::len), Some(1));
    let ran = run_cast(&["tx", commit.as_str().unwrap(), "--rpc-url", &l1.url]).unwrap();
    assert!(
        ran.contains("blobVersionedHashes"),
        "cast shows the blob: {ran}"
    );
    assert_eq!(batch(&url, 1).await["finalized"], Value::Null);

    // kill -9 between commit and prove, restarted: the window is proven, not committed again.
    node.0.kill().expect("SIGKILL");
    let _ = node.0.wait();
    node = NodeProcess::spawn(&config, &url).await;
    let finalized = wait_field(&url, 1, "finalized", Duration::from_secs(900)).await;
    let receipt = wait_receipt(&l1.url, finalized.as_str().unwrap()).await;
    assert_eq!(receipt["status"], json!("0x1"));
    eprintln!(
        "L1 gas: commit {}, prove {}",
        wait_receipt(&l1.url, commit.as_str().unwrap()).await["gasUsed"],
        receipt["gasUsed"]
    );
    assert_eq!(batch(&url, 1).await["status"], json!("finalized"));
    assert_eq!(batch(&url, 1).await["depositCount"], json!("0x1"));
    let nonce = provider(&l1.url)
        .get_transaction_count(operator)
        .await
        .unwrap();
    assert_eq!(
        nonce, 6,
        "three deployments, setBridge, one commit, one prove: nothing sent twice"
    );
    assert_eq!(
        contract_view(&l1.url, rollup, Rollup::committedWindowsCall {}).await,
        1
    );
    assert_eq!(
        contract_view(&l1.url, rollup, Rollup::finalizedWindowsCall {}).await,
        1
    );
    let root: B256 = serde_json::from_value(batch(&url, 1).await["stateRoot"].clone()).unwrap();
    assert_eq!(
        contract_view(&l1.url, rollup, Rollup::finalizedStateRootCall {}).await,
        root,
        "L1's finalized root is the node's"
    );
    let last_block = batch(&url, 1).await["lastBlock"].clone();
    let fin =
        rpc(&url, "eth_getBlockByNumber", json!(["finalized", false])).await["result"].clone();
    assert_eq!(fin["number"], last_block, "the finalized tag follows L1");

    // The withdrawal is claimable: its proof names window 1, index 0, a tree of one leaf.
    let proof: Value = serde_json::from_str(
        &run_cast(&[
            "rpc",
            "quire_getWithdrawalProof",
            &withdrawal,
            "--rpc-url",
            &url,
        ])
        .unwrap(),
    )
    .unwrap();
    assert_eq!(proof["status"], json!("finalized"), "{proof}");
    assert_eq!(
        (&proof["window"], &proof["index"], &proof["position"]),
        (&json!("0x1"), &json!("0x0"), &json!("0x0")),
        "{proof}"
    );
    assert_eq!(proof["siblings"], json!([]));
    let recipient: Address = serde_json::from_value(proof["recipient"].clone()).unwrap();
    assert_eq!(recipient, user.address());
    // Claimed with cast by a third party: the recipient's L1 balance grows by exactly the
    // amount.
    let before = provider(&l1.url).get_balance(user.address()).await.unwrap();
    let claimed = run_cast(&[
        "send",
        &bridge.to_string(),
        "claimWithdrawal(uint256,uint64,address,uint96,uint256,bytes32[])",
        "1",
        "0",
        &user.address().to_string(),
        &withdrawn.to_string(),
        "0",
        "[]",
        "--private-key",
        &key_hex(&keys()[7]),
        "--rpc-url",
        &l1.url,
    ])
    .expect("cast sends the claim");
    assert!(claimed.contains("status               1"), "{claimed}");
    let after = provider(&l1.url).get_balance(user.address()).await.unwrap();
    assert_eq!(after - before, alloy::primitives::U256::from(withdrawn));
    // A second claim (here with the wallet, by another account) is refused.
    let again = std::process::Command::new(quire_binary())
        .args(["wallet", "--l1-rpc", &l1.url, "--l2-rpc", &url, "--bridge"])
        .arg(bridge.to_string())
        .args(["claim", "--tx", &withdrawal])
        .env("QUIRE_WALLET_KEY", key_hex(&keys()[8]))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && said.contains("revert"),
        "a second claim is refused: {said}"
    );
    assert_eq!(
        provider(&l1.url).get_balance(user.address()).await.unwrap(),
        after
    );

    // Anyone rebuilds the same state from L1 alone.
    let rebuilt = quire_settlement::reconstruct(&l1.url, rollup, &cfg.genesis)
        .await
        .expect("reconstruct");
    assert_eq!(
        (rebuilt.state_root, rebuilt.last_finalized_batch),
        (root, 1)
    );
    let out = std::process::Command::new(quire_binary())
        .args(["reconstruct", "--devnet", "--l1-rpc", &l1.url, "--rollup"])
        .arg(rollup.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["stateRoot"], json!(root), "{printed}");

    // A commit dropped from the L1 pool is sent again.
    rpc(&l1.url, "evm_setAutomine", json!([false])).await;
    send_two_transfers(&url, 1, 0x62, 5).await;
    let dropped = pending_commit(&l1.url).await;
    rpc(&l1.url, "anvil_dropTransaction", json!([dropped])).await;
    let again = pending_commit(&l1.url).await;
    assert_eq!(again, dropped, "the same signed commit, rebroadcast");
    // Priced out: the base fee jumps above its fee cap; after `stuck_blocks` empty-ish
    // blocks it is replaced with higher fees and mined.
    rpc(
        &l1.url,
        "anvil_setNextBlockBaseFeePerGas",
        json!(["0xe8d4a51000"]),
    )
    .await;
    rpc(&l1.url, "anvil_mine", json!(["0x1"])).await;
    rpc(&l1.url, "evm_setIntervalMining", json!([1])).await;
    let commit2 = wait_field(&url, 2, "committed", Duration::from_secs(60)).await;
    assert_ne!(
        commit2.as_str(),
        Some(dropped.as_str()),
        "replaced, not the priced-out one"
    );
    assert_eq!(
        contract_view(&l1.url, rollup, Rollup::committedWindowsCall {}).await,
        2
    );
    drop(node);
}

/// An L1 that is not the configured chain stops the sender with a clear error before it
/// sends anything; the node keeps serving.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_l1_chain_stops_the_sender_and_sends_nothing() {
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.aggregation.enabled = true;
    quire_node::devnet::settle_on(&mut cfg, &l1.url).unwrap();
    cfg.l1.chain_id = Some(1);
    let node = start_node(cfg).await;
    let status = node.settlement.as_ref().expect("settling").status.clone();
    let why = wait_for(Duration::from_secs(30), || async {
        status.read().unwrap().failure.clone()
    })
    .await
    .expect("the sender stops");
    assert!(why.contains("L1 chain id is 31337"), "{why}");
    // The deployments were the only transactions from the operator; no commit followed.
    let operator = keys()[0].address();
    let nonce = provider(&l1.url)
        .get_transaction_count(operator)
        .await
        .unwrap();
    assert_eq!(
        nonce, 4,
        "Verifier, Rollup and Bridge deployed, the Bridge named in the Rollup, nothing else"
    );
    send_two_transfers(&node.http_url(), 0, 0x70, 1).await;
    node.shutdown().await.unwrap();
}

/// L1 faults without proofs (commits only): a reorg that removes a mined commit is seen
/// and the same signed commit is sent again; a commit that L1 mines as reverted stops the
/// sender with a clear error, the node keeps serving, and after the operator fixes the
/// cause a restart commits the window afresh.
#[tokio::test(flavor = "multi_thread")]
async fn a_reorged_commit_is_sent_again_and_a_reverted_one_stops_the_sender() {
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 1;
    quire_node::devnet::settle_on(&mut cfg, &l1.url).unwrap();
    cfg.l1.poll_ms = Some(200);
    let node = start_node(cfg.clone()).await;
    let rollup = node.settlement.as_ref().expect("settling").rollup;
    let url = node.http_url();
    send_two_transfers(&url, 0, 0x80, 5).await;
    let commit = wait_field(&url, 1, "committed", Duration::from_secs(60)).await;
    let commit = commit.as_str().unwrap().to_string();
    let mined = wait_receipt(&l1.url, &commit).await;
    let mined_in = mined["blockNumber"].as_str().unwrap().to_string();
    let block = u64::from_str_radix(mined_in.trim_start_matches("0x"), 16).unwrap();

    // Reorg out every block from the commit's on (anvil drops their transactions).
    let head = provider(&l1.url).get_block_number().await.unwrap();
    let r = rpc(&l1.url, "anvil_reorg", json!([head - block + 1, []])).await;
    assert!(r["error"].is_null(), "{r}");
    let again = wait_for(Duration::from_secs(60), || async {
        let receipt = rpc(&l1.url, "eth_getTransactionReceipt", json!([commit])).await;
        let receipt = receipt["result"].clone();
        (!receipt.is_null() && receipt["blockHash"] != mined["blockHash"]).then_some(receipt)
    })
    .await
    .expect("the reorged-out commit mined again");
    assert_eq!(again["status"], json!("0x1"));
    assert_eq!(
        contract_view(&l1.url, rollup, Rollup::committedWindowsCall {}).await,
        1,
        "window 1 committed once, on the new chain"
    );
    assert_eq!(
        wait_field(&url, 1, "committed", Duration::from_secs(30)).await,
        json!(commit)
    );

    // A commit that reverts: while it waits in the pool, the Rollup's operator (slot 1)
    // changes, so L1 mines it as reverted.
    rpc(&l1.url, "evm_setAutomine", json!([false])).await;
    send_two_transfers(&url, 1, 0x82, 5).await;
    let pending = pending_commit(&l1.url).await;
    let operator_slot = B256::with_last_byte(1);
    let stranger = B256::left_padding_from(Address::repeat_byte(0x99).as_slice());
    let original = provider(&l1.url)
        .get_storage_at(rollup, operator_slot.into())
        .await
        .unwrap();
    rpc(
        &l1.url,
        "anvil_setStorageAt",
        json!([rollup, operator_slot, stranger]),
    )
    .await;
    rpc(&l1.url, "anvil_mine", json!(["0x1"])).await;
    let receipt = wait_receipt(&l1.url, &pending).await;
    assert_eq!(receipt["status"], json!("0x0"), "mined as reverted");
    let status = node.settlement.as_ref().unwrap().status.clone();
    let why = wait_for(Duration::from_secs(30), || async {
        status.read().unwrap().failure.clone()
    })
    .await
    .expect("the sender stops");
    assert!(why.contains("commit of window 2 reverted on L1"), "{why}");
    assert_eq!(batch(&url, 2).await["committed"], Value::Null);
    // The node keeps serving and accepting.
    send_two_transfers(&url, 2, 0x84, 5).await;
    node.shutdown().await.unwrap();

    // The operator restores the Rollup's operator and restarts: window 2 is committed
    // afresh (a new transaction), window 1 is not committed again.
    rpc(
        &l1.url,
        "anvil_setStorageAt",
        json!([rollup, operator_slot, B256::from(original)]),
    )
    .await;
    rpc(&l1.url, "evm_setAutomine", json!([true])).await;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let commit2 = wait_field(&url, 2, "committed", Duration::from_secs(60)).await;
    assert_ne!(commit2.as_str(), Some(pending.as_str()));
    assert_eq!(batch(&url, 1).await["committed"], json!(commit));
    assert!(
        contract_view(&l1.url, rollup, Rollup::committedWindowsCall {}).await >= 2,
        "window 2 committed after the restart"
    );
    node.shutdown().await.unwrap();
}

/// Forced inclusion: a sequencer that ignores a deposit (the test switch) commits windows
/// that leave it waiting; once a commit has landed past the deposit's deadline, its next
/// commit reverts on L1 and the sender stops with the Rollup's reason.
#[tokio::test(flavor = "multi_thread")]
async fn a_commit_that_leaves_a_deposit_past_its_deadline_reverts() {
    let l1 = AnvilL1::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.production.batch_max_txs = 2;
    cfg.aggregation.enabled = true;
    cfg.aggregation.window_batches = 1;
    quire_node::devnet::settle_on(&mut cfg, &l1.url).unwrap();
    cfg.l1.poll_ms = Some(200);
    cfg.l1.credit_deposits = false;
    cfg.l1.deposit_deadline = 20;
    let node = start_node(cfg).await;
    let rollup = node.settlement.as_ref().expect("settling").rollup;
    let bridge = node.deposits.as_ref().expect("following deposits").bridge;
    let url = node.http_url();
    let queued = deposit(&l1.url, &keys()[5], bridge, Address::repeat_byte(0x6e), 7).await;
    let l1_block = queued.block_number.unwrap();
    // Within the deadline a window that leaves it waiting commits.
    send_two_transfers(&url, 0, 0x90, 5).await;
    wait_field(&url, 1, "committed", Duration::from_secs(60)).await;
    assert_eq!(batch(&url, 1).await["depositCount"], json!("0x0"));
    // Past it, one more such window still commits (the deadline is measured at the
    // previous commit, which was in time), and the next one reverts.
    rpc(&l1.url, "anvil_mine", json!(["0x20"])).await;
    send_two_transfers(&url, 1, 0x92, 5).await;
    wait_field(&url, 2, "committed", Duration::from_secs(60)).await;
    send_two_transfers(&url, 2, 0x94, 5).await;
    let status = node.settlement.as_ref().unwrap().status.clone();
    let why = wait_for(Duration::from_secs(60), || async {
        status.read().unwrap().failure.clone()
    })
    .await
    .expect("the sender stops");
    let selector =
        alloy::hex::encode(<Rollup::DepositDeadlinePassed as alloy::sol_types::SolError>::SELECTOR);
    assert!(
        why.contains("commit of window 3 reverted") && why.contains(&selector),
        "{why} (DepositDeadlinePassed is 0x{selector}, the deposit was made in block {l1_block})"
    );
    assert_eq!(
        contract_view(&l1.url, rollup, Rollup::committedWindowsCall {}).await,
        2
    );
    node.shutdown().await.unwrap();
}
