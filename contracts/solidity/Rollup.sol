// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// The generated Verifier of final proofs (solidity/Verifier.sol).
interface IFinalProofVerifier {
    function verify(uint256[] calldata publicInputs, bytes calldata proof) external view returns (bool);
}

/// quire's settlement on L1. The L1 unit is an aggregation window: consecutive batches whose
/// data one commit records (the versioned hashes of the blobs of the same transaction, read
/// with `blobhash()`, or the Keccak-256 of calldata in the fallback mode) and one final proof
/// proves. Commits chain from the last committed window and may run ahead of proofs; a proof
/// finalizes the oldest unproven window only if the Verifier accepts it for exactly the
/// public inputs that window committed to, which chain from the last finalized state root.
///
/// Roots and digests are four Goldilocks elements packed big-endian into 32 bytes, as the
/// node's RPC prints them. Each window's header is stored as one hash; `proveWindow` and
/// `revertWindows` take the header again (calldata is cheaper than storage).
contract Rollup {
    /// What a window claims and its final proof must attest.
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

    /// Goldilocks: every 64-bit word of a root or digest must be a canonical element, so one
    /// proof cannot stand for two different committed roots.
    uint256 internal constant P = 0xffffffff00000001;
    /// The final circuit packs `first + last · 2^32` and keeps `last` below 2^31.
    uint64 internal constant MAX_BATCH = (1 << 31) - 1;

    IFinalProofVerifier public immutable verifier;
    /// May change the operator.
    address public admin;
    /// May commit and revert unproven windows.
    address public operator;

    /// Windows committed so far (ids start at 1) and how many of them are finalized.
    uint64 public committedWindows;
    uint64 public finalizedWindows;
    /// The committed tip: last batch, state root and account count claimed by the newest
    /// commit (the genesis values before the first).
    uint64 public lastCommittedBatch;
    uint64 public committedLeafCount;
    bytes32 public committedStateRoot;
    /// The finalized tip: proven by a final proof the Verifier accepted.
    uint64 public lastFinalizedBatch;
    uint64 public finalizedLeafCount;
    bytes32 public finalizedStateRoot;
    /// keccak256(abi.encode(header, blobHashes, calldataHash)) of each committed window.
    mapping(uint256 => bytes32) public windowCommitment;

    event WindowCommitted(
        uint256 indexed window,
        uint64 firstBatch,
        uint64 lastBatch,
        bytes32 prevRoot,
        bytes32 newRoot,
        bytes32 batchesDigest,
        bytes32[] blobHashes,
        bytes32 calldataHash
    );
    event WindowFinalized(uint256 indexed window, uint64 lastBatch, bytes32 stateRoot);
    event WindowsReverted(uint256 keptWindows, uint256 removedWindows);
    event OperatorChanged(address previous, address next);

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

    constructor(
        IFinalProofVerifier verifier_,
        address operator_,
        bytes32 genesisRoot,
        uint64 genesisLeafCount
    ) {
        _canonical(genesisRoot);
        verifier = verifier_;
        admin = msg.sender;
        operator = operator_;
        committedStateRoot = genesisRoot;
        finalizedStateRoot = genesisRoot;
        committedLeafCount = genesisLeafCount;
        finalizedLeafCount = genesisLeafCount;
        emit OperatorChanged(address(0), operator_);
    }

    modifier onlyOperator() {
        if (msg.sender != operator) revert NotOperator();
        _;
    }

    function setOperator(address next) external {
        if (msg.sender != admin) revert NotAdmin();
        emit OperatorChanged(operator, next);
        operator = next;
    }

    /// Records the next window. Its data rides in this transaction's `blobCount` blobs, or,
    /// with `blobCount == 0`, in `data` (calldata fallback).
    function commitWindow(WindowHeader calldata h, uint256 blobCount, bytes calldata data)
        external
        onlyOperator
    {
        if (h.firstBatch != lastCommittedBatch + 1) revert NotNextBatch(lastCommittedBatch + 1, h.firstBatch);
        if (h.lastBatch < h.firstBatch || h.lastBatch > MAX_BATCH) revert BadBatchRange();
        if (h.prevRoot != committedStateRoot) revert PrevRootMismatch();
        if (h.leafCountBefore != committedLeafCount || h.leafCountAfter < h.leafCountBefore) {
            revert LeafCountMismatch();
        }
        _canonical(h.newRoot);
        _canonical(h.batchesDigest);
        bytes32[] memory blobHashes = new bytes32[](blobCount);
        for (uint256 i = 0; i < blobCount; i++) {
            bytes32 v = blobhash(i);
            if (v == bytes32(0)) revert MissingBlob(i);
            blobHashes[i] = v;
        }
        // Every blob of the transaction is part of the window: none rides along unrecorded.
        if (blobhash(blobCount) != bytes32(0)) revert UncountedBlob(blobCount);
        bytes32 calldataHash;
        if (blobCount == 0) {
            if (data.length == 0) revert NoData();
            calldataHash = keccak256(data);
        } else if (data.length != 0) {
            revert DataInBothModes();
        }
        uint64 id = committedWindows + 1;
        windowCommitment[id] = keccak256(abi.encode(h, blobHashes, calldataHash));
        committedWindows = id;
        lastCommittedBatch = h.lastBatch;
        committedLeafCount = h.leafCountAfter;
        committedStateRoot = h.newRoot;
        emit WindowCommitted(
            id, h.firstBatch, h.lastBatch, h.prevRoot, h.newRoot, h.batchesDigest, blobHashes, calldataHash
        );
    }

    /// Finalizes the oldest unproven window with its final proof. Anyone may call it: the
    /// proof is the only authority.
    function proveWindow(
        WindowHeader calldata h,
        bytes32[] calldata blobHashes,
        bytes32 calldataHash,
        bytes calldata proof
    ) external {
        uint64 id = finalizedWindows + 1;
        if (id > committedWindows) revert NothingToProve();
        if (keccak256(abi.encode(h, blobHashes, calldataHash)) != windowCommitment[id]) revert HeaderMismatch();
        // Implied by the commits' chaining; checked again because it is what finality means.
        if (h.firstBatch != lastFinalizedBatch + 1) revert NotNextBatch(lastFinalizedBatch + 1, h.firstBatch);
        if (h.prevRoot != finalizedStateRoot) revert PrevRootMismatch();
        if (h.leafCountBefore != finalizedLeafCount) revert LeafCountMismatch();
        if (!verifier.verify(publicInputs(h), proof)) revert ProofRejected();
        finalizedWindows = id;
        lastFinalizedBatch = h.lastBatch;
        finalizedLeafCount = h.leafCountAfter;
        finalizedStateRoot = h.newRoot;
        emit WindowFinalized(id, h.lastBatch, h.newRoot);
    }

    /// Drops the committed but unproven windows after `keep` (e.g. after a bad commit or an
    /// L2 reorg). `tip` is window `keep`'s header with its data hashes, from which commits
    /// chain again; ignored when `keep` is the finalized tip.
    function revertWindows(
        uint64 keep,
        WindowHeader calldata tip,
        bytes32[] calldata tipBlobHashes,
        bytes32 tipCalldataHash
    ) external onlyOperator {
        uint64 committed = committedWindows;
        if (keep < finalizedWindows || keep >= committed) revert BadRevert();
        if (keep == finalizedWindows) {
            lastCommittedBatch = lastFinalizedBatch;
            committedLeafCount = finalizedLeafCount;
            committedStateRoot = finalizedStateRoot;
        } else {
            if (keccak256(abi.encode(tip, tipBlobHashes, tipCalldataHash)) != windowCommitment[keep]) {
                revert HeaderMismatch();
            }
            lastCommittedBatch = tip.lastBatch;
            committedLeafCount = tip.leafCountAfter;
            committedStateRoot = tip.newRoot;
        }
        for (uint64 id = keep + 1; id <= committed; id++) {
            delete windowCommitment[id];
        }
        committedWindows = keep;
        emit WindowsReverted(keep, committed - keep);
    }

    /// The final proof's public inputs for a window, in the circuit's order:
    /// `first + last·2^32`, previous root, new root, account counts, batches digest, transfers.
    function publicInputs(WindowHeader calldata h) public pure returns (uint256[] memory pis) {
        pis = new uint256[](16);
        pis[0] = uint256(h.firstBatch) | (uint256(h.lastBatch) << 32);
        _words(pis, 1, h.prevRoot);
        _words(pis, 5, h.newRoot);
        pis[9] = h.leafCountBefore;
        pis[10] = h.leafCountAfter;
        _words(pis, 11, h.batchesDigest);
        pis[15] = h.txCount;
    }

    function _words(uint256[] memory out, uint256 at, bytes32 v) private pure {
        for (uint256 i = 0; i < 4; i++) {
            out[at + i] = uint64(uint256(v) >> (192 - 64 * i));
        }
    }

    function _canonical(bytes32 v) private pure {
        for (uint256 i = 0; i < 4; i++) {
            if (uint64(uint256(v) >> (192 - 64 * i)) >= P) revert NonCanonicalWord();
        }
    }
}
