// A list read page by page from an API that answers `{ data, nextCursor }`.
import { h } from "./dom.js";

/**
 * Rows in `rows` (a tbody), a "Load more" button and an empty-list line. `reload()` starts
 * again from the first page; the button appends the next one. An answer to an older reload is
 * dropped, so a quick second search never mixes the first one's rows into its own, and the
 * button is disabled while its page loads, so a double click cannot append a page twice.
 *
 * @example
 *   const list = pager({ fetchPage: (cursor) => call("GET", `/customers?cursor=${cursor ?? ""}`),
 *     render: (c) => h("tr", {}, …), onError: (e) => status.error("Could not load", e) });
 *   table.append(list.rows); card.append(list.empty, list.more); await list.reload();
 */
export function pager({ fetchPage, render, onError, emptyText = () => "Nothing here yet." }) {
  const rows = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const empty = h("p", { class: "muted", hidden: true });
  let cursor = null;
  let generation = 0;

  async function load(fresh) {
    if (fresh) {
      generation++;
      cursor = null;
      rows.replaceChildren();
      more.hidden = true;
    }
    const mine = generation;
    more.disabled = true;
    try {
      const page = await fetchPage(cursor);
      if (mine !== generation) return;
      rows.append(...page.data.flatMap((item) => render(item)));
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      empty.textContent = emptyText();
      empty.hidden = rows.children.length > 0;
    } catch (error) {
      if (mine === generation) onError(error);
    } finally {
      if (mine === generation) more.disabled = false;
    }
  }
  more.addEventListener("click", () => void load(false));
  return { rows, more, empty, reload: () => load(true) };
}
