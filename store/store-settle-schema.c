/*
 * store-settle-schema.c - the schema of settle/ ("settle"): the migration steps of the fx_*
 * tables that store-settle.c reads and writes, registered in store-modules.c after the spool's
 * (fx_declared refers to the spool's orders).
 *
 * Data only. The module's version is its row in the store's bookkeeping table, not the
 * database's own version number. Steps are only ever appended. Amounts are int64 minor units of
 * the currency beside them, rates decimal text, days YYYY-MM-DD, times UTC ISO-8601. The
 * triggers keep the two money invariants in the database itself: a receipt is never
 * allocated beyond what it holds, and no currency is settled beyond what is held.
 */
#include "config.h"

#include "store/store-int.h"

/*
 * The columns of fx_allocation after its kind, and its indexes: the table of step 1, built again
 * by step 7 under its own name, then renamed (the indexes are made after the rename).
 */
#define FX_ALLOCATION_COLUMNS                                                                      \
    "  amount_rcpt INTEGER NOT NULL CHECK (amount_rcpt > 0),"                                      \
    "  amount_order INTEGER," /* NULL while a cross-currency allocation waits for rates */         \
    "  cny INTEGER NOT NULL DEFAULT 0,"                                                            \
    "  rate_rcpt TEXT,"                                                                            \
    "  rate_order TEXT,"                                                                           \
    "  rate_source TEXT,"                                                                          \
    "  rate_date TEXT,"                                                                            \
    "  cross_ccy INTEGER NOT NULL DEFAULT 0,"                                                      \
    "  cause TEXT NOT NULL,"                                                                       \
    "  created_at TEXT NOT NULL,"                                                                  \
    "  removed_at TEXT"                                                                            \
    ");"
#define FX_ALLOCATION_INDEXES                                                                      \
    "CREATE INDEX fx_allocation_order ON fx_allocation(order_id);"                                 \
    "CREATE INDEX fx_allocation_receipt ON fx_allocation(receipt_id);"
#define FX_ALLOCATION_REST FX_ALLOCATION_COLUMNS FX_ALLOCATION_INDEXES

/* 1: the fx_* tables, their indexes and the triggers that keep the money invariants. */
static const char settle_step_1[] =
    /* Declared amount of each order, written with the order by the spool. */
    "CREATE TABLE fx_declared ("
    "  order_id INTEGER PRIMARY KEY REFERENCES orders(id),"
    "  currency TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount >= 0),"
    "  updated_at TEXT NOT NULL"
    ");"
    "CREATE TABLE fx_statement ("
    "  id INTEGER PRIMARY KEY,"
    "  seller TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('csv', 'camt.053', 'camt.054', 'payout')),"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  stmt_id TEXT,"
    "  entries INTEGER NOT NULL,"
    "  imported_at TEXT NOT NULL"
    ");"
    "CREATE TABLE fx_receipt ("
    "  id INTEGER PRIMARY KEY,"
    "  statement_id INTEGER NOT NULL REFERENCES fx_statement(id),"
    "  seller TEXT NOT NULL,"
    "  entry_key TEXT NOT NULL UNIQUE,"
    "  line INTEGER NOT NULL,"
    "  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
    "  currency TEXT NOT NULL,"
    "  gross INTEGER NOT NULL CHECK (gross >= 0),"
    "  fee INTEGER NOT NULL CHECK (fee >= 0),"
    "  net INTEGER NOT NULL CHECK (net >= 0 AND net = gross - fee),"
    "  booked_on TEXT NOT NULL,"
    "  value_on TEXT NOT NULL,"
    "  reference TEXT,"
    "  remitter TEXT,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TRIGGER fx_receipt_append_only_u BEFORE UPDATE ON fx_receipt"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;"
    "CREATE TRIGGER fx_receipt_append_only_d BEFORE DELETE ON fx_receipt"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;"
    "CREATE TABLE fx_receipt_line ("
    "  receipt_id INTEGER NOT NULL REFERENCES fx_receipt(id),"
    "  line_no INTEGER NOT NULL,"
    "  order_ref TEXT,"
    "  pay_ref TEXT,"
    "  gross INTEGER NOT NULL,"
    "  fee INTEGER NOT NULL,"
    "  net INTEGER NOT NULL,"
    "  PRIMARY KEY (receipt_id, line_no)"
    ");"
    "CREATE TABLE fx_allocation ("
    "  id INTEGER PRIMARY KEY,"
    "  receipt_id INTEGER NOT NULL REFERENCES fx_receipt(id),"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('PRINCIPAL', 'FEE_NETTED', "
    "'REFUND_OUT'))," FX_ALLOCATION_REST
    "CREATE TRIGGER fx_allocation_bound BEFORE INSERT ON fx_allocation BEGIN"
    "  SELECT RAISE(ABORT, 'allocation exceeds the receipt') FROM fx_receipt r"
    "   WHERE r.id = NEW.receipt_id AND ("
    "    (NEW.kind = 'REFUND_OUT') <> (r.direction = 'out')"
    "    OR (NEW.kind = 'FEE_NETTED' AND NEW.amount_rcpt + (SELECT coalesce(sum(amount_rcpt), 0)"
    "        FROM fx_allocation WHERE receipt_id = r.id AND kind = 'FEE_NETTED'"
    "        AND removed_at IS NULL) > r.fee)"
    "    OR (NEW.kind <> 'FEE_NETTED' AND NEW.amount_rcpt + (SELECT coalesce(sum(amount_rcpt), 0)"
    "        FROM fx_allocation WHERE receipt_id = r.id AND kind <> 'FEE_NETTED'"
    "        AND removed_at IS NULL) > r.net));"
    "END;"
    "CREATE TABLE fx_adjust ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('RETURNED', 'FX_DIFF', 'FREIGHT', 'DEEMED',"
    "    'UNCOLLECTIBLE', 'TRADE_CREDIT_FILED')),"
    "  amount INTEGER NOT NULL DEFAULT 0,"
    "  note TEXT NOT NULL,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE INDEX fx_adjust_order ON fx_adjust(order_id);"
    "CREATE TABLE fx_settlement ("
    "  id INTEGER PRIMARY KEY,"
    "  currency TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  cny INTEGER NOT NULL,"
    "  rate TEXT NOT NULL,"
    "  settled_on TEXT NOT NULL,"
    "  reference TEXT UNIQUE,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TRIGGER fx_settlement_bound BEFORE INSERT ON fx_settlement BEGIN"
    "  SELECT RAISE(ABORT, 'settlement exceeds the holding')"
    "   WHERE NEW.amount > (SELECT coalesce(sum(CASE direction WHEN 'in' THEN net ELSE -net END), "
    "0)"
    "     FROM fx_receipt WHERE currency = NEW.currency)"
    "    - (SELECT coalesce(sum(amount), 0) FROM fx_settlement WHERE currency = NEW.currency);"
    "END;"
    "CREATE TABLE fx_rate ("
    "  currency TEXT NOT NULL,"
    "  on_date TEXT NOT NULL,"
    "  rate TEXT NOT NULL," /* CNY for one unit of the currency */
    "  source TEXT NOT NULL,"
    "  PRIMARY KEY (currency, on_date)"
    ");"
    "CREATE TABLE fx_timer ("
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  kind TEXT NOT NULL,"
    "  fired_on TEXT NOT NULL,"
    "  PRIMARY KEY (order_id, kind)"
    ");"
    "CREATE TABLE fx_event ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER REFERENCES orders(id),"
    "  receipt_id INTEGER REFERENCES fx_receipt(id),"
    "  from_state TEXT,"
    "  to_state TEXT,"
    "  cause_kind TEXT NOT NULL CHECK (cause_kind IN ('BANKFILE', 'OPERATOR', 'TIMER')),"
    "  cause_ref TEXT NOT NULL,"
    "  detail TEXT,"
    "  occurred_on TEXT NOT NULL,"
    "  recorded_at TEXT NOT NULL"
    ");"
    "CREATE INDEX fx_event_order ON fx_event(order_id);"
    "CREATE TRIGGER fx_event_append_only_u BEFORE UPDATE ON fx_event"
    "  BEGIN SELECT RAISE(ABORT, 'events are an append-only log'); END;"
    "CREATE TRIGGER fx_event_append_only_d BEFORE DELETE ON fx_event"
    "  BEGIN SELECT RAISE(ABORT, 'events are an append-only log'); END;";

/*
 * 2: the payment number (payNo) of the order file beside the declared amount, so that a
 * statement naming the payment instead of the order is matched.
 */
static const char settle_step_2[] =
    "ALTER TABLE fx_declared ADD COLUMN pay_no TEXT;"
    "CREATE INDEX fx_declared_pay_no ON fx_declared(pay_no) WHERE pay_no IS NOT NULL;";

/*
 * 3: the payment record of each order as collected (cg_store_fx_payment_put), its revision and
 * the revision the spool last declared as the order's CEB403; the partial index keeps the
 * spool's look for changed records to the changed ones.
 */
static const char settle_step_3[] =
    "CREATE TABLE fx_payment ("
    "  order_id INTEGER PRIMARY KEY REFERENCES orders(id),"
    "  currency TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount >= 0),"
    "  pay_no TEXT,"
    "  paid_on TEXT,"
    "  rev INTEGER NOT NULL,"
    "  declared_rev INTEGER NOT NULL DEFAULT 0,"
    "  updated_at TEXT NOT NULL"
    ");"
    "CREATE INDEX fx_payment_due ON fx_payment(order_id) WHERE rev > declared_rev;";

/*
 * 4: a bank entry is the bank's (account and reference), whoever imported it: the index finds
 * it by the part of the key after the seller ("camt:SELLER:ACCOUNT:REF", the seller's part ending
 * at its first colon: settle/ writes ':' in a seller or account as "%3A"), so a statement imported
 * without a seller and again through a seller's folder, or for two sellers sharing the account,
 * records each entry once.
 */
static const char settle_step_4[] = "CREATE INDEX fx_receipt_bank ON fx_receipt("
                                    "substr(entry_key, 6 + instr(substr(entry_key, 6), ':'))) "
                                    "WHERE substr(entry_key, 1, 5) = 'camt:';";

/*
 * 5: the same for payout reports and collections CSV ("payout:SELLER::ID", "csv:SELLER::ID"), so
 * that an entry imported without a seller is found when imported for one, and the other way
 * round.
 */
static const char settle_step_5[] = "CREATE INDEX fx_receipt_csv ON fx_receipt("
                                    "substr(entry_key, 5 + instr(substr(entry_key, 5), ':'))) "
                                    "WHERE substr(entry_key, 1, 4) = 'csv:';"
                                    "CREATE INDEX fx_receipt_payout ON fx_receipt("
                                    "substr(entry_key, 8 + instr(substr(entry_key, 8), ':'))) "
                                    "WHERE substr(entry_key, 1, 7) = 'payout:';";

/*
 * 6: keys recorded before settle/ wrote a seller's ':' and '%' as "%3A" and "%25" take that
 * form, so that an entry recorded then is known when imported again. The old key is the kind,
 * the seller as it is (the receipt's seller column), then the rest; a key already in the new
 * form (recorded since) starts otherwise and is left alone. When the same entry was recorded
 * again in the new form before this step, both receipts stay and the old one keeps its key (OR
 * IGNORE): receipts are never removed. The account part of a bank entry is not rewritten: it is
 * not recorded apart from the key, and a bank's account number holds neither character.
 */
static const char settle_step_6[] =
    "DROP TRIGGER fx_receipt_append_only_u;"
    "UPDATE OR IGNORE fx_receipt"
    "  SET entry_key = substr(entry_key, 1, instr(entry_key, ':'))"
    "    || replace(replace(seller, '%', '%25'), ':', '%3A')"
    "    || substr(entry_key, instr(entry_key, ':') + length(seller) + 1)"
    "  WHERE (instr(seller, ':') > 0 OR instr(seller, '%') > 0)"
    "    AND substr(entry_key, instr(entry_key, ':') + 1, length(seller) + 1) = seller || ':';"
    "CREATE TRIGGER fx_receipt_append_only_u BEFORE UPDATE ON fx_receipt"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;";

/*
 * 7: an allocation may be a fee given back (FEE_REVERSED): the fee of an outgoing receipt, what
 * the platform returns of its fee with a refund line of a payout. It takes back what the fee
 * netted counted as collected, and is bounded by the receipt's fee as FEE_NETTED is by an
 * incoming one's. SQLite cannot change a CHECK in place: the table is built again with its rows,
 * its indexes and its trigger (nothing refers to it).
 */
static const char settle_step_7[] =
    "CREATE TABLE fx_allocation_7 ("
    "  id INTEGER PRIMARY KEY,"
    "  receipt_id INTEGER NOT NULL REFERENCES fx_receipt(id),"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('PRINCIPAL', 'FEE_NETTED', 'REFUND_OUT',"
    "    'FEE_REVERSED'))," FX_ALLOCATION_COLUMNS
    "INSERT INTO fx_allocation_7 SELECT id, receipt_id, order_id, kind, amount_rcpt, amount_order,"
    "  cny, rate_rcpt, rate_order, rate_source, rate_date, cross_ccy, cause, created_at,"
    "  removed_at FROM fx_allocation;"
    "DROP TABLE fx_allocation;"
    "ALTER TABLE fx_allocation_7 RENAME TO fx_allocation;" FX_ALLOCATION_INDEXES
    "CREATE TRIGGER fx_allocation_bound BEFORE INSERT ON fx_allocation BEGIN"
    "  SELECT RAISE(ABORT, 'allocation exceeds the receipt') FROM fx_receipt r"
    "   WHERE r.id = NEW.receipt_id AND ("
    "    (NEW.kind IN ('REFUND_OUT', 'FEE_REVERSED')) <> (r.direction = 'out')"
    "    OR (NEW.kind IN ('FEE_NETTED', 'FEE_REVERSED') AND NEW.amount_rcpt"
    "        + (SELECT coalesce(sum(amount_rcpt), 0) FROM fx_allocation WHERE receipt_id = r.id"
    "        AND kind IN ('FEE_NETTED', 'FEE_REVERSED') AND removed_at IS NULL) > r.fee)"
    "    OR (NEW.kind IN ('PRINCIPAL', 'REFUND_OUT') AND NEW.amount_rcpt"
    "        + (SELECT coalesce(sum(amount_rcpt), 0) FROM fx_allocation WHERE receipt_id = r.id"
    "        AND kind IN ('PRINCIPAL', 'REFUND_OUT') AND removed_at IS NULL) > r.net));"
    "END;";

/*
 * 8: statements may be SWIFT MT940 ('mt940'). SQLite cannot change a CHECK constraint, so
 * fx_statement is written again with the wider one: its rows are copied aside, the table
 * dropped and made again, the rows put back. fx_receipt refers to it, so the check of foreign
 * keys waits for the end of the transaction, when every statement is back.
 */
static const char settle_step_8[] =
    "PRAGMA defer_foreign_keys = ON;"
    "CREATE TEMP TABLE fx_statement_copy AS SELECT * FROM fx_statement;"
    "DROP TABLE fx_statement;"
    "CREATE TABLE fx_statement ("
    "  id INTEGER PRIMARY KEY,"
    "  seller TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('csv', 'camt.053', 'camt.054', 'payout', 'mt940')),"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  stmt_id TEXT,"
    "  entries INTEGER NOT NULL,"
    "  imported_at TEXT NOT NULL"
    ");"
    "INSERT INTO fx_statement SELECT id, seller, kind, name, sha256, stmt_id, entries, imported_at"
    "  FROM temp.fx_statement_copy;"
    "DROP TABLE temp.fx_statement_copy;";

/*
 * 9: the account of a camt statement naming Acct/Id/Othr is the text of Othr/Id; before, it was
 * the text of the whole Othr element, trimmed, so an Othr with a scheme (SchmeNm) or an issuer
 * (Issr) beside its Id gave "12345678\n  BBAN": the entry was not known when its statement came
 * again, nor as its MT940 twin (:25:12345678), and its money counted twice. The keys recorded
 * from camt files whose account part holds whitespace take the account's first word, the Id
 * (Othr's first element); an IBAN (written without spaces in camt) or a one-element Othr gave
 * none, and the account of an MT940 statement is its :25: as it stands. The seller's part
 * is matched as settle/ writes it ('%' as %25, ':' as %3A, step 6), the reference after the
 * account is kept as it is. A receipt whose new key is already recorded (its MT940 twin, say)
 * keeps its old key, and of several old keys that become one the receipt recorded first takes
 * it, the others keep theirs: receipts are never removed, the operator unmatches one. The
 * payment number of a payment record (fx_payment.pay_no) is the key's reference, which does not
 * change.
 */
/* The key's start, "camt:SELLER:", the seller written as settle/ writes it (step 6). */
#define SETTLE_9_HEAD "('camt:' || replace(replace(r.seller, '%', '%25'), ':', '%3A') || ':')"
static const char settle_step_9[] =
    "CREATE TEMP TABLE fx_receipt_othr AS"
    "  SELECT id, head || substr(acct, 1, ws - 1) || tail AS new_key FROM ("
    "    SELECT id, head, acct, tail,"
    "      min(coalesce(nullif(instr(acct, ' '), 0), 1000000000),"
    "        coalesce(nullif(instr(acct, char(9)), 0), 1000000000),"
    "        coalesce(nullif(instr(acct, char(10)), 0), 1000000000),"
    "        coalesce(nullif(instr(acct, char(13)), 0), 1000000000)) AS ws FROM ("
    "      SELECT id, head, substr(rest, 1, instr(rest, ':') - 1) AS acct,"
    "        substr(rest, instr(rest, ':')) AS tail FROM ("
    "        SELECT r.id, " SETTLE_9_HEAD " AS head,"
    "          substr(r.entry_key, length(" SETTLE_9_HEAD ") + 1) AS rest"
    "          FROM fx_receipt r JOIN fx_statement s ON s.id = r.statement_id"
    "          WHERE s.kind IN ('camt.053', 'camt.054')"
    "            AND substr(r.entry_key, 1, length(" SETTLE_9_HEAD ")) = " SETTLE_9_HEAD ")))"
    "  WHERE instr(tail, ':') = 1 AND ws BETWEEN 2 AND 999999999;"
    "DROP TRIGGER fx_receipt_append_only_u;"
    "UPDATE fx_receipt"
    "  SET entry_key = (SELECT n.new_key FROM temp.fx_receipt_othr n WHERE n.id = fx_receipt.id)"
    "  WHERE id IN (SELECT n.id FROM temp.fx_receipt_othr n"
    "    WHERE NOT EXISTS (SELECT 1 FROM fx_receipt o WHERE o.entry_key = n.new_key)"
    "      AND n.id = (SELECT min(m.id) FROM temp.fx_receipt_othr m WHERE m.new_key = n.new_key));"
    "CREATE TRIGGER fx_receipt_append_only_u BEFORE UPDATE ON fx_receipt"
    "  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;"
    "DROP TABLE temp.fx_receipt_othr;";

/*
 * 10: an outgoing bank entry the bank codes as its own charge (camt BkTxCd sub-family CHRG,
 * FEES or COMM; MT940 transaction type CHG or COM) is marked charge = 1: money the bank took,
 * not a refund to a buyer. Entries recorded before keep 0.
 */
static const char settle_step_10[] =
    "ALTER TABLE fx_receipt ADD COLUMN charge INTEGER NOT NULL DEFAULT 0 CHECK (charge IN (0, 1));";

/*
 * 11: the operator's record that an outgoing bank entry is the bank's charge (`settle charge`),
 * for an entry recorded as money out before the charge words, or with other words: the receipt
 * itself never changes, so the record is a row of its own, with who made it, the day it counts
 * from, why and when. A receipt is a charge when its charge is 1 or it has such a row. The trigger
 * keeps the rule in the database: only a bank's outgoing entry (key "camt:", camt or MT940), not
 * a charge already, with no live allocation, may become one; one row per receipt, never changed.
 */
static const char settle_step_11[] =
    "CREATE TABLE fx_receipt_charge ("
    "  receipt_id INTEGER PRIMARY KEY REFERENCES fx_receipt(id),"
    "  marked_by TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  marked_on TEXT NOT NULL,"
    "  recorded_at TEXT NOT NULL"
    ");"
    "CREATE TRIGGER fx_receipt_charge_bound BEFORE INSERT ON fx_receipt_charge BEGIN"
    "  SELECT RAISE(ABORT, 'a charge must be a bank debit with nothing allocated') FROM fx_receipt "
    "r"
    "   WHERE r.id = NEW.receipt_id AND (r.direction <> 'out' OR r.charge = 1"
    "    OR substr(r.entry_key, 1, 5) <> 'camt:'"
    "    OR EXISTS (SELECT 1 FROM fx_allocation a WHERE a.receipt_id = r.id"
    "      AND a.removed_at IS NULL));"
    "END;"
    "CREATE TRIGGER fx_receipt_charge_append_only_u BEFORE UPDATE ON fx_receipt_charge"
    "  BEGIN SELECT RAISE(ABORT, 'charge records are immutable'); END;"
    "CREATE TRIGGER fx_receipt_charge_append_only_d BEFORE DELETE ON fx_receipt_charge"
    "  BEGIN SELECT RAISE(ABORT, 'charge records are immutable'); END;";

/*
 * 12: what the buyer was charged for the order (pay_charge of the order file's payment, minor
 * units of the declared currency), beside the declared amount: what the order expects when
 * given. NULL for an order whose file gave no payment, and for those recorded before (they
 * expect the declared amount until a later file of the order records them again).
 */
static const char settle_step_12[] = "ALTER TABLE fx_declared ADD COLUMN pay_charge INTEGER "
                                     "CHECK (pay_charge IS NULL OR pay_charge >= 0);";

/*
 * 13: what the shop refunded of the charge (pay_refunded of the order file's payment, such as
 * Shopify's Refunded Amount: a gift card, shipping or a tip given back as well as goods), minor
 * units of the declared currency. The order then expects the charge less it. 0 for the orders
 * recorded before, and for those without a charge, until a later file of the order gives it.
 */
static const char settle_step_13[] =
    "ALTER TABLE fx_declared ADD COLUMN pay_refunded INTEGER NOT NULL DEFAULT 0 "
    "CHECK (pay_refunded >= 0 AND (pay_charge IS NULL OR pay_refunded <= pay_charge));";

/*
 * 14: what is held of each currency, kept as it goes (fx_holding: one row a currency, the net of
 * its incoming and outgoing receipts, and its settlements' amounts, CNY and count), so that the
 * bound of a settlement and the holdings read one row instead of adding up every receipt and
 * settlement of the currency: recording a settlement file of 20,000 rows added up 20,000 times
 * a history that grew with each row. The triggers keep each row the sums of fx_receipt and
 * fx_settlement whatever writes them (receipts are append-only, but a settlement has no such
 * guard); a sum beyond 64 bits would turn the column into a real, which its CHECK refuses, as
 * sum() refused it. Seeded from the rows recorded before; the bound is the one of step 1, read
 * from the balance.
 */
/* A receipt's net added to (NEW) or taken off (OLD) the balance of its currency. */
#define SETTLE_14_RECEIPT_ADD                                                                      \
    "INSERT OR IGNORE INTO fx_holding(currency) VALUES (NEW.currency);"                            \
    "UPDATE fx_holding SET"                                                                        \
    "  received = received + (CASE NEW.direction WHEN 'in' THEN NEW.net ELSE 0 END),"              \
    "  paid_out = paid_out + (CASE NEW.direction WHEN 'out' THEN NEW.net ELSE 0 END)"              \
    "  WHERE currency = NEW.currency;"
#define SETTLE_14_RECEIPT_TAKE                                                                     \
    "UPDATE fx_holding SET"                                                                        \
    "  received = received - (CASE OLD.direction WHEN 'in' THEN OLD.net ELSE 0 END),"              \
    "  paid_out = paid_out - (CASE OLD.direction WHEN 'out' THEN OLD.net ELSE 0 END)"              \
    "  WHERE currency = OLD.currency;"
/* A settlement added to (NEW) or taken off (OLD) the balance of its currency. */
#define SETTLE_14_SETTLEMENT_ADD                                                                   \
    "INSERT OR IGNORE INTO fx_holding(currency) VALUES (NEW.currency);"                            \
    "UPDATE fx_holding SET settled = settled + NEW.amount, cny = cny + NEW.cny,"                   \
    "  settlements = settlements + 1 WHERE currency = NEW.currency;"
#define SETTLE_14_SETTLEMENT_TAKE                                                                  \
    "UPDATE fx_holding SET settled = settled - OLD.amount, cny = cny - OLD.cny,"                   \
    "  settlements = settlements - 1 WHERE currency = OLD.currency;"
static const char settle_step_14[] =
    "CREATE TABLE fx_holding ("
    "  currency TEXT PRIMARY KEY,"
    "  received INTEGER NOT NULL DEFAULT 0 CHECK (typeof(received) = 'integer'),"
    "  paid_out INTEGER NOT NULL DEFAULT 0 CHECK (typeof(paid_out) = 'integer'),"
    "  settled INTEGER NOT NULL DEFAULT 0 CHECK (typeof(settled) = 'integer'),"
    "  cny INTEGER NOT NULL DEFAULT 0 CHECK (typeof(cny) = 'integer'),"
    "  settlements INTEGER NOT NULL DEFAULT 0"
    ");"
    "INSERT INTO fx_holding(currency, received, paid_out, settled, cny, settlements)"
    "  SELECT currency, sum(received), sum(paid_out), sum(settled), sum(cny), sum(settlements)"
    "  FROM (SELECT currency, CASE direction WHEN 'in' THEN net ELSE 0 END AS received,"
    "      CASE direction WHEN 'out' THEN net ELSE 0 END AS paid_out, 0 AS settled, 0 AS cny,"
    "      0 AS settlements FROM fx_receipt"
    "    UNION ALL SELECT currency, 0, 0, amount, cny, 1 FROM fx_settlement)"
    "  GROUP BY currency;"
    "CREATE TRIGGER fx_holding_receipt_i AFTER INSERT ON fx_receipt BEGIN " SETTLE_14_RECEIPT_ADD
    "END;"
    "CREATE TRIGGER fx_holding_receipt_u AFTER UPDATE OF currency, direction, net ON fx_receipt"
    " BEGIN " SETTLE_14_RECEIPT_TAKE SETTLE_14_RECEIPT_ADD "END;"
    "CREATE TRIGGER fx_holding_receipt_d AFTER DELETE ON fx_receipt BEGIN " SETTLE_14_RECEIPT_TAKE
    "END;"
    "CREATE TRIGGER fx_holding_settlement_i AFTER INSERT ON fx_settlement "
    "BEGIN " SETTLE_14_SETTLEMENT_ADD "END;"
    "CREATE TRIGGER fx_holding_settlement_u AFTER UPDATE OF currency, amount, cny"
    " ON fx_settlement BEGIN " SETTLE_14_SETTLEMENT_TAKE SETTLE_14_SETTLEMENT_ADD "END;"
    "CREATE TRIGGER fx_holding_settlement_d AFTER DELETE ON fx_settlement "
    "BEGIN " SETTLE_14_SETTLEMENT_TAKE "END;"
    "DROP TRIGGER fx_settlement_bound;"
    "CREATE TRIGGER fx_settlement_bound BEFORE INSERT ON fx_settlement BEGIN"
    "  SELECT RAISE(ABORT, 'settlement exceeds the holding')"
    "   WHERE NEW.amount > coalesce((SELECT received - paid_out - settled FROM fx_holding"
    "     WHERE currency = NEW.currency), 0);"
    "END;";

/*
 * 15: a bank credit that is the arrival of a payout imported from a payout report (fx_transfer:
 * the bank's receipt, the payout's seller and id, the rule that found it, when). The payout's
 * receipts hold its money and its orders' allocations, so the credit is not new money: the trigger
 * takes its net off what is held of its currency (fx_holding, step 14), the rows are never changed
 * or removed, a payout arrives once, and only a bank's credit with nothing allocated can be one.
 */
static const char settle_step_15[] =
    "CREATE TABLE IF NOT EXISTS fx_transfer ("
    "  bank_receipt_id INTEGER PRIMARY KEY REFERENCES fx_receipt(id),"
    "  seller TEXT NOT NULL,"
    "  payout TEXT NOT NULL,"
    "  cause TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (seller, payout)"
    ");"
    "CREATE TRIGGER IF NOT EXISTS fx_transfer_bound BEFORE INSERT ON fx_transfer BEGIN"
    "  SELECT RAISE(ABORT, 'a payout arrives as a bank credit with nothing allocated')"
    "   FROM fx_receipt r WHERE r.id = NEW.bank_receipt_id AND (r.direction <> 'in'"
    "    OR substr(r.entry_key, 1, 5) <> 'camt:'"
    "    OR EXISTS (SELECT 1 FROM fx_allocation a WHERE a.receipt_id = r.id"
    "      AND a.removed_at IS NULL));"
    "END;"
    "CREATE TRIGGER IF NOT EXISTS fx_transfer_append_only_u BEFORE UPDATE ON fx_transfer"
    "  BEGIN SELECT RAISE(ABORT, 'payout arrivals are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS fx_transfer_append_only_d BEFORE DELETE ON fx_transfer"
    "  BEGIN SELECT RAISE(ABORT, 'payout arrivals are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS fx_holding_transfer_i AFTER INSERT ON fx_transfer BEGIN"
    "  UPDATE fx_holding SET received = received"
    "    - (SELECT net FROM fx_receipt WHERE id = NEW.bank_receipt_id)"
    "  WHERE currency = (SELECT currency FROM fx_receipt WHERE id = NEW.bank_receipt_id);"
    "END;";

/*
 * 16: a payout's arrival the operator records (`settle arrival`), of what the payout transferred
 * or of another amount (the bank's charges taken off the credit), and an arrival taken back
 * (`settle arrival --undo`). fx_transfer keeps what the payout transferred when its arrival was
 * recorded (NULL for the rows of step 15, whose credit was that amount), and for the operator's,
 * who recorded it, the day and the note. What is held of the currency drops by what the payout
 * transferred, no longer by the credit's net: the payout's receipts hold that amount, and the
 * account the credit, so 1,000.00 transferred and 985.00 credited leave 985.00 held. An arrival
 * taken back is a row of fx_transfer_undone, never changed or removed: the arrival's own row may
 * only be removed once such a row records it (the same credit, payout, rule, amount and time of
 * record), and what is held gets back what the arrival took off.
 * A credit with such a row is never recorded as an arrival automatically again (settle/).
 */
static const char settle_step_16[] =
    "ALTER TABLE fx_transfer ADD COLUMN transferred INTEGER;"
    "ALTER TABLE fx_transfer ADD COLUMN recorded_by TEXT;"
    "ALTER TABLE fx_transfer ADD COLUMN recorded_on TEXT;"
    "ALTER TABLE fx_transfer ADD COLUMN note TEXT;"
    "CREATE TABLE IF NOT EXISTS fx_transfer_undone ("
    "  id INTEGER PRIMARY KEY,"
    "  bank_receipt_id INTEGER NOT NULL REFERENCES fx_receipt(id),"
    "  seller TEXT NOT NULL,"
    "  payout TEXT NOT NULL,"
    "  cause TEXT NOT NULL,"
    "  transferred INTEGER,"
    "  arrived_at TEXT NOT NULL," /* the arrival's created_at */
    "  undone_by TEXT NOT NULL,"
    "  undone_on TEXT NOT NULL,"
    "  note TEXT,"
    "  recorded_at TEXT NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS fx_transfer_undone_receipt ON fx_transfer_undone(bank_receipt_id);"
    "CREATE TRIGGER IF NOT EXISTS fx_transfer_undone_append_only_u BEFORE UPDATE"
    "  ON fx_transfer_undone BEGIN SELECT RAISE(ABORT, 'undone arrivals are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS fx_transfer_undone_append_only_d BEFORE DELETE"
    "  ON fx_transfer_undone BEGIN SELECT RAISE(ABORT, 'undone arrivals are immutable'); END;"
    "DROP TRIGGER fx_transfer_append_only_d;"
    "CREATE TRIGGER fx_transfer_undo_only BEFORE DELETE ON fx_transfer BEGIN"
    "  SELECT RAISE(ABORT, 'a payout arrival is removed only when its undoing is recorded')"
    "   WHERE NOT EXISTS (SELECT 1 FROM fx_transfer_undone u"
    "     WHERE u.bank_receipt_id = OLD.bank_receipt_id AND u.seller = OLD.seller"
    "       AND u.payout = OLD.payout AND u.cause = OLD.cause"
    "       AND u.transferred IS OLD.transferred AND u.arrived_at = OLD.created_at);"
    "END;"
    "DROP TRIGGER fx_holding_transfer_i;"
    "CREATE TRIGGER fx_holding_transfer_i AFTER INSERT ON fx_transfer BEGIN"
    "  UPDATE fx_holding SET received = received - coalesce(NEW.transferred,"
    "    (SELECT net FROM fx_receipt WHERE id = NEW.bank_receipt_id))"
    "  WHERE currency = (SELECT currency FROM fx_receipt WHERE id = NEW.bank_receipt_id);"
    "END;"
    "CREATE TRIGGER fx_holding_transfer_d AFTER DELETE ON fx_transfer BEGIN"
    "  UPDATE fx_holding SET received = received + coalesce(OLD.transferred,"
    "    (SELECT net FROM fx_receipt WHERE id = OLD.bank_receipt_id))"
    "  WHERE currency = (SELECT currency FROM fx_receipt WHERE id = OLD.bank_receipt_id);"
    "END;";

static const char *const settle_steps[] = {
    settle_step_1,  settle_step_2,  settle_step_3,  settle_step_4,  settle_step_5,  settle_step_6,
    settle_step_7,  settle_step_8,  settle_step_9,  settle_step_10, settle_step_11, settle_step_12,
    settle_step_13, settle_step_14, settle_step_15, settle_step_16,
};

const struct cg_store_schema cg_store_schema_settle = {
    "settle",
    settle_steps,
    (int)(sizeof(settle_steps) / sizeof(settle_steps[0])),
};
