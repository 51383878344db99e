// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VestingWallet} from "@openzeppelin/contracts/finance/VestingWallet.sol";
import {VestingWalletCliff} from "@openzeppelin/contracts/finance/VestingWalletCliff.sol";

/// @title MeritVesting
/// @notice OpenZeppelin's VestingWalletCliff, unchanged: holds a team or deployer share of MERIT and
/// releases it linearly from `start` over `duration`, nothing before `start + cliff`.
/// @dev Tokens held here cannot be delegated, so they carry no votes until released: at launch a
/// vested share cannot vote a treasury transfer through. Anyone may call `release`; the tokens go
/// to the beneficiary (the owner), who may transfer ownership of the wallet.
contract MeritVesting is VestingWalletCliff {
    constructor(address beneficiary, uint64 startTimestamp, uint64 durationSeconds, uint64 cliffSeconds)
        VestingWallet(beneficiary, startTimestamp, durationSeconds)
        VestingWalletCliff(cliffSeconds)
    {}
}
