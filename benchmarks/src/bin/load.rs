//! `quire-load`: a load generator for a running quire node.
//!
//! It funds `--senders` fresh accounts from a prefunded key, pre-signs `--txs-per-sender`
//! transfers for each (signing is outside the measured window), then submits them over
//! JSON-RPC from `--connections` concurrent HTTP connections in batches of `--batch`, and
//! follows `newHeads` over WebSocket to see when each transfer is included.
//!
//! Reports accepted TPS (acknowledged by `eth_sendRawTransaction`), included TPS (in a
//! block) and the p50/p99 latency from submission to inclusion (a receipt exists from the
//! moment its block is announced).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder, WsConnect};
use alloy::signers::local::PrivateKeySigner;
use anyhow::Context;
use clap::Parser;
use futures::StreamExt;
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(about = "Load generator for a quire node")]
struct Args {
    /// Node HTTP JSON-RPC URL (WebSocket on the same port).
    #[arg(long, default_value = "http://127.0.0.1:8547")]
    rpc: String,
    /// Distinct sending accounts.
    #[arg(long, default_value_t = 500)]
    senders: usize,
    /// Transfers per sender.
    #[arg(long, default_value_t = 40)]
    txs_per_sender: usize,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Transactions per JSON-RPC batch request (1 sends single requests).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Prefunded key that funds the senders (default: devnet account 0).
    #[arg(
        long,
        default_value = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    )]
    funder_key: String,
    /// Target submission rate in transfers per second (0: as fast as the node accepts).
    /// Latency is only meaningful below the included rate; above it a backlog builds.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Seed for the sender keys (change it to run again against the same chain).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

struct Signed {
    hash: B256,
    raw: String,
}

fn sign(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    max_fee: u128,
) -> Signed {
    let tx = quire_test_support::transfer(chain_id, nonce, to, value, max_fee, 1);
    let bytes = quire_test_support::sign(key, tx);
    Signed {
        hash: keccak256(&bytes),
        raw: format!("0x{}", alloy::hex::encode(bytes)),
    }
}

#[path = "../json_rpc.rs"]
mod json_rpc;
use json_rpc::call;

fn quantity(v: &Value) -> anyhow::Result<u64> {
    let s = v.as_str().context("quantity is not a string")?;
    Ok(u64::from_str_radix(s.trim_start_matches("0x"), 16)?)
}

/// Sends `txs` as JSON-RPC batches; returns per-transaction (submitted, acknowledged ok).
async fn submit(client: &reqwest::Client, url: &str, txs: &[Signed]) -> anyhow::Result<Vec<bool>> {
    let mut body = String::with_capacity(txs.len() * 300);
    body.push('[');
    for (i, t) in txs.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"jsonrpc":"2.0","id":{i},"method":"eth_sendRawTransaction","params":["{}"]}}"#,
            t.raw
        ));
    }
    body.push(']');
    let resp: Value = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?
        .json()
        .await?;
    let mut ok = vec![false; txs.len()];
    for item in resp.as_array().context("batch response is not an array")? {
        if let (Some(id), true) = (item["id"].as_u64(), item.get("result").is_some()) {
            ok[id as usize] = true;
        } else if let Some(e) = item.get("error") {
            eprintln!("rejected: {e}");
        }
    }
    Ok(ok)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let url = args.rpc.clone();
    let ws_url = url.replacen("http", "ws", 1);
    let chain_id = quantity(&call(&client, &url, "eth_chainId", json!([])).await?)?;
    let gas_price = quantity(&call(&client, &url, "eth_gasPrice", json!([])).await?)? as u128;
    let max_fee = gas_price * 2;
    let funder: PrivateKeySigner = args.funder_key.parse().context("funder key")?;

    // Fund the senders.
    let keys: Vec<PrivateKeySigner> = (0..args.senders)
        .map(|i| {
            let seed = keccak256(format!("quire-load/{}/{i}", args.seed));
            PrivateKeySigner::from_bytes(&seed).expect("a keccak output is a valid key")
        })
        .collect();
    let per_sender = (args.txs_per_sender as u128) * (21_000 * max_fee + 1_000) * 2;
    let nonce = quantity(
        &call(
            &client,
            &url,
            "eth_getTransactionCount",
            json!([funder.address(), "pending"]),
        )
        .await?,
    )?;
    eprintln!("funding {} senders...", keys.len());
    let funding: Vec<Signed> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            sign(
                &funder,
                chain_id,
                nonce + i as u64,
                k.address(),
                U256::from(per_sender),
                max_fee,
            )
        })
        .collect();
    for chunk in funding.chunks(50) {
        let ok = submit(&client, &url, chunk).await?;
        anyhow::ensure!(ok.iter().all(|o| *o), "funding transaction refused");
    }
    let last = funding.last().context("no senders")?.hash;
    let deadline = Instant::now() + Duration::from_secs(120);
    while call(&client, &url, "eth_getTransactionReceipt", json!([last]))
        .await?
        .is_null()
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "funding not included within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Pre-sign, nonce-major so every sender's transactions arrive roughly in order.
    eprintln!(
        "signing {} transfers...",
        args.senders * args.txs_per_sender
    );
    let mut txs = Vec::with_capacity(args.senders * args.txs_per_sender);
    for n in 0..args.txs_per_sender {
        for (i, k) in keys.iter().enumerate() {
            // Half the transfers go to other senders, half to fresh accounts.
            let to = if (i + n) % 2 == 0 {
                keys[(i * 7 + n + 1) % keys.len()].address()
            } else {
                Address::from_word(keccak256(format!("{}/{i}/{n}", args.seed)))
            };
            txs.push(sign(k, chain_id, n as u64, to, U256::from(1_000), max_fee));
        }
    }
    let index: HashMap<B256, usize> = txs.iter().enumerate().map(|(i, t)| (t.hash, i)).collect();
    let txs = Arc::new(txs);
    let submitted: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; txs.len()]));
    let included: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; txs.len()]));

    // Follow heads before sending anything.
    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(ws_url))
        .await
        .context("websocket")?;
    let mut heads = ws.subscribe_blocks().await?.into_stream();
    let follower = {
        let (client, url, included) = (client.clone(), url.clone(), included.clone());
        let total = txs.len();
        tokio::spawn(async move {
            // Heads can be skipped when the subscriber lags, so each head fetches every block
            // since the last one seen.
            let mut seen = 0usize;
            let mut next_block: Option<u64> = None;
            while let Some(head) = heads.next().await {
                let at = Instant::now();
                let from = next_block.unwrap_or(head.number);
                for n in from..=head.number {
                    let Ok(block) = call(
                        &client,
                        &url,
                        "eth_getBlockByNumber",
                        json!([format!("0x{n:x}"), false]),
                    )
                    .await
                    else {
                        continue;
                    };
                    let mut inc = included.lock().expect("lock");
                    for h in block["transactions"].as_array().into_iter().flatten() {
                        if let Some(i) = h
                            .as_str()
                            .and_then(|s| s.parse::<B256>().ok())
                            .and_then(|h| index.get(&h))
                        {
                            if inc[*i].is_none() {
                                inc[*i] = Some(at);
                                seen += 1;
                            }
                        }
                    }
                }
                next_block = Some(head.number + 1);
                if seen == total {
                    break;
                }
            }
        })
    };

    eprintln!("sending...");
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.connections {
        let (client, url, txs, next, submitted, accepted) = (
            client.clone(),
            url.clone(),
            txs.clone(),
            next.clone(),
            submitted.clone(),
            accepted.clone(),
        );
        let batch = args.batch.max(1);
        let rate = args.rate;
        workers.push(tokio::spawn(async move {
            loop {
                let from = next.fetch_add(batch, Ordering::Relaxed);
                if from >= txs.len() {
                    return Ok::<(), anyhow::Error>(());
                }
                if rate > 0 {
                    // Open-loop schedule: transfer i is due at start + i / rate.
                    let due = start + Duration::from_secs_f64(from as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let to = (from + batch).min(txs.len());
                let sent_at = Instant::now();
                let ok = submit(&client, &url, &txs[from..to]).await?;
                let mut sub = submitted.lock().expect("lock");
                for (i, ok) in ok.iter().enumerate() {
                    if *ok {
                        sub[from + i] = Some(sent_at);
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    let sent_in = start.elapsed();
    let accepted = accepted.load(Ordering::Relaxed);
    let _ = tokio::time::timeout(Duration::from_secs(60), follower).await;

    let sub = submitted.lock().expect("lock");
    let inc = included.lock().expect("lock");
    let mut latencies: Vec<Duration> = sub
        .iter()
        .zip(inc.iter())
        .filter_map(|(s, i)| Some(i.as_ref()?.saturating_duration_since(*s.as_ref()?)))
        .collect();
    latencies.sort();
    let last_inclusion = inc.iter().flatten().max().copied().unwrap_or(start);
    let included_count = inc.iter().flatten().count();
    let included_in = last_inclusion.saturating_duration_since(start);
    let result = json!({
        "transfers": txs.len(),
        "senders": args.senders,
        "connections": args.connections,
        "batch": args.batch,
        "rate": args.rate,
        "accepted": accepted,
        "included": included_count,
        "accepted_tps": (accepted as f64 / sent_in.as_secs_f64()).round(),
        "included_tps": (included_count as f64 / included_in.as_secs_f64().max(1e-9)).round(),
        "latency_p50_ms": percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        "latency_p99_ms": percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        "send_seconds": sent_in.as_secs_f64(),
        "include_seconds": included_in.as_secs_f64(),
    });
    println!("{result}");
    anyhow::ensure!(
        included_count == txs.len(),
        "{} of {} transfers not included",
        txs.len() - included_count,
        txs.len()
    );
    Ok(())
}
