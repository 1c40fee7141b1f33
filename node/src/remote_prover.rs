//! `quire prover --node URL`: a prover on this or another machine. It runs the same worker
//! loop as the node's in-process workers ([`quire_coordinator::run_worker`]) against the
//! node's `prover_*` RPC (through the generated client, with the node's token): it leases
//! batch jobs (and, with `--aggregate`, aggregation steps first), proves them with its own
//! cached circuits, and hands the outputs in; the node verifies each one before accepting
//! it.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use quire_coordinator::{run_worker, JobRunner, SourceError, WorkerOptions};
use quire_prover::cache::CircuitCache;
use quire_rpc::prover_client::RemoteJobSource;

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

/// Runs the worker until SIGINT/SIGTERM or a refused token.
pub async fn run(args: ProverArgs) -> anyhow::Result<()> {
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("remote-{}", std::process::id()));
    let source = RemoteJobSource::new(
        &args.node,
        args.token.clone(),
        tokio::runtime::Handle::current(),
    )
    .with_context(|| format!("connecting to {}", args.node))?;
    let cache = Arc::new(CircuitCache::new(Some(args.circuits.clone())));
    let runner = JobRunner::new(cache, Arc::new(OnceLock::new()));
    if args.aggregate {
        runner.start_building_circuits();
    }
    tracing::info!(node = %args.node, worker = %name, "prover running");
    let options = WorkerOptions {
        poll: Duration::from_millis(args.poll_ms),
        max_backoff: Duration::from_secs(30),
        aggregate: args.aggregate,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = stop.clone();
        tokio::task::spawn_blocking(move || run_worker(&source, &runner, &name, options, &stop))
    };
    tokio::select! {
        r = worker => match r.context("prover thread panicked")? {
            Ok(()) => Ok(()),
            Err(SourceError::Unauthorized) => Err(anyhow::anyhow!("the node refused the prover token")),
            Err(e) => Err(e.into()),
        },
        r = crate::signals::shutdown_signal() => {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            r
        }
    }
}
