'use client';
import { type ComponentType, type ReactNode, useState } from 'react';
import { ConfirmDialog } from './confirm-dialog.tsx';
import type { CreateDialogProps } from './create-secret-dialog.tsx';
import type { RemoteList } from './use-remote-list.ts';

/** One column of a list panel's table. */
export interface Column<T> {
  header: string;
  /** Right-aligned, header and cells (counts). */
  numeric?: boolean;
  /** More classes for the cells only (the header keeps the plain font). */
  cellClass?: string;
  /** The cell's tooltip (the full timestamp behind a shortened one). */
  title?(item: T): string;
  cell(item: T): ReactNode;
}

/** The table: its accessible name, a test id per row, and a key per row. */
export interface ListTable<T> {
  label: string;
  rowTestId: string;
  rowKey(item: T): string;
  columns: readonly Column<T>[];
}

/** The button at the end of each row that removes the item, after a confirm dialog. */
export interface RowRemoval<T> {
  /** The button's text ("Revoke", "Delete"). */
  button: string;
  /** The button's accessible name, naming the item: a row's button must be told apart from the others'. */
  buttonLabel(item: T): string;
  /** Rows that may not be removed (the signed-in user's own) show no button. */
  allowed?(item: T): boolean;
  /** The confirm dialog's title and its action button's text. */
  title: string;
  action: string;
  /** What the confirm dialog asks, with what removing it will do. */
  question(item: T): ReactNode;
  /** Removes it on the node; the list reloads after. An error shows in the confirm dialog. */
  remove(item: T): Promise<void>;
}

function cellClass<T>(c: Column<T>): string | undefined {
  return [c.numeric ? 'num' : '', c.cellClass ?? ''].filter((x) => x !== '').join(' ') || undefined;
}

/**
 * A panel of things the node keeps (users, API keys, enrollment tokens): a heading with an optional create button
 * (its dialog opens in place), the load error, a loading line, the empty state, the table with a remove button
 * per row, and the confirm dialog for that button. What differs per panel comes in as props.
 */
export function ListPanel<T>({
  headingId,
  title,
  list,
  loading,
  empty,
  table,
  removal,
  create,
  form,
}: {
  /** The heading's element id (the section is labelled by it): unique on the page. */
  headingId: string;
  title: string;
  list: RemoteList<T>;
  /** The line shown until the first answer. */
  loading: string;
  /** Shown when the list is empty. */
  empty: ReactNode;
  table: ListTable<T>;
  removal: RowRemoval<T>;
  /** A create button in the heading, and the dialog it opens. */
  create?: { label: string; dialog: ComponentType<CreateDialogProps> };
  /** A create form inline under the heading, for panels without a dialog. */
  form?: ReactNode;
}) {
  const { items, error, reload } = list;
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<T | null>(null);
  const CreateDialog = create?.dialog;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panelhead">
        <h2 id={headingId}>{title}</h2>
        {create && (
          <button className="btn primary" onClick={() => setCreating(true)}>
            {create.label}
          </button>
        )}
      </div>
      {form}
      {error && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
      {items === null && !error && <p className="muted pad">{loading}</p>}
      {items?.length === 0 && empty}
      {items && items.length > 0 && (
        <table className="grid" aria-label={table.label}>
          <thead>
            <tr>
              {table.columns.map((c) => (
                <th key={c.header} className={c.numeric ? 'num' : undefined}>
                  {c.header}
                </th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={table.rowKey(item)} data-testid={table.rowTestId}>
                {table.columns.map((c) => (
                  <td key={c.header} className={cellClass(c)} title={c.title?.(item)}>
                    {c.cell(item)}
                  </td>
                ))}
                <td className="num">
                  {(removal.allowed?.(item) ?? true) && (
                    <button className="btn small" aria-label={removal.buttonLabel(item)} onClick={() => setRemoving(item)}>
                      {removal.button}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && CreateDialog && <CreateDialog onClose={() => setCreating(false)} onCreated={() => void reload()} />}
      {removing !== null && (
        <ConfirmDialog
          title={removal.title}
          action={removal.action}
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await removal.remove(removing);
            await reload();
          }}
        >
          {removal.question(removing)}
        </ConfirmDialog>
      )}
    </section>
  );
}
