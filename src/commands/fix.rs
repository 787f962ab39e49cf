//! `scan --fix` and `reseal`: plan every file, then show the plans as diffs or write them
//! atomically, and say what was left and why.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use rayon::prelude::*;

use super::default_threads;
use super::report::report;
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::cli::{ResealArgs, ScanArgs};
use crate::config::Config;
use crate::detect::{
    GENERATOR_FILE, GENERATOR_LITERAL, SECRET_DATA, SECRET_INVALID_BASE64, SECRET_STRING_DATA,
};
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::fix::{
    plan_generators, plan_reseal, plan_secrets, FilePlan, FixContext, GeneratorPlan, Planned,
    Problem, RepoFiles,
};
use crate::report::redact::printable;
use crate::scan::{deployment_chains, scan, ScanOutput, ScanRequest};
use crate::source::{walk_worktree, Visitor, WalkOptions};

const HISTORY_REMINDER: &str = "note: sealing does not un-leak: the plaintext values are still in the git history. Rotate them in the cluster, and find every past copy with `sealant scan --history`.";

/// `scan --fix [--dry-run]`, after the scan gave `output`.
pub fn scan_fix(
    args: &ScanArgs,
    request: &ScanRequest,
    output: &ScanOutput,
    started: Instant,
    stdout: &mut dyn Write,
) -> Result<u8> {
    let mut reported: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &output.findings {
        if [SECRET_DATA, SECRET_STRING_DATA, SECRET_INVALID_BASE64].contains(&f.rule.as_str()) {
            reported.entry(&f.path).or_default().push(f);
        }
    }
    let root = &output.root;
    let files = RepoFiles::new(root, request.config.max_file_size, !args.dry_run);
    let chains = deployment_chains(root, &request.paths, request.config, request.threads);
    let ctx = FixContext {
        config: request.config,
        chains: &chains,
        now: SystemTime::now(),
    };
    let planned: Vec<Planned> = reported
        .par_iter()
        .map(|(path, found)| {
            let bytes = files
                .read(path)
                .map_err(|why| vec![problem_at(found[0], why)])?;
            let spans: Vec<Range<usize>> = found.iter().map(|f| f.span.clone()).collect();
            plan_secrets(path, &bytes, &spans, &ctx, &mut crate::crypto::os_rng())
        })
        .collect();
    let committed = !args.dry_run && committed_values(root, &output.findings, &files);
    let mut outcome = carry_out(&files, planned, args.dry_run, stdout)?;
    let generators = generators(output, &files, &ctx, args.dry_run, stdout)?;
    outcome.absorb(generators);
    print_notes(&files);
    let sealed: usize = outcome.plans.iter().map(|p| p.count).sum();
    let files = outcome.plans.len();
    if args.dry_run {
        say!("would seal {sealed} Secret(s) in {files} file(s)");
        return Ok(outcome.exit_code(files > 0));
    }
    let rescan = scan(request)?;
    let code = report(args, &rescan, request.config.max_file_size, started, stdout)?;
    say!("sealed {sealed} Secret(s) in {files} file(s)");
    if sealed > 0 && committed {
        say!("{HISTORY_REMINDER}");
    }
    Ok(code.max(outcome.exit_code(false)))
}

/// Whether a value `--fix` seals is already committed (HEAD's version of its file holds it):
/// only then is the history reminder true. Read before any file is rewritten.
fn committed_values(root: &Path, findings: &[Finding], files: &RepoFiles) -> bool {
    let fixed = [
        SECRET_DATA,
        SECRET_STRING_DATA,
        SECRET_INVALID_BASE64,
        GENERATOR_LITERAL,
        GENERATOR_FILE,
    ];
    let Ok(repo) = crate::source::git::GitRepo::discover(root) else {
        return false;
    };
    let repo = repo.local();
    let Ok(head) = repo.head_id() else {
        return false;
    };
    let mut spans: BTreeMap<&str, Vec<&Range<usize>>> = BTreeMap::new();
    for f in findings.iter().filter(|f| fixed.contains(&f.rule.as_str())) {
        spans.entry(&f.path).or_default().push(&f.span);
    }
    spans.into_iter().any(|(path, spans)| {
        let now = files.path(path).ok().and_then(|p| std::fs::read(p).ok());
        let at_head = crate::source::git::read_file_at(&repo, head.detach(), path, u64::MAX);
        let (Some(now), Ok(old)) = (now, at_head) else {
            return false;
        };
        spans.into_iter().any(|span| {
            now.get(span.clone()).is_some_and(|value| {
                !value.is_empty() && memchr::memmem::find(&old, value).is_some()
            })
        })
    })
}

/// Converts the secretGenerator entries with findings; returns what was done as an outcome.
fn generators(
    output: &ScanOutput,
    files: &RepoFiles,
    ctx: &FixContext,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<Outcome> {
    let (literals, inputs, mut outcome) = generator_findings(output, files);
    report_problems(&outcome.problems);
    let mut kustomizations: BTreeSet<String> = literals.keys().cloned().collect();
    for input in &inputs {
        kustomizations.extend(kustomizations_above(files, input));
    }
    let read = |rel: &str| files.read(rel);
    for path in kustomizations {
        let spans = literals.get(&path).map(Vec::as_slice).unwrap_or_default();
        let rng = &mut crate::crypto::os_rng();
        let planned = files
            .read(&path)
            .map_err(|why| vec![problem_in(&path, why)])
            .and_then(|bytes| plan_generators(&path, &bytes, spans, &inputs, &read, ctx, rng));
        match planned {
            Ok(Some(plan)) if dry_run => {
                show_generator_plan(&plan, stdout)?;
                outcome.plans.push(plan.kustomization);
            }
            Ok(Some(plan)) => match write_generator_plan(files, &plan) {
                Ok(()) => outcome.plans.push(plan.kustomization),
                Err(e) => {
                    say!("{}: not fixed: {e}", printable(&path));
                    outcome.write_errors += 1;
                }
            },
            Ok(None) => {}
            Err(problems) => {
                report_problems(&problems);
                outcome.problems.extend(problems);
            }
        }
    }
    Ok(outcome)
}

/// Literal value spans by kustomization, the generator inputs with findings, and a problem
/// for each input fix must not touch (its kustomization cannot be found from it either).
fn generator_findings(
    output: &ScanOutput,
    files: &RepoFiles,
) -> (
    BTreeMap<String, Vec<Range<usize>>>,
    HashSet<String>,
    Outcome,
) {
    let mut literals: BTreeMap<String, Vec<Range<usize>>> = BTreeMap::new();
    let mut inputs = HashSet::new();
    let mut outcome = Outcome::default();
    for f in &output.findings {
        if f.rule == GENERATOR_LITERAL {
            literals
                .entry(f.path.clone())
                .or_default()
                .push(f.span.clone());
        } else if f.rule == GENERATOR_FILE && inputs.insert(f.path.clone()) {
            if let Err(why) = files.path(&f.path) {
                outcome.problems.push(problem_at(f, why));
            }
        }
    }
    (literals, inputs, outcome)
}

/// Kustomization files in the directories from `file`'s up to the root (none for a file
/// outside the repository).
fn kustomizations_above(files: &RepoFiles, file: &str) -> Vec<String> {
    if files.path(file).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut dir = Some(file.rsplit_once('/').map_or("", |(d, _)| d));
    while let Some(d) = dir {
        for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
            let candidate = if d.is_empty() {
                name.to_string()
            } else {
                format!("{d}/{name}")
            };
            if files.is_file(&candidate) {
                out.push(candidate);
            }
        }
        dir = (!d.is_empty()).then(|| d.rsplit_once('/').map_or("", |(p, _)| p));
    }
    out
}

/// The dry run of a conversion: the kustomization's diff, the new files, the deleted ones.
fn show_generator_plan(plan: &GeneratorPlan, stdout: &mut dyn Write) -> Result<()> {
    let mut text = plan.kustomization.diff();
    for (path, contents) in &plan.created {
        let (path, body) = (
            printable(path),
            printable(&String::from_utf8_lossy(contents)),
        );
        text.push_str(&format!(
            "--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
            body.lines().count()
        ));
        body.lines().for_each(|l| text.push_str(&format!("+{l}\n")));
    }
    for path in plan.deleted.iter().map(|p| printable(p)) {
        text.push_str(&format!(
            "--- a/{path}\n+++ /dev/null\n(deleted; its values are redacted)\n"
        ));
    }
    write_out(stdout, &text)
}

/// New manifests first, then the kustomization, then the inputs go: a failure before the
/// kustomization is rewritten removes what was created, so the build never half-changes.
fn write_generator_plan(
    files: &RepoFiles,
    plan: &GeneratorPlan,
) -> std::result::Result<(), String> {
    let mut created: Vec<&str> = Vec::new();
    let undo = |created: &[&str]| created.iter().for_each(|p| files.undo_create(p));
    for (path, contents) in &plan.created {
        if let Err(e) = files.create(path, contents) {
            undo(&created);
            return Err(e);
        }
        created.push(path);
    }
    if let Err(e) = files.replace(&plan.kustomization.path, &plan.kustomization.fixed) {
        undo(&created);
        return Err(e);
    }
    for path in &plan.deleted {
        files.remove(path)?;
    }
    Ok(())
}

/// `reseal PATHS --keys K [--dry-run]`.
pub fn reseal(args: &ResealArgs, stdout: &mut dyn Write) -> Result<u8> {
    let first = args.paths.first().map_or(Path::new("."), |p| p.as_path());
    let mut config = Config::load(args.config.as_deref(), first)?;
    let root = crate::source::repository_root(first);
    config.anchor(&root);
    if config.certs.is_empty() {
        return Err(Error::usage(
            "no cert is pinned: reseal re-encrypts for the cert pinned for each path",
            Some("add `certs:` to .sealant.yaml (see `sealant init`)".into()),
        ));
    }
    let keys = crate::keyring::load_keys(&args.keys)?;
    let threads = default_threads();
    let chains = deployment_chains(&root, &args.paths, &config, threads);
    let ctx = FixContext {
        config: &config,
        chains: &chains,
        now: SystemTime::now(),
    };
    let files = RepoFiles::new(&root, config.max_file_size, !args.dry_run);
    let collector = Planner {
        plan: |path: &str, _: &[u8]| {
            // Read again, through the repository's bounds, to know it is unchanged later.
            let bytes = files
                .read(path)
                .map_err(|why| vec![problem_in(path, why)])?;
            plan_reseal(path, &bytes, &ctx, &keys, &mut crate::crypto::os_rng())
        },
        planned: Mutex::new(Vec::new()),
    };
    let options = WalkOptions {
        root: &root,
        config: &config,
        max_file_size: config.max_file_size,
        force_exclude: false,
        threads,
    };
    walk_worktree(&args.paths, &options, &collector);
    let planned = collector
        .planned
        .into_inner()
        .expect("no panics under the lock");
    let outcome = carry_out(&files, planned, args.dry_run, stdout)?;
    print_notes(&files);
    let values: usize = outcome.plans.iter().map(|p| p.count).sum();
    let files = outcome.plans.len();
    let verb = if args.dry_run {
        "would re-encrypt"
    } else {
        "re-encrypted"
    };
    say!("{verb} {values} value(s) in {files} file(s)");
    Ok(outcome.exit_code(args.dry_run && files > 0))
}

/// Plans every manifest file the walk visits.
struct Planner<F> {
    plan: F,
    planned: Mutex<Vec<Planned>>,
}

impl<F: Fn(&str, &[u8]) -> Planned + Sync> Visitor for Planner<F> {
    fn file(&self, path: &str, bytes: &[u8]) {
        if memchr::memmem::find(bytes, b"SealedSecret").is_none() {
            return;
        }
        let planned = (self.plan)(path, bytes);
        if !matches!(planned, Ok(None)) {
            self.planned
                .lock()
                .expect("no panics under the lock")
                .push(planned);
        }
    }

    fn note(&self, _: &str, _: String) {}
}

/// What was done, what was left and what failed.
#[derive(Default)]
struct Outcome {
    plans: Vec<FilePlan>,
    problems: Vec<Problem>,
    write_errors: usize,
}

impl Outcome {
    fn absorb(&mut self, other: Outcome) {
        self.plans.extend(other.plans);
        self.problems.extend(other.problems);
        self.write_errors += other.write_errors;
    }

    fn exit_code(&self, changes_pending: bool) -> u8 {
        if self.write_errors > 0 {
            EXIT_ERROR
        } else if changes_pending || !self.problems.is_empty() {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }
}

/// Shows (dry run) or writes every plan; lists every problem on stderr.
fn carry_out(
    files: &RepoFiles,
    planned: Vec<Planned>,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<Outcome> {
    let mut outcome = Outcome {
        plans: Vec::new(),
        problems: Vec::new(),
        write_errors: 0,
    };
    for p in planned {
        match p {
            Ok(Some(plan)) => outcome.plans.push(plan),
            Ok(None) => {}
            Err(problems) => outcome.problems.extend(problems),
        }
    }
    outcome.plans.sort_by(|a, b| a.path.cmp(&b.path));
    outcome
        .problems
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    report_problems(&outcome.problems);
    let mut written = Vec::new();
    for plan in outcome.plans.drain(..) {
        if dry_run {
            write_out(stdout, &plan.diff())?;
            written.push(plan);
            continue;
        }
        match files.replace(&plan.path, &plan.fixed) {
            Ok(()) => written.push(plan),
            Err(e) => {
                say!("{}: not fixed: {e}", printable(&plan.path));
                outcome.write_errors += 1;
            }
        }
    }
    outcome.plans = written;
    Ok(outcome)
}

fn report_problems(problems: &[Problem]) {
    for problem in problems {
        say!(
            "{}:{}:{}: not fixed, the file is left as it is: {}",
            printable(&problem.path),
            problem.line,
            problem.column,
            printable(&problem.message)
        );
    }
}

fn write_out(stdout: &mut dyn Write, text: &str) -> Result<()> {
    stdout
        .write_all(text.as_bytes())
        .map_err(|source| Error::Write {
            path: "<stdout>".into(),
            source,
        })
}

/// A problem with a whole file.
fn problem_in(path: &str, message: String) -> Problem {
    Problem {
        path: path.to_string(),
        line: 1,
        column: 1,
        message,
    }
}

/// The problem of a file a finding is in, at the finding.
fn problem_at(finding: &Finding, message: String) -> Problem {
    Problem {
        path: finding.path.clone(),
        line: finding.line,
        column: finding.column,
        message,
    }
}

fn print_notes(files: &RepoFiles) {
    for note in files.take_notes() {
        say!("note: {}", printable(&note));
    }
}
