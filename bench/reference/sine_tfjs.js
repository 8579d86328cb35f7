// An independent implementation of the sine-wave protocol on TensorFlow.js,
// to compare libmetalearn with a mainstream framework (docs/results.md,
// "An independent implementation").  It shares no code with the library:
// its own task sampler, its own random stream, TensorFlow.js's autodiff.
//
//   node sine_tfjs.js check
//       second-order gradient through an inner step against a hand-worked value
//   node sine_tfjs.js train maml|fomaml|reptile SEED ITERATIONS PARAMS.json
//       meta-trains, writes the parameters, prints one JSON line (with an
//       evaluation on 1,000 tasks of seed 1000)
//   node sine_tfjs.js eval PARAMS.json [TASKS] [SEED]
//       adapts the parameters on fresh tasks, prints one JSON line
//   node sine_tfjs.js grad maml|fomaml|reptile STEPS PARAMS.json TASKS.json
//       the meta-gradient of the tasks ({xs, ys, xq, yq}: one array of
//       points per task) at the parameters, flat in the library's order
//       (bench/reference/gradient_check.py compares it with the library's)
//
// Setup (the MAML paper's): MLP 1-40-40-1 ReLU with PyTorch's default
// initialisation (weights and biases uniform in +-1/sqrt(fan-in)), K = 10
// support and 10 query points, inner SGD 0.01, one inner step, meta-batch 25,
// Adam 0.001 (betas 0.9, 0.999, eps 1e-8).  Reptile: 5 inner SGD steps at
// 0.01, epsilon 1.0 on the meta-batch mean, annealed linearly to 0.
// Evaluation: K = 10 support points, 100 query points, plain SGD at 0.01;
// mean query MSE over the tasks with a 95% interval, after 1, 5 and 10 steps.
// PARAMS.json: [{shape, values}] for W1 [1,40], b1 [1,40], W2 [40,40], b2,
// W3 [40,1], b3, row-major: libmetalearn's order (bench/reference/params.py).
'use strict';
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const K = 10, Q = 10, META_BATCH = 25, ALPHA = 0.01, BETA = 0.001;
const EVAL_QUERIES = 100, EVAL_STEPS = [1, 5, 10];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const uniform = (rng, lo, hi) => lo + (hi - lo) * rng();

// n tasks y = A sin(x - phase): support [n, ks, 1] and query [n, kq, 1]
function sampleTasks(rng, n, ks, kq) {
  const buf = (k) => ({ x: new Float32Array(n * k), y: new Float32Array(n * k) });
  const s = buf(ks), q = buf(kq);
  for (let t = 0; t < n; t++) {
    const amp = uniform(rng, 0.1, 5.0), phase = uniform(rng, 0, Math.PI);
    for (const [set, k] of [[s, ks], [q, kq]])
      for (let i = 0; i < k; i++) {
        const x = uniform(rng, -5, 5);
        set.x[t * k + i] = x;
        set.y[t * k + i] = amp * Math.sin(x - phase);
      }
  }
  return {
    xs: tf.tensor3d(s.x, [n, ks, 1]), ys: tf.tensor3d(s.y, [n, ks, 1]),
    xq: tf.tensor3d(q.x, [n, kq, 1]), yq: tf.tensor3d(q.y, [n, kq, 1]),
  };
}

function initParams(rng) {
  const params = [];
  for (const [fin, fout] of [[1, 40], [40, 40], [40, 1]]) {
    const bound = 1 / Math.sqrt(fin);
    const w = Float32Array.from({ length: fin * fout }, () => uniform(rng, -bound, bound));
    const b = Float32Array.from({ length: fout }, () => uniform(rng, -bound, bound));
    params.push(tf.tensor2d(w, [fin, fout]), tf.tensor2d(b, [1, fout]));
  }
  return params.map((p) => tf.variable(p));
}

// Each task has its own copy of the parameters (leading dimension n), so the
// gradient of the summed loss with respect to a copy is that task's gradient.
function forward(p, x) {
  let h = tf.relu(tf.add(tf.matMul(x, p[0]), p[1]));
  h = tf.relu(tf.add(tf.matMul(h, p[2]), p[3]));
  return tf.add(tf.matMul(h, p[4]), p[5]);
}
const taskMse = (p, x, y) => tf.mean(tf.square(tf.sub(forward(p, x), y)), [1, 2]);
const lossSum = (p, x, y) => tf.sum(taskMse(p, x, y));
const perTask = (theta, n) => theta.map((v) => tf.tile(tf.expandDims(v, 0), [n, 1, 1]));

// theta' = theta - lr grad L_support(theta), differentiable when taped
function sgdStep(p, x, y, lr) {
  const g = tf.grads((...q) => lossSum(q, x, y))(p);
  return p.map((v, i) => tf.sub(v, tf.mul(lr, g[i])));
}

function evaluate(theta, tasks, seed) {
  const b = sampleTasks(mulberry32(seed), tasks, K, EVAL_QUERIES);
  const mse = [];
  tf.tidy(() => {
    let p = perTask(theta, tasks);
    for (let s = 1; s <= EVAL_STEPS[EVAL_STEPS.length - 1]; s++) {
      p = sgdStep(p, b.xs, b.ys, ALPHA);
      if (!EVAL_STEPS.includes(s))
        continue;
      const all = Array.from(taskMse(p, b.xq, b.yq).dataSync());
      const ok = all.filter(Number.isFinite);
      const mean = ok.reduce((a, e) => a + e, 0) / ok.length;
      const v = ok.reduce((a, e) => a + (e - mean) ** 2, 0) / (ok.length - 1);
      mse.push({ steps: s, mean, ci95: 1.96 * Math.sqrt(v / ok.length), diverged: all.length - ok.length });
    }
  });
  Object.values(b).forEach((t) => t.dispose());
  return mse;
}

// The meta-gradient of a meta-batch, in theta's order: the mean over the
// tasks of each task's meta-gradient, and for Reptile the mean of
// theta - phi (what the library's ml_learner_meta_gradient() returns).
// Returns {grads, loss}: tensors the caller disposes (loss null for Reptile).
function metaGradient(strategy, theta, b, steps) {
  const n = b.xs.shape[0];
  return tf.tidy(() => {
    if (strategy === 'reptile') {
      let phi = perTask(theta, n);
      for (let s = 0; s < steps; s++)
        phi = sgdStep(phi, b.xs, b.ys, ALPHA);
      return { grads: theta.map((v, i) => tf.sub(v, tf.mean(phi[i], 0))), loss: null };
    }
    // First-order MAML: the support gradients along the inner loop are
    // taken outside the taped function, so the outer gradient treats them
    // as constants: phi = theta - alpha (g_1 + ... + g_S).
    let sum = null;
    if (strategy === 'fomaml') {
      let phi = perTask(theta, n);
      for (let s = 0; s < steps; s++) {
        const g = tf.grads((...q) => lossSum(q, b.xs, b.ys))(phi);
        sum = sum ? sum.map((a, i) => tf.add(a, g[i])) : g;
        phi = phi.map((v, i) => tf.sub(v, tf.mul(ALPHA, g[i])));
      }
    }
    const { value, grads } = tf.valueAndGrads((...q) => {
      let p = perTask(q, n);
      if (sum)
        p = p.map((v, i) => tf.sub(v, tf.mul(ALPHA, sum[i])));
      else
        for (let s = 0; s < steps; s++)
          p = sgdStep(p, b.xs, b.ys, ALPHA);
      return tf.div(lossSum(p, b.xq, b.yq), n);
    })(theta);
    return { grads, loss: value };
  });
}

function metaStep(strategy, theta, opt, b, it, iterations) {
  const steps = strategy === 'reptile' ? 5 : 1;
  const { grads, loss } = metaGradient(strategy, theta, b, steps);
  let value = NaN;
  if (strategy === 'reptile') {
    const eps = 1.0 * (1 - it / iterations);
    tf.tidy(() => theta.forEach((v, i) => v.assign(tf.sub(v, tf.mul(eps, grads[i])))));
  } else {
    opt.applyGradients(theta.map((v, i) => ({ name: v.name, tensor: grads[i] })));
    value = loss.dataSync()[0];
    loss.dispose();
  }
  grads.forEach((t) => t.dispose());
  return value;
}

function train(strategy, seed, iterations, out) {
  if (!['maml', 'fomaml', 'reptile'].includes(strategy))
    throw new Error(`unknown strategy '${strategy}' (maml, fomaml, reptile)`);
  const rng = mulberry32(seed * 7919 + 13);
  const theta = initParams(rng);
  const opt = tf.train.adam(BETA, 0.9, 0.999, 1e-8);
  const t0 = process.hrtime.bigint();
  for (let it = 0; it < iterations; it++) {
    const b = sampleTasks(rng, META_BATCH, K, Q);
    const loss = metaStep(strategy, theta, opt, b, it, iterations);
    Object.values(b).forEach((t) => t.dispose());
    if (it % 5000 === 0)
      process.stderr.write(`iteration ${it}` + (Number.isNaN(loss) ? '\n' : ` meta-loss ${loss.toFixed(4)}\n`));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.writeFileSync(out, JSON.stringify(theta.map((v) => ({ shape: v.shape, values: Array.from(v.dataSync()) }))));
  return { impl: 'tfjs', command: 'train', strategy, seed, iterations, seconds, out,
           mse: evaluate(theta, 1000, 1000) };
}

function gradient(strategy, steps, paramsFile, tasksFile) {
  if (!['maml', 'fomaml', 'reptile'].includes(strategy))
    throw new Error(`unknown strategy '${strategy}' (maml, fomaml, reptile)`);
  if (!(steps >= 1))
    throw new Error('STEPS must be 1 or more');
  const t = JSON.parse(fs.readFileSync(tasksFile, 'utf8'));
  const set = (rows) => tf.tensor3d(rows.map((r) => r.map((v) => [v])));
  const b = { xs: set(t.xs), ys: set(t.ys), xq: set(t.xq), yq: set(t.yq) };
  const { grads, loss } = metaGradient(strategy, loadParams(paramsFile), b, steps);
  const flat = [];
  for (const g of grads)
    flat.push(...g.dataSync());
  return { impl: 'tfjs', command: 'grad', strategy, steps, tasks: t.xs.length,
           loss: loss ? loss.dataSync()[0] : null, gradient: flat };
}

function loadParams(file) {
  const layers = JSON.parse(fs.readFileSync(file, 'utf8'));
  const shapes = [[1, 40], [1, 40], [40, 40], [1, 40], [40, 1], [1, 1]];
  if (!Array.isArray(layers) || layers.length !== shapes.length)
    throw new Error(`${file}: expected ${shapes.length} tensors`);
  return layers.map((l, i) => {
    if (JSON.stringify(l.shape) !== JSON.stringify(shapes[i]) || l.values.length !== shapes[i][0] * shapes[i][1])
      throw new Error(`${file}: tensor ${i} has shape ${JSON.stringify(l.shape)}, expected ${JSON.stringify(shapes[i])}`);
    return tf.tensor2d(l.values, shapes[i]);
  });
}

// G(w) = L(w - a L'(w)) with L(w) = relu(w x)^2, so for w x > 0 and after
// the step: dG/dw = L'(w') (1 - a L''(w)), L'(w) = 2 w x^2, L'' = 2 x^2.
function check() {
  const x = 1.5, a = 0.1, w0 = 0.8;
  const L = (w) => tf.sum(tf.square(tf.relu(tf.mul(w, x))));
  const G = (w) => L(tf.sub(w, tf.mul(a, tf.grad(L)(w))));
  const got = tf.grad(G)(tf.scalar(w0)).dataSync()[0];
  const wp = w0 - a * 2 * w0 * x * x;
  const want = 2 * wp * x * x * (1 - a * 2 * x * x);
  const ok = Math.abs(got - want) <= 1e-5 * Math.abs(want);
  return { impl: 'tfjs', command: 'check', second_order: got, expected: want, first_order: 2 * wp * x * x, ok };
}

async function main() {
  await tf.setBackend('wasm');
  const [cmd, ...args] = process.argv.slice(2);
  let r;
  if (cmd === 'check')
    r = check();
  else if (cmd === 'train' && args.length === 4)
    r = train(args[0], parseInt(args[1], 10), parseInt(args[2], 10), args[3]);
  else if (cmd === 'grad' && args.length === 4)
    r = gradient(args[0], parseInt(args[1], 10), args[2], args[3]);
  else if (cmd === 'eval' && args.length >= 1)
    r = { impl: 'tfjs', command: 'eval', file: args[0],
          tasks: parseInt(args[1] || '1000', 10), seed: parseInt(args[2] || '1000', 10) };
  else {
    process.stderr.write('usage: sine_tfjs.js check | train maml|fomaml|reptile SEED ITERATIONS OUT.json | eval PARAMS.json [TASKS] [SEED]\n' +
      '       | grad maml|fomaml|reptile STEPS PARAMS.json TASKS.json\n');
    process.exit(2);
  }
  if (cmd === 'eval')
    r.mse = evaluate(loadParams(args[0]), r.tasks, r.seed);
  console.log(JSON.stringify(r));
  if (r.ok === false)
    process.exit(1);
}
main().catch((e) => { process.stderr.write(`sine_tfjs.js: ${e.message}\n`); process.exit(2); });
