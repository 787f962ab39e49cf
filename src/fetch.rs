//! Fetching a certificate over HTTP(S), as kubeseal's `--cert URL` does. TLS is rustls on
//! AWS-LC with the Mozilla roots; responses are capped and time-limited.

use crate::error::{Error, Result};

/// Largest certificate response read.
#[cfg(feature = "fetch")]
const MAX_RESPONSE: u64 = 1 << 20;
#[cfg(feature = "fetch")]
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether `source` names a URL rather than a file.
pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Without the client, a URL gets an answer that says how to do without it.
#[cfg(not(feature = "fetch"))]
pub(crate) fn fetch_text(url: &str) -> Result<String> {
    Err(Error::input_help(
        url,
        "this sealant was built without the URL client (cargo feature `fetch`)",
        "save the cert to a file (`curl -fsSLo cert.pem URL`) and pass that, or use a release binary, the wheel or the image",
    ))
}

/// GETs `url` and returns the body as text; any status but 200 is an error.
#[cfg(feature = "fetch")]
pub(crate) fn fetch_text(url: &str) -> Result<String> {
    let fail = |message: String| {
        Error::input_help(
            url,
            message,
            "check the URL (a controller serves its cert at /v1/cert.pem), or save the cert to a file and pass that",
        )
    };
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .build();
    let agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| fail(format!("cannot fetch the certificate: {e}")))?;
    let status = response.status();
    if status != 200 {
        return Err(fail(format!("the server answered {status}")));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_string()
        .map_err(|e| fail(format!("cannot read the certificate: {e}")))
}
