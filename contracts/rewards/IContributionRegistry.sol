// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IContributionRegistry
/// @notice Where contributors commit and reveal work for OpenMerit projects, on each project's own
/// epoch clock, and where the oracle attests scores and reveals each epoch's hidden answer slice.
/// Events carry everything an indexer needs, so no extra calls are required to follow it.
///
/// An epoch of a project is a commit window followed by a reveal window. In the commit window a
/// contributor commits `commitment(contributor, projectId, epoch, kind, cid, salt)` (posting the
/// project's bond): nothing about the content is public. In the reveal window the contributor reveals
/// kind, CID and salt; only then is the artifact published. A commit never revealed earns nothing and
/// its bond goes to the treasury; a revealed one's bond returns when the oracle attests it valid.
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

    /// @dev Where an epoch is on its project's clock.
    enum Phase {
        NOT_STARTED,
        COMMIT,
        REVEAL,
        CLOSED
    }

    /// @dev Where a contribution is: committed, revealed, attested valid or invalid, or forfeited
    /// (never revealed).
    enum Status {
        NONE,
        COMMITTED,
        REVEALED,
        ACCEPTED,
        REJECTED,
        FORFEITED
    }

    /// @dev A project's clock and bond from epoch `fromEpoch` on: epoch e >= fromEpoch starts at
    /// startTime + (e - fromEpoch) * (commitWindow + revealWindow). One storage word.
    struct ScheduleConfig {
        uint32 fromEpoch;
        uint64 startTime;
        uint32 commitWindow;
        uint32 revealWindow;
        uint96 bond;
    }

    /// @dev What governance registers. `start` is the first epoch's start (unix seconds, not in the
    /// past); the hidden answer slices are a StandardMerkleTree root over (uint256 index, bytes32
    /// sliceCommitment) leaves, sliceCount of them, one consumed per scored epoch.
    struct ProjectParams {
        string name;
        Task task;
        string metric;
        string benchmarkCid;
        uint64 start;
        uint32 commitWindow;
        uint32 revealWindow;
        uint96 bond;
        bytes32 slicesRoot;
        uint32 sliceCount;
    }

    /// @dev registered, task, paused, how many schedule configurations there are and the current
    /// slice set share a word: a commit reads only that word and the newest configuration.
    struct Project {
        bool registered;
        Task task;
        bool paused;
        uint32 scheduleCount;
        uint32 sliceSet;
        uint32 sliceCount;
        uint32 slicesUsed;
        bytes32 slicesRoot;
    }

    /// @dev A revealed contribution, one storage word.
    struct Contribution {
        address contributor;
        uint32 projectId;
        uint32 epoch;
        Kind kind;
        Status status;
    }

    /// @dev A commit that was never revealed, named by what its commit event published.
    struct Unrevealed {
        uint256 contributionId;
        address contributor;
        uint256 projectId;
        uint256 epoch;
        bytes32 commitment;
    }

    event ProjectRegistered(
        uint256 indexed projectId, string name, Task task, string metric, string benchmarkCid
    );
    event ScheduleChanged(
        uint256 indexed projectId,
        uint256 fromEpoch,
        uint256 startTime,
        uint256 commitWindow,
        uint256 revealWindow,
        uint256 bond
    );
    event SlicesRegistered(uint256 indexed projectId, uint256 indexed sliceSet, bytes32 slicesRoot, uint256 sliceCount);
    event SliceRevealed(
        uint256 indexed projectId,
        uint256 indexed epoch,
        uint256 sliceSet,
        uint256 sliceIndex,
        bytes32 contentHash,
        bytes32 salt,
        string cid
    );
    event ProjectPaused(uint256 indexed projectId, address indexed guardian);
    event ProjectUnpaused(uint256 indexed projectId);
    event Committed(
        uint256 indexed contributionId,
        uint256 indexed projectId,
        address indexed contributor,
        uint256 epoch,
        bytes32 commitment,
        uint256 bond,
        address relayer
    );
    event Revealed(
        uint256 indexed contributionId,
        uint256 indexed projectId,
        address indexed contributor,
        uint256 epoch,
        Kind kind,
        string cid,
        address relayer
    );
    event ScoreAttested(uint256 indexed contributionId, uint256 score, bool valid, string reportCid);
    event BondReturned(uint256 indexed contributionId, address indexed contributor, uint256 amount);
    event BondForfeited(uint256 indexed contributionId, address indexed contributor, uint256 amount);

    /// @dev The project id is not a registered project.
    error RegistryUnknownProject(uint256 projectId);
    /// @dev The project's commits are paused by the guardian.
    error RegistryProjectPaused(uint256 projectId);
    /// @dev The project is not paused, so there is nothing to unpause.
    error RegistryProjectNotPaused(uint256 projectId);
    /// @dev The CID is empty or longer than MAX_CID_LENGTH bytes.
    error RegistryInvalidCid(uint256 length);
    /// @dev The project name is empty.
    error RegistryEmptyName();
    /// @dev A window is zero or longer than MAX_WINDOW, or the start is in the past.
    error RegistryInvalidSchedule(uint256 start, uint256 commitWindow, uint256 revealWindow);
    /// @dev The slice set is empty (zero root or no slices).
    error RegistryInvalidSlices(bytes32 slicesRoot, uint256 sliceCount);
    /// @dev The time is before the project's first epoch.
    error RegistryNotStarted(uint256 projectId, uint256 start);
    /// @dev Commits are taken only in the commit window of the current epoch.
    error RegistryNotInCommitWindow(uint256 projectId, uint256 epoch, uint256 commitEnd);
    /// @dev Reveals are taken only in the reveal window of the commit's epoch.
    error RegistryNotInRevealWindow(uint256 contributionId, uint256 revealStart, uint256 revealEnd);
    /// @dev The commitment is zero.
    error RegistryZeroCommitment();
    /// @dev The contribution id was never assigned.
    error RegistryUnknownContribution(uint256 contributionId);
    /// @dev The kind, CID, salt, project, epoch or revealer do not match what was committed: a
    /// commit binds its contributor, so nobody else can reveal it.
    error RegistryRevealMismatch(uint256 contributionId, address revealer);
    /// @dev The commit was revealed or forfeited before.
    error RegistryNotCommitted(uint256 contributionId);
    /// @dev The commit's reveal window is still open, so it cannot be forfeited yet.
    error RegistryRevealWindowOpen(uint256 contributionId, uint256 revealEnd);
    /// @dev Only a revealed, unattested contribution can be attested.
    error RegistryNotRevealed(uint256 contributionId);
    /// @dev The arrays of an attestation batch differ in length.
    error RegistryBatchLengthMismatch(uint256 ids, uint256 scores, uint256 verdicts);
    /// @dev The signature's deadline has passed.
    error RegistryExpiredSignature(uint256 deadline);
    /// @dev The signature is not the contributor's over this commit or reveal on this registry and chain.
    error RegistryInvalidSignature(address contributor);
    /// @dev The kind is not one of Kind's values.
    error RegistryInvalidKind(uint8 kind);
    /// @dev The score does not fit the 248 bits an attestation stores.
    error RegistryScoreTooLarge(uint256 contributionId, uint256 score);
    /// @dev The epoch's reveal window has not closed yet.
    error RegistryEpochNotClosed(uint256 projectId, uint256 epoch, uint256 end);
    /// @dev The epoch's hidden slice was revealed before.
    error RegistrySliceAlreadyRevealed(uint256 projectId, uint256 epoch);
    /// @dev Every slice of the project's current set was used; governance must register a new set.
    error RegistryNoSlicesLeft(uint256 projectId);
    /// @dev The slice does not belong to the project's committed set at this index.
    error RegistryInvalidSliceProof(uint256 projectId, uint256 sliceIndex);

    /// @notice Commits to a contribution in the current epoch's commit window, posting the bond.
    function commit(uint256 projectId, bytes32 commitment) external returns (uint256 contributionId);

    /// @notice The same, signed by the contributor (EIP-712 Commit) and sent by anyone; the bond is
    /// taken from the contributor.
    function commitBySig(
        address contributor,
        uint256 projectId,
        bytes32 commitment,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 contributionId);

    /// @notice Reveals a commit in its epoch's reveal window. `kind` is taken as its uint8 so that a
    /// value outside Kind reverts with RegistryInvalidKind.
    function reveal(
        uint256 contributionId,
        uint256 projectId,
        uint256 epoch,
        uint8 kind,
        string calldata cid,
        bytes32 salt
    ) external;

    /// @notice The same, signed by the contributor (EIP-712 Reveal) and sent by anyone.
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
    ) external;

    /// @notice Sends the bonds of commits never revealed to the treasury, once their reveal window closed.
    function forfeitUnrevealed(Unrevealed[] calldata commits) external;

    /// @notice Attests scores of revealed contributions; a valid one's bond returns to its contributor,
    /// an invalid one's (malformed, a copy) goes to the treasury.
    function attestScores(
        uint256[] calldata contributionIds,
        uint256[] calldata scores,
        bool[] calldata valid,
        string calldata reportCid
    ) external;

    /// @notice Reveals the hidden answer slice an epoch was scored on, checked against the committed set.
    function revealSlice(
        uint256 projectId,
        uint256 epoch,
        bytes32 contentHash,
        bytes32 salt,
        string calldata cid,
        bytes32[] calldata proof
    ) external;

    /// @notice When epoch `epoch` of the project ends (its reveal window closes).
    function epochEnd(uint256 projectId, uint256 epoch) external view returns (uint256);
}
