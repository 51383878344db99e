// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The same fixture with its access check for tests/contracts/test_slither.py (outside contracts/, so
/// Brownie never compiles it): only the owner may sweep, and slither passes it; see UnguardedTreasury.sol.
contract GuardedTreasury {
    error GuardedTreasuryNotOwner(address caller);

    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    receive() external payable {}

    function sweep(address payable to) external {
        if (msg.sender != owner) revert GuardedTreasuryNotOwner(msg.sender);
        to.transfer(address(this).balance);
    }
}
