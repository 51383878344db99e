// Reference side of the merkle compatibility tests: runs @openzeppelin/merkle-tree itself.
//
// Usage: node merkle_reference.js REQUEST.json RESPONSE.json
// REQUEST is a list of operations; RESPONSE gets one result per operation, in order. Results are
// written to a file, not stdout, because node cuts large piped stdout when it exits.
//   {op: "build", values, encoding, sortLeaves?, proofs?: [i] | "all", proofsOf?: [value],
//    multiproofs?: [[i | value]], leafHashes?: [value], render?}
//                          -> {root, dump, proofs: {i: proof}, proofsOf, multiproofs, render, leafHashes}
//   {op: "load", dump, proofs?: [i], verify?: [{leaf, proof}], verifyMulti?: [multiproof]}
//                          -> {root, proofs, verified: [bool], verifiedMulti: [bool], entries}
//   {op: "verify", root, encoding, leaf, proof}          -> {ok}
//   {op: "verifyMulti", root, encoding, multiproof}      -> {ok}
// Any operation that throws yields {error: {name, message}} instead.
'use strict';
const fs = require('fs');
const path = require('path');
const { StandardMerkleTree } = require(path.join(__dirname, '..', '..', '..', '..', 'node_modules', '@openzeppelin', 'merkle-tree'));

function proofsFor(tree, indices) {
  const count = tree.length;
  const wanted = indices === 'all' ? [...Array(count).keys()] : indices || [];
  const proofs = {};
  for (const i of wanted) proofs[i] = tree.getProof(i);
  return proofs;
}

function run(request) {
  switch (request.op) {
    case 'build': {
      const tree = StandardMerkleTree.of(request.values, request.encoding, { sortLeaves: request.sortLeaves ?? true });
      return {
        root: tree.root,
        dump: tree.dump(),
        proofs: proofsFor(tree, request.proofs),
        proofsOf: (request.proofsOf || []).map(value => tree.getProof(value)),
        multiproofs: (request.multiproofs || []).map(indices => tree.getMultiProof(indices)),
        render: request.render ? tree.render() : null,
        leafHashes: (request.leafHashes || []).map(value => tree.leafHash(value)),
      };
    }
    case 'load': {
      const tree = StandardMerkleTree.load(request.dump);
      return {
        root: tree.root,
        proofs: proofsFor(tree, request.proofs),
        verified: (request.verify || []).map(({ leaf, proof }) => tree.verify(leaf, proof)),
        verifiedMulti: (request.verifyMulti || []).map(multiproof => tree.verifyMultiProof(multiproof)),
        entries: Array.from(tree.entries()),
      };
    }
    case 'verify':
      return { ok: StandardMerkleTree.verify(request.root, request.encoding, request.leaf, request.proof) };
    case 'verifyMulti':
      return { ok: StandardMerkleTree.verifyMultiProof(request.root, request.encoding, request.multiproof) };
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

const requests = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = requests.map(request => {
  try {
    return run(request);
  } catch (error) {
    return { error: { name: error.name, message: error.message } };
  }
});
fs.writeFileSync(process.argv[3], JSON.stringify(results));
