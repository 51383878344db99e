// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {RewardDistributor} from "../rewards/RewardDistributor.sol";

/// @dev Test helper: reads what the distributor's invariants need in one eth_call (balances,
/// epochs, claimed flags), so a stateful test can check them after every step without dozens of
/// round trips.
contract DistributorProbe {
    struct EpochView {
        uint256 total;
        uint256 claimed;
        bool swept;
    }

    function read(
        RewardDistributor distributor,
        address[] calldata holders,
        uint256[] calldata epochIds,
        uint256[] calldata flagEpochIds,
        uint256[] calldata flagIndices
    ) external view returns (uint256[] memory balances, EpochView[] memory epochs, bool[] memory flags) {
        IERC20 token = distributor.token();
        balances = new uint256[](holders.length + 1);
        balances[0] = token.balanceOf(address(distributor));
        for (uint256 i = 0; i < holders.length; ++i) {
            balances[i + 1] = token.balanceOf(holders[i]);
        }
        epochs = new EpochView[](epochIds.length);
        for (uint256 i = 0; i < epochIds.length; ++i) {
            RewardDistributor.Epoch memory epoch = distributor.epoch(epochIds[i]);
            epochs[i] = EpochView(epoch.total, epoch.claimed, epoch.swept);
        }
        flags = new bool[](flagIndices.length);
        for (uint256 i = 0; i < flagIndices.length; ++i) {
            flags[i] = distributor.isClaimed(flagEpochIds[i], flagIndices[i]);
        }
    }
}
