//! The chain as provers read it: [`ChainReader`] over the node's database.

use quire_primitives::chain::{ChainReadError, ChainReader, Operation, SealedBatch};
use quire_primitives::{AccountLeaf, BatchHeader, BatchStatus, Deposit, Transfer};

use super::{Store, StoreError};

impl From<StoreError> for ChainReadError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(why) => ChainReadError::Inconsistent(why),
            StoreError::Db(e) => ChainReadError::Storage(e.to_string()),
        }
    }
}

impl ChainReader for Store {
    fn batch_header(&self, number: u64) -> Result<Option<BatchHeader>, ChainReadError> {
        Ok(self.batch(number)?)
    }

    fn sealed_batch(&self, number: u64) -> Result<SealedBatch, ChainReadError> {
        let bad = ChainReadError::Inconsistent;
        let header = match self.batch(number)? {
            Some(h) if number > 0 => h,
            _ => return Err(ChainReadError::NoBatch(number)),
        };
        if header.status() != BatchStatus::Sealed {
            return Err(ChainReadError::NotSealed(number));
        }
        let mut operations = Vec::with_capacity(header.tx_count as usize);
        let mut fees = None;
        for n in header.first_block..=header.last_block {
            let block = self
                .block(n)?
                .ok_or_else(|| bad(format!("block {n} missing")))?;
            let here = (block.header.base_fee, block.header.fee_recipient);
            if *fees.get_or_insert(here) != here {
                return Err(bad(format!(
                    "block {n} changes the base fee or fee recipient within batch {number}"
                )));
            }
            // Each block credits its deposits before its transfers.
            operations.extend(
                block
                    .deposits
                    .iter()
                    .map(|d| Operation::Deposit(Deposit::from(d))),
            );
            for hash in &block.tx_hashes {
                let record = self
                    .tx(hash)?
                    .ok_or_else(|| bad(format!("transaction {hash} missing")))?;
                let t = Transfer::from_raw(&record.raw, record.sender)
                    .map_err(|e| bad(format!("transaction {hash}: {e}")))?;
                operations.push(Operation::Transfer(t));
            }
        }
        let (base_fee, fee_recipient) = fees.ok_or_else(|| bad("batch has no blocks".into()))?;
        Ok(SealedBatch {
            header,
            operations,
            base_fee,
            fee_recipient,
        })
    }

    fn leaves_at(&self, batch: u64) -> Result<Vec<AccountLeaf>, ChainReadError> {
        Ok(Store::leaves_at(self, batch)?)
    }

    fn signed_transactions(&self, number: u64) -> Result<Vec<Vec<u8>>, ChainReadError> {
        let bad = ChainReadError::Inconsistent;
        let header = match self.batch(number)? {
            Some(h) if number > 0 => h,
            _ => return Err(ChainReadError::NoBatch(number)),
        };
        if header.status() != BatchStatus::Sealed {
            return Err(ChainReadError::NotSealed(number));
        }
        let mut raw = Vec::with_capacity(header.tx_count as usize);
        for n in header.first_block..=header.last_block {
            let block = self
                .block(n)?
                .ok_or_else(|| bad(format!("block {n} missing")))?;
            for hash in &block.tx_hashes {
                let record = self
                    .tx(hash)?
                    .ok_or_else(|| bad(format!("transaction {hash} missing")))?;
                raw.push(record.raw.to_vec());
            }
        }
        Ok(raw)
    }
}
