// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// Keccak Merkle trees of withdrawals: the Rollup builds one per window from the proven list
/// of withdrawals and users claim against it with a path. Keccak because it is what the EVM
/// hashes cheaply; the circuit never hashes this tree (it proves the list, in order, with a
/// Poseidon chain, and the list reaches L1 as public inputs of the final proof).
library WithdrawalTree {
    /// The leaf of one withdrawal: 40 bytes, so that no leaf is the 64-byte preimage of an
    /// inner node.
    function leaf(uint64 index, address recipient, uint96 amount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(index, recipient, amount));
    }

    /// The root over `leaves`, padded with zero hashes to the next power of two.
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        if (n == 0) return bytes32(0);
        uint256 width = 1;
        while (width < n) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < n; i++) {
            level[i] = leaves[i];
        }
        while (width > 1) {
            width >>= 1;
            for (uint256 i = 0; i < width; i++) {
                level[i] = _node(level[2 * i], level[2 * i + 1]);
            }
        }
        return level[0];
    }

    /// The root a leaf at `position` reaches through `siblings` (bottom first).
    function rootFrom(bytes32 node, uint256 position, bytes32[] calldata siblings) internal pure returns (bytes32) {
        for (uint256 i = 0; i < siblings.length; i++) {
            node = (position >> i) & 1 == 0 ? _node(node, siblings[i]) : _node(siblings[i], node);
        }
        return node;
    }

    function _node(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }
}

/// The bridge between L1 and quire: it holds the ETH that backs L2 balances.
///
/// Deposits enter a queue whose running Keccak hash a proof can be checked against: the
/// Rollup (the only contract that may record withdrawals) reads the hash after any recent
/// deposit to check that a window consumed exactly the next deposits in queue order, and the
/// L1 block each was made in to force the inclusion of deposits left waiting too long. Two
/// rings remember hashes: the last `HISTORY` deposits, and every `STRIDE`-th deposit of the
/// last `STRIDE · CHECKPOINTS`. The block is part of the hash, so a window that ends at a
/// deposit neither remembers is still checkable by hashing forward through the later
/// deposits (their events' data) to the next checkpoint, at most `STRIDE` of them: a flood
/// of deposits makes a commit dearer by a bounded amount, never impossible (a window would
/// have to wait `STRIDE · CHECKPOINTS` deposits for its checkpoint to be overwritten too).
/// Withdrawals are paid from Merkle roots the Rollup records once a window's proof is
/// accepted, each leaf exactly once.
///
/// Gas: a deposit writes two storage words that are already non-zero (the queue's head and
/// one entry of a ring of recent hashes, filled at deployment), about 10k gas of storage,
/// and a claim flips one bit of a word the Rollup set non-zero when it recorded the root. A
/// fresh storage word per deposit or claim (22.1k gas) would not fit the 45k and 60k goals.
contract Bridge {
    /// Entries of the ring of recent queue hashes, and of the ring of checkpoints. 256 each
    /// so that deployment, which fills both, stays below EIP-7825's 2^24 gas cap per
    /// transaction.
    uint256 public constant HISTORY = 256;
    uint256 public constant CHECKPOINTS = 256;
    /// Every `STRIDE`-th deposit (index ≡ STRIDE − 1) is also a checkpoint.
    uint256 public constant STRIDE = 256;
    /// The L2 address a transfer withdraws to: its bytes spell "quire". Deposits to it are
    /// refused (they could never be spent).
    address public constant WITHDRAWAL_ADDRESS = address(0x7175697265);
    /// The queue hash before the first deposit: not zero, so that the first deposit too
    /// overwrites the queue's word instead of creating it.
    bytes24 public constant GENESIS_QUEUE_HASH = bytes24(keccak256("quire bridge deposit queue"));
    /// Claimed bits per word of the claimed bitmap; the top bit marks a word as recorded.
    uint256 internal constant BITS_PER_WORD = 255;

    /// The queue's state in one storage word.
    struct Queue {
        /// Deposits made so far (the next deposit's index).
        uint64 count;
        /// The running hash after the last deposit (`GENESIS_QUEUE_HASH` before the first).
        bytes24 head;
    }

    /// The Rollup: it alone records withdrawal roots.
    address public immutable rollup;
    /// The deposit queue.
    Queue public queue;
    /// `history[i % HISTORY]`: the queue hash after deposit `i` (high 24 bytes) and the L1
    /// block it was made in (low 8 bytes).
    uint256[HISTORY] internal history;
    /// `checkpoints[(i / STRIDE) % CHECKPOINTS]` for every deposit `i ≡ STRIDE − 1`, as
    /// `history` holds them.
    uint256[CHECKPOINTS] internal checkpoints;
    /// Withdrawal root of each window the Rollup finalized (by window number).
    mapping(uint256 => bytes32) public withdrawalRoot;
    /// Claimed withdrawals by index: bit `i % 255` of word `i / 255`; bit 255 set once the
    /// word's withdrawals are recorded.
    mapping(uint256 => uint256) internal claimedWords;

    /// Emitted for each deposit; `queueHash` is the running hash after it.
    event DepositQueued(uint64 indexed index, address indexed l2Recipient, uint256 amount, bytes24 queueHash);
    /// Emitted when the Rollup records the withdrawals of a finalized window.
    event WithdrawalsRecorded(uint256 indexed window, uint64 firstIndex, uint64 count, bytes32 root);
    /// Emitted when a withdrawal is paid.
    event WithdrawalClaimed(uint64 indexed index, address indexed recipient, uint256 amount);

    error BadAmount();
    error BadRecipient();
    error NoSuchDeposit(uint64 index);
    error DepositForgotten(uint64 index);
    error NotRollup();
    error NoWithdrawals();
    error AlreadyRecorded(uint256 window);
    error UnknownWindow(uint256 window);
    error BadProof();
    error AlreadyClaimed(uint64 index);
    error PaymentFailed();

    constructor(address rollup_) {
        rollup = rollup_;
        queue = Queue(0, GENESIS_QUEUE_HASH);
        // Non-zero from the start, so that a deposit overwrites a word instead of creating
        // one (5k instead of 22.1k gas); deployment pays ~11.3M gas once for it.
        for (uint256 i = 0; i < HISTORY; i++) {
            history[i] = 1;
        }
        for (uint256 i = 0; i < CHECKPOINTS; i++) {
            checkpoints[i] = 1;
        }
    }

    /// Deposits `msg.value` wei to `l2Recipient` on L2. The sequencer credits it once the
    /// deposit is confirmed on L1; a window that leaves it waiting past the Rollup's
    /// deadline cannot be committed.
    function deposit(address l2Recipient) external payable returns (uint64 index) {
        if (msg.value == 0 || msg.value >= 1 << 96) revert BadAmount();
        if (l2Recipient == address(0) || l2Recipient == WITHDRAWAL_ADDRESS) revert BadRecipient();
        Queue memory q = queue;
        index = q.count;
        bytes24 h = queueHash(q.head, index, l2Recipient, uint96(msg.value), uint64(block.number));
        uint256 entry = (uint256(uint192(h)) << 64) | block.number;
        history[index % HISTORY] = entry;
        if (index % STRIDE == STRIDE - 1) checkpoints[(index / STRIDE) % CHECKPOINTS] = entry;
        queue = Queue(index + 1, h);
        emit DepositQueued(index, l2Recipient, msg.value, h);
    }

    /// The running hash after a deposit: what the L1 watcher and the Rollup recompute.
    function queueHash(bytes24 prev, uint64 index, address l2Recipient, uint96 amount, uint64 l1Block)
        public
        pure
        returns (bytes24)
    {
        return bytes24(keccak256(abi.encodePacked(prev, index, l2Recipient, amount, l1Block)));
    }

    /// The queue hash after deposit `index` and the L1 block it was made in, for any of the
    /// last `HISTORY` deposits and every checkpoint (`index ≡ STRIDE − 1`) of the last
    /// `STRIDE · CHECKPOINTS`.
    function depositAt(uint64 index) external view returns (bytes24 hashAfter, uint64 l1Block) {
        uint64 count = queue.count;
        if (index >= count) revert NoSuchDeposit(index);
        uint256 e;
        if (count - index <= HISTORY) {
            e = history[index % HISTORY];
        } else if (index % STRIDE == STRIDE - 1 && count - index <= STRIDE * CHECKPOINTS) {
            e = checkpoints[(index / STRIDE) % CHECKPOINTS];
        } else {
            revert DepositForgotten(index);
        }
        // Truncation is the packing: the hash is the high 24 bytes, the block the low 8.
        // forge-lint: disable-next-line(unsafe-typecast)
        return (bytes24(uint192(e >> 64)), uint64(e));
    }

    /// Records the withdrawals `firstIndex .. firstIndex + count` of a finalized window under
    /// `root` (built with `WithdrawalTree.root`; a window without withdrawals records
    /// nothing), and marks their bitmap words so that each
    /// claim flips a bit in a non-zero word.
    function recordWithdrawals(uint256 window, uint64 firstIndex, uint64 count, bytes32 root) external {
        if (msg.sender != rollup) revert NotRollup();
        if (count == 0 || root == bytes32(0)) revert NoWithdrawals();
        if (withdrawalRoot[window] != bytes32(0)) revert AlreadyRecorded(window);
        withdrawalRoot[window] = root;
        uint256 last = (uint256(firstIndex) + count - 1) / BITS_PER_WORD;
        for (uint256 w = firstIndex / BITS_PER_WORD; w <= last; w++) {
            if (claimedWords[w] == 0) claimedWords[w] = 1 << 255;
        }
        emit WithdrawalsRecorded(window, firstIndex, count, root);
    }

    /// Pays withdrawal `index` of `window` to its L1 recipient, exactly once. Anyone may send
    /// it; the ETH goes to `recipient` whoever sends.
    function claimWithdrawal(
        uint256 window,
        uint64 index,
        address recipient,
        uint96 amount,
        uint256 position,
        bytes32[] calldata siblings
    ) external {
        bytes32 root = withdrawalRoot[window];
        if (root == bytes32(0)) revert UnknownWindow(window);
        bytes32 leaf = WithdrawalTree.leaf(index, recipient, amount);
        if (WithdrawalTree.rootFrom(leaf, position, siblings) != root) revert BadProof();
        uint256 w = index / BITS_PER_WORD;
        // forge-lint: disable-next-line(incorrect-shift)
        uint256 bit = 1 << (index % BITS_PER_WORD);
        uint256 word = claimedWords[w];
        if (word & bit != 0) revert AlreadyClaimed(index);
        claimedWords[w] = word | bit;
        emit WithdrawalClaimed(index, recipient, amount);
        (bool ok,) = recipient.call{value: amount}("");
        if (!ok) revert PaymentFailed();
    }

    /// Whether withdrawal `index` was paid.
    function isClaimed(uint64 index) external view returns (bool) {
        // forge-lint: disable-next-line(incorrect-shift)
        return claimedWords[index / BITS_PER_WORD] & (1 << (index % BITS_PER_WORD)) != 0;
    }
}
