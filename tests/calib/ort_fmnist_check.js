// Cross-check of the calibrated (QDQ) models with onnxruntime-node, an executor independent of ours.
//
// For each MODEL.onnx given: classify the 10,000 Fashion-MNIST test images (IDX files of the
// Debian package dataset-fashion-mnist, pixel / 255) and print the top-1 accuracy, to compare
// with the figure fmnist_eval prints for the same file (our executor). Also prints how many
// predictions differ from those of the first model given (e.g. the float model).
// ORT_OPT=disabled switches off onnxruntime's graph optimisations. CI never runs this.
//
// usage (from the repository root):
//   build/converter/calib/fmnist_eval tests/data/models/fmnist/fmnist_cnn.onnx \
//       /usr/share/datasets/fashion-mnist 100 -o build/fm
//   ORT_NODE_DIR=tests/bench/node_modules node tests/calib/ort_fmnist_check.js \
//       tests/data/models/fmnist/fmnist_cnn.onnx build/fm_*_calibrated_model.onnx
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const DATA = process.env.FMNIST_DIR || '/usr/share/datasets/fashion-mnist';

function findOrt() {
  const dirs = [process.env.ORT_NODE_DIR,
                path.join(__dirname, '..', 'e2e', 'node_modules'),
                path.join(__dirname, '..', 'bench', 'node_modules')].filter(Boolean);
  for (const d of dirs) {
    const p = path.resolve(d, 'onnxruntime-node');
    if (fs.existsSync(p)) return require(p);
  }
  return require('onnxruntime-node');
}

function readIdx(name) {
  const b = zlib.gunzipSync(fs.readFileSync(path.join(DATA, name)));
  const nd = b[3];
  const dims = [];
  for (let i = 0; i < nd; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  return {dims, data: b.subarray(4 + 4 * nd)};
}

async function main() {
  const ort = findOrt();
  const img = readIdx('t10k-images-idx3-ubyte.gz');
  const lab = readIdx('t10k-labels-idx1-ubyte.gz');
  const n = img.dims[0];
  let first = null;
  for (const model of process.argv.slice(2)) {
    // ORT_OPT=disabled runs the QDQ pairs as written (no fusion into integer kernels)
    const s = await ort.InferenceSession.create(model, {
      intraOpNumThreads: 1,
      executionProviders: ['cpu'],
      graphOptimizationLevel: process.env.ORT_OPT || 'all',
    });
    const pred = new Int32Array(n);
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const x = new Float32Array(784);
      for (let p = 0; p < 784; p++) x[p] = img.data[i * 784 + p] / 255;
      const out = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 28, 28])});
      const y = out[s.outputNames[0]].data;
      let b = 0;
      for (let k = 1; k < 10; k++) if (y[k] > y[b]) b = k;
      pred[i] = b;
      ok += b === lab.data[i];
    }
    let diff = 0;
    if (first) for (let i = 0; i < n; i++) diff += pred[i] !== first[i];
    else first = pred;
    console.log(`${path.basename(model)}: onnxruntime ${ort.env.versions ? ort.env.versions.common : ''} ` +
                `top-1 ${(100 * ok / n).toFixed(2)}% (${diff} predictions differ from the first model)`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
