// Reference outputs of the end-to-end models from onnxruntime-node, an executor independent of ours.
//
// For each model below: read tests/data/e2e/<model>/input_0.npy, run onnxruntime-node (CPU, one
// intra-op thread), write every output to tests/data/e2e/<model>/ref_<output name>.npy (characters
// outside [A-Za-z0-9_.-] in the name replaced by '_', as hb_onnx_run does), and record the tool
// versions in tests/data/e2e/VERSIONS.txt. CI never runs this; the outputs are committed.
//
// usage (from the repository root):
//   npm install --prefix tests/e2e --no-save --ignore-scripts onnxruntime-node@1.30.0
//   node tests/e2e/ort_reference.js
// onnxruntime-node is looked up in $ORT_NODE_DIR, tests/e2e/node_modules, tests/bench/node_modules,
// then the usual Node search path.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = path.join(ROOT, 'tests', 'data', 'e2e');
const MODELS = path.join(ROOT, 'tests', 'data', 'models', 'onnx');

// model directory name under tests/data/e2e -> model file
const CASES = [
  ['mobilenet_v1_0.75_192', 'mobilenet_v1_0.75_192.onnx'],
  ['yunet_n_320_320', 'yunet_n_320_320.onnx'],
  ['fastestdet', 'fastestdet.onnx'],
  ['super_resolution', path.join('super_resolution', 'super_resolution.onnx')],
];
const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
  logSeverityLevel: 3,
};

function findOrt() {
  const dirs = [process.env.ORT_NODE_DIR, path.join(__dirname, 'node_modules'),
                path.join(ROOT, 'tests', 'bench', 'node_modules')].filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, 'onnxruntime-node');
    if (fs.existsSync(path.join(p, 'package.json'))) return p;
  }
  try {
    return path.dirname(require.resolve('onnxruntime-node/package.json'));
  } catch (e) {
    throw new Error('onnxruntime-node not found: npm install --prefix tests/e2e --no-save ' +
                    '--ignore-scripts onnxruntime-node@1.30.0');
  }
}

// ---- .npy: little-endian, C order; the dtypes ONNX models here use --------------------------
const NPY_TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '|i1': ['int8', Int8Array],       '|u1': ['uint8', Uint8Array],
  '<i4': ['int32', Int32Array],     '<i8': ['int64', BigInt64Array],
  '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const fail = (why) => { throw new Error(`${file}: ${why}`); };
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail('not a .npy file');
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) { hlen = buf.readUInt16LE(8); hstart = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); hstart = 12; }
  else fail(`unsupported .npy version ${major}`);
  if (hstart + hlen > buf.length) fail('truncated header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) fail(`cannot parse header ${header}`);
  if (fortran[1] !== 'False') fail('Fortran order is not supported');
  const type = NPY_TYPES[descr[1]];
  if (!type) fail(`unsupported dtype ${descr[1]}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  const bytes = count * type[1].BYTES_PER_ELEMENT;
  if (buf.length - off !== bytes) fail(`data is ${buf.length - off} bytes, shape needs ${bytes}`);
  const data = new type[1](count);
  new Uint8Array(data.buffer).set(buf.subarray(off, off + bytes));
  return { type: type[0], dims, data: type[0] === 'bool' ? Uint8Array.from(data) : data };
}

function writeNpy(file, type, dims, data) {
  const descr = Object.keys(NPY_TYPES).find((k) => NPY_TYPES[k][0] === type);
  if (!descr) throw new Error(`${file}: cannot write dtype ${type}`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

const sanitise = (name) => name.replace(/[^A-Za-z0-9_.-]/g, '_');

async function main() {
  const ortDir = findOrt();
  const ort = require(ortDir);
  const ortVersion = JSON.parse(fs.readFileSync(path.join(ortDir, 'package.json'), 'utf8')).version;
  for (const [name, file] of CASES) {
    const sess = await ort.InferenceSession.create(path.join(MODELS, file), SESSION_OPTIONS);
    if (sess.inputNames.length !== 1) throw new Error(`${file}: expected one input`);
    const input = readNpy(path.join(DATA, name, 'input_0.npy'));
    const feeds = { [sess.inputNames[0]]: new ort.Tensor(input.type, input.data, input.dims) };
    const out = await sess.run(feeds);
    for (const oname of sess.outputNames) {
      const t = out[oname];
      const dest = path.join(DATA, name, `ref_${sanitise(oname)}.npy`);
      writeNpy(dest, t.type, t.dims, t.data);
      let sum = 0;
      for (let i = 0; i < t.data.length; i++) sum += Number(t.data[i]);
      console.log(`${name}: ${oname} ${t.type} [${t.dims.join('x')}] sum ${sum.toPrecision(8)} -> ` +
                  path.relative(ROOT, dest));
    }
    // Round trip: what we wrote reads back identically.
    const back = readNpy(path.join(DATA, name, `ref_${sanitise(sess.outputNames[0])}.npy`));
    const first = out[sess.outputNames[0]].data;
    for (let i = 0; i < first.length; i++)
      if (!Object.is(back.data[i], first[i])) throw new Error(`npy round trip differs at ${i}`);
  }
  const versions = [
    'Reference outputs ref_*.npy under tests/data/e2e were written by tests/e2e/ort_reference.js with:',
    `node ${process.version}`,
    `onnxruntime-node ${ortVersion} (CPU execution provider, intraOpNumThreads 1, graphOptimizationLevel all)`,
    `platform ${os.platform()} ${os.arch()}, CPU ${os.cpus()[0].model}`,
    `date ${new Date().toISOString().slice(0, 10)}`,
    '',
  ];
  fs.writeFileSync(path.join(DATA, 'VERSIONS.txt'), versions.join('\n'));
  console.log(versions.join('\n'));
}

main().catch((e) => {
  console.error(`ort_reference.js: ${e.message}`);
  process.exit(1);
});
