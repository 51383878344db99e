// Reference CIDs for the artifact store's tests and benchmark: the JS ipfs-unixfs-importer,
// configured as Kubo's `ipfs add --cid-version=1` defaults (256 KiB chunks, raw leaves,
// balanced DAG of at most 174 links per node).
//
// usage: node cid.mjs [--blockstore memory|black-hole] FILE...
// prints one JSON line per file: {"path": ..., "cid": ..., "seconds": ...}
import { createReadStream } from 'node:fs'
import { importer } from 'ipfs-unixfs-importer'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'

const args = process.argv.slice(2)
let blockstoreKind = 'memory'
const files = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--blockstore') {
    blockstoreKind = args[++i]
  } else {
    files.push(args[i])
  }
}
if (files.length === 0 || !['memory', 'black-hole'].includes(blockstoreKind)) {
  process.stderr.write('usage: node cid.mjs [--blockstore memory|black-hole] FILE...\n')
  process.exit(2)
}

const options = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: 262144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
  wrapWithDirectory: false
}

for (const path of files) {
  // A fresh blockstore per file, so one file's blocks never help another's import.
  const blockstore = blockstoreKind === 'memory' ? new MemoryBlockstore() : new BlackHoleBlockstore()
  const started = process.hrtime.bigint()
  let root
  for await (const entry of importer([{ content: createReadStream(path, { highWaterMark: 1 << 20 }) }], blockstore, options)) {
    root = entry
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  process.stdout.write(JSON.stringify({ path, cid: root.cid.toString(), size: Number(root.size), seconds }) + '\n')
}
