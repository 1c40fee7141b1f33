//! The Rollup contract from Rust: its alloy bindings, its compiled bytecode and deployment,
//! and the header a window commits to, built from a final proof's public inputs.

use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::Provider;
use alloy::sol_types::SolConstructor;
use anyhow::Context;
use quire_aggregator::public_inputs::AggregatePublicInputs;
use quire_primitives::field::digest_to_b256;

/// alloy's generated call, event and error types carry no docs of their own (and the
/// event's generated constructor takes one argument per field).
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    alloy::sol! {
    /// The Rollup (contracts/solidity/Rollup.sol).
    contract Rollup {
        #[derive(Debug, PartialEq, Eq)]
        struct WindowHeader {
            uint64 firstBatch;
            uint64 lastBatch;
            bytes32 prevRoot;
            bytes32 newRoot;
            uint64 leafCountBefore;
            uint64 leafCountAfter;
            bytes32 batchesDigest;
            uint64 txCount;
        }
        constructor(address verifier_, address operator_, bytes32 genesisRoot, uint64 genesisLeafCount);
        event WindowCommitted(uint256 indexed window, uint64 firstBatch, uint64 lastBatch, bytes32 prevRoot, bytes32 newRoot, bytes32 batchesDigest, bytes32[] blobHashes, bytes32 calldataHash);
        event WindowFinalized(uint256 indexed window, uint64 lastBatch, bytes32 stateRoot);
        event WindowsReverted(uint256 keptWindows, uint256 removedWindows);
        error NotOperator();
        error NotAdmin();
        error NotNextBatch(uint64 expected, uint64 got);
        error BadBatchRange();
        error PrevRootMismatch();
        error LeafCountMismatch();
        error NonCanonicalWord();
        error MissingBlob(uint256 index);
        error UncountedBlob(uint256 index);
        error NoData();
        error DataInBothModes();
        error NothingToProve();
        error HeaderMismatch();
        error ProofRejected();
        error BadRevert();
        function commitWindow(WindowHeader calldata h, uint256 blobCount, bytes calldata data) external;
        function proveWindow(WindowHeader calldata h, bytes32[] calldata blobHashes, bytes32 calldataHash, bytes calldata proof) external;
        function revertWindows(uint64 keep, WindowHeader calldata tip, bytes32[] calldata tipBlobHashes, bytes32 tipCalldataHash) external;
        function committedWindows() external view returns (uint64);
        function finalizedWindows() external view returns (uint64);
        function lastCommittedBatch() external view returns (uint64);
        function lastFinalizedBatch() external view returns (uint64);
        function finalizedStateRoot() external view returns (bytes32);
        function committedStateRoot() external view returns (bytes32);
        function windowCommitment(uint256 id) external view returns (bytes32);
        function operator() external view returns (address);
    }
    }
}
pub use bindings::Rollup;
pub use bindings::Rollup::WindowHeader;

/// Creation bytecode of the committed Rollup (hex), as `contracts/build.sh` compiles it.
pub const ROLLUP_BYTECODE_HEX: &str = include_str!("../artifacts/Rollup.bin");

/// The header a window's final proof attests (and its commit must claim).
pub fn window_header(pi: &AggregatePublicInputs) -> WindowHeader {
    WindowHeader {
        firstBatch: pi.first_batch,
        lastBatch: pi.last_batch,
        prevRoot: digest_to_b256(&pi.prev_root),
        newRoot: digest_to_b256(&pi.new_root),
        leafCountBefore: pi.leaf_count_before,
        leafCountAfter: pi.leaf_count_after,
        batchesDigest: digest_to_b256(&pi.batches_digest),
        txCount: pi.tx_count,
    }
}

/// Deploys the committed Rollup from the provider's default account, for a chain whose
/// state before batch 1 is `genesis_root` with `genesis_leaf_count` accounts.
pub async fn deploy_rollup<P: Provider>(
    provider: &P,
    verifier: Address,
    operator: Address,
    genesis_root: B256,
    genesis_leaf_count: u64,
) -> anyhow::Result<Address> {
    let hex = ROLLUP_BYTECODE_HEX.trim().trim_start_matches("0x");
    let mut code = hex::decode(hex).context("artifacts/Rollup.bin is not hex")?;
    code.extend(
        Rollup::constructorCall {
            verifier_: verifier,
            operator_: operator,
            genesisRoot: genesis_root,
            genesisLeafCount: genesis_leaf_count,
        }
        .abi_encode(),
    );
    crate::deploy::deploy_code(provider, Bytes::from(code), "Rollup").await
}
