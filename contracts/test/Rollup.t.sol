// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Rollup, IFinalProofVerifier} from "../solidity/Rollup.sol";
import {Verifier} from "../solidity/Verifier.sol";
import {Vm, VM} from "./Vm.sol";

/// The Rollup with the real Verifier and the real final proofs of the fixtures: a window
/// committed with blobs (or calldata) finalizes only with a proof of exactly its header,
/// and every other path reverts.
contract RollupTest {
    Vm internal constant vm = VM;
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;
    address internal constant STRANGER = address(0xBEEF);

    Verifier internal verifier;
    Rollup internal rollup;
    Rollup.WindowHeader internal h8;
    bytes internal proof8;
    Rollup.WindowHeader internal h1;
    bytes internal proof1;
    bytes32[] internal blobs;

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

    function _header(string memory name) internal view returns (Rollup.WindowHeader memory h, bytes memory proof) {
        string memory json = vm.readFile(string.concat("test/fixtures/", name));
        uint256[] memory pis = vm.parseJsonUintArray(json, ".publicInputs");
        proof = vm.parseJsonBytes(json, ".proof");
        h = Rollup.WindowHeader({
            firstBatch: uint64(pis[0] & 0xffffffff),
            lastBatch: uint64(pis[0] >> 32),
            prevRoot: _pack(pis, 1),
            newRoot: _pack(pis, 5),
            leafCountBefore: uint64(pis[9]),
            leafCountAfter: uint64(pis[10]),
            batchesDigest: _pack(pis, 11),
            txCount: uint64(pis[15])
        });
    }

    function setUp() public {
        verifier = new Verifier();
        (h8, proof8) = _header("final-8.json");
        (h1, proof1) = _header("final-1.json");
        rollup = new Rollup(IFinalProofVerifier(address(verifier)), address(this), h8.prevRoot, h8.leafCountBefore);
        blobs.push(bytes32(uint256(0x01) << 248 | 0x1234));
        blobs.push(bytes32(uint256(0x01) << 248 | 0x5678));
    }

    function _commit8() internal {
        vm.blobhashes(blobs);
        rollup.commitWindow(h8, 2, "");
    }

    function test_public_inputs_are_the_fixtures() public view {
        string memory json = vm.readFile("test/fixtures/final-8.json");
        uint256[] memory pis = vm.parseJsonUintArray(json, ".publicInputs");
        uint256[] memory got = rollup.publicInputs(h8);
        require(got.length == pis.length, "length");
        for (uint256 i = 0; i < pis.length; i++) {
            require(got[i] == pis[i], "public input differs");
        }
    }

    function test_commit_with_blobs_then_prove_finalizes() public {
        vm.blobhashes(blobs);
        uint256 g = gasleft();
        rollup.commitWindow(h8, 2, "");
        _log("commit gas (execution, 2 blobs)", g - gasleft());
        require(rollup.committedWindows() == 1 && rollup.lastCommittedBatch() == h8.lastBatch, "commit");
        require(rollup.finalizedStateRoot() == h8.prevRoot, "finalized too early");
        bytes memory proof = proof8;
        bytes32[] memory hashes = blobs;
        g = gasleft();
        rollup.proveWindow(h8, hashes, bytes32(0), proof);
        _log("prove gas (execution, verification included)", g - gasleft());
        require(rollup.finalizedWindows() == 1, "not finalized");
        require(rollup.finalizedStateRoot() == h8.newRoot, "root");
        require(rollup.lastFinalizedBatch() == h8.lastBatch, "batch");
        require(rollup.finalizedLeafCount() == h8.leafCountAfter, "leaves");
    }

    function test_calldata_mode_commits_and_proves() public {
        bytes memory data = hex"0102030405";
        rollup.commitWindow(h8, 0, data);
        rollup.proveWindow(h8, new bytes32[](0), keccak256(data), proof8);
        require(rollup.finalizedStateRoot() == h8.newRoot, "root");
    }

    function test_only_the_operator_commits() public {
        vm.blobhashes(blobs);
        vm.prank(STRANGER);
        vm.expectRevert(Rollup.NotOperator.selector);
        rollup.commitWindow(h8, 2, "");
    }

    function test_commit_must_chain() public {
        Rollup.WindowHeader memory h = h8;
        h.firstBatch = 2;
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotNextBatch.selector, uint64(1), uint64(2)));
        rollup.commitWindow(h, 2, "");
        h = h8;
        h.prevRoot = h8.newRoot;
        vm.expectRevert(Rollup.PrevRootMismatch.selector);
        rollup.commitWindow(h, 2, "");
        h = h8;
        h.leafCountBefore += 1;
        vm.expectRevert(Rollup.LeafCountMismatch.selector);
        rollup.commitWindow(h, 2, "");
        h = h8;
        h.lastBatch = 0;
        vm.expectRevert(Rollup.BadBatchRange.selector);
        rollup.commitWindow(h, 2, "");
        h = h8;
        h.newRoot = bytes32(type(uint256).max);
        vm.expectRevert(Rollup.NonCanonicalWord.selector);
        rollup.commitWindow(h, 2, "");
    }

    function test_blobs_must_match_the_count() public {
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MissingBlob.selector, uint256(2)));
        rollup.commitWindow(h8, 3, "");
        vm.expectRevert(abi.encodeWithSelector(Rollup.UncountedBlob.selector, uint256(1)));
        rollup.commitWindow(h8, 1, "");
        vm.expectRevert(Rollup.DataInBothModes.selector);
        rollup.commitWindow(h8, 2, hex"00");
        vm.blobhashes(new bytes32[](0));
        vm.expectRevert(Rollup.NoData.selector);
        rollup.commitWindow(h8, 0, "");
    }

    function test_prove_needs_a_commit() public {
        vm.expectRevert(Rollup.NothingToProve.selector);
        rollup.proveWindow(h8, blobs, bytes32(0), proof8);
    }

    function test_prove_refuses_another_header_or_data() public {
        _commit8();
        Rollup.WindowHeader memory h = h8;
        h.txCount += 1;
        vm.expectRevert(Rollup.HeaderMismatch.selector);
        rollup.proveWindow(h, blobs, bytes32(0), proof8);
        bytes32[] memory other = new bytes32[](2);
        other[0] = blobs[1];
        other[1] = blobs[0];
        vm.expectRevert(Rollup.HeaderMismatch.selector);
        rollup.proveWindow(h8, other, bytes32(0), proof8);
    }

    function test_prove_refuses_a_proof_of_another_window() public {
        // A window that claims final-1's header but proves it with final-8's proof.
        Rollup r = new Rollup(IFinalProofVerifier(address(verifier)), address(this), h1.prevRoot, h1.leafCountBefore);
        vm.blobhashes(blobs);
        r.commitWindow(h1, 2, "");
        vm.expectRevert();
        r.proveWindow(h1, blobs, bytes32(0), proof8);
        require(r.finalizedWindows() == 0, "finalized with a wrong proof");
        r.proveWindow(h1, blobs, bytes32(0), proof1);
        require(r.finalizedStateRoot() == h1.newRoot, "root");
    }

    function test_prove_refuses_an_altered_proof() public {
        _commit8();
        bytes memory bad = proof8;
        bad[1000] = bytes1(uint8(bad[1000]) ^ 1);
        vm.expectRevert();
        rollup.proveWindow(h8, blobs, bytes32(0), bad);
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
        require(rollup.windowCommitment(1) == bytes32(0), "commitment kept");
        vm.expectRevert(Rollup.NothingToProve.selector);
        rollup.proveWindow(h8, blobs, bytes32(0), proof8);
        _commit8();
        rollup.proveWindow(h8, blobs, bytes32(0), proof8);
        // Finalized windows cannot be reverted.
        vm.expectRevert(Rollup.BadRevert.selector);
        rollup.revertWindows(0, h8, blobs, bytes32(0));
    }

    function test_revert_to_a_committed_window_checks_its_header() public {
        // Two windows committed on a chain whose genesis is final-8's start: the second is
        // synthetic (it can never be proven here, only reverted).
        _commit8();
        Rollup.WindowHeader memory next = Rollup.WindowHeader({
            firstBatch: h8.lastBatch + 1,
            lastBatch: h8.lastBatch + 1,
            prevRoot: h8.newRoot,
            newRoot: h8.newRoot,
            leafCountBefore: h8.leafCountAfter,
            leafCountAfter: h8.leafCountAfter,
            batchesDigest: bytes32(0),
            txCount: 0
        });
        vm.blobhashes(new bytes32[](0));
        rollup.commitWindow(next, 0, hex"00");
        Rollup.WindowHeader memory wrong = h8;
        wrong.newRoot = bytes32(0);
        vm.expectRevert(Rollup.HeaderMismatch.selector);
        rollup.revertWindows(1, wrong, blobs, bytes32(0));
        rollup.revertWindows(1, h8, blobs, bytes32(0));
        require(rollup.committedWindows() == 1 && rollup.lastCommittedBatch() == h8.lastBatch, "tip");
        require(rollup.committedStateRoot() == h8.newRoot, "root");
    }

    function test_only_the_admin_changes_the_operator() public {
        vm.prank(STRANGER);
        vm.expectRevert(Rollup.NotAdmin.selector);
        rollup.setOperator(STRANGER);
        rollup.setOperator(STRANGER);
        require(rollup.operator() == STRANGER, "operator");
    }
}
