// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRewardDistributor
/// @notice Pays each project epoch's rewards against a merkle root the DAO voted through. Epochs
/// are named by their key, (projectId << 128) | epoch.
/// @dev Leaves are OpenZeppelin StandardMerkleTree leaves of (uint256 index, address account,
/// uint256 amount): keccak256(bytes.concat(keccak256(abi.encode(index, account, amount)))).
interface IRewardDistributor {
    /// @dev One claim of many in claimMany.
    struct Claim {
        uint256 epochKey;
        uint256 index;
        uint256 amount;
        bytes32[] proof;
    }

    event EpochFunded(
        uint256 indexed epochKey,
        uint256 indexed projectId,
        uint256 epoch,
        bytes32 merkleRoot,
        uint256 total,
        string reportCid,
        uint64 claimDeadline
    );
    event Claimed(uint256 indexed epochKey, uint256 index, address indexed account, uint256 amount);
    event EpochSwept(uint256 indexed epochKey, address indexed treasury, uint256 amount);
    event EpochCapChanged(uint256 previousCap, uint256 newCap);

    /// @dev The merkle root is zero.
    error DistributorZeroRoot();
    /// @dev The epoch was funded before; a root is set once.
    error DistributorEpochAlreadyFunded(uint256 epochKey);
    /// @dev The epoch was never funded.
    error DistributorUnknownEpoch(uint256 epochKey);
    /// @dev The total is zero or over the per-epoch cap governance set.
    error DistributorInvalidTotal(uint256 total, uint256 cap);
    /// @dev The claim deadline is not in the future, or too far in it.
    error DistributorInvalidDeadline(uint256 claimDeadline);
    /// @dev The epoch's claim window closed at its deadline.
    error DistributorClaimWindowClosed(uint256 epochKey, uint256 claimDeadline);
    /// @dev The epoch's claim window is still open, so it cannot be swept.
    error DistributorClaimWindowOpen(uint256 epochKey, uint256 claimDeadline);
    /// @dev This leaf index was claimed before in this epoch.
    error DistributorAlreadyClaimed(uint256 epochKey, uint256 index);
    /// @dev The proof does not lead from the leaf to the epoch's root.
    error DistributorInvalidProof(uint256 epochKey, uint256 index);
    /// @dev The proof is longer than any tree this distributor accepts can need.
    error DistributorProofTooLong(uint256 length, uint256 maxLength);
    /// @dev Paying this claim would take the epoch past its total.
    error DistributorEpochOverClaimed(uint256 epochKey, uint256 claimed, uint256 total);
    /// @dev The epoch was swept already.
    error DistributorEpochSwept(uint256 epochKey);
    /// @dev claimMany was given no claims.
    error DistributorNoClaims();
    /// @dev The epoch has not closed on its project's clock, so it cannot be funded yet.
    error DistributorEpochNotClosed(uint256 projectId, uint256 epoch, uint256 end);
    /// @dev A later epoch of the project was funded, so this one can never be.
    error DistributorEpochPassedOver(uint256 projectId, uint256 epoch, uint256 nextFundable);
    /// @dev A transaction (one proposal's execution) funds at most one epoch.
    error DistributorOneEpochPerTransaction();
    /// @dev The project id or the epoch does not fit the 128 bits of a key.
    error DistributorInvalidEpoch(uint256 projectId, uint256 epoch);

    function fundEpoch(
        uint256 projectId,
        uint256 epoch,
        bytes32 merkleRoot,
        uint256 total,
        string calldata reportCid,
        uint64 claimDeadline
    ) external;

    function claim(uint256 epochKey, uint256 index, address account, uint256 amount, bytes32[] calldata proof) external;

    function claimMany(address account, Claim[] calldata claims) external;

    function sweep(uint256 epochKey) external;
}
