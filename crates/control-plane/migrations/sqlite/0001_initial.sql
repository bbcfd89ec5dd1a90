-- MarchProxy schema v1 (SQLite). Times are epoch milliseconds (UTC); JSON is TEXT;
-- booleans are INTEGER 0/1 (the sqlx Any driver cannot decode SQLite BOOLEAN).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username VARCHAR(100) NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role VARCHAR(20) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE clusters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL UNIQUE,
    description TEXT,
    api_key_hash VARCHAR(64) NOT NULL,
    config_version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE RESTRICT,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    hostnames TEXT NOT NULL,
    path_prefix VARCHAR(1024) NOT NULL,
    protocol VARCHAR(10) NOT NULL,
    listen_port INTEGER,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (cluster_id, name),
    UNIQUE (id, cluster_id)
);

CREATE TABLE proxies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    version VARCHAR(50) NOT NULL,
    address VARCHAR(255),
    config_version BIGINT NOT NULL DEFAULT 0,
    last_seen BIGINT NOT NULL,
    registered_at BIGINT NOT NULL,
    UNIQUE (cluster_id, name)
);

CREATE TABLE qos_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    service_id BIGINT NOT NULL,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE RESTRICT,
    bandwidth_config TEXT NOT NULL,
    priority_config TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (service_id, cluster_id) REFERENCES services(id, cluster_id) ON DELETE RESTRICT
);
CREATE INDEX idx_qos_service_cluster ON qos_policies(service_id, cluster_id);

CREATE TABLE route_tables (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    service_id BIGINT NOT NULL,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE RESTRICT,
    algorithm VARCHAR(20) NOT NULL,
    routes TEXT NOT NULL,
    health_probe_config TEXT NOT NULL,
    enable_auto_failover INTEGER NOT NULL DEFAULT 1,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (service_id, cluster_id) REFERENCES services(id, cluster_id) ON DELETE RESTRICT
);
CREATE INDEX idx_route_service_cluster ON route_tables(service_id, cluster_id);

CREATE TABLE route_health_status (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_table_id BIGINT NOT NULL REFERENCES route_tables(id) ON DELETE CASCADE,
    endpoint VARCHAR(255) NOT NULL,
    is_healthy INTEGER NOT NULL DEFAULT 1,
    last_check BIGINT,
    rtt_ms DOUBLE PRECISION,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    consecutive_successes INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (route_table_id, endpoint)
);
CREATE INDEX idx_health_route_endpoint ON route_health_status(route_table_id, endpoint);

CREATE TABLE tracing_configs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE RESTRICT,
    backend VARCHAR(20) NOT NULL,
    endpoint VARCHAR(255) NOT NULL,
    exporter VARCHAR(20) NOT NULL,
    sampling_strategy VARCHAR(20) NOT NULL,
    sampling_rate DOUBLE PRECISION NOT NULL,
    max_traces_per_second INTEGER,
    include_request_headers INTEGER NOT NULL DEFAULT 0,
    include_response_headers INTEGER NOT NULL DEFAULT 0,
    include_request_body INTEGER NOT NULL DEFAULT 0,
    include_response_body INTEGER NOT NULL DEFAULT 0,
    max_attribute_length INTEGER NOT NULL DEFAULT 512,
    service_name VARCHAR(100) NOT NULL,
    custom_tags TEXT,
    query_url VARCHAR(255),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Per proxy and tracing config: the latest counters each proxy reported.
CREATE TABLE tracing_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tracing_config_id BIGINT NOT NULL REFERENCES tracing_configs(id) ON DELETE CASCADE,
    proxy_id BIGINT NOT NULL REFERENCES proxies(id) ON DELETE CASCADE,
    spans_started BIGINT NOT NULL DEFAULT 0,
    spans_sampled BIGINT NOT NULL DEFAULT 0,
    spans_exported BIGINT NOT NULL DEFAULT 0,
    spans_dropped BIGINT NOT NULL DEFAULT 0,
    spans_errored BIGINT NOT NULL DEFAULT 0,
    span_duration_sum_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
    effective_sampling_rate DOUBLE PRECISION,
    last_export_at BIGINT,
    last_export_error TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (tracing_config_id, proxy_id)
);

-- Measured traffic per route-table endpoint and time bucket (one minute), for cost analytics.
CREATE TABLE traffic_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_table_id BIGINT NOT NULL REFERENCES route_tables(id) ON DELETE CASCADE,
    service_id BIGINT NOT NULL,
    endpoint VARCHAR(255) NOT NULL,
    provider VARCHAR(20) NOT NULL,
    region VARCHAR(64) NOT NULL,
    bucket_start BIGINT NOT NULL,
    bytes_in BIGINT NOT NULL DEFAULT 0,
    bytes_out BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    cost_per_gb DOUBLE PRECISION NOT NULL DEFAULT 0,
    UNIQUE (route_table_id, endpoint, bucket_start)
);
CREATE INDEX idx_traffic_bucket ON traffic_stats(bucket_start);

-- Reports already applied, so a retried report is not counted twice.
CREATE TABLE applied_reports (
    proxy_id BIGINT NOT NULL,
    report_id VARCHAR(64) NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (proxy_id, report_id)
);

CREATE TABLE license_validations (
    key_hash VARCHAR(64) PRIMARY KEY,
    response TEXT NOT NULL,
    validated_at BIGINT NOT NULL
);

CREATE TABLE login_attempts (
    attempt_key VARCHAR(300) PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT
);

CREATE TABLE spans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id VARCHAR(32) NOT NULL,
    span_id VARCHAR(16) NOT NULL,
    parent_span_id VARCHAR(16),
    service VARCHAR(100) NOT NULL,
    operation VARCHAR(255) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    start_unix_us BIGINT NOT NULL,
    duration_us BIGINT NOT NULL,
    is_error INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX idx_spans_trace ON spans(trace_id);
CREATE INDEX idx_spans_start ON spans(start_unix_us);
CREATE INDEX idx_spans_service ON spans(service, start_unix_us);

CREATE TABLE leases (
    name VARCHAR(100) PRIMARY KEY,
    holder VARCHAR(100) NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Endpoints a failover drill took out of rotation until `until_ms`.
CREATE TABLE drains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_table_id BIGINT NOT NULL REFERENCES route_tables(id) ON DELETE CASCADE,
    endpoint VARCHAR(255) NOT NULL,
    until_ms BIGINT NOT NULL
);

-- Per proxy and QoS policy: the latest shaping counters each proxy reported.
CREATE TABLE qos_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id BIGINT NOT NULL REFERENCES qos_policies(id) ON DELETE CASCADE,
    proxy_id BIGINT NOT NULL REFERENCES proxies(id) ON DELETE CASCADE,
    bytes_passed BIGINT NOT NULL DEFAULT 0,
    bytes_delayed BIGINT NOT NULL DEFAULT 0,
    current_rate_bps DOUBLE PRECISION NOT NULL DEFAULT 0,
    delay_ms TEXT NOT NULL,
    sla_violations BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    UNIQUE (policy_id, proxy_id)
);
