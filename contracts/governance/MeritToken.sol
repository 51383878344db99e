// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

/// @title MeritToken
/// @notice OpenMerit's governance and reward token: ERC20 with permit and vote delegation,
/// a hard supply cap, and minting reserved to holders of MINTER_ROLE.
/// @dev The admin (the timelock, i.e. the DAO) is the only account that grants MINTER_ROLE;
/// the deployer receives no role. The initial distribution is minted in the constructor, so no
/// privileged minter is needed at deployment. The clock is the block timestamp (ERC-6372), so
/// the governor's voting delay and period are counted in seconds.
contract MeritToken is ERC20, ERC20Permit, ERC20Votes, ERC20Capped, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @dev The initial distribution's two arrays differ in length.
    error MeritTokenDistributionLengthMismatch(uint256 recipients, uint256 amounts);

    /// @dev The admin given to the constructor is the zero address.
    error MeritTokenZeroAdmin();

    /// @param admin_ receives DEFAULT_ADMIN_ROLE and MINTER_ROLE (the timelock).
    /// @param recipients_ and amounts_ are the initial distribution, minted at once.
    constructor(
        string memory name_,
        string memory symbol_,
        uint256 cap_,
        address admin_,
        address[] memory recipients_,
        uint256[] memory amounts_
    ) ERC20(name_, symbol_) ERC20Permit(name_) ERC20Capped(cap_) {
        if (admin_ == address(0)) revert MeritTokenZeroAdmin();
        if (recipients_.length != amounts_.length) {
            revert MeritTokenDistributionLengthMismatch(recipients_.length, amounts_.length);
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin_);
        _grantRole(MINTER_ROLE, admin_);
        for (uint256 i = 0; i < recipients_.length; ++i) {
            _mint(recipients_[i], amounts_[i]);
        }
    }

    /// @notice Mints `amount` to `to`. Only MINTER_ROLE; the cap holds.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @dev Votes are checkpointed by timestamp (ERC-6372).
    function clock() public view override returns (uint48) {
        return Time.timestamp();
    }

    /// @dev Votes are checkpointed by timestamp (ERC-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    // The following functions are overrides required by Solidity.

    function _update(address from, address to, uint256 value)
        internal
        override(ERC20, ERC20Votes, ERC20Capped)
    {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
