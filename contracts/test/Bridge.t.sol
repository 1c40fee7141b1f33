// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Bridge, WithdrawalTree} from "../solidity/Bridge.sol";
import {Vm, VM} from "./Vm.sol";

/// Refuses ETH, to see a failed payment undo its claim.
contract Refuser {
    receive() external payable {
        revert("no");
    }
}

/// Calls the tree library from memory, as the Rollup will, and from calldata paths.
contract TreeHarness {
    function root(bytes32[] memory leaves) external pure returns (bytes32) {
        return WithdrawalTree.root(leaves);
    }

    function rootFrom(bytes32 node, uint256 position, bytes32[] calldata siblings) external pure returns (bytes32) {
        return WithdrawalTree.rootFrom(node, position, siblings);
    }
}

/// The Bridge with this contract as its Rollup: the deposit queue and its history, recorded
/// withdrawal roots, claims exactly once, and every revert.
contract BridgeTest {
    Vm internal constant vm = VM;
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    Bridge internal bridge;
    TreeHarness internal tree;

    function _log(string memory s, uint256 v) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", s, v));
        ok;
    }

    function setUp() public {
        bridge = new Bridge(address(this));
        tree = new TreeHarness();
        vm.deal(address(this), 1000 ether);
    }

    function _head() internal view returns (uint64 count, bytes24 head) {
        (count, head) = bridge.queue();
    }

    function test_deposits_chain_their_hashes_and_keep_their_blocks() public {
        vm.roll(100);
        bridge.deposit{value: 1 ether}(ALICE);
        vm.roll(101);
        uint256 g = gasleft();
        uint64 index = bridge.deposit{value: 2 gwei}(BOB);
        _log("deposit execution gas (warm contract)", g - gasleft());
        require(index == 1, "second deposit is index 1");
        bytes24 h0 = bytes24(
            keccak256(abi.encodePacked(bridge.GENESIS_QUEUE_HASH(), uint64(0), ALICE, uint96(1 ether), uint64(100)))
        );
        bytes24 h1 = bytes24(keccak256(abi.encodePacked(h0, uint64(1), BOB, uint96(2 gwei), uint64(101))));
        (uint64 count, bytes24 head) = _head();
        require(count == 2 && head == h1, "queue head");
        (bytes24 a, uint64 blockA) = bridge.depositAt(0);
        (bytes24 b, uint64 blockB) = bridge.depositAt(1);
        require(a == h0 && blockA == 100, "deposit 0");
        require(b == h1 && blockB == 101, "deposit 1");
        require(bridge.queueHash(h0, 1, BOB, 2 gwei, 101) == h1, "queueHash is the chain step");
        require(bridge.queueHash(h0, 1, BOB, 2 gwei, 102) != h1, "the block is hashed");
        require(address(bridge).balance == 1 ether + 2 gwei, "bridge holds the ETH");
    }

    function test_deposit_refuses_bad_amounts_and_recipients() public {
        vm.expectRevert(Bridge.BadAmount.selector);
        bridge.deposit{value: 0}(ALICE);
        vm.deal(address(this), 1 << 97);
        vm.expectRevert(Bridge.BadAmount.selector);
        bridge.deposit{value: 1 << 96}(ALICE);
        vm.expectRevert(Bridge.BadRecipient.selector);
        bridge.deposit{value: 1}(address(0));
        address w = bridge.WITHDRAWAL_ADDRESS();
        vm.expectRevert(Bridge.BadRecipient.selector);
        bridge.deposit{value: 1}(w);
        (uint64 count,) = _head();
        require(count == 0, "nothing queued");
    }

    function test_deposit_history_reaches_back_HISTORY_deposits() public {
        vm.expectRevert(abi.encodeWithSelector(Bridge.NoSuchDeposit.selector, uint64(0)));
        bridge.depositAt(0);
        uint256 n = bridge.HISTORY() + 1;
        bytes24 h = bridge.GENESIS_QUEUE_HASH();
        bytes24 h1;
        for (uint256 i = 0; i < n; i++) {
            vm.roll(1000 + i);
            bridge.deposit{value: 1}(ALICE);
            h = bridge.queueHash(h, uint64(i), ALICE, 1, uint64(1000 + i));
            if (i == 1) h1 = h;
        }
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositForgotten.selector, uint64(0)));
        bridge.depositAt(0);
        (bytes24 last, uint64 lastBlock) = bridge.depositAt(uint64(n - 1));
        (, bytes24 head) = _head();
        require(last == head && head == h && lastBlock == 1000 + n - 1, "newest entry is the head");
        // The oldest entry still remembered, in the slot the newest did not overwrite.
        (bytes24 second, uint64 secondBlock) = bridge.depositAt(1);
        require(second == h1 && secondBlock == 1001, "oldest remembered entry");
        vm.expectRevert(abi.encodeWithSelector(Bridge.NoSuchDeposit.selector, uint64(n)));
        bridge.depositAt(uint64(n));
    }

    /// Beyond the recent ring, every STRIDE-th deposit is still remembered (a checkpoint);
    /// the others are forgotten. A checkpoint costs its depositor one more (pre-set) word.
    function test_checkpoints_remember_every_stride_th_deposit() public {
        uint256 stride = bridge.STRIDE();
        uint256 n = stride + bridge.HISTORY() + 2;
        bytes24 h = bridge.GENESIS_QUEUE_HASH();
        bytes24 atCheckpoint;
        uint256 plain;
        uint256 checkpoint;
        for (uint256 i = 0; i < n; i++) {
            vm.roll(2000 + i);
            uint256 g = gasleft();
            bridge.deposit{value: 1}(BOB);
            g -= gasleft();
            if (i == stride - 2) plain = g;
            if (i == stride - 1) checkpoint = g;
            h = bridge.queueHash(h, uint64(i), BOB, 1, uint64(2000 + i));
            if (i == stride - 1) atCheckpoint = h;
        }
        _log("deposit execution gas, plain", plain);
        _log("deposit execution gas, a checkpoint", checkpoint);
        require(checkpoint > plain && checkpoint - plain < 6000, "a checkpoint costs one pre-set word");
        (bytes24 got, uint64 blockOf) = bridge.depositAt(uint64(stride - 1));
        require(got == atCheckpoint && blockOf == 2000 + stride - 1, "the checkpoint is remembered");
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositForgotten.selector, uint64(stride - 2)));
        bridge.depositAt(uint64(stride - 2));
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositForgotten.selector, uint64(stride)));
        bridge.depositAt(uint64(stride));
    }

    function _leaves(address[] memory to, uint96[] memory amounts, uint64 first)
        internal
        pure
        returns (bytes32[] memory leaves)
    {
        leaves = new bytes32[](to.length);
        for (uint256 i = 0; i < to.length; i++) {
            leaves[i] = keccak256(abi.encodePacked(first + uint64(i), to[i], amounts[i]));
        }
    }

    /// The siblings of `position`, bottom first, in the zero-padded tree.
    function _path(bytes32[] memory leaves, uint256 position) internal pure returns (bytes32[] memory path) {
        uint256 width = 1;
        uint256 depth;
        while (width < leaves.length) {
            width <<= 1;
            depth++;
        }
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < leaves.length; i++) {
            level[i] = leaves[i];
        }
        path = new bytes32[](depth);
        for (uint256 d = 0; d < depth; d++) {
            path[d] = level[position ^ 1];
            width >>= 1;
            for (uint256 i = 0; i < width; i++) {
                level[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            }
            position >>= 1;
        }
    }

    function test_tree_paths_reach_the_root_for_every_size() public view {
        for (uint256 n = 1; n <= 9; n++) {
            address[] memory to = new address[](n);
            uint96[] memory amounts = new uint96[](n);
            for (uint256 i = 0; i < n; i++) {
                to[i] = address(uint160(0x1000 + i));
                amounts[i] = uint96(i + 1);
            }
            bytes32[] memory leaves = _leaves(to, amounts, 7);
            bytes32 root = tree.root(leaves);
            for (uint256 p = 0; p < n; p++) {
                require(tree.rootFrom(leaves[p], p, _path(leaves, p)) == root, "path");
            }
            if (n == 1) require(root == leaves[0], "one leaf is its own root");
        }
    }

    /// The root `quire_primitives::WithdrawalTree` computes for the same three leaves
    /// (`matches_the_solidity_library` in primitives/src/withdrawal.rs).
    function test_tree_root_matches_the_rust_tree() public view {
        address[] memory to = new address[](3);
        uint96[] memory amounts = new uint96[](3);
        for (uint256 i = 0; i < 3; i++) {
            to[i] = address(uint160(0x1000 + i));
            amounts[i] = uint96(i + 1);
        }
        require(
            tree.root(_leaves(to, amounts, 7)) == 0x39b215287d368c442ba24ccca17363f16baf04b9d5f692bb37e86d2aafd26e26,
            "the Rust tree's root"
        );
    }

    /// Records withdrawals 10..13 (ALICE 1 ether, BOB 2 ether, ALICE 3 gwei, a refuser 1 wei)
    /// as window 5, backed by deposits.
    function _record() internal returns (bytes32[] memory leaves, address[] memory to, uint96[] memory amounts) {
        bridge.deposit{value: 10 ether}(ALICE);
        to = new address[](4);
        amounts = new uint96[](4);
        (to[0], amounts[0]) = (ALICE, 1 ether);
        (to[1], amounts[1]) = (BOB, 2 ether);
        (to[2], amounts[2]) = (ALICE, 3 gwei);
        (to[3], amounts[3]) = (address(new Refuser()), 1);
        leaves = _leaves(to, amounts, 10);
        bridge.recordWithdrawals(5, 10, 4, tree.root(leaves));
    }

    function test_claim_pays_exactly_once() public {
        (bytes32[] memory leaves,,) = _record();
        uint256 before = BOB.balance;
        uint256 g = gasleft();
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 1, _path(leaves, 1));
        _log("claim execution gas (4-leaf tree, fresh recipient)", g - gasleft());
        require(BOB.balance == before + 2 ether, "paid");
        require(bridge.isClaimed(11) && !bridge.isClaimed(10), "bitmap");
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyClaimed.selector, uint64(11)));
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 1, _path(leaves, 1));
        // Anyone may send a claim; the ETH goes to the leaf's recipient.
        vm.prank(BOB);
        bridge.claimWithdrawal(5, 10, ALICE, 1 ether, 0, _path(leaves, 0));
        require(ALICE.balance == 1 ether, "paid to the recipient, not the sender");
    }

    function test_claim_refuses_forged_proofs() public {
        (bytes32[] memory leaves,,) = _record();
        bytes32[] memory path = _path(leaves, 1);
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(5, 11, BOB, 3 ether, 1, path); // more than withdrawn
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(5, 11, ALICE, 2 ether, 1, path); // another recipient
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(5, 12, BOB, 2 ether, 1, path); // another index
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 3, path); // another position
        path[0] = bytes32(uint256(path[0]) ^ 1);
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 1, path); // altered sibling
        path[0] = bytes32(uint256(path[0]) ^ 1);
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 1, new bytes32[](0)); // a path too short
        bytes32[] memory other = new bytes32[](2);
        other[0] = keccak256(abi.encodePacked(uint64(20), BOB, uint96(2 ether)));
        other[1] = keccak256(abi.encodePacked(uint64(21), BOB, uint96(2 ether)));
        bridge.recordWithdrawals(4, 20, 2, tree.root(other));
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(4, 11, BOB, 2 ether, 1, path); // a window that does not hold it
        vm.expectRevert(Bridge.BadProof.selector);
        bridge.claimWithdrawal(4, 11, BOB, 2 ether, 1, _path(other, 1)); // its path, our leaf
        require(BOB.balance == 0 && !bridge.isClaimed(11), "nothing paid");
    }

    function test_claim_needs_a_recorded_window() public {
        (bytes32[] memory leaves,,) = _record();
        vm.expectRevert(abi.encodeWithSelector(Bridge.UnknownWindow.selector, uint256(6)));
        bridge.claimWithdrawal(6, 11, BOB, 2 ether, 1, _path(leaves, 1));
    }

    function test_only_the_rollup_records_once() public {
        vm.prank(ALICE);
        vm.expectRevert(Bridge.NotRollup.selector);
        bridge.recordWithdrawals(1, 0, 1, bytes32(uint256(1)));
        vm.expectRevert(Bridge.NoWithdrawals.selector);
        bridge.recordWithdrawals(1, 0, 0, bytes32(uint256(1)));
        vm.expectRevert(Bridge.NoWithdrawals.selector);
        bridge.recordWithdrawals(1, 0, 1, bytes32(0));
        bridge.recordWithdrawals(1, 0, 1, bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyRecorded.selector, uint256(1)));
        bridge.recordWithdrawals(1, 1, 1, bytes32(uint256(2)));
        require(bridge.withdrawalRoot(1) == bytes32(uint256(1)), "first root kept");
    }

    function test_a_leaf_pays_once_whatever_path_or_window() public {
        (bytes32[] memory leaves,,) = _record();
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 1, _path(leaves, 1));
        // Bits of the position above the path's length are not read: the same leaf through
        // "another" position is the same withdrawal.
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyClaimed.selector, uint64(11)));
        bridge.claimWithdrawal(5, 11, BOB, 2 ether, 1 + 4, _path(leaves, 1));
        // Even a second window holding the same leaf (a Rollup bug) cannot pay it again.
        bytes32[] memory again = new bytes32[](2);
        again[0] = leaves[1];
        again[1] = keccak256("another");
        bridge.recordWithdrawals(6, 11, 1, tree.root(again));
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyClaimed.selector, uint64(11)));
        bridge.claimWithdrawal(6, 11, BOB, 2 ether, 0, _path(again, 0));
        require(BOB.balance == 2 ether, "paid once");
    }

    /// Claimed bits are 255 per word (the top bit marks a recorded word): indices 254 and
    /// 255 sit in different words, and the marker is never a claim.
    function test_claim_bits_across_bitmap_words() public {
        bridge.deposit{value: 1 ether}(ALICE);
        address[] memory to = new address[](4);
        uint96[] memory amounts = new uint96[](4);
        for (uint256 i = 0; i < 4; i++) {
            to[i] = address(uint160(0x2000 + i));
            amounts[i] = 1;
        }
        bytes32[] memory leaves = _leaves(to, amounts, 253); // indices 253..256
        bridge.recordWithdrawals(1, 253, 4, tree.root(leaves));
        for (uint64 i = 253; i <= 256; i++) {
            require(!bridge.isClaimed(i), "nothing claimed yet");
        }
        require(!bridge.isClaimed(510) && !bridge.isClaimed(0), "marker bits are not claims");
        bridge.claimWithdrawal(1, 255, to[2], 1, 2, _path(leaves, 2));
        require(bridge.isClaimed(255) && !bridge.isClaimed(254) && !bridge.isClaimed(256), "one bit");
        bridge.claimWithdrawal(1, 254, to[1], 1, 1, _path(leaves, 1));
        bridge.claimWithdrawal(1, 256, to[3], 1, 3, _path(leaves, 3));
        bridge.claimWithdrawal(1, 253, to[0], 1, 0, _path(leaves, 0));
        for (uint64 i = 253; i <= 256; i++) {
            require(bridge.isClaimed(i), "all claimed");
        }
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyClaimed.selector, uint64(255)));
        bridge.claimWithdrawal(1, 255, to[2], 1, 2, _path(leaves, 2));
    }

    function test_a_failed_payment_undoes_the_claim() public {
        (bytes32[] memory leaves, address[] memory to,) = _record();
        vm.expectRevert(Bridge.PaymentFailed.selector);
        bridge.claimWithdrawal(5, 13, to[3], 1, 3, _path(leaves, 3));
        require(!bridge.isClaimed(13), "still claimable");
    }

    function test_claim_cannot_pay_more_than_the_bridge_holds() public {
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = keccak256(abi.encodePacked(uint64(0), ALICE, uint96(1 ether)));
        bridge.recordWithdrawals(1, 0, 1, leaves[0]);
        vm.expectRevert(Bridge.PaymentFailed.selector);
        bridge.claimWithdrawal(1, 0, ALICE, 1 ether, 0, new bytes32[](0));
        require(!bridge.isClaimed(0), "still claimable once the bridge holds it");
    }

    receive() external payable {}
}
