import { compile } from "html-to-text";

/**
 * The plain-text part of an email derived from its HTML, for clients and filters that read
 * text, by `html-to-text` (every HTML entity decoded, tables and lists laid out): headings keep
 * their case, links keep their address ("label (https://…)", just the address when it is the
 * label), images their alt text, and lines are not wrapped (mail clients wrap text themselves).
 *
 * @example htmlToText('<p>Hi <b>Ada</b></p><p><a href="https://x.test">Shop</a></p>')
 *   // → "Hi Ada\n\nShop (https://x.test)"
 */
export const htmlToText: (html: string) => string = compile({
  wordwrap: false,
  formatters: {
    altText(element, _walk, builder) {
      const alt = element.attribs?.alt;
      if (alt) builder.addInline(alt);
    },
  },
  selectors: [
    ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, options: { uppercase: false } })),
    {
      selector: "a",
      options: {
        linkBrackets: ["(", ")"] as [string, string],
        hideLinkHrefIfSameAsText: true,
        noAnchorUrl: true,
      },
    },
    { selector: "img", format: "altText" },
    { selector: "ul", options: { itemPrefix: "- " } },
    { selector: "table", format: "dataTable" },
  ],
});
