-- Cluster-wide bandwidth limits (docs/adr/0006): per policy, direction and proxy, the last
-- demand the proxy reported and the share it was granted, until `expires_at` (three of the
-- proxy's lease intervals). Every replica allocates from these rows, so proxies may lease
-- from any replica.
CREATE TABLE qos_leases (
    policy_id BIGINT NOT NULL REFERENCES qos_policies(id) ON DELETE CASCADE,
    direction VARCHAR(8) NOT NULL,
    proxy_id BIGINT NOT NULL REFERENCES proxies(id) ON DELETE CASCADE,
    used_bps DOUBLE PRECISION NOT NULL,
    throttled INTEGER NOT NULL,
    granted_bps DOUBLE PRECISION NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (policy_id, direction, proxy_id)
);

-- Policies written before scopes existed were enforced per proxy: they keep that behaviour
-- (scope `proxy`); new policies default to `cluster`. Switch one with a PUT.
UPDATE qos_policies SET bandwidth_config = json_set(bandwidth_config, '$.scope', 'proxy')
    WHERE json_extract(bandwidth_config, '$.scope') IS NULL;
