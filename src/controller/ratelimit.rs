//! Per-client limits. Token buckets: `/v1/verify` and `/v1/rotate` decrypt on request, so each
//! peer address gets `rate` requests per second with bursts of `burst`. A connection budget:
//! each peer address holds at most so many connections open at once.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

/// Open connections per client address, up to a budget.
pub(crate) struct ConnectionBudget {
    per_client: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open connection of a client; its place in the budget is given back when dropped.
pub(crate) struct ClientSlot {
    client: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ConnectionBudget {
    pub(crate) fn new(per_client: usize) -> ConnectionBudget {
        ConnectionBudget {
            per_client: per_client.max(1),
            open: Arc::default(),
        }
    }

    /// A slot for a new connection from `client`; `None` when it has its budget open already.
    pub(crate) fn admit(&self, client: IpAddr) -> Option<ClientSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(client).or_insert(0);
        if *count >= self.per_client {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            client,
            open: self.open.clone(),
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// Room for a fixed number of connections waiting to show what they ask for; when it is full,
/// the one that has waited longest is told to give up, so a flood of idle connections cannot
/// keep a newcomer (a health probe) out.
pub(crate) struct Waiting {
    room: usize,
    queue: Mutex<(u64, Queue)>,
}

/// Waiting connections by id, oldest first, each with the sender that sends it away.
type Queue = VecDeque<(u64, oneshot::Sender<()>)>;

impl Waiting {
    pub(crate) fn new(room: usize) -> Waiting {
        Waiting {
            room: room.max(1),
            queue: Mutex::new((0, VecDeque::new())),
        }
    }

    /// Takes a place: its id, and a receiver that completes when the place is taken away.
    pub(crate) fn enter(&self) -> (u64, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut guard = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let (next, queue) = &mut *guard;
        if queue.len() >= self.room {
            if let Some((_, oldest)) = queue.pop_front() {
                let _ = oldest.send(());
            }
        }
        let id = *next;
        *next += 1;
        queue.push_back((id, tx));
        (id, rx)
    }

    pub(crate) fn leave(&self, id: u64) {
        let mut guard = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        guard.1.retain(|(i, _)| *i != id);
    }
}

/// Above this many tracked clients, buckets that have refilled completely are forgotten.
const PRUNE_ABOVE: usize = 10_000;

pub(crate) struct RateLimiter {
    /// Tokens per second; 0 disables limiting.
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub(crate) fn new(rate: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: rate.max(0.0),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.rate > 0.0
    }

    /// Takes a token for `client` at `now`; false when its bucket is empty.
    pub(crate) fn allow(&self, client: IpAddr, now: Instant) -> bool {
        if !self.enabled() {
            return true;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.refilled(now, rate, burst) < burst);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = bucket.refilled(now, self.rate, self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Seconds until `client` has a token again (for `Retry-After`), at least 1.
    pub(crate) fn retry_after(&self) -> u64 {
        if self.rate <= 0.0 {
            return 1;
        }
        (1.0 / self.rate).ceil().max(1.0) as u64
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }
}

impl Bucket {
    fn refilled(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn bursts_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(2.0, 3);
        let t = Instant::now();
        assert!((0..3).all(|_| limiter.allow(ip(1), t)), "burst of 3");
        assert!(!limiter.allow(ip(1), t), "bucket empty");
        assert!(!limiter.allow(ip(1), t + Duration::from_millis(400)));
        assert!(
            limiter.allow(ip(1), t + Duration::from_millis(600)),
            "one token after 0.5 s"
        );
        assert!(!limiter.allow(ip(1), t + Duration::from_millis(700)));
        assert!(limiter.allow(ip(1), t + Duration::from_secs(60)), "refills");
    }

    #[test]
    fn clients_are_independent_and_zero_disables() {
        let limiter = RateLimiter::new(1.0, 1);
        let t = Instant::now();
        assert!(limiter.allow(ip(1), t));
        assert!(!limiter.allow(ip(1), t));
        assert!(limiter.allow(ip(2), t), "another client has its own bucket");
        let off = RateLimiter::new(0.0, 1);
        assert!((0..1000).all(|_| off.allow(ip(1), t)));
        assert_eq!(limiter.retry_after(), 1);
    }

    #[test]
    fn each_client_has_its_own_connection_budget() {
        let budget = ConnectionBudget::new(2);
        let first = budget.admit(ip(1)).unwrap();
        let _second = budget.admit(ip(1)).unwrap();
        assert!(budget.admit(ip(1)).is_none(), "budget spent");
        assert!(budget.admit(ip(2)).is_some(), "another client has its own");
        drop(first);
        assert!(
            budget.admit(ip(1)).is_some(),
            "a closed connection gives its slot back"
        );
    }

    #[test]
    fn a_full_waiting_room_sends_the_oldest_away() {
        let waiting = Waiting::new(2);
        let (_, mut oldest) = waiting.enter();
        let (second, mut next) = waiting.enter();
        waiting.leave(second);
        let (_, mut third) = waiting.enter();
        assert!(oldest.try_recv().is_err(), "room for two");
        waiting.enter();
        assert!(oldest.try_recv().is_ok(), "the oldest is sent away");
        assert!(third.try_recv().is_err() && next.try_recv().is_err());
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let limiter = RateLimiter::new(100.0, 1);
        let t = Instant::now();
        for i in 0..=PRUNE_ABOVE as u32 {
            limiter.allow(IpAddr::from(i.to_be_bytes()), t);
        }
        limiter.allow(ip(1), t + Duration::from_secs(1));
        assert!(limiter.tracked() < 10, "full buckets pruned");
    }
}
