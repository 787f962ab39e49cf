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

#[cfg(feature = "server")]
pub(crate) mod api;
pub(crate) mod keygen;
#[cfg(feature = "server")]
pub(crate) mod log;
#[cfg(feature = "server")]
pub(crate) mod metrics;
pub(crate) mod offline;
#[cfg(feature = "server")]
pub(crate) mod ratelimit;
#[cfg(feature = "server")]
pub(crate) mod renew;
#[cfg(feature = "server")]
pub(crate) mod server;
pub(crate) mod store;
pub(crate) mod template;
#[cfg(feature = "server")]
mod timeout_io;
pub(crate) mod transfer;
pub(crate) mod units;

pub(crate) use keygen::{generate, CertOptions};
#[cfg(feature = "server")]
pub(crate) use log::Logger;
pub(crate) use offline::unseal_tree;
#[cfg(feature = "server")]
pub(crate) use renew::RenewPolicy;
#[cfg(feature = "server")]
pub(crate) use server::{serve, ServeOptions};
pub(crate) use store::KeyStore;
pub(crate) use transfer::{export, import};
