/**
 * The tables of a page as Chromium's accessibility tree holds them, which
 * is what a screen reader is given: read through the DevTools protocol.
 * Not through playwright's getByRole, which works roles out from the markup
 * alone and so cannot see what the layout (CSS `display`) does to them.
 */
import type { Page } from "playwright-core";

export interface HeardTable {
  /** Its accessible name (its caption, say); "" for none. */
  name: string;
  /** Each row as its headers and cells in order, each as "role: accessible name". */
  rows: string[][];
}

const TABLE_ROLES = new Set(["table", "grid", "treegrid"]);
const CELL_ROLES = new Set(["cell", "gridcell", "columnheader", "rowheader"]);

/** Every table of the page; a row counts only inside a table, a cell only inside a row (as a screen reader finds them). */
export async function tablesAsHeard(page: Page): Promise<HeardTable[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send("Accessibility.getFullAXTree");
    type Node = (typeof nodes)[number];
    const byId = new Map(nodes.map((node) => [node.nodeId, node]));
    const tables: HeardTable[] = [];
    const visit = (node: Node, table: HeardTable | undefined, row: string[] | undefined): void => {
      // An ignored node (a <div> around things, say) is no part of the structure, but what it holds may be.
      const role = node.ignored ? "" : String(node.role?.value ?? "");
      const name = String(node.name?.value ?? "");
      if (TABLE_ROLES.has(role)) {
        table = { name, rows: [] };
        tables.push(table);
        row = undefined;
      } else if (role === "row" && table) {
        row = [];
        table.rows.push(row);
      } else if (CELL_ROLES.has(role) && row) {
        row.push(`${role}: ${name}`);
        return;
      }
      for (const id of node.childIds ?? []) {
        const child = byId.get(id);
        if (child) visit(child, table, row);
      }
    };
    for (const root of nodes.filter((node) => node.parentId === undefined)) visit(root, undefined, undefined);
    return tables;
  } finally {
    await cdp.detach();
  }
}
