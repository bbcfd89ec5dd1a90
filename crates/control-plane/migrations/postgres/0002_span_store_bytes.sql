-- The span store is bounded in bytes as well as rows: each row records its size (its text
-- columns plus a fixed overhead, as the store computes it) and the running total of bytes
-- inserted up to it, so evicting the oldest bytes is one range delete.
ALTER TABLE spans ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE spans ADD COLUMN cum_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE spans SET size_bytes = OCTET_LENGTH(attributes) + OCTET_LENGTH(trace_id) + OCTET_LENGTH(span_id)
    + COALESCE(OCTET_LENGTH(parent_span_id), 0) + OCTET_LENGTH(service) + OCTET_LENGTH(operation)
    + OCTET_LENGTH(kind) + 128;
UPDATE spans SET cum_bytes = c.cum
    FROM (SELECT id, SUM(size_bytes) OVER (ORDER BY id) AS cum FROM spans) AS c
    WHERE spans.id = c.id;
CREATE INDEX idx_spans_cum_bytes ON spans(cum_bytes);
