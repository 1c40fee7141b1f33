//! Withdrawals to L1: the reserved L2 address a withdrawal is sent to, the running hash
//! that fixes the order of every withdrawal the chain made, the leaves users claim on the
//! Bridge and the Keccak Merkle tree of a window's withdrawals, built the way the contracts
//! build it (`WithdrawalTree` in `contracts/solidity/Bridge.sol`).
//!
//! Keccak because a claim verifies the path on L1, where Keccak costs 36 gas a node and
//! Poseidon over Goldilocks thousands. A leaf is 40 bytes (index, recipient, amount) and an
//! inner node 64, so no leaf is an inner node's preimage. The tree is padded with zero
//! hashes to a power of two.

use alloy_primitives::{address, keccak256, Address, FixedBytes, B256};

/// The L2 address a transfer withdraws to: its bytes spell "quire", as the Bridge's
/// `WITHDRAWAL_ADDRESS`. Value sent to it leaves circulation on L2 (no key controls the
/// address: finding one takes a 160-bit preimage search) and is paid on L1 to the
/// sender's own address once the window that holds it is finalized. Its balance is the
/// total ever withdrawn.
pub const WITHDRAWAL_ADDRESS: Address = address!("0x0000000000000000000000000000007175697265");

/// The running hash of every withdrawal the chain made, in order
/// ([`genesis_withdrawal_hash`] before the first): what signature proofs compute with the
/// Keccak table and the Rollup recomputes from the list it records, 24 bytes as the
/// Bridge's deposit queue hash.
pub type WithdrawalHash = FixedBytes<24>;

/// The withdrawal hash before any withdrawal, the Rollup's `GENESIS_WITHDRAWAL_HASH`.
pub fn genesis_withdrawal_hash() -> WithdrawalHash {
    WithdrawalHash::from_slice(&keccak256(b"quire withdrawals")[..24])
}

/// Bytes one withdrawal's hash step absorbs: previous hash (24), recipient (20), amount
/// (12, big-endian).
pub const WITHDRAWAL_STEP_BYTES: usize = 24 + 20 + 12;

/// One withdrawal as the Rollup's `proveWindow` takes it: the recipient's 20 bytes, then
/// the amount's low 12 (big-endian), the 32 bytes its hash step absorbs after the hash.
pub fn withdrawal_word(recipient: &Address, amount: u128) -> B256 {
    let mut w = [0u8; 32];
    w[..20].copy_from_slice(recipient.as_slice());
    w[20..].copy_from_slice(&amount.to_be_bytes()[4..]);
    B256::from(w)
}

/// The withdrawal hash after one more withdrawal of `amount` (below 2^96) to `recipient`.
pub fn withdrawal_hash(prev: WithdrawalHash, recipient: &Address, amount: u128) -> WithdrawalHash {
    debug_assert!(amount < 1 << 96, "withdrawal amount above 2^96");
    let mut pre = [0u8; WITHDRAWAL_STEP_BYTES];
    pre[..24].copy_from_slice(prev.as_slice());
    pre[24..].copy_from_slice(withdrawal_word(recipient, amount).as_slice());
    WithdrawalHash::from_slice(&keccak256(pre)[..24])
}

/// One withdrawal, numbered across the whole chain so that each is claimable once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Withdrawal {
    /// Its number, from 0, in the order L1 finalized them.
    pub index: u64,
    /// Who is paid on L1.
    pub recipient: Address,
    /// Wei paid (below 2^96).
    pub amount: u128,
}

impl Withdrawal {
    /// The tree leaf: Keccak-256 of index (8 bytes big-endian), recipient (20), amount (12).
    /// The amount must be below 2^96 (L2 balances are): only its low 12 bytes are hashed.
    pub fn leaf(&self) -> B256 {
        debug_assert!(self.amount < 1 << 96, "withdrawal amount above 2^96");
        let mut pre = [0u8; 8 + 20 + 12];
        pre[..8].copy_from_slice(&self.index.to_be_bytes());
        pre[8..28].copy_from_slice(self.recipient.as_slice());
        pre[28..].copy_from_slice(&self.amount.to_be_bytes()[4..]);
        keccak256(pre)
    }
}

/// The tree over a window's withdrawal leaves, every level kept so paths are cheap.
#[derive(Clone, Debug)]
pub struct WithdrawalTree {
    /// `levels[0]` the padded leaves, the last level the root alone.
    levels: Vec<Vec<B256>>,
    leaves: usize,
}

/// The path that shows a leaf is in a root.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WithdrawalPath {
    /// The leaf's position in its tree.
    pub position: u64,
    /// Siblings, bottom first.
    pub siblings: Vec<B256>,
}

fn node(a: &B256, b: &B256) -> B256 {
    let mut pre = [0u8; 64];
    pre[..32].copy_from_slice(a.as_slice());
    pre[32..].copy_from_slice(b.as_slice());
    keccak256(pre)
}

impl WithdrawalTree {
    /// Builds the tree over `leaves` (a window with none has the zero root).
    pub fn new(leaves: &[B256]) -> Self {
        let width = leaves.len().max(1).next_power_of_two();
        let mut level = leaves.to_vec();
        level.resize(width, B256::ZERO);
        let mut levels = vec![level];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().expect("a level");
            let up = below.chunks(2).map(|p| node(&p[0], &p[1])).collect();
            levels.push(up);
        }
        Self {
            levels,
            leaves: leaves.len(),
        }
    }

    /// The root the Bridge records (zero for a window without withdrawals: its one padded
    /// leaf is zero).
    pub fn root(&self) -> B256 {
        self.levels.last().expect("a level")[0]
    }

    /// The path of the leaf at `position`, or `None` past the last leaf.
    pub fn path(&self, position: usize) -> Option<WithdrawalPath> {
        if position >= self.leaves {
            return None;
        }
        let siblings = self.levels[..self.levels.len() - 1]
            .iter()
            .enumerate()
            .map(|(depth, level)| level[(position >> depth) ^ 1])
            .collect();
        Some(WithdrawalPath {
            position: position as u64,
            siblings,
        })
    }
}

impl WithdrawalPath {
    /// The root `leaf` reaches along this path (what `claimWithdrawal` compares).
    pub fn root_from(&self, leaf: B256) -> B256 {
        self.siblings
            .iter()
            .enumerate()
            .fold(leaf, |acc, (depth, sibling)| {
                if (self.position >> depth) & 1 == 0 {
                    node(&acc, sibling)
                } else {
                    node(sibling, &acc)
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn withdrawals(n: usize) -> Vec<Withdrawal> {
        (0..n)
            .map(|i| Withdrawal {
                index: 40 + i as u64,
                recipient: Address::repeat_byte(i as u8 + 1),
                amount: 1000 + i as u128,
            })
            .collect()
    }

    #[test]
    fn every_path_reaches_the_root_and_no_other_leaf_does() {
        for n in 1..=9 {
            let w = withdrawals(n);
            let leaves: Vec<B256> = w.iter().map(Withdrawal::leaf).collect();
            let tree = WithdrawalTree::new(&leaves);
            for (i, leaf) in leaves.iter().enumerate() {
                let path = tree.path(i).unwrap();
                assert_eq!(path.root_from(*leaf), tree.root(), "n={n} i={i}");
                assert_eq!(
                    path.siblings.len(),
                    n.next_power_of_two().trailing_zeros() as usize
                );
                let forged = Withdrawal {
                    amount: w[i].amount + 1,
                    ..w[i]
                };
                assert_ne!(path.root_from(forged.leaf()), tree.root());
            }
            assert!(tree.path(n).is_none());
        }
        assert_eq!(WithdrawalTree::new(&[]).root(), B256::ZERO);
    }
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    #[test]
    fn the_withdrawal_hash_chains_and_depends_on_every_field() {
        let g = genesis_withdrawal_hash();
        let to = Address::repeat_byte(1);
        let h = withdrawal_hash(g, &to, 5);
        assert_ne!(h, g);
        assert_ne!(
            withdrawal_hash(g, &Address::repeat_byte(2), 5),
            h,
            "recipient"
        );
        assert_ne!(withdrawal_hash(g, &to, 6), h, "amount");
        assert_ne!(withdrawal_hash(h, &to, 5), h, "the previous hash enters");
        // The same 56 bytes as `abi.encodePacked(prev, recipient, uint96(amount))`.
        let mut pre = Vec::new();
        pre.extend_from_slice(g.as_slice());
        pre.extend_from_slice(to.as_slice());
        pre.extend_from_slice(&[0u8; 11]);
        pre.push(5);
        assert_eq!(h.as_slice(), &keccak256(&pre)[..24]);
    }
}

#[cfg(test)]
mod solidity_vector {
    use super::*;

    /// The same three leaves as `test_tree_root_matches_the_rust_tree` in
    /// `contracts/test/Bridge.t.sol`, with the same root.
    #[test]
    fn matches_the_solidity_library() {
        let leaves: Vec<B256> = (0..3u64)
            .map(|i| {
                Withdrawal {
                    index: 7 + i,
                    recipient: Address::left_padding_from(&(0x1000 + i as u16).to_be_bytes()),
                    amount: u128::from(i) + 1,
                }
                .leaf()
            })
            .collect();
        assert_eq!(
            WithdrawalTree::new(&leaves).root(),
            alloy_primitives::b256!(
                "39b215287d368c442ba24ccca17363f16baf04b9d5f692bb37e86d2aafd26e26"
            )
        );
    }
}
