//! Command-line arguments. Parsing only: the work is in `commands`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand};

use crate::controller::units::{parse_duration, parse_time};
use crate::crypto::Scope;
use crate::doc::Format;
use crate::finding::Severity;
use crate::report::Format as ReportFormat;
use crate::size::parse_usize;

/// `sealant --version`: the release and the commit it was built from (see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SEALANT_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "sealant",
    version = VERSION,
    about = "Find plaintext Kubernetes Secrets in GitOps repositories and seal them, byte-compatible with Bitnami Sealed Secrets"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find plaintext and base64 Secrets and credentials in a repository tree.
    Scan(ScanArgs),
    /// Write a commented .sealant.yaml with a fresh fingerprint salt.
    Init(InitArgs),
    /// Install the pre-commit and pre-push git hooks (an existing hook is kept and chained).
    InstallHooks {
        /// A directory inside the repository.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Explain what a rule finds and how to fix it.
    Explain {
        /// The rule id, as printed in findings (`sealant rules` lists them).
        rule: Option<String>,
    },
    /// Show the builds that deploy a manifest, the names it ends up with and the cert that applies
    ///
    /// For each build: the chain of Flux Kustomizations, Argo CD Applications and
    /// kustomizations down to the file, the namespace and name each Secret or SealedSecret in it
    /// ends up with, its scope, and the pinned cert that applies and why.
    Where(WhereArgs),
    /// List every rule: its id, category and severity.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
        /// List instead the literals the prefilter searches every file for before any rule
        /// runs, one a line (`rg -F -f` takes the list as it is).
        #[arg(long)]
        keywords: bool,
    },
    /// Seal Secrets into SealedSecrets against a controller's certificate (kubeseal, offline).
    Seal(SealArgs),
    /// Turn SealedSecrets back into Secrets with the controller's private keys (recovery).
    Unseal(UnsealArgs),
    /// Re-encrypt every SealedSecret under the paths with the cert pinned for its path
    /// (offline `kubeseal --re-encrypt`, in bulk), keeping everything else in each file.
    Reseal(ResealArgs),
    /// Inspect certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Run the sealed-secrets controller's key store and HTTP API without a cluster.
    #[command(subcommand)]
    Controller(ControllerCommand),
}

#[derive(Debug, Subcommand)]
pub enum ControllerCommand {
    /// Make a new key (RSA, self-signed cert) in the key store, as the controller does.
    Keygen(KeygenArgs),
    /// Copy keys into the key store: backup Lists, key Secrets or PEM keys (a bare key gets a
    /// fresh self-signed cert).
    Import(ImportArgs),
    /// Write every key of the store as a backup List the real controller accepts.
    Export(ExportArgs),
    /// Serve the controller's HTTP API (cert, verify, rotate, metrics) with key renewal.
    Serve(ServeArgs),
    /// Render every SealedSecret under DIR to the Secret the controller would create.
    Unseal(ControllerUnsealArgs),
}

#[derive(Debug, Args)]
pub struct KeysDirArg {
    /// The key store: one kubernetes.io/tls Secret manifest per key, mode 0600.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct NewKeyArgs {
    /// RSA key size in bits for new keys.
    #[arg(long, default_value_t = crate::controller::keygen::DEFAULT_KEY_BITS, value_name = "BITS")]
    pub key_size: usize,
    /// Common name of new certificates' subject and issuer (empty by default, as upstream).
    #[arg(long, default_value = "", value_name = "CN")]
    pub my_cn: String,
    /// Validity of new certificates (Go duration).
    #[arg(long, default_value = "87600h", value_name = "DURATION", value_parser = parse_duration)]
    pub key_ttl: Duration,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    #[command(flatten)]
    pub store: KeysDirArg,
    #[command(flatten)]
    pub key: NewKeyArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: KeysDirArg,
    /// Backup Lists, key Secrets (YAML or JSON) or PEM private keys.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Common name of the certificate made for a bare key.
    #[arg(long, default_value = "", value_name = "CN")]
    pub my_cn: String,
    /// Validity of the certificate made for a bare key.
    #[arg(long, default_value = "87600h", value_name = "DURATION", value_parser = parse_duration)]
    pub key_ttl: Duration,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: KeysDirArg,
    /// Write the backup here (atomically, mode 0600 when new) instead of standard output.
    #[arg(short = 'w', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: KeysDirArg,
    #[command(flatten)]
    pub key: NewKeyArgs,
    /// Address to listen on; anything but loopback must be asked for. Port 0 picks a free one
    /// (the bound address is logged as {"msg":"listening","addr":...}).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub listen: String,
    /// Make a new key when the newest is older than this (Go duration; 0 disables).
    #[arg(long, default_value = "720h", value_name = "DURATION", value_parser = parse_duration)]
    pub key_renew_period: Duration,
    /// Make a new key at start if the newest predates this time (RFC 3339, or RFC 1123 with a
    /// numeric zone as upstream).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub key_cutoff_time: Option<SystemTime>,
    /// Largest request body accepted (bytes, or with KiB/MiB).
    #[arg(long, default_value = "1MiB", value_name = "SIZE", value_parser = parse_usize)]
    pub max_body: usize,
    /// Longest wait for request headers, for a request body, and idle between requests.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub read_timeout: Duration,
    /// Longest a response write may stall.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub write_timeout: Duration,
    /// Requests per second per client on /v1/verify and /v1/rotate (0 disables the limit).
    #[arg(long, default_value_t = 2.0, value_name = "N")]
    pub rate_limit: f64,
    /// Requests a client may make at once above the rate.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub rate_limit_burst: u32,
    /// Connections served at once; beyond, only /healthz and /metrics are answered.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
    /// Connections one client address may hold open at once; beyond, only /healthz and
    /// /metrics are answered.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_connections_per_client: usize,
}

#[derive(Debug, Args)]
pub struct ControllerUnsealArgs {
    /// A directory (searched recursively for YAML and JSON) or one file.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub store: KeysDirArg,
    /// Write the Secrets here (atomically, mode 0600 when new) instead of standard output.
    #[arg(long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Namespace for SealedSecrets that have none (the controller would see their namespace).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct SealArgs {
    /// The controller's public certificate (PEM X.509, RSA): a file, or an http:// or
    /// https:// URL such as http://HOST:8080/v1/cert.pem.
    #[arg(long, value_name = "FILE|URL")]
    pub cert: String,
    /// Input Secret(s), YAML or JSON; standard input when absent or "-".
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write the output here (atomically) instead of standard output.
    #[arg(short = 'w', long = "sealed-secret-file", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format; defaults to the input's.
    #[arg(short = 'o', long = "format", value_enum)]
    pub format: Option<Format>,
    /// Sealing scope; defaults to the input's annotations, else strict.
    #[arg(long, value_name = "strict|namespace-wide|cluster-wide")]
    pub scope: Option<Scope>,
    /// Name to seal for (overrides the Secret's; required with --raw in strict scope).
    #[arg(long)]
    pub name: Option<String>,
    /// Namespace to seal for (must agree with the Secret's own, if it has one).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Seal a Secret that has no data.
    #[arg(long)]
    pub allow_empty_data: bool,
    /// Seal even if the certificate has expired.
    #[arg(long)]
    pub allow_expired_cert: bool,
    /// Seal one bare value (from standard input or --from-file) and print it base64-encoded.
    #[arg(long, conflicts_with_all = ["merge_into", "file", "format"])]
    pub raw: bool,
    /// With --raw: read the value from this file.
    #[arg(long, value_name = "FILE", requires = "raw")]
    pub from_file: Option<PathBuf>,
    /// Add or replace the input Secret's keys in this existing SealedSecret file, in place.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "scope", "name", "namespace"])]
    pub merge_into: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// Private keys: PEM (PKCS#1 or PKCS#8), controller key Secrets or backup Lists; comma-separated or repeated.
    #[arg(long, value_name = "FILE", value_delimiter = ',', required = true)]
    pub keys: Vec<PathBuf>,
    /// Input SealedSecret(s), YAML or JSON; standard input when absent or "-".
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write the output here (atomically, mode 0600 when new) instead of standard output.
    #[arg(short = 'w', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format; defaults to the input's.
    #[arg(short = 'o', long = "format", value_enum)]
    pub format: Option<Format>,
    /// Decrypt one bare base64 value and print the plaintext.
    #[arg(long, conflicts_with = "format")]
    pub raw: bool,
    /// With --raw: the scope the value was sealed with.
    #[arg(
        long,
        value_name = "strict|namespace-wide|cluster-wide",
        requires = "raw"
    )]
    pub scope: Option<Scope>,
    /// Namespace the value was sealed for (with --raw), or for a SealedSecret that has none.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// With --raw: the name the value was sealed for.
    #[arg(long, requires = "raw")]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Print the SHA-256 fingerprint of a certificate's DER, the value that pins it in config.
    Fingerprint {
        /// PEM certificate file.
        file: PathBuf,
    },
    /// Add or update a `certs:` entry in .sealant.yaml: the cert, its SHA-256 pin and what it
    /// serves, keeping the rest of the file as it is.
    Pin(CertPinArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("serves").required(true).args(["roots", "paths"])))]
pub struct CertPinArgs {
    /// The controller's PEM certificate: a file, or an http(s) URL (cargo feature `fetch`).
    #[arg(value_name = "FILE|URL")]
    pub cert: String,
    #[command(flatten)]
    pub entry: PinEntryArgs,
    /// The configuration file to edit (default: the nearest .sealant.yaml above the working
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// A `certs:` entry's name and what it serves, relative to the directory holding .sealant.yaml.
#[derive(Debug, Args)]
pub struct PinEntryArgs {
    /// The entry's name, usually the cluster's; a cert from elsewhere is saved as certs/NAME.pem.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A deployment root the cert serves (repeatable): a Flux Kustomization file or a directory
    /// such as clusters/production, a top-level kustomization.
    #[arg(long = "root", value_name = "PATH", conflicts_with = "paths")]
    pub roots: Vec<String>,
    /// A path glob the cert serves, instead of roots (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub paths: Vec<String>,
    /// Pin the certificate even if it has expired.
    #[arg(long)]
    pub allow_expired_cert: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` alone reads one stream from standard input
    /// (`kubectl kustomize DIR | sealant scan -`), judged on its own as one file.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// With `-`: the path the stream stands for, for config excludes and path rules, the
    /// findings' path and the file type (default `<stdin>`, read as YAML manifests).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    /// Configuration file (default: the nearest .sealant.yaml above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a SARIF 2.1.0 report here, from the same scan.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, default_value = "error", value_name = "info|warning|error")]
    pub fail_on: Severity,
    /// Ignore findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline file and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Apply ignore files and excludes to paths given explicitly, too.
    #[arg(long)]
    pub force_exclude: bool,
    /// Scan the blobs staged in the index (what the next commit adds or changes), not the
    /// working tree. Directories restrict the set; files named are judged by their staged
    /// version whether or not it changed (an untracked one from the working tree).
    #[arg(long, conflicts_with_all = ["range", "history"])]
    pub staged: bool,
    /// Scan what the commits of A..B introduced (`A` alone means A..HEAD); `^REV` words after
    /// it leave out what REV reaches, as in `git rev-list`.
    #[arg(long, value_name = "A..B", conflicts_with = "history")]
    pub range: Option<String>,
    /// Scan every blob reachable from all refs (or --ref), each once.
    #[arg(long)]
    pub history: bool,
    /// With --range or --history: leave out the commits already on this remote (reachable from
    /// refs/remotes/REMOTE/*, as `git rev-list --not --remotes=REMOTE`); repeatable.
    #[arg(long, value_name = "REMOTE")]
    pub not_remote: Vec<String>,
    /// Controller private keys (PEM, key Secrets or backup Lists) to check that every
    /// SealedSecret value decrypts; comma-separated or repeated.
    #[arg(long, value_name = "FILE", value_delimiter = ',', env = "SEALANT_KEYS")]
    pub keys: Vec<PathBuf>,
    /// With --history: start from this ref instead of all refs (repeatable); `^REV` leaves out
    /// what REV reaches.
    #[arg(long = "ref", value_name = "REF", requires = "history")]
    pub refs: Vec<String>,
    /// With --staged or --range: neither read nor write `.sealant_cache/` (the blob ids the
    /// graph checks need not read again).
    #[arg(long)]
    pub no_cache: bool,
    /// Worker threads (default: the number of CPUs; at most 4 per CPU and 256).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Seal every plaintext Secret found against the cert pinned for the cluster that deploys
    /// it, for the namespace and name its deployment applies (in place, or once per overlay
    /// when a shared base is deployed by several); then report what remains.
    #[arg(long, conflicts_with_all = ["staged", "range", "history", "write_baseline"])]
    pub fix: bool,
    /// With --fix: print what would change as a unified diff (values redacted); change nothing.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ResealArgs {
    /// Files or directories whose SealedSecrets to re-encrypt.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Controller private keys (PEM, key Secrets or backup Lists) that open the current values.
    #[arg(
        long,
        value_name = "FILE",
        value_delimiter = ',',
        env = "SEALANT_KEYS",
        required = true
    )]
    pub keys: Vec<PathBuf>,
    /// Configuration file (default: the nearest .sealant.yaml above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print what would change as a unified diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Output of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to write .sealant.yaml into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing .sealant.yaml.
    #[arg(long)]
    pub force: bool,
    /// Pin this controller cert (a file, or an http(s) URL) in `certs:`, as `sealant cert pin`.
    #[arg(long, value_name = "FILE|URL", requires = "name")]
    pub cert: Option<String>,
    #[command(flatten)]
    pub entry: PinEntryArgs,
}

#[derive(Debug, Args)]
pub struct WhereArgs {
    /// A manifest file in the repository.
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
    /// Configuration file (default: the nearest .sealant.yaml above the path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}
