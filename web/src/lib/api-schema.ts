// Generated from docs/openapi.json by `npm run api:generate` (openapi-typescript). Do not edit:
// change the server's OpenAPI annotations, then regenerate. `npm run api:check` fails when this file is stale.

export interface paths {
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exchange a user name and password for tokens. */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out: revoke the calling access token and, when given, the session's refresh token. */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The current user. */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change your own password. Every token issued before (other browsers, other sessions)
         *     stops working; the answer carries this session's new tokens.
         */
        post: operations["change_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for new tokens. A refresh token works once: the new pair
         *     replaces it.
         */
        post: operations["refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/clusters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_clusters"];
        put?: never;
        post: operations["create_cluster"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/clusters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["get_cluster"];
        put: operations["update_cluster"];
        post?: never;
        delete: operations["delete_cluster"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/clusters/{id}/rotate-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue a new proxy API key for the cluster (the old one stops working). */
        post: operations["rotate_key"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/license/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Re-validate the license now. */
        post: operations["license_refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/license/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Tier, features, limits, expiry and where the answer came from. */
        get: operations["license_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/analytics/cost": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Cost from measured egress bytes × each endpoint's `cost_per_gb`. */
        get: operations["cost_analytics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_routes"];
        put?: never;
        post: operations["create_route"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["get_route"];
        /**
         * Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
         *     it, a partial one changes only the fields it names.
         */
        put: operations["update_route"];
        post?: never;
        delete: operations["delete_route"];
        options?: never;
        head?: never;
        /**
         * A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
         *     merge field by field, `null` clears an optional field.
         */
        patch: operations["patch_route"];
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["disable_route"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}/drills": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A route table's live failover drills, newest first (`X-Total-Count` has how many). */
        get: operations["list_drills"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}/drills/{drill_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A live failover drill's record: running until its endpoint is back in rotation and its
         *     traffic reports are read, then finished (with its result) or failed (with the reason).
         */
        get: operations["get_drill"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["enable_route"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live health of each endpoint, as probed by the control plane's health monitor. */
        get: operations["route_health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/multi-cloud/routes/{id}/test-failover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A failover drill: take an endpoint out of rotation and see where traffic goes. Without a
         *     body (or without `dry_run`) it is a simulation; `"dry_run": false` runs it live, and
         *     with `"wait": false` answers 202 at once with the running drill's record.
         */
        post: operations["test_failover"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/dependencies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Service dependency graph computed from stored spans. */
        get: operations["dependencies"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/latency": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Latency histogram of stored spans (the most recent 50,000 in the window). */
        get: operations["latency"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/spans/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Search stored spans. */
        get: operations["search_spans"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/traces/{trace_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A whole trace from the embedded store. */
        get: operations["get_trace"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/tracing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_configs"];
        put?: never;
        post: operations["create_config"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/tracing/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["get_config"];
        /**
         * Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
         *     it, a partial one changes only the fields it names.
         */
        put: operations["update_config"];
        post?: never;
        delete: operations["delete_config"];
        options?: never;
        head?: never;
        /**
         * A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
         *     merge field by field, `null` clears an optional field.
         */
        patch: operations["patch_config"];
        trace?: never;
    };
    "/api/v1/observability/tracing/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["disable_config"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/tracing/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["enable_config"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/tracing/{id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Counters reported by the cluster's proxies for this config. */
        get: operations["config_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/observability/tracing/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Validate the config and send one real span through its backend and exporter (or, with
         *     `send_test_span=false`, only connect to its endpoint).
         */
        post: operations["test_config"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_proxies"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The cluster's snapshot: immediately when it differs from `version` (newer, or older after
         *     a database restore), otherwise a long-poll that answers as soon as the configuration
         *     changes, or 304 after `wait_seconds`.
         */
        get: operations["config"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/qos-lease": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Lease shares of the cluster's cluster-scope bandwidth limits: the proxy reports what it
         *     used of each (and whether it was throttled) and gets its share until `expires_in_ms`
         *     (docs/adr/0006-cluster-wide-bandwidth-limits.md).
         */
        post: operations["qos_lease"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Register (or re-register) a proxy. Community licenses allow 3 proxies per cluster. */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Traffic, tracing and QoS counters. Applied exactly once per `report_id`. */
        post: operations["report"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_services"];
        put?: never;
        post: operations["create_service"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["get_service"];
        /**
         * Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
         *     it, a partial one changes only the fields it names.
         */
        put: operations["update_service"];
        post?: never;
        delete: operations["delete_service"];
        options?: never;
        head?: never;
        /**
         * A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
         *     merge field by field, `null` clears an optional field.
         */
        patch: operations["patch_service"];
        trace?: never;
    };
    "/api/v1/traffic-shaping/policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_policies"];
        put?: never;
        post: operations["create_policy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/traffic-shaping/policies/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["get_policy"];
        /**
         * Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
         *     it, a partial one changes only the fields it names.
         */
        put: operations["update_policy"];
        post?: never;
        delete: operations["delete_policy"];
        options?: never;
        head?: never;
        /**
         * A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
         *     merge field by field, `null` clears an optional field.
         */
        patch: operations["patch_policy"];
        trace?: never;
    };
    "/api/v1/traffic-shaping/policies/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["disable_policy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/traffic-shaping/policies/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["enable_policy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/traffic-shaping/policies/{id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Shaping statistics reported by the cluster's proxies. */
        get: operations["policy_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users (admin only). */
        get: operations["list_users"];
        put?: never;
        /** Create a user (admin only). */
        post: operations["create_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a user (admin only; not yourself, not the last admin). */
        delete: operations["delete_user"];
        options?: never;
        head?: never;
        /**
         * Change a user's role or reset their password (admin only). Either revokes the user's
         *     tokens at once. The last admin cannot be demoted (409).
         */
        patch: operations["update_user"];
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness. */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text exposition format 0.0.4): API requests by route, status and
         *     latency; the database pool; long-polls; configuration versions; probe results; license
         *     state; span ingest.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the database answers, and the server is not shutting down. */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/traces": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * OTLP/HTTP trace export (`application/x-protobuf` or `application/json`). Requires the
         *     cluster's proxy API key as a bearer token.
         */
        post: operations["receive"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ApiKey: {
            api_key: string;
        };
        /** @description Bandwidth limits of a service; `None` means unlimited in that direction. */
        BandwidthConfig: {
            /**
             * Format: int32
             * @description Token-bucket depth in KiB.
             */
            burst_size_kb?: number;
            /**
             * Format: int32
             * @description Upstream → client, megabits per second.
             */
            egress_mbps?: number | null;
            /**
             * Format: int32
             * @description Client → upstream, megabits per second.
             */
            ingress_mbps?: number | null;
            /**
             * @description `cluster` (default): the limits hold across all proxies of the cluster; `proxy`:
             *     each proxy enforces them on its own.
             */
            scope?: components["schemas"]["BandwidthScope"];
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of BandwidthConfig; fields not sent keep their values, `null` clears an optional field; the result must be a valid BandwidthConfig. */
        BandwidthConfigPatch: {
            burst_size_kb?: number | null;
            egress_mbps?: (number | null) | null;
            ingress_mbps?: (number | null) | null;
            scope?: components["schemas"]["BandwidthScope"] | null;
        };
        /**
         * @description Where a policy's bandwidth limits hold.
         * @enum {string}
         */
        BandwidthScope: "cluster" | "proxy";
        ChangePassword: {
            current_password: string;
            /**
             * @description 8-1024 characters, not the user name; in release mode at least 12 characters with
             *     three of lower case, upper case, digits and symbols, and not a well-known default.
             */
            new_password: string;
        };
        /** @enum {string} */
        CloudProvider: "aws" | "gcp" | "azure" | "on_prem";
        Cluster: components["schemas"]["ClusterSpec"] & {
            created_at: string;
            /** Format: int64 */
            id: number;
            updated_at: string;
        };
        ClusterCreated: components["schemas"]["Cluster"] & {
            /** @description The proxies' API key for this cluster. Shown once; only its hash is stored. */
            api_key: string;
        };
        /** @description One proxy's current share of a cluster-scope limit. */
        ClusterShare: {
            direction: components["schemas"]["Direction"];
            /** Format: int64 */
            proxy_id: number;
            /** Format: double */
            rate_mbps: number;
        };
        ClusterSnapshot: {
            /** Format: int64 */
            cluster_id: number;
            /** @description Endpoints taken out of rotation by a running failover drill. */
            drained?: components["schemas"]["DrainedEndpoint"][];
            health: components["schemas"]["EndpointHealth"][];
            qos_policies: components["schemas"]["QosPolicy"][];
            route_tables: components["schemas"]["RouteTable"][];
            services: components["schemas"]["Service"][];
            tracing_configs: components["schemas"]["TracingConfig"][];
            /**
             * Format: int64
             * @description Monotonic per cluster; a proxy applies only newer versions.
             */
            version: number;
        };
        ClusterSpec: {
            description?: string | null;
            name: string;
        };
        /** @description The connection check of a test: a TCP connection to the endpoint, and the span when sent. */
        ConnectivityTest: {
            /**
             * @description The original MarchProxy API's names: the config's backend and exporter, and
             *     `reachable` or `unreachable`.
             */
            backend: string;
            endpoint: string;
            error?: string | null;
            exporter: string;
            /** Format: double */
            latency_ms: number;
            /** @description Whether a test span was sent (`send_test_span`, default true). */
            span_sent: boolean;
            status: string;
            success: boolean;
        };
        CostByDay: {
            /** Format: double */
            cost: number;
            date: string;
            /** Format: int64 */
            egress_bytes: number;
            /** Format: int64 */
            requests: number;
        };
        CostByProvider: {
            /** Format: double */
            cost: number;
            /** Format: int64 */
            egress_bytes: number;
            provider: string;
            /** Format: int64 */
            requests: number;
        };
        CostByRegion: {
            /** Format: double */
            cost: number;
            /** Format: int64 */
            egress_bytes: number;
            provider: string;
            region: string;
            /** Format: int64 */
            requests: number;
        };
        CostByService: {
            /** Format: double */
            cost: number;
            /** Format: int64 */
            egress_bytes: number;
            /** Format: int64 */
            requests: number;
            /** Format: int64 */
            service_id: number;
            service_name?: string | null;
        };
        CostReport: {
            /** @description Cost per provider (`{"aws": 1.25}`); the detail is in `providers`. */
            by_provider: Record<string, never>;
            /** @description Cost per region name (`{"us-east-1": 1.25}`); the detail is in `regions`. */
            by_region: Record<string, never>;
            by_service: components["schemas"]["CostByService"][];
            /** @description Always `USD` (`cost_per_gb` is in US dollars). */
            currency: string;
            /** @description One entry per day of the period, zero where nothing flowed. */
            daily: components["schemas"]["CostByDay"][];
            end: string;
            /**
             * Format: double
             * @description The period's length in days.
             */
            period_days: number;
            period_end: string;
            period_start: string;
            /** @description Per provider: bytes, cost and requests. */
            providers: components["schemas"]["CostByProvider"][];
            /** @description Per provider and region: bytes, cost and requests. */
            regions: components["schemas"]["CostByRegion"][];
            /**
             * Format: int64
             * @description Route tables with traffic in the period.
             */
            route_count: number;
            start: string;
            /** Format: double */
            total_cost: number;
            /**
             * Format: double
             * @description `total_cost`, in `currency`.
             */
            total_cost_usd: number;
            /** Format: double */
            total_egress_gb: number;
            /**
             * Format: int64
             * @description Requests that crossed the routes in the period (all methods; failed ones included).
             */
            total_requests: number;
        };
        CreateUser: {
            /**
             * @description 8-1024 characters, not the user name; in release mode at least 12 characters with
             *     three of lower case, upper case, digits and symbols, and not a well-known default.
             */
            password: string;
            role: components["schemas"]["Role"];
            username: string;
        };
        DependencyEdge: {
            /** Format: int64 */
            call_count: number;
            child: string;
            /** Format: int64 */
            error_count: number;
            parent: string;
        };
        DependencyGraph: {
            edges: components["schemas"]["DependencyEdge"][];
            nodes: components["schemas"]["DependencyNode"][];
        };
        DependencyNode: {
            service: string;
        };
        /**
         * @description A direction of shaped traffic.
         * @enum {string}
         */
        Direction: "ingress" | "egress";
        /** @description An endpoint a failover drill removed from rotation until `until_unix_ms`. */
        DrainedEndpoint: {
            endpoint: string;
            /** Format: int64 */
            route_table_id: number;
            /** Format: int64 */
            until_unix_ms: number;
        };
        /**
         * @description Where a live drill is.
         * @enum {string}
         */
        DrillStatus: "running" | "finished" | "failed" | "lost";
        /**
         * @description DSCP code points supported by policies.
         * @enum {string}
         */
        Dscp: "EF" | "AF41" | "AF31" | "AF21" | "AF11" | "BE";
        /** @description Health of one endpoint, as last probed by the control plane. */
        EndpointHealth: {
            consecutive_failures: number;
            consecutive_successes: number;
            endpoint: string;
            is_healthy: boolean;
            last_check?: string | null;
            last_error?: string | null;
            /** Format: int64 */
            route_table_id: number;
            /** Format: double */
            rtt_ms?: number | null;
        };
        /** @description Health of one endpoint, with where it runs. */
        EndpointHealthView: {
            consecutive_failures: number;
            consecutive_successes: number;
            endpoint: string;
            is_active: boolean;
            is_healthy: boolean;
            last_check?: string | null;
            last_error?: string | null;
            provider: components["schemas"]["CloudProvider"];
            region: string;
            /** Format: double */
            rtt_ms?: number | null;
        };
        /** @description `detail` is a message; a license refusal (403 on an Enterprise feature) carries an object with `error`, `feature` and upgrade information instead, so a role refusal (a plain string) and a license refusal can be told apart. A 409 for input that refers to a missing object (or one of another cluster) lists the fields, as a 422 does. */
        Error: {
            detail: string | Record<string, never> | components["schemas"]["FieldError"][];
        };
        /**
         * @description A live failover drill: which endpoint is out of rotation, until when, and once it ended,
         *     what it found.
         */
        FailoverDrill: {
            duration_seconds: number;
            /** @description The endpoint taken out of rotation. */
            endpoint: string;
            /** @description When the endpoint returns to rotation (`started_at` + `duration_seconds`). */
            ends_at: string;
            /** @description Why the drill stopped, when `status` is `failed`. */
            error?: string | null;
            finished_at?: string | null;
            /** Format: int64 */
            id: number;
            result?: components["schemas"]["FailoverResult"] | null;
            /** Format: int64 */
            route_table_id: number;
            started_at: string;
            status: components["schemas"]["DrillStatus"];
        };
        FailoverRequest: {
            /**
             * @description `true`: only evaluate the algorithm with the endpoint removed. `false`: a live drill
             *     (the endpoint leaves the proxies' rotation for `duration_seconds`). Absent: a dry run;
             *     a live drill runs only when asked for.
             */
            dry_run?: boolean | null;
            /**
             * Format: int32
             * @description How long a live drill keeps the endpoint out (1-300 s, default 30).
             */
            duration_seconds?: number | null;
            /** @description The endpoint to take out of rotation (default: the current primary). */
            endpoint?: string | null;
            /**
             * @description Live drills only. `true` or absent: the response comes when the drill ends (its
             *     duration and a few seconds for the proxies' reports) and carries its result.
             *     `false`: 202 Accepted at once, with the drill's record; `Location` names
             *     `…/routes/{id}/drills/{drill_id}`, which follows it. Either way the drill runs to its
             *     end and records its result, also when the client stops waiting.
             */
            wait?: boolean | null;
        };
        FailoverResult: {
            algorithm: string;
            auto_failover_enabled: boolean;
            /** Format: int64 */
            drill_id?: number | null;
            dry_run: boolean;
            /** Format: int64 */
            failed_requests?: number | null;
            failover_target?: string | null;
            healthy_endpoints: string[];
            message: string;
            removed_endpoint?: string | null;
            restored: boolean;
            /** Format: int64 */
            route_id: number;
            route_name: string;
            /** Format: int64 */
            route_table_id: number;
            simulated_failure?: string | null;
            /** Format: double */
            switch_time_ms?: number | null;
            test_status: string;
            traffic_moved?: boolean | null;
            unhealthy_endpoints: string[];
        };
        FieldError: {
            /** @description Where: `body`, `query` or `path`, then the field's path. */
            loc: (string | number)[];
            msg: string;
            type: string;
        };
        Health: {
            database?: string | null;
            status: string;
        };
        /** @description How the control plane probes the endpoints of a route table. */
        HealthProbeConfig: {
            /**
             * @description For `grpc` probes: the service asked about (`HealthCheckRequest.service`); empty or
             *     missing asks about the server as a whole.
             */
            grpc_service?: string | null;
            /** Format: int32 */
            healthy_threshold?: number;
            /** Format: int32 */
            interval_seconds?: number;
            /** @description Path for HTTP(S) probes; defaults to `/health`. */
            path?: string | null;
            /**
             * Format: int32
             * @description Port to probe; defaults to the endpoint's port.
             */
            port?: number | null;
            /** @description Default `tcp`. */
            protocol?: components["schemas"]["ProbeProtocol"];
            /**
             * Format: int32
             * @description How long a probe may take; at most `interval_seconds` counts (a larger value waits
             *     one interval, HAProxy's rule).
             */
            timeout_seconds?: number;
            /** Format: int32 */
            unhealthy_threshold?: number;
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of HealthProbeConfig; fields not sent keep their values, `null` clears an optional field; the result must be a valid HealthProbeConfig. */
        HealthProbeConfigPatch: {
            grpc_service?: (string | null) | null;
            healthy_threshold?: number | null;
            interval_seconds?: number | null;
            path?: (string | null) | null;
            port?: (number | null) | null;
            protocol?: components["schemas"]["ProbeProtocol"] | null;
            timeout_seconds?: number | null;
            unhealthy_threshold?: number | null;
        };
        LatencyBucket: {
            /** Format: int64 */
            count: number;
            /**
             * Format: double
             * @description Upper bound in milliseconds (`null` for the overflow bucket).
             */
            le_ms?: number | null;
        };
        LatencyHistogram: {
            buckets: components["schemas"]["LatencyBucket"][];
            /** Format: int64 */
            count: number;
            /** Format: double */
            p50_ms?: number | null;
            /** Format: double */
            p90_ms?: number | null;
            /** Format: double */
            p99_ms?: number | null;
        };
        /** @description The license as the rest of the system sees it. */
        LicenseStatus: {
            expires_at?: string | null;
            features: string[];
            /** @description The key with all but its last group masked. */
            key_hint?: string | null;
            last_validated_at?: string | null;
            limits: components["schemas"]["Limits"];
            message?: string | null;
            release_mode: boolean;
            source: components["schemas"]["Source"];
            tier: components["schemas"]["Tier"];
            valid: boolean;
        };
        Limits: {
            /** @description Proxies per cluster; `null` means unlimited. */
            max_proxies?: number | null;
        };
        LoginRequest: {
            password: string;
            username: string;
        };
        LogoutRequest: {
            /** @description The session's refresh token, revoked with the access token that calls. */
            refresh_token?: string | null;
        };
        /**
         * @description Priority classes, highest first.
         * @enum {string}
         */
        Priority: "P0" | "P1" | "P2" | "P3";
        /** @description Scheduling class and marking of a service's traffic. */
        PriorityConfig: {
            dscp_marking?: components["schemas"]["Dscp"];
            /**
             * Format: int32
             * @description Latency SLA; defaults to the class's (P0 1 ms, P1 10 ms, P2 100 ms).
             */
            max_latency_ms?: number | null;
            priority: components["schemas"]["Priority"];
            /**
             * Format: int32
             * @description Share among policies of the same class under contention.
             */
            weight?: number;
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of PriorityConfig; fields not sent keep their values, `null` clears an optional field; the result must be a valid PriorityConfig. */
        PriorityConfigPatch: {
            dscp_marking?: components["schemas"]["Dscp"] | null;
            max_latency_ms?: (number | null) | null;
            priority?: components["schemas"]["Priority"];
            weight?: number | null;
        };
        /** @enum {string} */
        ProbeProtocol: "tcp" | "http" | "https" | "icmp" | "grpc";
        /** @description A data-plane proxy registered with the control plane. */
        Proxy: {
            address?: string | null;
            /** Format: int64 */
            cluster_id: number;
            /** Format: int64 */
            config_version: number;
            /** Format: int64 */
            id: number;
            last_seen: string;
            name: string;
            registered_at: string;
            /** @description `online` when the proxy was seen within the liveness window. */
            status: string;
            version: string;
        };
        /** @description `POST /api/v1/proxy/register`. */
        ProxyRegistration: {
            /** @description Where the proxy listens (informational). */
            address?: string | null;
            /** @description Unique within the cluster; a restarted proxy re-registers under the same name. */
            name: string;
            version: string;
        };
        /**
         * @description `POST /api/v1/proxy/report`. Traffic samples are applied exactly once per
         *     `report_id`; tracing and QoS samples are cumulative snapshots (latest wins).
         */
        ProxyReport: {
            /** Format: int64 */
            config_version: number;
            /** Format: int64 */
            proxy_id: number;
            qos?: components["schemas"]["QosSample"][];
            /** @description Unique per report; a retried report carries the same id. */
            report_id: string;
            tracing?: components["schemas"]["TracingSample"][];
            traffic?: components["schemas"]["TrafficSample"][];
        };
        /** @description What one proxy used of one cluster-scope limit during its last lease interval. */
        QosDemand: {
            direction: components["schemas"]["Direction"];
            /** Format: int64 */
            policy_id: number;
            /**
             * @description Traffic waited for tokens while the proxy used (nearly) all of its share: it would
             *     take more.
             */
            throttled: boolean;
            /**
             * Format: double
             * @description Bytes per second that passed.
             */
            used_bps: number;
        };
        /** @description One proxy's share of one cluster-scope limit. */
        QosGrant: {
            /**
             * Format: double
             * @description Its token-bucket depth: the policy's burst divided by `proxies`.
             */
            burst_bytes: number;
            direction: components["schemas"]["Direction"];
            /** Format: int64 */
            policy_id: number;
            /** @description Proxies sharing the limit now (the fallback share is limit / proxies). */
            proxies: number;
            /**
             * Format: double
             * @description The rate this proxy may pass, bytes per second.
             */
            rate_bps: number;
        };
        /** @description `POST /api/v1/proxy/qos-lease`: a proxy's demand for its cluster-scope limits. */
        QosLeaseRequest: {
            /** @description One per policy and direction. */
            demands: components["schemas"]["QosDemand"][];
            /**
             * Format: int64
             * @description How often the proxy leases (milliseconds, 50–10000); a lease lasts three intervals.
             */
            interval_ms: number;
            /** Format: int64 */
            proxy_id: number;
        };
        /**
         * @description The answer to a lease: a grant per demand the control plane recognised (a cluster-scope,
         *     enabled policy of the proxy's cluster with a limit in that direction).
         */
        QosLeaseResponse: {
            /** @description The grants hold this long; a proxy that hears nothing newer falls back to limit / proxies. */
            expires_in_ms: number;
            grants: components["schemas"]["QosGrant"][];
        };
        /** @description A stored QoS policy. */
        QosPolicy: components["schemas"]["QosPolicySpec"] & {
            created_at: string;
            /** Format: int64 */
            id: number;
            updated_at: string;
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of QosPolicySpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid QosPolicySpec. */
        QosPolicyPatch: {
            bandwidth?: components["schemas"]["BandwidthConfigPatch"] | null;
            /** Format: int64 */
            cluster_id?: number;
            description?: (string | null) | null;
            enabled?: boolean | null;
            name?: string;
            priority_config?: components["schemas"]["PriorityConfigPatch"];
            /** Format: int64 */
            service_id?: number;
        };
        /** @description A QoS policy as written by a user. */
        QosPolicySpec: {
            /** @description Default: no limits (a burst of 1024 KiB, cluster scope). */
            bandwidth?: components["schemas"]["BandwidthConfig"];
            /** Format: int64 */
            cluster_id: number;
            description?: string | null;
            enabled?: boolean;
            name: string;
            priority_config: components["schemas"]["PriorityConfig"];
            /** Format: int64 */
            service_id: number;
        };
        /** @description A partial update: each field sent replaces the stored one whole of QosPolicySpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid QosPolicySpec. */
        QosPolicyUpdate: {
            bandwidth?: components["schemas"]["BandwidthConfig"] | null;
            /** Format: int64 */
            cluster_id?: number;
            description?: (string | null) | null;
            enabled?: boolean | null;
            name?: string;
            priority_config?: components["schemas"]["PriorityConfig"];
            /** Format: int64 */
            service_id?: number;
        };
        /** @description Shaping counters of one QoS policy since the proxy started (cumulative). */
        QosSample: {
            bytes_delayed: number;
            bytes_passed: number;
            /**
             * Format: double
             * @description Bytes per second over the last report interval.
             */
            current_rate_bps: number;
            /** @description Added delay per priority class P0-P3: `[p50_ms, p99_ms]`. */
            delay_ms: number[][];
            /** Format: int64 */
            policy_id: number;
            sla_violations: number;
        };
        QosStats: {
            /** Format: int64 */
            bytes_delayed: number;
            /** Format: int64 */
            bytes_passed: number;
            /** @description Scope `cluster`: each proxy's current share of the limits (leases not yet expired). */
            cluster_shares: components["schemas"]["ClusterShare"][];
            /**
             * Format: double
             * @description Sum over proxies of the rate each measured over its last report interval.
             */
            current_rate_mbps: number;
            /** @description Worst p50/p99 across proxies, per class. */
            delay_ms: Record<string, never>;
            /** Format: int64 */
            policy_id: number;
            /** Format: int64 */
            proxies_reporting: number;
            /** Format: int64 */
            sla_violations: number;
            updated_at?: string | null;
        };
        RefreshRequest: {
            refresh_token: string;
        };
        Registered: {
            /** Format: int64 */
            cluster_id: number;
            /** Format: int64 */
            proxy_id: number;
        };
        /** @enum {string} */
        Role: "admin" | "viewer";
        /** @description One endpoint of a route table. */
        Route: {
            /**
             * Format: double
             * @description Egress price in USD per GB; required by the `cost` algorithm.
             */
            cost_per_gb?: number | null;
            endpoint: string;
            is_active?: boolean;
            /**
             * Format: double
             * @description Coordinates for geo routing of endpoints outside the known cloud regions.
             */
            latitude?: number | null;
            /** Format: double */
            longitude?: number | null;
            /** @description Failover order, lower first; defaults to list order. */
            priority?: number | null;
            provider: components["schemas"]["CloudProvider"];
            region: string;
            upstream_protocol?: components["schemas"]["UpstreamProtocol"] | null;
            /** Format: int32 */
            weight?: number;
        } & (unknown & unknown & unknown & unknown);
        /** @description A stored route table. */
        RouteTable: components["schemas"]["RouteTableSpec"] & {
            created_at: string;
            /** Format: int64 */
            id: number;
            updated_at: string;
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of RouteTableSpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid RouteTableSpec. */
        RouteTablePatch: {
            algorithm?: components["schemas"]["RoutingAlgorithm"] | null;
            /** Format: int64 */
            cluster_id?: number;
            description?: (string | null) | null;
            enable_auto_failover?: boolean | null;
            enabled?: boolean | null;
            health_probe?: components["schemas"]["HealthProbeConfigPatch"] | null;
            name?: string;
            routes?: components["schemas"]["Route"][];
            /** Format: int64 */
            service_id?: number;
        };
        /** @description A route table as written by a user. */
        RouteTableSpec: {
            /** @description Default `latency`. */
            algorithm?: components["schemas"]["RoutingAlgorithm"];
            /** Format: int64 */
            cluster_id: number;
            description?: string | null;
            enable_auto_failover?: boolean;
            enabled?: boolean;
            health_probe?: components["schemas"]["HealthProbeConfig"];
            name: string;
            routes: components["schemas"]["Route"][];
            /** Format: int64 */
            service_id: number;
        } & (unknown & {
            routes: unknown;
        } & {
            routes: unknown;
        });
        /** @description A partial update: each field sent replaces the stored one whole of RouteTableSpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid RouteTableSpec. */
        RouteTableUpdate: {
            algorithm?: components["schemas"]["RoutingAlgorithm"] | null;
            /** Format: int64 */
            cluster_id?: number;
            description?: (string | null) | null;
            enable_auto_failover?: boolean | null;
            enabled?: boolean | null;
            health_probe?: components["schemas"]["HealthProbeConfig"] | null;
            name?: string;
            routes?: components["schemas"]["Route"][];
            /** Format: int64 */
            service_id?: number;
        };
        /** @description A route table, with its endpoints' health unless asked not to (`include_health=false`). */
        RouteTableView: components["schemas"]["RouteTable"] & {
            health_status?: components["schemas"]["EndpointHealthView"][] | null;
        };
        /** @enum {string} */
        RoutingAlgorithm: "latency" | "cost" | "geo" | "weighted_rr" | "failover";
        /**
         * @description Which requests are traced.
         * @enum {string}
         */
        SamplingStrategy: "always" | "never" | "probabilistic" | "rate_limit" | "error_only" | "adaptive";
        SearchError: {
            error: string;
            source: string;
        };
        Service: components["schemas"]["ServiceSpec"] & {
            created_at: string;
            /** Format: int64 */
            id: number;
            updated_at: string;
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of ServiceSpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid ServiceSpec. */
        ServicePatch: {
            /** Format: int64 */
            cluster_id?: number;
            description?: (string | null) | null;
            enabled?: boolean | null;
            hostnames?: (string)[] | null;
            listen_port?: (number | null) | null;
            name?: string;
            path_prefix?: string | null;
            protocol?: components["schemas"]["ServiceProtocol"];
        };
        /** @enum {string} */
        ServiceProtocol: "http" | "https" | "tcp";
        /**
         * @description A service: the hostnames (and path prefix) a proxy answers for; its enabled
         *     route table says where the traffic goes.
         */
        ServiceSpec: {
            /** Format: int64 */
            cluster_id: number;
            description?: string | null;
            enabled?: boolean;
            /** @description Host names matched against the `Host` header (`*.example.com` wildcards allowed), or IP addresses. */
            hostnames?: (string)[];
            /**
             * Format: int32
             * @description For `tcp` services: the port of the proxy's L4 listener.
             */
            listen_port?: number | null;
            name: string;
            path_prefix?: string;
            protocol: components["schemas"]["ServiceProtocol"];
        } & (unknown & unknown);
        /** @description A partial update: each field sent replaces the stored one whole of ServiceSpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid ServiceSpec. */
        ServiceUpdate: {
            /** Format: int64 */
            cluster_id?: number;
            description?: (string | null) | null;
            enabled?: boolean | null;
            hostnames?: (string)[] | null;
            listen_port?: (number | null) | null;
            name?: string;
            path_prefix?: string | null;
            protocol?: components["schemas"]["ServiceProtocol"];
        };
        /**
         * @description Where the current answer came from.
         * @enum {string}
         */
        Source: "development" | "none" | "license_server" | "grace_cache" | "offline_file" | "invalid";
        /**
         * @description The wire transport used to reach the backend.
         * @enum {string}
         */
        SpanExporter: "grpc" | "http" | "thrift";
        SpanSearchResult: {
            /** @description Query backends that failed, and why. */
            errors: components["schemas"]["SearchError"][];
            search_params: Record<string, never>;
            spans: components["schemas"]["SpanView"][];
            /** Format: int64 */
            total: number;
            /**
             * Format: int64
             * @description The original MarchProxy API's names: `total`, and the filters as understood.
             */
            total_count: number;
        };
        /** @description A span as searched: the stored span, with the original MarchProxy API's names too. */
        SpanView: components["schemas"]["StoredSpan"] & {
            /** @description `status` is `error`. */
            has_error: boolean;
            /** @description `operation`. */
            operation_name: string;
            /** @description `service`. */
            service_name: string;
            /** @description `attributes`. */
            tags: Record<string, never>;
        };
        StoredSpan: {
            attributes: Record<string, never>;
            /** Format: double */
            duration_ms: number;
            kind: string;
            operation: string;
            parent_span_id?: string | null;
            service: string;
            /** @description `local` (embedded store) or the query backend it came from. */
            source: string;
            span_id: string;
            /** @description RFC 3339 start time. */
            start_time: string;
            /** @description `ok` or `error`. */
            status: string;
            trace_id: string;
        };
        TestResult: {
            backend: string;
            /** Format: int64 */
            config_id: number;
            config_name: string;
            connectivity_test: components["schemas"]["ConnectivityTest"];
            endpoint: string;
            error?: string | null;
            exporter: string;
            /** Format: double */
            latency_ms: number;
            success: boolean;
            /** @description `success` or `failed`. */
            test_status: string;
            /** @description The test span's trace id (empty when no span was sent). */
            trace_id: string;
            /** @description What the stored config fails of the current validation (empty when valid). */
            validation_errors: string[];
        };
        /** @enum {string} */
        Tier: "development" | "community" | "enterprise";
        /** @description A login's answer. */
        TokenPair: {
            access_token: string;
            /** @description Seconds until the access token expires. */
            expires_in: number;
            refresh_token: string;
            token_type: string;
        };
        Trace: {
            spans: components["schemas"]["StoredSpan"][];
            trace_id: string;
        };
        /**
         * @description Where spans go.
         * @enum {string}
         */
        TracingBackend: "jaeger" | "zipkin" | "otlp";
        /** @description A stored tracing configuration. */
        TracingConfig: components["schemas"]["TracingConfigSpec"] & {
            created_at: string;
            /** Format: int64 */
            id: number;
            updated_at: string;
        };
        /** @description A merge patch (RFC 7396): nested objects merge field by field of TracingConfigSpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid TracingConfigSpec. */
        TracingConfigPatch: {
            backend?: components["schemas"]["TracingBackend"] | null;
            /** Format: int64 */
            cluster_id?: number;
            custom_tags?: ({
                [key: string]: string;
            } | null) | null;
            description?: (string | null) | null;
            enabled?: boolean | null;
            endpoint?: string;
            exporter?: components["schemas"]["SpanExporter"] | null;
            include_request_body?: boolean | null;
            include_request_headers?: boolean | null;
            include_response_body?: boolean | null;
            include_response_headers?: boolean | null;
            max_attribute_length?: number | null;
            max_traces_per_second?: (number | null) | null;
            name?: string;
            query_url?: (string | null) | null;
            sampling_rate?: number | null;
            sampling_strategy?: components["schemas"]["SamplingStrategy"] | null;
            service_name?: string | null;
        };
        /** @description A tracing configuration as written by a user (and returned, with `id` and times). */
        TracingConfigSpec: {
            /** @description Default `jaeger`. */
            backend?: components["schemas"]["TracingBackend"];
            /** Format: int64 */
            cluster_id: number;
            custom_tags?: {
                [key: string]: string;
            } | null;
            description?: string | null;
            enabled?: boolean;
            endpoint: string;
            /** @description Default `grpc`. */
            exporter?: components["schemas"]["SpanExporter"];
            include_request_body?: boolean;
            include_request_headers?: boolean;
            include_response_body?: boolean;
            include_response_headers?: boolean;
            /** Format: int32 */
            max_attribute_length?: number;
            /**
             * Format: int32
             * @description Ceiling for `rate_limit`, target for `adaptive` (default 10 there).
             */
            max_traces_per_second?: number | null;
            name: string;
            query_url?: string | null;
            /**
             * Format: double
             * @description Probability in [0, 1] (default 0.1); used by `probabilistic` and as the starting
             *     point of `adaptive`.
             */
            sampling_rate?: number;
            /** @description Default `probabilistic`. */
            sampling_strategy?: components["schemas"]["SamplingStrategy"];
            service_name?: string;
        } & (unknown & unknown & unknown & unknown);
        /** @description A partial update: each field sent replaces the stored one whole of TracingConfigSpec; fields not sent keep their values, `null` clears an optional field; the result must be a valid TracingConfigSpec. */
        TracingConfigUpdate: {
            backend?: components["schemas"]["TracingBackend"] | null;
            /** Format: int64 */
            cluster_id?: number;
            custom_tags?: ({
                [key: string]: string;
            } | null) | null;
            description?: (string | null) | null;
            enabled?: boolean | null;
            endpoint?: string;
            exporter?: components["schemas"]["SpanExporter"] | null;
            include_request_body?: boolean | null;
            include_request_headers?: boolean | null;
            include_response_body?: boolean | null;
            include_response_headers?: boolean | null;
            max_attribute_length?: number | null;
            max_traces_per_second?: (number | null) | null;
            name?: string;
            query_url?: (string | null) | null;
            sampling_rate?: number | null;
            sampling_strategy?: components["schemas"]["SamplingStrategy"] | null;
            service_name?: string | null;
        };
        /** @description A tracing config, with its stats unless asked not to (`include_stats=false`). */
        TracingConfigView: components["schemas"]["TracingConfig"] & {
            stats?: components["schemas"]["TracingStats"] | null;
        };
        /** @description Tracing counters of one tracing config since the proxy started (cumulative). */
        TracingSample: {
            /** Format: double */
            effective_sampling_rate?: number | null;
            /** Format: int64 */
            last_export_at_ms?: number | null;
            last_export_error?: string | null;
            /** Format: double */
            span_duration_sum_ms: number;
            spans_dropped: number;
            spans_errored: number;
            spans_exported: number;
            spans_sampled: number;
            spans_started: number;
            /** Format: int64 */
            tracing_config_id: number;
        };
        TracingStats: {
            /** Format: double */
            avg_span_duration_ms?: number | null;
            /**
             * Format: int64
             * @description = `spans_dropped`.
             */
            dropped_spans: number;
            /**
             * Format: double
             * @description Sampled / started over everything reported (the sampler's real rate).
             */
            effective_sampling_rate?: number | null;
            /**
             * Format: int64
             * @description = `spans_errored`.
             */
            error_spans: number;
            /** @description = `last_export_at`. */
            last_export?: string | null;
            last_export_at?: string | null;
            last_export_error?: string | null;
            /** Format: int64 */
            proxies_reporting: number;
            /**
             * Format: int64
             * @description = `spans_sampled`.
             */
            sampled_spans: number;
            /** Format: int64 */
            spans_dropped: number;
            /** Format: int64 */
            spans_errored: number;
            /** Format: int64 */
            spans_exported: number;
            /** Format: int64 */
            spans_sampled: number;
            /** Format: int64 */
            spans_started: number;
            /**
             * Format: int64
             * @description = `spans_started`.
             */
            total_spans: number;
            /** Format: int64 */
            tracing_config_id: number;
            updated_at?: string | null;
        };
        /** @description Traffic to one route-table endpoint during one minute bucket. */
        TrafficSample: {
            /**
             * Format: int64
             * @description Start of the one-minute bucket, epoch milliseconds.
             */
            bucket_start_ms: number;
            /** @description Client → upstream bytes. */
            bytes_in: number;
            /** @description Upstream → client bytes (what clouds bill as egress). */
            bytes_out: number;
            endpoint: string;
            /** @description Requests that failed (5xx from the upstream, or a proxy error). */
            errors: number;
            requests: number;
            /** Format: int64 */
            route_table_id: number;
        };
        /**
         * @description A change to a user: a new role, a new password (an admin's reset), or both. Omitted
         *     fields stay as they are.
         */
        UpdateUser: {
            /** @description A new password (the rules of `CreateUser.password`). */
            password?: string | null;
            role?: components["schemas"]["Role"] | null;
        } | {
            role: components["schemas"]["Role"];
        } | {
            password: string;
        };
        /**
         * @description The HTTP version spoken to an endpoint.
         * @enum {string}
         */
        UpstreamProtocol: "http1" | "http2";
        User: {
            created_at: string;
            /** Format: int64 */
            id: number;
            role: components["schemas"]["Role"];
            username: string;
        };
        /** @description Every invalid field at once (FastAPI's shape). */
        ValidationError: {
            detail: components["schemas"]["FieldError"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description bad credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
            /** @description locked out */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LogoutRequest"];
            };
        };
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    change_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePassword"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description wrong current password, or a new password the policy refuses */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
            /** @description too many wrong current passwords */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_clusters: {
        parameters: {
            query?: {
                cluster_id?: number;
                service_id?: number;
                enabled_only?: boolean;
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cluster"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    create_cluster: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClusterSpec"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClusterCreated"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_cluster: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cluster"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    update_cluster: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClusterSpec"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cluster"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict: the name is taken, the object is in use, or the input refers to an object that does not exist (or belongs to another cluster) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    delete_cluster: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    rotate_key: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    license_refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LicenseStatus"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    license_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LicenseStatus"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cost_analytics: {
        parameters: {
            query?: {
                cluster_id?: number;
                /** @description Only this service's traffic. */
                service_id?: number;
                /** @description Only this route table's traffic. */
                route_id?: number;
                /** @description Query parameters; `days` and `start`, `days` and `end` exclude each other. */
                period?: {
                    /**
                     * Format: int32
                     * @description Days back from now (1-366); default 7 (as the original MarchProxy client) when
                     *     neither start nor end is given.
                     */
                    days?: number;
                    /** @description End date, exclusive (YYYY-MM-DD or RFC 3339); default now. */
                    end?: string;
                    /** @description Start date (YYYY-MM-DD or RFC 3339). */
                    start?: string;
                };
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CostReport"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_routes: {
        parameters: {
            query?: {
                cluster_id?: number;
                service_id?: number;
                enabled_only?: boolean;
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTable"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    create_route: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RouteTableSpec"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTable"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict: the name is taken, the object is in use, or the input refers to an object that does not exist (or belongs to another cluster) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_route: {
        parameters: {
            query?: {
                /**
                 * @description Add `health_status`: each endpoint's live health (as `GET …/{id}/health` answers).
                 *     Default true, as in the original MarchProxy API.
                 */
                include_health?: boolean;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTableView"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    update_route: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RouteTableUpdate"];
                "application/merge-patch+json": components["schemas"]["RouteTableUpdate"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTable"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    delete_route: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    patch_route: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RouteTablePatch"];
                "application/merge-patch+json": components["schemas"]["RouteTablePatch"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTable"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    disable_route: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTable"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_drills: {
        parameters: {
            query?: {
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailoverDrill"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_drill: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
                drill_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailoverDrill"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    enable_route: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RouteTable"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    route_health: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EndpointHealthView"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    test_failover: {
        parameters: {
            query?: {
                /**
                 * @description The original MarchProxy client's form: simulate the failure of this endpoint (a dry
                 *     run). Not together with a body naming `endpoint` or asking for a live drill.
                 */
                simulate_failure_endpoint?: string;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["FailoverRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailoverResult"];
                };
            };
            202: {
                headers: {
                    /** @description the drill's record */
                    location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailoverDrill"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    dependencies: {
        parameters: {
            query?: {
                /** @description Look-back window in hours (1-720, default 24). */
                hours?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DependencyGraph"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    latency: {
        parameters: {
            query?: {
                /** @description Look-back window in hours (1-720, default 1). */
                hours?: number;
                /** @description Query parameters; `service` and `service_name`, `operation` and `operation_name` exclude each other. */
                names?: {
                    operation?: string;
                    /** @description The original MarchProxy client's name for `operation`. */
                    operation_name?: string;
                    service?: string;
                    /** @description The original MarchProxy client's name for `service`. */
                    service_name?: string;
                };
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LatencyHistogram"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    search_spans: {
        parameters: {
            query?: {
                /**
                 * @description `key:value` pairs separated by commas, or a JSON object of them (the original
                 *     MarchProxy client's form).
                 */
                tags?: string;
                has_error?: boolean;
                min_duration_ms?: number;
                max_duration_ms?: number;
                /** @description RFC 3339 or epoch milliseconds. */
                start?: string;
                end?: string;
                /** @description 32 hex characters. */
                trace_id?: string;
                skip?: number;
                /** @description Page size (1-1000, default 1000). */
                limit?: number;
                /** @description Query parameters; `service` and `service_name`, `operation` and `operation_name` exclude each other. */
                names?: {
                    /** @description Also accepted as `operation_name`. */
                    operation?: string;
                    /** @description The original MarchProxy client's name for `operation`. */
                    operation_name?: string;
                    /** @description Also accepted as `service_name` (the original MarchProxy client's name). */
                    service?: string;
                    /** @description The original MarchProxy client's name for `service`. */
                    service_name?: string;
                };
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SpanSearchResult"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_trace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                trace_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Trace"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_configs: {
        parameters: {
            query?: {
                cluster_id?: number;
                service_id?: number;
                enabled_only?: boolean;
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfig"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    create_config: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TracingConfigSpec"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfig"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict: the name is taken, the object is in use, or the input refers to an object that does not exist (or belongs to another cluster) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_config: {
        parameters: {
            query?: {
                /**
                 * @description Add `stats` (as `GET …/{id}/stats` answers). Default true, as in the original
                 *     MarchProxy API.
                 */
                include_stats?: boolean;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfigView"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    update_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TracingConfigUpdate"];
                "application/merge-patch+json": components["schemas"]["TracingConfigUpdate"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfig"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    delete_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    patch_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TracingConfigPatch"];
                "application/merge-patch+json": components["schemas"]["TracingConfigPatch"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfig"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    disable_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfig"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    enable_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingConfig"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    config_stats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingStats"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    test_config: {
        parameters: {
            query?: {
                /** @description `false`: validate and open a connection to the endpoint without sending a span. */
                send_test_span?: boolean;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestResult"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_proxies: {
        parameters: {
            query?: {
                cluster_id?: number;
                service_id?: number;
                enabled_only?: boolean;
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Proxy"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    config: {
        parameters: {
            query?: {
                /** @description The version the proxy has; the call waits until a newer one exists. */
                version?: number;
                proxy_id?: number;
                /** @description Longest wait, seconds (default 25, at most 60). */
                wait_seconds?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClusterSnapshot"];
                };
            };
            /** @description no change */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    qos_lease: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["QosLeaseRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosLeaseResponse"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
            /** @description busy or the database is unavailable; keep the current shares and retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProxyRegistration"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Registered"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description proxy limit reached */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    report: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProxyReport"];
            };
        };
        responses: {
            /** @description applied or already applied */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_services: {
        parameters: {
            query?: {
                cluster_id?: number;
                service_id?: number;
                enabled_only?: boolean;
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Service"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    create_service: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ServiceSpec"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Service"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_service: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Service"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    update_service: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ServiceUpdate"];
                "application/merge-patch+json": components["schemas"]["ServiceUpdate"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Service"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    delete_service: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    patch_service: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ServicePatch"];
                "application/merge-patch+json": components["schemas"]["ServicePatch"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Service"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_policies: {
        parameters: {
            query?: {
                cluster_id?: number;
                service_id?: number;
                enabled_only?: boolean;
                /** @description Items to skip. */
                skip?: number;
                /** @description Page size (1-1000, default 1000); `X-Total-Count` has the total. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Enterprise license required */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    create_policy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["QosPolicySpec"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict: the name is taken, the object is in use, or the input refers to an object that does not exist (or belongs to another cluster) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    get_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    update_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["QosPolicyUpdate"];
                "application/merge-patch+json": components["schemas"]["QosPolicyUpdate"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    delete_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    patch_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["QosPolicyPatch"];
                "application/merge-patch+json": components["schemas"]["QosPolicyPatch"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    disable_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    enable_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosPolicy"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    policy_stats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QosStats"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    list_users: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"][];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    create_user: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateUser"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    delete_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the last admin, or yourself */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description invalid input: `detail` lists every invalid field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    update_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateUser"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description admin role required (`detail` is a string) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the last admin */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationError"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    receive: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": Record<string, never>;
                "application/x-protobuf": number[];
            };
        };
        responses: {
            /** @description accepted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description undecodable payload */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no valid cluster API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the span store is busy; retry after `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
