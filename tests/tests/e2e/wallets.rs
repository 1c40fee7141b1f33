//! Wallet flows with real clients: cast and an alloy provider send transfers of every
//! supported type, and balances, nonces, receipts and blocks show them.

use alloy::network::TransactionBuilder;
use alloy::primitives::{address, Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{BlockNumberOrTag, TransactionRequest};
use quire_tests::*;
use serde_json::json;

const BASE_FEE: u128 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cast_send_balance_nonce_receipt_block() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(test_config(dir.path())).await;
    let url = node.http_url();
    let keys = keys();
    let from = keys[0].address();
    let to = "0x000000000000000000000000000000000000bEEF";
    let key = format!("0x{}", alloy::hex::encode(keys[0].to_bytes()));
    let before = run_cast(&["balance", &from.to_string(), "--rpc-url", &url]).unwrap();
    assert_eq!(before, "10000000000000000000000");

    let out = run_cast(&[
        "send",
        to,
        "--value",
        "1ether",
        "--private-key",
        &key,
        "--rpc-url",
        &url,
        "--json",
    ])
    .unwrap();
    let receipt: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(receipt["status"], "0x1");
    let hash = receipt["transactionHash"].as_str().unwrap().to_string();

    assert_eq!(
        run_cast(&["balance", to, "--rpc-url", &url]).unwrap(),
        "1000000000000000000"
    );
    assert_eq!(
        run_cast(&["nonce", &from.to_string(), "--rpc-url", &url]).unwrap(),
        "1"
    );
    let price: u128 = receipt["effectiveGasPrice"]
        .as_str()
        .map(|s| u128::from_str_radix(&s[2..], 16).unwrap())
        .unwrap();
    let after: u128 = run_cast(&["balance", &from.to_string(), "--rpc-url", &url])
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        after,
        10_000 * 10u128.pow(18) - 10u128.pow(18) - 21_000 * price
    );

    let r = run_cast(&["receipt", &hash, "--rpc-url", &url, "--json"]).unwrap();
    let r: serde_json::Value = serde_json::from_str(&r).unwrap();
    assert_eq!(r["gasUsed"], "0x5208");
    assert_eq!(
        r["from"].as_str().unwrap().to_lowercase(),
        from.to_string().to_lowercase()
    );
    let block_number = r["blockNumber"].as_str().unwrap().to_string();

    let block = run_cast(&["block", &block_number, "--rpc-url", &url, "--json"]).unwrap();
    let block: serde_json::Value = serde_json::from_str(&block).unwrap();
    assert!(block["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t.as_str() == Some(hash.as_str())));
    assert_eq!(block["hash"], r["blockHash"]);
    assert_eq!(
        run_cast(&["chain-id", "--rpc-url", &url]).unwrap(),
        "271828"
    );
    assert_eq!(run_cast(&["code", to, "--rpc-url", &url]).unwrap(), "0x");
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alloy_provider_sends_every_transaction_type() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(test_config(dir.path())).await;
    let url = node.http_url();
    let keys = keys();
    let sender = keys[1].address();
    let fee_recipient = node.sequencer.config().production.fee_recipient;
    let wallet = wallet_provider(&url, keys[1].clone());
    let new_account = address!("0x00000000000000000000000000000000c0ffee01");
    let existing = keys[2].address();

    let legacy = TransactionRequest::default()
        .with_to(new_account)
        .with_value(U256::from(1_000u64))
        .with_gas_price(BASE_FEE * 2);
    let eip2930 = TransactionRequest::default()
        .with_to(existing)
        .with_value(U256::from(2_000u64))
        .with_gas_price(BASE_FEE * 2)
        .with_access_list(Default::default());
    let eip1559 = TransactionRequest::default()
        .with_to(new_account)
        .with_value(U256::from(3_000u64))
        .with_max_fee_per_gas(BASE_FEE * 3)
        .with_max_priority_fee_per_gas(7);
    let mut fees = 0u128;
    let mut hashes = Vec::new();
    for (req, ty) in [(legacy, 0u8), (eip2930, 1), (eip1559, 2)] {
        let receipt = wallet
            .send_transaction(req)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
        assert_eq!(receipt.gas_used, 21_000);
        let tx = wallet
            .get_transaction_by_hash(receipt.transaction_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tx.inner.tx_type() as u8, ty);
        assert_eq!(tx.block_number, receipt.block_number);
        fees += receipt.effective_gas_price * 21_000;
        hashes.push(receipt.transaction_hash);
    }
    // The EIP-1559 transfer pays base fee + tip; legacy ones pay their full gas price.
    assert_eq!(fees, 21_000 * (BASE_FEE * 2 + BASE_FEE * 2 + BASE_FEE + 7));
    let p = provider(&url);
    assert_eq!(
        p.get_balance(new_account).await.unwrap(),
        U256::from(4_000u64)
    );
    assert_eq!(
        p.get_balance(existing).await.unwrap(),
        U256::from(10_000 * 10u128.pow(18) + 2_000)
    );
    assert_eq!(
        p.get_balance(sender).await.unwrap(),
        U256::from(10_000 * 10u128.pow(18) - 6_000 - fees)
    );
    assert_eq!(
        p.get_balance(fee_recipient).await.unwrap(),
        U256::from(fees)
    );
    assert_eq!(p.get_transaction_count(sender).await.unwrap(), 3);
    assert_eq!(p.get_transaction_count(new_account).await.unwrap(), 0);

    // Blocks with full transactions carry them; the block hash round-trips.
    let receipt = p.get_transaction_receipt(hashes[2]).await.unwrap().unwrap();
    let block = p
        .get_block_by_number(BlockNumberOrTag::Number(receipt.block_number.unwrap()))
        .full()
        .await
        .unwrap()
        .unwrap();
    assert!(block
        .transactions
        .txns()
        .any(|t| *t.inner.tx_hash() == hashes[2]));
    let by_hash = p
        .get_block_by_hash(block.header.hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash.header.number, block.header.number);
    assert_eq!(by_hash.header.base_fee_per_gas, Some(BASE_FEE as u64));

    // Historical balance: before the first transfer the new account had nothing.
    let first = p
        .get_transaction_receipt(hashes[0])
        .await
        .unwrap()
        .unwrap()
        .block_number
        .unwrap();
    assert_eq!(
        p.get_balance(new_account).number(first - 1).await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        p.get_balance(new_account).number(first).await.unwrap(),
        U256::from(1_000u64)
    );
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_and_estimation_methods() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(test_config(dir.path())).await;
    let url = node.http_url();
    let p = provider(&url);
    let from = keys()[0].address();
    let to = Address::repeat_byte(0x11);
    let req = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_value(U256::from(1u64));
    assert_eq!(p.estimate_gas(req.clone()).await.unwrap(), 21_000);
    assert_eq!(p.call(req).await.unwrap().len(), 0);
    let price = p.get_gas_price().await.unwrap();
    assert!(price >= BASE_FEE);
    let tip = p.get_max_priority_fee_per_gas().await.unwrap();
    assert_eq!(price, BASE_FEE + tip);
    let fees = p.estimate_eip1559_fees().await.unwrap();
    assert!(fees.max_fee_per_gas >= BASE_FEE);
    let history = p
        .get_fee_history(4, BlockNumberOrTag::Latest, &[50.0])
        .await
        .unwrap();
    assert_eq!(history.base_fee_per_gas.last().copied(), Some(BASE_FEE));
    assert!(matches!(
        p.syncing().await.unwrap(),
        alloy::rpc::types::SyncStatus::None
    ));
    assert_eq!(
        rpc(&url, "net_version", json!([])).await["result"],
        "271828"
    );
    assert!(rpc(&url, "web3_clientVersion", json!([])).await["result"]
        .as_str()
        .unwrap()
        .starts_with("quire/"));

    // Calls quire cannot execute are refused like a wallet expects.
    let create = json!([{"from": from, "data": "0x6000"}]);
    let err = rpc(&url, "eth_estimateGas", create).await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("contract creation"),
        "{err}"
    );
    let calldata = json!([{"from": from, "to": to, "data": "0xa9059cbb"}]);
    let err = rpc(&url, "eth_call", calldata).await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("calldata"),
        "{err}"
    );
    let too_much = json!([{"from": Address::repeat_byte(0x42), "to": to, "value": "0x1"}]);
    let err = rpc(&url, "eth_estimateGas", too_much).await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("insufficient funds"),
        "{err}"
    );
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_served_with_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.production.batch_max_txs = 2;
    let node = start_node(cfg).await;
    let url = node.http_url();
    let wallet = wallet_provider(&url, keys()[3].clone());
    let mut last_block = 0;
    for i in 0..3u64 {
        let req = TransactionRequest::default()
            .with_to(Address::repeat_byte(0x22))
            .with_value(U256::from(i + 1));
        last_block = wallet
            .send_transaction(req)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .block_number
            .unwrap();
    }
    let genesis = rpc(&url, "quire_getBatchByNumber", json!(["0x0"])).await["result"].clone();
    assert_eq!(genesis["status"], "sealed");
    let latest = rpc(&url, "quire_batchNumber", json!([])).await["result"]
        .as_str()
        .unwrap()
        .to_string();
    let latest = u64::from_str_radix(&latest[2..], 16).unwrap();
    assert!(
        latest >= 2,
        "three transfers with two per batch span at least two batches"
    );
    let first = rpc(&url, "quire_getBatchByNumber", json!(["0x1"])).await["result"].clone();
    assert_eq!(first["status"], "sealed");
    assert_eq!(first["prevStateRoot"], genesis["stateRoot"]);
    let second = rpc(&url, "quire_getBatchByNumber", json!(["0x2"])).await["result"].clone();
    assert_eq!(
        second["prevStateRoot"], first["stateRoot"],
        "batches chain by state root"
    );
    let head = provider(&url)
        .get_block_by_number(BlockNumberOrTag::Number(last_block))
        .await
        .unwrap()
        .unwrap();
    let last_batch = rpc(
        &url,
        "quire_getBatchByNumber",
        json!([format!("0x{latest:x}")]),
    )
    .await["result"]
        .clone();
    assert_eq!(
        last_batch["stateRoot"].as_str().unwrap(),
        head.header.state_root.to_string()
    );
    assert!(rpc(&url, "quire_getBatchByNumber", json!(["0x999"])).await["result"].is_null());
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_new_heads_announce_blocks() {
    use alloy::providers::{ProviderBuilder, WsConnect};
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(test_config(dir.path())).await;
    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(node.ws_url()))
        .await
        .unwrap();
    let mut heads = ws.subscribe_blocks().await.unwrap().into_stream();
    let wallet = wallet_provider(&node.http_url(), keys()[5].clone());
    let req = TransactionRequest::default()
        .with_to(Address::repeat_byte(0x66))
        .with_value(U256::from(9u64));
    let receipt = wallet
        .send_transaction(req)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let head = tokio::time::timeout(std::time::Duration::from_secs(10), heads.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(head.number), receipt.block_number);
    assert_eq!(Some(head.hash), receipt.block_hash);
    // Only newHeads is offered.
    let err = rpc(&node.http_url(), "eth_subscribe", json!(["logs"])).await;
    assert!(err["error"].is_object(), "{err}");
    node.shutdown().await.unwrap();
}
