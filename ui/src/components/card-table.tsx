/**
 * The parts of a table that a phone shows as stacked cards (styles/runs.css:
 * `.runs-table`, `.data-table.stack-table`), each with its table role said
 * out loud.
 *
 * Why the roles: the cards give the table, its row groups, rows and cells a
 * `display` of block, grid or flex, and a browser that builds its
 * accessibility tree from the layout (Safari and older Chromium do) then
 * no longer finds a table there: a screen reader loses the rows, the cells
 * and the column a cell is in. An explicit
 * role keeps each part what it is at any width. A table made of these parts
 * uses them all the way down: a bare `<tr>` or `<td>` in it would be the one
 * part left without its role.
 *
 * A cell's `label` is what a card shows before its content on a phone
 * (`data-label`, drawn by CSS): the eye's stand-in for the column header,
 * which the CSS keeps out of the cell's accessible name (a screen reader
 * hears the column header already).
 */
import type { ComponentProps } from "preact";

export function CardTable(props: ComponentProps<"table">) {
  return <table {...props} role="table" />;
}

export function CardHead(props: ComponentProps<"thead">) {
  return <thead {...props} role="rowgroup" />;
}

export function CardBody(props: ComponentProps<"tbody">) {
  return <tbody {...props} role="rowgroup" />;
}

export function CardRow(props: ComponentProps<"tr">) {
  return <tr {...props} role="row" />;
}

/** A column's header: `scope="col"` for the native table, and the styles that look for it. */
export function ColumnHeader(props: ComponentProps<"th">) {
  return <th scope="col" {...props} role="columnheader" />;
}

type Labelled<Tag extends "th" | "td"> = Omit<ComponentProps<Tag>, "label"> & {
  /** Shown before the content on a phone's card; absent for a cell that needs none (a checkbox, the actions). */
  label?: string;
};

/** What a row is about (its name, its id): the header the row's other cells are read with. */
export function RowHeader({ label, ...props }: Labelled<"th">) {
  return <th scope="row" data-label={label} {...props} role="rowheader" />;
}

export function Cell({ label, ...props }: Labelled<"td">) {
  return <td data-label={label} {...props} role="cell" />;
}
