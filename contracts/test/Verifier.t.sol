// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Verifier} from "../solidity/Verifier.sol";
import {Vm, VM} from "./Vm.sol";

/// The Verifier on real final proofs made by the Rust aggregator
/// (test/fixtures/final-{1,8}.json, written by `cargo run --release -p quire-contracts
/// --example fixtures`): valid proofs verify, and altering any part of one reverts.
contract VerifierTest {
    Vm internal constant vm = VM;
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    Verifier internal verifier;

    function setUp() public {
        verifier = new Verifier();
    }

    function _log(string memory s, uint256 v) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", s, v));
        ok;
    }

    function _fixture(string memory name) internal view returns (uint256[] memory pis, bytes memory proof, string memory json) {
        json = vm.readFile(string.concat("test/fixtures/", name));
        pis = vm.parseJsonUintArray(json, ".publicInputs");
        proof = vm.parseJsonBytes(json, ".proof");
    }

    function _verifyValid(string memory name) internal {
        (uint256[] memory pis, bytes memory proof,) = _fixture(name);
        uint256 g = gasleft();
        bool ok = verifier.verify(pis, proof);
        uint256 used = g - gasleft();
        require(ok, "valid proof rejected");
        _log("proof bytes", proof.length);
        _log("verify gas (execution, call included)", used);
    }

    function test_final_proof_of_one_batch_verifies() public {
        _verifyValid("final-1.json");
    }

    function test_final_proof_of_eight_batches_verifies() public {
        _verifyValid("final-8.json");
    }

    function _reverts(uint256[] memory pis, bytes memory proof) internal view returns (bool) {
        try verifier.verify(pis, proof) returns (bool) {
            return false;
        } catch {
            return true;
        }
    }

    function test_every_altered_part_reverts() public view {
        (uint256[] memory pis, bytes memory proof, string memory json) = _fixture("final-8.json");
        string[] memory names = vm.parseJsonStringArray(json, ".tamperNames");
        uint256[] memory offsets = vm.parseJsonUintArray(json, ".tamperOffsets");
        require(names.length == offsets.length && names.length > 20, "tamper points");
        for (uint256 i = 0; i < offsets.length; i++) {
            bytes memory bad = bytes.concat(proof);
            bad[offsets[i]] = bad[offsets[i]] ^ 0x01;
            if (!_reverts(pis, bad)) revert(string.concat("accepted with altered ", names[i]));
        }
    }

    function test_every_altered_public_input_reverts() public view {
        (uint256[] memory pis, bytes memory proof,) = _fixture("final-8.json");
        for (uint256 i = 0; i < pis.length; i++) {
            uint256[] memory bad = new uint256[](pis.length);
            for (uint256 j = 0; j < pis.length; j++) bad[j] = pis[j];
            bad[i] = (bad[i] + 1) % 0xffffffff00000001;
            require(_reverts(bad, proof), "accepted an altered public input");
        }
    }

    function test_proof_of_another_range_reverts() public view {
        (uint256[] memory pis1,,) = _fixture("final-1.json");
        (, bytes memory proof8,) = _fixture("final-8.json");
        require(_reverts(pis1, proof8), "accepted a proof with another range's public inputs");
    }

    function test_wrong_lengths_revert() public view {
        (uint256[] memory pis, bytes memory proof,) = _fixture("final-1.json");
        bytes memory shorter = new bytes(proof.length - 1);
        for (uint256 i = 0; i < shorter.length; i++) shorter[i] = proof[i];
        require(_reverts(pis, shorter), "accepted a short proof");
        require(_reverts(pis, bytes.concat(proof, hex"00")), "accepted a long proof");
        uint256[] memory fewer = new uint256[](pis.length - 1);
        for (uint256 i = 0; i < fewer.length; i++) fewer[i] = pis[i];
        require(_reverts(fewer, proof), "accepted too few public inputs");
        uint256[] memory big = new uint256[](pis.length);
        for (uint256 i = 0; i < pis.length; i++) big[i] = pis[i];
        big[0] = pis[0] + 0xffffffff00000001;
        require(_reverts(big, proof), "accepted a non-canonical public input");
    }
}
