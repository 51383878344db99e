"""`StandardMerkleTree`: the Python face of `@openzeppelin/merkle-tree`'s class of that name.

Same constructors (`of`, `load`), same methods in snake_case (`get_proof`, `get_multi_proof`,
`verify`, `verify_multi_proof`, `leaf_hash`, `entries`, `validate`, `render`, `dump`), same
errors, same `standard-v1` dump: a tree built on either side loads on the other and yields the
same root and proofs. Hashes come out as 0x-prefixed lowercase hex strings, as in JS.

One difference by design: values are frozen (deep-copied into tuples) when the tree is built or
loaded, and the tree is never mutated, so a proof read off the tree cannot disagree with its
values. The JS library re-hashes the leaf and re-verifies every proof it hands out to guard
against a mutated tree; here that cannot happen, so `get_proof` is index arithmetic only.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from dao.merkle import core
from dao.merkle.encoding import leaf_encoder
from dao.merkle.errors import InvalidArgumentError, InvariantError, LeafEncodingError

DUMP_FORMAT = "standard-v1"
# Integers beyond this cannot travel through JSON to JavaScript intact (they become doubles),
# so dumps carry them as decimal strings, which the encoder reads back to the same integer.
_JS_MAX_SAFE_INTEGER = 2**53 - 1

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class MultiProof:
    """A multiproof: the leaf values in proof order, the proof nodes (hex) and the flags."""

    leaves: list[Any]
    proof: list[str]
    proof_flags: list[bool] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JS library's shape: `{leaves, proof, proofFlags}`."""
        return {
            "leaves": [_thaw(v) for v in self.leaves],
            "proof": list(self.proof),
            "proofFlags": list(self.proof_flags),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MultiProof:
        try:
            return cls(list(data["leaves"]), list(data["proof"]), list(data["proofFlags"]))
        except (KeyError, TypeError) as error:
            raise InvalidArgumentError(f"Invalid multiproof: expected leaves, proof and proofFlags ({error})") from None


_SCALARS = frozenset({str, int, bool, float, bytes, type(None)})


def _as_index(leaf: Any) -> int | None:
    """A value index from an int (numpy integers too), or None when `leaf` is a value."""
    if isinstance(leaf, (list, tuple, str, bytes, bool, Mapping)):
        return None
    try:
        return operator.index(leaf)
    except TypeError:
        return None


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        frozen = tuple(value)
        scalars = _SCALARS
        for item in frozen:
            if type(item) not in scalars:
                return tuple(_freeze(v) for v in frozen)
        return frozen
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if type(value) not in _SCALARS and hasattr(value, "__index__"):
        return operator.index(value)  # numpy integers and the like become plain ints
    return value


def _thaw(value: Any) -> Any:
    """A frozen value as plain JSON data: lists, dicts, hex for bytes, big ints as strings."""
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if type(value) is int and not -_JS_MAX_SAFE_INTEGER <= value <= _JS_MAX_SAFE_INTEGER:
        return str(value)
    if type(value) is float and value.is_integer() and abs(value) <= _JS_MAX_SAFE_INTEGER:
        return int(value)  # JSON has one number type: 12.0 is written 12, as JSON.stringify does
    return value


class _StaticOrBound(Generic[_T]):
    """A method that is static on the class and bound on an instance, as in the JS class.

    `StandardMerkleTree.verify(root, encoding, leaf, proof)` and `tree.verify(leaf, proof)` are
    both JS API; Python needs one name to dispatch on how it is reached. The instance form is a
    private method registered with `@name.instance`, so no name in the class is defined twice.
    """

    def __init__(self, static: Callable[..., _T]) -> None:
        self._static = static
        self._bound: Callable[..., _T] | None = None
        self.__doc__ = static.__doc__

    def instance(self, bound: _F) -> _F:
        """Registers `bound` as the form reached through an instance; returns it unchanged."""
        self._bound = bound
        return bound

    def __get__(self, obj: object | None, owner: type) -> Callable[..., _T]:
        if obj is None or self._bound is None:
            return self._static
        return self._bound.__get__(obj, owner)


class StandardMerkleTree:
    """A merkle tree over ABI-encoded values, compatible with OpenZeppelin's `MerkleProof`."""

    def __init__(
        self, tree: Sequence[bytes], values: Sequence[Any], tree_indices: Sequence[int], leaf_encoding: Sequence[str]
    ) -> None:
        """Use `of` or `load`; this takes already-checked parts."""
        self._tree = tuple(tree)
        self._values = tuple(values)
        self._tree_indices = tuple(tree_indices)
        self._leaf_encoding = tuple(leaf_encoding)
        self._encode = leaf_encoder(self._leaf_encoding)
        self._tree_hex: list[str] | None = None
        self._hash_lookup: dict[bytes, int] | None = None

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def of(
        cls, values: Sequence[Sequence[Any]], leaf_encoding: Sequence[str], sort_leaves: bool = True
    ) -> StandardMerkleTree:
        """Build the tree over `values` (each a list matching `leaf_encoding`).

        With `sort_leaves` (the default, as in JS) leaves are ordered by hash, which multiproof
        verification on chain needs; value indices stay the positions in `values` either way.
        """
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
            raise InvalidArgumentError("Values must be a list of leaf values")
        encode = leaf_encoder(leaf_encoding)
        new_keccak = core._new_keccak
        frozen = [_freeze(v) for v in values]
        try:
            hashes = [new_keccak(new_keccak(encode(v)).digest()).digest() for v in frozen]
        except LeafEncodingError as error:
            raise LeafEncodingError(f"values[{_first_unencodable(encode, frozen)}]: {error}") from None
        order: Sequence[int] = sorted(range(len(hashes)), key=hashes.__getitem__) if sort_leaves else range(len(hashes))
        tree = core.make_merkle_tree([hashes[i] for i in order])
        tree_indices = [0] * len(frozen)
        last = len(tree) - 1
        for leaf_index, value_index in enumerate(order):
            tree_indices[value_index] = last - leaf_index
        return cls(tree, frozen, tree_indices, list(leaf_encoding))

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> StandardMerkleTree:
        """A tree from a `standard-v1` dump (ours or the JS library's), fully re-validated."""
        if not isinstance(data, Mapping):
            raise InvalidArgumentError("A tree dump must be a JSON object")
        if data.get("format") != DUMP_FORMAT:
            raise InvalidArgumentError(f"Unknown format '{data.get('format')}'")
        if data.get("leafEncoding") is None:
            raise InvalidArgumentError("Expected leaf encoding")
        encoding = data["leafEncoding"]
        if not isinstance(encoding, list) or not all(isinstance(t, str) for t in encoding):
            raise InvalidArgumentError("Expected leafEncoding to be a list of ABI type strings")
        nodes, entries = data.get("tree"), data.get("values")
        if not isinstance(nodes, list) or not nodes:
            raise InvalidArgumentError("Expected a non-empty list of tree nodes under 'tree'")
        if not isinstance(entries, list):
            raise InvalidArgumentError("Expected a list of values under 'values'")
        tree = [core.to_node(node) for node in nodes]
        values, tree_indices = [], []
        for position, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or "value" not in entry or "treeIndex" not in entry:
                raise InvalidArgumentError(f"values[{position}] must be an object with 'value' and 'treeIndex'")
            tree_index = entry["treeIndex"]
            if type(tree_index) is not int:
                raise InvalidArgumentError(f"values[{position}].treeIndex must be an integer")
            core.check_leaf_index(len(tree), tree_index)
            values.append(_freeze(entry["value"]))
            tree_indices.append(tree_index)
        loaded = cls(tree, values, tree_indices, encoding)
        loaded.validate()
        return loaded

    # -- reading -------------------------------------------------------------------------------

    @property
    def root(self) -> str:
        return core.to_hex(self._tree[0])

    @property
    def leaf_encoding(self) -> list[str]:
        return list(self._leaf_encoding)

    @property
    def length(self) -> int:
        return len(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def at(self, index: int) -> Any:
        """The value at this value index, or None when out of range (as JS's `at`)."""
        if -len(self._values) <= index < len(self._values):
            return _thaw(self._values[index])
        return None

    def entries(self) -> Iterator[tuple[int, Any]]:
        """(value index, value) pairs in the order the values were given."""
        for index, value in enumerate(self._values):
            yield index, _thaw(value)

    def leaf_hash(self, value: Sequence[Any]) -> str:
        """The leaf hash of a value: keccak256(keccak256(abi.encode(value)))."""
        return core.to_hex(self._leaf_hash(_freeze(value)))

    def render(self) -> str:
        return core.render_merkle_tree(self._tree)

    def dump(self) -> dict[str, Any]:
        """The `standard-v1` dump, JSON-ready, key for key what the JS library writes."""
        return {
            "format": DUMP_FORMAT,
            "leafEncoding": list(self._leaf_encoding),
            "tree": list(self._hex_nodes()),
            "values": [{"value": _thaw(v), "treeIndex": t} for v, t in zip(self._values, self._tree_indices)],
        }

    def validate(self) -> None:
        """Raise InvariantError unless every value hashes to its leaf and every node to its children."""
        for index in range(len(self._values)):
            self._check_value_at(index)
        if not core.is_valid_merkle_tree(self._tree):
            raise InvariantError("Merkle tree is invalid")

    # -- proofs --------------------------------------------------------------------------------

    def get_proof(self, leaf: int | Sequence[Any]) -> list[str]:
        """The proof (hex nodes, bottom up) for a value index or a value."""
        # Tree indices were checked to be leaves when the tree was built or loaded.
        tree_index = self._tree_indices[self._value_index(leaf)]
        hex_nodes = self._hex_nodes()
        proof = []
        while tree_index > 0:
            proof.append(hex_nodes[tree_index + 1 if tree_index & 1 else tree_index - 1])
            tree_index = (tree_index - 1) >> 1
        return proof

    def get_multi_proof(self, leaves: Sequence[int | Sequence[Any]]) -> MultiProof:
        """One multiproof for several value indices or values."""
        value_indices = [self._value_index(leaf) for leaf in leaves]
        ordered, proof, flags = core.get_multi_proof(self._tree, [self._tree_indices[i] for i in value_indices])
        lookup = self._lookup()
        multiproof = MultiProof(
            leaves=[_thaw(self._values[lookup[self._tree[t]]]) for t in ordered],
            proof=[core.to_hex(node) for node in proof],
            proof_flags=flags,
        )
        if core.process_multi_proof([self._tree[t] for t in ordered], proof, flags) != self._tree[0]:
            raise InvariantError("Unable to prove values")
        return multiproof

    @_StaticOrBound
    @staticmethod
    def verify(root: str | bytes, leaf_encoding: Sequence[str], leaf: Sequence[Any], proof: Sequence[Any]) -> bool:
        """Whether `leaf` with `proof` hashes up to `root` (static: `StandardMerkleTree.verify(...)`).

        On an instance, `tree.verify(leaf_or_index, proof)` checks against the tree's own root.
        """
        leaf_hash = _standard_leaf_hash(leaf_encoding, leaf)
        return core.to_node(root) == core.process_proof(leaf_hash, proof)

    @verify.instance
    def _verify_on_tree(self, leaf: int | Sequence[Any], proof: Sequence[Any]) -> bool:
        return self._tree[0] == core.process_proof(self._leaf_hash_of(leaf), proof)

    @_StaticOrBound
    @staticmethod
    def verify_multi_proof(
        root: str | bytes, leaf_encoding: Sequence[str], multiproof: MultiProof | Mapping[str, Any]
    ) -> bool:
        """Whether a multiproof hashes up to `root` (static form; the instance form takes the proof)."""
        proof = multiproof if isinstance(multiproof, MultiProof) else MultiProof.from_json(multiproof)
        leaf_hashes = [_standard_leaf_hash(leaf_encoding, leaf) for leaf in proof.leaves]
        return core.to_node(root) == core.process_multi_proof(leaf_hashes, proof.proof, proof.proof_flags)

    @verify_multi_proof.instance
    def _verify_multi_proof_on_tree(self, multiproof: MultiProof | Mapping[str, Any]) -> bool:
        proof = multiproof if isinstance(multiproof, MultiProof) else MultiProof.from_json(multiproof)
        leaf_hashes = [self._leaf_hash_of(leaf) for leaf in proof.leaves]
        return self._tree[0] == core.process_multi_proof(leaf_hashes, proof.proof, proof.proof_flags)

    # -- internals -----------------------------------------------------------------------------

    def _leaf_hash(self, frozen_value: Any) -> bytes:
        return core.keccak256(core.keccak256(self._encode(frozen_value)))

    def _leaf_hash_of(self, leaf: int | Sequence[Any]) -> bytes:
        index = _as_index(leaf)
        if index is None:
            return self._leaf_hash(_freeze(leaf))
        return self._tree[self._tree_indices[self._checked_index(index)]]

    def _value_index(self, leaf: int | Sequence[Any]) -> int:
        index = _as_index(leaf)
        if index is not None:
            return self._checked_index(index)
        found = self._lookup().get(self._leaf_hash(_freeze(leaf)))
        if found is None:
            raise InvalidArgumentError("Leaf is not in tree")
        return found

    def _checked_index(self, index: int) -> int:
        if not 0 <= index < len(self._values):
            raise InvalidArgumentError("Index out of bounds")
        return index

    def _lookup(self) -> dict[bytes, int]:
        # Last value wins for duplicates, as in the JS library's Object.fromEntries.
        if self._hash_lookup is None:
            self._hash_lookup = {self._tree[t]: i for i, t in enumerate(self._tree_indices)}
        return self._hash_lookup

    def _hex_nodes(self) -> list[str]:
        if self._tree_hex is None:
            self._tree_hex = ["0x" + node.hex() for node in self._tree]
        return self._tree_hex

    def _check_value_at(self, index: int) -> None:
        try:
            leaf_hash = self._leaf_hash(self._values[index])
        except LeafEncodingError as error:
            raise LeafEncodingError(f"values[{index}]: {error}") from None
        if self._tree[self._tree_indices[index]] != leaf_hash:
            raise InvariantError("Merkle tree does not contain the expected value")


def _first_unencodable(encode: Callable[[Any], bytes], values: Sequence[Any]) -> int:
    """Position of the first value the encoder rejects (only called once one has been rejected)."""
    for position, value in enumerate(values):
        try:
            encode(value)
        except LeafEncodingError:
            return position
    return -1


def _standard_leaf_hash(leaf_encoding: Sequence[str], value: Sequence[Any]) -> bytes:
    return core.keccak256(core.keccak256(leaf_encoder(leaf_encoding)(_freeze(value))))


def standard_leaf_hash(leaf_encoding: Sequence[str], value: Sequence[Any]) -> str:
    """keccak256(keccak256(abi.encode(value))) as hex: the leaf the contract recomputes."""
    return core.to_hex(_standard_leaf_hash(leaf_encoding, value))
