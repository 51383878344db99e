// Independent signer of the EIP-712 tests: @metamask/eth-sig-util (what wallets run) signs the
// typed data dao.eip712 builds, as eth_signTypedData_v4 does.
//
// Usage: node sign_typed_data.js REQUEST.json RESPONSE.json
// REQUEST is a list of {privateKey: 0x-hex, typedData}; RESPONSE gets one {signature, hash} each,
// in order ({error: {name, message}} for a request that throws). bytes values are 0x-hex strings.
'use strict';
const fs = require('fs');
const path = require('path');
const sigUtil = require(path.join(__dirname, '..', '..', '..', '..', 'node_modules', '@metamask', 'eth-sig-util'));

function sign({ privateKey, typedData }) {
  const key = Buffer.from(privateKey.replace(/^0x/, ''), 'hex');
  const signature = sigUtil.signTypedData({ privateKey: key, data: typedData, version: sigUtil.SignTypedDataVersion.V4 });
  const hash = '0x' + Buffer.from(sigUtil.TypedDataUtils.eip712Hash(typedData, sigUtil.SignTypedDataVersion.V4)).toString('hex');
  return { signature, hash };
}

const [requestPath, responsePath] = process.argv.slice(2);
const requests = JSON.parse(fs.readFileSync(requestPath, 'utf8'));
const results = requests.map((request) => {
  try {
    return sign(request);
  } catch (error) {
    return { error: { name: error.name, message: error.message } };
  }
});
fs.writeFileSync(responsePath, JSON.stringify(results));
