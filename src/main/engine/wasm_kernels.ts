// Wasm kernels that TF.js 4.22's wasm backend lacks (UnsortedSegmentSum, needed by the gradient
// of tf.gather), runs on its slow path (BatchMatMul, _FusedMatMul), or runs wastefully
// (Identity: the wasm kernel copies the buffer, while the cpu and webgl backends share it; the
// engine clones every tensor it saves for the backward pass, so under a gradient tape each
// saved activation was copied once more — about 6% of a training step and that much memory).
//
// The wasm matmul is fast (XNNPACK, ~30-40 GFLOP/s) only for one plain 2-D product; a
// transposed or batched operand falls to a naive loop at ~1.5-3 GFLOP/s. The override rewrites
// every product into plain 2-D ones:
//   transposed operand              -> materialised by the wasm Transpose kernel
//   (..., M, K) @ (K, N)            -> one (... * M, K) @ (K, N) product
//   (..., M, K) @ (..., K, N)       -> one 2-D product per batch, on views into the wasm heap
// A view is a tensor id registered at an offset inside another tensor's memory: it is never
// freed, only unregistered (dropView), and it lives only inside one kernel call.
import * as tf from '@tensorflow/tfjs-core';
import { broadcast_util, util } from '@tensorflow/tfjs-core';
import type { DataId, DataType, KernelFunc, NamedAttrMap, TensorInfo, TypedArray } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm 4.22's BackendWasm that these kernels use. */
interface WasmBackend {
  wasm: {
    cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
    tfjs: { disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number }; delete(dataId: DataId): boolean };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: DataId): boolean;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

/** The C entry point of the wasm BatchMatMul kernel; XNNPACK when both batches are 1 and nothing is transposed. */
type NativeMatMul = (
  aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number,
  transposeA: boolean, transposeB: boolean, outId: number,
) => void;

/**
 * Below this many multiply-adds per batch a truly batched product stays on the original kernel:
 * each per-batch XNNPACK call costs ~3.5 µs in views, set-up and weight packing (measured on 64
 * batches: at 4096 MACs per batch the original is 1.1-1.7x faster, at 8192 they are even, at
 * 16384 the per-batch route is 1.7-2.2x faster).
 */
const MIN_MACS_PER_BATCH = 16 * 32 * 32;

const natives = new WeakMap<object, NativeMatMul>();
let originalBatchMatMul: KernelFunc | null = null;
let originalFusedMatMul: KernelFunc | null = null;

const batchMatMulKernel: KernelFunc = (args) => batchMatMul(args as unknown as KernelArgs);
const fusedMatMulKernel: KernelFunc = (args) => fusedMatMul(args as unknown as KernelArgs);
const segmentSumKernel: KernelFunc = (args) => unsortedSegmentSum(args as unknown as KernelArgs);
/**
 * Identity shares the input's buffer (one more reference), as the cpu backend does. Safe because
 * no kernel writes into an input and a Variable's assign() swaps its buffer rather than writing it.
 */
const identityKernel: KernelFunc = (args) => {
  const { inputs: { x }, backend } = args as unknown as KernelArgs & { backend: { incRef(dataId: DataId): void } };
  if (x === undefined) throw new Error('Identity: missing input x');
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Registers the kernels above on the wasm backend; safe to call more than once. */
export function registerWasmKernels(): void {
  const batch = tf.getKernel('BatchMatMul', 'wasm');
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  if (batch === undefined || fused === undefined || tf.getKernel('Transpose', 'wasm') === undefined) {
    throw new Error('registerWasmKernels: @tensorflow/tfjs-backend-wasm is not loaded; import it (initBackend does) first');
  }
  if (batch.kernelFunc !== batchMatMulKernel) {
    originalBatchMatMul = batch.kernelFunc;
    replaceKernel('BatchMatMul', batchMatMulKernel);
  }
  if (fused.kernelFunc !== fusedMatMulKernel) {
    originalFusedMatMul = fused.kernelFunc;
    replaceKernel('_FusedMatMul', fusedMatMulKernel);
  }
  if (tf.getKernel('Identity', 'wasm')?.kernelFunc !== identityKernel) replaceKernel('Identity', identityKernel);
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') === undefined) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: segmentSumKernel });
  }
}

function replaceKernel(kernelName: string, kernelFunc: KernelFunc): void {
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

// --- BatchMatMul ---------------------------------------------------------------------------

interface MatMulPlan {
  M: number;
  K: number;
  N: number;
  batchA: number;
  batchB: number;
  aBatchShape: number[];
  bBatchShape: number[];
  outBatchShape: number[];
  outShape: number[];
}

function planMatMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulPlan {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  util.assert(K === kB, () => `Error in matMul: inner shapes (${K}) and (${kB}) of Tensors with shapes ` +
    `${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatchShape = broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  return {
    M, K, N,
    batchA: util.sizeFromShape(aBatch),
    batchB: util.sizeFromShape(bBatch),
    aBatchShape: aBatch,
    bBatchShape: bBatch,
    outBatchShape,
    outShape: [...outBatchShape, M, N],
  };
}

function batchMatMul(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const transposeA = attrs.transposeA as boolean;
  const transposeB = attrs.transposeB as boolean;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return callOriginal(originalBatchMatMul, args);
  const p = planMatMul(a, b, transposeA, transposeB);
  const outBatch = util.sizeFromShape(p.outBatchShape);
  if (outBatch * p.M * p.N === 0 || p.K === 0) return zeros(backend, p.outShape);
  const flatBroadcast = [p.batchA, p.batchB].every((n) => n === 1 || n === outBatch);
  if (p.batchB > 1 && flatBroadcast && p.M * p.N * p.K < MIN_MACS_PER_BATCH) {
    return callOriginal(originalBatchMatMul, args);
  }
  const temps: TensorInfo[] = [];
  try {
    const a2 = transposeA ? transposeLast2(backend, a, temps) : a; // (batchA, M, K)
    const b2 = transposeB ? transposeLast2(backend, b, temps) : b; // (batchB, K, N)
    const out = backend.makeOutput(p.outShape, 'float32'); // (...outBatch, M, N)
    temps.push(out); // freed only if a product throws
    if (p.batchB === 1) {
      // (batchA * M, K) @ (K, N): a broadcast B adds no rows, so outBatch === batchA here.
      product2d(backend, a2, b2, out, outBatch * p.M, p.K, p.N);
    } else {
      perBatchProducts(backend, a2, b2, out, p);
    }
    return temps.pop() as TensorInfo;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** (..., R, C) -> (batch, C, R) through the wasm Transpose kernel; the result joins `temps`. */
function transposeLast2(backend: WasmBackend, x: TensorInfo, temps: TensorInfo[]): TensorInfo {
  const [rows, cols] = x.shape.slice(-2);
  const x3: TensorInfo = { ...x, shape: [util.sizeFromShape(x.shape.slice(0, -2)), rows, cols] };
  const kernel = tf.getKernel('Transpose', 'wasm').kernelFunc;
  const t = kernel({ inputs: { x: x3 }, backend, attrs: { perm: [0, 2, 1] } }) as TensorInfo;
  temps.push(t);
  return t;
}

/** One batch per output batch index, each on views; batch dims broadcast as in tf.matMul. */
function perBatchProducts(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, p: MatMulPlan): void {
  const { M, K, N } = p;
  // Transposed operands are flattened to (batch, ., .) with the same order of batches, so
  // flat indices from the input's batch shape address them too.
  const aIndex = broadcastIndex(p.outBatchShape, p.aBatchShape);
  const bIndex = broadcastIndex(p.outBatchShape, p.bBatchShape);
  const aViews = new Map<number, TensorInfo>();
  const bViews = new Map<number, TensorInfo>();
  const views: TensorInfo[] = [];
  const viewOf = (cache: Map<number, TensorInfo>, base: TensorInfo, i: number, size: number, shape: number[]) => {
    let v = cache.get(i);
    if (v === undefined) {
      v = makeView(backend, base, i * size, shape);
      cache.set(i, v);
      views.push(v);
    }
    return v;
  };
  try {
    for (let i = 0; i < aIndex.length; i++) {
      const av = viewOf(aViews, a, aIndex[i], M * K, [M, K]);
      const bv = viewOf(bViews, b, bIndex[i], K * N, [K, N]);
      const ov = makeView(backend, out, i * M * N, [M, N]);
      views.push(ov);
      product2d(backend, av, bv, ov, M, K, N);
    }
  } finally {
    for (const v of views) dropView(backend, v);
  }
}

/** For each flat output batch index, the flat batch index of an input with `inShape`. */
function broadcastIndex(outShape: number[], inShape: number[]): Int32Array {
  const size = util.sizeFromShape(outShape);
  const index = new Int32Array(size);
  const offset = outShape.length - inShape.length;
  const inStrides = util.computeStrides(inShape).concat([1]);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let flat = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const coord = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const di = d - offset;
      if (di >= 0 && inShape[di] !== 1) flat += coord * inStrides[di];
    }
    index[i] = flat;
  }
  return index;
}

// --- wasm heap helpers ------------------------------------------------------------------------

function nativeMatMul(backend: WasmBackend): NativeMatMul {
  let fn = natives.get(backend);
  if (fn === undefined) {
    const types = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
    fn = backend.wasm.cwrap('BatchMatMul', null, types) as NativeMatMul;
    natives.set(backend, fn);
  }
  return fn;
}

const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);

/** out (M, N) = a (M, K) @ b (K, N), all float32 and contiguous: the XNNPACK path. */
function product2d(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, M: number, K: number, N: number): void {
  const id = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).id;
  nativeMatMul(backend)(id(a), shapeBytes([1, M, K]), 3, id(b), shapeBytes([1, K, N]), 3, false, false, id(out));
}

/** A float32 tensor registered `offset` elements into `base`'s memory; release with dropView. */
function makeView(backend: WasmBackend, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const memoryOffset = backend.dataIdMap.get(base.dataId).memoryOffset + offset * 4;
  return backend.makeOutput(shape, 'float32', memoryOffset);
}

/** Unregisters a view without freeing its memory (which belongs to the base tensor). */
function dropView(backend: WasmBackend, view: TensorInfo): void {
  backend.wasm.tfjs.disposeData(backend.dataIdMap.get(view.dataId).id);
  backend.dataIdMap.delete(view.dataId);
}

function zeros(backend: WasmBackend, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}

function callOriginal(kernel: KernelFunc | null, args: KernelArgs): TensorInfo {
  if (kernel === null) throw new Error('wasm matmul kernels used before registerWasmKernels()');
  return kernel(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
}

// --- _FusedMatMul -----------------------------------------------------------------------------

/**
 * tf.fused.matMul (plain tf.matMul never uses it) hands over 3-D a and b. With an unbatched B
 * and a bias of N values (or none), transposes are materialised and a batched A is flattened,
 * so the original kernel takes its XNNPACK path with bias and activation fused. Everything else
 * is composed from BatchMatMul, Add and the activation's kernel: the original's loop path adds
 * bias[min(i * N + j, N - 1)] instead of bias[j], which is wrong for more than one row.
 */
function fusedMatMul(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = inputs.a as TensorInfo; // (batchA, M, K) or (batchA, K, M) when transposeA
  const b = inputs.b as TensorInfo; // (batchB, K, N) or (batchB, N, K) when transposeB
  const transposeA = attrs.transposeA as boolean;
  const transposeB = attrs.transposeB as boolean;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return callOriginal(originalFusedMatMul, args);
  const p = planMatMul(a, b, transposeA, transposeB);
  const bias = inputs.bias;
  const biasFits = bias == null || (bias.shape.length === 1 && bias.shape[0] === p.N);
  if (p.batchB !== 1 || !biasFits || p.batchA * p.M * p.N === 0 || p.K === 0) return composedFusedMatMul(args);
  if (!transposeA && !transposeB && p.batchA === 1) return callOriginal(originalFusedMatMul, args);
  const temps: TensorInfo[] = [];
  try {
    const a2 = transposeA ? transposeLast2(backend, a, temps) : a;
    const b2 = transposeB ? transposeLast2(backend, b, temps) : b;
    const flatA: TensorInfo = { dataId: a2.dataId, dtype: 'float32', shape: [1, p.batchA * p.M, p.K] };
    const flatB: TensorInfo = { dataId: b2.dataId, dtype: 'float32', shape: [1, p.K, p.N] };
    const res = callOriginal(originalFusedMatMul, {
      inputs: { ...inputs, a: flatA, b: flatB },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    return { ...res, shape: [p.batchA, p.M, p.N] };
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** activation(a @ b + bias) from separate wasm kernels. */
function composedFusedMatMul(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const run = (kernelName: string, kernelInputs: Record<string, TensorInfo>, kernelAttrs: NamedAttrMap = {}) =>
    tf.getKernel(kernelName, 'wasm').kernelFunc({ inputs: kernelInputs, backend, attrs: kernelAttrs }) as TensorInfo;
  const steps: TensorInfo[] = [];
  try {
    let y = batchMatMul({ inputs: { a: inputs.a, b: inputs.b }, backend, attrs });
    steps.push(y);
    if (inputs.bias != null) steps.push((y = run('Add', { a: y, b: inputs.bias })));
    const activation = attrs.activation as string;
    if (activation === 'relu') steps.push((y = run('Relu', { x: y })));
    else if (activation === 'relu6') steps.push((y = run('Relu6', { x: y })));
    else if (activation === 'elu') steps.push((y = run('Elu', { x: y })));
    else if (activation === 'sigmoid') steps.push((y = run('Sigmoid', { x: y })));
    else if (activation === 'leakyrelu') steps.push((y = run('LeakyRelu', { x: y }, { alpha: attrs.leakyreluAlpha })));
    else if (activation === 'prelu') steps.push((y = run('Prelu', { x: y, alpha: inputs.preluActivationWeights as TensorInfo })));
    else if (activation !== 'linear') throw new Error(`_FusedMatMul on wasm: unknown activation '${activation}'`);
    steps.pop();
    return y;
  } finally {
    for (const t of steps) backend.disposeData(t.dataId);
  }
}

// --- UnsortedSegmentSum -----------------------------------------------------------------------

/**
 * out[s, ...] = sum of x[i, ...] over all i with segmentIds[i] === s; ids outside
 * [0, numSegments) are dropped, as in TensorFlow. segmentIds may cover several leading dims of x.
 */
function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo; // (...ids, ...inner)
  const segmentIds = inputs.segmentIds as TensorInfo; // (...ids) int32
  const numSegments = attrs.numSegments as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm needs float32 or int32 x, got ${x.dtype}`);
  }
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = util.sizeFromShape(innerShape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype); // (numSegments, ...inner)
  // Heap views are taken after the last allocation: a heap growth detaches older ones.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}
