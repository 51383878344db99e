// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IContributionRegistry
/// @notice Where contributors submit work to OpenMerit projects and the oracle attests its score.
/// Events carry everything an indexer needs, so no extra calls are required to follow it.
interface IContributionRegistry {
    /// @dev What a contribution is; the oracle scores each kind its own way.
    enum Kind {
        MODEL_PREDICTIONS,
        LABELS
    }

    /// @dev What a project's benchmark asks for.
    enum Task {
        CLASSIFICATION,
        REGRESSION,
        LABELLING
    }

    event ProjectRegistered(
        uint256 indexed projectId,
        string name,
        Task task,
        string metric,
        string benchmarkCid,
        bytes32 answersCommitment
    );
    event ProjectPaused(uint256 indexed projectId, address indexed guardian);
    event ProjectUnpaused(uint256 indexed projectId);
    event ContributionSubmitted(
        uint256 indexed contributionId,
        uint256 indexed projectId,
        address indexed contributor,
        Kind kind,
        string cid,
        address relayer
    );
    event ScoreAttested(uint256 indexed contributionId, uint256 score, string reportCid);

    /// @dev The project id is not a registered project.
    error RegistryUnknownProject(uint256 projectId);
    /// @dev The project's submissions are paused by the guardian.
    error RegistryProjectPaused(uint256 projectId);
    /// @dev The project is not paused, so there is nothing to unpause.
    error RegistryProjectNotPaused(uint256 projectId);
    /// @dev The CID is empty or longer than MAX_CID_LENGTH bytes.
    error RegistryInvalidCid(uint256 length);
    /// @dev The answers commitment is zero.
    error RegistryZeroCommitment();
    /// @dev The project name is empty.
    error RegistryEmptyName();
    /// @dev The contribution id was never assigned.
    error RegistryUnknownContribution(uint256 contributionId);
    /// @dev The contribution was attested before; attestations are final.
    error RegistryAlreadyAttested(uint256 contributionId);
    /// @dev Two arrays of an attestation batch differ in length.
    error RegistryBatchLengthMismatch(uint256 ids, uint256 scores);
    /// @dev The signature's deadline has passed.
    error RegistryExpiredSignature(uint256 deadline);
    /// @dev The signature is not the contributor's over this submission on this registry and chain.
    error RegistryInvalidSignature(address contributor);
    /// @dev The kind is not one of Kind's values.
    error RegistryInvalidKind(uint8 kind);
    /// @dev The score does not fit the 248 bits an attestation stores.
    error RegistryScoreTooLarge(uint256 contributionId, uint256 score);

    /// @dev `kind` is a Kind, taken as its uint8 (same selector) so that a value outside Kind
    /// reverts with RegistryInvalidKind instead of the ABI decoder's empty revert.
    function submit(uint256 projectId, uint8 kind, string calldata cid) external returns (uint256 contributionId);

    function submitBySig(
        address contributor,
        uint256 projectId,
        uint8 kind,
        string calldata cid,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 contributionId);

    function attestScores(uint256[] calldata contributionIds, uint256[] calldata scores, string calldata reportCid)
        external;
}
