/**
 * The page shown for a missing run or a bad address.
 *
 * @module
 */
import { html } from "hono/html";
import { type Html, layout } from "../_html.ts";

/** The HTML of an error page with `message` (escaped). */
export function errorPage(title: string, message: string): Html {
  return layout(
    { title },
    html`
      <h1>${title}</h1>
      <p class="error">${message}</p>
      <p><a href="/">Back to the runs</a></p>
    `,
  );
}
