// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {WithdrawalTree} from "./Bridge.sol";

/// The generated Verifier of final proofs (solidity/Verifier.sol).
interface IFinalProofVerifier {
    function verify(uint256[] calldata publicInputs, bytes calldata proof) external view returns (bool);
}

/// What the Rollup uses of the Bridge (solidity/Bridge.sol): its deposit queue, and the
/// withdrawal roots it records there.
interface IBridge {
    function GENESIS_QUEUE_HASH() external view returns (bytes24);
    function queue() external view returns (uint64 count, bytes24 head);
    function depositAt(uint64 index) external view returns (bytes24 hashAfter, uint64 l1Block);
    function queueHash(bytes24 prev, uint64 index, address l2Recipient, uint96 amount, uint64 l1Block)
        external
        pure
        returns (bytes24);
    function recordWithdrawals(uint256 window, uint64 firstIndex, uint64 count, bytes32 root) external;
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
///
/// The bridge: a window consumes the next deposits of the Bridge's queue, in order, and its
/// commit claims the queue hash after them, which must be the Bridge's (so a window that
/// skips, reorders or invents deposits cannot be committed), and its proof attests the same
/// hash, computed from the deposits the batches credited. A commit that leaves waiting a
/// deposit made more than `depositDeadline` L1 blocks before the previous commit reverts: a
/// sequencer that ignores a deposit stops settling until it credits it (forced inclusion by
/// deadline). The deadline is measured at the previous commit, not at this one, because a
/// window's contents are fixed when it closes: a deposit made after that cannot be in it,
/// and a commit delayed past the deposit's deadline (an outage, a fee spike) must still
/// land, so that the next window, which credits it, can follow. The proof also
/// attests the hash of every withdrawal the window made; `proveWindow` takes the list,
/// checks it against that hash, numbers the withdrawals and records their Merkle root in the
/// Bridge, where each is claimed once.
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
        uint64 depositCountBefore;
        uint64 depositCountAfter;
        bytes24 queueHashBefore;
        bytes24 queueHashAfter;
        bytes24 withdrawalHashBefore;
        bytes24 withdrawalHashAfter;
    }

    /// A queued deposit, as its `DepositQueued` event and L1 block give it: what hashing
    /// forward from a window's last deposit to one the Bridge still remembers takes.
    struct QueuedDeposit {
        address l2Recipient;
        uint96 amount;
        uint64 l1Block;
    }

    /// Where the bridge stands at the committed tip, and the L1 block of that commit (what
    /// the next commit's deadline is measured at).
    struct CommittedBridge {
        uint64 depositCount;
        bytes24 queueHash;
        uint64 commitBlock;
        bytes24 withdrawalHash;
    }

    /// Where the bridge stands at the finalized tip.
    struct FinalizedBridge {
        uint64 depositCount;
        bytes24 queueHash;
        uint64 withdrawalCount;
        bytes24 withdrawalHash;
    }

    /// Goldilocks: every 64-bit word of a root or digest must be a canonical element, so one
    /// proof cannot stand for two different committed roots.
    uint256 internal constant P = 0xffffffff00000001;
    /// The final circuit packs `before + after · 2^32` for the batch range, the account
    /// counts and the deposit counts, and `chainId + txCount · 2^32`, with the low half
    /// below 2^32 and the high half below 2^31.
    uint64 internal constant MAX_AFTER = (1 << 31) - 1;
    /// The withdrawal hash before any withdrawal (the node's `genesis_withdrawal_hash`).
    bytes24 public constant GENESIS_WITHDRAWAL_HASH = bytes24(keccak256("quire withdrawals"));

    IFinalProofVerifier public immutable verifier;
    /// The L2's chain id (EIP-155): the one every transfer of a finalized window was signed
    /// for. The final proof carries the chain id its signature proofs checked; this contract
    /// writes its own into the public inputs, so a window signed for another chain (a replay
    /// of transfers users signed elsewhere) does not verify.
    uint32 public immutable l2ChainId;
    /// L1 blocks a deposit may wait before commits that leave it waiting revert.
    uint64 public immutable depositDeadline;
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
    /// The bridge at the committed tip and at the finalized tip.
    CommittedBridge public committedBridge;
    FinalizedBridge public finalizedBridge;
    /// The Bridge whose queue windows consume and where withdrawals are recorded (set once,
    /// before the first commit).
    IBridge public bridge;

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
    event BridgeSet(address bridge);

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
    error NoBridge();
    error BridgeAlreadySet();
    error BadDepositRange();
    error DepositsMismatch();
    error QueueHashMismatch();
    error DepositDeadlinePassed(uint64 index, uint64 l1Block);
    error WithdrawalsMismatch();
    error BadTxCount();
    error BadChainId();

    constructor(
        IFinalProofVerifier verifier_,
        uint32 l2ChainId_,
        address operator_,
        bytes32 genesisRoot,
        uint64 genesisLeafCount,
        uint64 depositDeadline_
    ) {
        _canonical(genesisRoot);
        if (l2ChainId_ == 0) revert BadChainId();
        verifier = verifier_;
        l2ChainId = l2ChainId_;
        depositDeadline = depositDeadline_;
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

    /// Names the Bridge, once, before anything is committed: L2 credits its queue from the
    /// first deposit, and the Bridge is deployed for this Rollup (it records withdrawals from
    /// it alone), so it cannot exist when this contract is created.
    function setBridge(IBridge bridge_) external {
        if (msg.sender != admin) revert NotAdmin();
        if (address(bridge) != address(0) || committedWindows != 0) revert BridgeAlreadySet();
        bridge = bridge_;
        bytes24 genesis = bridge_.GENESIS_QUEUE_HASH();
        committedBridge = CommittedBridge(0, genesis, 0, GENESIS_WITHDRAWAL_HASH);
        finalizedBridge = FinalizedBridge(0, genesis, 0, GENESIS_WITHDRAWAL_HASH);
        emit BridgeSet(address(bridge_));
    }

    /// Records the next window. Its data rides in this transaction's `blobCount` blobs, or,
    /// with `blobCount == 0`, in `data` (calldata fallback). `forward` is empty unless the
    /// Bridge no longer remembers the window's last deposit or the oldest one it leaves
    /// waiting (more than `HISTORY` deposits ago): then it lists the deposits from the first
    /// one left waiting up to one the Bridge remembers.
    function commitWindow(
        WindowHeader calldata h,
        uint256 blobCount,
        bytes calldata data,
        QueuedDeposit[] calldata forward
    ) external onlyOperator {
        if (h.firstBatch != lastCommittedBatch + 1) revert NotNextBatch(lastCommittedBatch + 1, h.firstBatch);
        if (h.lastBatch < h.firstBatch || h.lastBatch > MAX_AFTER) revert BadBatchRange();
        if (h.prevRoot != committedStateRoot) revert PrevRootMismatch();
        if (h.txCount > MAX_AFTER) revert BadTxCount();
        if (h.leafCountBefore != committedLeafCount || h.leafCountAfter < h.leafCountBefore || h.leafCountAfter > MAX_AFTER) {
            revert LeafCountMismatch();
        }
        CommittedBridge memory tip = committedBridge;
        if (address(bridge) == address(0)) revert NoBridge();
        if (h.depositCountBefore != tip.depositCount || h.queueHashBefore != tip.queueHash) revert DepositsMismatch();
        if (h.withdrawalHashBefore != tip.withdrawalHash) revert WithdrawalsMismatch();
        _checkDeposits(h, forward, tip.commitBlock);
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
        committedBridge =
            CommittedBridge(h.depositCountAfter, h.queueHashAfter, uint64(block.number), h.withdrawalHashAfter);
        emit WindowCommitted(
            id, h.firstBatch, h.lastBatch, h.prevRoot, h.newRoot, h.batchesDigest, blobHashes, calldataHash
        );
    }

    /// Finalizes the oldest unproven window with its final proof, and records its
    /// `withdrawals` (each `abi.encodePacked(recipient, uint96 amount)`, in the order the
    /// window made them) in the Bridge. Anyone may call it: the proof is the only authority.
    function proveWindow(
        WindowHeader calldata h,
        bytes32[] calldata blobHashes,
        bytes32 calldataHash,
        bytes32[] calldata withdrawals,
        bytes calldata proof
    ) external {
        uint64 id = finalizedWindows + 1;
        if (id > committedWindows) revert NothingToProve();
        if (keccak256(abi.encode(h, blobHashes, calldataHash)) != windowCommitment[id]) revert HeaderMismatch();
        // Implied by the commits' chaining; checked again because it is what finality means.
        if (h.firstBatch != lastFinalizedBatch + 1) revert NotNextBatch(lastFinalizedBatch + 1, h.firstBatch);
        if (h.prevRoot != finalizedStateRoot) revert PrevRootMismatch();
        if (h.leafCountBefore != finalizedLeafCount) revert LeafCountMismatch();
        FinalizedBridge memory tip = finalizedBridge;
        if (h.depositCountBefore != tip.depositCount || h.queueHashBefore != tip.queueHash) revert DepositsMismatch();
        if (h.withdrawalHashBefore != tip.withdrawalHash) revert WithdrawalsMismatch();
        if (!verifier.verify(publicInputs(h), proof)) revert ProofRejected();
        uint64 n = uint64(withdrawals.length);
        _recordWithdrawals(id, h, tip.withdrawalCount, withdrawals);
        finalizedWindows = id;
        lastFinalizedBatch = h.lastBatch;
        finalizedLeafCount = h.leafCountAfter;
        finalizedStateRoot = h.newRoot;
        finalizedBridge =
            FinalizedBridge(h.depositCountAfter, h.queueHashAfter, tip.withdrawalCount + n, h.withdrawalHashAfter);
        emit WindowFinalized(id, h.lastBatch, h.newRoot);
    }

    /// The window's last deposit must be the Bridge's (the queue hash after it is), and no
    /// deposit it leaves waiting may have been past its deadline at the previous commit
    /// (in L1 block `previousCommit`; 0 before the first).
    function _checkDeposits(WindowHeader calldata h, QueuedDeposit[] calldata forward, uint64 previousCommit)
        private
        view
    {
        (uint64 count,) = bridge.queue();
        uint64 last = h.depositCountAfter;
        if (last < h.depositCountBefore || last > count || last > MAX_AFTER) revert BadDepositRange();
        uint64 oldestWaiting;
        if (forward.length == 0) {
            if (last > h.depositCountBefore) {
                (bytes24 hashAfter,) = bridge.depositAt(last - 1);
                if (hashAfter != h.queueHashAfter) revert QueueHashMismatch();
            } else if (h.queueHashAfter != h.queueHashBefore) {
                revert QueueHashMismatch();
            }
            if (last == count) return;
            (, oldestWaiting) = bridge.depositAt(last);
        } else {
            // Hashing forward through the deposits after the window's last reaches the hash
            // the Bridge remembers: the window's hash is the Bridge's after its last deposit.
            if (last == h.depositCountBefore && h.queueHashAfter != h.queueHashBefore) revert QueueHashMismatch();
            bytes24 hash = h.queueHashAfter;
            uint64 index = last;
            for (uint256 i = 0; i < forward.length; i++) {
                QueuedDeposit calldata d = forward[i];
                hash = bridge.queueHash(hash, index, d.l2Recipient, d.amount, d.l1Block);
                index++;
            }
            (bytes24 remembered,) = bridge.depositAt(index - 1);
            if (hash != remembered) revert QueueHashMismatch();
            oldestWaiting = forward[0].l1Block;
        }
        if (previousCommit > uint256(oldestWaiting) + depositDeadline) {
            revert DepositDeadlinePassed(last, oldestWaiting);
        }
    }

    /// Checks `withdrawals` against the window's proven withdrawal hashes, numbers them from
    /// `first` and records their tree in the Bridge.
    function _recordWithdrawals(uint64 id, WindowHeader calldata h, uint64 first, bytes32[] calldata withdrawals)
        private
    {
        bytes24 hash = h.withdrawalHashBefore;
        bytes32[] memory leaves = new bytes32[](withdrawals.length);
        uint64 index = first;
        for (uint256 i = 0; i < withdrawals.length; i++) {
            bytes32 w = withdrawals[i];
            // keccak256(hash ‖ w), 56 bytes, in the scratch space (no allocation per item).
            assembly {
                mstore(0x00, hash)
                mstore(0x18, w)
                hash := and(keccak256(0x00, 0x38), not(0xffffffffffffffff))
            }
            // The high 20 bytes are the recipient, the low 12 the amount.
            // forge-lint: disable-next-line(unsafe-typecast)
            leaves[i] = WithdrawalTree.leaf(index, address(bytes20(w)), uint96(uint256(w)));
            index++;
        }
        if (hash != h.withdrawalHashAfter) revert WithdrawalsMismatch();
        if (withdrawals.length != 0) {
            bridge.recordWithdrawals(id, first, uint64(withdrawals.length), WithdrawalTree.root(leaves));
        }
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
        // The next commit's deadline is measured now: a revert never relaxes it.
        if (keep == finalizedWindows) {
            lastCommittedBatch = lastFinalizedBatch;
            committedLeafCount = finalizedLeafCount;
            committedStateRoot = finalizedStateRoot;
            FinalizedBridge memory f = finalizedBridge;
            committedBridge = CommittedBridge(f.depositCount, f.queueHash, uint64(block.number), f.withdrawalHash);
        } else {
            if (keccak256(abi.encode(tip, tipBlobHashes, tipCalldataHash)) != windowCommitment[keep]) {
                revert HeaderMismatch();
            }
            lastCommittedBatch = tip.lastBatch;
            committedLeafCount = tip.leafCountAfter;
            committedStateRoot = tip.newRoot;
            committedBridge =
                CommittedBridge(tip.depositCountAfter, tip.queueHashAfter, uint64(block.number), tip.withdrawalHashAfter);
        }
        for (uint64 id = keep + 1; id <= committed; id++) {
            delete windowCommitment[id];
        }
        committedWindows = keep;
        emit WindowsReverted(keep, committed - keep);
    }

    /// The final proof's public inputs for a window, in the circuit's order:
    /// `first + last·2^32`, previous root, new root, account counts (`before + after·2^32`),
    /// batches digest, this chain's id with the transfer count (`l2ChainId + txCount·2^32`),
    /// deposit counts (likewise), queue hashes and withdrawal hashes before and after (each
    /// four 48-bit limbs).
    function publicInputs(WindowHeader calldata h) public view returns (uint256[] memory pis) {
        pis = new uint256[](32);
        pis[0] = uint256(h.firstBatch) | (uint256(h.lastBatch) << 32);
        _words(pis, 1, h.prevRoot);
        _words(pis, 5, h.newRoot);
        pis[9] = uint256(h.leafCountBefore) | (uint256(h.leafCountAfter) << 32);
        _words(pis, 10, h.batchesDigest);
        pis[14] = uint256(l2ChainId) | (uint256(h.txCount) << 32);
        pis[15] = uint256(h.depositCountBefore) | (uint256(h.depositCountAfter) << 32);
        _limbs(pis, 16, h.queueHashBefore);
        _limbs(pis, 20, h.queueHashAfter);
        _limbs(pis, 24, h.withdrawalHashBefore);
        _limbs(pis, 28, h.withdrawalHashAfter);
    }

    function _words(uint256[] memory out, uint256 at, bytes32 v) private pure {
        for (uint256 i = 0; i < 4; i++) {
            out[at + i] = uint64(uint256(v) >> (192 - 64 * i));
        }
    }

    function _limbs(uint256[] memory out, uint256 at, bytes24 v) private pure {
        for (uint256 i = 0; i < 4; i++) {
            out[at + i] = uint48(uint192(v) >> (144 - 48 * i));
        }
    }

    function _canonical(bytes32 v) private pure {
        for (uint256 i = 0; i < 4; i++) {
            if (uint64(uint256(v) >> (192 - 64 * i)) >= P) revert NonCanonicalWord();
        }
    }
}
