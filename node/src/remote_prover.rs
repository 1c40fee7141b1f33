//! `quire prover --node URL`: a prover on this or another machine. It leases batch jobs
//! (and, with `--aggregate`, aggregation steps first) over the node's `prover_*` RPC (with
//! the node's token), proves them with its own cached circuits, and hands the proofs in;
//! the node verifies each one before accepting it.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context};
use quire_aggregator::circuits::AggregationCircuits;
use quire_aggregator::jobs::{run_step, StepJob};
use quire_prover::cache::CircuitCache;
use quire_prover::pool::prove_witness;
use quire_rpc::prover::{LeasedJob, UNAUTHORIZED};
use serde_json::{json, Value};

/// `quire prover` arguments.
#[derive(clap::Args, Debug)]
pub struct ProverArgs {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "QUIRE_NODE_URL")]
    pub node: String,
    /// The node's prover token (`proving.token` in its config).
    #[arg(long, env = "QUIRE_PROVER_TOKEN")]
    pub token: String,
    /// Worker name the node records (default `remote-<pid>`).
    #[arg(long)]
    pub name: Option<String>,
    /// Circuit cache directory.
    #[arg(
        long,
        env = "QUIRE_CIRCUITS_DIR",
        default_value = "./quire-prover-circuits"
    )]
    pub circuits: PathBuf,
    /// Milliseconds between looks for work when idle.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
    /// Also take aggregation steps (leaf, fold, final wrap). Builds every aggregation
    /// circuit at start (about 20 s, a minute the first time; ~2.4 GB of memory).
    #[arg(long)]
    pub aggregate: bool,
}

/// Leases one aggregation step, runs it and hands it in; `Ok(false)` when there is none.
async fn aggregation_step(
    client: &reqwest::Client,
    args: &ProverArgs,
    name: &str,
    cache: &Arc<CircuitCache>,
    circuits: &Arc<AggregationCircuits>,
) -> anyhow::Result<bool> {
    let leased = call(
        client,
        &args.node,
        "prover_leaseStep",
        json!([args.token, name]),
    )
    .await?;
    if leased.is_null() {
        return Ok(false);
    }
    let job: StepJob = serde_json::from_value(leased).context("malformed aggregation step")?;
    let step = job.step;
    let (cache, circuits, worker) = (cache.clone(), circuits.clone(), name.to_string());
    let result = tokio::task::spawn_blocking(move || {
        run_step(&circuits, &cache, &job).and_then(|out| out.encode(&worker))
    })
    .await
    .context("prover thread panicked")?
    .with_context(|| format!("running the {step}"))?;
    let answer = call(
        client,
        &args.node,
        "prover_submitStep",
        json!([args.token, name, step, result]),
    )
    .await?;
    println!("{step}: {}", answer.as_str().unwrap_or("?"));
    Ok(true)
}

pub(crate) async fn call(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> anyhow::Result<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response: Value = client
        .post(url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("calling {method} on {url}"))?
        .json()
        .await
        .with_context(|| format!("reading the answer to {method}"))?;
    if let Some(err) = response.get("error") {
        if err["code"] == json!(UNAUTHORIZED) {
            bail!("the node refused the prover token");
        }
        bail!("{method} failed: {}", err["message"]);
    }
    Ok(response["result"].clone())
}

/// Runs the worker until SIGINT/SIGTERM or a refused token.
pub async fn run(args: ProverArgs) -> anyhow::Result<()> {
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("remote-{}", std::process::id()));
    let cache = Arc::new(CircuitCache::new(Some(args.circuits.clone())));
    let client = reqwest::Client::new();
    tracing::info!(node = %args.node, worker = %name, "prover running");
    let circuits: Arc<OnceLock<Arc<AggregationCircuits>>> = Arc::new(OnceLock::new());
    if args.aggregate {
        let (cache, circuits) = (cache.clone(), circuits.clone());
        std::thread::spawn(move || match AggregationCircuits::build_standard(&cache) {
            Ok(c) => {
                let _ = circuits.set(Arc::new(c));
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot build the aggregation circuits; proving batches only")
            }
        });
    }
    let work = async {
        loop {
            if let Some(c) = circuits.get() {
                match aggregation_step(&client, &args, &name, &cache, c).await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) if e.to_string().contains("token") => return Err(e),
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "aggregation step failed"),
                }
            }
            let leased = match call(
                &client,
                &args.node,
                "prover_lease",
                json!([args.token, name]),
            )
            .await
            {
                Ok(v) => v,
                Err(e) if e.to_string().contains("token") => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "cannot lease a job");
                    tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
                    continue;
                }
            };
            if leased.is_null() {
                tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
                continue;
            }
            let job: LeasedJob = serde_json::from_value(leased).context("malformed job")?;
            let batch: u64 = job.batch.to();
            let cache = cache.clone();
            let file = tokio::task::spawn_blocking(move || prove_witness(&cache, &job.witness))
                .await
                .context("prover thread panicked")?;
            let file = match file {
                Ok(f) => f,
                Err(e) => {
                    tracing::error!(batch, error = %format!("{e:#}"), "proving failed");
                    continue;
                }
            };
            match call(
                &client,
                &args.node,
                "prover_submit",
                json!([args.token, name, file]),
            )
            .await
            {
                Ok(v) => println!("batch {batch}: {}", v.as_str().unwrap_or("?")),
                Err(e) => tracing::error!(batch, error = %format!("{e:#}"), "proof not accepted"),
            }
        }
    };
    tokio::select! {
        r = work => r,
        r = crate::signals::shutdown_signal() => r,
    }
}
