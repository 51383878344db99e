// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IContributionRegistry} from "./IContributionRegistry.sol";

/// @title ContributionRegistry
/// @notice Projects registered by governance; contributions submitted by contributors (directly,
/// or by an EIP-712 signature that a relayer sends); scores attested by the oracle.
/// @dev Roles: DEFAULT_ADMIN_ROLE (the timelock) registers projects, unpauses them and grants and
/// revokes ORACLE_ROLE and GUARDIAN_ROLE. GUARDIAN_ROLE may only pause a project's submissions.
/// A contribution's CID lives in its event; storage keeps one packed word per contribution.
contract ContributionRegistry is IContributionRegistry, AccessControl, EIP712, Nonces {
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    uint256 public constant MAX_CID_LENGTH = 128;

    bytes32 public constant SUBMISSION_TYPEHASH = keccak256(
        "Submission(address contributor,uint256 projectId,uint8 kind,string cid,uint256 nonce,uint256 deadline)"
    );

    /// @dev registered, task and paused share a word: submit reads only that word.
    struct Project {
        bool registered;
        Task task;
        bool paused;
        bytes32 answersCommitment;
    }

    /// @dev Packed into one storage word.
    struct Contribution {
        address contributor;
        uint56 projectId;
        Kind kind;
        uint32 submittedAt;
    }

    struct Attestation {
        uint248 score;
        bool attested;
    }

    uint256 private _projectCount;
    uint256 private _contributionCount;
    mapping(uint256 projectId => Project) private _projects;
    mapping(uint256 contributionId => Contribution) private _contributions;
    mapping(uint256 contributionId => Attestation) private _attestations;

    /// @param admin the timelock: the only account that registers projects and manages roles.
    /// @param guardian may pause submissions per project (the zero address for none).
    /// @param oracle the first oracle, so that epochs can be attested from the start (the zero
    /// address for none); later oracles are granted and revoked by the admin.
    constructor(address admin, address guardian, address oracle) EIP712("OpenMerit ContributionRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (guardian != address(0)) _grantRole(GUARDIAN_ROLE, guardian);
        if (oracle != address(0)) _grantRole(ORACLE_ROLE, oracle);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Registers a project. Only DEFAULT_ADMIN_ROLE (the timelock).
    function registerProject(
        string calldata name,
        Task task,
        string calldata metric,
        string calldata benchmarkCid,
        bytes32 answersCommitment
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint256 projectId) {
        if (bytes(name).length == 0) revert RegistryEmptyName();
        if (answersCommitment == bytes32(0)) revert RegistryZeroCommitment();
        _checkCid(benchmarkCid);
        projectId = ++_projectCount;
        _projects[projectId] = Project({registered: true, task: task, paused: false, answersCommitment: answersCommitment});
        emit ProjectRegistered(projectId, name, task, metric, benchmarkCid, answersCommitment);
    }

    /// @notice Stops new submissions to a project. Only GUARDIAN_ROLE.
    function pauseProject(uint256 projectId) external onlyRole(GUARDIAN_ROLE) {
        Project storage project = _existingProject(projectId);
        if (project.paused) revert RegistryProjectPaused(projectId);
        project.paused = true;
        emit ProjectPaused(projectId, msg.sender);
    }

    /// @notice Lets submissions in again. Only DEFAULT_ADMIN_ROLE (governance decides).
    function unpauseProject(uint256 projectId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Project storage project = _existingProject(projectId);
        if (!project.paused) revert RegistryProjectNotPaused(projectId);
        project.paused = false;
        emit ProjectUnpaused(projectId);
    }

    // ---------------------------------------------------------------- contributors

    /// @inheritdoc IContributionRegistry
    function submit(uint256 projectId, uint8 kind, string calldata cid) external returns (uint256) {
        return _submit(msg.sender, projectId, kind, cid, address(0));
    }

    /// @inheritdoc IContributionRegistry
    /// @dev Anyone may send it (a relayer pays the gas); the contributor signed the submission with
    /// their next nonce. Contracts sign through ERC-1271.
    function submitBySig(
        address contributor,
        uint256 projectId,
        uint8 kind,
        string calldata cid,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        if (block.timestamp > deadline) revert RegistryExpiredSignature(deadline);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(SUBMISSION_TYPEHASH, contributor, projectId, kind, keccak256(bytes(cid)), nonce, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(contributor, digest, signature)) {
            revert RegistryInvalidSignature(contributor);
        }
        _useCheckedNonce(contributor, nonce);
        return _submit(contributor, projectId, kind, cid, msg.sender);
    }

    // ---------------------------------------------------------------- oracle

    /// @inheritdoc IContributionRegistry
    /// @dev Only ORACLE_ROLE. Attestations are final: a contribution is attested once.
    function attestScores(uint256[] calldata contributionIds, uint256[] calldata scores, string calldata reportCid)
        external
        onlyRole(ORACLE_ROLE)
    {
        if (contributionIds.length != scores.length) {
            revert RegistryBatchLengthMismatch(contributionIds.length, scores.length);
        }
        _checkCid(reportCid);
        uint256 count = _contributionCount;
        for (uint256 i = 0; i < contributionIds.length; ++i) {
            uint256 id = contributionIds[i];
            if (id == 0 || id > count) revert RegistryUnknownContribution(id);
            Attestation storage attestation = _attestations[id];
            if (attestation.attested) revert RegistryAlreadyAttested(id);
            uint256 score = scores[i];
            if (score > type(uint248).max) revert RegistryScoreTooLarge(id, score);
            attestation.score = uint248(score);
            attestation.attested = true;
            emit ScoreAttested(id, score, reportCid);
        }
    }

    // ---------------------------------------------------------------- views

    function projectCount() external view returns (uint256) {
        return _projectCount;
    }

    function contributionCount() external view returns (uint256) {
        return _contributionCount;
    }

    function project(uint256 projectId) external view returns (Project memory) {
        return _existingProjectView(projectId);
    }

    function contribution(uint256 contributionId) external view returns (Contribution memory) {
        if (contributionId == 0 || contributionId > _contributionCount) {
            revert RegistryUnknownContribution(contributionId);
        }
        return _contributions[contributionId];
    }

    /// @return attested whether the oracle attested it; score its score if so.
    function attestation(uint256 contributionId) external view returns (bool attested, uint256 score) {
        Attestation memory a = _attestations[contributionId];
        return (a.attested, a.score);
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    function _submit(address contributor, uint256 projectId, uint8 kind, string calldata cid, address relayer)
        private
        returns (uint256 contributionId)
    {
        if (kind > uint8(type(Kind).max)) revert RegistryInvalidKind(kind);
        Project storage project_ = _existingProject(projectId);
        if (project_.paused) revert RegistryProjectPaused(projectId);
        _checkCid(cid);
        contributionId = ++_contributionCount;
        _contributions[contributionId] = Contribution({
            contributor: contributor,
            projectId: uint56(projectId),
            kind: Kind(kind),
            submittedAt: uint32(block.timestamp)
        });
        emit ContributionSubmitted(contributionId, projectId, contributor, Kind(kind), cid, relayer);
    }

    function _existingProject(uint256 projectId) private view returns (Project storage project_) {
        project_ = _projects[projectId];
        if (!project_.registered) revert RegistryUnknownProject(projectId);
    }

    function _existingProjectView(uint256 projectId) private view returns (Project memory) {
        return _existingProject(projectId);
    }

    function _checkCid(string calldata cid) private pure {
        uint256 length = bytes(cid).length;
        if (length == 0 || length > MAX_CID_LENGTH) revert RegistryInvalidCid(length);
    }
}
