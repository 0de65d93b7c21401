/*
 * store-refund-schema.c - the schema of refund/ ("refund"): the migration steps of the rf_*
 * tables that store-refund.c reads and writes, registered in store-modules.c.
 *
 * Data only; steps are only ever appended. Amounts are int64 fen, quantities thousandths of
 * the unit, rates millionths, days YYYY-MM-DD, times UTC ISO-8601. The triggers keep two
 * invariants in the database itself: an invoice line is never allocated beyond its quantity
 * or its amount (no invoice used twice), and the event log is append-only.
 */
#include "config.h"

#include "store/store-int.h"

/* 1: units, rates, invoices, allocations, batches, imported files, events. */
static const char refund_step_1[] =
    "CREATE TABLE rf_unit ("
    "  id INTEGER PRIMARY KEY,"
    "  entry_id TEXT NOT NULL,"
    "  item_no INTEGER NOT NULL,"
    "  invt_nos TEXT NOT NULL DEFAULT '',"
    "  order_no TEXT NOT NULL DEFAULT '',"
    "  trade_mode TEXT NOT NULL,"
    "  route TEXT NOT NULL DEFAULT '',"
    "  export_on TEXT NOT NULL,"
    "  hs TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  spec TEXT NOT NULL DEFAULT '',"
    "  unit TEXT NOT NULL,"
    "  qty_m INTEGER NOT NULL CHECK (qty_m > 0),"
    "  value_fen INTEGER NOT NULL CHECK (value_fen >= 0),"
    "  expected_fen INTEGER NOT NULL DEFAULT 0,"
    "  regime TEXT NOT NULL CHECK (regime IN ('REFUND', 'EXEMPT_WITH_DOCS',"
    "    'EXEMPT_NO_INVOICE_103', 'TAXABLE', 'NOT_ELIGIBLE_SIMPLIFIED')),"
    "  state TEXT NOT NULL,"
    "  cleared_on TEXT NOT NULL DEFAULT '',"
    "  fx_ok INTEGER NOT NULL DEFAULT 0,"
    "  has_rate INTEGER NOT NULL DEFAULT 0,"
    "  refund_ppm INTEGER NOT NULL DEFAULT 0,"
    "  vat_ppm INTEGER NOT NULL DEFAULT 0,"
    "  rate_from TEXT NOT NULL DEFAULT '',"
    "  refund_fen INTEGER NOT NULL DEFAULT 0,"
    "  approved_fen INTEGER NOT NULL DEFAULT 0,"
    "  refunded_fen INTEGER NOT NULL DEFAULT 0,"
    "  clawback_fen INTEGER NOT NULL DEFAULT 0,"
    "  clawback_paid_fen INTEGER NOT NULL DEFAULT 0,"
    "  returned_qty_m INTEGER NOT NULL DEFAULT 0,"
    "  period TEXT NOT NULL DEFAULT '',"
    "  batch_id INTEGER REFERENCES rf_batch(id),"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  missing TEXT NOT NULL DEFAULT '',"
    "  refunded_on TEXT NOT NULL DEFAULT '',"
    "  soft_deadline TEXT NOT NULL,"
    "  hard_deadline TEXT NOT NULL,"
    "  soft_fired INTEGER NOT NULL DEFAULT 0,"
    "  late_ok INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  UNIQUE (entry_id, item_no),"
    "  CHECK (refunded_fen <= approved_fen AND clawback_fen <= refunded_fen"
    "    AND clawback_paid_fen <= clawback_fen)"
    ");"
    "CREATE INDEX rf_unit_batch ON rf_unit(batch_id);"
    "CREATE TABLE rf_rate ("
    "  hs TEXT NOT NULL,"
    "  valid_from TEXT NOT NULL,"
    "  valid_to TEXT NOT NULL DEFAULT '',"
    "  refund_ppm INTEGER NOT NULL CHECK (refund_ppm BETWEEN 0 AND 1000000),"
    "  vat_ppm INTEGER NOT NULL CHECK (vat_ppm BETWEEN 0 AND 1000000),"
    "  flag TEXT NOT NULL DEFAULT '',"
    "  loaded_at TEXT NOT NULL,"
    "  PRIMARY KEY (hs, valid_from)"
    ");"
    "CREATE TABLE rf_file ("
    "  kind TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  rows INTEGER NOT NULL,"
    "  imported_at TEXT NOT NULL,"
    "  PRIMARY KEY (kind, sha256)"
    ");"
    "CREATE TABLE rf_invline ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL,"
    "  number TEXT NOT NULL,"
    "  line_no INTEGER NOT NULL,"
    "  issued_on TEXT NOT NULL,"
    "  seller_tax_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  spec TEXT NOT NULL DEFAULT '',"
    "  unit TEXT NOT NULL,"
    "  hs TEXT NOT NULL DEFAULT '',"
    "  qty_m INTEGER NOT NULL CHECK (qty_m > 0),"
    "  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),"
    "  vat_ppm INTEGER NOT NULL,"
    "  vat_fen INTEGER NOT NULL CHECK (vat_fen >= 0),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (code, number, line_no)"
    ");"
    "CREATE TABLE rf_alloc ("
    "  id INTEGER PRIMARY KEY,"
    "  line_id INTEGER NOT NULL REFERENCES rf_invline(id),"
    "  unit_id INTEGER NOT NULL REFERENCES rf_unit(id),"
    "  qty_m INTEGER NOT NULL CHECK (qty_m > 0),"
    "  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),"
    "  vat_fen INTEGER NOT NULL CHECK (vat_fen >= 0),"
    "  cause TEXT NOT NULL,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE INDEX rf_alloc_unit ON rf_alloc(unit_id);"
    "CREATE INDEX rf_alloc_line ON rf_alloc(line_id);"
    "CREATE TRIGGER rf_alloc_bound BEFORE INSERT ON rf_alloc BEGIN"
    "  SELECT RAISE(ABORT, 'allocation exceeds the invoice line') FROM rf_invline l"
    "   WHERE l.id = NEW.line_id AND ("
    "    NEW.qty_m + (SELECT coalesce(sum(qty_m), 0) FROM rf_alloc WHERE line_id = l.id) > l.qty_m"
    "    OR NEW.amount_fen + (SELECT coalesce(sum(amount_fen), 0) FROM rf_alloc"
    "       WHERE line_id = l.id) > l.amount_fen);"
    "END;"
    "CREATE TRIGGER rf_alloc_append_only_u BEFORE UPDATE ON rf_alloc"
    "  BEGIN SELECT RAISE(ABORT, 'allocations are refused changes'); END;"
    "CREATE TRIGGER rf_alloc_append_only_d BEFORE DELETE ON rf_alloc"
    "  BEGIN SELECT RAISE(ABORT, 'allocations are refused removal'); END;"
    "CREATE TABLE rf_batch ("
    "  id INTEGER PRIMARY KEY,"
    "  period TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  created_on TEXT NOT NULL,"
    "  units INTEGER NOT NULL DEFAULT 0,"
    "  refund_fen INTEGER NOT NULL DEFAULT 0,"
    "  export_csv TEXT NOT NULL DEFAULT '',"
    "  purchase_csv TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TABLE rf_event ("
    "  id INTEGER PRIMARY KEY,"
    "  unit_id INTEGER REFERENCES rf_unit(id),"
    "  batch_id INTEGER REFERENCES rf_batch(id),"
    "  from_state TEXT,"
    "  to_state TEXT,"
    "  cause_kind TEXT NOT NULL CHECK (cause_kind IN ('RECEIPT', 'OPERATOR', 'TIMER',"
    "    'TAXFILE', 'IMPORT')),"
    "  cause_ref TEXT NOT NULL,"
    "  detail TEXT,"
    "  occurred_on TEXT NOT NULL,"
    "  recorded_at TEXT NOT NULL"
    ");"
    "CREATE INDEX rf_event_unit ON rf_event(unit_id);"
    "CREATE TRIGGER rf_event_append_only_u BEFORE UPDATE ON rf_event"
    "  BEGIN SELECT RAISE(ABORT, 'events are an append-only log: change refused'); END;"
    "CREATE TRIGGER rf_event_append_only_d BEFORE DELETE ON rf_event"
    "  BEGIN SELECT RAISE(ABORT, 'events are an append-only log: removal refused'); END;";

/* 2: the supporting documents of a filing (备案单证: due, archived, kept until) and the lines
 * of export returns (CEB213 accepted by customs) applied to units, each once. */
static const char refund_step_2[] =
    "ALTER TABLE rf_unit ADD COLUMN archive_due TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE rf_unit ADD COLUMN archived_on TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE rf_unit ADD COLUMN keep_until TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE rf_unit ADD COLUMN archive_fired INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rf_unit ADD COLUMN filed_qty_m INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE rf_return ("
    "  return_guid TEXT NOT NULL,"
    "  gnum INTEGER NOT NULL,"
    "  unit_id INTEGER NOT NULL REFERENCES rf_unit(id),"
    "  qty_m INTEGER NOT NULL CHECK (qty_m > 0),"
    "  returned_on TEXT NOT NULL,"
    "  recorded_at TEXT NOT NULL,"
    "  PRIMARY KEY (return_guid, gnum)"
    ");";

/* 3: the seller of a unit's order ("" when not known: the order is then found in settle/ by
 * its number alone), and what kept settle/'s collection from being matched to the unit (an
 * order number of several sellers), "" when nothing does. */
static const char refund_step_3[] =
    "ALTER TABLE rf_unit ADD COLUMN seller TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE rf_unit ADD COLUMN fx_note TEXT NOT NULL DEFAULT '';";

/* 4: what the exporter repaid beyond what the rule asks once a reversed collection is restored
 * in settle/, owed back by the tax office: part of clawback and repaid until reclaimed. */
static const char refund_step_4[] =
    "ALTER TABLE rf_unit ADD COLUMN overpaid_fen INTEGER NOT NULL DEFAULT 0"
    "  CHECK (overpaid_fen >= 0 AND overpaid_fen <= clawback_paid_fen);";

/* 5: the payments of an approved refund, which the tax office may pay in parts: each once, by
 * its day, amount and reference ("" when none), so a command or result row given again is
 * not counted twice. */
static const char refund_step_5[] = "CREATE TABLE rf_payment ("
                                    "  unit_id INTEGER NOT NULL REFERENCES rf_unit(id),"
                                    "  paid_on TEXT NOT NULL,"
                                    "  amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),"
                                    "  ref TEXT NOT NULL DEFAULT '',"
                                    "  recorded_at TEXT NOT NULL,"
                                    "  PRIMARY KEY (unit_id, paid_on, amount_fen, ref)"
                                    ");";

static const char *const refund_steps[] = {
    refund_step_1, refund_step_2, refund_step_3, refund_step_4, refund_step_5,
};

const struct cg_store_schema cg_store_schema_refund = {
    "refund",
    refund_steps,
    (int)(sizeof(refund_steps) / sizeof(refund_steps[0])),
};
