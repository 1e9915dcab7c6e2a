// Time one ONNX model in onnxruntime-node (CPU, one intra-op thread): W warm-up runs, then N timed
// runs of session.run on a fixed pseudo-random input; prints one line
//   ort <model> runs N median X ms min Y ms
// Every float32 input must have a fixed shape. Used by tests/bench/run_float_bench.sh.
//
// usage: node tests/bench/ort_time.js MODEL.onnx [N=50] [W=5]
// onnxruntime-node is looked up in $ORT_NODE_DIR, tests/bench/node_modules, then the usual Node
// search path.
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dirs = [process.env.ORT_NODE_DIR, path.join(__dirname, 'node_modules')].filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, 'onnxruntime-node');
    if (fs.existsSync(path.join(p, 'package.json'))) return require(p);
  }
  return require('onnxruntime-node');
}

async function main() {
  const [model, nArg, wArg] = process.argv.slice(2);
  if (!model) throw new Error('usage: node ort_time.js MODEL.onnx [N] [W]');
  const runs = parseInt(nArg || '50', 10);
  const warmup = parseInt(wArg || '5', 10);
  if (!(runs > 0) || !(warmup >= 0)) throw new Error('N must be positive, W non-negative');
  const ort = loadOrt();
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
  });
  const feeds = {};
  let state = 12345;
  for (const name of sess.inputNames) {
    const meta = sess.inputMetadata.find((m) => m.name === name);
    if (!meta || meta.type !== 'float32' || meta.shape.some((d) => typeof d !== 'number'))
      throw new Error(`${model}: input '${name}' is not float32 with a fixed shape`);
    const n = meta.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) { // LCG values in [-1, 1)
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      data[i] = (state >>> 8) / 8388608 - 1;
    }
    feeds[name] = new ort.Tensor('float32', data, meta.shape);
  }
  for (let i = 0; i < warmup; i++) await sess.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await sess.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`ort ${path.basename(model)} runs ${runs} median ${times[runs >> 1].toFixed(3)} ms ` +
              `min ${times[0].toFixed(3)} ms`);
}

main().catch((e) => {
  console.error(`ort_time.js: ${e.message}`);
  process.exit(1);
});
