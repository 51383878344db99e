// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev A deliberately unsafe fixture for tests/contracts/test_slither.py (outside contracts/, so
/// Brownie never compiles it): `sweep` has lost its access check, so anyone can send the
/// contract's ether anywhere. slither must fail on it.
contract UnguardedTreasury {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    receive() external payable {}

    function sweep(address payable to) external {
        to.transfer(address(this).balance);
    }
}
