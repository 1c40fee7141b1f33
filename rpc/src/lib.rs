//! JSON-RPC served over HTTP and WebSocket on one port by jsonrpsee: `eth_*`, `net_*` and
//! `web3_*` for wallets, `quire_*` for rollup data (batches, their proving status and
//! proofs, L1 deposits), and `prover_*` for remote provers ([`prover`], with its generated client in
//! [`prover_client`]).

mod concurrent_batch;
mod convert;
mod deposits;
mod errors;
mod eth;
mod l1_view;
mod misc;
pub mod prover;
pub mod prover_client;
mod quire;
mod withdrawals;

pub use deposits::{
    DepositApiClient, DepositApiServer, DepositRpc, DepositState, DepositStatus, DepositView,
};
pub use eth::{EthApiServer, EthRpc};
pub use jsonrpsee::server::ServerHandle;
pub use l1_view::{L1View, L1Window};
pub use misc::{MiscRpc, NetApiServer, Web3ApiServer};
pub use quire::{BatchView, QuireApiClient, QuireApiServer, QuireRpc};
pub use withdrawals::{
    WithdrawalApiClient, WithdrawalApiServer, WithdrawalProof, WithdrawalRpc, WithdrawalState,
};

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig};
use jsonrpsee::RpcModule;
use quire_sequencer::Sequencer;
use serde::{Deserialize, Serialize};

/// Limits and address of the RPC server.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// Listen address for HTTP and WebSocket.
    pub addr: SocketAddr,
    /// Largest request body, in bytes.
    pub max_request_bytes: u32,
    /// Largest response body, in bytes.
    pub max_response_bytes: u32,
    /// Most calls in one JSON-RPC batch.
    pub max_batch_len: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Most blocks one `eth_feeHistory` call covers.
    pub max_fee_history_blocks: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8547".parse().expect("valid address"),
            max_request_bytes: 5 * 1024 * 1024,
            max_response_bytes: 20 * 1024 * 1024,
            max_batch_len: 1000,
            max_connections: 1024,
            max_fee_history_blocks: 1024,
        }
    }
}

/// Every method quire serves, in one module.
/// `prover_token`, when set, enables the `prover_*` methods for callers presenting it.
pub fn module(
    seq: Arc<Sequencer>,
    coordinator: Arc<quire_coordinator::Coordinator>,
    config: &RpcConfig,
    prover_token: Option<String>,
    l1: Option<Arc<dyn L1View>>,
    deposits: Option<Arc<quire_deposits::DepositStore>>,
) -> RpcModule<()> {
    let mut module = RpcModule::new(());
    module
        .merge(EthRpc::new(seq.clone(), config.max_fee_history_blocks, l1.clone()).into_rpc())
        .expect("no duplicate eth methods");
    module
        .merge(NetApiServer::into_rpc(MiscRpc::new(seq.clone())))
        .expect("no duplicate net methods");
    module
        .merge(Web3ApiServer::into_rpc(MiscRpc::new(seq.clone())))
        .expect("no duplicate web3 methods");
    module
        .merge(QuireRpc::new(seq.clone(), coordinator.clone(), l1.clone()).into_rpc())
        .expect("no duplicate quire methods");
    module
        .merge(WithdrawalRpc::new(seq.clone(), l1).into_rpc())
        .expect("no duplicate withdrawal methods");
    module
        .merge(DepositRpc::new(deposits, seq).into_rpc())
        .expect("no duplicate deposit methods");
    if let Some(token) = prover_token {
        use prover::ProverApiServer;
        module
            .merge(prover::ProverRpc::new(coordinator, token).into_rpc())
            .expect("no duplicate prover methods");
    }
    module
}

/// Starts the server; it runs until the handle is stopped. Returns the bound address.
pub async fn start(
    seq: Arc<Sequencer>,
    coordinator: Arc<quire_coordinator::Coordinator>,
    config: &RpcConfig,
    prover_token: Option<String>,
    l1: Option<Arc<dyn L1View>>,
    deposits: Option<Arc<quire_deposits::DepositStore>>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let cors = tower_http::cors::CorsLayer::new()
        .allow_methods([
            hyper::Method::POST,
            hyper::Method::GET,
            hyper::Method::OPTIONS,
        ])
        .allow_origin(tower_http::cors::Any)
        .allow_headers([hyper::header::CONTENT_TYPE]);
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .build();
    let max_response = config.max_response_bytes as usize;
    let rpc_middleware = jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
        .layer_fn(move |service| concurrent_batch::ConcurrentBatch::new(service, max_response));
    let server = Server::builder()
        .set_config(server_config)
        .set_rpc_middleware(rpc_middleware)
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(module(seq, coordinator, config, prover_token, l1, deposits));
    Ok((addr, handle))
}
