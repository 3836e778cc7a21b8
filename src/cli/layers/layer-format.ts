/**
 * How layers are printed, as containers-storage prints them.
 */
import type { LayerRecord } from "../../store/records/layers-json.ts";
import { out, toJson } from "../output.ts";
import { orderRecord } from "../../store/records/layers-json.ts";

/** What `create-layer`/`import-layer` print: the ID, then each name on a tab-indented line. */
export function printLayerCreated(rec: LayerRecord, json: boolean): void {
  if (json) {
    out(toJson(orderRecord(rec)));
    return;
  }
  out(rec.id);
  for (const n of rec.names ?? []) out(`\t${n}`);
}

/** `layer ID`: one block per layer. */
export function printLayerDetail(rec: LayerRecord, readOnly: boolean): void {
  out(`ID: ${rec.id}`);
  for (const m of (rec.uidmap as { container_id: number; host_id: number; size: number }[] | undefined) ?? []) {
    out(`UID mapping: (container=${m.container_id}, host=${m.host_id}, size=${m.size})`);
  }
  for (const m of (rec.gidmap as { container_id: number; host_id: number; size: number }[] | undefined) ?? []) {
    out(`GID mapping: (container=${m.container_id}, host=${m.host_id}, size=${m.size})`);
  }
  if (rec.parent) out(`Parent: ${rec.parent}`);
  for (const n of rec.names ?? []) out(`Name: ${n}`);
  if (readOnly) out("Read Only: true");
}

export interface TreeNode {
  left: string;
  right: string;
  notes: string[];
}

function selectRoot(nodes: readonly TreeNode[]): string {
  const children = new Map<string, string[]>();
  const areChildren = new Set<string>();
  for (const n of nodes) {
    areChildren.add(n.right);
    children.set(n.left, [...(children.get(n.left) ?? []), n.right]);
  }
  let favorite = "";
  for (const [left, right] of children) {
    if (areChildren.has(left)) continue;
    if (favorite === "" || right.length < children.get(favorite)!.length) favorite = left;
  }
  return favorite;
}

interface TreeFrame {
  kids: TreeNode[];
  next: number;
  indent: number;
  continued: number[];
}

/**
 * Draws the subtree under `root` depth first, with an explicit stack (a chain
 * of any length in layers.json cannot overflow the call stack); returns the
 * nodes not drawn.
 */
function subTree(root: string, nodes: TreeNode[], lines: string[]): TreeNode[] {
  let rest = nodes;
  const stack: TreeFrame[] = [];
  const open = (parent: string, indent: number, continued: number[]): void => {
    const kids: TreeNode[] = [];
    const leftovers: TreeNode[] = [];
    for (const n of rest) (n.left === parent ? kids : leftovers).push(n);
    rest = leftovers;
    stack.push({ kids, next: 0, indent, continued });
  };
  open(root, 0, []);
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.next === f.kids.length) {
      stack.pop();
      continue;
    }
    const child = f.kids[f.next]!;
    const last = f.next === f.kids.length - 1;
    f.next++;
    const chars = [..." ".repeat(f.indent)];
    for (const c of f.continued) chars[c] = "\u2502";
    const pre = chars.join("");
    lines.push(`${pre}${last ? "\u2514" : "\u251c"}\u2500${child.right}`);
    for (const note of child.notes) lines.push(`${pre}${last ? " " : "\u2502"} ${note}`);
    open(child.right, f.indent + 2, last ? f.continued : [...f.continued, f.indent]);
  }
  return rest;
}

/** The `layers --tree` drawing of containers-storage (tree.go), as lines. */
export function renderTree(input: readonly TreeNode[]): string[] {
  let nodes = [...input];
  const lines: string[] = [];
  while (nodes.length > 0) {
    const root = selectRoot(nodes);
    lines.push(root);
    const before = nodes.length;
    nodes = subTree(root, nodes, lines);
    if (nodes.length === before) break;
  }
  return lines;
}
