//! Secret ⇄ SealedSecret conversion with kubeseal's and the controller's semantics.

mod manifest;
mod seal;
mod template;
mod unseal;

#[cfg(feature = "server")]
pub(crate) use manifest::expect_kind;
pub(crate) use manifest::string_map;
pub use manifest::{is_valid_secret_key, SEALED_SECRET_API_VERSION};
pub use seal::{merge_into, seal_raw, seal_secret, SealRequest};
#[cfg(feature = "server")]
pub(crate) use unseal::binding;
pub use unseal::{undecryptable, unseal, unseal_raw, UnsealRequest};
