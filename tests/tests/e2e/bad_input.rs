//! Bad input of every kind gets the error Ethereum clients expect, the node stays up, and
//! nothing changes: no balance, nonce, block or pending transaction moves.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy::signers::local::PrivateKeySigner;
use quire_tests::*;
use serde_json::{json, Value};

const CHAIN: u64 = CHAIN_ID;

/// A transfer to the fixed receiver these tests watch.
fn to_receiver(nonce: u64, value: U256) -> TxEip1559 {
    transfer(nonce, Address::repeat_byte(0x77), value)
}

fn raw(signer: &PrivateKeySigner, tx: TxEip1559) -> String {
    sign(signer, tx)
}

/// Everything an attacker could try to change with bad input.
#[derive(Debug, PartialEq)]
struct Snapshot {
    head: Value,
    sender: (Value, Value, Value),
    receiver: Value,
}

async fn snapshot(url: &str, sender: Address) -> Snapshot {
    let get = |m: &'static str, p: Value| async move { rpc(url, m, p).await["result"].clone() };
    Snapshot {
        head: get("eth_blockNumber", json!([])).await,
        sender: (
            get("eth_getBalance", json!([sender, "latest"])).await,
            get("eth_getTransactionCount", json!([sender, "latest"])).await,
            get("eth_getTransactionCount", json!([sender, "pending"])).await,
        ),
        receiver: get(
            "eth_getBalance",
            json!([Address::repeat_byte(0x77), "latest"]),
        )
        .await,
    }
}

fn assert_error(resp: &Value, code: i64, needle: &str) {
    assert_eq!(resp["error"]["code"].as_i64(), Some(code), "{resp}");
    let msg = resp["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "expected {needle:?} in {resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_are_refused_without_effect() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.mempool.max_nonce_gap = 8;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let key = keys()[4].clone();
    let sender = key.address();

    // One good transfer first so that "nonce too low" has something to be low against.
    let sent = rpc(
        &url,
        "eth_sendRawTransaction",
        json!([raw(&key, to_receiver(0, U256::from(5)))]),
    )
    .await;
    let hash = sent["result"]
        .as_str()
        .expect("first transfer accepted")
        .to_string();
    wait_receipt(&url, &hash).await;
    let before = snapshot(&url, sender).await;

    let send = |raw: String| {
        let url = url.clone();
        async move { rpc(&url, "eth_sendRawTransaction", json!([raw])).await }
    };
    // Malformed RLP, truncated and trailing bytes.
    assert_error(
        &send("0x02c0".into()).await,
        -32000,
        "failed to decode signed transaction",
    );
    assert_error(
        &send("0xf86b80".into()).await,
        -32000,
        "failed to decode signed transaction",
    );
    let good = raw(&key, to_receiver(1, U256::from(1)));
    assert_error(
        &send(format!("{good}00")).await,
        -32000,
        "failed to decode signed transaction",
    );
    // Not hex at all: invalid params.
    assert_error(&send("0xzz".into()).await, -32602, "");
    // Wrong chain id.
    let mut other_chain = to_receiver(1, U256::from(1));
    other_chain.chain_id = 1;
    assert_error(
        &send(raw(&key, other_chain)).await,
        -32000,
        "invalid chain id",
    );
    // High-s (malleated) signature and a signature that recovers nothing.
    let mut tx = to_receiver(1, U256::from(1));
    let sig = key.sign_transaction_sync(&mut tx).unwrap();
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let high_s = Signature::new(sig.r(), n - sig.s(), !sig.v());
    let malleated: Bytes = TxEnvelope::from(tx.clone().into_signed(high_s))
        .encoded_2718()
        .into();
    assert_error(
        &send(malleated.to_string()).await,
        -32000,
        "invalid transaction signature",
    );
    let garbage = Signature::new(U256::ZERO, U256::from(1), false);
    let unsigned: Bytes = TxEnvelope::from(tx.into_signed(garbage))
        .encoded_2718()
        .into();
    assert_error(
        &send(unsigned.to_string()).await,
        -32000,
        "invalid transaction signature",
    );
    // Nonce too low (0 was used) and beyond the future-nonce limit (pending 1 + gap 8).
    assert_error(
        &send(raw(&key, to_receiver(0, U256::from(1)))).await,
        -32000,
        "nonce too low",
    );
    assert_error(
        &send(raw(&key, to_receiver(10, U256::from(1)))).await,
        -32000,
        "nonce too high",
    );
    // More than the balance.
    let rich = U256::from(10_001u128 * 10u128.pow(18));
    assert_error(
        &send(raw(&key, to_receiver(1, rich))).await,
        -32000,
        "insufficient funds for gas * price + value",
    );
    // A value chosen so that gas × price + value wraps around 2^256 to zero.
    let wrapping = U256::ZERO - U256::from(21_000u64 * 2_000_000_000);
    assert_error(
        &send(raw(&key, to_receiver(1, wrapping))).await,
        -32000,
        "insufficient funds for gas * price + value",
    );
    // Contract creation, calldata, intrinsic gas.
    let mut create = to_receiver(1, U256::ZERO);
    create.to = TxKind::Create;
    create.input = Bytes::from_static(&[0x60, 0x00]);
    assert_error(
        &send(raw(&key, create)).await,
        -32000,
        "contract creation is not supported",
    );
    let mut call = to_receiver(1, U256::ZERO);
    call.input = Bytes::from_static(&[0xa9, 0x05, 0x9c, 0xbb]);
    assert_error(
        &send(raw(&key, call)).await,
        -32000,
        "calldata is not supported",
    );
    let mut low_gas = to_receiver(1, U256::from(1));
    low_gas.gas_limit = 20_000;
    assert_error(
        &send(raw(&key, low_gas)).await,
        -32000,
        "intrinsic gas too low",
    );
    // A duplicate of an included transaction.
    assert_error(
        &send(raw(&key, to_receiver(0, U256::from(5)))).await,
        -32000,
        "nonce too low",
    );

    assert_eq!(
        snapshot(&url, sender).await,
        before,
        "refused transactions changed state"
    );
    assert_eq!(node.sequencer.pending_count(), 0);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_protocol_errors_and_the_node_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.rpc.max_request_bytes = 64 * 1024;
    cfg.rpc.max_batch_len = 10;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let sender = keys()[4].address();
    let before = snapshot(&url, sender).await;
    let client = reqwest::Client::new();

    // Invalid JSON: parse error.
    let resp: Value = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"jsonrpc\":")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["error"]["code"], -32700, "{resp}");
    // Unknown method.
    assert_error(&rpc(&url, "eth_mine", json!([])).await, -32601, "");
    // Wrong parameter types.
    assert_error(
        &rpc(&url, "eth_getBalance", json!(["not an address"])).await,
        -32602,
        "",
    );
    // Oversized body: refused before parsing.
    let huge = format!("0x{}", "ab".repeat(64 * 1024));
    let resp = client
        .post(&url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [huge]}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(
        status == 413 || body["error"]["code"] == -32007,
        "oversized request got {status} {body}"
    );
    // An oversized transaction inside an acceptable body.
    let big_tx = format!("0x{}", "ab".repeat(8 * 1024));
    assert_error(
        &rpc(&url, "eth_sendRawTransaction", json!([big_tx])).await,
        -32000,
        "oversized data",
    );
    // Batch longer than the limit.
    let resp = post_json(&url, &batch_of(11, "eth_chainId", |_| json!([]))).await;
    assert!(
        resp["error"]["code"].is_i64(),
        "batch over the limit was served: {resp}"
    );
    // A batch within the limit is served.
    let resp = post_json(&url, &batch_of(10, "eth_chainId", |_| json!([]))).await;
    assert_eq!(resp.as_array().unwrap().len(), 10);

    assert_eq!(
        rpc(&url, "eth_chainId", json!([])).await["result"],
        format!("0x{CHAIN:x}")
    );
    assert_eq!(snapshot(&url, sender).await, before);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacement_requires_a_fee_bump() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    // Keep the transaction pending long enough to try replacing it.
    cfg.production.block_time_ms = 60_000;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let key = keys()[5].clone();
    let first = to_receiver(0, U256::from(1));
    let hash = rpc(
        &url,
        "eth_sendRawTransaction",
        json!([raw(&key, first.clone())]),
    )
    .await["result"]
        .clone();
    assert!(hash.is_string());
    assert_error(
        &rpc(
            &url,
            "eth_sendRawTransaction",
            json!([raw(&key, first.clone())]),
        )
        .await,
        -32000,
        "already known",
    );
    let mut cheap = first.clone();
    cheap.max_fee_per_gas += 1;
    cheap.max_priority_fee_per_gas += 1;
    assert_error(
        &rpc(&url, "eth_sendRawTransaction", json!([raw(&key, cheap)])).await,
        -32000,
        "replacement transaction underpriced",
    );
    let mut bumped = first;
    bumped.max_fee_per_gas = bumped.max_fee_per_gas * 11 / 10;
    bumped.max_priority_fee_per_gas = 2;
    let new_hash =
        rpc(&url, "eth_sendRawTransaction", json!([raw(&key, bumped)])).await["result"].clone();
    assert!(new_hash.is_string());
    assert!(
        rpc(&url, "eth_getTransactionByHash", json!([hash])).await["result"].is_null(),
        "replaced tx is gone"
    );
    let pending = rpc(&url, "eth_getTransactionByHash", json!([new_hash])).await["result"].clone();
    assert!(pending["blockNumber"].is_null());
    assert_eq!(
        rpc(
            &url,
            "eth_getTransactionCount",
            json!([key.address(), "pending"])
        )
        .await["result"],
        "0x1"
    );
    assert_eq!(
        rpc(
            &url,
            "eth_getTransactionCount",
            json!([key.address(), "latest"])
        )
        .await["result"],
        "0x0"
    );
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_transactions_is_admitted_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.mempool.max_nonce_gap = 2;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let key = keys()[6].clone();
    // Nonces 0..20 in one batch: calls run concurrently, but admission keeps request order,
    // so no nonce is ever more than the gap limit ahead of the pending nonce.
    let batch = batch_of(20, "eth_sendRawTransaction", |n| {
        json!([raw(&key, to_receiver(n, U256::from(1)))])
    });
    let resp = post_json(&url, &batch).await;
    let resp = resp.as_array().unwrap();
    assert_eq!(resp.len(), 20);
    for (n, r) in resp.iter().enumerate() {
        assert_eq!(r["id"], n as u64, "responses keep request order");
        assert!(r["result"].is_string(), "nonce {n} refused: {r}");
    }
    wait_receipt(&url, resp[19]["result"].as_str().unwrap()).await;
    node.shutdown().await.unwrap();
}
