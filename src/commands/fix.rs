//! `scan --fix` and `reseal`: plan every file, then show the plans as diffs or write them
//! atomically, and say what was left and why.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use rayon::prelude::*;

use super::scan::{default_threads, report};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::cli::{ResealArgs, ScanArgs};
use crate::config::Config;
use crate::detect::{
    GENERATOR_FILE, GENERATOR_LITERAL, SECRET_DATA, SECRET_INVALID_BASE64, SECRET_STRING_DATA,
};
use crate::error::{Error, Result};
use crate::fix::{
    plan_generators, plan_reseal, plan_secrets, FilePlan, FixContext, GeneratorPlan, Planned,
    Problem,
};
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
    let mut reported: BTreeMap<&str, Vec<Range<usize>>> = BTreeMap::new();
    for f in &output.findings {
        if [SECRET_DATA, SECRET_STRING_DATA, SECRET_INVALID_BASE64].contains(&f.rule.as_str()) {
            reported.entry(&f.path).or_default().push(f.span.clone());
        }
    }
    let root = &output.root;
    let chains = deployment_chains(root, &request.paths, request.config, request.threads);
    let ctx = FixContext {
        config: request.config,
        chains: &chains,
        now: SystemTime::now(),
    };
    let planned: Vec<Planned> = reported
        .par_iter()
        .map(|(path, spans)| {
            let bytes = std::fs::read(root.join(path)).unwrap_or_default();
            plan_secrets(path, &bytes, spans, &ctx, &mut crate::crypto::os_rng())
        })
        .collect();
    let mut outcome = carry_out(root, planned, args.dry_run, stdout)?;
    let generators = generators(output, &ctx, args.dry_run, stdout)?;
    outcome.absorb(generators);
    let sealed: usize = outcome.plans.iter().map(|p| p.count).sum();
    let files = outcome.plans.len();
    if args.dry_run {
        say!("would seal {sealed} Secret(s) in {files} file(s)");
        return Ok(outcome.exit_code(files > 0));
    }
    let rescan = scan(request)?;
    let code = report(args, &rescan, started, stdout)?;
    say!("sealed {sealed} Secret(s) in {files} file(s)");
    if sealed > 0 {
        say!("{HISTORY_REMINDER}");
    }
    Ok(code.max(outcome.exit_code(false)))
}

/// Converts the secretGenerator entries with findings; returns what was done as an outcome.
fn generators(
    output: &ScanOutput,
    ctx: &FixContext,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<Outcome> {
    let root = &output.root;
    let mut literals: BTreeMap<String, Vec<Range<usize>>> = BTreeMap::new();
    let mut inputs = HashSet::new();
    for f in &output.findings {
        if f.rule == GENERATOR_LITERAL {
            literals
                .entry(f.path.clone())
                .or_default()
                .push(f.span.clone());
        } else if f.rule == GENERATOR_FILE {
            inputs.insert(f.path.clone());
        }
    }
    let mut kustomizations: BTreeSet<String> = literals.keys().cloned().collect();
    for input in &inputs {
        kustomizations.extend(kustomizations_above(root, input));
    }
    let read = |rel: &str| -> std::result::Result<Vec<u8>, String> {
        std::fs::read(root.join(rel)).map_err(|e| e.to_string())
    };
    let mut outcome = Outcome::default();
    for path in kustomizations {
        let bytes = std::fs::read(root.join(&path)).unwrap_or_default();
        let spans = literals.get(&path).map(Vec::as_slice).unwrap_or_default();
        let rng = &mut crate::crypto::os_rng();
        match plan_generators(&path, &bytes, spans, &inputs, &read, ctx, rng) {
            Ok(Some(plan)) if dry_run => {
                show_generator_plan(&plan, stdout)?;
                outcome.plans.push(plan.kustomization);
            }
            Ok(Some(plan)) => match write_generator_plan(root, &plan) {
                Ok(()) => outcome.plans.push(plan.kustomization),
                Err(e) => {
                    say!("{path}: not fixed: {e}");
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

/// Kustomization files in the directories from `file`'s up to the root.
fn kustomizations_above(root: &Path, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dir = Path::new(file).parent();
    while let Some(d) = dir {
        for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
            let candidate = d.join(name);
            if root.join(&candidate).is_file() {
                out.push(candidate.to_string_lossy().replace('\\', "/"));
            }
        }
        dir = d.parent();
    }
    out
}

/// The dry run of a conversion: the kustomization's diff, the new files, the deleted ones.
fn show_generator_plan(plan: &GeneratorPlan, stdout: &mut dyn Write) -> Result<()> {
    let mut text = plan.kustomization.diff();
    for (path, contents) in &plan.created {
        let body = String::from_utf8_lossy(contents);
        text.push_str(&format!(
            "--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
            body.lines().count()
        ));
        body.lines().for_each(|l| text.push_str(&format!("+{l}\n")));
    }
    for path in &plan.deleted {
        text.push_str(&format!(
            "--- a/{path}\n+++ /dev/null\n(deleted; its values are redacted)\n"
        ));
    }
    write_out(stdout, &text)
}

/// New manifests first, then the kustomization, then the inputs go: a failure before the
/// kustomization is rewritten removes what was created, so the build never half-changes.
fn write_generator_plan(root: &Path, plan: &GeneratorPlan) -> std::result::Result<(), String> {
    let mut created = Vec::new();
    let undo = |created: &[std::path::PathBuf]| {
        for path in created {
            let _ = std::fs::remove_file(path);
        }
    };
    for (path, contents) in &plan.created {
        let target = root.join(path);
        if target.exists() {
            undo(&created);
            return Err(format!(
                "{path} already exists: move it away, then run --fix again"
            ));
        }
        if let Err(e) = crate::io::write_atomic(&target, contents, 0o644) {
            undo(&created);
            return Err(e.to_string());
        }
        created.push(target);
    }
    if let Err(e) = write_plan(root, &plan.kustomization) {
        undo(&created);
        return Err(e);
    }
    for path in &plan.deleted {
        std::fs::remove_file(root.join(path)).map_err(|e| format!("cannot delete {path}: {e}"))?;
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
    let collector = Planner {
        plan: |path: &str, bytes: &[u8]| {
            plan_reseal(path, bytes, &ctx, &keys, &mut crate::crypto::os_rng())
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
    let outcome = carry_out(&root, planned, args.dry_run, stdout)?;
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
    root: &Path,
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
        match write_plan(root, &plan) {
            Ok(()) => written.push(plan),
            Err(e) => {
                say!("{}: not fixed: {e}", plan.path);
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
            problem.path,
            problem.line,
            problem.column,
            problem.message
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

/// Writes a plan unless the file changed since it was read.
fn write_plan(root: &Path, plan: &FilePlan) -> std::result::Result<(), String> {
    let path = root.join(&plan.path);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read it again: {e}"))?;
    if meta.permissions().readonly() {
        return Err("it is read-only: make it writable to let sealant rewrite it".into());
    }
    let now = std::fs::read(&path).map_err(|e| format!("cannot read it again: {e}"))?;
    if now != plan.original {
        return Err("it changed while sealant was fixing it; run --fix again".into());
    }
    crate::io::write_atomic(&path, &plan.fixed, 0o644).map_err(|e| e.to_string())
}
