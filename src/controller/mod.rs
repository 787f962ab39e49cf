//! Controller mode: the parts of the sealed-secrets controller that work without a cluster.
//!
//! - `store`: the key directory (one `kubernetes.io/tls` Secret per key, mode 0600) and the
//!   ordered set of active keys it holds;
//! - `keygen`: keys and self-signed certificates made the way the controller makes them;
//! - `transfer`: import of backups, key Secrets and PEM keys; export of a backup `List`;
//! - `renew`: when a new key is due;
//! - `server` (with `api`, `metrics`, `ratelimit`, `log`, `timeout_io`): the HTTP API;
//! - `offline` (with `template`): `controller unseal`, the Secrets the controller would create.
//!
//! Watching a live cluster is not here; docs/controller.md says how it would plug in.

pub mod api;
pub mod keygen;
pub mod log;
pub mod metrics;
pub mod offline;
#[cfg(feature = "server")]
pub mod ratelimit;
pub mod renew;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
pub mod template;
#[cfg(feature = "server")]
mod timeout_io;
pub mod transfer;
pub mod units;

pub use keygen::{generate, CertOptions, KeyMaterial, DEFAULT_KEY_BITS, DEFAULT_KEY_TTL};
pub use log::Logger;
pub use offline::{unseal_tree, OfflineReport};
pub use renew::RenewPolicy;
#[cfg(feature = "server")]
pub use server::{serve, ServeOptions};
pub use store::{KeySet, KeyStore};
pub use transfer::{export, import, ImportReport};
