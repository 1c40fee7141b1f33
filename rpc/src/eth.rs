//! `eth_*`: the methods wallets and tooling (cast, alloy, ethers, web3.py, MetaMask) call.

use std::sync::Arc;

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{
    Block, FeeHistory, SyncStatus, Transaction, TransactionReceipt, TransactionRequest,
};
use jsonrpsee::core::{async_trait, to_json_raw_value, RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::server::PendingSubscriptionSink;
use quire_primitives::transfer::TRANSFER_GAS;
use quire_sequencer::{Sequencer, StateAt, TxError, TxLookup};
use tokio::sync::broadcast::error::RecvError;

use crate::convert;
use crate::errors::{invalid_params, server_error, store_error, tx_error};

/// The `eth` namespace.
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// EIP-155 chain id.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;
    /// Head block number.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;
    /// Balance at a block (latest by default).
    #[method(name = "getBalance")]
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// Nonce at a block; `pending` counts mempool transactions.
    #[method(name = "getTransactionCount")]
    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;
    /// Always empty: quire has no contracts.
    #[method(name = "getCode")]
    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// Submits a signed transaction; answers once it is journaled.
    #[method(name = "sendRawTransaction")]
    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256>;
    /// A transaction, pending or included.
    #[method(name = "getTransactionByHash")]
    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>>;
    /// Receipt of an included transaction.
    #[method(name = "getTransactionReceipt")]
    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>>;
    /// A block by number or tag.
    #[method(name = "getBlockByNumber")]
    fn block_by_number(&self, number: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>>;
    /// A block by hash.
    #[method(name = "getBlockByHash")]
    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>>;
    /// Legacy gas price suggestion: base fee + suggested tip.
    #[method(name = "gasPrice")]
    fn gas_price(&self) -> RpcResult<U256>;
    /// Suggested tip.
    #[method(name = "maxPriorityFeePerGas")]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;
    /// Base fees, gas used ratios and tip percentiles of recent blocks.
    #[method(name = "feeHistory")]
    fn fee_history(
        &self,
        block_count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
    /// 21,000 for a valid transfer; an error for anything quire cannot execute.
    #[method(name = "estimateGas")]
    fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64>;
    /// Empty output for a valid transfer (there is no code to run).
    #[method(name = "call")]
    fn call(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// Always `false`: the sequencer is the chain's source.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<SyncStatus>;
    /// No node-managed accounts.
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;
    /// `newHeads` subscription (WebSocket).
    #[subscription(name = "subscribe" => "subscription", unsubscribe = "unsubscribe", item = alloy_rpc_types_eth::Header)]
    async fn subscribe(&self, kind: String) -> SubscriptionResult;
}

/// Implementation of [`EthApiServer`].
pub struct EthRpc {
    seq: Arc<Sequencer>,
    max_fee_history_blocks: u64,
    l1: Option<Arc<dyn crate::L1View>>,
}

impl EthRpc {
    /// Serves `seq`.
    pub fn new(
        seq: Arc<Sequencer>,
        max_fee_history_blocks: u64,
        l1: Option<Arc<dyn crate::L1View>>,
    ) -> Self {
        Self {
            seq,
            max_fee_history_blocks,
            l1,
        }
    }

    /// Block number a tag refers to. `safe` is the last block of the last batch whose L1
    /// commit counts (its data is on L1), `finalized` the last block of the last batch L1
    /// finalized with a proof; both are genesis without L1 settlement.
    fn number_of(&self, tag: BlockNumberOrTag) -> u64 {
        let last_block = |batch: u64| {
            self.seq.batch(batch).ok().flatten().map_or(0, |h| {
                if batch == 0 {
                    0
                } else {
                    h.last_block
                }
            })
        };
        match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => self.seq.head().number,
            BlockNumberOrTag::Earliest => 0,
            BlockNumberOrTag::Safe => self
                .l1
                .as_ref()
                .map_or(0, |l| last_block(l.committed_batch())),
            BlockNumberOrTag::Finalized => self
                .l1
                .as_ref()
                .map_or(0, |l| last_block(l.finalized_batch())),
            BlockNumberOrTag::Number(n) => n,
        }
    }

    fn state_at(&self, block: Option<BlockId>) -> RpcResult<StateAt> {
        let head = self.seq.head().number;
        let number = match block.unwrap_or_default() {
            BlockId::Number(tag) => self.number_of(tag),
            BlockId::Hash(h) => {
                self.seq
                    .block_by_hash(&h.block_hash)
                    .map_err(store_error)?
                    .ok_or_else(|| server_error(format!("block {} not found", h.block_hash)))?
                    .header
                    .number
            }
        };
        match number {
            n if n > head => Err(server_error(format!(
                "header not found: block {n} is beyond the head {head}"
            ))),
            n if n == head => Ok(StateAt::Latest),
            n => Ok(StateAt::Block(n)),
        }
    }

    /// Checks a call/estimate request is a transfer quire can execute.
    fn check_transfer(&self, req: &TransactionRequest) -> RpcResult<()> {
        use alloy_primitives::TxKind;
        match req.to {
            Some(TxKind::Call(_)) => {}
            _ => return Err(tx_error(TxError::ContractCreation)),
        }
        if req.input.input().is_some_and(|i| !i.is_empty()) {
            return Err(tx_error(TxError::Calldata));
        }
        if let (Some(from), Some(value)) = (req.from, req.value) {
            let have = self
                .seq
                .account(&from, StateAt::Latest)
                .map_err(store_error)?
                .balance;
            if value > U256::from(have) {
                return Err(server_error("insufficient funds for transfer"));
            }
        }
        if req.gas.is_some_and(|g| g < TRANSFER_GAS) {
            return Err(tx_error(TxError::IntrinsicGasTooLow {
                have: req.gas.unwrap_or_default(),
            }));
        }
        Ok(())
    }

    fn suggested_tip(&self) -> u128 {
        // Blocks are rarely full and the base fee is fixed; a small tip gets priority when
        // the mempool has a backlog.
        1_000_000
    }
}

#[async_trait]
impl EthApiServer for EthRpc {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.seq.chain_id()))
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.seq.head().number))
    }

    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        let at = self.state_at(block)?;
        Ok(U256::from(
            self.seq.account(&address, at).map_err(store_error)?.balance,
        ))
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        if matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending))) {
            return Ok(U64::from(self.seq.pending_nonce(&address)));
        }
        let at = self.state_at(block)?;
        Ok(U64::from(
            self.seq.account(&address, at).map_err(store_error)?.nonce,
        ))
    }

    fn code(&self, _address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        self.state_at(block)?;
        Ok(Bytes::new())
    }

    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256> {
        self.seq.submit(bytes).await.map_err(tx_error)
    }

    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        match self.seq.tx(&hash).map_err(store_error)? {
            Some(TxLookup::Included { record, header }) => Ok(Some(
                convert::included_tx(&record, &header).map_err(store_error)?,
            )),
            Some(TxLookup::Pending(p)) => Ok(Some(convert::pending_tx(
                p.tx.envelope.clone(),
                p.tx.transfer.sender,
            ))),
            None => Ok(None),
        }
    }

    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        match self.seq.tx(&hash).map_err(store_error)? {
            Some(TxLookup::Included { record, header }) => Ok(Some(
                convert::receipt(hash, &record, &header).map_err(store_error)?,
            )),
            _ => Ok(None),
        }
    }

    fn block_by_number(&self, number: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>> {
        let n = self.number_of(number);
        let Some(stored) = self.seq.block(n).map_err(store_error)? else {
            return Ok(None);
        };
        let store = self.seq.store();
        Ok(Some(
            convert::block(&stored, full, |h| store.tx(h)).map_err(store_error)?,
        ))
    }

    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>> {
        let Some(stored) = self.seq.block_by_hash(&hash).map_err(store_error)? else {
            return Ok(None);
        };
        let store = self.seq.store();
        Ok(Some(
            convert::block(&stored, full, |h| store.tx(h)).map_err(store_error)?,
        ))
    }

    fn gas_price(&self) -> RpcResult<U256> {
        Ok(U256::from(
            u128::from(self.seq.base_fee()) + self.suggested_tip(),
        ))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::from(self.suggested_tip()))
    }

    fn fee_history(
        &self,
        block_count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let count = block_count.to::<u64>().min(self.max_fee_history_blocks);
        let head = self.seq.head().number;
        let newest = self.number_of(newest);
        if newest > head {
            return Err(server_error(format!(
                "request beyond head block: requested {newest}, head {head}"
            )));
        }
        let percentiles = percentiles.unwrap_or_default();
        if percentiles.windows(2).any(|w| w[0] > w[1])
            || percentiles.iter().any(|p| !(0.0..=100.0).contains(p))
        {
            return Err(invalid_params(
                "reward percentiles must be ascending and within [0, 100]",
            ));
        }
        if count == 0 {
            return Ok(FeeHistory::default());
        }
        let oldest = (newest + 1).saturating_sub(count);
        let base_fee = u128::from(self.seq.base_fee());
        let mut history = FeeHistory {
            oldest_block: oldest,
            ..Default::default()
        };
        let mut rewards = Vec::new();
        for n in oldest..=newest {
            let stored = self
                .seq
                .block(n)
                .map_err(store_error)?
                .ok_or_else(|| server_error(format!("block {n} missing")))?;
            history
                .base_fee_per_gas
                .push(u128::from(stored.header.base_fee));
            history
                .gas_used_ratio
                .push(stored.header.gas_used as f64 / stored.header.gas_limit.max(1) as f64);
            if !percentiles.is_empty() {
                let mut tips = Vec::with_capacity(stored.tx_hashes.len());
                for h in &stored.tx_hashes {
                    let record = self
                        .seq
                        .store()
                        .tx(h)
                        .map_err(store_error)?
                        .ok_or_else(|| server_error("transaction missing"))?;
                    let tx = convert::decode_raw(&record.raw).map_err(store_error)?;
                    use alloy_consensus::Transaction as _;
                    tips.push(
                        tx.effective_tip_per_gas(stored.header.base_fee)
                            .unwrap_or_default(),
                    );
                }
                tips.sort_unstable();
                // All transfers use the same gas, so gas-weighted percentiles are plain ones.
                rewards.push(
                    percentiles
                        .iter()
                        .map(|p| {
                            if tips.is_empty() {
                                return 0;
                            }
                            let i = ((p / 100.0) * tips.len() as f64).ceil() as usize;
                            tips[i.saturating_sub(1).min(tips.len() - 1)]
                        })
                        .collect(),
                );
            }
        }
        history.base_fee_per_gas.push(base_fee);
        if !percentiles.is_empty() {
            history.reward = Some(rewards);
        }
        Ok(history)
    }

    fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64> {
        self.state_at(block)?;
        self.check_transfer(&request)?;
        Ok(U64::from(TRANSFER_GAS))
    }

    fn call(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<Bytes> {
        self.state_at(block)?;
        self.check_transfer(&request)?;
        Ok(Bytes::new())
    }

    fn syncing(&self) -> RpcResult<SyncStatus> {
        Ok(SyncStatus::None)
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(Vec::new())
    }

    async fn subscribe(
        &self,
        pending: PendingSubscriptionSink,
        kind: String,
    ) -> SubscriptionResult {
        if kind != "newHeads" {
            pending
                .reject(invalid_params(format!(
                    "unsupported subscription {kind:?}: only newHeads"
                )))
                .await;
            return Ok(());
        }
        let mut heads = self.seq.subscribe_heads();
        let sink = pending.accept().await?;
        loop {
            tokio::select! {
                _ = sink.closed() => return Ok(()),
                head = heads.recv() => match head {
                    Ok(h) => {
                        let msg = to_json_raw_value(&convert::header(&h))?;
                        if sink.send(jsonrpsee::SubscriptionMessage::from(msg)).await.is_err() {
                            return Ok(());
                        }
                    }
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}
