// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev Test double: the one registry view a RewardDistributor reads. Every epoch of every project
/// has closed, so a distributor wired to it (the reentrancy doubles' own) can fund any epoch.
contract EpochClockStub {
    function epochEnd(uint256, uint256) external pure returns (uint256) {
        return 0;
    }
}
