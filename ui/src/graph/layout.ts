/**
 * A layered (Sugiyama-style) layout of the task graph, left to right,
 * written by hand: no graph library. Each open group or unfolded array is
 * laid out on its own and then placed as one big box in the level around it
 * (compound layout), so a group's tasks stay together inside its frame.
 *
 * Per level: cycles broken by a depth-first search (a graph lifted to groups
 * can have one even when the tasks have none), layers by longest path
 * (sources pulled right next to what needs them), long edges cut into dummy
 * points, then barycenter sweeps keeping the order with the fewest crossings
 * (counted exactly, bilayer by bilayer), and vertical positions pulled
 * toward their neighbours by isotonic regression (the best placement that
 * keeps the order and the gaps). An unfolded array's copies, which never
 * depend on each other, fill a grid instead.
 *
 * Depends only on the model and which boxes are open: task states never
 * change it, so a live run never re-lays out.
 */
import { ancestry, type DependencyKind, type GraphModel } from "./model";

export const NODE_W = 196;
export const NODE_H = 50;
export const HEADER_H = 30;
const PAD = 12;
const LAYER_GAP = 56;
const NODE_GAP = 14;
const DUMMY_H = 2;
const GRID_GAP = 12;

export interface Placed {
  path: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** An open group or unfolded array: a frame with a header, its contents placed inside. */
  open: boolean;
  /** Nesting level (0 at the top). */
  depth: number;
}

export interface RoutedEdge {
  key: string;
  from: string;
  to: string;
  /** The strongest kind among the dependencies this line stands for (pass, then fail, then done). */
  on: DependencyKind;
  /** How many dependencies of the model it stands for (more than one when drawn between folded boxes). */
  count: number;
  d: string;
  /** Bounds of the line, to draw only those in view. */
  box: { x1: number; y1: number; x2: number; y2: number };
}

export interface GraphLayout {
  width: number;
  height: number;
  /** Frames before what they contain, so they are drawn beneath. */
  placed: Placed[];
  byPath: ReadonlyMap<string, Placed>;
  edges: RoutedEdge[];
  /** The visible node standing for a path: itself, or its outermost folded group or array. */
  rep: (path: string) => string | undefined;
  /** Milliseconds the layout took. */
  ms: number;
}

interface Point {
  x: number;
  y: number;
}

interface ScopeResult {
  w: number;
  h: number;
  /** Top-left corners of the children, relative to the scope's origin. */
  pos: Map<string, Point>;
  size: Map<string, { w: number; h: number }>;
  inner: Map<string, ScopeResult>;
  /** Dummy points of long edges: [left x, right x, y] per layer crossed, relative. */
  dummies: Map<string, [number, number, number][]>;
  reversed: Set<string>;
}

interface Lifted {
  container: string;
  from: string;
  to: string;
}

const liftedCache = new WeakMap<GraphModel, { byScope: Map<string, Map<string, Lifted>>; perEdge: (Lifted | undefined)[] }>();

const pairKey = (from: string, to: string) => `${from}\u0000${to}`;

/** Each dependency, lifted to the level where both ends are siblings (computed once per model). */
function liftEdges(model: GraphModel) {
  let cached = liftedCache.get(model);
  if (cached) return cached;
  const byScope = new Map<string, Map<string, Lifted>>();
  const perEdge: (Lifted | undefined)[] = [];
  const chains = new Map<string, string[]>();
  const chainOf = (path: string) => {
    let chain = chains.get(path);
    if (!chain) chains.set(path, (chain = ancestry(model, path)));
    return chain;
  };
  for (const edge of model.edges) {
    const a = chainOf(edge.from);
    const b = chainOf(edge.to);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    if (i >= a.length || i >= b.length) {
      perEdge.push(undefined);
      continue;
    }
    const lifted: Lifted = { container: i === 0 ? "" : a[i - 1]!, from: a[i]!, to: b[i]! };
    let pairs = byScope.get(lifted.container);
    if (!pairs) byScope.set(lifted.container, (pairs = new Map()));
    const key = pairKey(lifted.from, lifted.to);
    if (!pairs.has(key)) pairs.set(key, lifted);
    perEdge.push(pairs.get(key));
  }
  cached = { byScope, perEdge };
  liftedCache.set(model, cached);
  return cached;
}

export function layoutGraph(model: GraphModel, isOpen: (path: string) => boolean): GraphLayout {
  const started = performance.now();
  const lifted = liftEdges(model);
  const opened = (path: string) => {
    const node = model.nodes.get(path);
    return node !== undefined && node.children.length > 0 && isOpen(path);
  };

  const layoutChildren = (container: string, children: readonly string[]): ScopeResult => {
    const size = new Map<string, { w: number; h: number }>();
    const inner = new Map<string, ScopeResult>();
    for (const child of children) {
      if (opened(child)) {
        const node = model.nodes.get(child)!;
        const result = node.kind === "array" ? gridScope(node.children) : layoutChildren(child, node.children);
        inner.set(child, result);
        size.set(child, { w: Math.max(result.w + 2 * PAD, NODE_W), h: result.h + HEADER_H + PAD });
      } else size.set(child, { w: NODE_W, h: NODE_H });
    }
    const result = layeredScope(children, size, lifted.byScope.get(container));
    result.inner = inner;
    return result;
  };

  const gridScope = (children: readonly string[]): ScopeResult => {
    const size = new Map<string, { w: number; h: number }>();
    const inner = new Map<string, ScopeResult>();
    for (const child of children) {
      if (opened(child)) {
        const result = layoutChildren(child, model.nodes.get(child)!.children);
        inner.set(child, result);
        size.set(child, { w: Math.max(result.w + 2 * PAD, NODE_W), h: result.h + HEADER_H + PAD });
      } else size.set(child, { w: NODE_W, h: NODE_H });
    }
    const n = children.length;
    const cols = n <= 10 ? 1 : Math.min(12, Math.ceil(Math.sqrt(n / 3)));
    const rows = Math.ceil(n / cols);
    const colW = new Array<number>(cols).fill(0);
    const rowH = new Array<number>(rows).fill(0);
    children.forEach((child, i) => {
      const s = size.get(child)!;
      colW[i % cols] = Math.max(colW[i % cols]!, s.w);
      rowH[Math.floor(i / cols)] = Math.max(rowH[Math.floor(i / cols)]!, s.h);
    });
    const colX = prefix(colW, GRID_GAP);
    const rowY = prefix(rowH, GRID_GAP);
    const pos = new Map<string, Point>();
    children.forEach((child, i) => pos.set(child, { x: colX[i % cols]!, y: rowY[Math.floor(i / cols)]! }));
    return { w: colX[cols]! - GRID_GAP, h: rowY[rows]! - GRID_GAP, pos, size, inner, dummies: new Map(), reversed: new Set() };
  };

  const top = layoutChildren("", model.roots);

  // Absolute positions, frames before their contents.
  const placed: Placed[] = [];
  const byPath = new Map<string, Placed>();
  const scopeOrigin = new Map<string, Point>();
  const place = (container: string, result: ScopeResult, origin: Point, depth: number) => {
    scopeOrigin.set(container, origin);
    for (const [path, p] of result.pos) {
      const s = result.size.get(path)!;
      const box: Placed = { path, x: origin.x + p.x, y: origin.y + p.y, w: s.w, h: s.h, open: result.inner.has(path), depth };
      placed.push(box);
      byPath.set(path, box);
      const inner = result.inner.get(path);
      if (inner) place(path, inner, { x: box.x + PAD + (s.w - 2 * PAD - inner.w) / 2, y: box.y + HEADER_H }, depth + 1);
    }
  };
  const MARGIN = 8;
  place("", top, { x: MARGIN, y: MARGIN }, 0);
  const results = new Map<string, ScopeResult>();
  const collect = (container: string, result: ScopeResult) => {
    results.set(container, result);
    for (const [path, inner] of result.inner) collect(path, inner);
  };
  collect("", top);

  const rep = repFinder(model, byPath);

  // One line per pair of visible boxes.
  const lines = new Map<string, { from: string; to: string; on: DependencyKind; count: number; lifted: Lifted | undefined }>();
  const strength: Record<DependencyKind, number> = { pass: 0, fail: 1, done: 2 };
  model.edges.forEach((edge, index) => {
    const from = rep(edge.from);
    const to = rep(edge.to);
    if (from === undefined || to === undefined || from === to) return;
    const key = pairKey(from, to);
    const line = lines.get(key);
    if (line) {
      line.count++;
      if (strength[edge.on] < strength[line.on]) line.on = edge.on;
    } else lines.set(key, { from, to, on: edge.on, count: 1, lifted: lifted.perEdge[index] });
  });

  const edges: RoutedEdge[] = [];
  for (const [key, line] of lines) {
    const a = byPath.get(line.from)!;
    const b = byPath.get(line.to)!;
    const start: Point = { x: a.x + a.w, y: a.y + (a.open ? HEADER_H / 2 : a.h / 2) };
    const end: Point = { x: b.x, y: b.y + (b.open ? HEADER_H / 2 : b.h / 2) };
    const scope = line.lifted ? results.get(line.lifted.container) : undefined;
    const origin = line.lifted ? scopeOrigin.get(line.lifted.container) : undefined;
    const liftedKey = line.lifted ? pairKey(line.lifted.from, line.lifted.to) : "";
    const back = scope?.reversed.has(liftedKey) ?? false;
    const via = !back && scope && origin ? (scope.dummies.get(liftedKey) ?? []) : [];
    const at = origin ?? { x: 0, y: 0 };
    let y1 = Math.min(start.y, end.y);
    let y2 = Math.max(start.y, end.y);
    for (const [, , y] of via) {
      y1 = Math.min(y1, at.y + y);
      y2 = Math.max(y2, at.y + y);
    }
    const box = { x1: Math.min(start.x, end.x) - (back ? 60 : 0), y1, x2: Math.max(start.x, end.x) + (back ? 60 : 0), y2 };
    edges.push({ key, from: line.from, to: line.to, on: line.on, count: line.count, d: back ? loopPath(start, end) : curvePath(start, end, via, at), box });
  }

  return { width: top.w + 2 * MARGIN, height: top.h + 2 * MARGIN, placed, byPath, edges, rep, ms: performance.now() - started };
}

/** GraphLayout.rep for these boxes: the visible box standing for a path (itself, or its outermost folded group or array). */
function repFinder(model: GraphModel, byPath: ReadonlyMap<string, Placed>): (path: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (path) => {
    if (cache.has(path)) return cache.get(path);
    let found: string | undefined;
    for (const step of ancestry(model, path)) {
      if (!byPath.has(step)) break;
      found = step;
      if (!byPath.get(step)!.open) break;
    }
    cache.set(path, found);
    return found;
  };
}

/** A layout as it crosses to or from a worker (plain data: no functions, no lookups). */
export type PlainLayout = Omit<GraphLayout, "rep" | "byPath">;

export function toPlain({ width, height, placed, edges, ms }: GraphLayout): PlainLayout {
  return { width, height, placed, edges, ms };
}

/** A layout made elsewhere (a worker), with its lookups made again here. */
export function withLookups(model: GraphModel, plain: PlainLayout): GraphLayout {
  const byPath = new Map(plain.placed.map((box) => [box.path, box]));
  return { ...plain, byPath, rep: repFinder(model, byPath) };
}

function prefix(sizes: number[], gap: number): number[] {
  const out = [0];
  for (const size of sizes) out.push(out[out.length - 1]! + size + gap);
  return out;
}

const r = (value: number) => Math.round(value * 10) / 10;

function curvePath(start: Point, end: Point, via: [number, number, number][], origin: Point): string {
  let d = `M${r(start.x)} ${r(start.y)}`;
  let at = start;
  const curveTo = (to: Point) => {
    const mx = (at.x + to.x) / 2;
    d += `C${r(mx)} ${r(at.y)} ${r(mx)} ${r(to.y)} ${r(to.x)} ${r(to.y)}`;
    at = to;
  };
  for (const [left, right, y] of via) {
    curveTo({ x: origin.x + left, y: origin.y + y });
    const across = { x: origin.x + right, y: origin.y + y };
    d += `L${r(across.x)} ${r(across.y)}`;
    at = across;
  }
  curveTo(end);
  return d;
}

/** An edge drawn against the flow (a cycle among groups): a loop out to the right and back in from the left. */
function loopPath(start: Point, end: Point): string {
  return `M${r(start.x)} ${r(start.y)}C${r(start.x + 60)} ${r(start.y)} ${r(end.x - 60)} ${r(end.y)} ${r(end.x)} ${r(end.y)}`;
}

/** The layered layout of one level: its children and the lifted edges between them. */
function layeredScope(children: readonly string[], size: Map<string, { w: number; h: number }>, pairs: Map<string, Lifted> | undefined): ScopeResult {
  const n = children.length;
  const index = new Map<string, number>();
  children.forEach((child, i) => index.set(child, i));

  // Edges between children, cycles broken.
  const out: number[][] = Array.from({ length: n }, () => []);
  const edgeList: { u: number; v: number; key: string }[] = [];
  for (const [key, pair] of pairs ?? []) {
    const u = index.get(pair.from);
    const v = index.get(pair.to);
    if (u === undefined || v === undefined || u === v) continue;
    edgeList.push({ u, v, key });
    out[u]!.push(v);
  }
  const reversedSet = new Set<string>();
  const backEdges = findBackEdges(n, out);
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pred: number[][] = Array.from({ length: n }, () => []);
  const dag: { u: number; v: number; key: string }[] = [];
  for (const edge of edgeList) {
    let { u, v } = edge;
    if (backEdges.has(u * n + v)) {
      reversedSet.add(edge.key);
      [u, v] = [v, u];
    }
    succ[u]!.push(v);
    pred[v]!.push(u);
    dag.push({ u, v, key: edge.key });
  }

  // Longest-path layers, in topological order.
  const order = topological(n, succ, pred);
  const layer = new Array<number>(n).fill(0);
  for (const u of order) for (const v of succ[u]!) layer[v] = Math.max(layer[v]!, layer[u]! + 1);
  for (let i = order.length - 1; i >= 0; i--) {
    const u = order[i]!;
    if (pred[u]!.length === 0 && succ[u]!.length > 0) {
      let nearest = Infinity;
      for (const v of succ[u]!) nearest = Math.min(nearest, layer[v]!);
      layer[u] = nearest - 1;
    }
  }
  let layerCount = 0;
  for (const l of layer) layerCount = Math.max(layerCount, l + 1);

  // Vertices: the children, then dummies of long edges.
  const vh: number[] = children.map((child) => size.get(child)!.h);
  const vw: number[] = children.map((child) => size.get(child)!.w);
  const vLayer = [...layer];
  const up: number[][] = Array.from({ length: n }, () => []);
  const down: number[][] = Array.from({ length: n }, () => []);
  const chains = new Map<string, number[]>();
  const addVertex = (l: number) => {
    vh.push(DUMMY_H);
    vw.push(0);
    vLayer.push(l);
    up.push([]);
    down.push([]);
    return vh.length - 1;
  };
  const link = (a: number, b: number) => {
    down[a]!.push(b);
    up[b]!.push(a);
  };
  for (const { u, v, key } of dag) {
    const span = layer[v]! - layer[u]!;
    if (span <= 1) {
      link(u, v);
      continue;
    }
    let previous = u;
    const chain: number[] = [];
    for (let l = layer[u]! + 1; l < layer[v]!; l++) {
      const dummy = addVertex(l);
      chain.push(dummy);
      link(previous, dummy);
      previous = dummy;
    }
    link(previous, v);
    if (!chains.has(key)) chains.set(key, chain);
  }

  const layers: number[][] = Array.from({ length: layerCount }, () => []);
  // Children in file order, dummies after: the first sweep sorts them by their neighbours.
  for (let vtx = 0; vtx < vh.length; vtx++) layers[vLayer[vtx]!]!.push(vtx);
  const position = new Array<number>(vh.length).fill(0);
  const renumber = (list: number[]) => list.forEach((vtx, i) => (position[vtx] = i));
  layers.forEach(renumber);

  const bary = new Float64Array(vh.length);
  const sweepBy = (list: number[], neighbours: number[][]) => {
    for (const vtx of list) {
      const around = neighbours[vtx]!;
      if (around.length === 0) {
        bary[vtx] = position[vtx]!;
        continue;
      }
      let sum = 0;
      for (const other of around) sum += position[other]!;
      bary[vtx] = sum / around.length;
    }
    list.sort((a, b) => bary[a]! - bary[b]! || position[a]! - position[b]!);
    renumber(list);
  };
  const countAll = () => {
    let total = 0;
    for (let l = 0; l + 1 < layers.length; l++) total += crossings(layers[l]!, layers[l + 1]!.length, down, position);
    return total;
  };
  let best = layers.map((list) => [...list]);
  let bestCrossings = countAll();
  // Sweeps pay off less and cost more as the level grows (on a random 1,000-task graph, rounds 5 to 8 gain 3 %).
  const vertices = vh.length;
  const rounds = vertices > 4_000 ? 2 : vertices > 500 ? 4 : vertices > 200 ? 8 : 12;
  let stale = 0;
  for (let round = 0; round < rounds && bestCrossings > 0 && stale < 3; round++) {
    if (round % 2 === 0) for (let l = 1; l < layers.length; l++) sweepBy(layers[l]!, up);
    else for (let l = layers.length - 2; l >= 0; l--) sweepBy(layers[l]!, down);
    const now = countAll();
    if (now < bestCrossings) {
      bestCrossings = now;
      best = layers.map((list) => [...list]);
      stale = 0;
    } else stale++;
  }
  best.forEach((list, l) => {
    layers[l] = list;
    renumber(list);
  });

  // x: one column per layer, as wide as its widest box.
  const layerW = layers.map((list) => list.reduce((widest, vtx) => Math.max(widest, vw[vtx]!), 0));
  const layerX = prefix(layerW, LAYER_GAP);

  // y: stacked, then pulled toward neighbours, alternating directions.
  const y = new Array<number>(vh.length).fill(0);
  for (const list of layers) {
    let at = 0;
    for (const vtx of list) {
      y[vtx] = at;
      at += vh[vtx]! + NODE_GAP;
    }
  }
  const center = (vtx: number) => y[vtx]! + vh[vtx]! / 2;
  const pull = (list: number[], primary: number[][], secondary: number[][]) => {
    const targets = list.map((vtx) => {
      const around = primary[vtx]!.length > 0 ? primary[vtx]! : secondary[vtx]!;
      if (around.length === 0) return y[vtx]!;
      let sum = 0;
      for (const other of around) sum += center(other);
      return sum / around.length - vh[vtx]! / 2;
    });
    const placedY = isotonic(targets, list.map((vtx) => vh[vtx]!), NODE_GAP);
    list.forEach((vtx, i) => (y[vtx] = placedY[i]!));
  };
  for (let round = 0; round < 6; round++) {
    if (round % 2 === 0) for (let l = 1; l < layers.length; l++) pull(layers[l]!, up, down);
    else for (let l = layers.length - 2; l >= 0; l--) pull(layers[l]!, down, up);
  }
  let minY = Infinity;
  let maxY = 0;
  for (let vtx = 0; vtx < vh.length; vtx++) minY = Math.min(minY, y[vtx]!);
  if (!Number.isFinite(minY)) minY = 0;
  for (let vtx = 0; vtx < vh.length; vtx++) {
    y[vtx] = y[vtx]! - minY;
    maxY = Math.max(maxY, y[vtx]! + vh[vtx]!);
  }

  const pos = new Map<string, Point>();
  children.forEach((child, vtx) => {
    const l = vLayer[vtx]!;
    pos.set(child, { x: layerX[l]! + (layerW[l]! - vw[vtx]!) / 2, y: y[vtx]! });
  });
  const dummies = new Map<string, [number, number, number][]>();
  for (const [key, chain] of chains) {
    dummies.set(
      key,
      chain.map((vtx) => {
        const l = vLayer[vtx]!;
        return [layerX[l]!, layerX[l]! + layerW[l]!, y[vtx]! + DUMMY_H / 2];
      }),
    );
  }
  const width = layers.length === 0 ? 0 : layerX[layers.length]! - LAYER_GAP;
  return { w: Math.max(width, 0), h: maxY, pos, size, inner: new Map(), dummies, reversed: reversedSet };
}

/** Edges that close a cycle, found by an iterative depth-first search (as u * n + v). */
function findBackEdges(n: number, out: number[][]): Set<number> {
  const back = new Set<number>();
  const state = new Uint8Array(n); // 0 new, 1 on the stack, 2 done
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [u, i] = top;
      if (i < out[u]!.length) {
        top[1]++;
        const v = out[u]![i]!;
        if (state[v] === 1) back.add(u * n + v);
        else if (state[v] === 0) {
          state[v] = 1;
          stack.push([v, 0]);
        }
      } else {
        state[u] = 2;
        stack.pop();
      }
    }
  }
  return back;
}

function topological(n: number, succ: number[][], pred: number[][]): number[] {
  const indegree = pred.map((list) => list.length);
  const queue: number[] = [];
  for (let u = 0; u < n; u++) if (indegree[u] === 0) queue.push(u);
  for (let head = 0; head < queue.length; head++) {
    for (const v of succ[queue[head]!]!) if (--indegree[v]! === 0) queue.push(v);
  }
  return queue;
}

/** Crossings between a layer and the next (Barth, Jünger, Mutzel: inversions counted with a Fenwick tree). */
function crossings(upper: number[], lowerSize: number, down: number[][], position: number[]): number {
  if (upper.length < 2 || lowerSize < 2) return 0;
  const targets: number[] = [];
  for (const u of upper) {
    const below = down[u]!;
    if (below.length === 1) targets.push(position[below[0]!]!);
    else if (below.length > 1) for (const p of below.map((v) => position[v]!).sort((a, b) => a - b)) targets.push(p);
  }
  const tree = new Int32Array(lowerSize + 1);
  let count = 0;
  let seen = 0;
  for (const p of targets) {
    // Edges seen so far that end to the right of p cross this one.
    let atMost = 0;
    for (let i = p + 1; i > 0; i -= i & -i) atMost += tree[i]!;
    count += seen - atMost;
    for (let i = p + 1; i <= lowerSize; i += i & -i) tree[i]!++;
    seen++;
  }
  return count;
}

/**
 * The tops closest to `targets` (least squares) that keep the order and at
 * least `gap` between boxes: pool-adjacent-violators on targets shifted by
 * the room each box needs above it.
 */
function isotonic(targets: number[], heights: number[], gap: number): number[] {
  const n = targets.length;
  const offsets = new Float64Array(n);
  let room = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = room;
    room += heights[i]! + gap;
  }
  // Blocks as parallel arrays: sum of shifted targets, and how many.
  const sums = new Float64Array(n);
  const counts = new Int32Array(n);
  let blocks = 0;
  for (let i = 0; i < n; i++) {
    sums[blocks] = targets[i]! - offsets[i]!;
    counts[blocks] = 1;
    blocks++;
    while (blocks > 1 && sums[blocks - 2]! / counts[blocks - 2]! > sums[blocks - 1]! / counts[blocks - 1]!) {
      sums[blocks - 2]! += sums[blocks - 1]!;
      counts[blocks - 2]! += counts[blocks - 1]!;
      blocks--;
    }
  }
  const out = new Array<number>(n);
  let at = 0;
  for (let b = 0; b < blocks; b++) {
    const mean = sums[b]! / counts[b]!;
    for (let k = 0; k < counts[b]!; k++, at++) out[at] = mean + offsets[at]!;
  }
  return out;
}
