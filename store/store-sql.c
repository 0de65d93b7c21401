/*
 * store-sql.c - the store's statement table: the SQL of every enum store_stmt, in SQLite's
 * dialect. Times are bound by the caller (store_now), never computed in SQL, so the statements
 * carry no SQLite date functions. Owns nothing; a statement that fails to prepare is a CG_EDB
 * at its first use.
 */
#include "config.h"

#include "store/store-int.h"

const char *const store_sql[S_N] = {
    [S_FILE_RESUMABLE] = "SELECT id, outcome FROM input_files WHERE seller = ?1 AND "
                         "active_name = ?2 AND sha256 = ?3 AND inode = ?4 AND (outcome = "
                         "'active' OR (outcome IN ('done', 'failed') AND finished_at >= ?5)) "
                         "ORDER BY id DESC LIMIT 1",
    [S_FILE_SAME_CONTENT] = "SELECT name, taken_at FROM input_files f WHERE seller = ?1 AND "
                            "sha256 = ?2 AND outcome = 'done' AND orders_rejected = 0 AND "
                            "NOT EXISTS (SELECT 1 FROM file_orders fo JOIN orders o ON "
                            "o.seller = fo.seller AND o.order_no = fo.order_no JOIN documents d "
                            "ON d.order_id = o.id WHERE fo.input_file = f.id AND fo.held = 0 "
                            "AND " STORE_DOC_REFUSED_FROM_FILE ") ORDER BY id LIMIT 1",
    [S_FILE_ADD] = "INSERT INTO input_files(seller, name, active_name, size, sha256, inode, "
                   "outcome, reason, taken_at, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                   "?8, ?9, CASE WHEN ?7 = 'active' THEN NULL ELSE ?9 END)",
    [S_FILE_FINISH] = "UPDATE input_files SET outcome = ?2, reason = ?3, finished_at = ?4 "
                      "WHERE id = ?1",
    [S_FILE_COUNT] = "UPDATE input_files SET orders_new = orders_new + ?2, orders_modified = "
                     "orders_modified + ?3, orders_unchanged = orders_unchanged + ?4, "
                     "orders_rejected = orders_rejected + ?5 WHERE id = ?1",
    [S_FILE_COUNT_HELD] = "UPDATE input_files SET orders_waiting = orders_waiting + ?2, "
                          "orders_skipped = orders_skipped + ?3, orders_cancelled = "
                          "orders_cancelled + ?4 WHERE id = ?1",
    [S_FILE_RESET] = "UPDATE input_files SET orders_new = 0, orders_modified = 0, "
                     "orders_unchanged = 0, orders_rejected = 0, orders_waiting = 0, "
                     "orders_skipped = 0, orders_cancelled = 0, orders_listed = 1 WHERE id = ?1",
    [S_FILE_ORDER_ADD] = "INSERT OR IGNORE INTO file_orders(input_file, held, seller, order_no, "
                         "status) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_ORDER_FILES] = "SELECT input_file, held, coalesce(status, 0) FROM file_orders WHERE "
                      "seller = ?1 AND order_no = ?2 UNION ALL SELECT input_file, 2, 0 FROM "
                      "rejections WHERE seller = ?1 AND order_no = ?2 AND input_file IS NOT NULL",
    [S_FILE_COUNTS] = "SELECT orders_new + orders_modified + orders_unchanged, orders_rejected "
                      "FROM input_files WHERE id = ?1",
    [S_FILE_HELD] = "SELECT orders_waiting, orders_skipped, orders_cancelled FROM input_files "
                    "WHERE id = ?1",
    [S_FILES_NAMED] = "SELECT id, seller, name, active_name, size, sha256, outcome, reason, "
                      "taken_at, finished_at, orders_new, orders_modified, orders_unchanged, "
                      "orders_rejected, orders_waiting, orders_skipped, orders_cancelled "
                      "FROM input_files WHERE (name = ?1 OR active_name = ?1) AND "
                      "(?2 IS NULL OR seller = ?2) ORDER BY id",
    [S_FILE_MESSAGES] = "SELECT count(*), coalesce(sum(state = 'queued'), 0) FROM messages "
                        "WHERE input_file = ?1",
    [S_ORDER_FIND] = "SELECT id, CASE WHEN EXISTS (SELECT 1 FROM documents d WHERE "
                     "d.order_id = orders.id AND " STORE_DOC_REFUSED_FROM_FILE ") THEN '' ELSE "
                     "hash END, coalesce(last_file, 0) "
                     "FROM orders WHERE seller = ?1 AND order_no = ?2",
    /* by the partial index documents_waybill (schema step 11) */
    [S_WAYBILL_HOLDER] = "SELECT o.seller, o.order_no FROM documents d JOIN orders o ON "
                         "o.id = d.order_id WHERE d.msg_type = 505 AND d.business_key = ?1 AND "
                         "d.carrier = ?4 AND "
                         "NOT (o.seller = ?2 AND o.order_no = ?3) AND NOT " STORE_DOC_REFUSED
                         " ORDER BY d.id LIMIT 1",
    [S_ORDER_DOCS] =
        "SELECT id, order_id, msg_type, business_key, version, guid, app_type, "
        "content_hash, state, status, status_info, pre_no, invt_no, updated_at, "
        "EXISTS (SELECT 1 FROM messages m WHERE m.document_id = d.id AND "
        "(m.state <> 'rejected' OR EXISTS (SELECT 1 FROM receipts r WHERE "
        "r.message_id = m.id AND r.msg_type <> 900 AND CAST(r.status AS INTEGER) > 0 "
        "AND r.outcome IN ('applied', 'duplicate', 'late')))), (" STORE_DOC_REFUSED
        " OR " STORE_DOC_RESEND ")"
        ", (SELECT m.input_file FROM messages m WHERE m.document_id = d.id AND "
        "m.version = d.version) FROM documents d WHERE order_id = ?1 ORDER BY msg_type",
    [S_ORDER_PUT] = "INSERT INTO orders(seller, order_no, hash, first_file, last_file, line, "
                    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?6) "
                    "ON CONFLICT(seller, order_no) DO UPDATE SET hash = ?3, last_file = ?4, "
                    "line = ?5, updated_at = ?6 RETURNING id",
    [S_DOC_PUT] = "INSERT INTO documents(order_id, msg_type, business_key, version, guid, "
                  "app_type, content_hash, state, updated_at, carrier, route) VALUES (?1, ?2, ?3, "
                  "?4, ?5, ?6, ?7, 'queued', ?8, ?9, ?10) ON CONFLICT(order_id, msg_type) DO "
                  "UPDATE SET business_key = ?3, version = ?4, guid = ?5, app_type = ?6, "
                  "content_hash = ?7, state = 'queued', status = NULL, status_info = NULL, "
                  "updated_at = ?8, carrier = ?9, route = ?10 RETURNING id",
    [S_MSG_ADD] = "INSERT INTO messages(document_id, version, guid, msg_type, app_type, "
                  "file_name, sha256, size, input_file, staged, state, created_at) VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, 'queued', ?10)",
    [S_REJ_ADD] = "INSERT OR IGNORE INTO rejections(input_file, seller, order_no, line, reason, "
                  "at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_FILE_REJECTIONS] = "SELECT line, order_no, reason FROM rejections WHERE input_file = ?1 "
                          "ORDER BY line LIMIT ?2",
    [S_CANCEL_ADD] = "INSERT INTO cancel_needed(order_id, input_file, line, status, reason, "
                     "noted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(order_id) DO NOTHING",
    [S_ORDER_CANCEL] = "SELECT o.seller, o.order_no, c.status, c.reason, c.noted_at, "
                       "coalesce(f.name, ''), c.line, c.done_at FROM cancel_needed c "
                       "JOIN orders o ON o.id = c.order_id LEFT JOIN input_files f ON "
                       "f.id = c.input_file WHERE c.order_id = ?1",
    [S_CANCELS_OPEN] =
        "SELECT o.seller, o.order_no, c.status, c.reason, c.noted_at, "
        "coalesce(f.name, ''), c.line, c.done_at, " STORE_ORDER_DEPARTED " FROM cancel_needed c "
        "JOIN orders o ON o.id = c.order_id LEFT JOIN input_files f ON "
        "f.id = c.input_file WHERE c.done_at IS NULL ORDER BY c.id",
    [S_CANCELS_OPEN_COUNT] = "SELECT count(*) FROM cancel_needed WHERE done_at IS NULL",
    [S_MSGS_STAGED] = "SELECT id, document_id, version, file_name FROM messages "
                      "WHERE staged = 1 ORDER BY id",
    [S_MSG_UNSTAGE] = "UPDATE messages SET staged = 0 WHERE id = ?1",
    [S_MSG_DELETE] = "DELETE FROM messages WHERE id = ?1",
    [S_ORDER_HASH_CLEAR] = "UPDATE orders SET hash = '' WHERE id = (SELECT order_id FROM "
                           "documents WHERE id = ?1)",
    [S_DOC_BACK] = "UPDATE documents SET (version, guid, app_type, state, content_hash) = "
                   "(SELECT m.version, m.guid, m.app_type, m.state, '' FROM messages m "
                   "WHERE m.document_id = ?1 ORDER BY m.version DESC LIMIT 1) "
                   "WHERE id = ?1 AND version = ?2 AND EXISTS (SELECT 1 FROM messages "
                   "WHERE document_id = ?1)",
    [S_DOC_DROP] = "DELETE FROM documents WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM messages "
                   "WHERE document_id = ?1)",
    [S_MSGS_QUEUED] = "SELECT id, guid, file_name FROM messages WHERE state = 'queued' "
                      "AND id > ?1 ORDER BY id LIMIT ?2",
    [S_MSGS_QUEUED_COUNT] = "SELECT count(*) FROM messages WHERE state = 'queued'",
    [S_MSG_ANSWER] = "UPDATE messages SET staged = 0, "
                     "state = CASE WHEN ?2 = 1 AND state = 'queued' THEN 'sent' "
                     "WHEN ?2 = 3 THEN 'rejected' ELSE state END, "
                     "sent_at = CASE WHEN ?2 = 1 THEN coalesce(sent_at, ?4) ELSE sent_at END, "
                     "status = CASE WHEN ?2 = 3 THEN ?3 ELSE status END WHERE guid = ?1",
    [S_MSGS_RECEIVED_UNSENT] = "SELECT id, guid, file_name FROM messages m WHERE sent_at IS NULL "
                               "AND EXISTS (SELECT 1 FROM receipts r WHERE r.message_id = m.id) "
                               "ORDER BY id",
    [S_MSG_DELIVERED] = "UPDATE messages SET sent_at = ?2, staged = 0 WHERE id = ?1 AND "
                        "sent_at IS NULL",
    [S_DOC_ANSWER] = "UPDATE documents SET state = CASE WHEN ?2 = 1 THEN 'sent' "
                     "ELSE 'rejected' END, status_info = CASE WHEN ?2 = 3 THEN ?3 "
                     "ELSE status_info END, updated_at = ?4 "
                     "WHERE id = (SELECT document_id FROM messages WHERE guid = ?1) "
                     "AND guid = ?1 AND state = 'queued' AND ?2 IN (1, 3)",
    [S_RECEIPT_TARGET] = "SELECT m.id, m.state, m.version, d.id, d.version, d.state, "
                         "m.msg_type, d.business_key, o.order_no, d.pre_no, d.invt_no "
                         "FROM messages m JOIN documents d ON d.id = m.document_id "
                         "JOIN orders o ON o.id = d.order_id WHERE m.guid = ?1",
    [S_RECEIPT_SEEN] = "SELECT 1 FROM receipts WHERE message_id = ?1 AND status IS ?2 AND "
                       "return_time IS ?3 AND outcome NOT IN ('unknown', 'mismatch') LIMIT 1",
    [S_MSG_STATE] = "UPDATE messages SET state = ?2, status = ?3 WHERE id = ?1",
    [S_DOC_STATE] = "UPDATE documents SET state = ?2, status = ?3, status_info = ?4, "
                    "updated_at = ?5 WHERE id = ?1",
    [S_DOC_NUMBERS] = "UPDATE documents SET pre_no = coalesce(?2, pre_no), invt_no = "
                      "coalesce(?3, invt_no) WHERE id = ?1",
    [S_RECEIPT_LOG] = "INSERT INTO receipts(received_at, file_name, msg_type, receipt_guid, "
                      "guid, order_no, status, return_time, return_info, message_id, outcome) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [S_MSG_RECEIPTS] = "SELECT received_at, msg_type, status, return_time, outcome, "
                       "return_info, file_name, receipt_guid, guid, order_no FROM receipts "
                       "WHERE message_id = ?1 ORDER BY id",
    [S_RFILE_ADD] = "INSERT INTO receipt_files(sha256, name, events, received_at) "
                    "VALUES (?1, ?2, ?3, ?4)",
    [S_RFILE_KNOWN] = "SELECT 1 FROM receipt_files WHERE sha256 = ?1",
    [S_ORDERS_NAMED] = "SELECT o.id, o.seller, o.order_no, o.created_at, o.updated_at, f.name "
                       "FROM orders o LEFT JOIN input_files f ON f.id = o.last_file "
                       "WHERE o.order_no = ?1 ORDER BY o.id",
    [S_DOC_MSGS] = "SELECT id, document_id, version, msg_type, app_type, guid, file_name, "
                   "state, status, created_at, sent_at FROM messages WHERE document_id = ?1 "
                   "ORDER BY version",
    [S_ORDER_REJECTIONS] = "SELECT at, reason FROM rejections WHERE order_no = ?1 AND (?2 IS NULL "
                           "OR seller = ?2) ORDER BY id",
    [S_ORDER_HELD] =
        "SELECT f.seller, f.name, f.taken_at, coalesce(fo.status, -1) FROM file_orders "
        "fo JOIN input_files f "
        "ON f.id = fo.input_file WHERE fo.held = 1 AND fo.order_no = ?1 AND (?2 IS "
        "NULL OR fo.seller = ?2) ORDER BY f.id",
    [S_LIST_PENDING] = "SELECT o.seller, o.order_no, d.msg_type, d.version, d.state, "
                       "d.updated_at, d.guid FROM documents d JOIN orders o ON o.id = d.order_id "
                       "WHERE " STORE_DOC_PENDING " ORDER BY d.updated_at, d.id",
    [S_LIST_REJECTED] =
        "SELECT o.seller, o.order_no, d.msg_type, d.version, 'rejected', "
        "d.updated_at, coalesce(d.status, '') || ' ' || "
        "coalesce(d.status_info, '') FROM documents d JOIN orders o ON "
        "o.id = d.order_id WHERE d.state = 'rejected' UNION ALL SELECT r.seller, "
        "r.order_no, 0, 0, 'order', r.at, r.reason FROM " STORE_OPEN_REJECTIONS " r ORDER BY 6",
    [S_LIST_UNKNOWN] = "SELECT '', coalesce(r.order_no, ''), r.msg_type, r.outcome = 'mismatch', "
                       "coalesce(r.status, ''), r.received_at, coalesce(r.guid, '') || ' in ' || "
                       "r.file_name, rtrim(coalesce('orderNo ' || r.order_no || ', ', '') || "
                       "coalesce('logisticsNo ' || k.logistics_no || ', ', '') || "
                       "coalesce('copNo ' || k.cop_no || ', ', '') || "
                       "coalesce('preNo ' || k.pre_no || ', ', '') || "
                       "coalesce('invtNo ' || k.invt_no || ', ', '') || "
                       "coalesce('sumNo ' || k.sum_no || ', ', ''), ', ') FROM receipts r "
                       "LEFT JOIN receipt_keys k ON k.receipt_id = r.id "
                       "WHERE r.outcome IN ('unknown', 'mismatch') AND r.id > "
                       "(SELECT coalesce(max(up_to), 0) FROM unknown_dismissals) ORDER BY r.id",
    /* the CEB303s come from the partial index documents_303 (schema step 11); the anti-joins
     * name d.order_id, so that they are decided before the order's row is read */
    [S_LIST_INCOMPLETE] =
        "SELECT o.seller, o.order_no, d.msg_type, d.version, d.state, d.updated_at, "
        "coalesce(f.name, '') FROM documents d JOIN orders o ON o.id = d.order_id LEFT JOIN "
        "input_files f ON f.id = o.last_file WHERE d.msg_type = 303 AND d.state <> 'rejected' "
        "AND NOT EXISTS (SELECT 1 FROM documents i WHERE i.order_id = d.order_id AND "
        "i.msg_type = 603) AND NOT EXISTS (SELECT 1 FROM cancel_needed c WHERE c.order_id = "
        "d.order_id) ORDER BY d.updated_at, d.id",
    /* status 1 is CG_ORDER_WAIT (mapping.h); NULL: held by a file taken before schema 10. The
     * held rows come from the partial index file_orders_held (schema step 11). */
    [S_LIST_HELD] =
        "SELECT x.seller, x.order_no, 0, coalesce(x.status, -1), 'held', f.taken_at, f.name "
        "FROM file_orders x JOIN input_files f ON f.id = x.input_file WHERE x.held = 1 AND "
        "coalesce(x.status, 1) = 1 AND x.input_file = (SELECT max(y.input_file) FROM "
        "file_orders y WHERE y.seller = x.seller AND y.order_no = x.order_no) AND NOT EXISTS "
        "(SELECT 1 FROM orders o WHERE o.seller = x.seller AND o.order_no = x.order_no) AND NOT "
        "EXISTS (SELECT 1 FROM rejections r WHERE r.seller = x.seller AND r.order_no = "
        "x.order_no AND r.input_file > x.input_file) ORDER BY f.taken_at, x.order_no",
    [S_RECEIPT_KEYS] = "INSERT INTO receipt_keys(receipt_id, logistics_no, cop_no, pre_no, "
                       "invt_no, sum_no) VALUES (last_insert_rowid(), ?1, ?2, ?3, ?4, ?5)",
};
