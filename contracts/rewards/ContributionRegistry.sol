// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IContributionRegistry} from "./IContributionRegistry.sol";

/// @title ContributionRegistry
/// @notice Projects and their epoch clocks registered by governance; contributions committed and
/// revealed by contributors (directly, or by an EIP-712 signature a relayer sends); scores attested
/// and hidden answer slices revealed by the oracle; bonds held until a contribution is settled.
/// @dev Roles: DEFAULT_ADMIN_ROLE (the timelock, also the treasury bonds are forfeited to) registers
/// projects, changes schedules and bonds (from a future epoch), registers slice sets, unpauses, and
/// grants and revokes ORACLE_ROLE and GUARDIAN_ROLE. GUARDIAN_ROLE may only pause a project's commits.
/// A commit stores one word (a seal over its commitment, contributor, project and epoch); a reveal
/// replaces it with one word (the contribution). CIDs and commitments live in events.
contract ContributionRegistry is IContributionRegistry, AccessControl, EIP712, Nonces, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    uint256 public constant MAX_CID_LENGTH = 128;
    uint256 public constant MAX_WINDOW = 365 days;

    bytes32 public constant COMMIT_TYPEHASH =
        keccak256("Commit(address contributor,uint256 projectId,bytes32 commitment,uint256 nonce,uint256 deadline)");
    bytes32 public constant REVEAL_TYPEHASH = keccak256(
        "Reveal(address contributor,uint256 contributionId,uint8 kind,string cid,bytes32 salt,uint256 nonce,uint256 deadline)"
    );

    IERC20 public immutable bondToken;
    address public immutable treasury;

    uint256 private _projectCount;
    uint256 private _contributionCount;
    mapping(uint256 projectId => Project) private _projects;
    /// @dev A project's schedule configurations by position; Project.scheduleCount says how many.
    mapping(uint256 projectId => mapping(uint256 position => ScheduleConfig)) private _schedules;
    mapping(uint256 projectId => mapping(uint256 epoch => uint256 sliceIndexPlusOne)) private _epochSlices;
    mapping(uint256 contributionId => bytes32) private _seals;
    mapping(uint256 contributionId => Contribution) private _contributions;
    mapping(uint256 contributionId => uint256) private _scores;

    /// @param admin the timelock: registers projects, manages roles, and receives forfeited bonds.
    /// @param guardian may pause commits per project (the zero address for none).
    /// @param oracle the first oracle (the zero address for none); later ones are granted by the admin.
    /// @param bondToken_ the token bonds are posted in (the reward token).
    constructor(address admin, address guardian, address oracle, IERC20 bondToken_)
        EIP712("OpenMerit ContributionRegistry", "1")
    {
        bondToken = bondToken_;
        treasury = admin;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (guardian != address(0)) _grantRole(GUARDIAN_ROLE, guardian);
        if (oracle != address(0)) _grantRole(ORACLE_ROLE, oracle);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Registers a project with its epoch clock, bond and hidden slice set. Only DEFAULT_ADMIN_ROLE.
    function registerProject(ProjectParams calldata params)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 projectId)
    {
        if (bytes(params.name).length == 0) revert RegistryEmptyName();
        _checkCid(params.benchmarkCid);
        if (params.start < block.timestamp) {
            revert RegistryInvalidSchedule(params.start, params.commitWindow, params.revealWindow);
        }
        _checkWindows(params.start, params.commitWindow, params.revealWindow);
        _checkSlices(params.slicesRoot, params.sliceCount);
        projectId = ++_projectCount;
        _projects[projectId] = Project({
            registered: true,
            task: params.task,
            paused: false,
            scheduleCount: 1,
            sliceSet: 1,
            sliceCount: params.sliceCount,
            slicesUsed: 0,
            slicesRoot: params.slicesRoot
        });
        _schedules[projectId][0] = ScheduleConfig({
            fromEpoch: 0,
            startTime: params.start,
            commitWindow: params.commitWindow,
            revealWindow: params.revealWindow,
            bond: params.bond
        });
        emit ProjectRegistered(projectId, params.name, params.task, params.metric, params.benchmarkCid);
        emit ScheduleChanged(projectId, 0, params.start, params.commitWindow, params.revealWindow, params.bond);
        emit SlicesRegistered(projectId, 1, params.slicesRoot, params.sliceCount);
    }

    /// @notice Changes a project's windows and bond from the next epoch that has not started (the
    /// current one keeps its clock and bond). Only DEFAULT_ADMIN_ROLE.
    function setSchedule(uint256 projectId, uint32 commitWindow, uint32 revealWindow, uint96 bond)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        Project storage project_ = _existingProject(projectId);
        uint256 lastPosition = project_.scheduleCount - 1;
        ScheduleConfig memory last = _schedules[projectId][lastPosition];
        uint256 fromEpoch = block.timestamp < last.startTime ? last.fromEpoch : _epochAt(projectId, block.timestamp) + 1;
        uint256 startTime = _epochStart(last, fromEpoch);
        _checkWindows(startTime, commitWindow, revealWindow);
        ScheduleConfig memory next = ScheduleConfig({
            fromEpoch: uint32(fromEpoch),
            startTime: uint64(startTime),
            commitWindow: commitWindow,
            revealWindow: revealWindow,
            bond: bond
        });
        // a second change before the first takes effect replaces it
        if (last.fromEpoch == fromEpoch) {
            _schedules[projectId][lastPosition] = next;
        } else {
            _schedules[projectId][lastPosition + 1] = next;
            project_.scheduleCount = uint32(lastPosition + 2);
        }
        emit ScheduleChanged(projectId, fromEpoch, startTime, commitWindow, revealWindow, bond);
    }

    /// @notice Replaces the project's hidden slice set (rotation before the slices run out); the
    /// unused slices of the old set are never used. Only DEFAULT_ADMIN_ROLE.
    function registerSlices(uint256 projectId, bytes32 slicesRoot, uint32 sliceCount)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        Project storage project_ = _existingProject(projectId);
        _checkSlices(slicesRoot, sliceCount);
        project_.sliceSet += 1;
        project_.sliceCount = sliceCount;
        project_.slicesUsed = 0;
        project_.slicesRoot = slicesRoot;
        emit SlicesRegistered(projectId, project_.sliceSet, slicesRoot, sliceCount);
    }

    /// @notice Stops new commits to a project. Only GUARDIAN_ROLE.
    function pauseProject(uint256 projectId) external onlyRole(GUARDIAN_ROLE) {
        Project storage project_ = _existingProject(projectId);
        if (project_.paused) revert RegistryProjectPaused(projectId);
        project_.paused = true;
        emit ProjectPaused(projectId, msg.sender);
    }

    /// @notice Lets commits in again. Only DEFAULT_ADMIN_ROLE (governance decides).
    function unpauseProject(uint256 projectId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Project storage project_ = _existingProject(projectId);
        if (!project_.paused) revert RegistryProjectNotPaused(projectId);
        project_.paused = false;
        emit ProjectUnpaused(projectId);
    }

    // ---------------------------------------------------------------- contributors

    /// @inheritdoc IContributionRegistry
    function commit(uint256 projectId, bytes32 commitment) external returns (uint256) {
        return _commit(msg.sender, projectId, commitment, address(0));
    }

    /// @inheritdoc IContributionRegistry
    /// @dev Anyone may send it (a relayer pays the gas); the contributor signed the commit with their
    /// next nonce. Contracts sign through ERC-1271.
    function commitBySig(
        address contributor,
        uint256 projectId,
        bytes32 commitment,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        _checkSignature(
            contributor,
            keccak256(abi.encode(COMMIT_TYPEHASH, contributor, projectId, commitment, nonce, deadline)),
            deadline,
            signature
        );
        _useCheckedNonce(contributor, nonce);
        return _commit(contributor, projectId, commitment, msg.sender);
    }

    /// @inheritdoc IContributionRegistry
    function reveal(
        uint256 contributionId,
        uint256 projectId,
        uint256 epoch,
        uint8 kind,
        string calldata cid,
        bytes32 salt
    ) external {
        _reveal(msg.sender, contributionId, projectId, epoch, kind, cid, salt, address(0));
    }

    /// @inheritdoc IContributionRegistry
    function revealBySig(
        address contributor,
        uint256 contributionId,
        uint256 projectId,
        uint256 epoch,
        uint8 kind,
        string calldata cid,
        bytes32 salt,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _checkSignature(
            contributor,
            keccak256(
                abi.encode(REVEAL_TYPEHASH, contributor, contributionId, kind, keccak256(bytes(cid)), salt, nonce, deadline)
            ),
            deadline,
            signature
        );
        _useCheckedNonce(contributor, nonce);
        _reveal(contributor, contributionId, projectId, epoch, kind, cid, salt, msg.sender);
    }

    /// @inheritdoc IContributionRegistry
    /// @dev Anyone may send it: each commit is named by its commit event and checked against its seal.
    function forfeitUnrevealed(Unrevealed[] calldata commits) external nonReentrant {
        uint256 forfeited = 0;
        for (uint256 i = 0; i < commits.length; ++i) {
            Unrevealed calldata c = commits[i];
            if (_seals[c.contributionId] != _seal(c.commitment, c.contributor, c.projectId, c.epoch)) {
                revert RegistryNotCommitted(c.contributionId);
            }
            uint256 end = _epochEnd(c.projectId, c.epoch);
            if (block.timestamp < end) revert RegistryRevealWindowOpen(c.contributionId, end);
            delete _seals[c.contributionId];
            _contributions[c.contributionId] = Contribution({
                contributor: c.contributor,
                projectId: uint32(c.projectId),
                epoch: uint32(c.epoch),
                kind: Kind.MODEL_PREDICTIONS,
                status: Status.FORFEITED
            });
            uint256 bond = _configFor(c.projectId, c.epoch).bond;
            forfeited += bond;
            emit BondForfeited(c.contributionId, c.contributor, bond);
        }
        if (forfeited > 0) bondToken.safeTransfer(treasury, forfeited);
    }

    // ---------------------------------------------------------------- oracle

    /// @inheritdoc IContributionRegistry
    /// @dev Only ORACLE_ROLE. Attestations are final: a contribution is attested once.
    function attestScores(
        uint256[] calldata contributionIds,
        uint256[] calldata scores,
        bool[] calldata valid,
        string calldata reportCid
    ) external onlyRole(ORACLE_ROLE) nonReentrant {
        if (contributionIds.length != scores.length || contributionIds.length != valid.length) {
            revert RegistryBatchLengthMismatch(contributionIds.length, scores.length, valid.length);
        }
        _checkCid(reportCid);
        uint256 forfeited = 0;
        for (uint256 i = 0; i < contributionIds.length; ++i) {
            uint256 id = contributionIds[i];
            Contribution storage c = _contributions[id];
            if (c.status != Status.REVEALED) revert RegistryNotRevealed(id);
            uint256 score = scores[i];
            if (score > type(uint248).max) revert RegistryScoreTooLarge(id, score);
            c.status = valid[i] ? Status.ACCEPTED : Status.REJECTED;
            _scores[id] = score;
            emit ScoreAttested(id, score, valid[i], reportCid);
            uint256 bond = _configFor(c.projectId, c.epoch).bond;
            if (bond == 0) continue;
            if (valid[i]) {
                emit BondReturned(id, c.contributor, bond);
                bondToken.safeTransfer(c.contributor, bond);
            } else {
                forfeited += bond;
                emit BondForfeited(id, c.contributor, bond);
            }
        }
        if (forfeited > 0) bondToken.safeTransfer(treasury, forfeited);
    }

    /// @inheritdoc IContributionRegistry
    /// @dev Only ORACLE_ROLE, once the epoch closed: the slice is the next unused one of the current
    /// set, its leaf is keccak256(keccak256(abi.encode(index, keccak256(abi.encode(contentHash,
    /// salt))))), and contentHash is keccak256 of the slice's bytes, published at `cid`.
    function revealSlice(
        uint256 projectId,
        uint256 epoch,
        bytes32 contentHash,
        bytes32 salt,
        string calldata cid,
        bytes32[] calldata proof
    ) external onlyRole(ORACLE_ROLE) {
        Project storage project_ = _existingProject(projectId);
        uint256 end = _epochEnd(projectId, epoch);
        if (block.timestamp < end) revert RegistryEpochNotClosed(projectId, epoch, end);
        if (_epochSlices[projectId][epoch] != 0) revert RegistrySliceAlreadyRevealed(projectId, epoch);
        uint256 index = project_.slicesUsed;
        if (index >= project_.sliceCount) revert RegistryNoSlicesLeft(projectId);
        _checkCid(cid);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(index, keccak256(abi.encode(contentHash, salt))))));
        if (!MerkleProof.verifyCalldata(proof, project_.slicesRoot, leaf)) {
            revert RegistryInvalidSliceProof(projectId, index);
        }
        project_.slicesUsed = uint32(index + 1);
        _epochSlices[projectId][epoch] = (uint256(project_.sliceSet) << 32) | (index + 1);
        emit SliceRevealed(projectId, epoch, project_.sliceSet, index, contentHash, salt, cid);
    }

    // ---------------------------------------------------------------- views

    function projectCount() external view returns (uint256) {
        return _projectCount;
    }

    function contributionCount() external view returns (uint256) {
        return _contributionCount;
    }

    function project(uint256 projectId) external view returns (Project memory) {
        return _existingProject(projectId);
    }

    /// @notice The project's schedule configurations, oldest first.
    function schedules(uint256 projectId) external view returns (ScheduleConfig[] memory configs) {
        Project storage project_ = _existingProject(projectId);
        configs = new ScheduleConfig[](project_.scheduleCount);
        for (uint256 i = 0; i < configs.length; ++i) {
            configs[i] = _schedules[projectId][i];
        }
    }

    /// @notice A revealed (or settled) contribution; one only committed reads as status COMMITTED.
    function contribution(uint256 contributionId) external view returns (Contribution memory c) {
        if (contributionId == 0 || contributionId > _contributionCount) {
            revert RegistryUnknownContribution(contributionId);
        }
        c = _contributions[contributionId];
        if (c.status == Status.NONE) c.status = Status.COMMITTED;
    }

    /// @return attested whether the oracle attested it; score its score if so; valid its verdict.
    function attestation(uint256 contributionId) external view returns (bool attested, uint256 score, bool valid) {
        Status status = _contributions[contributionId].status;
        return (status == Status.ACCEPTED || status == Status.REJECTED, _scores[contributionId], status == Status.ACCEPTED);
    }

    /// @notice The epoch the project's clock shows at `timestamp` and where that epoch is at that time.
    function epochAt(uint256 projectId, uint256 timestamp) external view returns (uint256 epoch, Phase phase) {
        _existingProject(projectId);
        if (timestamp < _schedules[projectId][0].startTime) return (0, Phase.NOT_STARTED);
        epoch = _epochAt(projectId, timestamp);
        ScheduleConfig memory config = _configFor(projectId, epoch);
        uint256 revealStart = _epochStart(config, epoch) + config.commitWindow;
        phase = timestamp < revealStart ? Phase.COMMIT : Phase.REVEAL;
    }

    /// @notice The epoch's windows: commits in [commitStart, revealStart), reveals in [revealStart, end).
    function epochWindows(uint256 projectId, uint256 epoch)
        external
        view
        returns (uint256 commitStart, uint256 revealStart, uint256 end)
    {
        _existingProject(projectId);
        ScheduleConfig memory config = _configFor(projectId, epoch);
        commitStart = _epochStart(config, epoch);
        revealStart = commitStart + config.commitWindow;
        end = revealStart + config.revealWindow;
    }

    /// @inheritdoc IContributionRegistry
    function epochEnd(uint256 projectId, uint256 epoch) external view returns (uint256) {
        _existingProject(projectId);
        return _epochEnd(projectId, epoch);
    }

    /// @notice The bond a commit in `epoch` posts.
    function bondFor(uint256 projectId, uint256 epoch) external view returns (uint256) {
        _existingProject(projectId);
        return _configFor(projectId, epoch).bond;
    }

    /// @notice How many slices of the current set are left for future epochs.
    function slicesLeft(uint256 projectId) external view returns (uint256) {
        Project storage project_ = _existingProject(projectId);
        return project_.sliceCount - project_.slicesUsed;
    }

    /// @return revealed whether the epoch's slice was revealed; sliceSet and sliceIndex which one.
    function epochSlice(uint256 projectId, uint256 epoch)
        external
        view
        returns (bool revealed, uint256 sliceSet, uint256 sliceIndex)
    {
        uint256 packed = _epochSlices[projectId][epoch];
        if (packed == 0) return (false, 0, 0);
        return (true, packed >> 32, (packed & type(uint32).max) - 1);
    }

    /// @notice The commitment a contributor commits to: it binds content, contributor, project,
    /// epoch and a secret salt (dao.commitments computes the same).
    function computeCommitment(
        address contributor,
        uint256 projectId,
        uint256 epoch,
        uint8 kind,
        string calldata cid,
        bytes32 salt
    ) external pure returns (bytes32) {
        return _commitment(contributor, projectId, epoch, kind, cid, salt);
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    function _commit(address contributor, uint256 projectId, bytes32 commitment, address relayer)
        private
        returns (uint256 contributionId)
    {
        if (commitment == bytes32(0)) revert RegistryZeroCommitment();
        Project storage project_ = _existingProject(projectId);
        if (project_.paused) revert RegistryProjectPaused(projectId);
        uint256 position = project_.scheduleCount - 1;
        ScheduleConfig memory config = _schedules[projectId][position];
        if (block.timestamp < config.startTime) {
            // before the newest config takes effect: the one before it governs now
            if (position == 0) revert RegistryNotStarted(projectId, config.startTime);
            config = _schedules[projectId][position - 1];
        }
        uint256 length = uint256(config.commitWindow) + config.revealWindow;
        uint256 epoch = config.fromEpoch + (block.timestamp - config.startTime) / length;
        uint256 commitEnd = _epochStart(config, epoch) + config.commitWindow;
        if (block.timestamp >= commitEnd) revert RegistryNotInCommitWindow(projectId, epoch, commitEnd);
        contributionId = ++_contributionCount;
        _seals[contributionId] = _seal(commitment, contributor, projectId, epoch);
        emit Committed(contributionId, projectId, contributor, epoch, commitment, config.bond, relayer);
        if (config.bond > 0) bondToken.safeTransferFrom(contributor, address(this), config.bond);
    }

    function _reveal(
        address contributor,
        uint256 contributionId,
        uint256 projectId,
        uint256 epoch,
        uint8 kind,
        string calldata cid,
        bytes32 salt,
        address relayer
    ) private {
        if (kind > uint8(type(Kind).max)) revert RegistryInvalidKind(kind);
        if (contributionId == 0 || contributionId > _contributionCount) {
            revert RegistryUnknownContribution(contributionId);
        }
        bytes32 seal = _seals[contributionId];
        if (seal == bytes32(0)) revert RegistryNotCommitted(contributionId);
        bytes32 commitment = _commitment(contributor, projectId, epoch, kind, cid, salt);
        if (seal != _seal(commitment, contributor, projectId, epoch)) {
            revert RegistryRevealMismatch(contributionId, contributor);
        }
        ScheduleConfig memory config = _configFor(projectId, epoch);
        uint256 revealStart = _epochStart(config, epoch) + config.commitWindow;
        uint256 revealEnd = revealStart + config.revealWindow;
        if (block.timestamp < revealStart || block.timestamp >= revealEnd) {
            revert RegistryNotInRevealWindow(contributionId, revealStart, revealEnd);
        }
        _checkCid(cid);
        delete _seals[contributionId];
        _contributions[contributionId] = Contribution({
            contributor: contributor,
            projectId: uint32(projectId),
            epoch: uint32(epoch),
            kind: Kind(kind),
            status: Status.REVEALED
        });
        emit Revealed(contributionId, projectId, contributor, epoch, Kind(kind), cid, relayer);
    }

    function _commitment(
        address contributor,
        uint256 projectId,
        uint256 epoch,
        uint8 kind,
        string calldata cid,
        bytes32 salt
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(contributor, projectId, epoch, kind, keccak256(bytes(cid)), salt));
    }

    /// @dev What a commit stores: its commitment bound to who committed, where and when.
    function _seal(bytes32 commitment, address contributor, uint256 projectId, uint256 epoch)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(commitment, contributor, projectId, epoch));
    }

    function _checkSignature(address contributor, bytes32 structHash, uint256 deadline, bytes calldata signature)
        private
        view
    {
        if (block.timestamp > deadline) revert RegistryExpiredSignature(deadline);
        if (!SignatureChecker.isValidSignatureNow(contributor, _hashTypedDataV4(structHash), signature)) {
            revert RegistryInvalidSignature(contributor);
        }
    }

    /// @dev The newest configuration that governs `epoch` (the first one governs from epoch 0).
    function _configFor(uint256 projectId, uint256 epoch) private view returns (ScheduleConfig memory config) {
        uint256 i = _projects[projectId].scheduleCount;
        do {
            config = _schedules[projectId][--i];
        } while (config.fromEpoch > epoch && i > 0);
    }

    function _epochAt(uint256 projectId, uint256 timestamp) private view returns (uint256) {
        uint256 i = _projects[projectId].scheduleCount;
        ScheduleConfig memory config;
        do {
            config = _schedules[projectId][--i];
        } while (config.startTime > timestamp && i > 0);
        if (timestamp < config.startTime) revert RegistryNotStarted(projectId, config.startTime);
        return config.fromEpoch + (timestamp - config.startTime) / (uint256(config.commitWindow) + config.revealWindow);
    }

    function _epochStart(ScheduleConfig memory config, uint256 epoch) private pure returns (uint256) {
        return config.startTime + (epoch - config.fromEpoch) * (uint256(config.commitWindow) + config.revealWindow);
    }

    function _epochEnd(uint256 projectId, uint256 epoch) private view returns (uint256) {
        ScheduleConfig memory config = _configFor(projectId, epoch);
        return _epochStart(config, epoch) + config.commitWindow + config.revealWindow;
    }

    function _existingProject(uint256 projectId) private view returns (Project storage project_) {
        project_ = _projects[projectId];
        if (!project_.registered) revert RegistryUnknownProject(projectId);
    }

    function _checkWindows(uint256 start, uint256 commitWindow, uint256 revealWindow) private pure {
        if (commitWindow == 0 || revealWindow == 0 || commitWindow > MAX_WINDOW || revealWindow > MAX_WINDOW) {
            revert RegistryInvalidSchedule(start, commitWindow, revealWindow);
        }
    }

    function _checkSlices(bytes32 slicesRoot, uint256 sliceCount) private pure {
        if (slicesRoot == bytes32(0) || sliceCount == 0) revert RegistryInvalidSlices(slicesRoot, sliceCount);
    }

    function _checkCid(string calldata cid) private pure {
        uint256 length = bytes(cid).length;
        if (length == 0 || length > MAX_CID_LENGTH) revert RegistryInvalidCid(length);
    }
}
