// Check by hand that optimized float models run in onnxruntime with the outputs of the original:
// for each pair "original.onnx optimized.onnx", both run in onnxruntime-node (CPU, one thread,
// graph optimisations disabled so the files are run as written) on the same random input
// (uniform [-1, 1), fixed seed), and the largest |orig - opt| / max |orig| per output is printed.
// Exits non-zero when a model fails to load or run or an error exceeds 1e-4. CI never runs this.
//
// usage: ORT_NODE_DIR=<dir holding onnxruntime-node> node tests/unit/passes/ort_compare.js \
//          a_orig.onnx a_opt.onnx [b_orig.onnx b_opt.onnx ...]
// The pairs are written by hb_mapper's checker, or by hbc_onnx_save_file before/after
// hbc_optimize; see docs/passes.md for the figures measured.
'use strict';
const path = require('path');

const ortDir = path.resolve(process.env.ORT_NODE_DIR || path.join(__dirname, '..', '..', 'e2e', 'node_modules'));
const ort = require(path.join(ortDir, 'onnxruntime-node'));
const OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'disabled',
  executionProviders: ['cpu'],
  logSeverityLevel: 3,
};

function makeInputs(sess) {
  let s = 12345;
  const feeds = {};
  for (const name of sess.inputNames) {
    const meta = sess.inputMetadata.find((m) => m.name === name);
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0; // LCG, mod 2^32
      data[i] = (s / 4294967296) * 2 - 1;
    }
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  return feeds;
}

async function main() {
  const args = process.argv.slice(2);
  let worst = 0;
  for (let i = 0; i + 1 < args.length; i += 2) {
    const a = await ort.InferenceSession.create(args[i], OPTIONS);
    const b = await ort.InferenceSession.create(args[i + 1], OPTIONS);
    const feeds = makeInputs(a);
    const ra = await a.run(feeds);
    const rb = await b.run(feeds);
    for (const o of a.outputNames) {
      if (!rb[o]) throw new Error(`${args[i + 1]}: output ${o} missing`);
      const x = ra[o].data, y = rb[o].data;
      if (x.length !== y.length) throw new Error(`${o}: ${x.length} vs ${y.length} elements`);
      let amax = 0, dmax = 0;
      for (let k = 0; k < x.length; k++) {
        amax = Math.max(amax, Math.abs(x[k]));
        dmax = Math.max(dmax, Math.abs(x[k] - y[k]));
      }
      const rel = amax > 0 ? dmax / amax : dmax;
      worst = Math.max(worst, rel);
      console.log(`${path.basename(args[i + 1])} ${o} [${ra[o].dims.join('x')}] ` +
                  `max|diff| ${dmax.toExponential(2)} max|ref| ${amax.toExponential(2)} ` +
                  `relative ${rel.toExponential(2)}`);
    }
  }
  const v = require(path.join(ortDir, 'onnxruntime-node', 'package.json')).version;
  console.log(`onnxruntime-node ${v}, node ${process.version}; worst relative error ${worst.toExponential(2)}`);
  if (worst > 1e-4) process.exit(1);
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
