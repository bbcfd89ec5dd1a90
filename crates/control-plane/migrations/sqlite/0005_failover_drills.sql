-- Live failover drills: one row per drill. The replica running a drill writes its result
-- when it ends, so any replica answers GET /api/v1/multi-cloud/routes/{id}/drills/{drill_id}.
-- `status` is `running`, `finished` or `failed` (`result` or `error` set); a row left
-- `running` by a replica that stopped reads as `lost` (the drain itself expires on time).
CREATE TABLE failover_drills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_table_id BIGINT NOT NULL REFERENCES route_tables(id) ON DELETE CASCADE,
    endpoint VARCHAR(255) NOT NULL,
    duration_seconds INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    result TEXT,
    error TEXT
);
