// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GateHarness, GateHarnessGas} from "./GateHarness.sol";
import {Vm, VM} from "./Vm.sol";

/// Checks the Yul gate evaluators (templates/gates.yul) against plonky2's `eval_unfiltered`
/// on the vectors of test/fixtures/gate_vectors.json (3 per gate, in the circuit's gate order,
/// from `examples/gate_vectors.rs`; another file under test/fixtures can be named with
/// GATE_VECTORS=...). Logs (-vv) the gas of each evaluation: the gate function alone, memory
/// already expanded (GateHarnessGas).
contract GatesTest {
    Vm internal constant vm = VM;
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    uint256 internal constant VECTORS_PER_GATE = 3;

    GateHarness internal harness;
    GateHarnessGas internal gasHarness;
    string internal json;

    function setUp() public {
        harness = new GateHarness();
        gasHarness = new GateHarnessGas();
        json = vm.readFile(_path());
    }

    function _path() internal view virtual returns (string memory) {
        return vm.envOr("GATE_VECTORS", string("test/fixtures/gate_vectors.json"));
    }

    function _log(string memory s, uint256 v) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", s, v));
        ok;
    }

    function _itoa(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v > 0) {
            b = abi.encodePacked(bytes1(uint8(48 + (v % 10))), b);
            v /= 10;
        }
        return string(b);
    }

    function _startsWith(string memory s, string memory prefix) internal pure returns (bool) {
        bytes memory a = bytes(s);
        bytes memory b = bytes(prefix);
        if (a.length < b.length) return false;
        for (uint256 i = 0; i < b.length; i++) {
            if (a[i] != b[i]) return false;
        }
        return true;
    }

    function _key(uint256 k, string memory field) internal pure returns (string memory) {
        return string.concat(".gates[", _itoa(k), "].", field);
    }

    struct Vector {
        uint256[] consts;
        uint256[] wires;
        uint256[4] pih;
        uint256[] out;
    }

    function _vector(uint256 k) internal view returns (Vector memory t) {
        t.consts = vm.parseJsonUintArray(json, _key(k, "constants"));
        t.wires = vm.parseJsonUintArray(json, _key(k, "wires"));
        uint256[] memory pih = vm.parseJsonUintArray(json, _key(k, "pih"));
        require(pih.length == 4, "pih length");
        t.pih = [pih[0], pih[1], pih[2], pih[3]];
        t.out = vm.parseJsonUintArray(json, _key(k, "out"));
    }

    /// The gate name: `idPrefix` up to the first space.
    function _name(string memory idPrefix) internal pure returns (string memory) {
        bytes memory prefix = bytes(idPrefix);
        uint256 len = 0;
        while (len < prefix.length && prefix[len] != " ") len++;
        bytes memory name = new bytes(len);
        for (uint256 i = 0; i < len; i++) name[i] = prefix[i];
        return string(name);
    }

    /// Checks the 3 vectors of gate `gate`; `idPrefix`: the start of the expected `gate.id()`
    /// (gate name and parameters).
    function _check(uint256 gate, string memory idPrefix) internal view {
        for (uint256 v = 0; v < VECTORS_PER_GATE; v++) {
            uint256 k = gate * VECTORS_PER_GATE + v;
            string memory id = vm.parseJsonString(json, _key(k, "id"));
            require(_startsWith(id, idPrefix), string.concat("unexpected gate id: ", id));
            Vector memory t = _vector(k);
            uint256[] memory got = harness.eval(gate, t.consts, t.wires, t.pih);
            require(got.length == t.out.length, string.concat(id, ": wrong number of constraints"));
            for (uint256 i = 0; i < got.length; i++) {
                if (got[i] != t.out[i]) {
                    revert(string.concat(_name(idPrefix), ": vector ", _itoa(v), ", output word ", _itoa(i), " differs"));
                }
            }
            _log(string.concat(_name(idPrefix), ": gas"), gasHarness.gasOf(gate, t.consts, t.wires, t.pih));
        }
    }

    function test_00_noop() public view { _check(0, "NoopGate"); }
    function test_01_constant() public view { _check(1, "ConstantGate { num_consts: 2 }"); }
    function test_02_poseidon_mds() public view { _check(2, "PoseidonMdsGate"); }
    function test_03_public_input() public view { _check(3, "PublicInputGate"); }
    function test_04_base_sum() public view { _check(4, "BaseSumGate { num_limbs: 63 } + Base: 2"); }
    function test_05_reducing_extension() public view { _check(5, "ReducingExtensionGate { num_coeffs: 32 }"); }
    function test_06_reducing() public view { _check(6, "ReducingGate { num_coeffs: 43 }"); }
    function test_07_arithmetic_extension() public view { _check(7, "ArithmeticExtensionGate { num_ops: 10 }"); }
    function test_08_arithmetic() public view { _check(8, "ArithmeticGate { num_ops: 20 }"); }
    function test_09_mul_extension() public view { _check(9, "MulExtensionGate { num_ops: 13 }"); }
    function test_10_random_access() public view {
        _check(10, "RandomAccessGate { bits: 4, num_copies: 4, num_extra_constants: 2");
    }
    function test_11_coset_interpolation() public view {
        _check(11, "CosetInterpolationGate { subgroup_bits: 4, degree: 6, barycentric_weights: [17293822565076172801, 256, 1048576, 4294967296, 17592186044416, 72057594037927936, 68719476720, 281474976645120, 1152921504338411520, 18446744069414584065, 18446744069413535745, 18446744065119617025, 18446726477228539905, 18374686475376656385, 18446744000695107601, 18446462594437939201]");
    }
    function test_12_poseidon() public view { _check(12, "PoseidonGate"); }

    function test_vector_count() public view {
        string[] memory keys = vm.parseJsonKeys(json, "$");
        require(keys.length == 1, "one key: gates");
        uint256[] memory last = vm.parseJsonUintArray(json, _key(13 * VECTORS_PER_GATE - 1, "out"));
        last;
    }
}

/// The same on vectors with extreme field values (0, 1, p - 1, ...), which random vectors do not
/// reach, for the overflow bounds of the unreduced intermediate sums. They come from the Python
/// model `script/gate_ref.py edge` (which `script/gate_ref.py check` checks against plonky2's
/// vectors).
contract GatesEdgeTest is GatesTest {
    function _path() internal pure override returns (string memory) {
        return "test/fixtures/gate_vectors_edge.json";
    }
}
