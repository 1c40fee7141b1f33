// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// The forge cheatcodes the tests use (forge-std is not installed), at forge's fixed address.
interface Vm {
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);
    function parseJsonBytes32Array(string calldata json, string calldata key)
        external
        pure
        returns (bytes32[] memory);
    function parseJsonStringArray(string calldata json, string calldata key) external pure returns (string[] memory);
    function parseJsonKeys(string calldata json, string calldata key) external pure returns (string[] memory);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory);
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function blobhashes(bytes32[] calldata hashes) external;
    function prank(address msgSender) external;
    function deal(address who, uint256 newBalance) external;
    function roll(uint256 newHeight) external;
}

Vm constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
