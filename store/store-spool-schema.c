/*
 * store-spool-schema.c - numbered migrations of the spool's tables, the main cebgate database
 * (its version is the database's user_version, as in every release before the store layer).
 *
 * Step i takes PRAGMA user_version from i to i + 1. Steps are only ever appended: a released
 * step is never edited, so every database reaches the same shape whatever version it started at.
 */
#include "config.h"

#include "store/store-int.h"

static const char *const main_steps[] = {
    /* 1: bookkeeping about the database itself. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");"
    "INSERT INTO meta(key, value) VALUES ('created', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));",
    /* 2: the declaration lifecycle (spool/, docs/spool.md). Times are UTC ISO-8601. */
    "CREATE TABLE input_files ("
    "  id INTEGER PRIMARY KEY,"
    "  seller TEXT NOT NULL,"      /* '' for files directly in incoming/ */
    "  name TEXT NOT NULL,"        /* as dropped */
    "  active_name TEXT NOT NULL," /* name in active/, done/ or failed/ */
    "  size INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  inode INTEGER NOT NULL DEFAULT 0," /* tells a resumed file from a second copy */
    "  outcome TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (outcome IN ('active', 'done', 'failed', 'duplicate')),"
    "  reason TEXT,"
    "  orders_new INTEGER NOT NULL DEFAULT 0,"
    "  orders_modified INTEGER NOT NULL DEFAULT 0,"
    "  orders_unchanged INTEGER NOT NULL DEFAULT 0,"
    "  orders_rejected INTEGER NOT NULL DEFAULT 0,"
    "  taken_at TEXT NOT NULL,"
    "  finished_at TEXT"
    ");"
    "CREATE INDEX input_files_sha ON input_files(seller, sha256);"
    "CREATE INDEX input_files_name ON input_files(name);"
    "CREATE TABLE orders ("
    "  id INTEGER PRIMARY KEY,"
    "  seller TEXT NOT NULL,"
    "  order_no TEXT NOT NULL,"
    "  hash TEXT NOT NULL," /* struct cg_order hash of the declared content */
    "  first_file INTEGER REFERENCES input_files(id),"
    "  last_file INTEGER REFERENCES input_files(id),"
    "  line INTEGER,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  UNIQUE (seller, order_no)"
    ");"
    "CREATE INDEX orders_no ON orders(order_no);"
    "CREATE TABLE documents ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  msg_type INTEGER NOT NULL,"  /* 303, 505, 603 */
    "  business_key TEXT NOT NULL," /* orderNo, logisticsNo, copNo */
    "  version INTEGER NOT NULL,"   /* current version, 1.. */
    "  guid TEXT NOT NULL,"         /* guid of the current version */
    "  app_type INTEGER NOT NULL,"
    "  content_hash TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  status TEXT," /* last returnStatus applied */
    "  status_info TEXT,"
    "  pre_no TEXT,"
    "  invt_no TEXT,"
    "  updated_at TEXT NOT NULL,"
    "  UNIQUE (order_id, msg_type)"
    ");"
    "CREATE INDEX documents_state ON documents(state);"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  document_id INTEGER NOT NULL REFERENCES documents(id),"
    "  version INTEGER NOT NULL,"
    "  guid TEXT NOT NULL UNIQUE,"
    "  msg_type INTEGER NOT NULL,"
    "  app_type INTEGER NOT NULL,"
    "  file_name TEXT NOT NULL UNIQUE,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  input_file INTEGER REFERENCES input_files(id),"
    "  staged INTEGER NOT NULL DEFAULT 1," /* 1: committed, file may still be in tmp/ */
    "  state TEXT NOT NULL,"
    "  status TEXT,"
    "  created_at TEXT NOT NULL,"
    "  sent_at TEXT,"
    "  UNIQUE (document_id, version)"
    ");"
    "CREATE INDEX messages_state ON messages(state);"
    "CREATE INDEX messages_staged ON messages(staged) WHERE staged = 1;"
    "CREATE TABLE receipts ("
    "  id INTEGER PRIMARY KEY,"
    "  received_at TEXT NOT NULL,"
    "  file_name TEXT NOT NULL,"
    "  msg_type INTEGER NOT NULL,"
    "  receipt_guid TEXT,"
    "  guid TEXT,"
    "  order_no TEXT,"
    "  status TEXT,"
    "  return_time TEXT,"
    "  return_info TEXT,"
    "  message_id INTEGER REFERENCES messages(id),"
    "  outcome TEXT NOT NULL"
    "    CHECK (outcome IN ('applied', 'duplicate', 'late', 'unknown', 'no-state'))"
    ");"
    "CREATE INDEX receipts_guid ON receipts(guid);"
    "CREATE INDEX receipts_message ON receipts(message_id);"
    "CREATE TRIGGER receipts_append_only_u BEFORE UPDATE ON receipts"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are an append-only log'); END;"
    "CREATE TRIGGER receipts_append_only_d BEFORE DELETE ON receipts"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are an append-only log'); END;"
    "CREATE TABLE receipt_files ("
    "  sha256 TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  events INTEGER NOT NULL,"
    "  received_at TEXT NOT NULL"
    ");"
    "CREATE TABLE rejections ("
    "  id INTEGER PRIMARY KEY,"
    "  input_file INTEGER REFERENCES input_files(id),"
    "  seller TEXT NOT NULL,"
    "  order_no TEXT,"
    "  line INTEGER,"
    "  reason TEXT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  UNIQUE (input_file, line, order_no)"
    ");",
    /* 3: a receipt whose type or business keys differ from the message its guid names is kept
     * as 'mismatch' and never applied. SQLite cannot change a CHECK: the log is copied. */
    "CREATE TABLE receipts_v3 ("
    "  id INTEGER PRIMARY KEY,"
    "  received_at TEXT NOT NULL,"
    "  file_name TEXT NOT NULL,"
    "  msg_type INTEGER NOT NULL,"
    "  receipt_guid TEXT,"
    "  guid TEXT,"
    "  order_no TEXT,"
    "  status TEXT,"
    "  return_time TEXT,"
    "  return_info TEXT,"
    "  message_id INTEGER REFERENCES messages(id),"
    "  outcome TEXT NOT NULL"
    "    CHECK (outcome IN ('applied', 'duplicate', 'late', 'unknown', 'no-state', 'mismatch'))"
    ");"
    "INSERT INTO receipts_v3 SELECT id, received_at, file_name, msg_type, receipt_guid, guid, "
    "  order_no, status, return_time, return_info, message_id, outcome FROM receipts;"
    "DROP TABLE receipts;"
    "ALTER TABLE receipts_v3 RENAME TO receipts;"
    "CREATE INDEX receipts_guid ON receipts(guid);"
    "CREATE INDEX receipts_message ON receipts(message_id);"
    "CREATE TRIGGER receipts_append_only_u BEFORE UPDATE ON receipts"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are an append-only log'); END;"
    "CREATE TRIGGER receipts_append_only_d BEFORE DELETE ON receipts"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are an append-only log'); END;",
    /* 4: orders the shop cancelled (or that became skipped: fully refunded, every item
     * cancelled) after their documents were sent; each needs a cancellation (CEB605).
     * done_at is set once the cancellation is declared. Input files count their orders not
     * declared because of their status. */
    "CREATE TABLE cancel_needed ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),"
    "  input_file INTEGER REFERENCES input_files(id)," /* the file that showed it */
    "  line INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('cancelled', 'skipped')),"
    "  reason TEXT NOT NULL,"
    "  noted_at TEXT NOT NULL,"
    "  done_at TEXT"
    ");"
    /* orders of the file not declared because of their status */
    "ALTER TABLE input_files ADD COLUMN orders_waiting INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE input_files ADD COLUMN orders_skipped INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE input_files ADD COLUMN orders_cancelled INTEGER NOT NULL DEFAULT 0;",
    /* 5: a line rejected by the reader without an order number was stored as order '?' (the
     * reader's stand-in in its message), so every such line of every file was one order '?'.
     * Such lines are stored with none ('') since. The rows are told apart by their reason,
     * "FILE:LINE: order ?: field NAME: ...", which only the reader writes (a document refused
     * later names a message type, never a field); each keeps its file and line. A row the
     * release between stored with none already for the same file and line (the file resumed)
     * makes the old one a duplicate. */
    "UPDATE OR IGNORE rejections SET order_no = '' WHERE order_no = '?' AND "
    "  reason LIKE '%: order ?: field %';"
    "DELETE FROM rejections WHERE order_no = '?' AND reason LIKE '%: order ?: field %';",
    /* 6: the orders each input file held, taken (declared or found unchanged) or held for their
     * status, so that the report counts an order once however many of a day's files held it.
     * The files taken before have no such rows: orders_listed = 0, and their own counts stand
     * for them. */
    "CREATE TABLE file_orders ("
    "  input_file INTEGER NOT NULL REFERENCES input_files(id),"
    "  seller TEXT NOT NULL,"
    "  order_no TEXT NOT NULL,"
    "  held INTEGER NOT NULL CHECK (held IN (0, 1))," /* 1: not declared for its status */
    "  PRIMARY KEY (input_file, held, seller, order_no)"
    ") WITHOUT ROWID;"
    "ALTER TABLE input_files ADD COLUMN orders_listed INTEGER NOT NULL DEFAULT 1;"
    "UPDATE input_files SET orders_listed = 0;",
    /* 7: the files settle/ and refund/ take from incoming/ (statements, payout reports, invoice
     * and result files), by seller ('' for incoming/ itself) and name as dropped, with the latest
     * outcome of each: 'failed' with the reason it was refused whole, 'done' once imported (or
     * found imported before). They are not order files: input_files keeps its meaning (the
     * last run's counts, duplicates by SHA-256, the orders of each file), and the report's list
     * of files refused whole reads both tables, each seller and name by its latest outcome. */
    "CREATE TABLE intake_files ("
    "  seller TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL," /* what the file is, in words: 'bank statement (camt.053)' */
    "  outcome TEXT NOT NULL CHECK (outcome IN ('done', 'failed')),"
    "  reason TEXT,"
    "  at TEXT NOT NULL,"
    "  PRIMARY KEY (seller, name)"
    ");",
    /* 8: refusals an operator dismissed (`cebgate dismiss`): a file refused whole that is not
     * to be taken again under its name (its corrected copy came under another name, or it is
     * not to be declared at all). Each row covers one refusal, the seller and name's latest
     * outcome when it was dismissed, known by its time (input_files.taken_at of an order file,
     * intake_files.at of another file): a later refusal of the same seller and name has a
     * time of its own and is listed again. Who is the user that ran the command; reason is the
     * operator's own words. The file stays in failed/. */
    "CREATE TABLE refusal_dismissals ("
    "  seller TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  refused_at TEXT NOT NULL,"
    "  kind TEXT NOT NULL," /* 'order file', or intake_files.kind */
    "  dismissed_at TEXT NOT NULL,"
    "  dismissed_by TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  PRIMARY KEY (seller, name, refused_at)"
    ");",
    /* 9: documents customs refused after the E-Port stored them (100) that an operator marked
     * to go out again (`cebgate resend`): once the cause outside the document is fixed (the
     * seller's configuration, a code table, a registration at customs), the same content is
     * worth sending again. One row per document and refused version, with when, who (the user
     * that ran the command) and why (the operator's words). The mark is open while that version
     * is the document's current one and rejected (STORE_DOC_RESEND); the next version declared
     * closes it, and the row stays as the record. */
    "CREATE TABLE resend_marks ("
    "  document_id INTEGER NOT NULL REFERENCES documents(id),"
    "  version INTEGER NOT NULL,"
    "  marked_at TEXT NOT NULL,"
    "  marked_by TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  PRIMARY KEY (document_id, version)"
    ") WITHOUT ROWID;",
    /* 10: a run counts an order once however many of its files held it, rejected it or held it
     * back for its status (docs/spool.md, "Operator view"): for each order rejected or held, and
     * for each order taken once the run rejected or held one, it looks up what the other files
     * did with it, by seller and number, in file_orders and rejections. The status an order was
     * held for (enum cg_order_status: waiting, skipped, cancelled) is kept with its row, so that
     * the run can move an order a later file took out of the count it was held in; NULL for a
     * taken order and for rows written before. */
    "CREATE INDEX file_orders_order ON file_orders(seller, order_no);"
    "CREATE INDEX rejections_order ON rejections(seller, order_no);"
    "ALTER TABLE file_orders ADD COLUMN status INTEGER;",
    /* 11: `status --pending` counts the orders declared without shipment data and those held
     * for their status (`--incomplete`, `--held`) with the pending documents. Without these,
     * the first read every document through the table (a CEB303 not rejected, then whether its
     * order has a CEB603) and the second every row of file_orders (held is the second column of
     * its key). The CEB303s not rejected, by order, and the held rows, with what the list reads
     * of them, are their own indexes. And the waybills (CEB505) by their number, below. */
    "CREATE INDEX documents_303 ON documents(order_id) WHERE msg_type = 303 AND "
    "  state <> 'rejected';"
    "CREATE INDEX file_orders_held ON file_orders(seller, order_no, input_file, status) "
    "  WHERE held = 1;"
    /* A run refuses an order whose waybill number another order's waybill (CEB505) holds
     * already, which the E-Port would refuse (4002): the waybills by that number. */
    "CREATE INDEX documents_waybill ON documents(business_key) WHERE msg_type = 505;"
    /* What the document was declared with beside its business key, written with each version:
     * a waybill's carrier (logisticsCode: the E-Port keys a waybill on the carrier and the
     * number), an inventory's route (statisticsFlag A or B: the monthly summary takes route B
     * only, by the flag each inventory was declared with). NULL for versions declared before. */
    "ALTER TABLE documents ADD COLUMN carrier TEXT;"
    "ALTER TABLE documents ADD COLUMN route TEXT;",
    /* 12: the sellers whose files wait for their configuration (docs/spool.md, "A seller held
     * for its configuration"), as the last complete pass over incoming/ found them: the reason
     * the run gave, when a pass first and last found the seller held, and how many of its files
     * wait. The morning report reads them, as it reads nothing else of a run's output. A pass
     * that holds no file of a seller deletes its row. */
    "CREATE TABLE seller_holds ("
    "  seller TEXT PRIMARY KEY,"
    "  reason TEXT NOT NULL,"
    "  since TEXT NOT NULL,"
    "  seen TEXT NOT NULL,"
    "  files INTEGER NOT NULL"
    ") WITHOUT ROWID;",
};

const struct cg_store_schema cg_store_schema_spool = {
    "cebgate",
    main_steps,
    (int)(sizeof(main_steps) / sizeof(main_steps[0])),
};
