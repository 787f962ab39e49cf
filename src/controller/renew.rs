//! Key renewal: when a new key is due, and making one.

use std::time::{Duration, SystemTime};

use super::keygen::{generate, CertOptions};
use super::store::{KeySet, KeyStore};
use crate::error::{Error, Result};

/// `--key-renew-period`, `--key-cutoff-time` and what new keys look like.
#[derive(Clone, Debug)]
pub(crate) struct RenewPolicy {
    /// Zero disables periodic renewal.
    pub period: Duration,
    /// A newest key older than this is replaced at start.
    pub cutoff: Option<SystemTime>,
    pub key_bits: usize,
    pub cert: CertOptions,
}

impl RenewPolicy {
    /// Whether a key must be made before serving: none exists, the newest predates the
    /// cutoff, or it is older than the renewal period.
    pub(crate) fn due_at_start(&self, newest: Option<SystemTime>, now: SystemTime) -> bool {
        let Some(newest) = newest else {
            return true;
        };
        self.cutoff.is_some_and(|cutoff| newest < cutoff)
            || self.next_due(newest).is_some_and(|due| due <= now)
    }

    /// When the next key is due after a newest key created at `newest`; `None` when
    /// renewal is disabled.
    pub(crate) fn next_due(&self, newest: SystemTime) -> Option<SystemTime> {
        (!self.period.is_zero()).then(|| newest + self.period)
    }

    /// Generates a key into the store and returns its name with the reloaded key set. The
    /// new key's NotBefore is later than `newest` (certificate times have whole seconds), so
    /// it always becomes the newest key.
    pub(crate) fn renew(
        &self,
        store: &KeyStore,
        newest: Option<SystemTime>,
    ) -> Result<(String, KeySet)> {
        let now = SystemTime::now();
        let not_before = newest.map_or(now, |t| now.max(t + Duration::from_secs(1)));
        let material = generate(self.key_bits, &self.cert, not_before)
            .map_err(|e| Error::crypto(store.dir().display().to_string(), e))?;
        let name = store.add(&material)?;
        Ok((name, store.load()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(period_h: u64, cutoff: Option<SystemTime>) -> RenewPolicy {
        RenewPolicy {
            period: Duration::from_secs(period_h * 3600),
            cutoff,
            key_bits: 2048,
            cert: CertOptions::default(),
        }
    }

    #[test]
    fn start_needs_a_key_when_none_old_or_before_cutoff() {
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        assert!(policy(720, None).due_at_start(None, now));
        assert!(
            policy(0, None).due_at_start(None, now),
            "a key is needed to serve"
        );
        assert!(!policy(720, None).due_at_start(Some(now - day), now));
        assert!(policy(720, None).due_at_start(Some(now - 31 * day), now));
        assert!(
            !policy(0, None).due_at_start(Some(now - 3650 * day), now),
            "0 disables"
        );
        assert!(
            policy(0, Some(now)).due_at_start(Some(now - day), now),
            "cutoff"
        );
        assert!(!policy(0, Some(now - 2 * day)).due_at_start(Some(now - day), now));
    }

    #[test]
    fn next_due_is_newest_plus_period() {
        let t = SystemTime::UNIX_EPOCH;
        assert_eq!(
            policy(1, None).next_due(t),
            Some(t + Duration::from_secs(3600))
        );
        assert_eq!(policy(0, None).next_due(t), None);
    }
}
