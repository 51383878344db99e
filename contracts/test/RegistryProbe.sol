// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ContributionRegistry} from "../rewards/ContributionRegistry.sol";
import {IContributionRegistry} from "../rewards/IContributionRegistry.sol";
import {RewardDistributor} from "../rewards/RewardDistributor.sol";

/// @dev Test helper: reads what the registry's invariants need in one eth_call (the block time,
/// token balances, every contribution with its attestation, each project's clock, pause and next
/// fundable epoch), so a stateful test can check them after every step without dozens of round trips.
contract RegistryProbe {
    struct ContributionView {
        IContributionRegistry.Contribution contribution;
        bool attested;
        uint256 score;
        bool valid;
    }

    struct ProjectView {
        IContributionRegistry.ScheduleConfig[] schedules;
        uint256 epoch;
        IContributionRegistry.Phase phase;
        bool paused;
        uint256 nextFundable;
    }

    /// @return timestamp the block time the read ran at
    /// @return balances the registry's, the distributor's, then each holder's balance of the bond token
    function read(
        ContributionRegistry registry,
        RewardDistributor distributor,
        address[] calldata holders,
        uint256[] calldata projectIds
    )
        external
        view
        returns (
            uint256 timestamp,
            uint256[] memory balances,
            ContributionView[] memory contributions,
            ProjectView[] memory projects
        )
    {
        timestamp = block.timestamp;
        IERC20 token = registry.bondToken();
        balances = new uint256[](holders.length + 2);
        balances[0] = token.balanceOf(address(registry));
        balances[1] = token.balanceOf(address(distributor));
        for (uint256 i = 0; i < holders.length; ++i) {
            balances[i + 2] = token.balanceOf(holders[i]);
        }
        contributions = new ContributionView[](registry.contributionCount());
        for (uint256 i = 0; i < contributions.length; ++i) {
            ContributionView memory entry = contributions[i];
            entry.contribution = registry.contribution(i + 1);
            (entry.attested, entry.score, entry.valid) = registry.attestation(i + 1);
        }
        projects = new ProjectView[](projectIds.length);
        for (uint256 i = 0; i < projectIds.length; ++i) {
            ProjectView memory entry = projects[i];
            entry.schedules = registry.schedules(projectIds[i]);
            (entry.epoch, entry.phase) = registry.epochAt(projectIds[i], block.timestamp);
            entry.paused = registry.project(projectIds[i]).paused;
            entry.nextFundable = distributor.nextFundableEpoch(projectIds[i]);
        }
    }
}
