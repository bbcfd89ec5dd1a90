//! Cluster-wide bandwidth limits: how one limit is shared among the proxies that lease it
//! (docs/adr/0006-cluster-wide-bandwidth-limits.md). Pure arithmetic; the store keeps the
//! claims (`store::qos_leases`) and calls [`share`] inside the policy's locked transaction.
//!
//! Each fresh claim is one proxy's last report: what it used, whether it was throttled, and
//! the share it holds now. Shares are max-min fair over the demands (water-filling), with
//! capacity nobody asked for split evenly. A proxy is granted its fair share only as far as
//! the others' current shares leave room: when demand moves to it, it grows as the others
//! shrink at their next lease, so the shares held never add up to more than the limit
//! (Doorman's "safe" capacity), and convergence takes two lease intervals.

/// One proxy's claim on a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub proxy_id: i64,
    /// Bytes per second that passed during its last interval.
    pub used_bps: f64,
    /// It would take more than its share.
    pub throttled: bool,
    /// The share it holds now (0 if none, or if its lease expired).
    pub held_bps: f64,
}

/// Total fraction of the limit reserved for idle proxies (each gets this / N), so a proxy
/// whose traffic starts has tokens at once while busy proxies get at least 98 %.
pub const IDLE_RESERVE: f64 = 0.02;
/// An unthrottled proxy asks for what it used plus this much headroom.
pub const HEADROOM: f64 = 1.2;

/// What each claim would get: max-min fair shares of `limit` over the demands.
pub fn targets(limit: f64, claims: &[Claim]) -> Vec<f64> {
    let n = claims.len();
    if n == 0 {
        return vec![];
    }
    let floor = limit * IDLE_RESERVE / n as f64;
    let demand: Vec<f64> =
        claims.iter().map(|c| if c.throttled { f64::INFINITY } else { (c.used_bps * HEADROOM).max(floor) }).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| demand[a].total_cmp(&demand[b]));
    let mut out = vec![0.0; n];
    let mut remaining = limit;
    for (k, &i) in order.iter().enumerate() {
        let fair = remaining / (n - k) as f64;
        if demand[i] <= fair {
            out[i] = demand[i];
            remaining -= demand[i];
        } else {
            // Everyone from here on wants more than an equal split of what is left.
            for &j in &order[k..] {
                out[j] = fair;
            }
            return out;
        }
    }
    // Every demand met: what nobody asked for is split evenly, so growth has room at once.
    let extra = remaining / n as f64;
    out.iter_mut().for_each(|v| *v += extra);
    out
}

/// The share to grant `me` (whose claim is among `claims`): its fair target, as far as the
/// shares the others hold leave room, and never less than the idle floor.
pub fn share(limit: f64, claims: &[Claim], me: i64) -> f64 {
    let t = targets(limit, claims);
    let Some(i) = claims.iter().position(|c| c.proxy_id == me) else { return 0.0 };
    let others: f64 = claims.iter().filter(|c| c.proxy_id != me).map(|c| c.held_bps).sum();
    let floor = limit * IDLE_RESERVE / claims.len() as f64;
    t[i].min(limit - others).max(floor.min(t[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(proxy_id: i64, used_bps: f64, throttled: bool, held_bps: f64) -> Claim {
        Claim { proxy_id, used_bps, throttled, held_bps }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6 * b.abs().max(1.0)
    }

    #[test]
    fn throttled_proxies_split_what_the_light_ones_leave() {
        let c = [claim(1, 100.0, false, 0.0), claim(2, 0.0, true, 0.0), claim(3, 0.0, true, 0.0)];
        let t = targets(1000.0, &c);
        assert!(close(t[0], 120.0), "{t:?}");
        assert!(close(t[1], 440.0) && close(t[2], 440.0), "{t:?}");
        assert!(close(t.iter().sum(), 1000.0));
    }

    #[test]
    fn idle_proxies_keep_a_small_floor_and_unasked_capacity_is_split() {
        let c = [claim(1, 0.0, false, 0.0), claim(2, 0.0, true, 0.0)];
        let t = targets(1000.0, &c);
        assert!(close(t[0], 10.0) && close(t[1], 990.0), "{t:?}");
        // Nobody throttled: demands 12 and 10; the rest split evenly.
        let c = [claim(1, 10.0, false, 0.0), claim(2, 0.0, false, 0.0)];
        let t = targets(1000.0, &c);
        assert!(close(t[0], 12.0 + 489.0) && close(t[1], 10.0 + 489.0), "{t:?}");
    }

    #[test]
    fn a_grant_only_takes_what_the_others_do_not_hold() {
        // Proxy 1 holds almost everything; proxy 2's demand just appeared.
        let c = [claim(1, 990.0, true, 990.0), claim(2, 10.0, true, 10.0)];
        assert!(close(share(1000.0, &c, 2), 10.0), "grows only into free capacity");
        assert!(close(share(1000.0, &c, 1), 500.0), "the big holder shrinks to its target");
        // Next round: proxy 1 holds 500, so proxy 2 gets its 500.
        let c = [claim(1, 500.0, true, 500.0), claim(2, 10.0, true, 10.0)];
        assert!(close(share(1000.0, &c, 2), 500.0));
    }

    #[test]
    fn shares_held_never_exceed_the_limit_over_any_sequence_of_leases() {
        // Demands shift every round; proxies lease one after another in a varying order.
        let limit = 1000.0;
        let mut held = [0.0f64; 3];
        let pattern: [[bool; 3]; 4] =
            [[true, true, false], [true, true, true], [false, true, true], [true, false, false]];
        for round in 0..40 {
            let busy = pattern[(round / 5) % 4];
            for k in 0..3 {
                let me = (round + k) % 3;
                let claims: Vec<Claim> = (0..3)
                    .map(|i| {
                        let used = if busy[i] { held[i] } else { 0.0 };
                        claim(i as i64, used, busy[i], held[i])
                    })
                    .collect();
                held[me] = share(limit, &claims, me as i64);
                let total: f64 = held.iter().sum();
                let floors = limit * IDLE_RESERVE;
                assert!(total <= limit + floors, "round {round}: held {held:?}");
            }
            if round % 5 == 4 {
                // After a few rounds of one pattern, the busy proxies hold ~all of the limit.
                let busy_sum: f64 = (0..3).filter(|&i| busy[i]).map(|i| held[i]).sum();
                assert!(busy_sum >= limit * (1.0 - IDLE_RESERVE) - 1e-6, "round {round}: {held:?}");
            }
        }
    }

    #[test]
    fn nothing_to_share_with_no_claims() {
        assert!(targets(1000.0, &[]).is_empty());
        assert_eq!(share(1000.0, &[], 1), 0.0);
    }
}
