//! The HTTP API, compatible with the controller's: `/healthz`, `/v1/cert.pem`, `/v1/verify`,
//! `/v1/rotate`, plus `/metrics`. HTTP/1.1 on hyper, hardened for a network: bounded bodies,
//! header and body read timeouts, write timeouts, a connection cap, per-client rate limits on
//! the endpoints that decrypt, graceful shutdown on SIGTERM/SIGINT, and renewal while serving.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;

use super::api::{self, ApiError};
use super::log::Logger;
use super::metrics::{KeyGauges, Metrics, Route};
use super::ratelimit::{ClientSlot, ConnectionBudget, RateLimiter, Waiting};
use super::renew::RenewPolicy;
use super::store::{KeySet, KeyStore};
use super::timeout_io::TimeoutIo;
use crate::error::{Error, Result};

/// How the server listens and protects itself.
#[derive(Clone, Debug)]
pub(crate) struct ServeOptions {
    pub listen: String,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Longest wait for request headers, for each chunk of a body, and idle between requests.
    pub read_timeout: Duration,
    /// Longest a response write may stall.
    pub write_timeout: Duration,
    /// Requests per second per client on /v1/verify and /v1/rotate; 0 disables the limit.
    pub rate_limit: f64,
    pub rate_limit_burst: u32,
    pub max_connections: usize,
    /// Connections one client address may hold open at once.
    pub max_connections_per_client: usize,
    /// How long in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: "127.0.0.1:8080".into(),
            max_body: 1 << 20,
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            rate_limit: 2.0,
            rate_limit_burst: 2,
            max_connections: 1024,
            max_connections_per_client: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The running controller's shared state.
struct State {
    store: KeyStore,
    keys: RwLock<Arc<KeySet>>,
    policy: RenewPolicy,
    metrics: Metrics,
    limiter: RateLimiter,
    budget: ConnectionBudget,
    /// Connections over budget, waiting to show whether they are health or metrics probes.
    waiting: Waiting,
    /// Probes being answered over budget.
    probes: Arc<Semaphore>,
    log: Logger,
    options: ServeOptions,
}

impl State {
    /// The current key set: a snapshot that renewal replaces whole, never edits.
    fn keys(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn replace_keys(&self, keys: KeySet) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
    }
}

/// Loads the store (making a key when one is due), listens, and serves until SIGTERM or
/// SIGINT. Logs go to `log`, including `{"msg":"listening","addr":...}` once bound.
pub(crate) fn serve(
    store: KeyStore,
    policy: RenewPolicy,
    options: ServeOptions,
    log: Logger,
) -> Result<()> {
    store.create()?;
    let mut keys = store.load()?;
    let metrics = Metrics::default();
    let newest = keys.newest().map(|k| k.cert.not_before());
    if policy.due_at_start(newest, SystemTime::now()) {
        let (name, reloaded) = policy.renew(&store, newest)?;
        metrics.key_created();
        log.info(
            "key created",
            &[
                ("key", json!(name)),
                ("reason", json!(start_reason(newest))),
            ],
        );
        keys = reloaded;
    }
    log.info(
        "keys loaded",
        &[
            ("keys", json!(keys.len())),
            ("newest", json!(keys.newest().map(|k| k.name.clone()))),
        ],
    );
    let state = Arc::new(State {
        store,
        keys: RwLock::new(Arc::new(keys)),
        limiter: RateLimiter::new(options.rate_limit, options.rate_limit_burst),
        budget: ConnectionBudget::new(options.max_connections_per_client),
        waiting: Waiting::new(PROBE_RESERVE),
        probes: Arc::new(Semaphore::new(PROBE_RESERVE)),
        policy,
        metrics,
        log,
        options,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the server runtime: {e}"), None))?;
    runtime.block_on(run(state))
}

fn start_reason(newest: Option<SystemTime>) -> &'static str {
    match newest {
        None => "no active key in the store",
        Some(_) => "the newest key is older than --key-renew-period or --key-cutoff-time",
    }
}

async fn run(state: Arc<State>) -> Result<()> {
    let listen = state.options.listen.clone();
    let listener = TcpListener::bind(&listen).await.map_err(|e| {
        Error::usage(
            format!("cannot listen on {listen}: {e}"),
            Some("choose a free address with --listen HOST:PORT (port 0 picks one)".to_string()),
        )
    })?;
    let signal_error =
        |e: std::io::Error| Error::usage(format!("cannot handle signals: {e}"), None);
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::usage(format!("cannot read the bound address: {e}"), None))?;
    state
        .log
        .info("listening", &[("addr", json!(addr.to_string()))]);

    let renewal = tokio::spawn(renew_loop(state.clone()));
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(state.options.max_connections.max(1)));
    let signal_name = loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    state.log.error("accept failed", &[("error", json!(e.to_string()))]);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = terminate.recv() => break "SIGTERM",
            _ = interrupt.recv() => break "SIGINT",
        };
        let _ = stream.set_nodelay(true);
        // Within the client's budget and the global cap: every route. Beyond either: only
        // /healthz and /metrics, so that probes still answer while a client floods the server.
        let admitted = state.budget.admit(peer.ip()).and_then(|slot| {
            let permit = connections.clone().try_acquire_owned().ok()?;
            Some((slot, permit))
        });
        match admitted {
            Some(held) => {
                let conn = graceful.watch(connection(&state, stream, peer, false));
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop::<(ClientSlot, _)>(held);
                });
            }
            None => {
                // A place taken here, in accept order: a probe that comes after a flood is
                // not sent away by flood connections whose tasks happened to start later.
                let place = state.waiting.enter();
                tokio::spawn(over_budget(state.clone(), stream, peer, place));
            }
        }
    };
    drop(listener);
    state.log.info(
        "shutting down",
        &[
            ("signal", json!(signal_name)),
            ("open_connections", json!(graceful.count())),
        ],
    );
    renewal.abort();
    let grace = state.options.shutdown_grace;
    let finished = tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_ok();
    state.log.info("shutdown", &[("clean", json!(finished))]);
    Ok(())
}

/// Connections over budget waiting at once to show their request line; as many again may be
/// answered at once.
const PROBE_RESERVE: usize = 64;

/// How long a connection over budget has to send its request line.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// Serves HTTP on one connection; `probes_only` answers anything but /healthz and /metrics
/// with 503 and keeps no connection alive.
// The type is hyper's; naming the service's future is what lets the connection be spawned.
#[allow(clippy::type_complexity)]
fn connection(
    state: &Arc<State>,
    stream: TcpStream,
    peer: SocketAddr,
    probes_only: bool,
) -> hyper::server::conn::http1::Connection<
    TokioIo<TimeoutIo<TcpStream>>,
    impl hyper::service::Service<
        Request<Incoming>,
        Response = Reply,
        Error = Infallible,
        Future = impl std::future::Future<Output = std::result::Result<Reply, Infallible>>,
    >,
> {
    let (read_timeout, write_timeout) = match probes_only {
        false => (state.options.read_timeout, state.options.write_timeout),
        true => (PROBE_WAIT, PROBE_WAIT),
    };
    let io = TokioIo::new(TimeoutIo::new(stream, read_timeout, write_timeout));
    let conn_state = state.clone();
    let service = service_fn(move |req| handle(conn_state.clone(), peer, req, probes_only));
    http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .keep_alive(!probes_only)
        .max_buf_size(64 * 1024)
        .serve_connection(io, service)
}

/// A connection beyond its client's budget or the global cap: served if it asks for /healthz
/// or /metrics within [`PROBE_WAIT`], else refused with 503.
async fn over_budget(
    state: Arc<State>,
    stream: TcpStream,
    peer: SocketAddr,
    (place, evicted): (u64, tokio::sync::oneshot::Receiver<()>),
) {
    let probe = tokio::select! {
        asked = tokio::time::timeout(PROBE_WAIT, asks_for_probe(&stream)) => asked.unwrap_or(false),
        _ = evicted => false,
    };
    state.waiting.leave(place);
    let permit = state.probes.clone().try_acquire_owned().ok();
    let (true, Some(_permit)) = (probe, permit) else {
        let _ = stream.try_write(REFUSED);
        return;
    };
    let _ = tokio::time::timeout(PROBE_WAIT * 2, connection(&state, stream, peer, true)).await;
}

const REFUSED: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: 21\r\n\r\ntoo many connections\n";

/// Waits until the start of the request shows whether it is a probe. Peeking leaves the bytes
/// for the HTTP parser.
async fn asks_for_probe(stream: &TcpStream) -> bool {
    let mut head = [0u8; 16];
    loop {
        let n = match stream.peek(&mut head).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        match probe_request(&head[..n]) {
            Some(answer) => return answer,
            // A request line sent in pieces: peek again once more may have come.
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Whether a request starting with `head` asks for /healthz or /metrics; `None` while too
/// little has come to tell.
fn probe_request(head: &[u8]) -> Option<bool> {
    const PROBES: [&[u8]; 4] = [
        b"GET /healthz",
        b"GET /metrics",
        b"HEAD /healthz",
        b"HEAD /metrics",
    ];
    let mut undecided = false;
    for probe in PROBES {
        let n = head.len().min(probe.len());
        if head[..n] != probe[..n] {
            continue;
        }
        match head.get(probe.len()) {
            None => undecided = true,
            Some(b' ' | b'?') => return Some(true),
            Some(_) => {}
        }
    }
    (!undecided).then_some(false)
}

/// Makes a new key whenever the newest one reaches the renewal period.
async fn renew_loop(state: Arc<State>) {
    loop {
        let newest = state.keys().newest().map(|k| k.cert.not_before());
        let Some(due) = newest.and_then(|t| state.policy.next_due(t)) else {
            return; // renewal disabled
        };
        let wait = due.duration_since(SystemTime::now()).unwrap_or_default();
        tokio::time::sleep(wait).await;
        // The store may have a newer key than memory (imported meanwhile, or written by an
        // attempt whose reload failed): use it rather than making another.
        let reader = state.clone();
        match tokio::task::spawn_blocking(move || reader.store.load()).await {
            Ok(Ok(keys)) => {
                let newest_on_disk = keys.newest().map(|k| k.cert.not_before());
                if newest_on_disk > newest {
                    state.replace_keys(keys);
                    continue;
                }
            }
            Ok(Err(e)) => {
                state.log.error(
                    "key store unreadable, renewal postponed",
                    &[("error", json!(e.to_string()))],
                );
                tokio::time::sleep(Duration::from_secs(60)).await;
                continue;
            }
            Err(_) => {}
        }
        let worker = state.clone();
        let result =
            tokio::task::spawn_blocking(move || worker.policy.renew(&worker.store, newest)).await;
        match result {
            Ok(Ok((name, keys))) => {
                let count = keys.len();
                state.replace_keys(keys);
                state.metrics.key_created();
                state.log.info(
                    "key created",
                    &[
                        ("key", json!(name)),
                        ("reason", json!("renewal")),
                        ("keys", json!(count)),
                    ],
                );
            }
            Ok(Err(e)) => {
                state
                    .log
                    .error("key renewal failed", &[("error", json!(e.to_string()))]);
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            Err(_) => {
                state.log.error(
                    "key renewal failed",
                    &[("error", json!("the worker stopped"))],
                );
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        }
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
    probes_only: bool,
) -> std::result::Result<Reply, Infallible> {
    let started = Instant::now();
    let route = Route::of(req.uri().path());
    let method = req.method().clone();
    let response = if probes_only && !matches!(route, Route::Healthz | Route::Metrics) {
        closing(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections\n",
        ))
    } else {
        respond(&state, route, peer, req).await
    };
    let status = response.status().as_u16();
    state.metrics.record(route, status);
    state.log.info(
        "request",
        &[
            ("method", json!(method.as_str())),
            ("route", json!(route.as_str())),
            ("status", json!(status)),
            (
                "duration_ms",
                json!((started.elapsed().as_secs_f64() * 1e6).round() / 1e3),
            ),
            ("peer", json!(peer.to_string())),
        ],
    );
    Ok(response)
}

async fn respond(
    state: &Arc<State>,
    route: Route,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Reply {
    let method = req.method();
    let get = method == Method::GET || method == Method::HEAD;
    match route {
        Route::Healthz if get => text(StatusCode::OK, "text/plain; charset=utf-8", "ok"),
        Route::Cert if get => match state.keys().newest() {
            Some(newest) => text(StatusCode::OK, "application/x-pem-file", &newest.cert_pem),
            None => plain(StatusCode::SERVICE_UNAVAILABLE, "no key yet\n"),
        },
        Route::Metrics if get => {
            let keys = state.keys();
            let gauges = KeyGauges {
                keys: keys.len(),
                newest_age_seconds: keys
                    .newest()
                    .and_then(|k| SystemTime::now().duration_since(k.cert.not_before()).ok())
                    .map_or(0.0, |age| age.as_secs_f64()),
            };
            text(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                &state.metrics.render(&gauges),
            )
        }
        Route::Verify | Route::Rotate if method == Method::POST => {
            decrypting(state, route, peer, req).await
        }
        Route::Other => plain(StatusCode::NOT_FOUND, "not found\n"),
        _ => {
            let allow = if matches!(route, Route::Verify | Route::Rotate) {
                "POST"
            } else {
                "GET, HEAD"
            };
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            response
        }
    }
}

/// `/v1/verify` and `/v1/rotate`: rate-limited, body-capped, run off the async workers.
async fn decrypting(
    state: &Arc<State>,
    route: Route,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Reply {
    if !state.limiter.allow(peer.ip(), Instant::now()) {
        state.metrics.rate_limited();
        let mut response = plain(
            StatusCode::TOO_MANY_REQUESTS,
            "rate limit exceeded, retry later\n",
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(state.limiter.retry_after()),
        );
        return response;
    }
    let body = match read_body(req, state.options.max_body, state.options.read_timeout).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let keys = state.keys();
    let outcome = tokio::task::spawn_blocking(move || match route {
        Route::Verify => api::verify(&body, &keys).map(|()| None),
        _ => api::rotate(&body, &keys).map(Some),
    })
    .await
    .unwrap_or(Err(ApiError::Internal("the worker stopped")));
    match outcome {
        Ok(None) => plain(StatusCode::OK, ""),
        Ok(Some(rotated)) => text(
            StatusCode::OK,
            "application/json",
            &(serde_json::to_string_pretty(&rotated).expect("JSON values always serialize") + "\n"),
        ),
        Err(ApiError::BadRequest(message)) => {
            plain(StatusCode::BAD_REQUEST, &format!("{message}\n"))
        }
        Err(ApiError::Undecryptable) => {
            state.metrics.unseal_error();
            plain(
                StatusCode::CONFLICT,
                "the SealedSecret does not decrypt with this controller's keys\n",
            )
        }
        Err(ApiError::Internal(what)) => {
            plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{what}\n"))
        }
    }
}

/// The whole body, or the error response: 413 past `max`, 408 when it stalls.
async fn read_body(
    req: Request<Incoming>,
    max: usize,
    timeout: Duration,
) -> std::result::Result<Bytes, Reply> {
    let too_large = || {
        closing(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {max} bytes\n"),
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(too_large());
    }
    let too_slow = || {
        closing(plain(
            StatusCode::REQUEST_TIMEOUT,
            "the request body was not received in time\n",
        ))
    };
    match tokio::time::timeout(timeout, Limited::new(req.into_body(), max).collect()).await {
        Err(_) => Err(too_slow()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) if timed_out(e.as_ref()) => Err(too_slow()),
        Ok(Err(_)) => Err(closing(plain(
            StatusCode::BAD_REQUEST,
            "the request body could not be read\n",
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Whether an error was caused by a socket read or write timing out.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// Asks hyper to close the connection after this response (its body may be unread).
fn closing(mut response: Reply) -> Reply {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn plain(status: StatusCode, body: &str) -> Reply {
    text(status, "text/plain; charset=utf-8", body)
}

fn text(status: StatusCode, content_type: &'static str, body: &str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
