//! quire records as the alloy RPC types wallets parse.

use alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH;
use alloy_consensus::transaction::Recovered;
use alloy_consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxEnvelope, TxType,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Bloom, B256, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use quire_primitives::BlockHeader;
use quire_sequencer::storage::StoreError;
use quire_sequencer::storage::{StoredBlock, TxRecord};

/// The RPC header. `transactionsRoot` carries the Poseidon transaction commitment and
/// `stateRoot` the Poseidon state root; `receiptsRoot` is not computed (zero).
pub fn header(h: &BlockHeader) -> Header {
    let inner = alloy_consensus::Header {
        parent_hash: h.parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: h.fee_recipient,
        state_root: h.state_root,
        transactions_root: h.tx_commitment,
        receipts_root: B256::ZERO,
        logs_bloom: Bloom::ZERO,
        difficulty: U256::ZERO,
        number: h.number,
        gas_limit: h.gas_limit,
        gas_used: h.gas_used,
        timestamp: h.timestamp,
        base_fee_per_gas: Some(h.base_fee),
        ..Default::default()
    };
    Header {
        hash: h.hash(),
        inner,
        total_difficulty: Some(U256::ZERO),
        size: None,
    }
}

pub fn decode_raw(raw: &[u8]) -> Result<TxEnvelope, StoreError> {
    TxEnvelope::decode_2718(&mut &raw[..])
        .map_err(|e| StoreError::Corrupt(format!("stored transaction: {e}")))
}

/// An included transaction.
pub fn included_tx(record: &TxRecord, block: &BlockHeader) -> Result<Transaction, StoreError> {
    let envelope = decode_raw(&record.raw)?;
    let price = effective_price(&envelope, block.base_fee);
    Ok(Transaction {
        inner: Recovered::new_unchecked(envelope, record.sender),
        block_hash: Some(block.hash()),
        block_number: Some(block.number),
        block_timestamp: Some(block.timestamp),
        transaction_index: Some(record.index),
        effective_gas_price: Some(price),
    })
}

/// A pending transaction.
pub fn pending_tx(envelope: TxEnvelope, sender: alloy_primitives::Address) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(envelope, sender),
        block_hash: None,
        block_number: None,
        block_timestamp: None,
        transaction_index: None,
        effective_gas_price: None,
    }
}

fn effective_price(envelope: &TxEnvelope, base_fee: u64) -> u128 {
    use alloy_consensus::Transaction as _;
    envelope.effective_gas_price(Some(base_fee))
}

/// The receipt of an included transfer: always successful, 21,000 gas, no logs.
pub fn receipt(
    hash: B256,
    record: &TxRecord,
    block: &BlockHeader,
) -> Result<TransactionReceipt, StoreError> {
    use alloy_consensus::Transaction as _;
    let envelope = decode_raw(&record.raw)?;
    let gas = quire_primitives::transfer::TRANSFER_GAS;
    let inner = ReceiptWithBloom {
        receipt: Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: gas * (record.index + 1),
            logs: Vec::<Log>::new(),
        },
        logs_bloom: Bloom::ZERO,
    };
    let inner = match envelope.tx_type() {
        TxType::Legacy => ReceiptEnvelope::Legacy(inner),
        TxType::Eip2930 => ReceiptEnvelope::Eip2930(inner),
        _ => ReceiptEnvelope::Eip1559(inner),
    };
    Ok(TransactionReceipt {
        inner,
        transaction_hash: hash,
        transaction_index: Some(record.index),
        block_hash: Some(block.hash()),
        block_number: Some(block.number),
        gas_used: gas,
        effective_gas_price: effective_price(&envelope, block.base_fee),
        blob_gas_used: None,
        blob_gas_price: None,
        from: record.sender,
        to: envelope.to(),
        contract_address: None,
    })
}

/// A block, with transaction hashes or full transactions.
pub fn block(
    stored: &StoredBlock,
    full: bool,
    load: impl Fn(&B256) -> Result<Option<TxRecord>, StoreError>,
) -> Result<Block, StoreError> {
    let transactions = if full {
        let mut txs = Vec::with_capacity(stored.tx_hashes.len());
        for h in &stored.tx_hashes {
            let record = load(h)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "transaction {h} of block {} missing",
                    stored.header.number
                ))
            })?;
            txs.push(included_tx(&record, &stored.header)?);
        }
        BlockTransactions::Full(txs)
    } else {
        BlockTransactions::Hashes(stored.tx_hashes.clone())
    };
    Ok(Block {
        header: header(&stored.header),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    })
}
