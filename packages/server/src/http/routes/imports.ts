import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { fileTooLarge, IMPORT_LIMITS, importCustomers } from "../../customers/import";
import { parseMapping } from "../../customers/import-columns";
import { getImport, listImports } from "../../customers/import-record";
import { JourneysError } from "../../errors";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity, ErrorSchema } from "../schemas";

const ImportSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal("running"), Type.Literal("completed"), Type.Literal("failed")]),
  totalRows: Type.Number(),
  accepted: Type.Number(),
  created: Type.Number(),
  updated: Type.Number(),
  skipped: Type.Number(),
  rejected: Type.Array(Type.Object({ row: Type.Number(), reason: Type.String(), code: Type.String() })),
  onDuplicate: Type.Union([Type.Literal("update"), Type.Literal("skip")]),
  createdAt: Type.Number(),
  finishedAt: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Optional(Type.String()),
});

const { rejected: _rejected, ...summaryFields } = ImportSchema.properties;
const ImportSummarySchema = Type.Object({
  ...summaryFields,
  rejectedRows: Type.Number({ description: "Rows rejected; GET the import for each one and its reason." }),
});

const OnDuplicate = Type.Union([Type.Literal("update"), Type.Literal("skip")]);

/**
 * CSV import of customers: `POST …/customers/imports` with a `text/csv` body (≤ 50 MB,
 * ≤ 50,000 rows), options in the query string or as headers (`x-import-mapping`,
 * `x-import-on-duplicate`); `GET …/customers/imports/{importId}` returns the recorded result, and
 * `GET …/customers/imports` the latest imports (newest first).
 */
export function importRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The body is handed over as the raw stream: the import reads it once, as it arrives.
    app.addContentTypeParser(["text/csv", "application/csv"], (_request, payload, done) =>
      done(null, payload),
    );
    app.addHook("onRequest", businessAccess(r));
    const tags = ["customers"];

    app.post(
      "/:businessId/customers/imports",
      {
        bodyLimit: IMPORT_LIMITS.bytes,
        schema: {
          tags,
          security: businessSecurity,
          description:
            "Imports customers from CSV (`Content-Type: text/csv`, first row a header). `mapping` is a JSON " +
            "object from CSV header to `email | phone | userId | timezone | locale | " +
            "attributes.<name>[:string|number|boolean|date] | subscriptions.<channel> | " +
            "topics.<topic>.<channel>` or null to ignore a column; by default a header that names a " +
            "target maps to it and others to `attributes.<header>` (text). A typed attribute stores a " +
            "number, a boolean (true/false, yes/no, y/n, 1/0) or an ISO 8601 date kept as written; a " +
            "non-empty cell that does not read as its type rejects that row (`invalid_number`, " +
            "`invalid_boolean`, `invalid_date`, naming the column), an empty cell changes nothing. Rows match an " +
            "existing customer by userId, else email; `onDuplicate` updates (default) or skips them. " +
            "Rejected rows are listed with their spreadsheet row number (the header is row 1). " +
            "413 over 50 MB, 422 over 50,000 rows or for invalid CSV, 400 for a bad mapping, 415 for a body that is not CSV.",
          params: BusinessParams,
          querystring: Type.Object(
            {
              mapping: Type.Optional(Type.String({ maxLength: 65_536 })),
              onDuplicate: Type.Optional(OnDuplicate),
            },
            { additionalProperties: false },
          ),
          headers: Type.Object({
            "x-import-mapping": Type.Optional(Type.String({ maxLength: 65_536 })),
            "x-import-on-duplicate": Type.Optional(OnDuplicate),
          }),
          response: {
            201: ImportSchema,
            402: ErrorSchema,
            413: ErrorSchema,
            415: ErrorSchema,
            422: ErrorSchema,
            ...businessErrors,
          },
        },
      },
      async (request, reply) => {
        const contentType = request.headers["content-type"] ?? "";
        if (!/^(text|application)\/csv\b/i.test(contentType)) {
          throw new JourneysError(
            "unsupported_media_type",
            "unsupported_media_type",
            "send the CSV file as text/csv",
          );
        }
        const length = Number(request.headers["content-length"]);
        if (length > IMPORT_LIMITS.bytes) throw fileTooLarge();
        // A refused file stops the reading early; the request must stay open for the answer.
        const body = ((request.body as Readable | undefined) ?? Readable.from([])).iterator({
          destroyOnReturn: false,
        });
        const result = await importCustomers(r, request.params.businessId, body, {
          mapping: parseMapping(request.query.mapping ?? request.headers["x-import-mapping"]),
          onDuplicate: request.query.onDuplicate ?? request.headers["x-import-on-duplicate"] ?? "update",
        });
        return reply.code(201).send(result);
      },
    );

    app.get(
      "/:businessId/customers/imports",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: BusinessParams,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
          response: { 200: Type.Object({ data: Type.Array(ImportSummarySchema) }), ...businessErrors },
        },
      },
      async (request) => ({
        data: await listImports(r, request.params.businessId, request.query.limit ?? 20),
      }),
    );

    app.get(
      "/:businessId/customers/imports/:importId",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: Type.Object({ businessId: Type.String(), importId: Type.String({ maxLength: 64 }) }),
          response: { 200: ImportSchema, ...businessErrors },
        },
      },
      async (request) => getImport(r, request.params.businessId, request.params.importId),
    );
  };
}
