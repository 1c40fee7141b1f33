//! Creating the genesis state, block and batch.

use alloy_primitives::{keccak256, B256};
use quire_primitives::field::digest_to_b256;
use quire_primitives::{BatchStatus, BlockHeader, BridgeState, StateTree};

use crate::config::Genesis;
use crate::storage::{Store, StoreError, StoredBlock};

/// Fingerprint of a genesis definition, stored to catch a data dir reused with another.
pub fn fingerprint(genesis: &Genesis) -> B256 {
    keccak256(serde_json::to_vec(genesis).expect("genesis serialises"))
}

/// Builds the genesis tree from `genesis.alloc`.
pub fn genesis_tree(genesis: &Genesis) -> Result<StateTree, String> {
    let mut tree = StateTree::new();
    let mut alloc = genesis.alloc.clone();
    alloc.sort_by_key(|a| a.address);
    for pair in alloc.windows(2) {
        if pair[0].address == pair[1].address {
            return Err(format!("genesis allocates {} twice", pair[0].address));
        }
    }
    for a in &alloc {
        let (i, _) = tree.get_or_insert(a.address).map_err(|e| e.to_string())?;
        tree.set_account(i, 0, a.balance)
            .map_err(|e| format!("genesis balance of {}: {e}", a.address))?;
    }
    Ok(tree)
}

/// Writes genesis into an empty store: tree, block 0, and batch 0 (sealed, genesis only).
pub fn write_genesis(
    store: &Store,
    genesis: &Genesis,
    fee_recipient: alloy_primitives::Address,
) -> Result<(), String> {
    let mut tree = genesis_tree(genesis)?;
    tree.commit();
    let root = digest_to_b256(&tree.root());
    let header = BlockHeader {
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: 0,
        fee_recipient,
        state_root: root,
        tx_commitment: B256::ZERO,
        batch_number: 0,
        tx_count: 0,
        gas_used: 0,
        gas_limit: genesis.block_gas_limit,
        base_fee: genesis.base_fee,
    };
    let mut w = store.block_write();
    for (i, leaf) in tree.leaves().iter().enumerate() {
        w.leaf(i as u64, leaf, 0);
        w.account(&leaf.key, 0, leaf.nonce, leaf.balance);
    }
    w.block(&StoredBlock {
        header,
        tx_hashes: Vec::new(),
        deposits: Vec::new(),
    });
    let mut batch = crate::batch::open(0, 0, root, &BridgeState::genesis(), 0);
    batch.data_bytes = 0;
    batch.status = BatchStatus::Sealed.code();
    w.batch(&batch);
    w.genesis_fingerprint(&fingerprint(genesis));
    w.commit().map_err(|e: StoreError| e.to_string())
}
