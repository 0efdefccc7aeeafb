import { sql, type RawBuilder, type SelectQueryBuilder } from "kysely";

export interface KeysetPageOptions {
  /** The sort column (an SQL fragment); `id` breaks ties. */
  key: RawBuilder<unknown>;
  /** Cast applied to the cursor value so it compares as the column does (e.g. `::timestamptz`), or empty. */
  cast: RawBuilder<unknown>;
  /** The last row of the previous page: its sort value and id. */
  after: { value: string | number; id: string } | undefined;
  descending: boolean;
  /** Rows per page; one more is fetched to know whether a next page exists. */
  limit: number;
}

/** Orders a list by `(key, id)` and starts it after the cursor: a keyset page, stable under inserts. */
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: KeysetPageOptions,
): SelectQueryBuilder<DB, TB, O> {
  let page = query;
  if (options.after !== undefined) {
    const comparison = options.descending ? sql`<` : sql`>`;
    page = page.where(
      sql<boolean>`(${options.key}, id) ${comparison} (${options.after.value}${options.cast}, ${options.after.id}::uuid)`,
    );
  }
  const direction = options.descending ? sql`desc` : sql`asc`;
  return page
    .orderBy(sql`${options.key} ${direction}`)
    .orderBy(sql`id ${direction}`)
    .limit(options.limit + 1);
}
