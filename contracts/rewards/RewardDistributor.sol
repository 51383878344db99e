// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IRewardDistributor} from "./IRewardDistributor.sol";

/// @title RewardDistributor
/// @notice Holds each epoch's reward tokens and pays them out against the epoch's merkle root.
/// @dev Roles: DEFAULT_ADMIN_ROLE (the timelock) funds epochs, sets the per-epoch cap, unpauses,
/// and grants GUARDIAN_ROLE, which may only pause claims. Funding pulls `total` from the caller
/// (the treasury approves it in the same proposal). Claimed flags are a bitmap per epoch keyed by
/// the leaf's own index, and each epoch counts what it paid, so an epoch never pays more than its
/// total whatever its tree says.
contract RewardDistributor is IRewardDistributor, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @dev 2^32 leaves at most; a longer proof cannot belong to an accepted tree.
    uint256 public constant MAX_PROOF_LENGTH = 32;
    uint256 public constant MAX_CLAIM_WINDOW = 730 days;

    /// @dev root in one word; the rest, which every claim reads and writes, in the next.
    struct Epoch {
        bytes32 root;
        uint96 total;
        uint96 claimed;
        uint40 claimDeadline;
        bool swept;
    }

    IERC20 public immutable token;
    address public immutable treasury;

    uint256 private _epochCap;
    mapping(uint256 epochId => Epoch) private _epochs;
    mapping(uint256 epochId => mapping(uint256 word => uint256)) private _claimedBitmap;

    /// @param token_ the reward token.
    /// @param treasury_ the timelock: admin, funder, and where swept tokens return.
    /// @param guardian_ may pause claims (the zero address for none).
    /// @param epochCap_ the largest total one epoch may be funded with.
    constructor(IERC20 token_, address treasury_, address guardian_, uint256 epochCap_) {
        token = token_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, treasury_);
        if (guardian_ != address(0)) _grantRole(GUARDIAN_ROLE, guardian_);
        _setEpochCap(epochCap_);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IRewardDistributor
    /// @dev Only DEFAULT_ADMIN_ROLE (the timelock). Pulls `total` from the caller.
    function fundEpoch(uint256 epochId, bytes32 merkleRoot, uint256 total, string calldata reportCid, uint64 claimDeadline)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (merkleRoot == bytes32(0)) revert DistributorZeroRoot();
        Epoch storage epoch = _epochs[epochId];
        if (epoch.root != bytes32(0)) revert DistributorEpochAlreadyFunded(epochId);
        if (total == 0 || total > _epochCap) revert DistributorInvalidTotal(total, _epochCap);
        if (claimDeadline <= block.timestamp || claimDeadline > block.timestamp + MAX_CLAIM_WINDOW) {
            revert DistributorInvalidDeadline(claimDeadline);
        }
        epoch.root = merkleRoot;
        epoch.total = uint96(total);
        epoch.claimDeadline = uint40(claimDeadline);
        emit EpochFunded(epochId, merkleRoot, total, reportCid, claimDeadline);
        token.safeTransferFrom(msg.sender, address(this), total);
    }

    /// @notice Sets the largest total one epoch may be funded with. Only DEFAULT_ADMIN_ROLE.
    function setEpochCap(uint256 newCap) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setEpochCap(newCap);
    }

    /// @notice Stops all claims. Only GUARDIAN_ROLE.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @notice Lets claims in again. Only DEFAULT_ADMIN_ROLE (governance decides).
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- claims

    /// @inheritdoc IRewardDistributor
    /// @dev Anyone may send a claim; the tokens always go to `account`.
    function claim(uint256 epochId, uint256 index, address account, uint256 amount, bytes32[] calldata proof)
        external
        whenNotPaused
        nonReentrant
    {
        _claim(epochId, index, account, amount, proof);
        token.safeTransfer(account, amount);
    }

    /// @inheritdoc IRewardDistributor
    /// @dev Every claim is checked and marked; the sum is paid in one transfer.
    function claimMany(address account, Claim[] calldata claims) external whenNotPaused nonReentrant {
        if (claims.length == 0) revert DistributorNoClaims();
        uint256 sum;
        for (uint256 i = 0; i < claims.length; ++i) {
            Claim calldata c = claims[i];
            _claim(c.epochId, c.index, account, c.amount, c.proof);
            sum += c.amount;
        }
        token.safeTransfer(account, sum);
    }

    /// @inheritdoc IRewardDistributor
    /// @dev Anyone may sweep once the claim window closed; the tokens go to the treasury.
    function sweep(uint256 epochId) external nonReentrant {
        Epoch storage epoch = _epochs[epochId];
        if (epoch.root == bytes32(0)) revert DistributorUnknownEpoch(epochId);
        if (epoch.swept) revert DistributorEpochSwept(epochId);
        if (block.timestamp <= epoch.claimDeadline) revert DistributorClaimWindowOpen(epochId, epoch.claimDeadline);
        uint256 unclaimed = uint256(epoch.total) - epoch.claimed;
        epoch.swept = true;
        emit EpochSwept(epochId, treasury, unclaimed);
        if (unclaimed > 0) token.safeTransfer(treasury, unclaimed);
    }

    // ---------------------------------------------------------------- views

    function epochCap() external view returns (uint256) {
        return _epochCap;
    }

    function epoch(uint256 epochId) external view returns (Epoch memory) {
        return _epochs[epochId];
    }

    function isClaimed(uint256 epochId, uint256 index) public view returns (bool) {
        return _claimedBitmap[epochId][index >> 8] & (1 << (index & 0xff)) != 0;
    }

    // ---------------------------------------------------------------- internals

    function _claim(uint256 epochId, uint256 index, address account, uint256 amount, bytes32[] calldata proof)
        private
    {
        if (proof.length > MAX_PROOF_LENGTH) revert DistributorProofTooLong(proof.length, MAX_PROOF_LENGTH);
        Epoch storage epoch_ = _epochs[epochId];
        bytes32 root = epoch_.root;
        if (root == bytes32(0)) revert DistributorUnknownEpoch(epochId);
        uint256 deadline = epoch_.claimDeadline;
        if (block.timestamp > deadline) revert DistributorClaimWindowClosed(epochId, deadline);

        mapping(uint256 => uint256) storage bitmap = _claimedBitmap[epochId];
        uint256 word = bitmap[index >> 8];
        uint256 bit = 1 << (index & 0xff);
        if (word & bit != 0) revert DistributorAlreadyClaimed(epochId, index);

        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(index, account, amount))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert DistributorInvalidProof(epochId, index);

        bitmap[index >> 8] = word | bit;
        uint256 claimed = uint256(epoch_.claimed) + amount;
        if (claimed > epoch_.total) revert DistributorEpochOverClaimed(epochId, claimed, epoch_.total);
        epoch_.claimed = uint96(claimed);
        emit Claimed(epochId, index, account, amount);
    }

    function _setEpochCap(uint256 newCap) private {
        if (newCap > type(uint96).max) revert DistributorInvalidTotal(newCap, type(uint96).max);
        uint256 previousCap = _epochCap;
        _epochCap = newCap;
        emit EpochCapChanged(previousCap, newCap);
    }
}
