//! Wiring one node: the sequencer (chain), the proof coordinator (its own store beside the
//! chain's) with its in-process workers, the RPC server, the metrics exporter, the L1
//! head follower, the L1 sender and the L1 deposit watcher; and shutting them down in order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use quire_coordinator::{
    proving_db_path, Coordinator, CoordinatorConfig, LocalWorkers, ProofStore, RetryPolicy,
    SystemClock, WindowRule,
};
use quire_prover::cache::CircuitCache;
use quire_rpc::ServerHandle;
use quire_sequencer::Sequencer;
use tokio::task::JoinHandle;

use crate::config::NodeConfig;
use crate::deposits::{self, Deposits};
use crate::l1;
use crate::settle::{self, Settlement, StatusView};

/// A running node.
pub struct NodeHandle {
    /// The sequencer.
    pub sequencer: Arc<Sequencer>,
    /// Where JSON-RPC (HTTP and WebSocket) listens.
    pub rpc_addr: SocketAddr,
    /// The proof coordinator: every proving job, its leases and accepted outputs.
    pub coordinator: Arc<Coordinator>,
    workers: LocalWorkers,
    rpc: ServerHandle,
    l1: Option<JoinHandle<()>>,
    /// L1 settlement, when an L1 and an operator key are configured.
    pub settlement: Option<Settlement>,
    /// The L1 deposit watcher, when an L1 and a Bridge are configured (or deployed).
    pub deposits: Option<Deposits>,
}

/// Installs the process-wide Prometheus exporter (once; later calls are no-ops).
pub fn install_metrics(addr: SocketAddr) -> anyhow::Result<()> {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&[
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            50.0, 100.0, 250.0,
        ])
        .context("metrics buckets")?
        .install()
        .with_context(|| format!("starting the metrics endpoint on {addr}"))?;
    let _ = INSTALLED.set(());
    Ok(())
}

impl NodeHandle {
    /// Starts every component of `config`.
    pub async fn start(config: NodeConfig) -> anyhow::Result<Self> {
        config.validate()?;
        if let Some(addr) = config.metrics.addr {
            install_metrics(addr)?;
        }
        let seq_config = config.sequencer();
        let data_dir = config.data_dir.clone();
        let sequencer = tokio::task::spawn_blocking(move || Sequencer::open(seq_config, &data_dir))
            .await
            .context("sequencer start-up panicked")?
            .with_context(|| format!("opening the chain in {}", config.data_dir.display()))?;
        let circuits = config
            .proving
            .circuits_dir
            .clone()
            .unwrap_or_else(|| config.data_dir.join("circuits"));
        let cache = Arc::new(CircuitCache::new(Some(circuits)));
        let opened = ProofStore::open(&proving_db_path(&config.data_dir))
            .context("opening the proving store")
            .and_then(|store| {
                Coordinator::new(
                    sequencer.store().clone(),
                    store,
                    cache,
                    CoordinatorConfig {
                        lease: Duration::from_secs(config.proving.lease_secs),
                        retry: RetryPolicy::default(),
                        aggregation: config.aggregation.enabled.then_some(WindowRule {
                            batches: config.aggregation.window_batches,
                            wait_ms: config.aggregation.window_secs.saturating_mul(1000),
                        }),
                        chain_id: config.genesis.chain_id,
                    },
                    Arc::new(SystemClock),
                )
                .context("starting the proof coordinator")
            });
        let coordinator = match opened {
            Ok(c) => c,
            Err(e) => {
                let _ = sequencer.shutdown();
                return Err(e);
            }
        };
        let workers = config.proving.worker_count();
        let remote = config.proving.token.is_some();
        if coordinator.aggregates() && workers == 0 && !remote {
            tracing::warn!("aggregation is enabled but no prover can run it (no in-process workers, no prover token): nothing will be aggregated");
        }
        // The coordinator checks every step's output, so it needs the circuits whoever proves.
        if workers > 0 || remote {
            coordinator.start_building_circuits();
        }
        let prepared = match settle::prepare(&config, &sequencer, &coordinator).await {
            Ok(s) => s,
            Err(e) => {
                let _ = sequencer.shutdown();
                return Err(e.context("starting L1 settlement"));
            }
        };
        // Before the sender starts: a Bridge deployed from the operator's account must not
        // race the sender's nonces.
        let rollup = prepared.as_ref().map(|p| p.rollup);
        let deposits = match deposits::start(&config, rollup).await {
            Ok(d) => d,
            Err(e) => {
                let _ = sequencer.shutdown();
                return Err(e.context("starting the L1 deposit watcher"));
            }
        };
        if let Some(d) = &deposits {
            if config.l1.credit_deposits {
                sequencer.follow_deposits(Arc::new(deposits::ConfirmedQueue(d.store.clone())));
            } else {
                tracing::warn!("l1.credit_deposits is off: confirmed deposits are not credited");
            }
        }
        let queue = deposits.as_ref().map(|d| {
            Arc::new(deposits::ConfirmedQueue(d.store.clone()))
                as Arc<dyn quire_sequencer::DepositQueue>
        });
        let settlement = prepared.map(|p| p.spawn(queue));
        let workers = LocalWorkers::start(&coordinator, workers, Duration::from_millis(200));
        let l1_view = settlement
            .as_ref()
            .map(|s| Arc::new(StatusView(s.status.clone())) as Arc<dyn quire_rpc::L1View>);
        let (rpc_addr, rpc) = match quire_rpc::start(
            sequencer.clone(),
            coordinator.clone(),
            &config.rpc,
            config.proving.token.clone(),
            l1_view,
            deposits.as_ref().map(|d| d.store.clone()),
        )
        .await
        {
            Ok(started) => started,
            Err(e) => {
                workers.stop();
                if let Some(s) = settlement {
                    s.stop();
                }
                if let Some(d) = deposits {
                    d.stop();
                }
                let _ = sequencer.shutdown();
                return Err(e).with_context(|| format!("starting JSON-RPC on {}", config.rpc.addr));
            }
        };
        let l1 = config.l1.rpc_url.clone().map(|url| {
            let poll = Duration::from_millis(config.l1.poll_ms.unwrap_or(2_000));
            tokio::spawn(l1::follow_head(url, poll))
        });
        tracing::info!(%rpc_addr, chain_id = sequencer.chain_id(), "node running");
        Ok(Self {
            sequencer,
            coordinator,
            workers,
            rpc_addr,
            rpc,
            l1,
            settlement,
            deposits,
        })
    }

    /// HTTP URL of the RPC server.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// WebSocket URL of the RPC server.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc_addr)
    }

    /// Resolves when the node must stop on its own (the producer failed).
    pub async fn failed(&self) -> String {
        loop {
            if let Some(why) = self.sequencer.failure() {
                return why;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stops the RPC server, lets the producer finish its block, flushes storage.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
        if let Some(l1) = self.l1 {
            l1.abort();
        }
        if let Some(s) = self.settlement {
            s.stop();
        }
        if let Some(d) = self.deposits {
            d.stop();
        }
        let workers = self.workers;
        tokio::task::spawn_blocking(move || workers.stop())
            .await
            .context("stopping provers panicked")?;
        let seq = self.sequencer.clone();
        tokio::task::spawn_blocking(move || seq.shutdown())
            .await
            .context("shutdown panicked")?
            .context("flushing storage")?;
        tracing::info!("node stopped");
        Ok(())
    }
}
