// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title MeritTimelock
/// @notice OpenZeppelin's TimelockController, unchanged: the DAO's treasury and executor.
/// @dev Deployment grants PROPOSER_ROLE and CANCELLER_ROLE to the governor, EXECUTOR_ROLE to
/// everyone (address(0)), and renounces the deployer's admin role once everything is wired.
contract MeritTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
