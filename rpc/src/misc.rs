//! `net_*` and `web3_*`.

use std::sync::Arc;

use alloy_primitives::{keccak256, Bytes, B256, U64};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use quire_sequencer::Sequencer;

/// The `net` namespace.
#[rpc(server, namespace = "net")]
pub trait NetApi {
    /// Chain id as a decimal string.
    #[method(name = "version")]
    fn version(&self) -> RpcResult<String>;
    /// Always true while serving.
    #[method(name = "listening")]
    fn listening(&self) -> RpcResult<bool>;
    /// quire has no p2p peers.
    #[method(name = "peerCount")]
    fn peer_count(&self) -> RpcResult<U64>;
}

/// The `web3` namespace.
#[rpc(server, namespace = "web3")]
pub trait Web3Api {
    /// `quire/<version>`.
    #[method(name = "clientVersion")]
    fn client_version(&self) -> RpcResult<String>;
    /// Keccak-256 of the input.
    #[method(name = "sha3")]
    fn sha3(&self, input: Bytes) -> RpcResult<B256>;
}

/// Implementation of [`NetApiServer`] and [`Web3ApiServer`].
pub struct MiscRpc {
    seq: Arc<Sequencer>,
}

impl MiscRpc {
    /// Serves `seq`.
    pub fn new(seq: Arc<Sequencer>) -> Self {
        Self { seq }
    }
}

impl NetApiServer for MiscRpc {
    fn version(&self) -> RpcResult<String> {
        Ok(self.seq.chain_id().to_string())
    }
    fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }
    fn peer_count(&self) -> RpcResult<U64> {
        Ok(U64::ZERO)
    }
}

impl Web3ApiServer for MiscRpc {
    fn client_version(&self) -> RpcResult<String> {
        Ok(format!("quire/v{}", env!("CARGO_PKG_VERSION")))
    }
    fn sha3(&self, input: Bytes) -> RpcResult<B256> {
        Ok(keccak256(input))
    }
}
