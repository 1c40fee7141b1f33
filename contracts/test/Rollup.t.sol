// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Rollup, IFinalProofVerifier, IBridge} from "../solidity/Rollup.sol";
import {Bridge, WithdrawalTree} from "../solidity/Bridge.sol";
import {Verifier} from "../solidity/Verifier.sol";
import {Vm, VM} from "./Vm.sol";

/// The Rollup with the real Verifier, a real Bridge and the real final proofs of the
/// fixtures (batch 1 credits the Bridge's first deposit, batch 8 withdraws): a window
/// committed with blobs (or calldata) finalizes only with a proof of exactly its header and
/// the withdrawals it proves, commits must consume the Bridge's deposits in queue order and
/// may not leave one waiting past the deadline, and every other path reverts.
contract RollupTest {
    Vm internal constant vm = VM;
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;
    address internal constant STRANGER = address(0xBEEF);
    uint64 internal constant DEADLINE = 50;
    /// The L2 chain id the fixtures' transfers are signed for (contracts/examples/fixtures.rs).
    uint32 internal constant CHAIN = 271828;

    Verifier internal verifier;
    Rollup internal rollup;
    Bridge internal bridge;
    Rollup.WindowHeader internal h8;
    bytes internal proof8;
    bytes32[] internal withdrawals8;
    Rollup.WindowHeader internal h1;
    bytes internal proof1;
    bytes32[] internal blobs;
    address internal depositRecipient;
    uint256 internal depositAmount;
    uint64 internal depositBlock;

    function _log(string memory s, uint256 v) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", s, v));
        ok;
    }

    function _pack(uint256[] memory pis, uint256 at) internal pure returns (bytes32 v) {
        uint256 w;
        for (uint256 i = 0; i < 4; i++) {
            w = (w << 64) | pis[at + i];
        }
        v = bytes32(w);
    }

    function _hash24(uint256[] memory pis, uint256 at) internal pure returns (bytes24 v) {
        uint256 w;
        for (uint256 i = 0; i < 4; i++) {
            w = (w << 48) | pis[at + i];
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        v = bytes24(uint192(w));
    }

    function _header(string memory name)
        internal
        view
        returns (Rollup.WindowHeader memory h, bytes memory proof, bytes32[] memory withdrawals)
    {
        string memory json = vm.readFile(string.concat("test/fixtures/", name));
        uint256[] memory pis = vm.parseJsonUintArray(json, ".publicInputs");
        proof = vm.parseJsonBytes(json, ".proof");
        withdrawals = vm.parseJsonBytes32Array(json, ".withdrawals");
        h = Rollup.WindowHeader({
            firstBatch: uint64(pis[0] & 0xffffffff),
            lastBatch: uint64(pis[0] >> 32),
            prevRoot: _pack(pis, 1),
            newRoot: _pack(pis, 5),
            leafCountBefore: uint64(pis[9] & 0xffffffff),
            leafCountAfter: uint64(pis[9] >> 32),
            batchesDigest: _pack(pis, 10),
            txCount: uint64(pis[14] >> 32),
            depositCountBefore: uint64(pis[15] & 0xffffffff),
            depositCountAfter: uint64(pis[15] >> 32),
            queueHashBefore: _hash24(pis, 16),
            queueHashAfter: _hash24(pis, 20),
            withdrawalHashBefore: _hash24(pis, 24),
            withdrawalHashAfter: _hash24(pis, 28)
        });
    }

    /// A Rollup for the fixtures' chain with its Bridge, holding the fixtures' deposit.
    function _deploy() internal returns (Rollup r, Bridge b) {
        return _deployFor(CHAIN);
    }

    /// A Rollup for L2 chain `chain` with its Bridge, holding the fixtures' deposit.
    function _deployFor(uint32 chain) internal returns (Rollup r, Bridge b) {
        r = new Rollup(IFinalProofVerifier(address(verifier)), chain, address(this), h8.prevRoot, h8.leafCountBefore, DEADLINE);
        b = new Bridge(address(r));
        r.setBridge(IBridge(address(b)));
        vm.roll(depositBlock);
        b.deposit{value: depositAmount}(depositRecipient);
        vm.roll(depositBlock + 1);
    }

    function setUp() public {
        verifier = new Verifier();
        (h8, proof8, withdrawals8) = _header("final-8.json");
        (h1, proof1,) = _header("final-1.json");
        string memory json = vm.readFile("test/fixtures/final-8.json");
        depositRecipient = vm.parseJsonAddress(json, ".deposit.l2Recipient");
        depositAmount = vm.parseJsonUint(json, ".deposit.amount");
        depositBlock = uint64(vm.parseJsonUint(json, ".deposit.l1Block"));
        vm.deal(address(this), 100 ether);
        (rollup, bridge) = _deploy();
        blobs.push(bytes32(uint256(0x01) << 248 | 0x1234));
        blobs.push(bytes32(uint256(0x01) << 248 | 0x5678));
    }

    function _none() internal pure returns (Rollup.QueuedDeposit[] memory) {
        return new Rollup.QueuedDeposit[](0);
    }

    function _commit8() internal {
        vm.blobhashes(blobs);
        rollup.commitWindow(h8, 2, "", _none());
    }

    function test_public_inputs_are_the_fixtures() public view {
        string memory json = vm.readFile("test/fixtures/final-8.json");
        uint256[] memory pis = vm.parseJsonUintArray(json, ".publicInputs");
        uint256[] memory got = rollup.publicInputs(h8);
        require(got.length == pis.length && pis.length == 32, "length");
        for (uint256 i = 0; i < pis.length; i++) {
            require(got[i] == pis[i], "public input differs");
        }
        require(h8.depositCountBefore == 0 && h8.depositCountAfter == 1, "the fixture credits one deposit");
        require(h8.queueHashBefore == bridge.GENESIS_QUEUE_HASH(), "from the genesis queue hash");
        require(h8.withdrawalHashBefore == rollup.GENESIS_WITHDRAWAL_HASH(), "from the genesis withdrawal hash");
        require(withdrawals8.length == 1, "the fixture withdraws once");
    }

    function test_commit_with_blobs_then_prove_finalizes_and_records_the_withdrawals() public {
        vm.blobhashes(blobs);
        uint256 g = gasleft();
        rollup.commitWindow(h8, 2, "", _none());
        _log("commit gas (execution, 2 blobs)", g - gasleft());
        require(rollup.committedWindows() == 1 && rollup.lastCommittedBatch() == h8.lastBatch, "commit");
        require(rollup.finalizedStateRoot() == h8.prevRoot, "finalized too early");
        bytes memory proof = proof8;
        bytes32[] memory hashes = blobs;
        g = gasleft();
        rollup.proveWindow(h8, hashes, bytes32(0), withdrawals8, proof);
        _log("prove gas (execution, verification and one withdrawal recorded)", g - gasleft());
        require(rollup.finalizedWindows() == 1, "not finalized");
        require(rollup.finalizedStateRoot() == h8.newRoot, "root");
        require(rollup.lastFinalizedBatch() == h8.lastBatch, "batch");
        require(rollup.finalizedLeafCount() == h8.leafCountAfter, "leaves");
        (uint64 deposits, bytes24 queueHash, uint64 withdrawn, bytes24 withdrawalHash) = rollup.finalizedBridge();
        require(deposits == 1 && queueHash == h8.queueHashAfter, "deposits");
        require(withdrawn == 1 && withdrawalHash == h8.withdrawalHashAfter, "withdrawals");
        // The withdrawal is claimable on the Bridge, once: a tree of one leaf, index 0.
        bytes32 w = withdrawals8[0];
        address recipient = address(bytes20(w));
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 amount = uint96(uint256(w));
        require(bridge.withdrawalRoot(1) == WithdrawalTree.leaf(0, recipient, amount), "root recorded");
        uint256 before = recipient.balance;
        bridge.claimWithdrawal(1, 0, recipient, amount, 0, new bytes32[](0));
        require(recipient.balance == before + amount, "paid");
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyClaimed.selector, uint64(0)));
        bridge.claimWithdrawal(1, 0, recipient, amount, 0, new bytes32[](0));
    }

    /// The fixtures' transfers were signed for CHAIN: a Rollup of another L2 chain takes the
    /// commit (its header says nothing of chains) but never finalizes the window, since it
    /// writes its own chain id into the proof's public inputs. An operator cannot replay
    /// transfers users signed for another chain.
    function test_a_window_signed_for_another_chain_does_not_finalize() public {
        string memory json = vm.readFile("test/fixtures/final-8.json");
        uint256[] memory pis = vm.parseJsonUintArray(json, ".publicInputs");
        require(pis[14] & 0xffffffff == CHAIN, "the fixture's proof carries its chain id");
        (Rollup other,) = _deployFor(CHAIN + 1);
        vm.blobhashes(blobs);
        other.commitWindow(h8, 2, "", _none());
        (bool ok, bytes memory err) = address(other).call(
            abi.encodeCall(Rollup.proveWindow, (h8, blobs, bytes32(0), withdrawals8, proof8))
        );
        require(!ok, "a window signed for another chain finalized");
        // The Verifier refuses it: it returns false, or reverts at a failed check.
        bytes4 selector = bytes4(err);
        require(
            selector == Rollup.ProofRejected.selector || selector == Verifier.InvalidProof.selector,
            "refused by the Verifier, not by another check"
        );
        require(other.finalizedWindows() == 0, "not finalized");
        // The same window finalizes on the Rollup of its own chain.
        _commit8();
        rollup.proveWindow(h8, blobs, bytes32(0), withdrawals8, proof8);
        require(rollup.finalizedWindows() == 1, "finalized on its own chain");
    }

    /// A transfer count the final proof cannot carry (2^31 or more) is refused at commit:
    /// such a window could never be proven.
    function test_a_transfer_count_the_proof_cannot_carry_is_refused() public {
        Rollup.WindowHeader memory h = h8;
        h.txCount = uint64(1) << 31;
        vm.blobhashes(blobs);
        vm.expectRevert(Rollup.BadTxCount.selector);
        rollup.commitWindow(h, 2, "", _none());
    }

    function test_calldata_mode_commits_and_proves() public {
        bytes memory data = hex"0102030405";
        rollup.commitWindow(h8, 0, data, _none());
        rollup.proveWindow(h8, new bytes32[](0), keccak256(data), withdrawals8, proof8);
        require(rollup.finalizedStateRoot() == h8.newRoot, "root");
    }

    function test_prove_refuses_withdrawals_other_than_the_proven_ones() public {
        _commit8();
        bytes32 w = withdrawals8[0];
        bytes32[][] memory forged = new bytes32[][](4);
        forged[0] = new bytes32[](0);
        forged[1] = new bytes32[](1);
        forged[1][0] = bytes32(uint256(w) + 1);
        forged[2] = new bytes32[](1);
        forged[2][0] = bytes32(uint256(uint160(STRANGER)) << 96 | uint256(uint96(uint256(w))));
        forged[3] = new bytes32[](2);
        forged[3][0] = w;
        forged[3][1] = w;
        for (uint256 i = 0; i < forged.length; i++) {
            vm.expectRevert(Rollup.WithdrawalsMismatch.selector);
            rollup.proveWindow(h8, blobs, bytes32(0), forged[i], proof8);
        }
        require(bridge.withdrawalRoot(1) == bytes32(0), "nothing recorded");
        rollup.proveWindow(h8, blobs, bytes32(0), withdrawals8, proof8);
    }

    function test_only_the_operator_commits() public {
        vm.blobhashes(blobs);
        vm.prank(STRANGER);
        vm.expectRevert(Rollup.NotOperator.selector);
        rollup.commitWindow(h8, 2, "", _none());
    }

    function test_commit_must_chain() public {
        Rollup.WindowHeader memory h = h8;
        h.firstBatch = 2;
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotNextBatch.selector, uint64(1), uint64(2)));
        rollup.commitWindow(h, 2, "", _none());
        h = h8;
        h.prevRoot = h8.newRoot;
        vm.expectRevert(Rollup.PrevRootMismatch.selector);
        rollup.commitWindow(h, 2, "", _none());
        h = h8;
        h.leafCountBefore += 1;
        vm.expectRevert(Rollup.LeafCountMismatch.selector);
        rollup.commitWindow(h, 2, "", _none());
        h = h8;
        h.lastBatch = 0;
        vm.expectRevert(Rollup.BadBatchRange.selector);
        rollup.commitWindow(h, 2, "", _none());
        h = h8;
        h.newRoot = bytes32(type(uint256).max);
        vm.expectRevert(Rollup.NonCanonicalWord.selector);
        rollup.commitWindow(h, 2, "", _none());
        h = h8;
        h.withdrawalHashBefore = bytes24(0);
        vm.expectRevert(Rollup.WithdrawalsMismatch.selector);
        rollup.commitWindow(h, 2, "", _none());
    }

    /// A window must consume the Bridge's deposits exactly: from where the last commit left
    /// off, in queue order, none invented.
    function test_commit_refuses_deposits_the_bridge_did_not_queue() public {
        vm.blobhashes(blobs);
        Rollup.WindowHeader memory h = h8;
        // Not starting where the committed tip left off.
        h.depositCountBefore = 1;
        vm.expectRevert(Rollup.DepositsMismatch.selector);
        rollup.commitWindow(h, 2, "", _none());
        h = h8;
        h.queueHashBefore = h8.queueHashAfter;
        vm.expectRevert(Rollup.DepositsMismatch.selector);
        rollup.commitWindow(h, 2, "", _none());
        // More deposits than the Bridge queued.
        h = h8;
        h.depositCountAfter = 2;
        vm.expectRevert(Rollup.BadDepositRange.selector);
        rollup.commitWindow(h, 2, "", _none());
        // The queued deposit credited to another recipient, or another amount, or twice:
        // the hash after it is not the Bridge's.
        bytes24 g = h8.queueHashBefore;
        bytes24[3] memory forged = [
            bridge.queueHash(g, 0, STRANGER, uint96(depositAmount), depositBlock),
            bridge.queueHash(g, 0, depositRecipient, uint96(depositAmount + 1), depositBlock),
            bridge.queueHash(h8.queueHashAfter, 1, depositRecipient, uint96(depositAmount), depositBlock)
        ];
        for (uint256 i = 0; i < forged.length; i++) {
            h = h8;
            h.queueHashAfter = forged[i];
            vm.expectRevert(Rollup.QueueHashMismatch.selector);
            rollup.commitWindow(h, 2, "", _none());
        }
        // Skipping the deposit while claiming to consume it.
        h = h8;
        h.queueHashAfter = h8.queueHashBefore;
        vm.expectRevert(Rollup.QueueHashMismatch.selector);
        rollup.commitWindow(h, 2, "", _none());
        _commit8();
        (uint64 count, bytes24 hash,,) = rollup.committedBridge();
        require(count == 1 && hash == h8.queueHashAfter, "committed tip");
    }

    /// `h` left waiting the fixture's deposit, with a synthetic successor that leaves it
    /// waiting too (`consume`: or credits it): headers that chain, can never be proven,
    /// only committed.
    function _skipping() internal view returns (Rollup.WindowHeader memory skipping) {
        skipping = h8;
        skipping.depositCountAfter = 0;
        skipping.queueHashAfter = h8.queueHashBefore;
    }

    function _after(Rollup.WindowHeader memory prev, bool consume)
        internal
        view
        returns (Rollup.WindowHeader memory next)
    {
        // A copy: memory structs are references.
        next = abi.decode(abi.encode(prev), (Rollup.WindowHeader));
        next.firstBatch = prev.lastBatch + 1;
        next.lastBatch = prev.lastBatch + 1;
        next.prevRoot = prev.newRoot;
        next.leafCountBefore = prev.leafCountAfter;
        next.depositCountBefore = prev.depositCountAfter;
        next.queueHashBefore = prev.queueHashAfter;
        next.withdrawalHashBefore = prev.withdrawalHashAfter;
        if (consume) {
            next.depositCountAfter = 1;
            next.queueHashAfter = h8.queueHashAfter;
        }
    }

    /// Forced inclusion: once a commit has landed after a waiting deposit's deadline, every
    /// further commit that leaves it waiting reverts; one that credits it commits. Before
    /// that, windows that leave it waiting commit — including one committed late (its
    /// contents were fixed earlier; the next window may still credit the deposit).
    function test_forced_inclusion_deadline() public {
        Rollup.WindowHeader memory skipping = _skipping();
        Rollup.WindowHeader memory next = _after(skipping, false);
        bytes memory data = hex"00";
        // Late: the first window leaving it waiting is committed past the deadline (no
        // commit before it to measure at), the next one reverts, one crediting it commits.
        vm.roll(depositBlock + DEADLINE + 1);
        rollup.commitWindow(skipping, 0, data, _none());
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositDeadlinePassed.selector, uint64(0), depositBlock));
        rollup.commitWindow(next, 0, data, _none());
        rollup.commitWindow(_after(skipping, true), 0, data, _none());
        require(rollup.committedWindows() == 2, "the crediting window commits");
        // In time: the previous commit was within the deadline, so a window leaving it
        // waiting commits even after the deadline (on a fresh Rollup).
        (Rollup r,) = _deploy();
        r.commitWindow(skipping, 0, data, _none());
        vm.roll(depositBlock + DEADLINE + 10);
        r.commitWindow(next, 0, data, _none());
        require(r.committedWindows() == 2, "measured at the previous commit");
        // A revert does not relax it: the tip is measured anew at the revert.
        r.revertWindows(1, skipping, new bytes32[](0), keccak256(data));
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositDeadlinePassed.selector, uint64(0), depositBlock));
        r.commitWindow(next, 0, data, _none());
    }

    /// A window whose last deposit the Bridge has forgotten (more than HISTORY deposits
    /// followed it) commits by hashing forward through the later deposits to one it
    /// remembers; forged forward deposits are refused.
    function test_commit_hashes_forward_past_forgotten_deposits() public {
        uint256 more = bridge.HISTORY() + 20;
        Rollup.QueuedDeposit[] memory forward = new Rollup.QueuedDeposit[](more - bridge.HISTORY() + 1);
        for (uint256 i = 0; i < more; i++) {
            address to = address(uint160(0x1000 + i));
            bridge.deposit{value: 1 gwei}(to);
            if (i < forward.length) {
                forward[i] = Rollup.QueuedDeposit(to, 1 gwei, uint64(block.number));
            }
        }
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositForgotten.selector, uint64(0)));
        rollup.commitWindow(h8, 2, "", _none());
        forward[3].amount += 1;
        vm.expectRevert(Rollup.QueueHashMismatch.selector);
        rollup.commitWindow(h8, 2, "", forward);
        forward[3].amount -= 1;
        uint256 g = gasleft();
        rollup.commitWindow(h8, 2, "", forward);
        _log("commit gas hashing forward through deposits", g - gasleft());
        _log("  forward deposits", forward.length);
        require(rollup.committedWindows() == 1, "committed");
    }

    function test_the_bridge_is_named_once_by_the_admin_before_commits() public {
        Rollup r = new Rollup(IFinalProofVerifier(address(verifier)), CHAIN, address(this), h8.prevRoot, h8.leafCountBefore, DEADLINE);
        vm.blobhashes(blobs);
        vm.expectRevert(Rollup.NoBridge.selector);
        r.commitWindow(h8, 2, "", _none());
        vm.prank(STRANGER);
        vm.expectRevert(Rollup.NotAdmin.selector);
        r.setBridge(IBridge(address(bridge)));
        r.setBridge(IBridge(address(bridge)));
        vm.expectRevert(Rollup.BridgeAlreadySet.selector);
        r.setBridge(IBridge(address(bridge)));
    }

    function test_blobs_must_match_the_count() public {
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MissingBlob.selector, uint256(2)));
        rollup.commitWindow(h8, 3, "", _none());
        vm.expectRevert(abi.encodeWithSelector(Rollup.UncountedBlob.selector, uint256(1)));
        rollup.commitWindow(h8, 1, "", _none());
        vm.expectRevert(Rollup.DataInBothModes.selector);
        rollup.commitWindow(h8, 2, hex"00", _none());
        vm.blobhashes(new bytes32[](0));
        vm.expectRevert(Rollup.NoData.selector);
        rollup.commitWindow(h8, 0, "", _none());
    }

    function test_prove_needs_a_commit() public {
        vm.expectRevert(Rollup.NothingToProve.selector);
        rollup.proveWindow(h8, blobs, bytes32(0), withdrawals8, proof8);
    }

    function test_prove_refuses_another_header_or_data() public {
        _commit8();
        Rollup.WindowHeader memory h = h8;
        h.txCount += 1;
        vm.expectRevert(Rollup.HeaderMismatch.selector);
        rollup.proveWindow(h, blobs, bytes32(0), withdrawals8, proof8);
        bytes32[] memory other = new bytes32[](2);
        other[0] = blobs[1];
        other[1] = blobs[0];
        vm.expectRevert(Rollup.HeaderMismatch.selector);
        rollup.proveWindow(h8, other, bytes32(0), withdrawals8, proof8);
    }

    function test_prove_refuses_a_proof_of_another_window() public {
        // A window that claims final-1's header but proves it with final-8's proof.
        (Rollup r,) = _deploy();
        vm.blobhashes(blobs);
        r.commitWindow(h1, 2, "", _none());
        vm.expectRevert();
        r.proveWindow(h1, blobs, bytes32(0), new bytes32[](0), proof8);
        require(r.finalizedWindows() == 0, "finalized with a wrong proof");
        r.proveWindow(h1, blobs, bytes32(0), new bytes32[](0), proof1);
        require(r.finalizedStateRoot() == h1.newRoot, "root");
    }

    function test_prove_refuses_an_altered_proof() public {
        _commit8();
        bytes memory bad = proof8;
        bad[1000] = bytes1(uint8(bad[1000]) ^ 1);
        vm.expectRevert();
        rollup.proveWindow(h8, blobs, bytes32(0), withdrawals8, bad);
        require(rollup.finalizedWindows() == 0, "finalized with an altered proof");
    }

    function test_revert_drops_unproven_windows_and_commits_chain_again() public {
        _commit8();
        vm.prank(STRANGER);
        vm.expectRevert(Rollup.NotOperator.selector);
        rollup.revertWindows(0, h8, blobs, bytes32(0));
        rollup.revertWindows(0, h8, blobs, bytes32(0));
        require(rollup.committedWindows() == 0 && rollup.lastCommittedBatch() == 0, "not reverted");
        require(rollup.committedStateRoot() == h8.prevRoot, "tip not restored");
        (uint64 count, bytes24 hash,, bytes24 withdrawalHash) = rollup.committedBridge();
        require(count == 0 && hash == h8.queueHashBefore && withdrawalHash == h8.withdrawalHashBefore, "bridge tip");
        require(rollup.windowCommitment(1) == bytes32(0), "commitment kept");
        vm.expectRevert(Rollup.NothingToProve.selector);
        rollup.proveWindow(h8, blobs, bytes32(0), withdrawals8, proof8);
        _commit8();
        rollup.proveWindow(h8, blobs, bytes32(0), withdrawals8, proof8);
        // Finalized windows cannot be reverted.
        vm.expectRevert(Rollup.BadRevert.selector);
        rollup.revertWindows(0, h8, blobs, bytes32(0));
    }

    function test_revert_to_a_committed_window_checks_its_header() public {
        // Two windows committed on a chain whose genesis is final-8's start: the second is
        // synthetic (it can never be proven here, only reverted).
        _commit8();
        Rollup.WindowHeader memory next = h8;
        next.firstBatch = h8.lastBatch + 1;
        next.lastBatch = h8.lastBatch + 1;
        next.prevRoot = h8.newRoot;
        next.leafCountBefore = h8.leafCountAfter;
        next.batchesDigest = bytes32(0);
        next.txCount = 0;
        next.depositCountBefore = h8.depositCountAfter;
        next.queueHashBefore = h8.queueHashAfter;
        next.withdrawalHashBefore = h8.withdrawalHashAfter;
        vm.blobhashes(new bytes32[](0));
        rollup.commitWindow(next, 0, hex"00", _none());
        Rollup.WindowHeader memory wrong = h8;
        wrong.newRoot = bytes32(0);
        vm.expectRevert(Rollup.HeaderMismatch.selector);
        rollup.revertWindows(1, wrong, blobs, bytes32(0));
        rollup.revertWindows(1, h8, blobs, bytes32(0));
        require(rollup.committedWindows() == 1 && rollup.lastCommittedBatch() == h8.lastBatch, "tip");
        require(rollup.committedStateRoot() == h8.newRoot, "root");
        (uint64 count, bytes24 hash,,) = rollup.committedBridge();
        require(count == 1 && hash == h8.queueHashAfter, "bridge tip");
    }

    function test_only_the_admin_changes_the_operator() public {
        vm.prank(STRANGER);
        vm.expectRevert(Rollup.NotAdmin.selector);
        rollup.setOperator(STRANGER);
        rollup.setOperator(STRANGER);
        require(rollup.operator() == STRANGER, "operator");
    }
}
