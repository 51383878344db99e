// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IRewardDistributor} from "./IRewardDistributor.sol";
import {IContributionRegistry} from "./IContributionRegistry.sol";

/// @title RewardDistributor
/// @notice Holds each project epoch's reward tokens and pays them out against the epoch's merkle root.
/// @dev Roles: DEFAULT_ADMIN_ROLE (the timelock) funds epochs, sets the per-epoch cap, unpauses,
/// and grants GUARDIAN_ROLE, which may only pause claims. Funding pulls `total` from the caller
/// (the treasury approves it in the same proposal). An epoch is named by its key, (projectId << 128)
/// | epoch, so two projects' epochs never collide. An epoch is funded only once it closed on its
/// project's clock, only if no later epoch of the project was funded, and at most one epoch per
/// transaction (so one proposal cannot fund several). Claimed flags are a bitmap per epoch keyed by
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
    IContributionRegistry public immutable registry;
    /// @dev Transient: set by the first fundEpoch of a transaction.
    bytes32 private constant _FUNDED_IN_TX_SLOT = keccak256("openmerit.distributor.fundedInTransaction");

    uint256 private _epochCap;
    mapping(uint256 epochKey => Epoch) private _epochs;
    mapping(uint256 epochKey => mapping(uint256 word => uint256)) private _claimedBitmap;
    mapping(uint256 projectId => uint256) private _nextFundable;

    /// @param token_ the reward token.
    /// @param treasury_ the timelock: admin, funder, and where swept tokens return.
    /// @param guardian_ may pause claims (the zero address for none).
    /// @param epochCap_ the largest total one epoch may be funded with.
    /// @param registry_ the registry whose project clocks say when an epoch has closed.
    constructor(IERC20 token_, address treasury_, address guardian_, uint256 epochCap_, IContributionRegistry registry_) {
        token = token_;
        treasury = treasury_;
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, treasury_);
        if (guardian_ != address(0)) _grantRole(GUARDIAN_ROLE, guardian_);
        _setEpochCap(epochCap_);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IRewardDistributor
    /// @dev Only DEFAULT_ADMIN_ROLE (the timelock). Pulls `total` from the caller.
    function fundEpoch(
        uint256 projectId,
        uint256 epoch,
        bytes32 merkleRoot,
        uint256 total,
        string calldata reportCid,
        uint64 claimDeadline
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _useOneFundingPerTransaction();
        if (merkleRoot == bytes32(0)) revert DistributorZeroRoot();
        uint256 key = epochKey(projectId, epoch);
        Epoch storage epoch_ = _epochs[key];
        if (epoch_.root != bytes32(0)) revert DistributorEpochAlreadyFunded(key);
        _checkFundable(projectId, epoch);
        if (total == 0 || total > _epochCap) revert DistributorInvalidTotal(total, _epochCap);
        if (claimDeadline <= block.timestamp || claimDeadline > block.timestamp + MAX_CLAIM_WINDOW) {
            revert DistributorInvalidDeadline(claimDeadline);
        }
        _nextFundable[projectId] = epoch + 1;
        epoch_.root = merkleRoot;
        epoch_.total = uint96(total);
        epoch_.claimDeadline = uint40(claimDeadline);
        emit EpochFunded(key, projectId, epoch, merkleRoot, total, reportCid, claimDeadline);
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
    function claim(uint256 epochKey, uint256 index, address account, uint256 amount, bytes32[] calldata proof)
        external
        whenNotPaused
        nonReentrant
    {
        _claim(epochKey, index, account, amount, proof);
        token.safeTransfer(account, amount);
    }

    /// @inheritdoc IRewardDistributor
    /// @dev Every claim is checked and marked; the sum is paid in one transfer.
    function claimMany(address account, Claim[] calldata claims) external whenNotPaused nonReentrant {
        if (claims.length == 0) revert DistributorNoClaims();
        uint256 sum;
        for (uint256 i = 0; i < claims.length; ++i) {
            Claim calldata c = claims[i];
            _claim(c.epochKey, c.index, account, c.amount, c.proof);
            // _claim held the amount under its epoch's uint96 total: the sum cannot overflow
            unchecked {
                sum += c.amount;
            }
        }
        token.safeTransfer(account, sum);
    }

    /// @inheritdoc IRewardDistributor
    /// @dev Anyone may sweep once the claim window closed; the tokens go to the treasury.
    function sweep(uint256 epochKey) external nonReentrant {
        Epoch storage epoch = _epochs[epochKey];
        if (epoch.root == bytes32(0)) revert DistributorUnknownEpoch(epochKey);
        if (epoch.swept) revert DistributorEpochSwept(epochKey);
        if (block.timestamp <= epoch.claimDeadline) revert DistributorClaimWindowOpen(epochKey, epoch.claimDeadline);
        uint256 unclaimed = uint256(epoch.total) - epoch.claimed;
        epoch.swept = true;
        emit EpochSwept(epochKey, treasury, unclaimed);
        if (unclaimed > 0) token.safeTransfer(treasury, unclaimed);
    }

    // ---------------------------------------------------------------- views

    function epochCap() external view returns (uint256) {
        return _epochCap;
    }

    function epoch(uint256 epochKey) external view returns (Epoch memory) {
        return _epochs[epochKey];
    }

    /// @notice The key naming a project's epoch in this distributor: (projectId << 128) | epoch.
    function epochKey(uint256 projectId, uint256 epoch_) public pure returns (uint256) {
        if (projectId >> 128 != 0 || epoch_ >> 128 != 0) revert DistributorInvalidEpoch(projectId, epoch_);
        return (projectId << 128) | epoch_;
    }

    /// @notice The project's earliest epoch that may still be funded (every earlier one was funded or passed over).
    function nextFundableEpoch(uint256 projectId) external view returns (uint256) {
        return _nextFundable[projectId];
    }

    function isClaimed(uint256 epochKey, uint256 index) public view returns (bool) {
        return _claimedBitmap[epochKey][index >> 8] & (1 << (index & 0xff)) != 0;
    }

    // ---------------------------------------------------------------- internals

    function _claim(uint256 epochKey, uint256 index, address account, uint256 amount, bytes32[] calldata proof)
        private
    {
        if (proof.length > MAX_PROOF_LENGTH) revert DistributorProofTooLong(proof.length, MAX_PROOF_LENGTH);
        Epoch storage epoch_ = _epochs[epochKey];
        bytes32 root = epoch_.root;
        if (root == bytes32(0)) revert DistributorUnknownEpoch(epochKey);
        uint256 deadline = epoch_.claimDeadline;
        if (block.timestamp > deadline) revert DistributorClaimWindowClosed(epochKey, deadline);

        mapping(uint256 => uint256) storage bitmap = _claimedBitmap[epochKey];
        uint256 word = bitmap[index >> 8];
        uint256 bit = 1 << (index & 0xff);
        if (word & bit != 0) revert DistributorAlreadyClaimed(epochKey, index);

        if (!MerkleProof.verifyCalldata(proof, root, _leaf(index, account, amount))) {
            revert DistributorInvalidProof(epochKey, index);
        }

        bitmap[index >> 8] = word | bit;
        uint256 claimed = uint256(epoch_.claimed) + amount;
        if (claimed > epoch_.total) revert DistributorEpochOverClaimed(epochKey, claimed, epoch_.total);
        epoch_.claimed = uint96(claimed);
        emit Claimed(epochKey, index, account, amount);
    }

    /// @dev keccak256(bytes.concat(keccak256(abi.encode(index, account, amount)))), the StandardMerkleTree
    /// leaf, hashed in scratch memory (no allocation).
    function _leaf(uint256 index, address account, uint256 amount) private pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, index)
            mstore(add(ptr, 0x20), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x40), amount)
            mstore(0x00, keccak256(ptr, 0x60))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @dev The timelock runs a proposal's actions in one transaction: a second fundEpoch in it reverts.
    function _useOneFundingPerTransaction() private {
        bytes32 slot = _FUNDED_IN_TX_SLOT;
        uint256 funded;
        assembly {
            funded := tload(slot)
        }
        if (funded != 0) revert DistributorOneEpochPerTransaction();
        assembly {
            tstore(slot, 1)
        }
    }

    /// @dev The epoch closed on its project's clock and no later epoch of the project was funded.
    function _checkFundable(uint256 projectId, uint256 epoch) private view {
        uint256 next = _nextFundable[projectId];
        if (epoch < next) revert DistributorEpochPassedOver(projectId, epoch, next);
        uint256 end = registry.epochEnd(projectId, epoch); // reverts for an unknown project
        if (block.timestamp < end) revert DistributorEpochNotClosed(projectId, epoch, end);
    }

    function _setEpochCap(uint256 newCap) private {
        if (newCap > type(uint96).max) revert DistributorInvalidTotal(newCap, type(uint96).max);
        uint256 previousCap = _epochCap;
        _epochCap = newCap;
        emit EpochCapChanged(previousCap, newCap);
    }
}
